import SwiftBoxRuntime
import SwiftBoxImage

/// Service manager (filled in by the service-manager issue).
public enum ServiceManagerInfo {}
