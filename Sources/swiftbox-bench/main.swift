// swiftbox-bench: container start-up next to runc and crun, in one interleaved
// run, printing median wall time, CPU time and peak RSS, and the ratios.
//
//   swiftbox-bench --swiftbox PATH [--runs N] [--variant plain|limits|seccomp]
//                  [--seccomp-profile FILE] [--runtimes swiftbox,crun,runc]
//                  [--order random|blocks] [--pause MS]
//
// It re-executes itself in a private mount namespace where the cgroup2 mount
// /sys/fs/cgroup/unified is unmounted, because Debian's crun refuses this
// machine's hybrid layout otherwise; all runtimes then run in that same
// environment, so the comparison stays fair.
#if canImport(Glibc)
import Glibc
#endif
import CSwiftBox
import SwiftBoxLinux
import SwiftBoxOCI
import SwiftBoxRuntime

struct Options {
    var swiftbox = ""
    var runs = 30
    var variant = "plain"
    var seccompProfile: String?
    var runtimes = ["swiftbox", "crun", "runc"]
    var keep = false
    /// random: each round runs every runtime once, in a new random order;
    /// blocks: each runtime runs all its starts back to back.
    var order = "random"
    /// Milliseconds to sleep before each start: starts spaced like a person's
    /// or a scheduler's, not back to back.
    var pause = 0
}

func parse() -> Options {
    var o = Options()
    var args = Array(CommandLine.arguments.dropFirst())
    func next(_ name: String) -> String {
        guard !args.isEmpty else { die("\(name) needs a value") }
        return args.removeFirst()
    }
    while !args.isEmpty {
        let a = args.removeFirst()
        switch a {
        case "--swiftbox": o.swiftbox = FS.absolute(next(a))
        case "--runs": o.runs = Int(next(a)) ?? { die("--runs takes a number") }()
        case "--variant": o.variant = next(a)
        case "--seccomp-profile": o.seccompProfile = FS.absolute(next(a))
        case "--runtimes": o.runtimes = next(a).split(separator: ",").map(String.init)
        case "--keep": o.keep = true
        case "--order": o.order = next(a)
        case "--pause": o.pause = Int(next(a)) ?? { die("--pause takes milliseconds") }()
        case "-h", "--help":
            print("usage: swiftbox-bench --swiftbox PATH [--runs N] [--variant plain|limits|seccomp] [--seccomp-profile FILE] [--runtimes swiftbox,crun,runc] [--order random|blocks] [--pause MS]")
            exit(0)
        default: die("unknown argument \(a)")
        }
    }
    if o.swiftbox.isEmpty { die("--swiftbox PATH is required (a release build: swift build -c release --static-swift-stdlib)") }
    if !["plain", "limits", "seccomp"].contains(o.variant) { die("--variant: use plain, limits or seccomp") }
    if !["random", "blocks"].contains(o.order) { die("--order: use random or blocks") }
    if o.variant == "seccomp" && o.seccompProfile == nil { die("--variant seccomp needs --seccomp-profile FILE (e.g. from `swiftbox seccomp default`)") }
    return o
}

func die(_ message: String) -> Never {
    fputs("swiftbox-bench: \(message)\n", stderr)
    exit(2)
}

/// Re-executes under `unshare -m` with the cgroup2 mount removed (see above).
func enterBenchNamespace() {
    if getenv("SWIFTBOX_BENCH_NS") != nil { return }
    setenv("SWIFTBOX_BENCH_NS", "1", 1)
    let script = "mount --make-rprivate / && { umount /sys/fs/cgroup/unified 2>/dev/null || true; } && exec \"$@\""
    let argv = ["unshare", "-m", "sh", "-c", script, "sh"] + CommandLine.arguments
    let c = argv.map { strdup($0) } + [nil]
    execvp("unshare", c)
    die("cannot exec unshare: \(String(cString: strerror(errno)))")
}

struct Sample { var wall: Double; var cpu: Double; var rss: Double }

/// Runs argv through swiftbox-bench-launch (next to this binary), which
/// reports wall ms, CPU ms (user+sys of the command and its waited-for
/// descendants) and peak RSS in MiB; its own start-up is in none of them.
func measure(_ argv: [String]) -> (Sample, Int32) {
    let out = work + "/rusage"
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    for fd: Int32 in 0...2 { posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0) }
    posix_spawn_file_actions_addopen(&actions, 3, out, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    let full = [launcher] + argv
    let c = full.map { strdup($0) } + [nil]
    defer { c.forEach { free($0) } }
    var pid: pid_t = 0
    guard posix_spawn(&pid, launcher, &actions, nil, c, environ) == 0 else { die("cannot run \(launcher)") }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let fields = ((try? FS.readString(out)) ?? "").split(separator: " ").compactMap { Double($0.trimmingWhitespace()) }
    guard fields.count == 5 else { die("\(launcher) reported nothing for \(argv[0])") }
    return (Sample(wall: fields[4] / 1000, cpu: (fields[0] + fields[1]) / 1000, rss: fields[2] / 1024), Int32(fields[3]))
}

func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    guard !s.isEmpty else { return .nan }
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

func fmt(_ x: Double, _ digits: Int = 1) -> String {
    var p: Double = 1
    for _ in 0..<digits { p *= 10 }
    let r = (x * p).rounded() / p
    var s = String(r)
    if let dot = s.firstIndex(of: ".") {
        let decimals = s.distance(from: dot, to: s.endIndex) - 1
        if decimals < digits { s += String(repeating: "0", count: digits - decimals) }
    }
    return s
}

