import BatchKit
@testable import BatchKitRunner
import Foundation
import TestSupport
import Testing

/// Reading Swift's crash report. The report below is what the backtracer of
/// Swift 6.3 wrote for `rows[0]` on an empty array in a generated job (cut
/// to the fields read); GeneratedJobEndToEndTests crashes real steps.
@Suite struct CrashReportTests {
    static let job = URL(fileURLWithPath: "/srv/cj")
    static let report = """
    { "kind": "crashReport", "description": "Illegal instruction", "faultAddress": "0x000055f2691efd13",
      "threads": [
        { "name": "cj", "frames": [ { "kind": "programCounter", "description": "sigsuspend + 65", "image": "libc.so.6" } ] },
        { "name": "oot.default-qos", "crashed": true, "frames": [
          { "kind": "programCounter", "inlined": true, "system": true, "description": "specialized Array.subscript.getter",
            "sourceLocation": { "file": "//<compiler-generated>", "line": 0, "column": 0 } },
          { "kind": "programCounter", "description": "closure #1 in variable initialization expression of static Step.transform + 1155",
            "sourceLocation": { "file": "/srv/cj/Sources/Cj/03_transform.swift", "line": 10, "column": 40 } },
          { "kind": "asyncResumePoint", "description": "specialized static StepChild.run(_:layout:arguments:)",
            "sourceLocation": { "file": "/srv/cj/Vendor/BatchKit/Sources/BatchKitCommandLine/CLI/StepChild.swift", "line": 49, "column": 0 } },
          { "kind": "asyncResumePoint", "description": "completeTaskAndRelease(swift::AsyncContext*, swift::SwiftError*)" },
          { "kind": "truncated" } ] } ],
      "images": [ { "name": "cj", "path": "/srv/cj/.build/release/cj", "baseAddress": "0x000055f268e31000", "endOfText": "0x000055f26a359000" },
                  { "name": "libc.so.6", "path": "/usr/lib/x86_64-linux-gnu/libc.so.6", "baseAddress": "0x00007f861d1fe000", "endOfText": "0x00007f861d3790fc" } ] }
    """

