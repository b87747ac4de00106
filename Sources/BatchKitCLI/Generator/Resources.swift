import BatchKitRunner
import BatchKitCommandLine
import BatchKit
import Foundation

/// Where the installed batchkit keeps what it copies into new jobs: the
/// templates and the BatchKit runtime's sources.
///
/// `install.sh` puts them in `<prefix>/share/batchkit/` (`Templates/`,
/// `Runtime/<module>/` for each of ``VendoredRuntime/modules``), beside
/// `<prefix>/bin/batchkit`, so the binary keeps working after the checkout is
/// moved or deleted. A development build finds them in its own checkout
/// (`Sources/<module>/`). The vendored package's manifest is
/// `Templates/runtime/Package.swift`.
public struct Resources: Sendable {
    /// The `Templates/` folder.
    public let templates: URL
    /// The folder holding the runtime's modules, one folder each.
    public let runtimeSources: URL

    /// The vendored package's manifest.
    public var runtimeManifest: URL { templates.appendingPathComponent("runtime/Package.swift") }

    public init(templates: URL, runtimeSources: URL) {
        self.templates = templates
        self.runtimeSources = runtimeSources
    }

    /// Finds the resources: `BATCHKIT_HOME` if set, else the installation
    /// beside the binary, else the checkout this binary was built from.
    ///
    /// - Throws: ``GeneratorError`` (`.missingResources`) listing where it looked.
    public static func locate(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        executable: String = ExecutablePath.current
    ) throws(GeneratorError) -> Resources {
        var candidates: [URL] = []
        if let home = environment["BATCHKIT_HOME"], !home.isEmpty {
            candidates.append(URL(fileURLWithPath: home))
        } else {
            let binDirectory = URL(fileURLWithPath: executable).deletingLastPathComponent()
            candidates.append(binDirectory.deletingLastPathComponent().appendingPathComponent("share/batchkit"))
            #if DEBUG
            // A development build: Sources/BatchKitCLI/Generator/Resources.swift → the checkout.
            // Release builds (what install.sh installs) never look at the checkout.
            candidates.append(URL(fileURLWithPath: #filePath)
                .deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().deletingLastPathComponent())
            #endif
        }
        for home in candidates {
            if let found = at(home) { return found }
        }
        throw GeneratorError(
            .missingResources,
            "cannot find batchkit's templates and runtime sources (looked in \(candidates.map(\.path).joined(separator: ", "))); "
                + "reinstall with ./install.sh from a batchkit checkout, or set BATCHKIT_HOME to the checkout")
    }

    /// The resources in `home`, laid out as an installation or a checkout.
    static func at(_ home: URL) -> Resources? {
        let manager = FileManager.default
        let templates = home.appendingPathComponent("Templates")
        guard manager.fileExists(atPath: templates.appendingPathComponent("common").path) else { return nil }
        for runtime in ["Runtime", "Sources"] {
            let sources = home.appendingPathComponent(runtime)
            if VendoredRuntime.modules.allSatisfy({ manager.fileExists(atPath: sources.appendingPathComponent($0).path) }),
               manager.fileExists(atPath: templates.appendingPathComponent("runtime/Package.swift").path) {
                return Resources(templates: templates, runtimeSources: sources)
            }
        }
        return nil
    }

    /// The names of the project templates available to `batchkit new --template`.
    public func templateNames() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: templates.path)) ?? []
        return names.filter { !["common", "step", "runtime"].contains($0) && !$0.hasPrefix(".") }.sorted()
    }
}