enterBenchNamespace()
let o = parse()
let launcher = FS.dirname((try? FS.readLink("/proc/self/exe")) ?? "") + "/swiftbox-bench-launch"
let work = "/tmp/swiftbox-bench-\(getpid())"
try! FS.mkdirAll(work)
// The runtimes keep their state (--root) on a tmpfs, as their defaults
// (/run/runc, /run/crun, /run/swiftbox) are on hosts where /run is a tmpfs:
// this machine's /run is on the root disk, where every state file costs a
// journalled inode. The mount lives in the benchmark's own mount namespace.
let roots = work + "/roots"
try! FS.mkdirAll(roots)
guard sb_mount("tmpfs", roots, "tmpfs", 0, "size=64m,mode=0700") == 0 else { die("cannot mount a tmpfs on \(roots)") }
defer {
    _ = sb_umount2(roots, 0)
    if !o.keep { _ = try? FS.removeAll(work) }
}

// The bundle: the busybox rootfs from images/make-busybox-bundle.sh, /bin/true.
let bundle = work + "/bundle"
let script = FS.dirname(FS.dirname(FS.dirname(#filePath))) + "/images/make-busybox-bundle.sh"
guard system("\(script) \(bundle) \(o.swiftbox) /bin/true >/dev/null") == 0 else { die("cannot build the busybox bundle with \(script)") }
var spec = try! JSONDocument.load(Spec.self, from: bundle + "/config.json")
// The same config for every runtime: no cgroup mount (crun and runc differ on
// v1 cgroup mounts), no terminal.
spec.mounts = spec.mounts?.filter { $0.type != "cgroup" }
// Debian 12's crun knows runtime-spec versions up to 1.0.x only.
spec.ociVersion = "1.0.2"
if o.variant == "limits" {
    var r = Resources()
    var mem = Memory(); mem.limit = 256 << 20
    var cpu = CPU(); cpu.quota = 50_000; cpu.period = 100_000
    r.memory = mem; r.cpu = cpu; r.pids = Pids(limit: 128)
    spec.linux?.resources = r
}
if o.variant == "seccomp" {
    spec.linux?.seccomp = try! JSONDocument.load(Seccomp.self, from: o.seccompProfile!)
}
try! FS.write(bundle + "/config.json", try! JSONDocument.encode(spec, pretty: true))

var samples: [String: [Sample]] = [:]
var counter = 0
func command(_ runtime: String) -> [String] {
    counter += 1
    let id = "bench-\(getpid())-\(counter)"
    switch runtime {
    case "swiftbox": return [o.swiftbox, "--root", roots + "/swiftbox", "run", "--bundle", bundle, id]
    case "runc": return ["runc", "--root", roots + "/runc", "run", "--bundle", bundle, id]
    case "crun": return ["crun", "--root", roots + "/crun", "run", "--bundle", bundle, id]
    case "unshare": return ["unshare", "-pmuin", "--fork", "true"]
    default: die("unknown runtime \(runtime)")
    }
}
let runtimes = o.runtimes + ["unshare"]
// Warm up (page cache, first cgroup creation), and check every runtime works.
for rt in runtimes {
    for _ in 0..<3 {
        let (_, code) = measure(command(rt))
        if code != 0 { die("\(rt) failed (exit \(code)) on \(bundle); run it by hand to see why") }
    }
}
// Each round runs the runtimes in a new random order: one runtime's start can
// change the next one's cost (a cgroup.procs write right after another
// runtime's skips the RCU grace period the first one waited for), so no
// runtime always follows the same neighbour.
func sample(_ rt: String) {
    if o.pause > 0 { usleep(UInt32(o.pause) * 1000) }
    let (s, code) = measure(command(rt))
    if code != 0 { die("\(rt) failed (exit \(code))") }
    samples[rt, default: []].append(s)
}
if o.order == "blocks" {
    for rt in runtimes { for _ in 0..<o.runs { sample(rt) } }
} else {
    for _ in 0..<o.runs { for rt in runtimes.shuffled() { sample(rt) } }
}

print("variant: \(o.variant), \(o.runs) starts each of `run` of /bin/true in the busybox bundle, " + (o.order == "blocks" ? "each runtime's back to back" : "runtimes in random order each round")
      + (o.pause > 0 ? ", \(o.pause) ms apart" : ""))
print("runtime     wall ms   cpu ms   peak RSS MiB   wall vs swiftbox")
let base = median(samples["swiftbox"]?.map(\.wall) ?? [])
for rt in runtimes {
    let s = samples[rt] ?? []
    let w = median(s.map(\.wall)), c = median(s.map(\.cpu)), m = median(s.map(\.rss))
    let ratio = base.isNaN ? "" : fmt(w / base, 2) + "x"
    func pad(_ t: String, _ n: Int) -> String { t + String(repeating: " ", count: max(1, n - t.count)) }
    print(pad(rt, 12) + pad(fmt(w), 10) + pad(fmt(c), 9) + pad(fmt(m), 15) + ratio)
}
if let sw = samples["swiftbox"] {
    let w = median(sw.map(\.wall)), m = median(sw.map(\.rss))
    for other in ["crun", "runc"] where samples[other] != nil {
        let ow = median(samples[other]!.map(\.wall)), om = median(samples[other]!.map(\.rss))
        print("swiftbox/\(other): wall \(fmt(w / ow, 2)), peak RSS \(fmt(m / om, 2))")
    }
}
