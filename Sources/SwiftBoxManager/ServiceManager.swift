#if canImport(Glibc)
import Glibc
#endif
import SwiftBoxLinux
import SwiftBoxOCI
import SwiftBoxRuntime

/// Runs the services of a `service.json` as supervised containers: instance
/// `i` of service `s` is container `s-i`.
///
/// ```swift
/// let manager = ServiceManager(file: try ServiceFile.load("web.json"))
/// try manager.start()                       // supervises on its own thread
/// Task { for await e in manager.events { print(e) } }
/// try manager.scale("web", to: 5)
/// let clean = manager.shutdown()            // stop signal, timeout, SIGKILL
/// ```
///
/// One manager per project and state root: a second one (in any process)
/// fails to start while the first runs. A manager started after one was
/// killed adopts the containers that are still running.
///
/// Process-wide effects: the manager makes the process a child subreaper (to
/// collect its health checks) and, for the milliseconds of each container
/// create or health-check exec, points descriptors 0–2 at the instance's log.
public final class ServiceManager: @unchecked Sendable {
    /// How a manager runs.
    public struct Options: @unchecked Sendable {
        /// Where containers live; the manager keeps its state in `<root>/services/<project>`.
        public var root: StateRoot
        /// Resolves `image` values into root filesystems.
        public var images: any ImageProvider
        /// Print each instance's output as `name | line` on `outputFD`.
        public var showOutput: Bool
        /// Print what the supervisor does (started, exited, restarting…) on `messageFD`.
        public var showMessages: Bool
        /// Where output goes (default: the process's stdout at start).
        public var outputFD: Int32?
        /// Where messages go (default: the process's stderr at start).
        public var messageFD: Int32?
        /// Reap every child of the process (only for a process that is nothing but a supervisor).
        public var reapAllChildren: Bool
        /// The swiftbox executable that runs as each container's init (and
        /// health-check helper); nil: this process's own executable, which
        /// must then dispatch `init` in its `main` as swiftbox's does.
        public var initExecutable: String?

        public init(root: StateRoot = StateRoot(), images: any ImageProvider = StoreImageProvider(),
                    showOutput: Bool = false, showMessages: Bool = false, outputFD: Int32? = nil,
                    messageFD: Int32? = nil, reapAllChildren: Bool = false, initExecutable: String? = nil) {
            self.root = root; self.images = images; self.showOutput = showOutput; self.showMessages = showMessages
            self.outputFD = outputFD; self.messageFD = messageFD; self.reapAllChildren = reapAllChildren
            self.initExecutable = initExecutable
        }
    }

    /// The services being run.
    public let file: ServiceFile
    public let options: Options
    /// Every change of every instance, then `.finished`.
    public let events: AsyncStream<ServiceEvent>
    private let continuation: AsyncStream<ServiceEvent>.Continuation
    private var supervisor: Supervisor?
    private var thread: pthread_t?
    private var lock = pthread_mutex_t()
    private var latest: [String: InstanceStatus] = [:]
    private var result: Bool?

    /// A manager for a checked service file.
    public init(file: ServiceFile, options: Options = Options()) {
        self.file = file
        self.options = options
        (events, continuation) = AsyncStream<ServiceEvent>.makeStream(bufferingPolicy: .bufferingNewest(4096))
        pthread_mutex_init(&lock, nil)
    }

    private func makeSupervisor() throws -> Supervisor {
        guard supervisor == nil else { throw SwiftBoxError("the manager of \(file.project) was already started") }
        let s = try Supervisor(file: file, options: options) { [weak self] event in self?.record(event) }
        try s.prepare()
        supervisor = s
        return s
    }

    private func record(_ event: ServiceEvent) {
        pthread_mutex_lock(&lock)
        switch event {
        case .instance(let st): latest[st.name] = st
        case .removed(let name): latest[name] = nil
        case .finished(let clean): result = clean
        }
        pthread_mutex_unlock(&lock)
        continuation.yield(event)
        if case .finished = event { continuation.finish() }
    }

