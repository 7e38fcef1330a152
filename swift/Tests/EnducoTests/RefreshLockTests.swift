import Enduco
import Foundation
import XCTest

/// Something tasks wait for. A wait also ends when the waiting task is cancelled.
final class Event: @unchecked Sendable {
    private let mutex = NSLock()
    private var fired = false
    private var waiters: [UUID: CheckedContinuation<Void, Never>] = [:]

    var isSet: Bool { mutex.withLock { fired } }

    func set() {
        let waiting = mutex.withLock { () -> [CheckedContinuation<Void, Never>] in
            fired = true
            defer { waiters = [:] }
            return Array(waiters.values)
        }
        for continuation in waiting { continuation.resume() }
    }

    /// Returns once the event is set, or once the task is cancelled.
    func wait() async {
        let id = UUID()
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = mutex.withLock { () -> Bool in
                    if fired || Task.isCancelled { return true }
                    waiters[id] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            mutex.withLock { waiters.removeValue(forKey: id) }?.resume()
        }
    }
}

final class Counter: @unchecked Sendable {
    private let mutex = NSLock()
    private var value = 0
    func increment() -> Int { mutex.withLock { value += 1; return value } }
    var current: Int { mutex.withLock { value } }
}

/// A refresh lock as an app keeps it where every process can reach it (a database row, a file
/// in the App Group container): a lease per owner, owner-only release. Counts what the SDK asks.
final class LeaseLock: RefreshLock, @unchecked Sendable {
    struct LockServerDown: Error, CustomStringConvertible {
        var description: String { "the lock server is down" }
    }

    private let mutex = NSLock()
    private var holder: String?
    private var until: TimeInterval = 0
    private var _failing = false
    private var _lastLeaseMs: Int64 = 0
    let tries = Counter()
    let unlocks = Counter()
    /// Set the first time `tryLock` answers false (another owner holds the lock).
    let refused = Event()

    /// While true, every `tryLock` throws.
    var failing: Bool {
        get { mutex.withLock { _failing } }
        set { mutex.withLock { _failing = newValue } }
    }
    var lastLeaseMs: Int64 { mutex.withLock { _lastLeaseMs } }

    func tryLock(owner: String, leaseMs: Int64) async throws -> Bool {
        _ = tries.increment()
        let (fail, taken) = mutex.withLock { () -> (Bool, Bool) in
            _lastLeaseMs = leaseMs
            if _failing { return (true, false) }
            let now = ProcessInfo.processInfo.systemUptime
            if let holder, holder != owner, until > now { return (false, false) }
            holder = owner
            until = now + Double(leaseMs) / 1000
            return (false, true)
        }
        if fail { throw LockServerDown() }
        if !taken { refused.set() }
        return taken
    }

    func unlock(owner: String) async throws {
        _ = unlocks.increment()
        mutex.withLock { if holder == owner { holder = nil } }
    }
}

/// An app's store (in memory here) whose loads can be held back or never answer.
final class HostStore: TokenStore, @unchecked Sendable {
    private let mutex = NSLock()
    private var _tokens: TokenSet?
    private var _loadGate: Event?
    private var _hang = false
    private let never = Event()
    /// Set when the SDK cancelled a load that hung.
    let hungLoadCancelled = Event()

    init(_ tokens: TokenSet?) { _tokens = tokens }

    var tokens: TokenSet? {
        get { mutex.withLock { _tokens } }
        set { mutex.withLock { _tokens = newValue } }
    }
    /// While set, every load waits for it first.
    var loadGate: Event? {
        get { mutex.withLock { _loadGate } }
        set { mutex.withLock { _loadGate = newValue } }
    }
    /// While true, load never returns (until the SDK cancels it).
    var hang: Bool {
        get { mutex.withLock { _hang } }
        set { mutex.withLock { _hang = newValue } }
    }

    func load() async throws -> TokenSet? {
        if hang {
            await never.wait() // returns only when the task is cancelled
            hungLoadCancelled.set()
            throw CancellationError()
        }
        if let gate = loadGate { await gate.wait() }
        return tokens
    }

