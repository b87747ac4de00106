import BatchKit
import BatchKitRunner
import Foundation
import Testing

/// A real HTTP server on 127.0.0.1, started by a test (Python's
/// `http.server` in a child process): it answers every POST with a chosen
/// status and keeps each request (path, headers, body) for the test to read.
public final class LoopbackHTTPServer {
    public let port: Int
    private let child: ChildProcess
    private let requestsFile: URL

    /// One request the server received.
    public struct Request: Decodable {
        public let path: String
        public let headers: [String: String]
        public let body: String
    }

    static let script = #"""
        import http.server, json, sys, ssl
        port_file, log_file, status, delay, certificate = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length).decode("utf-8", "replace")
                with open(log_file, "a") as log:
                    log.write(json.dumps({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body}) + "\n")
                if delay: __import__("time").sleep(delay)
                answer = b"ok" if status < 300 else b"invalid_token"
                self.send_response(status)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)
            def log_message(self, *args): pass
        server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        if certificate:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(certificate)
            server.socket = context.wrap_socket(server.socket, server_side=True)
        with open(port_file + ".tmp", "w") as f: f.write(str(server.server_address[1]))
        __import__("os").rename(port_file + ".tmp", port_file)
        server.serve_forever()
        """#

    /// Starts a server in `directory` that answers `status`, after `delay`
    /// seconds; over TLS when `certificate` (a PEM with key and cert) is given.
    /// `nil` (with a loud skip, or a failure in CI) when python3 is missing.
    public init?(in directory: TemporaryDirectory, status: Int = 200, delay: Double = 0, certificate: URL? = nil) async throws {
        guard let server = try await LoopbackPythonServer(
            "http", script: Self.script, arguments: [String(status), String(delay), certificate?.path ?? ""], in: directory)
        else { return nil }
        (child, port, requestsFile) = (server.child, server.port, server.records)
    }

    deinit {
        child.signalGroup(SIGKILL)
    }

    /// The requests so far.
    public func requests() -> [Request] {
        let text = (try? String(contentsOf: requestsFile, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { try? JSONDecoder().decode(Request.self, from: Data($0.utf8)) }
    }

    /// Waits until `count` requests arrived (at most `timeout` seconds).
    public func waitForRequests(_ count: Int, timeout: Double = 20) async throws -> [Request] {
        let deadline = Date().addingTimeInterval(timeout)
        while requests().count < count, Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
        return requests()
    }
}

/// A real SMTP server on 127.0.0.1 (a few lines of Python over
/// `socketserver`) that accepts every message and keeps it, for testing
/// email through a real `sendmail` (msmtp's) pointed at it.
public final class LoopbackSMTPServer {
    public let port: Int
    private let child: ChildProcess
    private let messagesFile: URL

    static let script = #"""
        import socketserver, sys, json
        port_file, log_file = sys.argv[1], sys.argv[2]
        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line): self.wfile.write((line + "\r\n").encode())
            def handle(self):
                self.reply("220 localhost test SMTP")
                sender, recipients = "", []
                while True:
                    line = self.rfile.readline().decode("utf-8", "replace")
                    if not line: return
                    command = line.strip().upper()
                    if command.startswith("EHLO"): self.wfile.write(b"250-localhost\r\n250 8BITMIME\r\n")
                    elif command.startswith("HELO"): self.reply("250 localhost")
                    elif command.startswith("MAIL FROM"): sender = line.strip()[10:]; self.reply("250 OK")
                    elif command.startswith("RCPT TO"): recipients.append(line.strip()[8:]); self.reply("250 OK")
                    elif command == "DATA":
                        self.reply("354 end with .")
                        data = []
                        while True:
                            chunk = self.rfile.readline().decode("utf-8", "replace")
                            if chunk in (".\r\n", ".\n", ""): break
                            data.append(chunk)
                        with open(log_file, "a") as log:
                            log.write(json.dumps({"from": sender, "to": recipients, "data": "".join(data)}) + "\n")
                        recipients = []
                        self.reply("250 queued")
                    elif command == "QUIT": self.reply("221 bye"); return
                    else: self.reply("250 OK")
        server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        with open(port_file + ".tmp", "w") as f: f.write(str(server.server_address[1]))
        __import__("os").rename(port_file + ".tmp", port_file)
        server.serve_forever()
        """#

    /// One message received.
    public struct Message: Decodable {
        public let from: String
        public let to: [String]
        public let data: String
    }

    public init?(in directory: TemporaryDirectory) async throws {
        guard let server = try await LoopbackPythonServer("smtp", script: Self.script, arguments: [], in: directory) else { return nil }
        (child, port, messagesFile) = (server.child, server.port, server.records)
    }

    deinit {
        child.signalGroup(SIGKILL)
    }

    public func messages() -> [Message] {
        let text = (try? String(contentsOf: messagesFile, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { try? JSONDecoder().decode(Message.self, from: Data($0.utf8)) }
    }

    public func waitForMessages(_ count: Int, timeout: Double = 20) async throws -> [Message] {
        let deadline = Date().addingTimeInterval(timeout)
        while messages().count < count, Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
        return messages()
    }
}

/// A Python server script started on loopback: it gets a file to write its
/// port to, a file to record what it receives (one JSON line each), then
/// `arguments`; it listens on port 0 and writes the port it got.
private struct LoopbackPythonServer {
    let child: ChildProcess
    let port: Int
    let records: URL

    init?(_ kind: String, script: String, arguments: [String], in directory: TemporaryDirectory) async throws {
        guard let python = requireTool("python3", for: "a real \(kind.uppercased()) server on loopback") else { return nil }
        let name = "\(kind)-\(UUID().uuidString.prefix(8))"
        try directory.write("\(name).py", script)
        let portFile = directory.path("\(name).port")
        records = directory.path("\(name).records")
        child = try await ChildProcess.spawn(ChildProcess.Request(
            executable: python, arguments: [directory.path("\(name).py").path, portFile.path, records.path] + arguments,
            logFile: directory.path("\(name).log").path))
        try await waitFor(portFile)
        port = Int((try? String(contentsOf: portFile, encoding: .utf8)) ?? "") ?? 0
    }
}
