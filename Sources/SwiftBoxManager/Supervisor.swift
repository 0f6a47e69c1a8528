#if canImport(Glibc)
import Glibc
#endif
import CSwiftBox
import SwiftBoxLinux
import SwiftBoxOCI
import SwiftBoxRuntime

/// The supervision loop of one project: starts instances in dependency order,
/// watches them (pidfds), restarts them with backoff, runs health checks,
/// carries out requests, persists its state and stops everything on shutdown.
///
/// Everything here runs on one thread; other threads talk to it through
/// `enqueue`, which wakes the loop through a pipe.
final class Supervisor {
    enum Command {
        case stop(String), restart(String), scale(String, Int), shutdown
    }

    /// Written to the wake pipe by signal handlers to ask for shutdown.
    static let shutdownByte: UInt8 = 0xFF

    let file: ServiceFile
    let options: ServiceManager.Options
    let dir: ProjectDirectory
    var services: [String: ServiceDefinition] = [:]
    var order: [String] = []
    var replicas: [String: Int] = [:]
    var instances: [String: Instance] = [:]
    var stoppedByUser = Set<String>()
    var shuttingDown = false
    var clean = true
    var dirty = true
    var ready = false
    let wake: (read: Int32, write: Int32)
    var listener: Int32 = -1
    var lockFD: Int32 = -1
    var outputFD: Int32 = 1
    var messageFD: Int32 = 2
    var nameWidth = 0
    /// Requests waiting for their effect: checked after every loop pass.
    var pending: [(done: () -> ControlReply?, reply: (ControlReply) -> Void)] = []

    var queueLock = pthread_mutex_t()
    var queue: [(Command, ((ControlReply) -> Void)?)] = []
    let onEvent: (ServiceEvent) -> Void
    /// Exit statuses collected by a reap-all pass, by pid.
    var reaped: [Int32: Int32] = [:]

    init(file: ServiceFile, options: ServiceManager.Options, onEvent: @escaping (ServiceEvent) -> Void) throws {
        self.file = file
        self.options = options
        self.onEvent = onEvent
        dir = ProjectDirectory(root: options.root, project: file.project)
        wake = try Sys.pipe()
        pthread_mutex_init(&queueLock, nil)
        for s in file.startOrder {
            services[s.name] = s
            order.append(s.name)
            replicas[s.name] = s.replicas
        }
        nameWidth = file.services.map { "\($0.name)-\(max($0.replicas, 1))".count }.max() ?? 0
    }

    deinit {
        close(wake.read); close(wake.write)
        if listener >= 0 { close(listener) }
        if lockFD >= 0 { close(lockFD) }
    }

    // MARK: requests from other threads

    func enqueue(_ c: Command, reply: ((ControlReply) -> Void)? = nil) {
        pthread_mutex_lock(&queueLock)
        queue.append((c, reply))
        pthread_mutex_unlock(&queueLock)
        var b: UInt8 = 1
        _ = write(wake.write, &b, 1)
    }

    // MARK: setup