    func save(tokens: TokenSet) async throws { self.tokens = tokens }

    func clear() async throws { tokens = nil }
}

/// The idiom for a store shared by processes: one object that is a TokenStore and a RefreshLock.
final class LockingStore: TokenStore, RefreshLock, @unchecked Sendable {
    let store: HostStore
    let lock: LeaseLock

    init(_ store: HostStore, lock: LeaseLock = LeaseLock()) {
        self.store = store
        self.lock = lock
    }

    func load() async throws -> TokenSet? { try await store.load() }
    func save(tokens: TokenSet) async throws { try await store.save(tokens: tokens) }
    func clear() async throws { try await store.clear() }
    func tryLock(owner: String, leaseMs: Int64) async throws -> Bool {
        try await lock.tryLock(owner: owner, leaseMs: leaseMs)
    }
    func unlock(owner: String) async throws { try await lock.unlock(owner: owner) }
}

/// `n` tasks call `intensityZones` at once; what each threw (nil: it succeeded). `arrived` is
/// set when the last of them is about to call.
func callConcurrently(_ session: Session, _ n: Int, arrived: Event = Event()) async -> [EnducoError?] {
    let count = Counter()
    return await withTaskGroup(of: EnducoError?.self) { group in
        for _ in 0..<n {
            group.addTask {
                if count.increment() == n { arrived.set() }
                do {
                    _ = try await session.intensityZones()
                    return nil
                } catch let error as EnducoError {
                    return error
                } catch {
                    return EnducoError.InvalidResponse(message: "not an EnducoError: \(error)")
                }
            }
        }
        var outcomes: [EnducoError?] = []
        for await outcome in group { outcomes.append(outcome) }
        return outcomes
    }
}

final class RefreshLockTests: XCTestCase {
    var sandbox: Sandbox { Sandbox.shared }
    var client: EnducoClient!

    override func setUp() async throws {
        try await sandbox.reset()
        client = try sandbox.client(lockLeaseSeconds: 30)
    }

    func authorize() async throws -> TokenSet {
        let pending = try client.authorizationRequest(scopes: [.userRead, .plansRead])
        return try await client.completeAuthorization(pending: pending, callbackUrl: try await sandbox.approve(pending.url()))
    }

    /// The same tokens with an access token expiring `seconds` from now on the client's clock.
    func expiring(_ tokens: TokenSet, in seconds: Int) throws -> TokenSet {
        var json = try JSONSerialization.jsonObject(with: Data(tokens.toJson().utf8)) as! [String: Any]
        json["expires_at"] = Int(Date().timeIntervalSince1970) + seconds
        let text = String(decoding: try JSONSerialization.data(withJSONObject: json), as: UTF8.self)
        return try TokenSet.fromJson(json: text)
    }

    func expired(_ tokens: TokenSet) throws -> TokenSet { try expiring(tokens, in: -60) }

    // MARK: one refresh per grant, its outcome shared

    func testTwentyCallersBehindARefreshAnswered500ShareItsErrorWithOneTokenRequest() async throws {
        let store = LockingStore(HostStore(try expired(try await authorize())))
        // The first caller's load waits until all 20 are calling, so all are queued behind the
        // refresh; the token endpoint answers 500 after 1.5 s.
        let arrived = Event()
        store.store.loadGate = arrived
        let session = client.session(store: store) // the store is its own RefreshLock
        try await sandbox.fault("/oauth2/token", kind: "status", status: 500, delayMs: 1500)
        let before = try await sandbox.refreshRequests()

        let outcomes = await callConcurrently(session, 20, arrived: arrived)
        XCTAssertEqual(outcomes.count, 20)
        for error in outcomes {
            guard case .Server(let status)? = error else { return XCTFail("every caller gets the server error: \(String(describing: error))") }
            XCTAssertEqual(status, 500)
            XCTAssertEqual(error?.code, "server")
        }
        var refreshes = try await sandbox.refreshRequests()
        XCTAssertEqual(refreshes - before, 1, "one token request for 20 callers")
        XCTAssertEqual(store.lock.tries.current, 1, "the refresh ran under the store's lock")
        XCTAssertEqual(store.lock.unlocks.current, 1, "and released it")
        XCTAssertEqual(store.lock.lastLeaseMs, 30_000, "lockLeaseSeconds reaches the lock")

        // A caller arriving afterwards starts a new attempt, which works.
        _ = try await session.intensityZones()
        refreshes = try await sandbox.refreshRequests()
        XCTAssertEqual(refreshes - before, 2)
    }

