#if canImport(Glibc)
import Glibc
#endif
import SwiftBoxLinux
import SwiftBoxOCI

/// What the parent tells a fresh `swiftbox init`. It and `InitMessage` are
/// read and written without Codable (see SwiftBoxOCI/JSONReader.swift).
struct InitRequest {
    enum Kind: String { case create, exec }
    var kind: Kind
    var id: String
    /// The config whose `process` is the one to exec (exec). For create, the
    /// config.json bytes follow the request as a raw frame instead, so the
    /// parent never encodes the spec again.
    var spec: Spec?
    var bundle: String
    var rootfs: String
    var noPivot: Bool
    /// Descriptor (O_PATH) of the exec FIFO `create` leaves init blocked on.
    /// The parent opens it: the state folder is not reachable for a container
    /// root that a user namespace maps to an unprivileged host uid.
    var fifoFD: Int32?
    /// Descriptor number of the console socket, when the process wants a terminal.
    var consoleSocketFD: Int32?
    /// Descriptor number of a mount namespace init must join first.
    var mountNamespaceFD: Int32?
    /// Flags of the seccomp program; when set, the program's BPF follows as a
    /// raw frame (after the config frame for create). The parent compiles or
    /// reads it from the cache: init never runs libseccomp or hashes a profile.
    var seccompFlags: UInt32?
    /// Whether namespaces were freshly created (hostname etc. only apply then).
    var newUTS: Bool
    var newMount: Bool
    /// init makes the cgroup namespace itself, once it is in its cgroup.
    var newCgroup: Bool?
    /// Start a new session (setsid) unless a terminal gives the process one.
    var newSession: Bool?
    /// Descriptors 3…3+N-1 the caller passes to the process (--preserve-fds).
    var preserveFDs: Int?
}

/// One message on the init channel, each a JSON line.
struct InitMessage {
    enum Kind: String {
        /// init → parent: mounts are done; run prestart/createRuntime hooks now.
        case runtimeHooks
        /// parent → init: go on.
        case proceed
        /// init → parent: everything but the user process is ready.
        case created
        /// init → parent: setup failed.
        case error
    }
    var kind: Kind
    var message: String?
    var errno: Int32?
}

/// A line-framed JSON channel over a socket.
final class InitChannel {
    let fd: Int32
    private var buffer: [UInt8] = []

    init(fd: Int32) { self.fd = fd }

    func send(_ value: some JSONWritable) throws {
        var bytes = value.json()
        bytes.append(0x0A)
        try FS.writeAll(fd: fd, bytes, what: "init channel")
    }

    /// Sends bytes as a frame: their length on a line, then the bytes.
    func sendFrame(_ bytes: [UInt8]) throws {
        try FS.writeAll(fd: fd, Array("\(bytes.count)\n".utf8) + bytes, what: "init channel")
    }

    /// Receives a frame sent by `sendFrame`.
    func receiveFrame() throws -> [UInt8] {
        guard let line = try receiveLine(), let count = Int(String(decoding: line, as: UTF8.self)), count >= 0 else {
            throw SwiftBoxError("init channel: expected a frame length")
        }
        while buffer.count < count {
            var chunk = [UInt8](repeating: 0, count: min(65536, count - buffer.count))
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { throw SwiftBoxError("init channel: frame cut short") }
            buffer.append(contentsOf: chunk[0..<n])
        }
        let frame = Array(buffer[0..<count])
        buffer.removeSubrange(0..<count)
        return frame
    }

    /// Reads the next line; nil at end of stream.
    func receiveLine() throws -> [UInt8]? {
        while true {
            if let nl = buffer.firstIndex(of: 0x0A) {
                let line = Array(buffer[..<nl])
                buffer.removeSubrange(...nl)
                return line
            }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SwiftBoxError.system("read init channel")
            }
            if n == 0 { return buffer.isEmpty ? nil : { let b = buffer; buffer = []; return b }() }
            buffer.append(contentsOf: chunk[0..<n])
        }
    }

    func receive<T: JSONReadable>(_ type: T.Type) throws -> T? {
        guard let line = try receiveLine() else { return nil }
        return try T(json: JSONObject.parse(line, file: "init channel"))
    }
}

extension InitRequest: JSONReadable, JSONWritable {
    init(json j: JSONObject) throws {
        let k = try j.string(required: "kind")
        guard let kind = Kind(rawValue: k) else { throw SwiftBoxError("init channel: unknown request \"\(k)\"") }
        self.kind = kind
        id = try j.string(required: "id")
        spec = try j.object("spec", Spec.init(json:))
        bundle = try j.string(required: "bundle")
        rootfs = try j.string(required: "rootfs")
        noPivot = try j.bool(required: "noPivot")
        fifoFD = try j.integer("fifoFD", Int32.self)
        consoleSocketFD = try j.integer("consoleSocketFD", Int32.self)
        mountNamespaceFD = try j.integer("mountNamespaceFD", Int32.self)
        seccompFlags = try j.integer("seccompFlags", UInt32.self)
        newUTS = try j.bool(required: "newUTS")
        newMount = try j.bool(required: "newMount")
        newCgroup = try j.bool("newCgroup")
        newSession = try j.bool("newSession")
        preserveFDs = try j.integer("preserveFDs", Int.self)
    }

    func json() -> [UInt8] {
        var w = JSONObjectWriter()
        w.add("kind", kind.rawValue)
        w.add("id", id)
        // Only exec sends a spec here (create sends config.json's own bytes).
        w.addRaw("spec", spec.flatMap { try? JSONDocument.encode($0) })
        w.add("bundle", bundle)
        w.add("rootfs", rootfs)
        w.add("noPivot", noPivot)
        w.add("fifoFD", fifoFD)
        w.add("consoleSocketFD", consoleSocketFD)
        w.add("mountNamespaceFD", mountNamespaceFD)
        w.add("seccompFlags", seccompFlags)
        w.add("newUTS", newUTS)
        w.add("newMount", newMount)
        w.add("newCgroup", newCgroup)
        w.add("newSession", newSession)
        w.add("preserveFDs", preserveFDs)
        return w.finish()
    }
}

extension InitMessage: JSONReadable, JSONWritable {
    init(json j: JSONObject) throws {
        let k = try j.string(required: "kind")
        guard let kind = Kind(rawValue: k) else { throw SwiftBoxError("init channel: unknown message \"\(k)\"") }
        self.kind = kind
        message = try j.string("message")
        errno = try j.integer("errno", Int32.self)
    }

    func json() -> [UInt8] {
        var w = JSONObjectWriter()
        w.add("kind", kind.rawValue)
        w.add("message", message)
        w.add("errno", errno)
        return w.finish()
    }
}
