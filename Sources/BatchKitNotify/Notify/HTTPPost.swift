import BatchKit
import BatchKitRunner
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A JSON POST over plain HTTP/1.1, on a socket of its own (no networking
/// library, so a job binary links nothing more for it). `https://` URLs go
/// through `curl` instead (see ``WebhookChannel``).
enum HTTPPost {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The response: its status code and the start of its body.
    struct Response: Sendable {
        var status: Int
        var body: String
    }

    /// Posts `body` to `url` (`http://host[:port]/path`), waiting at most
    /// `timeout` seconds in all. Messages name the host, never the path.
    static func post(url: String, body: Data, timeout: Double) async throws -> Response {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try sendBlocking(url: url, body: body, timeout: timeout) })
            }
        }
    }

    private static func sendBlocking(url: String, body: Data, timeout: Double) throws -> Response {
        guard let components = URLComponents(string: url), components.scheme == "http", let host = components.host, !host.isEmpty else {
            throw Failure(description: "not an http:// URL")
        }
        let port = components.port ?? 80
        let path = (components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath)
            + (components.percentEncodedQuery.map { "?\($0)" } ?? "")
        let deadline = Date().addingTimeInterval(timeout)
        let connection = try openConnection(host: host, port: port, deadline: deadline)
        defer { close(connection) }

        let hostHeader = host.contains(":") ? "[\(host)]" : host
        var request = Data("POST \(path) HTTP/1.1\r\nHost: \(hostHeader)\(components.port.map { ":\($0)" } ?? "")\r\n".utf8)
        request += Data("User-Agent: batchkit/\(BatchKit.version)\r\nContent-Type: application/json\r\n".utf8)
        request += Data("Content-Length: \(body.count)\r\nConnection: close\r\n\r\n".utf8)
        request += body
        try request.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress else { return }
            var offset = 0
            while offset < buffer.count {
                try setTimeout(connection, deadline: deadline)
                let sent = send(connection, base + offset, buffer.count - offset, noSignal)
                if sent < 0 {
                    if errno == EINTR { continue }
                    throw Failure(description: errno == EAGAIN ? "timed out after \(format(timeout)) sending the request" : "cannot send: \(String(cString: strerror(errno)))")
                }
                offset += sent
            }
        }

        var response = Data()
        var chunk = [UInt8](repeating: 0, count: 4096)
        while response.count < 65_536 {
            try setTimeout(connection, deadline: deadline)
            let count = recv(connection, &chunk, chunk.count, 0)
            if count < 0 {
                if errno == EINTR { continue }
                throw Failure(description: errno == EAGAIN ? "no answer within \(format(timeout))" : "cannot read the answer: \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            response.append(contentsOf: chunk[0..<count])
            if let parsed = parse(response), parsed.complete { break }
        }
        guard let parsed = parse(response) else {
            throw Failure(description: response.isEmpty ? "the server closed the connection without answering" : "the answer is not HTTP")
        }
        return Response(status: parsed.status, body: parsed.body)
    }

    /// The status and body so far; `complete` once Content-Length bytes are in.
    private static func parse(_ data: Data) -> (status: Int, body: String, complete: Bool)? {
        guard let end = data.range(of: Data("\r\n\r\n".utf8)) else { return nil }
        let head = String(decoding: data[..<end.lowerBound], as: UTF8.self)
        let lines = head.components(separatedBy: "\r\n")
        let parts = lines.first?.split(separator: " ") ?? []
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), let status = Int(parts[1]) else { return nil }
        let body = data[end.upperBound...]
        let length = lines.dropFirst().first { $0.lowercased().hasPrefix("content-length:") }
            .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) }
        return (status, String(decoding: body.prefix(300), as: UTF8.self), length.map { body.count >= $0 } ?? false)
    }

    private static func openConnection(host: String, port: Int, deadline: Date) throws -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = streamSocket
        var list: UnsafeMutablePointer<addrinfo>?
        let code = getaddrinfo(host, String(port), &hints, &list)
        guard code == 0, let first = list else {
            throw Failure(description: "cannot resolve \(host): \(String(cString: gai_strerror(code)))")
        }
        defer { freeaddrinfo(list) }
        var lastError = "no address"
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let address = entry {
            entry = address.pointee.ai_next
            let fd = socket(address.pointee.ai_family, address.pointee.ai_socktype, address.pointee.ai_protocol)
            guard fd >= 0 else { lastError = String(cString: strerror(errno)); continue }
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            let flags = fcntl(fd, F_GETFL)
            _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
            var result = connect(fd, address.pointee.ai_addr, address.pointee.ai_addrlen)
            if result < 0 && errno == EINPROGRESS {
                var descriptor = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                let wait = max(0, Int32(deadline.timeIntervalSinceNow * 1000))
                var ready: Int32
                repeat { ready = poll(&descriptor, 1, wait) } while ready < 0 && errno == EINTR
                if ready == 1 {
                    var error: Int32 = 0
                    var length = socklen_t(MemoryLayout<Int32>.size)
                    getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
                    result = error == 0 ? 0 : -1
                    errno = error
                } else {
                    errno = ETIMEDOUT
                }
            }
            if result == 0 {
                _ = fcntl(fd, F_SETFL, flags)
                return fd
            }
            lastError = String(cString: strerror(errno))
            close(fd)
        }
        throw Failure(description: "cannot connect to \(host):\(port): \(lastError)")
    }

    /// Gives the next send or receive what is left of the time limit.
    private static func setTimeout(_ connection: Int32, deadline: Date) throws {
        let left = deadline.timeIntervalSinceNow
        guard left > 0 else { throw Failure(description: "timed out") }
        var value = timeval(tv_sec: Int(left), tv_usec: Int((left - left.rounded(.down)) * 1_000_000))
        setsockopt(connection, SOL_SOCKET, SO_SNDTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
    }

    private static func format(_ seconds: Double) -> String { "\(Int(seconds)) s" }

    #if canImport(Glibc)
    private static let streamSocket = Int32(SOCK_STREAM.rawValue)
    private static let noSignal = Int32(MSG_NOSIGNAL)
    #else
    private static let streamSocket = SOCK_STREAM
    private static let noSignal: Int32 = 0
    #endif
}
