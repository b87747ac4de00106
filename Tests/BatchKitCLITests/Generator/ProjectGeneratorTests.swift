import BatchKit
import BatchKitRunner
import BatchKitCommandLine
@testable import BatchKitCLI
import Foundation
import TestSupport
import Testing

@Suite struct ProjectGeneratorTests {
    func generate(_ name: String, in directory: TemporaryDirectory) throws -> URL {
        let resources = try Resources.locate(environment: ["BATCHKIT_HOME": checkoutRoot.path])
        return try ProjectGenerator(resources: resources).generate(name: ProjectName(name), template: "etl", in: directory.url)
    }

    func files(under root: URL) -> [String] {
        let enumerator = FileManager.default.enumerator(atPath: root.path)
        var files: [String] = []
        while let path = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: root.appendingPathComponent(path).path, isDirectory: &isDirectory)
            if !isDirectory.boolValue { files.append(path) }
        }
        return files.sorted()
    }

    @Test func theStyleGuideLayoutIsGenerated() throws {
        let directory = try TemporaryDirectory()
        let job = try generate("my-job", in: directory)
        let present = Set(files(under: job))
        for expected in [
            "run.sh", "install.sh", "README.md", "Package.swift", ".gitignore",
            "Sources/MyJob/01_extract.swift", "Sources/MyJob/02_extract_regions.swift", "Sources/MyJob/03_validate_input.swift",
            "Sources/MyJob/04_transform.swift", "Sources/MyJob/05_load.swift", "Sources/MyJob/Job.swift",
            "Sources/MyJob/PostJobTests.swift", "Sources/Run/main.swift", "Tests/MyJobTests/StepTests.swift",
            "data/input/orders.csv", "data/input/regions.csv", "config/base.json", "logs/.gitkeep",
            "docs/additional_documentation.md", "development/README.md", "Vendor/BatchKit/VERSION",
            "Vendor/BatchKit/README.md", "Vendor/BatchKit/Sources/BatchKit/BatchKit.swift",
        ] {
            #expect(present.contains(expected), "missing \(expected)")
        }
        #expect(!present.contains("_gitignore"))
        for script in ["run.sh", "install.sh"] {
            #expect(FileManager.default.isExecutableFile(atPath: job.appendingPathComponent(script).path))
        }
    }

    @Test func everyPlaceholderIsFilledIn() throws {
        let directory = try TemporaryDirectory()
        let job = try generate("my-job", in: directory)
        for file in files(under: job) {
            let text = (try? String(contentsOf: job.appendingPathComponent(file), encoding: .utf8)) ?? ""
            #expect(!text.contains("{{"), "\(file) has an unfilled placeholder")
            #expect(!file.contains("__"), "\(file) has an unfilled path placeholder")
        }
        let package = try String(contentsOf: job.appendingPathComponent("Package.swift"), encoding: .utf8)
        #expect(package.contains("name: \"my-job\""))
        #expect(package.contains(#".target(name: "MyJob", dependencies: [.product(name: "BatchKit", package: "BatchKit")])"#))
        #expect(package.contains(#".package(path: "Vendor/BatchKit")"#))
        let vendored = try String(contentsOf: job.appendingPathComponent("Vendor/BatchKit/Package.swift"), encoding: .utf8)
        #expect(vendored.contains("// BatchKit \(BatchKit.version), vendored"))
        let readme = try String(contentsOf: job.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(readme.hasPrefix("# my-job\n"))
        #expect(readme.contains(ReadmeDagSection.beginMarker) && readme.contains(ReadmeDagSection.endMarker))
    }

    /// Every template ships a configuration the runtime reads, and a README
    /// that says how to run the job in production.
    @Test(arguments: ["etl", "wordcount", "logs"])
    func everyTemplateIsReadyForProduction(template: String) throws {
        let directory = try TemporaryDirectory()
        let resources = try Resources.locate(environment: ["BATCHKIT_HOME": checkoutRoot.path])
        let job = try ProjectGenerator(resources: resources).generate(name: ProjectName("prod-job"), template: template, in: directory.url)
        let config = try JobConfig.load(projectDirectory: job, environment: nil, variables: [:])
        #expect(config.files == ["config/base.json"])
        #expect(config.declarations != nil, "the template declares its parameters, so typos are refused")
        if template != "etl" {
            #expect(config.declarations?["size"]?.type == .size && config.declarations?["workers"]?.type == .int)
        }
        let readme = try String(contentsOf: job.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(readme.contains("## Running in production"))
        for command in ["./run.sh schedule --cron", "--wait-for", "./run.sh prune --keep-runs", "--env prod", "BATCHKIT_WEBHOOK_URL", "memory: .megabytes("] {
            #expect(readme.contains(command), "the README shows \(command)")
        }
    }

    @Test func theVendoredRuntimeIsTheCheckoutsWithItsVersion() throws {
        let directory = try TemporaryDirectory()
        let job = try generate("vend", in: directory)
        let vendored = files(under: job.appendingPathComponent("Vendor/BatchKit/Sources/BatchKit"))
        let original = files(under: checkoutRoot.appendingPathComponent("Sources/BatchKit"))
        #expect(vendored == original)
        #expect(!vendored.isEmpty)
        for file in original {
            let a = try Data(contentsOf: job.appendingPathComponent("Vendor/BatchKit/Sources/BatchKit/\(file)"))
            let b = try Data(contentsOf: checkoutRoot.appendingPathComponent("Sources/BatchKit/\(file)"))
            #expect(a == b, "\(file) differs")
        }
        let version = try String(contentsOf: job.appendingPathComponent("Vendor/BatchKit/VERSION"), encoding: .utf8)
        #expect(version == "\(BatchKit.version)\n")
    }

    @Test func theJobsInstallScriptExplainsAMissingOrOldToolchain() async throws {
        let directory = try TemporaryDirectory()
        let job = try generate("tool-check", in: directory)
        let script = job.appendingPathComponent("install.sh").path
        let missing = try await runProgram("/bin/bash", [script], in: job, environment: ["PATH": "/usr/bin:/bin"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("the Swift toolchain is not installed"))
        try directory.write("fake/swift", "#!/bin/sh\necho 'Swift version 5.9.2 (swift-5.9.2-RELEASE)'\n")
        _ = chmod(directory.path("fake/swift").path, 0o755)
        let old = try await runProgram("/bin/bash", [script], in: job, environment: ["PATH": "\(directory.path("fake").path):/usr/bin:/bin"])
        #expect(old.status == 1)
        #expect(old.stderr.contains("tool-check needs Swift 6.0 or newer"))
        #expect(!FileManager.default.fileExists(atPath: job.appendingPathComponent(".build").path))
    }

    @Test func missingResourcesAreExplained() {
        #expect(throws: GeneratorError.self) {
            try Resources.locate(environment: ["BATCHKIT_HOME": "/nonexistent/batchkit"])
        }
    }
}
