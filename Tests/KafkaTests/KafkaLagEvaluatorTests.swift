import SluiceCore
import Testing
@testable import KafkaPlugins

/// The lag arithmetic on scripted offset histories: Burrow's statuses and lag_seconds.
@Suite struct KafkaLagEvaluatorTests {
    /// Feeds (committed, logEnd) polls 10 s apart and returns every poll's result.
    private func run(_ polls: [(Int64, Int64)], window: Int = 5, start: Double = 1000) -> [(lagSeconds: Double, status: LagStatus)] {
        var h = PartitionLagHistory(window: window)
        return polls.enumerated().map { i, p in h.record(LagSample(time: start + Double(i) * 10, committed: p.0, logEnd: p.1)) }
    }

    @Test func aConsumerKeepingUpIsOK() {
        let r = run((0..<8).map { (i: Int64) -> (Int64, Int64) in (i * 100, i * 100 + 20) })
        #expect(r.map(\.status) == Array(repeating: .ok, count: 8))
    }

    @Test func anIdlePartitionWithZeroLagIsOKForever() {
        let r = run(Array(repeating: (500, 500), count: 20))
        #expect(r.allSatisfy { $0.status == .ok && $0.lagSeconds == 0 })
    }

    @Test func lagGrowingAtEveryPollOfAFullWindowWhileTheConsumerMovesIsWARN() {
        // Committed moves +10 per poll, the log end +30: lag 10, 30, 50, 70, 90, ...
        let polls: [(Int64, Int64)] = (0..<7).map { (i: Int64) -> (Int64, Int64) in (100 + i * 10, 110 + i * 30) }
        let r = run(polls)
        #expect(r.prefix(4).allSatisfy { $0.status == .ok }, "the window is not full yet")
        #expect(r[4].status == .warn)
        #expect(r[6].status == .warn)
        // A poll where the lag shrinks ends the warning.
        var h = PartitionLagHistory(window: 5)
        for (i, p) in polls.enumerated() { _ = h.record(LagSample(time: Double(i) * 10, committed: p.0, logEnd: p.1)) }
        #expect(h.record(LagSample(time: 70, committed: 300, logEnd: 320)).status == .ok, "lag fell from 190 to 20")
    }

    @Test func anOffsetStandingStillOverAFullWindowWithLagIsSTALLThenSTOP() {
        // The consumer moved until poll 2, then stands at 300 while the log end grows.
        var polls: [(Int64, Int64)] = [(100, 150), (200, 250), (300, 350)]
        for i in 1...12 { polls.append((300, 350 + Int64(i) * 10)) }
        let r = run(polls, window: 5)
        // Polls 3..5: the window still holds a move.
        #expect(r[3].status == .ok && r[5].status == .ok)
        // Poll 6: the window (polls 2..6) is all 300 -> STALL.
        #expect(r[6].status == .stall)
        // Unchanged since poll 2 (t=20); the window spans 40 s; STOP once more than 80 s passed.
        #expect(r[10].status == .stall, "80 s unchanged is not more than two spans")
        #expect(r[11].status == .stop)
        #expect(r[14].status == .stop)
        // The lag keeps growing with the log end although the group does not commit.
        #expect(polls[14].1 - polls[14].0 == 170)
    }

    @Test func withCommitTimesAStuckConsumerStillCommittingIsSTALLAndASilentOneSTOP() {
        // Polls 10 s apart, window 5 (a 40 s span); the offset stands at 300 from poll 2 on.
        func history(_ commitTime: (Int) -> Double) -> [LagStatus] {
            var h = PartitionLagHistory(window: 5)
            return (0..<15).map { i in
                let committed: Int64 = i < 2 ? Int64(i + 1) * 100 : 300
                return h.record(LagSample(time: Double(i) * 10, committed: committed, logEnd: 350 + Int64(i) * 10,
                                          commitTime: commitTime(i))).status
            }
        }
        // Re-committing 300 every 5 s (alive, stuck): STALL for as long as it lasts, never
        // STOP (without commit times it would turn STOP after two spans).
        let alive = history { Double($0) * 10 - 5 }
        #expect(alive[6] == .stall && alive[14] == .stall)
        // Last commit at t=15, then silence: STOP as soon as the commit is older than the
        // 40 s span (poll 6 at t=60: 45 s), not two spans later.
        let silent = history { i in Double(min(i, 2)) * 10 - 5 }
        #expect(silent[5] == .ok, "the window still holds a move")
        #expect(silent[6] == .stop)
        #expect(silent[14] == .stop)
        // A consumer that moves and commits is OK whatever the commit times say.
        var h = PartitionLagHistory(window: 5)
        let moving = (0..<8).map { i in
            h.record(LagSample(time: Double(i) * 10, committed: Int64(i) * 100, logEnd: Int64(i) * 100 + 50,
                               commitTime: Double(i) * 10 - 1)).status
        }
        #expect(moving.allSatisfy { $0 == .ok })
    }

    @Test func aStoppedGroupThatCatchesUpIsOKAgain() {
        var polls: [(Int64, Int64)] = Array(repeating: (300, 400), count: 12)
        polls.append((400, 400))
        let r = run(polls)
        #expect(r[11].status == .stop)
        #expect(r[12].status == .ok)
        #expect(r[12].lagSeconds == 0)
    }

    @Test func anOffsetMovingBackIsREWINDWhileTheMoveIsInTheWindow() {
        let polls: [(Int64, Int64)] = [(100, 200), (150, 210), (20, 220), (40, 230), (60, 240), (80, 250), (100, 260), (120, 270)]
        let r = run(polls, window: 5)
        #expect(r[1].status == .ok)
        #expect(r[2].status == .rewind)
        #expect(r[5].status == .rewind, "the window of polls 1..5 still holds the move back 150 -> 20")
        #expect(r[6].status == .ok, "polls 2..6: moving forward, lag shrinking")
    }