    func testTwentyCallersBehindARefreshAnsweredInvalidGrantShareItWithOneTokenRequest() async throws {
        try await sandbox.refreshReuse("strict")
        let tokens = try await authorize()
        // Another device rotates the grant and keeps the new tokens to itself.
        _ = try await client.session(store: MemoryTokenStore(tokens: tokens)).refresh()
        let store = LockingStore(HostStore(try expired(tokens)))
        let arrived = Event()
        store.store.loadGate = arrived
        let session = client.session(store: store)
        let before = try await sandbox.refreshRequests()

        let outcomes = await callConcurrently(session, 20, arrived: arrived)
        XCTAssertEqual(outcomes.count, 20)
        for error in outcomes {
            guard case .ReauthorizationRequired? = error else { return XCTFail("every caller must reauthorize: \(String(describing: error))") }
            XCTAssertEqual(error?.code, "reauthorization_required")
        }
        var refreshes = try await sandbox.refreshRequests()
        XCTAssertEqual(refreshes - before, 1, "one token request for 20 callers")

        // The refused refresh token is never presented again (reuse detection would revoke the
        // grant for it).
        let again = await expectError { try await session.intensityZones() }
        guard case .ReauthorizationRequired? = again else { return XCTFail("\(String(describing: again))") }
        refreshes = try await sandbox.refreshRequests()
        XCTAssertEqual(refreshes - before, 1, "nothing resent")
        XCTAssertEqual(store.store.tokens?.refreshToken(), tokens.refreshToken(), "the store is left as it was")
    }

    // MARK: the refresh lock

    func testALockWhoseTryLockThrowsIsAStoreErrorAndNoTokenRequestIsSent() async throws {
        let tokens = try expired(try await authorize())
        let store = HostStore(tokens)
        let lock = LeaseLock()
        lock.failing = true
        let session = client.session(store: store, lock: lock) // a separate lock object
        let before = try await sandbox.refreshRequests()

        let error = await expectError { try await session.intensityZones() }
        guard case .Store(let message)? = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertTrue(message.contains("the lock server is down"), message)
        XCTAssertEqual(error?.code, "store")
        let after = try await sandbox.refreshRequests()
        XCTAssertEqual(after, before, "no refresh without the lock")
        XCTAssertGreaterThanOrEqual(lock.tries.current, 1)
        XCTAssertEqual(lock.unlocks.current, 0, "nothing to release")
        XCTAssertEqual(store.tokens, tokens, "nothing lost")
    }

    func testWhileAnotherProcessHoldsTheLockTheSessionWaitsThenUsesTheTokensItSaved() async throws {
        let tokens = try await authorize()
        let store = LockingStore(HostStore(try expired(tokens)))
        let held = try await store.lock.tryLock(owner: "other-process", leaseMs: 60_000)
        XCTAssertTrue(held)
        let session = client.session(store: store)
        let before = try await sandbox.refreshRequests()

        let call = Task { try await session.intensityZones() }
        await store.lock.refused.wait() // the session found the lock taken and is waiting
        // The other process refreshes, saves, releases.
        let refreshed = try await client.session(store: MemoryTokenStore(tokens: tokens)).refresh()
        store.store.tokens = refreshed
        try await store.lock.unlock(owner: "other-process")

        _ = try await call.value
        let refreshes = try await sandbox.refreshRequests()
        XCTAssertEqual(refreshes - before, 1, "only the other process's token request")
        let current = try await session.tokens()
        XCTAssertEqual(current, refreshed, "the session re-read the store under the lock")
    }

