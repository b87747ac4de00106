import BatchKit
import Foundation
import TestSupport
import Testing

/// Rules about where code may do what, checked over the sources themselves.
@Suite struct ArchitectureTests {
    /// The runtime's modules below the job's command line.
    static let belowCommandLine = [
        "BatchKit", "BatchKitParallel", "BatchKitRunner", "BatchKitNotify", "BatchKitCluster", "BatchKitSchedule",
    ]

    /// Every Swift file of those modules, by path relative to `Sources/`
    /// (`BatchKitRunner/Engine/Engine.swift`), with comments and the contents
    /// of string literals blanked out.
    static func sources() throws -> [(path: String, lines: [String])] {
        var files: [(String, [String])] = []
        for module in belowCommandLine {
            let root = checkoutRoot.appendingPathComponent("Sources/\(module)")
            let enumerator = FileManager.default.enumerator(atPath: root.path)
            while let path = enumerator?.nextObject() as? String {
                guard path.hasSuffix(".swift") else { continue }
                let text = try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
                files.append(("\(module)/\(path)", text.split(separator: "\n", omittingEmptySubsequences: false).map(Self.code)))
            }
        }
        #expect(files.count > 80, "found the runtime's sources under \(checkoutRoot.path)/Sources")
        return files.sorted { $0.0 < $1.0 }
    }

    /// A line without its comment and with string literals emptied.
    static func code(_ line: Substring) -> String {
        var result = ""
        var inString = false
        var previous: Character = " "
        for character in line {
            if !inString, character == "/", previous == "/" {
                result.removeLast()
                break
            }
            if character == "\"", previous != "\\" { inString.toggle(); result.append(character) }
            else if !inString { result.append(character) }
            previous = character
        }
        return result
    }

    /// Only the job's command line (`BatchKitCommandLine`) prints or ends the
    /// process: the modules below it return values and throw errors.
    @Test func onlyTheCommandLinePrintsOrExits() throws {
        // A call of its own, not a method or a longer name that ends the same way.
        let forbidden = try NSRegularExpression(pattern: #"(?<![A-Za-z0-9_.])(print|debugPrint|fputs|exit|_exit)\(|\bConsole\.|FileHandle\.standard(Error|Output)|STD(ERR|OUT)_FILENO"#)
        var found: [String] = []
        for (path, lines) in try Self.sources() {
            for (index, line) in lines.enumerated()
            where forbidden.firstMatch(in: line, range: NSRange(line.startIndex..., in: line)) != nil {
                found.append("Sources/\(path):\(index + 1): \(line.trimmingCharacters(in: .whitespaces))")
            }
        }
        #expect(found.isEmpty, "printing or exiting below the command line:\n\(found.joined(separator: "\n"))")
    }

    /// Only the recorder (`BatchKitRunner/Record/`) writes a run's records:
    /// the history, the test results, the state journal and snapshot, the
    /// process ledger.
    @Test func onlyTheRecorderWritesARunsRecords() throws {
        let writers = ["JournalFile(", "ProcessGroupLedger(", "TestResultsLog(", "RunStateStore.Change"]
        var found: [String] = []
        for (path, lines) in try Self.sources() where !["BatchKitRunner/Record/", "BatchKitRunner/Log/", "BatchKitRunner/Checks/TestResultsLog"].contains(where: path.hasPrefix) {
            for (index, line) in lines.enumerated() {
                let writesHistory = line.contains("ExecutionLog(") && line.contains(".append(")
                let savesState = line.contains("RunStateStore(") && line.contains(".save(")
                if writesHistory || savesState || writers.contains(where: line.contains) {
                    found.append("Sources/\(path):\(index + 1): \(line.trimmingCharacters(in: .whitespaces))")
                }
            }
        }
        #expect(found.isEmpty, "a run's records written outside BatchKitRunner/Record/:\n\(found.joined(separator: "\n"))")
    }

    /// The runtime's targets and their dependencies, as a manifest declares them.
    static func runtimeTargets(in manifest: String) throws -> [String: [String]] {
        let pattern = try NSRegularExpression(pattern: #"\.target\(name: "(\w+)"(?:, dependencies: \[([^\]]*)\])?"#)
        var targets: [String: [String]] = [:]
        for match in pattern.matches(in: manifest, range: NSRange(manifest.startIndex..., in: manifest)) {
            guard let name = Range(match.range(at: 1), in: manifest).map({ String(manifest[$0]) }) else { continue }
            let list = Range(match.range(at: 2), in: manifest).map { String(manifest[$0]) } ?? ""
            targets[name] = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespacesAndNewlines).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
                .filter { !$0.isEmpty }.sorted()
        }
        return targets
    }

    /// The package jobs vendor has the same modules, with the same layering,
    /// as this repository's: one cannot drift from the other.
    @Test func theVendoredPackageLayersTheRuntimeAsThisRepositoryDoes() throws {
        let ours = try Self.runtimeTargets(in: String(contentsOf: checkoutRoot.appendingPathComponent("Package.swift"), encoding: .utf8))
            .filter { Self.belowCommandLine.contains($0.key) || ["BatchKitCommandLine", "CBatchKitSpawn"].contains($0.key) }
        let vendored = try Self.runtimeTargets(in: String(contentsOf: checkoutRoot.appendingPathComponent("Templates/runtime/Package.swift"), encoding: .utf8))
        #expect(ours.count == 8)
        #expect(vendored == ours)
        #expect(vendored["BatchKitRunner"] == ["BatchKit", "CBatchKitSpawn"], "the runner depends on the definition (and its C spawn) only")
        #expect(vendored["CBatchKitSpawn"] == [], "the C spawn depends on nothing but the C library")
    }
}
