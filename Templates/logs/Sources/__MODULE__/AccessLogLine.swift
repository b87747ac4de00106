import BatchKit
import BatchKitParallel

/// One request of a web server's access log in the Common (or Combined) Log
/// Format:
///
///     203.0.113.9 - - [21/Nov/2026:02:13:45 +0000] "GET /index.html HTTP/1.1" 200 5123
///
/// Parsed from the line's bytes without making strings; a line that does not
/// fit throws ``Reject`` with what is wrong, and goes to the rejects file.
struct AccessLogLine {
    /// The hour of the request, in the log's own time zone, as `2026112102`.
    var hour: Int
    /// The request's path, without the query string.
    var path: UnsafeRawBufferPointer
    var status: Int
    /// Response bytes (`-` counts as 0).
    var bytes: Int

    static let months: [UInt32: Int] = {
        var months: [UInt32: Int] = [:]
        for (index, name) in ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"].enumerated() {
            let bytes = Array(name.utf8)
            months[UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16] = index + 1
        }
        return months
    }()

    init(_ line: UnsafeRawBufferPointer) throws {
        let count = line.count
        func byte(_ index: Int) -> UInt8 { line[index] }
        func number(_ range: Range<Int>) -> Int? {
            guard !range.isEmpty, range.upperBound <= count else { return nil }
            var value = 0
            for index in range {
                let digit = byte(index) &- 0x30
                guard digit < 10 else { return nil }
                value = value * 10 + Int(digit)
            }
            return value
        }
        // [dd/Mon/yyyy:HH:MM:SS zone]
        guard let open = line.firstIndex(of: UInt8(ascii: "[")), open + 21 <= count else {
            throw Reject("no [timestamp]")
        }
        let t = open + 1
        guard let day = number(t..<(t + 2)), byte(t + 2) == 0x2F, byte(t + 6) == 0x2F, byte(t + 11) == 0x3A,
              let month = Self.months[UInt32(byte(t + 3)) | UInt32(byte(t + 4)) << 8 | UInt32(byte(t + 5)) << 16],
              let year = number((t + 7)..<(t + 11)), let hour = number((t + 12)..<(t + 14)), hour < 24, day >= 1, day <= 31
        else {
            throw Reject("timestamp is not dd/Mon/yyyy:HH:MM:SS")
        }
        self.hour = ((year * 100 + month) * 100 + day) * 100 + hour
        // "METHOD path protocol"
        guard let quote = line[(t + 20)...].firstIndex(of: 0x22) else { throw Reject("no quoted request") }
        guard let close = line[(quote + 1)...].firstIndex(of: 0x22) else { throw Reject("the request's quote is not closed") }
        guard let space = line[(quote + 1)..<close].firstIndex(of: 0x20) else { throw Reject("the request has no path") }
        var pathEnd = line[(space + 1)..<close].firstIndex(of: 0x20) ?? close
        if let query = line[(space + 1)..<pathEnd].firstIndex(of: 0x3F) { pathEnd = query }
        guard pathEnd > space + 1 else { throw Reject("the request has an empty path") }
        path = UnsafeRawBufferPointer(rebasing: line[(space + 1)..<pathEnd])
        // status and size
        let statusStart = close + 2
        guard close + 1 < count, byte(close + 1) == 0x20, let status = number(statusStart..<(statusStart + 3)),
              status >= 100, status <= 599
        else {
            throw Reject("no 3-digit status after the request")
        }
        self.status = status
        let sizeStart = statusStart + 4
        guard statusStart + 3 < count, byte(statusStart + 3) == 0x20, sizeStart < count else {
            throw Reject("no response size after the status")
        }
        let sizeEnd = line[sizeStart...].firstIndex(of: 0x20) ?? count
        if sizeEnd == sizeStart + 1, byte(sizeStart) == UInt8(ascii: "-") {
            bytes = 0
        } else if let size = number(sizeStart..<sizeEnd), sizeEnd - sizeStart <= 15 {
            bytes = size
        } else {
            throw Reject("response size is not a number or -")
        }
    }
}
