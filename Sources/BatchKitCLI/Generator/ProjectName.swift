import BatchKitRunner
import BatchKitCommandLine
/// A job name checked for use as a folder, a package, an executable and
/// (transformed) a Swift module name.
public struct ProjectName: Sendable, Equatable {
    /// The name as given: the folder, package and executable name.
    public let name: String
    /// The Swift module of the job's steps: `my-job` → `MyJob`.
    public let module: String

    /// Swift keywords; a job named one of these is refused.
    static let keywords: Set<String> = [
        "associatedtype", "class", "deinit", "enum", "extension", "fileprivate", "func", "import", "init",
        "inout", "internal", "let", "open", "operator", "private", "precedencegroup", "protocol", "public",
        "rethrows", "static", "struct", "subscript", "typealias", "var", "break", "case", "catch", "continue",
        "default", "defer", "do", "else", "fallthrough", "for", "guard", "if", "in", "repeat", "return",
        "throw", "switch", "where", "while", "Any", "as", "await", "false", "is", "nil", "self", "Self",
        "super", "throws", "true", "try", "async", "some", "any", "Type", "Protocol", "actor", "consume",
        "borrowing", "consuming", "copy", "discard", "each", "macro", "nonisolated", "package",
    ]

    /// Module names the generated package or the toolchain already uses.
    static let reservedModules: Set<String> = [
        "Run", "BatchKit", "Swift", "Foundation", "FoundationEssentials", "Dispatch", "Glibc", "Darwin",
        "XCTest", "Testing", "Synchronization", "PackageDescription", "Main",
    ]

    /// Validates `name` and derives its module name.
    ///
    /// - Throws: ``GeneratorError`` with code `.invalidName` saying what is
    ///   wrong and what would work.
    public init(_ name: String) throws(GeneratorError) {
        func invalid(_ why: String) -> GeneratorError {
            GeneratorError(.invalidName, "invalid job name \"\(name)\": \(why)")
        }
        guard !name.isEmpty else { throw invalid("it is empty; use a name like daily-orders") }
        if name.contains(where: \.isWhitespace) {
            throw invalid("it contains a space; use - or _ between words, like daily-orders")
        }
        if name.contains("/") || name.contains("\\") {
            throw invalid("it contains a path separator; give just the name and choose the parent folder with --path DIR")
        }
        if let first = name.first, first.isNumber {
            throw invalid("it starts with a digit, which a Swift module name cannot; try job-\(name)")
        }
        if let bad = name.first(where: { !($0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_")) }) {
            throw invalid("it contains \"\(bad)\"; use ASCII letters, digits, - and _")
        }
        if name.hasPrefix("-") || name.hasPrefix("_") {
            throw invalid("it must start with a letter, like job\(name)")
        }
        if name.hasSuffix("-") {
            throw invalid("it must not end with -")
        }
        guard name.count <= 64 else { throw invalid("it is longer than 64 characters") }
        if Self.keywords.contains(name) {
            throw invalid("it is a Swift keyword; try \(name)-job")
        }
        let module = Self.moduleName(name)
        if Self.reservedModules.contains(module) || Self.keywords.contains(module) {
            throw invalid("its module name would be \(module), which the generated package or the toolchain already uses; try \(name)-job")
        }
        self.name = name
        self.module = module
    }

    /// `my-job` → `MyJob`, `nightly_etl` → `NightlyEtl`, `myJob` → `MyJob`.
    static func moduleName(_ name: String) -> String {
        name.split(whereSeparator: { $0 == "-" || $0 == "_" })
            .map { $0.prefix(1).uppercased() + $0.dropFirst() }
            .joined()
    }
}
