#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Turns SIGINT and SIGTERM into a call, instead of death: the runner then
/// stops its steps, records them, saves the state and prints the report.
final class SignalWatcher: @unchecked Sendable {
    private let lock = NSLock()
    private var sources: [any DispatchSourceSignal] = []
    private var first: Int32?

    /// Starts watching `signals`; `handler` runs on each delivery.
    init(_ signals: [Int32], handler: @escaping @Sendable (Int32) -> Void) {
        for number in signals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in
                self?.lock.withLock { if self?.first == nil { self?.first = number } }
                handler(number)
            }
            source.resume()
            sources.append(source)
        }
    }

    /// The first signal received, if any.
    var received: Int32? { lock.withLock { first } }

    deinit {
        for source in sources { source.cancel() }
    }
}