    @Test func theCrashedThreadsFramesAndTheFaultingImageAreRead() throws {
        let directory = try TemporaryDirectory()
        try directory.write("crash.json", Self.report)
        let report = try #require(CrashReport.read(directory.path("crash.json")))
        #expect(report.description == "Illegal instruction")
        #expect(report.frames.map(\.function) == [
            "specialized Array.subscript.getter", "closure #1 in variable initialization expression of static Step.transform",
            "specialized static StepChild.run(_:layout:arguments:)", "completeTaskAndRelease(swift::AsyncContext*, swift::SwiftError*)",
        ], "the crashed thread, innermost first, without `+ offset`")
        #expect(report.frames[0].isSystem && report.frames[0].file == nil, "compiler-generated code has no file")
        #expect(report.frames[2].line == 49 && report.frames[2].column == nil)
        #expect(report.faultAddress == 0x55f2_691e_fd13)
        #expect(report.faultImage == CrashReport.Image(path: "/srv/cj/.build/release/cj", base: 0x55f2_68e3_1000))
        #expect(report.runtimeFailure == nil, "this backtracer dropped the compiler's frame for the trap")

        let frame = try #require(report.userFrame(projectDirectory: Self.job))
        #expect(CrashReport.location(of: frame, in: RunLayout(projectDirectory: Self.job)) == "Sources/Cj/03_transform.swift:10:40")
    }

    @Test func theTrapsMessageComesFromTheCompilersFrame() throws {
        let directory = try TemporaryDirectory()
        try directory.write("crash.json", """
        { "description": "Illegal instruction", "threads": [ { "crashed": true, "frames": [
          { "inlined": true, "system": true, "runtimeFailure": true,
            "description": "Swift runtime failure: Unexpectedly found nil while unwrapping an Optional value",
            "sourceLocation": { "file": "//<compiler-generated>", "line": 0, "column": 0 } },
          { "description": "BatchKit.CSVTable.read(_:) + 12",
            "sourceLocation": { "file": "/srv/cj/Vendor/BatchKit/Sources/BatchKit/Data/CSVTable.swift", "line": 7, "column": 3 } },
          { "description": "main + 40", "sourceLocation": { "file": "/srv/cj/Sources/Run/main.swift", "line": 2, "column": 1 } } ] } ] }
        """)
        let report = try #require(CrashReport.read(directory.path("crash.json")))
        #expect(report.runtimeFailure == "Unexpectedly found nil while unwrapping an Optional value")
        #expect(report.userFrame(projectDirectory: Self.job)?.function == "main", "the job's own frame, not the runtime it called")
        #expect(report.faultAddress == nil && report.faultImage == nil)
        #expect(CrashReport.read(directory.path("missing.json")) == nil)
        try directory.write("torn.json", "{ \"description\": \"Illeg")
        #expect(CrashReport.read(directory.path("torn.json")) == nil, "a report cut short by a kill is no report")
    }

    @Test func aFatalErrorLineGivesItsMessage() {
        #expect(ChildCrash.fatalErrorText("E2eJob/05_trap.swift:12: Fatal error: model missing") == "model missing")
        #expect(ChildCrash.fatalErrorText("Swift/ContiguousArrayBuffer.swift:691: Fatal error: Index out of range") == "Index out of range")
        #expect(ChildCrash.fatalErrorText("x.swift:3: Fatal error: ") == "Fatal error")
    }

    @Test func theLogAndTheReportSayWhatAndWhere() {
        let crash = ChildCrash(
            message: "Index out of range", location: "Sources/Cj/03_transform.swift:10:40",
            backtrace: ["Sources/Cj/03_transform.swift:10:40  closure #1 in static Step.transform"], reportFile: "logs/runs/r/.state/3.attempt-1.crash.json")
        #expect(crash.summary(signal: SIGILL) == "crashed at Sources/Cj/03_transform.swift:10:40: Index out of range (SIGILL)")
        let lines = crash.logLines(signal: SIGILL, at: Date(timeIntervalSince1970: 0))
        #expect(lines == """
        1970-01-01T00:00:00.000Z ERROR crashed at Sources/Cj/03_transform.swift:10:40: Index out of range (SIGILL)
        1970-01-01T00:00:00.000Z ERROR backtrace, innermost call first; all of it in logs/runs/r/.state/3.attempt-1.crash.json:
            Sources/Cj/03_transform.swift:10:40  closure #1 in static Step.transform

        """)
        #expect(ChildCrash(message: "Bad pointer dereference", location: nil, backtrace: [], reportFile: nil).summary(signal: SIGSEGV)
                == "crashed: Bad pointer dereference (SIGSEGV)")
    }

    /// The backtracer is found from `swift` on `PATH`, through its symbolic
    /// link, as on a machine where `/usr/bin/swift` points into `/opt/swift`.
    @Test func theBacktracerIsFoundFromSwiftOnPath() throws {
        let directory = try TemporaryDirectory()
        let files = FileManager.default
        let toolchain = directory.path("opt/swift/usr")
        try files.createDirectory(at: toolchain.appendingPathComponent("bin"), withIntermediateDirectories: true)
        try files.createDirectory(at: toolchain.appendingPathComponent("libexec/swift/linux"), withIntermediateDirectories: true)
        try files.createDirectory(at: directory.path("usr/bin"), withIntermediateDirectories: true)
        for tool in ["bin/swift", "bin/llvm-symbolizer", "libexec/swift/linux/swift-backtrace-static"] {
            try directory.write("opt/swift/usr/\(tool)", "#!/bin/sh\n")
            try files.setAttributes([.posixPermissions: 0o755], ofItemAtPath: toolchain.appendingPathComponent(tool).path)
        }
        try files.createSymbolicLink(atPath: directory.path("usr/bin/swift").path, withDestinationPath: toolchain.appendingPathComponent("bin/swift").path)
        let path = ["PATH": "/nonexistent:\(directory.path("usr/bin").path)"]
        let found = try #require(SwiftBacktrace.Toolchain.find(environment: path))
        #expect(found.backtracer == toolchain.appendingPathComponent("libexec/swift/linux/swift-backtrace-static").resolvingSymlinksInPath().path)
        #expect(found.symbolizer == toolchain.appendingPathComponent("bin/llvm-symbolizer").resolvingSymlinksInPath().path)
        #expect(SwiftBacktrace.Toolchain.find(environment: ["PATH": "/nonexistent"]) == nil)
        try files.removeItem(at: toolchain.appendingPathComponent("libexec"))
        #expect(SwiftBacktrace.Toolchain.find(environment: path) == nil, "a swift without a backtracer")

        let crashFile = URL(fileURLWithPath: "/srv/cj/logs/runs/r/.state/3.attempt-1.crash.json")
        let setting = try #require(SwiftBacktrace.setting(
            crashFile: crashFile, toolchain: found, environment: ["SWIFT_BACKTRACE": "limit=8,images=all"]))
        #expect(setting.hasPrefix("enable=yes,swift-backtrace=\(found.backtracer),format=json,output-to=\(crashFile.path),"))
        #expect(setting.hasSuffix(",limit=8,images=all"), "the user's own settings come last, so they win")
        #expect(SwiftBacktrace.setting(crashFile: URL(fileURLWithPath: "/srv/a,b/c.json"), toolchain: found, environment: [:]) == nil)
        #expect(SwiftBacktrace.setting(crashFile: crashFile, toolchain: nil, environment: [:]) == nil)
    }
}