    /// Takes the project lock, adopts containers left by an earlier supervisor
    /// and opens the control socket. Throws if another supervisor runs.
    func prepare() throws {
        try FS.mkdirAll(dir.path, mode: 0o700)
        try FS.mkdirAll(dir.logs, mode: 0o755)
        lockFD = open(dir.lockFile, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        if lockFD < 0 { throw SwiftBoxError.system("open \(dir.lockFile)") }
        if flock(lockFD, LOCK_EX | LOCK_NB) != 0 {
            let other = dir.load().map { " (pid \($0.supervisorPid))" } ?? ""
            throw SwiftBoxError("a supervisor for project \"\(file.project)\" is already running\(other); use `swiftbox ps`, or `swiftbox down \(file.path)` to stop it")
        }
        let (out, err) = ContainerStdio.setUp()
        outputFD = options.outputFD ?? out
        messageFD = options.messageFD ?? err
        // The exec'd health checks are grandchildren: become their subreaper to collect them.
        _ = sb_child_subreaper()
        try adopt()
        listener = try ControlChannel.listen(at: dir.controlSocket)
        save()
    }

    /// Picks up where a killed supervisor left off: running containers of this
    /// project are adopted, others are removed (and started again by policy).
    func adopt() throws {
        let old = dir.load()
        if let old, old.file == file.path {
            for (s, n) in old.replicas where services[s] != nil { replicas[s] = n }
            stoppedByUser = Set(old.stoppedByUser)
        }
        let previous = Dictionary((old?.instances ?? []).map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for id in options.root.ids() {
            guard let record = try? options.root.load(id), record.annotations?[InstanceSpec.projectKey] == file.project,
                  let service = record.annotations?[InstanceSpec.serviceKey],
                  let index = record.annotations?[InstanceSpec.indexKey].flatMap(Int.init) else { continue }
            let container = Container(id: id, root: options.root)
            let live = options.root.status(of: record)
            let wanted = services[service] != nil && index <= (replicas[service] ?? 0) && !stoppedByUser.contains(id)
            if live == .running && wanted {
                let inst = Instance(service: service, index: index)
                if let p = previous[id] {
                    inst.status.restarts = p.restarts
                    inst.status.startedAt = p.startedAt
                    inst.status.health = p.health
                }
                inst.status.phase = .running
                inst.status.pid = record.pid
                inst.startedMono = monotonicNow() - max(0, wallNow() - (inst.status.startedAt ?? wallNow()))
                inst.pidfd = sb_pidfd_open(record.pid)
                if let h = services[service]?.healthcheck { inst.nextProbe = monotonicNow() + h.interval }
                if options.showOutput { inst.log = LogTail(path: dir.log(of: id)) }
                instances[id] = inst
                say("\(id): adopted running container (pid \(record.pid))")
            } else {
                try? container.kill(signal: SIGKILL, all: true)
                try? container.delete(force: true)
                try? options.images.releaseRootfs(container: id, scratch: dir.container(id))
                say("\(id): removed leftover container (\(live.rawValue))")
            }
        }
        for (id, p) in previous where instances[id] == nil && stoppedByUser.contains(id) && services[p.service] != nil {
            let inst = Instance(service: p.service, index: p.index)
            inst.status = p
            inst.status.phase = .stopped
            inst.status.pid = 0
            instances[id] = inst
        }
    }

    // MARK: the loop

    /// Runs until shutdown has stopped every instance. Returns whether all stopped cleanly.
    func run() -> Bool {
        // Containers inherit the signal mask of the thread that clones them; a
        // mask inherited from our own parent (test runners, `runc run`-style
        // waiters block everything) would make them deaf to their stop signal.
        var none = sigset_t()
        sigemptyset(&none)
        pthread_sigmask(SIG_SETMASK, &none, nil)
        while true {
            takeCommands()
            reconcile()
            if shuttingDown && instances.isEmpty { break }
            completePending()
            if dirty { save() }
            waitForActivity()
            collectExits()
            timers()
            printOutput()
        }
        completePending()
        finish()
        onEvent(.finished(clean: clean))
        return clean
    }

    func waitForActivity() {
        let now = monotonicNow()
        var deadline = Double.infinity
        for i in instances.values {
            switch i.status.phase {
            case .restarting: deadline = min(deadline, i.nextStart)
            case .stopping: if let d = i.stopDeadline { deadline = min(deadline, d) }
            case .running:
                if let p = i.probe { deadline = min(deadline, p.deadline) }
                else if services[i.status.service]?.healthcheck != nil { deadline = min(deadline, i.nextProbe) }
            default: break
            }
        }
        if options.showOutput { deadline = min(deadline, now + 0.2) }
        if !pending.isEmpty { deadline = min(deadline, now + 0.05) }
        var fds = [pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0)]
        if listener >= 0 { fds.append(pollfd(fd: listener, events: Int16(POLLIN), revents: 0)) }
        for i in instances.values {
            if i.pidfd >= 0 { fds.append(pollfd(fd: i.pidfd, events: Int16(POLLIN), revents: 0)) }
            if let p = i.probe { fds.append(pollfd(fd: p.pidfd, events: Int16(POLLIN), revents: 0)) }
        }
        let timeout: Int32 = deadline == .infinity ? -1 : Int32(max(0, min(60, deadline - now)) * 1000) + 1
        _ = poll(&fds, nfds_t(fds.count), timeout)
        if fds[0].revents != 0 {
            var buf = [UInt8](repeating: 0, count: 256)
            let n = read(wake.read, &buf, buf.count)
            // 0xFF is the shutdown byte a signal handler writes; a second one kills.
            if n > 0 && buf[0..<n].contains(Supervisor.shutdownByte) {
                if shuttingDown {
                    for i in instances.values where i.status.phase == .stopping { i.stopDeadline = 0 }
                } else {
                    beginShutdown()
                }
            }
        }
        if listener >= 0 && fds.count > 1 && fds[1].revents != 0 { acceptRequests() }
    }

    func takeCommands() {
        pthread_mutex_lock(&queueLock)
        let taken = queue
        queue = []
        pthread_mutex_unlock(&queueLock)
        for (c, reply) in taken { handle(c, reply: reply ?? { _ in }) }
    }

    func acceptRequests() {
        while let (fd, request) = ControlChannel.accept(listener) {
            guard let request else {
                ControlChannel.reply(fd, ControlReply(ok: false, message: "unreadable request")); continue
            }
            let reply: (ControlReply) -> Void = { ControlChannel.reply(fd, $0) }
            switch request.op {
            case "stop": handle(.stop(request.name ?? ""), reply: reply)
            case "restart": handle(.restart(request.name ?? ""), reply: reply)
            case "scale": handle(.scale(request.name ?? "", request.replicas ?? -1), reply: reply)
            case "down": handle(.shutdown, reply: reply)
            default: reply(ControlReply(ok: false, message: "unknown request \"\(request.op)\""))
            }
        }
    }

    /// The instances a name means: one instance (`web-2`) or all of a service (`web`).
    func targets(_ name: String) -> [Instance]? {
        if let i = instances[name] { return [i] }
        if services[name] != nil { return instances.values.filter { $0.status.service == name }.sorted { $0.status.index < $1.status.index } }
        return nil
    }

    func handle(_ c: Command, reply: @escaping (ControlReply) -> Void) {
        switch c {
        case .shutdown:
            beginShutdown()
            pending.append((done: { [unowned self] in self.instances.isEmpty ? ControlReply(ok: true, message: "stopped \(self.file.project)") : nil }, reply: reply))
        case .stop(let name):
            guard let list = targets(name) else { return reply(ControlReply(ok: false, message: "no instance or service \"\(name)\" in project \(file.project)")) }
            for i in list {
                stoppedByUser.insert(i.id)
                stop(i, then: .stay)
            }
            let ids = list.map(\.id)
            pending.append((done: { [unowned self] in
                ids.allSatisfy { [.stopped, .exited, .failed].contains(self.instances[$0]?.status.phase ?? .stopped) }
                    ? ControlReply(ok: true, message: "stopped \(ids.joined(separator: ", "))") : nil
            }, reply: reply))
            dirty = true
        case .restart(let name):
            guard let list = targets(name) else { return reply(ControlReply(ok: false, message: "no instance or service \"\(name)\" in project \(file.project)")) }
            var ids: [String] = []
            for i in list {
                stoppedByUser.remove(i.id)
                i.status.consecutiveFailures = 0
                if [.running, .starting].contains(i.status.phase) { stop(i, then: .restart) } else { i.status.phase = .waiting; i.status.message = nil }
                ids.append(i.id)
            }
            let since = monotonicNow()
            pending.append((done: { [unowned self] in
                let settled = ids.allSatisfy { id in
                    guard let i = self.instances[id] else { return true }
                    return (i.status.phase == .running && i.startedMono >= since) || [.failed, .exited].contains(i.status.phase)
                }
                return settled ? ControlReply(ok: true, message: "restarted \(ids.joined(separator: ", "))") : nil
            }, reply: reply))
            dirty = true
        case .scale(let service, let n):
            guard services[service] != nil else { return reply(ControlReply(ok: false, message: "no service \"\(service)\" in project \(file.project)")) }
            guard n >= 0 else { return reply(ControlReply(ok: false, message: "replicas must be 0 or more")) }
            replicas[service] = n
            for i in instances.values where i.status.service == service && i.status.index > n { stoppedByUser.remove(i.id) }
            pending.append((done: { [unowned self] in
                let mine = self.instances.values.filter { $0.status.service == service }
                let settled = mine.count == n && mine.allSatisfy { $0.status.phase != .starting && $0.status.phase != .stopping }
                return settled ? ControlReply(ok: true, message: "\(service) scaled to \(n)") : nil
            }, reply: reply))
            dirty = true
        }
    }

    func completePending() {
        var keep: [(done: () -> ControlReply?, reply: (ControlReply) -> Void)] = []
        for p in pending {
            if let r = p.done() { p.reply(r) } else { keep.append(p) }
        }
        pending = keep
    }

    // MARK: reconciling

    func beginShutdown() {
        if shuttingDown { return }
        shuttingDown = true
        say("stopping \(file.project)")
        dirty = true
    }

    func reconcile() {
        if shuttingDown {
            // Dependents stop before what they depend on.
            let live = Set(instances.values.filter { [.running, .starting, .stopping].contains($0.status.phase) }.map(\.status.service))
            for i in Array(instances.values) {
                let dependents = order.filter { s in services[s]?.dependsOn.contains { $0.service == i.status.service } ?? false }
                if dependents.contains(where: live.contains) && i.status.phase != .stopping { continue }
                stop(i, then: .remove)
            }
            return
        }
        for name in order {
            let s = services[name]!
            let n = replicas[name] ?? 0
            if n > 0 {
                for k in 1...n where instances["\(name)-\(k)"] == nil {
                    instances["\(name)-\(k)"] = Instance(service: name, index: k)
                    dirty = true
                }
            }
            for i in instances.values where i.status.service == name && i.status.index > n { stop(i, then: .remove) }
            let now = monotonicNow()
            for i in instances.values.filter({ $0.status.service == name }).sorted(by: { $0.status.index < $1.status.index }) {
                switch i.status.phase {
                case .waiting:
                    if let blocker = s.dependsOn.first(where: { !satisfied($0) }) {
                        let msg = "waiting for \(blocker.service) (\(blocker.condition.rawValue))"
                        if i.status.message != msg { i.status.message = msg; changed(i) }
                    } else {
                        launch(i, s)
                    }
                case .restarting where i.nextStart <= now:
                    launch(i, s)
                default: break
                }
            }
        }
        // Launches happen in dependency order within one pass, so after the first
        // pass everything that can start has started.
        if !ready { ready = true; dirty = true }
    }

    func satisfied(_ d: Dependency) -> Bool {
        let list = instances.values.filter { $0.status.service == d.service }
        if list.count < (replicas[d.service] ?? 0) { return false }
        switch d.condition {
        case .started: return list.allSatisfy { $0.status.phase == .running }
        case .healthy: return list.allSatisfy { $0.status.phase == .running && $0.status.health == .healthy }
        case .completed: return list.allSatisfy { $0.completed }
        }
    }

    // MARK: starting and stopping

    func launch(_ i: Instance, _ s: ServiceDefinition) {
        let id = i.id
        i.status.phase = .starting
        i.status.message = nil
        i.completed = false
        let scratch = dir.container(id)
        let container = Container(id: id, root: options.root)
        do {
            if (try? options.root.load(id)) != nil {
                // A container of this name exists: ours from an earlier run, or someone else's.
                let r = try options.root.load(id)
                guard r.annotations?[InstanceSpec.projectKey] == file.project else {
                    throw SwiftBoxError("container \"\(id)\" already exists under \(options.root.path) and does not belong to project \(file.project)")
                }
                try container.delete(force: true)
            }
            try FS.mkdirAll(scratch, mode: 0o711)
            let rootfs = try options.images.prepareRootfs(image: s.image, relativeTo: s.baseDirectory, container: id,
                                                           readOnly: s.readonlyRootfs, scratch: scratch)
            let defaults = try options.images.defaults(of: s.image, relativeTo: s.baseDirectory)
            let spec = try InstanceSpec.make(s, index: i.status.index, project: file.project, rootfs: rootfs,
                                             volumes: dir.volumes, image: defaults)
            i.stopSignal = s.stopSignal ?? defaults?.stopSignal ?? SIGTERM
            try FS.writeAtomically(scratch + "/config.json", try JSONDocument.encode(spec), mode: 0o600)
            let logPath = dir.log(of: id)
            if options.showOutput && i.log == nil { i.log = LogTail(path: logPath) }
            let logFD = open(logPath, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
            if logFD < 0 { throw SwiftBoxError.system("open log file \(logPath)") }
            defer { close(logFD) }
            let created = try Container.create(id: id, bundle: scratch, options: CreateOptions(
                root: options.root, stdio: [ContainerStdio.devNull, logFD, logFD], initExecutable: options.initExecutable,
                newSession: true))
            let pid = try created.record().pid
            do {
                if s.network == .private { try Loopback.bringUp(inNetworkOf: pid) }
                try created.start()
            } catch {
                try? created.delete(force: true)
                throw error
            }
            i.status.pid = pid
            i.ownChild = true
            i.pidfd = sb_pidfd_open(pid)
            i.status.phase = .running
            i.status.startedAt = wallNow()
            i.startedMono = monotonicNow()
            i.status.exitCode = nil
            i.killed = false
            i.healthFailures = 0
            if let h = s.healthcheck {
                i.status.health = .starting
                i.nextProbe = i.startedMono + h.interval
            } else {
                i.status.health = .none
            }
            say("\(id): started (pid \(pid))")
        } catch {
            try? options.images.releaseRootfs(container: id, scratch: scratch)
            i.status.message = "\(error)"
            say("\(id): cannot start: \(error)")
            exited(i, code: nil, ranFor: 0)
            return
        }
        changed(i)
    }

    /// Asks an instance to stop (its stop signal, SIGKILL after stopTimeout).
    func stop(_ i: Instance, then after: Instance.AfterStop) {
        switch i.status.phase {
        case .running, .starting:
            i.afterStop = after
            let s = services[i.status.service]
            let sig = i.stopSignal
            let container = Container(id: i.id, root: options.root)
            do { try container.kill(signal: sig) } catch {
                try? container.kill(signal: SIGKILL, all: true)
            }
            i.status.phase = .stopping
            i.stopDeadline = monotonicNow() + (s?.stopTimeout ?? 10)
            i.status.message = "sent \(Signals.name(sig))"
            changed(i)
        case .stopping:
            if after == .remove || i.afterStop == .stay { i.afterStop = after }
        default:
            i.closeFDs()
            if after == .remove {
                instances[i.id] = nil
                onEvent(.removed(name: i.id))
                dirty = true
            } else if after == .stay {
                i.status.phase = .stopped
                i.status.message = nil
                changed(i)
            }
        }
    }

    func timers() {
        let now = monotonicNow()
        for i in Array(instances.values) {
            if i.status.phase == .stopping, let d = i.stopDeadline, d <= now, !i.killed {
                i.killed = true
                clean = false
                say("\(i.id): did not stop within \(Quantity.describe(seconds: services[i.status.service]?.stopTimeout ?? 10)); sending KILL")
                try? Container(id: i.id, root: options.root).kill(signal: SIGKILL, all: true)
                i.status.message = "sent KILL"
                changed(i)
            }
            if i.status.phase == .running, let h = services[i.status.service]?.healthcheck {
                if let p = i.probe, p.deadline <= now { kill(p.pid, SIGKILL) }
                if i.probe == nil && i.nextProbe <= now { startProbe(i, h) }
            }
        }
    }

    // MARK: exits

    func collectExits() {
        if options.reapAllChildren {
            while true {
                var st: Int32 = 0
                let pid = waitpid(-1, &st, WNOHANG)
                if pid <= 0 { break }
                reaped[pid] = st
            }
        }
        for i in Array(instances.values) {
            if let p = i.probe, readable(p.pidfd) { probeEnded(i) }
            guard i.pidfd >= 0 || i.status.phase == .running || i.status.phase == .stopping else { continue }
            let gone: Bool
            if i.pidfd >= 0 { gone = readable(i.pidfd) } else {
                gone = !Sys.alive(i.status.pid) || Sys.processState(of: i.status.pid) == "Z"
            }
            if !gone { continue }
            var code: Int32?
            if let st = reaped.removeValue(forKey: i.status.pid) { code = Sys.exitCode(st) }
            else if i.ownChild {
                var st: Int32 = 0
                if waitpid(i.status.pid, &st, WNOHANG) == i.status.pid { code = Sys.exitCode(st) }
            }
            let ranFor = monotonicNow() - i.startedMono
            if let p = i.probe { close(p.pidfd); kill(p.pid, SIGKILL); i.probe = nil }
            if i.pidfd >= 0 { close(i.pidfd); i.pidfd = -1 }
            let container = Container(id: i.id, root: options.root)
            do { try container.delete(force: true) } catch { say("\(i.id): cannot remove its container: \(error)") }
            try? options.images.releaseRootfs(container: i.id, scratch: dir.container(i.id))
            i.status.pid = 0
            exited(i, code: code, ranFor: ranFor)
        }
    }

    func readable(_ fd: Int32) -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&p, 1, 0) > 0
    }

