import SwiftBoxLinux
import SwiftBoxOCI

/// Content-addressed image store (filled in by the image issue).
public enum ImageStoreInfo {
    /// The default store root.
    public static let defaultRoot = "/var/lib/swiftbox"
}
