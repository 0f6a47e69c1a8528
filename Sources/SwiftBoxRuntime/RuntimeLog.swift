#if canImport(Glibc)
import Glibc
#endif
import SwiftBoxLinux

/// Where the runtime reports warnings and errors: stderr, and the `--log`
/// file in text or JSON lines (containerd reads the JSON form).
public enum RuntimeLog {
    public enum Format: String, Sendable { case text, json }

    nonisolated(unsafe) static var file: Int32 = -1
    nonisolated(unsafe) static var format: Format = .text
    nonisolated(unsafe) public static var debugEnabled = false

    /// Sends log lines to `path` as well as stderr.
    public static func configure(path: String?, format: Format, debug: Bool) {
        self.format = format
        debugEnabled = debug
        if let path {
            file = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        }
    }

    /// A warning: something was skipped or ignored, the operation goes on.
    public static func warn(_ message: String) { emit("warning", message) }
    /// An error that ends the command.
    public static func error(_ message: String) { emit("error", message) }
    /// Detail shown with `--debug`.
    public static func debug(_ message: String) { if debugEnabled { emit("debug", message) } }

    static func emit(_ level: String, _ message: String) {
        let text = "swiftbox: \(level == "error" ? "" : level + ": ")\(message)\n"
        if file >= 0 {
            let line: String
            if format == .json {
                line = "{\"level\":\"\(level)\",\"msg\":\(jsonString(message)),\"time\":\"\(rfc3339Now())\"}\n"
            } else {
                line = "time=\"\(rfc3339Now())\" level=\(level) msg=\(jsonString(message))\n"
            }
            try? FS.writeAll(fd: file, Array(line.utf8), what: "log")
        }
        fputs(text, stderr)
    }

    /// A JSON string literal for `s`.
    public static func jsonString(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let h = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
                } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }
}