    /// Decides what happens after an instance's container ended (or could not start).
    func exited(_ i: Instance, code: Int32?, ranFor: Double) {
        i.status.exitCode = code
        i.status.health = services[i.status.service]?.healthcheck == nil ? .none : i.status.health
        let how = code.map { "exited with status \($0)" } ?? (ranFor > 0 ? "exited (status unknown)" : "failed to start")
        if i.status.phase == .stopping {
            i.stopDeadline = nil
            switch i.afterStop {
            case .remove:
                printOutput(of: i)
                instances[i.id] = nil
                say("\(i.id): \(how); removed")
                onEvent(.removed(name: i.id))
                dirty = true
                return
            case .restart:
                i.status.restarts += 1
                i.status.phase = .waiting
                i.status.message = nil
                say("\(i.id): \(how); restarting")
            case .stay:
                i.status.phase = .stopped
                i.status.message = nil
                say("\(i.id): \(how); stopped")
            }
            i.afterStop = .stay
            changed(i)
            return
        }
        if shuttingDown {
            instances[i.id] = nil
            onEvent(.removed(name: i.id))
            dirty = true
            return
        }
        guard let s = services[i.status.service] else { return }
        let success = code == 0
        if ranFor >= 10 { i.status.consecutiveFailures = 0 }
        let restart: Bool
        switch s.restart.condition {
        case .no: restart = false
        case .onFailure: restart = !success
        case .always, .unlessStopped: restart = true
        }
        if !restart {
            i.completed = success
            i.status.phase = success ? .exited : .failed
            if !success && i.status.message == nil { i.status.message = how }
            if success { i.status.message = nil }
            say("\(i.id): \(how)")
            changed(i)
            return
        }
        i.status.consecutiveFailures += 1
        if let max = s.restart.maxRetries, i.status.consecutiveFailures > max {
            i.status.phase = .failed
            i.status.message = "\(how); gave up after \(max) restart\(max == 1 ? "" : "s")"
            say("\(i.id): \(i.status.message!)")
            changed(i)
            return
        }
        let delay = s.restart.backoff(afterFailures: i.status.consecutiveFailures)
        i.nextStart = monotonicNow() + delay
        i.status.restarts += 1
        i.status.phase = .restarting
        let loop = i.status.consecutiveFailures >= 3 ? "crash loop, " : ""
        i.status.message = "\(how); \(loop)restart \(i.status.restarts) in \(Quantity.describe(seconds: delay))"
        say("\(i.id): \(i.status.message!)")
        changed(i)
    }

