import BatchKit
import BatchKitRunner
import BatchKitNotify
import BatchKitCluster
import BatchKitSchedule
/// Where command-line entry points write: help and reports to standard
/// output, progress and errors to standard error. Library code below the
/// entry points never prints.
public enum Console {
    /// Writes to standard output.
    public static func out(_ text: String) {
        _ = FileDescriptorWriter.writeAll(1, text)
    }

    /// Writes to standard error.
    public static func error(_ text: String) {
        _ = FileDescriptorWriter.writeAll(2, text)
    }
}
