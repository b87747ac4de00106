@testable import BatchKitRunner
import Foundation
import Testing

@Suite struct ParallelTimeTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    static func intervals(_ pairs: [(Double, Double)]) -> [(start: Date, end: Date)] {
        pairs.map { (start.addingTimeInterval($0.0), start.addingTimeInterval($0.1)) }
    }

    @Test(arguments: [
        // (intervals, busy, step time): one after another, touching, overlapping, nested, apart and overlapping.
        ([(0.0, 1.0), (1.5, 2.0)], 1.5, 1.5),
        ([(0.0, 1.0), (1.0, 2.0)], 2.0, 2.0),
        ([(0.0, 1.0), (0.5, 1.5)], 1.5, 2.0),
        ([(0.0, 3.0), (1.0, 2.0), (0.5, 1.0)], 3.0, 4.5),
        ([(5.0, 6.0), (0.0, 1.0), (0.5, 2.0)], 3.0, 3.5),
    ])
    func busyTimeIsTheUnionOfTheAttemptsAndStepTimeTheirSum(pairs: [(Double, Double)], busy: Double, steps: Double) {
        let time = ParallelTime(intervals: Self.intervals(pairs))
        #expect(abs(time.busySeconds - busy) < 1e-9)
        #expect(abs(time.stepSeconds - steps) < 1e-9)
        #expect(time.overlapped == (steps > busy))
    }

    @Test func noAttemptsIsNoSpeedUp() {
        let time = ParallelTime(intervals: [])
        #expect(time.busySeconds == 0 && time.speedUp == 1 && !time.overlapped)
    }

    @Test func twoStepsSideBySideDoubleTheSpeed() {
        #expect(ParallelTime(intervals: Self.intervals([(0, 2), (0, 2)])).speedUp == 2)
    }
}
