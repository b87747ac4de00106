import BatchKit

/// Markup being built, as UTF-8 bytes. What is interpolated into it is
/// escaped unless it is markup already: a `String` becomes text (``HTMLPage/escape(_:)``),
/// a number is written with at most one decimal, and only another `HTML`
/// goes in as it is. A step's name can therefore never become markup, and a
/// 1,000-step page is made without a `String` per attribute.
///
///     var row: HTML = "<td>\(step.name)</td><td class=\"num\">\(step.attempts)</td>"
///     row += "<td>\(HTMLPage.badge(step.status))</td>"
struct HTML: ExpressibleByStringInterpolation, Sendable {
    private(set) var bytes: [UInt8]

    init() { bytes = [] }

    init(stringLiteral literal: StaticString) {
        bytes = []
        literal.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    init(stringInterpolation: Interpolation) { bytes = stringInterpolation.bytes }

    /// Markup made elsewhere (`dot`'s SVG), taken as it is.
    init(trusted markup: some StringProtocol) { bytes = Array(markup.utf8) }

    /// Text, escaped.
    init(text: String) {
        var interpolation = Interpolation(literalCapacity: 0, interpolationCount: 1)
        interpolation.appendInterpolation(text)
        bytes = interpolation.bytes
    }

    var string: String { String(decoding: bytes, as: UTF8.self) }

    static func += (markup: inout HTML, more: HTML) { markup.bytes.append(contentsOf: more.bytes) }

    static func + (markup: HTML, more: HTML) -> HTML {
        var both = markup
        both += more
        return both
    }

    mutating func reserveCapacity(_ count: Int) { bytes.reserveCapacity(count) }

    /// Appends a number as `\(value)` would, without a temporary: for
    /// long runs of numbers (a polyline's points).
    mutating func append(number value: Double) {
        var interpolation = Interpolation(taking: &bytes)
        interpolation.appendInterpolation(value)
        bytes = interpolation.bytes
    }

    /// Appends markup without a temporary.
    mutating func append(_ literal: StaticString) {
        literal.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// Appends markup made elsewhere (`dot`'s SVG) as it is, without a temporary.
    mutating func append(trusted markup: some StringProtocol) {
        bytes.append(contentsOf: markup.utf8)
    }

    /// `parts` one after another, with `separator` between them.
    static func joined(_ parts: some Sequence<HTML>, separator: HTML = HTML()) -> HTML {
        var markup = HTML()
        for (index, part) in parts.enumerated() {
            if index > 0 { markup += separator }
            markup += part
        }
        return markup
    }

    struct Interpolation: StringInterpolationProtocol {
        fileprivate var bytes: [UInt8]

        init(literalCapacity: Int, interpolationCount: Int) {
            bytes = []
            bytes.reserveCapacity(literalCapacity + 16 * interpolationCount)
        }

        /// Goes on appending to `bytes`, which are moved, not copied.
        fileprivate init(taking bytes: inout [UInt8]) {
            self.bytes = []
            swap(&self.bytes, &bytes)
        }

        mutating func appendLiteral(_ literal: StaticString) {
            literal.withUTF8Buffer { bytes.append(contentsOf: $0) }
        }

        /// Markup.
        mutating func appendInterpolation(_ markup: HTML) { bytes.append(contentsOf: markup.bytes) }

        /// Text: `&`, `<`, `>` and quotes escaped, and hidden characters
        /// (controls, bidirectional overrides) shown as escapes the way the
        /// text report shows them (``VisibleText``).
        mutating func appendInterpolation(_ text: String) {
            appendText(text, keepingLineFeeds: false)
        }

        /// Text whose line feeds are kept (a tooltip's lines); every other
        /// hidden character is escaped.
        mutating func appendInterpolation(lines text: String) {
            appendText(text, keepingLineFeeds: true)
        }

        private mutating func appendText(_ text: String, keepingLineFeeds: Bool) {
            var text = text
            text.withUTF8 { utf8 in
                // Hidden characters are controls (< 0x20, 0x7F) or not ASCII.
                if utf8.contains(where: { ($0 < 0x20 && !(keepingLineFeeds && $0 == 0x0A)) || $0 >= 0x7F }) {
                    let original = String(decoding: utf8, as: UTF8.self)
                    let visible = keepingLineFeeds ? VisibleText.lines(original) : VisibleText.line(original)
                    for byte in visible.utf8 { appendEscaped(byte) }
                } else {
                    for byte in utf8 { appendEscaped(byte) }
                }
            }
        }

        private mutating func appendEscaped(_ byte: UInt8) {
            switch byte {
            case UInt8(ascii: "&"): append("&amp;")
            case UInt8(ascii: "<"): append("&lt;")
            case UInt8(ascii: ">"): append("&gt;")
            case UInt8(ascii: "\""): append("&quot;")
            case UInt8(ascii: "'"): append("&#39;")
            default: bytes.append(byte)
            }
        }

        private mutating func append(_ literal: StaticString) {
            literal.withUTF8Buffer { bytes.append(contentsOf: $0) }
        }

        mutating func appendInterpolation(_ value: Int) {
            if value < 0 {
                bytes.append(UInt8(ascii: "-"))
                appendDigits(value.magnitude)
            } else {
                appendDigits(UInt(value))
            }
        }

        /// A coordinate or size: at most one decimal (`12`, `12.5`).
        mutating func appendInterpolation(_ value: Double) {
            let tenths = (value * 10).rounded()
            guard tenths.isFinite, tenths.magnitude < 1e17 else { return append("0") }
            let whole = Int(tenths)
            if whole < 0 { bytes.append(UInt8(ascii: "-")) }
            appendDigits(whole.magnitude / 10)
            if whole.magnitude % 10 != 0 {
                bytes.append(UInt8(ascii: "."))
                bytes.append(UInt8(ascii: "0") + UInt8(whole.magnitude % 10))
            }
        }

        private mutating func appendDigits(_ value: UInt) {
            var count = 1
            var probe = value
            while probe >= 10 {
                probe /= 10
                count += 1
            }
            bytes.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: count))
            var index = bytes.count
            var rest = value
            repeat {
                index -= 1
                bytes[index] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            } while rest > 0
        }
    }
}
