// Reading config.json without Codable (see JSONReader.swift for why). Each
// initializer reads the same fields, with the same names and types, as the
// type's Codable conformance; a test decodes full configs both ways and
// compares them.

extension Spec: JSONReadable {
    public init(json j: JSONObject) throws {
        ociVersion = try j.string(required: "ociVersion")
        root = try j.object("root", Root.init(json:))
        mounts = try j.objects("mounts", Mount.init(json:))
        process = try j.object("process", Process.init(json:))
        hostname = try j.string("hostname")
        domainname = try j.string("domainname")
        hooks = try j.object("hooks", Hooks.init(json:))
        annotations = try j.stringMap("annotations")
        linux = try j.object("linux", Linux.init(json:))
    }
}

extension Root: JSONReadable {
    public init(json j: JSONObject) throws {
        path = try j.string(required: "path")
        readonly = try j.bool("readonly")
    }
}

extension Mount: JSONReadable {
    public init(json j: JSONObject) throws {
        destination = try j.string(required: "destination")
        type = try j.string("type")
        source = try j.string("source")
        options = try j.strings("options")
        uidMappings = try j.objects("uidMappings", IDMapping.init(json:))
        gidMappings = try j.objects("gidMappings", IDMapping.init(json:))
    }
}

extension Process: JSONReadable {
    public init(json j: JSONObject) throws {
        terminal = try j.bool("terminal")
        consoleSize = try j.object("consoleSize", ConsoleSize.init(json:))
        user = try j.object(required: "user", User.init(json:))
        args = try j.strings("args")
        commandLine = try j.string("commandLine")
        env = try j.strings("env")
        cwd = try j.string(required: "cwd")
        capabilities = try j.object("capabilities", Capabilities.init(json:))
        rlimits = try j.objects("rlimits", Rlimit.init(json:))
        noNewPrivileges = try j.bool("noNewPrivileges")
        apparmorProfile = try j.string("apparmorProfile")
        oomScoreAdj = try j.integer("oomScoreAdj", Int.self)
        selinuxLabel = try j.string("selinuxLabel")
        ioPriority = try j.object("ioPriority", IOPriority.init(json:))
        scheduler = try j.object("scheduler", Scheduler.init(json:))
        execCPUAffinity = try j.object("execCPUAffinity", ExecCPUAffinity.init(json:))
    }
}

extension ConsoleSize: JSONReadable {
    public init(json j: JSONObject) throws {
        height = try j.integer(required: "height", UInt.self)
        width = try j.integer(required: "width", UInt.self)
    }
}

extension User: JSONReadable {
    public init(json j: JSONObject) throws {
        uid = try j.integer(required: "uid", UInt32.self)
        gid = try j.integer(required: "gid", UInt32.self)
        umask = try j.integer("umask", UInt32.self)
        additionalGids = try j.integers("additionalGids", UInt32.self)
        username = try j.string("username")
    }
}

extension Capabilities: JSONReadable {
    public init(json j: JSONObject) throws {
        bounding = try j.strings("bounding")
        effective = try j.strings("effective")
        inheritable = try j.strings("inheritable")
        permitted = try j.strings("permitted")
        ambient = try j.strings("ambient")
    }
}

extension Rlimit: JSONReadable {
    public init(json j: JSONObject) throws {
        type = try j.string(required: "type")
        hard = try j.integer(required: "hard", UInt64.self)
        soft = try j.integer(required: "soft", UInt64.self)
    }
}

extension IOPriority: JSONReadable {
    public init(json j: JSONObject) throws {
        `class` = try j.string(required: "class")
        priority = try j.integer("priority", Int.self)
    }
}

extension Scheduler: JSONReadable {
    public init(json j: JSONObject) throws {
        policy = try j.string(required: "policy")
        nice = try j.integer("nice", Int32.self)
        priority = try j.integer("priority", Int32.self)
        flags = try j.strings("flags")
        runtime = try j.integer("runtime", UInt64.self)
        deadline = try j.integer("deadline", UInt64.self)
        period = try j.integer("period", UInt64.self)
    }
}

extension ExecCPUAffinity: JSONReadable {
    public init(json j: JSONObject) throws {
        initial = try j.string("initial")
        final = try j.string("final")
    }
}