    // MARK: health checks

    func startProbe(_ i: Instance, _ h: HealthCheck) {
        let container = Container(id: i.id, root: options.root)
        do {
            var p = try container.baseProcess()
            p.args = h.command
            p.terminal = false
            let null = ContainerStdio.devNull
            let pid = try container.exec(p, options: ExecOptions(detach: true, stdio: [null, null, null],
                                                                 initExecutable: options.initExecutable))
            let fd = sb_pidfd_open(pid)
            if fd < 0 { throw SwiftBoxError.system("open a pidfd for health check process \(pid)") }
            i.probe = (pid, fd, monotonicNow() + h.timeout)
        } catch {
            healthResult(i, h, passed: false, detail: "\(error)")
        }
    }

    func probeEnded(_ i: Instance) {
        guard let p = i.probe, let h = services[i.status.service]?.healthcheck else { return }
        close(p.pidfd)
        i.probe = nil
        var code: Int32 = 255
        if let st = reaped.removeValue(forKey: p.pid) { code = Sys.exitCode(st) }
        else {
            var st: Int32 = 0
            if waitpid(p.pid, &st, WNOHANG) == p.pid { code = Sys.exitCode(st) }
        }
        let timedOut = monotonicNow() >= p.deadline
        healthResult(i, h, passed: code == 0 && !timedOut,
                     detail: timedOut ? "timed out after \(Quantity.describe(seconds: h.timeout))" : "exit status \(code)")
    }

