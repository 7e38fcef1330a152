import Enduco
import Foundation
import XCTest

/// Issue 18: a `Task`'s cancellation stops the core's work. An upload whose request the sandbox
/// is holding (a `delay` fault on /api/v1/workouts) is cancelled with `task.cancel()` once the
/// sandbox's log shows the request arrived: the task ends with `CancellationError`, and the
/// sandbox stored nothing (the same file uploads as new afterwards).
///
/// How: UniFFI 0.32's Swift would leave the Rust future running (no cancellation handler), so
/// the public methods (Enduco+Swift.swift) pass a `CancelToken` that
/// `withTaskCancellationHandler` cancels; the Rust side (bindings/src/cancel.rs) then drops the
/// core's future, its HTTP request and the file stream with it.
///
/// Nothing here measures time: every wait is for an event (the sandbox's log, the store).
final class CancellationTests: XCTestCase {
    var sandbox: Sandbox { Sandbox.shared }
    var client: EnducoClient!
    let workouts = "/api/v1/workouts"
    let zones = "/api/v1/zones"

    override func setUp() async throws {
        try await sandbox.reset()
        client = try sandbox.client()
    }

    override func tearDown() async throws {
        try await sandbox.clearFaults()
    }

    func newSession(store: TokenStore = MemoryTokenStore()) async throws -> Session {
        let pending = try client.authorizationRequest(scopes: [.userRead, .plansRead, .workoutsWrite])
        let tokens = try await client.completeAuthorization(
            pending: pending, callbackUrl: try await sandbox.approve(pending.url()))
        return try await client.connect(store: store, tokens: tokens)
    }

    /// Waits until `condition` holds, polling (no fixed sleep); fails after 30 s of nothing.
    func eventually(
        _ what: String, file: StaticString = #filePath, line: UInt = #line,
        _ condition: () async throws -> Bool
    ) async throws {
        let giveUp = Date().addingTimeInterval(30)
        while try await !condition() {
            if Date() > giveUp {
                XCTFail("gave up waiting: \(what)", file: file, line: line)
                throw SandboxError("gave up waiting: \(what)")
            }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
    }

    /// Waits until the sandbox's log holds more than `seen` requests to `path`.
    func arrived(_ path: String, after seen: Int, grantType: String? = nil) async throws {
        try await eventually("a request to \(path) reaching the sandbox") {
            try await sandbox.count(path, grantType: grantType) > seen
        }
    }

    /// The task's outcome must be `CancellationError`.
    func expectCancelled<T: Sendable>(
        _ task: Task<T, Error>, file: StaticString = #filePath, line: UInt = #line
    ) async {
        switch await task.result {
        case .success(let value):
            XCTFail("expected CancellationError, got \(value)", file: file, line: line)
        case .failure(let error):
            XCTAssertTrue(error is CancellationError, "expected CancellationError, got \(error)", file: file, line: line)
        }
    }

    func testACancelledUploadEndsWithCancellationErrorAndStoresNothing() async throws {
        let session = try await newSession()
        let file = try sandbox.fitFile(seed: 21, size: 48 << 20)
        defer { try? FileManager.default.removeItem(at: file) }

        try await sandbox.fault(workouts, kind: "delay", delayMs: 600_000)
        let seen = try await sandbox.count(workouts)
        let progress = ProgressLog()
        let task = Task { try await session.uploadWorkoutFile(path: file.path) { progress.add($0, $1) } }
        try await arrived(workouts, after: seen)
        task.cancel()
        await expectCancelled(task)
        XCTAssertFalse(progress.events.isEmpty, "the body had started going out")

        // Nothing was stored: the same file is new, not a duplicate; then it is stored once.
        try await sandbox.clearFaults()
        let again = try await session.uploadWorkoutFile(path: file.path)
        XCTAssertFalse(again.duplicate)
        XCTAssertNotEqual(again.status, "duplicate")
        let third = try await session.uploadWorkoutFile(path: file.path)
        XCTAssertTrue(third.duplicate)
    }

    func testACancelledUploadFromMemoryAndACancelledDataCallEndTheSameWay() async throws {
        let session = try await newSession()
        let file = try sandbox.fitFile(seed: 22, size: 16 << 20)
        let fit = try Data(contentsOf: file)
        try FileManager.default.removeItem(at: file)

        try await sandbox.fault(workouts, kind: "delay", delayMs: 600_000)
        var seen = try await sandbox.count(workouts)
        let upload = Task { try await session.uploadWorkout(fit: fit) }
        try await arrived(workouts, after: seen)
        upload.cancel()
        await expectCancelled(upload)
        try await sandbox.clearFaults()
        let stored = try await session.uploadWorkout(fit: fit)
        XCTAssertFalse(stored.duplicate, "the cancelled upload stored nothing")

        try await sandbox.fault(zones, kind: "delay", delayMs: 600_000)
        seen = try await sandbox.count(zones)
        let call = Task { try await session.intensityZones() }
        try await arrived(zones, after: seen)
        call.cancel()
        await expectCancelled(call)
        // The session still works.
        try await sandbox.clearFaults()
        let answer = try await session.intensityZones()
        XCTAssertFalse(answer.zones.isEmpty)
    }

    func testATaskCancelledBeforeTheCallSendsNothing() async throws {
        let session = try await newSession()
        let seen = try await sandbox.count(zones)
        let task = Task { () async throws -> IntensityZones in
            withUnsafeCurrentTask { $0?.cancel() }
            return try await session.intensityZones()
        }
        await expectCancelled(task)
        let after = try await sandbox.count(zones)
        XCTAssertEqual(after, seen, "no request went out")
    }

    func testARefreshUnderWayFinishesAndIsSavedWhenItsCallIsCancelled() async throws {
        let store = FlakyStore()
        let session = try await newSession(store: store)
        let before = try XCTUnwrap(store.tokens)
        let savesBefore = store.saves
        let token = "/oauth2/token"
        // Held long enough for the cancellation to reach the call while the refresh waits.
        try await sandbox.fault(token, kind: "delay", delayMs: 3_000)
        let refreshes = try await sandbox.count(token, grantType: "refresh_token")
        let task = Task { try await session.refresh() }
        try await arrived(token, after: refreshes, grantType: "refresh_token")
        task.cancel()
        await expectCancelled(task)

        // The refresh goes on without its caller: the new tokens (a rotated refresh token with
        // them) reach the store, so none is lost.
        try await eventually("the refreshed tokens being saved") { store.saves > savesBefore }
        let saved = try XCTUnwrap(store.tokens)
        XCTAssertNotEqual(saved.accessToken(), before.accessToken())
        let current = try await session.tokens()
        XCTAssertEqual(current, saved)
        _ = try await session.intensityZones()
        let total = try await sandbox.count(token, grantType: "refresh_token")
        XCTAssertEqual(total, refreshes + 1, "one refresh, not a second one after the cancellation")
    }
}
