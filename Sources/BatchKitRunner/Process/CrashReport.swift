import BatchKit
import Foundation

/// What Swift's backtracer wrote about a crashed child (its JSON format,
/// ``SwiftBacktrace``), reduced to what a person needs: what failed and on
/// which line of the job's own code.
public struct CrashReport: Sendable, Equatable {
    /// One frame of the crashed thread, innermost first.
    public struct Frame: Sendable, Equatable {
        public var function: String
        public var file: String?
        public var line: Int?
        public var column: Int?
        /// The runtime's or the compiler's, not code anyone wrote.
        public var isSystem: Bool
        /// The frame the compiler adds for a trap: its function is
        /// `Swift runtime failure: <message>`.
        public var isRuntimeFailure: Bool
    }

    /// The backtracer's description of the signal (`Illegal instruction`,
    /// `Bad pointer dereference`).
    public var description: String
    /// The crashed thread's frames, innermost first.
    public var frames: [Frame]
    /// Where the crash happened, and the binary and load address it fell
    /// in, for ``runtimeFailure(symbolizer:)``.
    public var faultAddress: UInt64?
    public var faultImage: Image?

    /// A loaded binary: its path and where it was loaded.
    public struct Image: Sendable, Equatable {
        public var path: String
        public var base: UInt64
    }

    public init(description: String, frames: [Frame], faultAddress: UInt64? = nil) {
        self.description = description
        self.frames = frames
        self.faultAddress = faultAddress
    }

    /// Reads a report, or `nil` when there is none or it is not one.
    public static func read(_ url: URL) -> CrashReport? {
        guard let data = FileManager.default.contents(atPath: url.path),
              let file = try? JSONDecoder().decode(File.self, from: data) else { return nil }
        let thread = file.threads?.first { $0.crashed == true } ?? file.threads?.first
        let frames = (thread?.frames ?? []).compactMap { frame -> Frame? in
            guard let name = frame.description ?? frame.symbol else { return nil }
            let location = frame.sourceLocation
            let file = location?.file.flatMap { $0.hasSuffix("<compiler-generated>") || $0.isEmpty ? nil : $0 }
            return Frame(
                function: Self.withoutOffset(name), file: file, line: location?.line.flatMap { $0 > 0 ? $0 : nil },
                column: location?.column.flatMap { $0 > 0 ? $0 : nil },
                isSystem: frame.system == true || frame.runtimeFailure == true, isRuntimeFailure: frame.runtimeFailure == true)
        }
        var report = CrashReport(description: file.description ?? "crashed", frames: frames, faultAddress: file.faultAddress.flatMap(Self.hex))
        if let fault = report.faultAddress,
           let image = file.images?.first(where: { image in
               guard let base = image.baseAddress.flatMap(Self.hex), let end = image.endOfText.flatMap(Self.hex) else { return false }
               return (base..<end).contains(fault)
           }), let path = image.path, let base = image.baseAddress.flatMap(Self.hex) {
            report.faultImage = Image(path: path, base: base)
        }
        return report
    }

    /// The message of the trap, from the frame the compiler adds for it
    /// (`Index out of range`, `Unexpectedly found nil while unwrapping an
    /// Optional value`), when the backtracer kept that frame.
    public var runtimeFailure: String? {
        frames.first(where: \.isRuntimeFailure).map { Self.failureMessage($0.function) ?? $0.function }
    }

    /// The trap's message looked up by the toolchain's `llvm-symbolizer` at
    /// the fault address: the backtracer drops the compiler's frame for some
    /// traps (an array index in a specialised generic), the debug
    /// information still has it.
    public func runtimeFailure(symbolizer: String) async -> String? {
        guard let fault = faultAddress, let image = faultImage, fault >= image.base else { return nil }
        let offset = "0x" + String(fault - image.base, radix: 16)
        guard let output = try? await CommandOutput.run(
            symbolizer, ["--obj=\(image.path)", "--inlining", "--functions=linkage", offset], timeout: 10),
            output.exit.termination == .exited(0) else { return nil }
        return output.standardOutput.split(whereSeparator: \.isNewline).lazy.compactMap { Self.failureMessage(String($0)) }.first
    }

    /// The frame a person should look at: the innermost in the job's own
    /// `Sources/`, else the innermost with a source file that is not the
    /// vendored runtime, else the innermost with a source file.
    public func userFrame(projectDirectory: URL) -> Frame? {
        let located = frames.filter { !$0.isSystem && $0.file != nil }
        return located.first { Self.isInJob($0, projectDirectory: projectDirectory) }
            ?? located.first { !$0.file!.contains("/Vendor/BatchKit/") }
            ?? located.first
    }

    /// Whether a frame is in the job's own `Sources/`.
    public static func isInJob(_ frame: Frame, projectDirectory: URL) -> Bool {
        frame.file?.hasPrefix(projectDirectory.standardizedFileURL.path + "/Sources/") == true
    }

    /// `file:line:column` of a frame, relative to the job's folder when inside it.
    public static func location(of frame: Frame, in layout: RunLayout) -> String? {
        guard let file = frame.file else { return nil }
        let parts = [layout.relative(URL(fileURLWithPath: file)), frame.line.map(String.init), frame.column.map(String.init)]
        return parts.compactMap { $0 }.joined(separator: ":")
    }

    /// `Index out of range` from `Swift runtime failure: Index out of range`.
    static func failureMessage(_ function: String) -> String? {
        let prefix = "Swift runtime failure: "
        guard function.hasPrefix(prefix) else { return nil }
        return String(function.dropFirst(prefix.count))
    }

    /// `trap_main` from `trap_main + 496`.
    private static func withoutOffset(_ name: String) -> String {
        guard let range = name.range(of: " + ", options: .backwards),
              name[range.upperBound...].allSatisfy(\.isNumber) else { return name }
        return String(name[..<range.lowerBound])
    }

    private static func hex(_ text: String) -> UInt64? {
        UInt64(text.hasPrefix("0x") ? String(text.dropFirst(2)) : text, radix: 16)
    }

    /// The parts of the backtracer's JSON that are read.
    private struct File: Decodable {
        var description: String?
        var faultAddress: String?
        var threads: [Thread]?
        var images: [Image]?

        struct Thread: Decodable {
            var crashed: Bool?
            var frames: [Frame]?
        }

        struct Frame: Decodable {
            var description: String?
            var symbol: String?
            var system: Bool?
            var runtimeFailure: Bool?
            var sourceLocation: Location?
        }

        struct Location: Decodable {
            var file: String?
            var line: Int?
            var column: Int?
        }

        struct Image: Decodable {
            var path: String?
            var baseAddress: String?
            var endOfText: String?
        }
    }
}