    @Test func theGroupStatusIsERRForAnyStalledStoppedOrRewoundPartition() {
        #expect(LagStatus.group([.ok, .ok]) == .ok)
        #expect(LagStatus.group([.ok, .warn]) == .warn)
        #expect(LagStatus.group([.warn, .stall]) == .err)
        #expect(LagStatus.group([.ok, .stop]) == .err)
        #expect(LagStatus.group([.rewind]) == .err)
        #expect(LagStatus.group([]) == .ok)
    }

    // MARK: lag_seconds

    @Test func lagSecondsInterpolatesWhenTheCommittedOffsetWasTheLogEnd() {
        var t = LogEndTable()
        t.add(time: 100, offset: 1000)
        t.add(time: 110, offset: 2000)
        t.add(time: 120, offset: 3000)
        // 2500 was the log end at 115: at 120 the consumer is 5 s behind.
        #expect(t.lagSeconds(committed: 2500, now: 120) == 5)
        #expect(t.lagSeconds(committed: 1000, now: 120) == 20)
        #expect(t.lagSeconds(committed: 3000, now: 120) == 0)
        #expect(t.lagSeconds(committed: 3500, now: 120) == 0, "a commit past the sampled log end is not behind")
    }

    @Test func beforeTheOldestPointItExtrapolatesWithTheProductionRate() {
        var t = LogEndTable()
        t.add(time: 100, offset: 1000)
        t.add(time: 110, offset: 2000)  // 100 offsets/s
        #expect(t.lagSeconds(committed: 500, now: 110) == 15)
    }

    @Test func aStaticLogEndNeitherExplodesNorDilutesTheRate() {
        var t = LogEndTable(capacity: 60)
        t.add(time: 0, offset: 0)
        t.add(time: 10, offset: 1000)  // 100/s while producing
        for s in stride(from: 20.0, through: 3000, by: 10) { t.add(time: s, offset: 1000) }
        #expect(t.points.count == 3, "a run of equal offsets keeps its first and last point: \(t.points.count)")
        #expect(t.productionRate == 100)
        // Committed 500 was produced at t=5, so at 3000 it is 2995 s behind: finite, exact.
        #expect(t.lagSeconds(committed: 500, now: 3000) == 2995)
        // Producing resumes: 1000 -> 1100 between 3000 and 3001; 1000 was the log end until 3000.
        t.add(time: 3001, offset: 1100)
        #expect(t.lagSeconds(committed: 1050, now: 3001) == 0.5)
        #expect(t.lagSeconds(committed: 1000, now: 3001) == 1)
    }

    @Test func aLogEndThatNeverMovedGivesOnlyTheWatchedTime() {
        var t = LogEndTable()
        t.add(time: 100, offset: 500)
        t.add(time: 200, offset: 500)
        #expect(t.productionRate == nil)
        #expect(t.lagSeconds(committed: 100, now: 200) == 100)
    }

    @Test func aTruncatedLogStartsTheTableAgain() {
        var t = LogEndTable()
        t.add(time: 0, offset: 1000)
        t.add(time: 10, offset: 2000)
        t.add(time: 20, offset: 50)
        #expect(t.points.count == 1)
    }

    @Test func theTableKeepsItsCapacity() {
        var t = LogEndTable(capacity: 4)
        for i in 0..<10 { t.add(time: Double(i), offset: Int64(i * 10)) }
        #expect(t.points.map(\.offset) == [60, 70, 80, 90])
    }

    @Test func theHistoryReportsZeroSecondsWithoutLagAndTheTableEstimateWithIt() {
        var h = PartitionLagHistory(window: 3)
        #expect(h.record(LagSample(time: 0, committed: 0, logEnd: 0)).lagSeconds == 0)
        #expect(h.record(LagSample(time: 10, committed: 0, logEnd: 100)).lagSeconds == 10)
        // Committed 50 was the log end at t=5.
        #expect(h.record(LagSample(time: 20, committed: 50, logEnd: 100)).lagSeconds == 15)
        #expect(h.record(LagSample(time: 30, committed: 100, logEnd: 100)).lagSeconds == 0)
    }

    @Test func rowsCarryTheDescribeColumnsAndATotalPerGroupAndTopic() {
        var histories: [LagKey: PartitionLagHistory] = [:]
        let readings = [
            LagReading(group: "g", topic: "a", partition: 0, committed: 5, logEnd: 10),
            LagReading(group: "g", topic: "a", partition: 1, committed: 7, logEnd: 7),
            LagReading(group: "g", topic: "b", partition: 0, committed: 1, logEnd: 3),
        ]
        let at = Timestamp(year: 2026, month: 1, day: 2, hour: 3)
        let rows = LagRows.events(readings, at: at, histories: &histories, window: 10)
        #expect(rows.count == 5)
        #expect(rows.map { $0[field: "partition"] } == [.int(0), .int(1), nil, .int(0), nil])
        #expect(rows.map { $0[field: "lag"] } == [.int(5), .int(0), .int(5), .int(2), .int(2)])
        #expect(rows[2][field: "current_offset"] == .int(12))
        #expect(rows[2][field: "log_end_offset"] == .int(17))
        #expect(rows[2][field: "topic"] == .string("a"))
        #expect(rows.allSatisfy { $0.timestamp == at && $0[field: "group"] == .string("g") && $0[field: "status"] == .string("OK") })
        #expect(histories.count == 3)
    }
}