    func healthResult(_ i: Instance, _ h: HealthCheck, passed: Bool, detail: String) {
        i.nextProbe = monotonicNow() + h.interval
        guard i.status.phase == .running else { return }
        if passed {
            i.healthFailures = 0
            if i.status.health != .healthy {
                i.status.health = .healthy
                i.status.message = nil
                say("\(i.id): healthy")
                changed(i)
            }
            return
        }
        if monotonicNow() - i.startedMono < h.startPeriod { return }
        i.healthFailures += 1
        if i.healthFailures < h.retries { return }
        i.status.health = .unhealthy
        i.status.message = "health check failed \(i.healthFailures) times (\(detail))"
        say("\(i.id): unhealthy: \(i.status.message!)")
        changed(i)
        if services[i.status.service]?.restart.condition != .no {
            i.status.consecutiveFailures += 1
            stop(i, then: .restart)
        }
    }

    // MARK: output, events, state

    func printOutput() {
        for i in instances.values.sorted(by: { $0.id < $1.id }) { printOutput(of: i) }
    }

    /// Prints what an instance wrote since last time (also its last words,
    /// just before it is removed).
    func printOutput(of i: Instance) {
        guard options.showOutput, let tail = i.log else { return }
        for line in tail.lines() {
            let prefix = i.id + String(repeating: " ", count: max(0, nameWidth - i.id.count)) + " | "
            try? FS.writeAll(fd: outputFD, Array(prefix.utf8) + line + [0x0A], what: "output")
        }
    }

