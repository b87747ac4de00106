import BatchKit
import BatchKitParallel
import Foundation

extension Step {
    /// Prepare input: lists the text files to count — `data/input/*.txt`, or,
    /// with `./run.sh --param size=1GB`, a synthetic text of that size made
    /// in `data/generated/` (kept and reused while its size is unchanged).
    static let prepareInput = Step("Prepare input",
        reads: ["data/input/*.txt"],
        writes: ["data/generated/synthetic_*.txt"]) { context in
        var files: [URL]
        if let size = try context.parameters.byteCount("size") {
            let file = context.path("data/generated/synthetic_\(size).txt")
            if (try? InputFile(file))?.size != size {
                context.log.info("writing \(size) bytes of synthetic text to \(file.path)")
                try SyntheticText.write(bytes: size, to: file, progress: context.progress)
            }
            files = [file]
        } else {
            files = try InputFiles.texts(in: context.path("data/input"))
        }
        guard !files.isEmpty else {
            throw DataError("no *.txt file in data/input/: add some text, or run ./run.sh --param size=200MB")
        }
        let inputs = try files.map { try InputFile($0) }
        try context.values.set("input_files", files.map(\.path))
        try context.values.set("input_bytes", inputs.reduce(Int64(0)) { $0 + $1.size })
        context.log.info("\(files.count) file(s), \(inputs.reduce(Int64(0)) { $0 + $1.size }) bytes")
    }
}

/// Input files of a folder.
enum InputFiles {
    /// The `*.txt` files directly in `folder`, by name.
    static func texts(in folder: URL) throws -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasSuffix(".txt") }.sorted().map { folder.appendingPathComponent($0) }
    }
}
