import BatchKit
import Foundation

/// A deterministic synthetic access log for trying the job at scale: a day
/// of requests, a few hundred paths with a Zipf-like spread, mostly 200s,
/// and about one malformed line in a thousand.
enum SyntheticLog {
    /// Writes `bytes` bytes (ending at a line end) to `url`, through a
    /// temporary file renamed into place.
    static func write(bytes: Int64, to url: URL, progress: StepProgress = .none) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let temporary = url.appendingPathExtension("partial")
        FileManager.default.createFile(atPath: temporary.path, contents: nil)
        let handle = try FileHandle(forWritingTo: temporary)
        var generator = Generator(seed: 2026)
        var written: Int64 = 0
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 20)
        while written < bytes {
            buffer.removeAll(keepingCapacity: true)
            while buffer.count < (1 << 20), written + Int64(buffer.count) < bytes {
                var line = generator.line()
                let room = Int(min(Int64(Int.max), bytes - written)) - buffer.count
                if line.count > room {
                    // The end of the file: a malformed filler line that fits exactly.
                    line = Array(repeating: UInt8(ascii: "-"), count: max(room - 1, 0)) + [0x0A]
                }
                buffer.append(contentsOf: line)
            }
            try handle.write(contentsOf: buffer)
            written += Int64(buffer.count)
            progress.report(done: written, total: bytes, unit: "bytes")
        }
        try handle.close()
        guard rename(temporary.path, url.path) == 0 else {
            throw DataError("cannot rename \(temporary.path) to \(url.path): \(String(cString: strerror(errno)))")
        }
    }

    struct Generator {
        private var state: UInt64
        private var second = 0
        private let paths: [String]
        private let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

        init(seed: UInt64) {
            state = seed | 1
            var paths = ["/", "/index.html", "/login", "/api/orders", "/api/orders/search", "/static/app.js", "/static/app.css", "/favicon.ico"]
            for index in 0..<400 { paths.append("/products/\(index)") }
            for index in 0..<100 { paths.append("/blog/2026/post-\(index).html") }
            self.paths = paths
        }

        mutating func next() -> UInt64 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }

        mutating func line() -> [UInt8] {
            let random = next()
            second += Int(random % 3)
            let day = 1 + (second / 86_400) % 28, hour = (second / 3600) % 24, minute = (second / 60) % 60
            // Zipf-like: the square of a uniform number favours the first paths.
            let uniform = Double(next() >> 11) / Double(1 << 53)
            let path = paths[min(paths.count - 1, Int(uniform * uniform * uniform * Double(paths.count)))]
            let roll = next() % 1000
            let status = roll < 800 ? 200 : roll < 880 ? 304 : roll < 950 ? 404 : roll < 980 ? 302 : roll < 995 ? 500 : 503
            let size = status == 304 ? "-" : String(200 + next() % 50_000)
            let ip = "10.\(next() % 256).\(next() % 256).\(1 + next() % 254)"
            let stamp = "\(pad(day))/\(months[10])/2026:\(pad(hour)):\(pad(minute)):\(pad(second % 60)) +0000"
            let query = next() % 10 == 0 ? "?page=\(next() % 5)" : ""
            var text = "\(ip) - - [\(stamp)] \"GET \(path)\(query) HTTP/1.1\" \(status) \(size)\n"
            if roll == 999 { text = String(text.prefix(text.count / 2)) + "\n" }  // a truncated, malformed line
            return Array(text.utf8)
        }

        private func pad(_ value: Int) -> String { value < 10 ? "0\(value)" : String(value) }
    }
}