extension Hooks: JSONReadable {
    public init(json j: JSONObject) throws {
        prestart = try j.objects("prestart", Hook.init(json:))
        createRuntime = try j.objects("createRuntime", Hook.init(json:))
        createContainer = try j.objects("createContainer", Hook.init(json:))
        startContainer = try j.objects("startContainer", Hook.init(json:))
        poststart = try j.objects("poststart", Hook.init(json:))
        poststop = try j.objects("poststop", Hook.init(json:))
    }
}

extension Hook: JSONReadable {
    public init(json j: JSONObject) throws {
        path = try j.string(required: "path")
        args = try j.strings("args")
        env = try j.strings("env")
        timeout = try j.integer("timeout", Int.self)
    }
}

extension Linux: JSONReadable {
    /// As `init(from:)`: for container init (`parentHandled`), `resources` and
    /// `seccomp` are not read.
    public init(json j: JSONObject) throws {
        namespaces = try j.objects("namespaces", Namespace.init(json:))
        uidMappings = try j.objects("uidMappings", IDMapping.init(json:))
        gidMappings = try j.objects("gidMappings", IDMapping.init(json:))
        timeOffsets = try j.objectMap("timeOffsets", TimeOffset.init(json:))
        devices = try j.objects("devices", Device.init(json:))
        cgroupsPath = try j.string("cgroupsPath")
        rootfsPropagation = try j.string("rootfsPropagation")
        sysctl = try j.stringMap("sysctl")
        maskedPaths = try j.strings("maskedPaths")
        readonlyPaths = try j.strings("readonlyPaths")
        mountLabel = try j.string("mountLabel")
        personality = try j.object("personality", Personality.init(json:))
        intelRdt = j.value("intelRdt")
        if !j.source.parentHandled {
            resources = try j.object("resources", Resources.init(json:))
            seccomp = try j.object("seccomp", Seccomp.init(json:))
        }
    }
}

extension Namespace: JSONReadable {
    public init(json j: JSONObject) throws {
        type = try j.string(required: "type")
        path = try j.string("path")
    }
}

extension IDMapping: JSONReadable {
    public init(json j: JSONObject) throws {
        containerID = try j.integer(required: "containerID", UInt32.self)
        hostID = try j.integer(required: "hostID", UInt32.self)
        size = try j.integer(required: "size", UInt32.self)
    }
}

extension TimeOffset: JSONReadable {
    public init(json j: JSONObject) throws {
        secs = try j.integer("secs", Int64.self)
        nanosecs = try j.integer("nanosecs", UInt32.self)
    }
}

extension Device: JSONReadable {
    public init(json j: JSONObject) throws {
        type = try j.string(required: "type")
        path = try j.string(required: "path")
        major = try j.integer("major", Int64.self)
        minor = try j.integer("minor", Int64.self)
        fileMode = try j.integer("fileMode", UInt32.self)
        uid = try j.integer("uid", UInt32.self)
        gid = try j.integer("gid", UInt32.self)
    }
}

extension Personality: JSONReadable {
    public init(json j: JSONObject) throws {
        domain = try j.string(required: "domain")
        flags = try j.strings("flags")
    }
}

extension Resources: JSONReadable {
    public init(json j: JSONObject) throws {
        devices = try j.objects("devices", DeviceCgroup.init(json:))
        memory = try j.object("memory", Memory.init(json:))
        cpu = try j.object("cpu", CPU.init(json:))
        pids = try j.object("pids", Pids.init(json:))
        blockIO = try j.object("blockIO", BlockIO.init(json:))
        hugepageLimits = try j.objects("hugepageLimits", HugepageLimit.init(json:))
        network = try j.object("network", Network.init(json:))
        rdma = try j.objectMap("rdma", RdmaLimit.init(json:))
        unified = try j.stringMap("unified")
    }
}

extension DeviceCgroup: JSONReadable {
    public init(json j: JSONObject) throws {
        allow = try j.bool(required: "allow")
        type = try j.string("type")
        major = try j.integer("major", Int64.self)
        minor = try j.integer("minor", Int64.self)
        access = try j.string("access")
    }
}

extension Memory: JSONReadable {
    public init(json j: JSONObject) throws {
        limit = try j.integer("limit", Int64.self)
        reservation = try j.integer("reservation", Int64.self)
        swap = try j.integer("swap", Int64.self)
        kernel = try j.integer("kernel", Int64.self)
        kernelTCP = try j.integer("kernelTCP", Int64.self)
        swappiness = try j.integer("swappiness", UInt64.self)
        disableOOMKiller = try j.bool("disableOOMKiller")
        useHierarchy = try j.bool("useHierarchy")
        checkBeforeUpdate = try j.bool("checkBeforeUpdate")
    }
}

