import BatchKit
import Foundation

/// How a job's `Package.swift` names the vendored runtime, and the move from
/// the layout of batchkit 0.1 (the runtime as one target of the job's own
/// package, `path: "Vendor/BatchKit/Sources/BatchKit"`) to the local package
/// of today (`.package(path: "Vendor/BatchKit")` and its products).
enum JobManifest {
    /// The runtime products a job's module and tests depend on.
    static func runtimeProducts(usesParallel: Bool) -> String {
        var products = [#".product(name: "BatchKit", package: "BatchKit")"#]
        if usesParallel { products.append(#".product(name: "BatchKitParallel", package: "BatchKit")"#) }
        return products.joined(separator: ", ")
    }

    /// Whether Swift files under `folder` import `BatchKitParallel`.
    static func usesParallel(under folder: URL) -> Bool {
        swiftFiles(under: folder).contains { (try? String(contentsOf: $0, encoding: .utf8))?.contains("import BatchKitParallel") == true }
    }

    /// The names `BatchKitParallel` holds; a 0.1 job using one needs the import.
    static let parallelNames = [
        "MapReduce", "MapReduceResult", "Emitter", "InputFile", "FileSplit", "LineReader", "ByteString", "ByteTable",
        "ErrorBudget", "RejectLog", "Reject",
    ]

    /// The line of a 0.1 manifest that builds the runtime as a target of the job.
    static let oldRuntimeTarget = #".target(name: "BatchKit", path: "Vendor/BatchKit/Sources/BatchKit"),"#

    /// Whether the job at `root` has the 0.1 layout.
    static func isOld(_ root: URL) -> Bool {
        ((try? String(contentsOf: root.appendingPathComponent("Package.swift"), encoding: .utf8)) ?? "").contains(oldRuntimeTarget)
    }

    /// Moves a 0.1 job to the vendored package: rewrites `Package.swift`,
    /// imports `BatchKitCommandLine` in `Sources/Run/main.swift` and
    /// `BatchKitParallel` where MapReduce's names are used.
    ///
    /// - Returns: The files changed, relative to the job.
    /// - Throws: ``GeneratorError`` when the manifest is not the one 0.1
    ///   generated (edited by hand), with what to change instead.
    static func migrate(_ root: URL) throws -> [String] {
        let manifestURL = root.appendingPathComponent("Package.swift")
        var manifest = try String(contentsOf: manifestURL, encoding: .utf8)
        let manual = "Change it by hand: remove the BatchKit target, add `dependencies: [.package(path: \"Vendor/BatchKit\")]`, "
            + "depend on .product(name: \"BatchKit\", package: \"BatchKit\") (and \"BatchKitParallel\" for MapReduce), "
            + "and have the Run target depend on .product(name: \"BatchKitCommandLine\", package: \"BatchKit\")"
        guard let targets = manifest.range(of: "    targets: ["), manifest.components(separatedBy: "\"BatchKit\"]").count > 1 else {
            throw GeneratorError(.io, "Package.swift is not the one batchkit 0.1 generated, so upgrade cannot rewrite it. \(manual)")
        }
        var changed = ["Package.swift"]
        var parallel = false
        for folder in ["Sources", "Tests"] {
            for file in swiftFiles(under: root.appendingPathComponent(folder)) {
                guard var text = try? String(contentsOf: file, encoding: .utf8) else { continue }
                let relative = String(file.path.dropFirst(root.path.count + 1))
                var edited = false
                if relative == "Sources/Run/main.swift", !text.contains("import BatchKitCommandLine") {
                    text = text.replacingOccurrences(of: "import BatchKit\n", with: "import BatchKit\nimport BatchKitCommandLine\n")
                    edited = true
                }
                if !relative.hasPrefix("Sources/Run/"), text.contains("import BatchKit\n"), !text.contains("import BatchKitParallel"),
                   parallelNames.contains(where: { usesName($0, in: text) }) {
                    text = text.replacingOccurrences(of: "import BatchKit\n", with: "import BatchKit\nimport BatchKitParallel\n")
                    parallel = true
                    edited = true
                }
                if edited {
                    try Data(text.utf8).write(to: file, options: .atomic)
                    changed.append(relative)
                }
            }
        }
        let comment = """
                    // The BatchKit runtime, vendored so the job builds offline with only
                    // the Swift toolchain. Its version is in Vendor/BatchKit/VERSION;
                    // `batchkit upgrade` replaces it with the installed batchkit's copy.

            """
        manifest.insert(
            contentsOf: "    dependencies: [\n\(comment)        .package(path: \"Vendor/BatchKit\"),\n    ],\n", at: targets.lowerBound)
        manifest = manifest.replacingOccurrences(of: "    targets: [\n" + comment + "        " + oldRuntimeTarget + "\n", with: "    targets: [\n")
        manifest = manifest.replacingOccurrences(of: "        " + oldRuntimeTarget + "\n", with: "")
        // What is left: the module's, the binary's and the tests' "BatchKit".
        var lines = manifest.components(separatedBy: "\n")
        for index in lines.indices where lines[index].contains("\"BatchKit\"]") {
            let products = lines[index].contains(".executableTarget")
                ? #".product(name: "BatchKitCommandLine", package: "BatchKit")"#
                : runtimeProducts(usesParallel: parallel)
            lines[index] = lines[index].replacingOccurrences(of: "\"BatchKit\"]", with: "\(products)]")
        }
        manifest = lines.joined(separator: "\n")
        try Data(manifest.utf8).write(to: manifestURL, options: .atomic)
        return changed
    }

    /// Whether `text` uses `name` without declaring a type of that name itself.
    static func usesName(_ name: String, in text: String) -> Bool {
        text.range(of: "\\b\(name)\\b", options: .regularExpression) != nil
            && text.range(of: "\\b(struct|class|enum|actor|protocol|typealias) \(name)\\b", options: .regularExpression) == nil
    }

    private static func swiftFiles(under folder: URL) -> [URL] {
        var files: [URL] = []
        let enumerator = FileManager.default.enumerator(atPath: folder.path)
        while let path = enumerator?.nextObject() as? String {
            if path.hasSuffix(".swift") { files.append(folder.appendingPathComponent(path)) }
        }
        return files
    }
}
