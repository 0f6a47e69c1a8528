/// Build-time facts about this runtime.
public enum RuntimeInfo {
    /// The swiftbox version.
    public static let version = "0.1.0"
}