extension CPU: JSONReadable {
    public init(json j: JSONObject) throws {
        shares = try j.integer("shares", UInt64.self)
        quota = try j.integer("quota", Int64.self)
        burst = try j.integer("burst", UInt64.self)
        period = try j.integer("period", UInt64.self)
        realtimeRuntime = try j.integer("realtimeRuntime", Int64.self)
        realtimePeriod = try j.integer("realtimePeriod", UInt64.self)
        cpus = try j.string("cpus")
        mems = try j.string("mems")
        idle = try j.integer("idle", Int64.self)
    }
}

extension Pids: JSONReadable {
    public init(json j: JSONObject) throws {
        limit = try j.integer(required: "limit", Int64.self)
    }
}

extension BlockIO: JSONReadable {
    public init(json j: JSONObject) throws {
        weight = try j.integer("weight", UInt16.self)
        leafWeight = try j.integer("leafWeight", UInt16.self)
        weightDevice = try j.objects("weightDevice", WeightDevice.init(json:))
        throttleReadBpsDevice = try j.objects("throttleReadBpsDevice", ThrottleDevice.init(json:))
        throttleWriteBpsDevice = try j.objects("throttleWriteBpsDevice", ThrottleDevice.init(json:))
        throttleReadIOPSDevice = try j.objects("throttleReadIOPSDevice", ThrottleDevice.init(json:))
        throttleWriteIOPSDevice = try j.objects("throttleWriteIOPSDevice", ThrottleDevice.init(json:))
    }
}

extension WeightDevice: JSONReadable {
    public init(json j: JSONObject) throws {
        major = try j.integer(required: "major", Int64.self)
        minor = try j.integer(required: "minor", Int64.self)
        weight = try j.integer("weight", UInt16.self)
        leafWeight = try j.integer("leafWeight", UInt16.self)
    }
}

extension ThrottleDevice: JSONReadable {
    public init(json j: JSONObject) throws {
        major = try j.integer(required: "major", Int64.self)
        minor = try j.integer(required: "minor", Int64.self)
        rate = try j.integer(required: "rate", UInt64.self)
    }
}

extension HugepageLimit: JSONReadable {
    public init(json j: JSONObject) throws {
        pageSize = try j.string(required: "pageSize")
        limit = try j.integer(required: "limit", UInt64.self)
    }
}

extension Network: JSONReadable {
    public init(json j: JSONObject) throws {
        classID = try j.integer("classID", UInt32.self)
        priorities = try j.objects("priorities", InterfacePriority.init(json:))
    }
}

extension InterfacePriority: JSONReadable {
    public init(json j: JSONObject) throws {
        name = try j.string(required: "name")
        priority = try j.integer(required: "priority", UInt32.self)
    }
}

extension RdmaLimit: JSONReadable {
    public init(json j: JSONObject) throws {
        hcaHandles = try j.integer("hcaHandles", UInt32.self)
        hcaObjects = try j.integer("hcaObjects", UInt32.self)
    }
}

extension Seccomp: JSONReadable {
    public init(json j: JSONObject) throws {
        defaultAction = try j.string(required: "defaultAction")
        defaultErrnoRet = try j.integer("defaultErrnoRet", UInt32.self)
        architectures = try j.strings("architectures")
        flags = try j.strings("flags")
        listenerPath = try j.string("listenerPath")
        listenerMetadata = try j.string("listenerMetadata")
        syscalls = try j.objects("syscalls", Syscall.init(json:))
    }
}

extension Syscall: JSONReadable {
    public init(json j: JSONObject) throws {
        names = try j.strings(required: "names")
        action = try j.string(required: "action")
        errnoRet = try j.integer("errnoRet", UInt32.self)
        args = try j.objects("args", SyscallArg.init(json:))
    }
}

extension SyscallArg: JSONReadable {
    public init(json j: JSONObject) throws {
        index = try j.integer(required: "index", UInt.self)
        value = try j.integer(required: "value", UInt64.self)
        valueTwo = try j.integer("valueTwo", UInt64.self)
        op = try j.string(required: "op")
    }
}
