import BatchKit
import BatchKitRunner
import BatchKitNotify
import BatchKitCluster
import BatchKitSchedule
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
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

    /// A reader that goes away (`./run.sh | head -1`, a closed terminal) must
    /// never stop a run: writes to it then fail quietly instead of raising
    /// SIGPIPE. Steps still start with SIGPIPE's default (``ChildProcess``
    /// resets every signal), so `yes | head` inside a step ends as usual.
    public static func ignoreBrokenPipe() {
        signal(SIGPIPE, SIG_IGN)
    }

    /// Writes `error: MESSAGE` and a line break to standard error, with the
    /// message's control characters shown as escapes (``VisibleText``): a
    /// name or value quoted in it cannot clear the screen or set the title.
    public static func reportError(_ message: String) {
        error("error: " + VisibleText.lines(message) + "\n")
    }
}
