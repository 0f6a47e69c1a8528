#if canImport(Glibc)
import Glibc
#endif
import CSwiftBox
import SwiftBoxLinux

/// Brings up the loopback interface of a container's fresh network namespace
/// (`network: private`), from a short-lived thread that joins that namespace,
/// so the container's process sees `lo` up from its first instruction.
enum Loopback {
    final class Job {
        let pid: Int32
        var error: SwiftBoxError?
        init(pid: Int32) { self.pid = pid }
    }

    static func bringUp(inNetworkOf pid: Int32) throws {
        let job = Job(pid: pid)
        let box = Unmanaged.passRetained(job).toOpaque()
        var tid = pthread_t()
        let rc = pthread_create(&tid, nil, { arg in
            let job = Unmanaged<Job>.fromOpaque(arg!).takeRetainedValue()
            job.error = Loopback.run(job.pid)
            return nil
        }, box)
        if rc != 0 {
            Unmanaged<Job>.fromOpaque(box).release()
            throw SwiftBoxError.system("start a thread to set up the network", errno: rc)
        }
        pthread_join(tid, nil)
        if let e = job.error { throw e }
    }

    /// Runs on its own thread: joining a network namespace affects only it, and
    /// the thread ends right after.
    static func run(_ pid: Int32) -> SwiftBoxError? {
        let path = "/proc/\(pid)/ns/net"
        let ns = open(path, O_RDONLY | O_CLOEXEC)
        if ns < 0 { return .system("open \(path)") }
        defer { close(ns) }
        if sb_setns(ns, 0) != 0 { return .system("join the network namespace of pid \(pid)") }
        let sock = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        if sock < 0 { return .system("create a socket in the container's network namespace") }
        defer { close(sock) }
        var ifr = ifreq()
        withUnsafeMutableBytes(of: &ifr.ifr_ifrn.ifrn_name) { buf in
            buf[0] = UInt8(ascii: "l"); buf[1] = UInt8(ascii: "o"); buf[2] = 0
        }
        let SIOCGIFFLAGS: UInt = 0x8913, SIOCSIFFLAGS: UInt = 0x8914
        if ioctl(sock, SIOCGIFFLAGS, &ifr) != 0 { return .system("read the flags of lo in the container") }
        ifr.ifr_ifru.ifru_flags |= Int16(IFF_UP) | Int16(IFF_RUNNING)
        if ioctl(sock, SIOCSIFFLAGS, &ifr) != 0 { return .system("bring lo up in the container") }
        return nil
    }
}
