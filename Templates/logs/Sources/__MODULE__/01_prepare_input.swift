import BatchKit
import BatchKitParallel
import Foundation

extension Step {
    /// Prepare input: lists the access logs to analyse — `data/input/*.log`,
    /// or, with `./run.sh --param size=1GB`, a synthetic log of that size
    /// made in `data/generated/` (kept and reused while its size is unchanged).
    static let prepareInput = Step("Prepare input",
        reads: ["data/input/*.log"],
        writes: ["data/generated/access_*.log"]) { context in
        var files: [URL]
        if let size = try context.parameters.byteCount("size") {
            let file = context.path("data/generated/access_\(size).log")
            if (try? InputFile(file))?.size != size {
                context.log.info("writing \(size) bytes of synthetic access log to \(file.path)")
                try SyntheticLog.write(bytes: size, to: file, progress: context.progress)
            }
            files = [file]
        } else {
            let folder = context.path("data/input")
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            files = names.filter { $0.hasSuffix(".log") }.sorted().map { folder.appendingPathComponent($0) }
        }
        guard !files.isEmpty else {
            throw DataError("no *.log file in data/input/: add access logs, or run ./run.sh --param size=200MB")
        }
        let bytes = try files.reduce(Int64(0)) { $0 + (try InputFile($1)).size }
        try context.values.set("input_files", files.map(\.path))
        context.log.info("\(files.count) file(s), \(bytes) bytes")
    }
}