    /// Starts every instance (in dependency order) and supervises them on a
    /// thread of its own. Throws if another supervisor runs this project.
    public func start() throws {
        let s = try makeSupervisor()
        let box = Unmanaged.passRetained(s).toOpaque()
        var tid = pthread_t()
        let rc = pthread_create(&tid, nil, { arg in
            let s = Unmanaged<Supervisor>.fromOpaque(arg!).takeRetainedValue()
            _ = s.run()
            return nil
        }, box)
        if rc != 0 {
            Unmanaged<Supervisor>.fromOpaque(box).release()
            throw SwiftBoxError.system("start the supervisor thread", errno: rc)
        }
        thread = tid
    }

    /// Supervises on the calling thread until shutdown; returns whether every
    /// instance stopped cleanly (on its stop signal, none failed).
    public func run() throws -> Bool {
        try prepare()
        return runPrepared()
    }

    /// The first half of `run`: checks that no other supervisor runs this
    /// project, adopts leftover containers and opens the control socket.
    public func prepare() throws { _ = try makeSupervisor() }

    /// The second half of `run`: supervises on the calling thread until shutdown.
    public func runPrepared() -> Bool { supervisor?.run() ?? false }

    /// Waits for a manager started with `start()` to finish; returns whether it stopped cleanly.
    public func wait() -> Bool {
        if let t = thread { pthread_join(t, nil); thread = nil }
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        return result ?? false
    }

    /// The latest status of every instance.
    public func status() -> [InstanceStatus] {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        return latest.values.sorted { ($0.service, $0.index) < ($1.service, $1.index) }
    }

    /// Sets the number of instances of a service; returns once they started or stopped.
    public func scale(_ service: String, to replicas: Int) throws { try request(.scale(service, replicas)) }
    /// Stops an instance (`web-2`) or every instance of a service (`web`); they stay stopped.
    public func stop(_ name: String) throws { try request(.stop(name)) }
    /// Stops and starts again an instance or every instance of a service.
    public func restart(_ name: String) throws { try request(.restart(name)) }

    /// Asks the manager to stop everything without waiting (safe from a signal-driven thread).
    public func requestShutdown() { supervisor?.enqueue(.shutdown) }

    /// Stops every instance (dependents first; stop signal, then SIGKILL after
    /// the stop timeout), removes the containers and waits for the manager.
    @discardableResult
    public func shutdown() -> Bool {
        requestShutdown()
        return wait()
    }

    private func request(_ c: Supervisor.Command) throws {
        guard let s = supervisor else { throw SwiftBoxError("the manager of \(file.project) is not running; call start() first") }
        let done = OneShot<ControlReply>()
        s.enqueue(c) { done.set($0) }
        let reply = done.get()
        if !reply.ok { throw SwiftBoxError(reply.message) }
    }

    /// A descriptor a signal handler may write the byte 0xFF to (an
    /// async-signal-safe way to ask for shutdown; a second 0xFF sends SIGKILL
    /// to instances that are still stopping). -1 before `start`/`run`.
    public var shutdownFD: Int32 { supervisor?.wake.write ?? -1 }
}

/// A value handed from one thread to another once.
final class OneShot<T>: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    private var cond = pthread_cond_t()
    private var value: T?
    init() { pthread_mutex_init(&mutex, nil); pthread_cond_init(&cond, nil) }
    func set(_ v: T) {
        pthread_mutex_lock(&mutex); value = v; pthread_cond_broadcast(&cond); pthread_mutex_unlock(&mutex)
    }
    func get() -> T {
        pthread_mutex_lock(&mutex)
        while value == nil { pthread_cond_wait(&cond, &mutex) }
        let v = value!
        pthread_mutex_unlock(&mutex)
        return v
    }
}
