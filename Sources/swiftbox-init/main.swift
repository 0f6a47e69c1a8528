// swiftbox-init: the container's init alone, without the CLI, images or
// service manager linked in (see docs/architecture.md, "The init binary").
import SwiftBoxRuntime

ContainerInit.main()
