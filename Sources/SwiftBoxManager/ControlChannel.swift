#if canImport(Glibc)
import Glibc
#endif
import SwiftBoxLinux
import SwiftBoxOCI

/// A request to a running supervisor over its control socket (one JSON line).
public struct ControlRequest: Codable, Sendable {
    /// `stop`, `restart`, `scale` or `down`.
    public var op: String
    /// An instance (`web-2`) or a service (`web`); the service for `scale`.
    public var name: String?
    /// The replica count for `scale`.
    public var replicas: Int?
    public init(op: String, name: String? = nil, replicas: Int? = nil) {
        self.op = op; self.name = name; self.replicas = replicas
    }
}

/// The supervisor's answer, sent when the request has been carried out.
public struct ControlReply: Codable, Sendable {
    public var ok: Bool
    public var message: String
    public init(ok: Bool, message: String) { self.ok = ok; self.message = message }
}

/// The unix socket a supervisor listens on, and the client side of it.
enum ControlChannel {
    /// Binds and listens (non-blocking); replaces a stale socket file.
    static func listen(at path: String) throws -> Int32 {
        let fd = try UnixSocket.listen(at: path, backlog: 16, nonBlocking: true, what: "control socket")
        chmod(path, 0o600)
        return fd
    }

    /// Accepts one client and reads its request (bounded by a 2 s timeout).
    static func accept(_ listener: Int32) -> (Int32, ControlRequest?)? {
        let fd = Glibc.accept(listener, nil, nil)
        if fd < 0 { return nil }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        var tv = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        guard let line = readLine(fd) else { return (fd, nil) }
        return (fd, try? JSONDocument.decode(ControlRequest.self, from: line, file: "control request"))
    }

    /// Sends a reply and closes the client.
    static func reply(_ fd: Int32, _ reply: ControlReply) {
        var bytes = (try? JSONDocument.encode(reply)) ?? []
        bytes.append(0x0A)
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        close(fd)
    }

    static func readLine(_ fd: Int32) -> [UInt8]? {
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &buf, buf.count, 0)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return out.isEmpty ? nil : out }
            out += buf[0..<n]
            if let nl = out.firstIndex(of: 0x0A) { return Array(out[..<nl]) }
            if out.count > 1 << 20 { return nil }
        }
    }

    /// Sends `request` to the supervisor at `path` and waits for its reply
    /// (up to `timeout` seconds).
    static func send(_ request: ControlRequest, to path: String, timeout: Int) throws -> ControlReply {
        let fd = try UnixSocket.connect(to: path, what: "the supervisor's control socket")
        defer { close(fd) }
        var tv = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var bytes = try JSONDocument.encode(request)
        bytes.append(0x0A)
        let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        if sent != bytes.count { throw SwiftBoxError.system("send a request to the supervisor at \(path)") }
        guard let line = readLine(fd) else {
            throw SwiftBoxError("the supervisor at \(path) did not answer \(request.op) within \(timeout) s")
        }
        return try JSONDocument.decode(ControlReply.self, from: line, file: "supervisor reply")
    }
}