    func testBuiltInFileStoresOnOnePathTakeTheLockOneRefreshForTwoSessions() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("enduco-lock-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("tokens.json").path
        try await FileTokenStore(path: path).save(tokens: try expired(try await authorize()))
        // Two store objects on one path take the flock like two processes would.
        let first = client.session(store: FileTokenStore(path: path))
        let second = client.session(store: FileTokenStore(path: path))
        let before = try await sandbox.refreshRequests()

        async let a = callConcurrently(first, 10)
        async let b = callConcurrently(second, 10)
        let outcomes = await a + b
        XCTAssertEqual(outcomes.count, 20)
        XCTAssertTrue(outcomes.allSatisfy { $0 == nil }, "every call succeeds: \(outcomes)")
        let refreshes = try await sandbox.refreshRequests()
        XCTAssertEqual(refreshes - before, 1, "one refresh per grant")
        XCTAssertTrue(FileManager.default.fileExists(atPath: path + ".lock"))
    }

    func testTwoSessionsOnOneHostStoreWithTheReadmesAppGroupLockRefreshOnce() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("enduco-group-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        // One shared store (think: a Keychain access group), two sessions with a lock object
        // each, as the app and its extension would have, the lock passed explicitly.
        let store = HostStore(try expired(try await authorize()))
        let first = client.session(store: store, lock: AppGroupRefreshLock(groupContainer: dir))
        let second = client.session(store: store, lock: AppGroupRefreshLock(groupContainer: dir))
        let before = try await sandbox.refreshRequests()

        async let a = callConcurrently(first, 10)
        async let b = callConcurrently(second, 10)
        let outcomes = await a + b
        XCTAssertEqual(outcomes.count, 20)
        XCTAssertTrue(outcomes.allSatisfy { $0 == nil }, "every call succeeds: \(outcomes)")
        let refreshes = try await sandbox.refreshRequests()
        XCTAssertEqual(refreshes - before, 1, "one refresh per grant")
    }

    // MARK: store timeout and the other client options

    func testAStoreWhoseLoadNeverReturnsFailsAfterTheStoreTimeoutAndTheSessionRecovers() async throws {
        let hurried = try sandbox.client(storeTimeoutSeconds: 0.5)
        let store = HostStore(try await authorize())
        store.hang = true
        let session = hurried.session(store: store)

        let error = await expectError { try await session.intensityZones() }
        guard case .Store(let message)? = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertTrue(message.contains("did not finish"), message)
        await store.hungLoadCancelled.wait() // the SDK cancelled the load it gave up on

        store.hang = false
        let zones = try await session.intensityZones()
        XCTAssertEqual(zones.userId, Sandbox.user, "the session works again")
    }

    func testClientOptionsRefreshMarginStoreTimeoutAndLockLease() async throws {
        let tokens = try expiring(try await authorize(), in: 600)
        let before = try await sandbox.refreshRequests()
        // Default margin (60 s): a token with 10 minutes left is used as it is.
        _ = try await client.session(store: MemoryTokenStore(tokens: tokens)).intensityZones()
        var refreshes = try await sandbox.refreshRequests()
        XCTAssertEqual(refreshes - before, 0)
        // A 15-minute margin refreshes it ahead of expiry; 0 is allowed (refresh only expired tokens).
        let early = try sandbox.client(refreshMarginSeconds: 900)
        _ = try await early.session(store: MemoryTokenStore(tokens: tokens)).intensityZones()
        refreshes = try await sandbox.refreshRequests()
        XCTAssertEqual(refreshes - before, 1)
        XCTAssertNoThrow(try sandbox.client(refreshMarginSeconds: 0, storeTimeoutSeconds: 2.5, lockLeaseSeconds: 0.25))

        for bad in [
            { try self.sandbox.client(refreshMarginSeconds: -1) },
            { try self.sandbox.client(storeTimeoutSeconds: 0) },
            { try self.sandbox.client(lockLeaseSeconds: .nan) },
        ] {
            XCTAssertThrowsError(try bad()) { error in
                XCTAssertEqual((error as? EnducoError)?.code, "invalid_input", "\(error)")
            }
        }
    }
}
