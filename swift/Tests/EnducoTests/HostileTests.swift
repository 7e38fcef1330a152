import Enduco
import Foundation
import XCTest

/// Hostile servers and hostile input: every outcome is a typed `EnducoError`, never UniFFI's
/// generic `UniffiInternalError`, a crash or a hang.
final class HostileTests: XCTestCase {
    // MARK: no panic crosses the FFI boundary

    func testAPanicInASyncCallIsTheSDKsInternalError() async {
        let error = await expectError { try await panicForTests(async: false) }
        guard case .Internal(let message)? = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertEqual(error?.code, "internal")
        XCTAssertTrue(message.contains("a panic in a sync call"), message)
    }

    func testAPanicInAnAsyncCallIsTheSDKsInternalError() async {
        let error = await expectError { try await panicForTests(async: true) }
        guard case .Internal(let message)? = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertEqual(error?.code, "internal")
        XCTAssertTrue(message.contains("a panic in an async call"), message)
    }

    // MARK: hostile input

    private func plan(_ steps: [Step]) -> PlannedWorkout {
        PlannedWorkout(
            id: "hostile-plan", date: "2025-06-03", startTime: nil, timeZone: "Europe/Berlin",
            sport: .cycling, title: "hostile", description: nil, durationSeconds: nil,
            distanceMeters: nil, load: nil, steps: steps)
    }

    private func step(_ kind: StepKind = .active, seconds: UInt32? = 60, repeat body: Repeat? = nil) -> Step {
        Step(kind: kind, durationSeconds: seconds, distanceMeters: nil, target: nil, repeat: body)
    }

    func testAHostilePlansTimelineReturnsFlaggedTruncated() throws {
        // One repeat of 10,000 wrapping 1,000 empty repeats and one step: 10 million steps to
        // visit. The core stops after its visit budget and says so.
        let empty = step(.repeat, seconds: nil, repeat: Repeat(count: 1_000, steps: []))
        let body = Array(repeating: empty, count: 1_000) + [step()]
        let hostilePlan = plan([step(.repeat, seconds: nil, repeat: Repeat(count: 10_000, steps: body))])

        let checked = try hostilePlan.timelineChecked(zones: nil)
        XCTAssertTrue(checked.truncated, "the hostile plan is flagged truncated")
        XCTAssertFalse(checked.segments.isEmpty, "what was played comes back")
        XCTAssertLessThan(checked.segments.count, 10_000)
        XCTAssertEqual(try hostilePlan.timeline(zones: nil), checked.segments)

        let honest = plan([step(.warmup), step(.repeat, seconds: nil, repeat: Repeat(count: 3, steps: [step(), step(.recovery)]))])
        let whole = try honest.timelineChecked(zones: nil)
        XCTAssertFalse(whole.truncated)
        XCTAssertEqual(whole.segments.count, 7)
    }

    // MARK: hostile servers

    func testEveryEnducoHostileCaseEndsInItsExpectedErrorCode() async throws {
        let hostile = Hostile.shared
        XCTAssertGreaterThanOrEqual(hostile.cases.count, 15, "the server lists its cases")
        var wrong: [String] = []
        for c in hostile.cases {
            let session = try hostile.client(c).session(store: MemoryTokenStore(tokens: try hostile.tokens(for: c)))
            let outcome: String
            do {
                _ = try await session.intensityZones()
                outcome = "no error"
            } catch let error as EnducoError {
                print("hostile \(c.name): \(error.code) (\(error))")
                outcome = error.code
            }
            if outcome != c.expect { wrong.append("\(c.name): expected \(c.expect), got \(outcome)") }
        }
        XCTAssertTrue(wrong.isEmpty, wrong.joined(separator: "\n"))
    }
}
