@testable import BatchKit
@testable import BatchKitRunner
import Foundation
import TestSupport
import Testing

/// The rules that make a failed (or passed) attempt a `memory` failure.
@Suite struct MemoryCapBreachTests {
    let cap = ByteCount.megabytes(100)  // 97,657 KiB, rounded up
    let missingLog = URL(fileURLWithPath: "/nonexistent/step.log")

    func log(_ text: String, in directory: TemporaryDirectory) throws -> URL {
        try directory.write("step.log", text)
        return directory.path("step.log")
    }

    @Test func theWatchdogsKillComesFirst() {
        let breach = MemoryCapBreach.find(
            cap: cap, watched: .init(highest: 130_000, exceeded: 110_000), processPeak: 90_000, failedOnItsOwn: false, log: missingLog)
        #expect(breach?.kind == .killed(kilobytes: 110_000))
    }

    @Test func aPeakAboveTheCapFailsEvenAnAttemptThatExitedZero() {
        // A burst between two samples: the kernel's high-water mark still shows it.
        let fromProcess = MemoryCapBreach.find(cap: cap, watched: .init(highest: 5_000), processPeak: 97_658, failedOnItsOwn: false, log: missingLog)
        #expect(fromProcess?.kind == .peak(kilobytes: 97_658))
        let fromSum = MemoryCapBreach.find(cap: cap, watched: .init(highest: 98_000), processPeak: 60_000, failedOnItsOwn: false, log: missingLog)
        #expect(fromSum?.kind == .peak(kilobytes: 98_000))
        #expect(MemoryCapBreach.find(cap: cap, watched: .init(highest: 97_657), processPeak: 97_657, failedOnItsOwn: true, log: missingLog) == nil,
                "exactly at the cap is within it")
    }

    @Test(arguments: [
        "Fatal error: failed to allocate 1000000032 bytes of memory with alignment 8",
        "Fatal error: Could not allocate memory.",
        "MemoryError",
        "numpy.core._exceptions._ArrayMemoryError: Unable to allocate 3.00 GiB for an array",
        "sh: 1: Cannot fork: Cannot allocate memory",
        "bash: xmalloc: cannot allocate 1048576 bytes",
        "terminate called after throwing an instance of 'std::bad_alloc'",
        "Exception in thread \"main\" java.lang.OutOfMemoryError: Java heap space",
        "fatal error: runtime: out of memory",
        "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory",
        "Out of memory!",
        "sort: memory exhausted",
        "memory allocation of 1073741824 bytes failed",
    ])
    func outOfMemoryMessagesOfCommonRuntimesAreRecognised(line: String) throws {
        let directory = try TemporaryDirectory()
        let url = try log("starting\n\(line)\n  at the end\n", in: directory)
        let breach = MemoryCapBreach.find(cap: cap, watched: .init(highest: 20_000), processPeak: 20_000, failedOnItsOwn: true, log: url)
        #expect(breach?.kind == .allocationRefused(line: line.trimmingCharacters(in: .whitespaces)))
    }

    @Test func otherFailuresAndStoppedAttemptsKeepTheirReason() throws {
        let directory = try TemporaryDirectory()
        let plain = try log("Traceback (most recent call last):\nValueError: bad row 12\n", in: directory)
        #expect(MemoryCapBreach.find(cap: cap, watched: .init(highest: 20_000), processPeak: 20_000, failedOnItsOwn: true, log: plain) == nil)
        let oom = try log("MemoryError\n", in: directory)
        #expect(MemoryCapBreach.find(cap: cap, watched: .init(highest: 20_000), processPeak: nil, failedOnItsOwn: false, log: oom) == nil,
                "a passed, timed-out or interrupted attempt is not judged by its log")
    }

    @Test func messagesSayWhatWasUsedAndWhatToDo() {
        let cap = ByteCount.megabytes(512)
        #expect(MemoryCapBreach(kind: .killed(kilobytes: 597_657), cap: cap).message
            == "used 612 MB, above its memory cap of 512 MB, so its process group was killed; raise its memory cap or make it use less")
        #expect(MemoryCapBreach(kind: .peak(kilobytes: 1_200_000), cap: .gibibytes(1)).message.hasPrefix("used 1.1 GiB at its peak, above its memory cap of 1 GiB;"))
        #expect(MemoryCapBreach(kind: .allocationRefused(line: "MemoryError"), cap: .megabytes(100)).message
            == "failed for lack of memory under its memory cap of 100 MB (its log says \"MemoryError\"; each of its processes may reserve at most 468.4 MB); raise its memory cap or make it use less")
    }

    @Test func theHardLimitLeavesRoomForReservations() {
        #expect(MemoryLimit.dataLimit(forCap: .megabytes(100)) == 200_000_000 + 256 * 1024 * 1024)
        #expect(MemoryLimit.dataLimit(forCap: .bytes(.max / 2)) == .max, "saturates")
        #expect(MemoryLimit.shellArguments(command: "echo \"$0\"", cap: .megabytes(100))
            == ["-c", "ulimit -d 457456 2>/dev/null; exec /bin/sh -c \"$1\"", "/bin/sh", "echo \"$0\""])
    }
}
