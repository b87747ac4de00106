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
import Foundation

/// The write end of the self-pipe the signal handler writes to.
nonisolated(unsafe) private var signalPipeWriteEnd: Int32 = -1

/// Turns SIGINT and SIGTERM into a call, instead of death: the runner then
/// stops its steps, records them, saves the state and prints the report.
///
/// A signal must find a thread that does not block it, and in an async
/// program there may be none: the main thread leaves (`dispatch_main`) and
/// Dispatch's workers block signals. So a thread of our own waits for them
/// with `sigwait`; and, should the kernel pick another thread that has them
/// unblocked, a plain `sigaction` handler writes the number to a pipe (the
/// only async-signal-safe thing it does) that a Dispatch read source drains.
final class SignalWatcher: @unchecked Sendable {
    private let lock = NSLock()
    private var first: Int32?
    private var source: (any DispatchSourceRead)?

    /// Starts watching `signals`; `handler` runs, on a thread of its own, on
    /// each delivery.
    init(_ signals: [Int32], handler: @escaping @Sendable (Int32) -> Void) {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return }
        for fd in fds {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, O_NONBLOCK)  // the handler must never block
        }
        signalPipeWriteEnd = fds[1]
        let readEnd = fds[0]
        // Two ways in, so a signal is never left pending: a thread that has
        // these signals unblocked runs the handler below (pipe → Dispatch);
        // and since Dispatch's own threads block them, a thread of ours waits
        // for them with sigwait. This thread blocks them too, so it cannot be
        // the one left holding them.
        var wanted = sigset_t()
        sigemptyset(&wanted)
        for number in signals { sigaddset(&wanted, number) }
        pthread_sigmask(SIG_BLOCK, &wanted, nil)
        let waitSet = wanted
        let waiter = Thread { [weak self] in
            var set = waitSet
            pthread_sigmask(SIG_BLOCK, &set, nil)
            while true {
                var number: Int32 = 0
                guard sigwait(&set, &number) == 0 else { continue }
                self?.lock.withLock { if self?.first == nil { self?.first = number } }
                handler(number)
            }
        }
        waiter.name = "batchkit-sigwait"
        waiter.stackSize = 128 * 1024
        waiter.start()

        // Dispatch watches the pipe (epoll), so the handler runs even when the
        // process is busy; no thread of our own has to be scheduled first.
        let source = DispatchSource.makeReadSource(fileDescriptor: readEnd, queue: DispatchQueue(label: "batchkit-signals"))
        source.setEventHandler { [weak self] in
            var byte: UInt8 = 0
            while read(readEnd, &byte, 1) == 1 {
                let number = Int32(byte)
                self?.lock.withLock { if self?.first == nil { self?.first = number } }
                handler(number)
                // One signal at a time; the source fires again if more are pending.
                break
            }
        }
        source.resume()
        self.source = source

        for number in signals {
            var action = sigaction()
            #if canImport(Glibc)
            action.__sigaction_handler.sa_handler = { number in
                var byte = UInt8(truncatingIfNeeded: number)
                _ = write(signalPipeWriteEnd, &byte, 1)
            }
            #else
            action.__sigaction_u.__sa_handler = { number in
                var byte = UInt8(truncatingIfNeeded: number)
                _ = write(signalPipeWriteEnd, &byte, 1)
            }
            #endif
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            sigaction(number, &action, nil)
        }
    }

    /// The first signal received, if any.
    var received: Int32? { lock.withLock { first } }
}
