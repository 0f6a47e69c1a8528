// `import SwiftBox` gives programs that embed containers the whole library:
// the runtime, the manager, images, cgroups, seccomp and the OCI types.
@_exported import SwiftBoxLinux
@_exported import SwiftBoxOCI
@_exported import SwiftBoxCgroups
@_exported import SwiftBoxSeccomp
@_exported import SwiftBoxImage
@_exported import SwiftBoxRuntime
@_exported import SwiftBoxManager
