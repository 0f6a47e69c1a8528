import ArgumentParser
import SwiftBox
import Glibc

/// The `swiftbox` command line: runc-compatible runtime commands plus the
/// service runner and tools.
struct SwiftBoxCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swiftbox",
        abstract: "A lightweight OCI container runtime and service runner.",
        discussion: """
            Global flags (before the command, as runc): --root DIR, --log FILE, \
            --log-format text|json, --debug, --systemd-cgroup.
            """,
        version: RuntimeInfo.version,
        subcommands: [
            SpecCommand.self, CreateCommand.self, StartCommand.self, RunCommand.self, StateCommand.self,
            KillCommand.self, DeleteCommand.self, ListCommand.self, PsCommand.self, ExecCommand.self,
            FeaturesCommand.self, ImageCommand.self, SeccompCommand.self,
            LogsCommand.self, StopCommand.self, RestartCommand.self, ScaleCommand.self, DownCommand.self, SuperviseCommand.self,
            UpdateCommand.self, EventsCommand.self, PauseCommand.self, ResumeCommand.self,
        ]
    )

    /// Runs a parsed command, turning errors into runc-style messages and exit codes.
    static func main(_ arguments: [String]) -> Never {
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
            Glibc.exit(0)
        } catch let e as SwiftBoxError {
            RuntimeLog.error(e.message)
            Glibc.exit(1)
        } catch let code as CommandExit {
            Glibc.exit(code.code)
        } catch {
            exit(withError: error)
        }
    }
}

/// Ends a command with a specific exit code (e.g. the container's).
struct CommandExit: Error {
    let code: Int32
}
