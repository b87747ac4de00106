import BatchKit
import BatchKitRunner
import BatchKitNotify
import BatchKitCluster
import BatchKitSchedule
/// A parsed command line: positional arguments, flags and valued options.
///
/// Options are written `--name value` or `--name=value`; `--` ends options.
/// Anything starting with `-` that is not declared is a usage error.
public struct Arguments: Sendable {
    public private(set) var positionals: [String] = []
    public private(set) var flags: Set<String> = []
    public private(set) var options: [String: String] = [:]
    /// Every value of each option, in order, for options that may repeat.
    public private(set) var repeated: [String: [String]] = [:]

    /// Parses `arguments`.
    ///
    /// - Parameters:
    ///   - arguments: The words after the command (and subcommand).
    ///   - flags: Allowed flags, such as `--help`.
    ///   - options: Allowed options that take a value, such as `--path`.
    ///   - command: The command's name, for error messages.
    ///   - optionalIDs: Options whose value, step ids, may be left out, such
    ///     as `--force [IDS]`: the next word is its value only when it is ids
    ///     (`3` or `2,5`); without one the value is empty.
    /// - Throws: ``UsageError`` for an unknown option or a missing value.
    public init(
        _ arguments: [String], flags: Set<String>, options: Set<String>, optionalIDs: Set<String> = [], command: String
    ) throws(UsageError) {
        var index = 0
        var onlyPositionals = false
        while index < arguments.count {
            let word = arguments[index]
            index += 1
            if onlyPositionals || !word.hasPrefix("-") || word == "-" {
                positionals.append(word)
                continue
            }
            if word == "--" {
                onlyPositionals = true
                continue
            }
            var name = word
            var inlineValue: String?
            // Split at the first `=` byte: a `=` that a combining mark follows
            // is one `Character` with it, and still separates the value.
            if let equals = word.utf8.firstIndex(of: UInt8(ascii: "=")) {
                name = String(word.unicodeScalars[..<equals])
                inlineValue = String(word.unicodeScalars[word.utf8.index(after: equals)...])
            }
            if name == "-h" { name = "--help" }
            if optionalIDs.contains(name) {
                var value = inlineValue ?? ""
                if inlineValue == nil, index < arguments.count, Self.looksLikeIDs(arguments[index]) {
                    value = arguments[index]
                    index += 1
                }
                self.options[name] = value
                repeated[name, default: []].append(value)
            } else if flags.contains(name) {
                guard inlineValue == nil else { throw UsageError("\(name) takes no value", command: command) }
                self.flags.insert(name)
            } else if options.contains(name) {
                if let inlineValue {
                    self.options[name] = inlineValue
                    repeated[name, default: []].append(inlineValue)
                } else if index < arguments.count {
                    self.options[name] = arguments[index]
                    repeated[name, default: []].append(arguments[index])
                    index += 1
                } else {
                    throw UsageError("\(name) needs a value", command: command)
                }
            } else {
                let hint = Suggestion.hint(for: name, among: Array(flags) + Array(options))
                throw UsageError("unknown option \(name) for '\(command)'\(hint)", command: command)
            }
        }
    }

    /// Step ids as an optional value takes them: digits, commas, spaces.
    static func looksLikeIDs(_ word: String) -> Bool {
        word.first?.isASCII == true && word.first?.isNumber == true
            && word.unicodeScalars.allSatisfy { ("0"..."9").contains($0) || $0 == "," || $0 == " " }
    }

    /// True when `flag` was given.
    public func has(_ flag: String) -> Bool { flags.contains(flag) }

    /// The value of `option`, if given (the last one, if given twice).
    public func value(_ option: String) -> String? { options[option] }

    /// Every value given for `option`, in order.
    public func values(_ option: String) -> [String] { repeated[option] ?? [] }

    /// The value of `option` as a positive integer.
    ///
    /// - Throws: ``UsageError`` when it is not one.
    public func positiveInt(_ option: String, command: String) throws(UsageError) -> Int? {
        guard let text = options[option] else { return nil }
        guard let value = Int(text), value > 0 else {
            throw UsageError("\(option) must be a whole number above 0, not \"\(text)\"", command: command)
        }
        return value
    }
}