    func say(_ message: String) {
        guard options.showMessages else { return }
        try? FS.writeAll(fd: messageFD, Array("swiftbox: \(message)\n".utf8), what: "message")
    }

    func changed(_ i: Instance) {
        dirty = true
        onEvent(.instance(i.status))
    }

    func snapshot() -> ProjectState {
        ProjectState(project: file.project, file: file.path, supervisorPid: getpid(),
                     phase: shuttingDown ? .stopping : (ready ? .running : .starting),
                     replicas: replicas, stoppedByUser: stoppedByUser.sorted(),
                     instances: instances.values.map(\.status).sorted { ($0.service, $0.index) < ($1.service, $1.index) })
    }

    func save() {
        dirty = false
        do { try FS.writeAtomically(dir.stateFile, try JSONDocument.encode(snapshot(), pretty: true), mode: 0o644) } catch {
            say("cannot save state: \(error)")
        }
    }

    /// Removes the project folder (logs included) once everything has stopped.
    func finish() {
        printOutput()
        for i in instances.values { i.closeFDs() }
        if listener >= 0 { close(listener); listener = -1 }
        unlink(dir.controlSocket)
        if (try? FS.list(dir.path + "/containers"))?.isEmpty ?? true {
            // The lock file goes last: while it exists, ps and down see this supervisor.
            for name in (try? FS.list(dir.path)) ?? [] where name != "supervisor.lock" { try? FS.removeAll(dir.path + "/" + name) }
            unlink(dir.lockFile)
            rmdir(dir.path)
        } else {
            say("keeping \(dir.path): some container folders could not be removed")
        }
        say("stopped \(file.project)\(clean ? "" : " (not cleanly)")")
    }
}
