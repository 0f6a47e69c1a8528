import Glibc
import SwiftBox

// The container's init is re-executed from /proc/self/exe for every container.
// Dispatch it before argument parsing or anything heavy runs.
if CommandLine.arguments.count > 1 && CommandLine.arguments[1] == "init" {
    ContainerInit.main()
}

let arguments = GlobalOptions.consume()
// Seccomp warnings (calls or architectures libseccomp does not know) go to
// --log too: containerd reads only that.
SeccompFilter.warningHandler = { RuntimeLog.warn($0) }
CgroupWarnings.handler = { RuntimeLog.warn($0) }
if let code = FastPath.handle(arguments) { exit(code) }
SwiftBoxCommand.main(arguments)
