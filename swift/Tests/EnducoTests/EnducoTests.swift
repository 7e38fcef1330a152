import Enduco
import Foundation
import XCTest

/// An app-provided store (think Keychain) whose writes can be made to fail.
final class FlakyStore: TokenStore, @unchecked Sendable {
    struct DiskFull: Error, CustomStringConvertible { var description: String { "disk full" } }

    private let lock = NSLock()
    private var _tokens: TokenSet?
    private var _failSaves = false
    private var _failLoads = false
    private var _saves = 0

    init(_ tokens: TokenSet? = nil) { _tokens = tokens }

    var tokens: TokenSet? { lock.withLock { _tokens } }
    var saves: Int { lock.withLock { _saves } }
    var failSaves: Bool {
        get { lock.withLock { _failSaves } }
        set { lock.withLock { _failSaves = newValue } }
    }
    var failLoads: Bool {
        get { lock.withLock { _failLoads } }
        set { lock.withLock { _failLoads = newValue } }
    }

    func load() async throws -> TokenSet? {
        if failLoads { throw EnducoError.Store(message: "keychain locked") }
        return tokens
    }

    func save(tokens: TokenSet) async throws {
        try lock.withLock {
            if _failSaves { throw DiskFull() }
            _tokens = tokens
            _saves += 1
        }
    }

    func clear() async throws { lock.withLock { _tokens = nil } }
}

/// Collects progress callbacks from the SDK's thread.
final class ProgressLog: @unchecked Sendable {
    private let lock = NSLock()
    private var _events: [(Int64, Int64)] = []
    func add(_ sent: Int64, _ total: Int64) { lock.withLock { _events.append((sent, total)) } }
    var events: [(Int64, Int64)] { lock.withLock { _events } }
}

/// Runs `body` and returns the `EnducoError` it must throw.
func expectError<T>(
    _ body: () async throws -> T, file: StaticString = #filePath, line: UInt = #line
) async -> EnducoError? {
    do {
        let value = try await body()
        XCTFail("expected an EnducoError, got \(value)", file: file, line: line)
    } catch let error as EnducoError {
        return error
    } catch {
        XCTFail("expected an EnducoError, got \(error)", file: file, line: line)
    }
    return nil
}

final class EnducoTests: XCTestCase {
    var sandbox: Sandbox { Sandbox.shared }
    var client: EnducoClient!

    override func setUp() async throws {
        try await sandbox.reset()
        client = try sandbox.client()
    }

    let allScopes: [Scope] = [.userRead, .plansRead, .workoutsWrite]

    func authorize(_ scopes: [Scope]? = nil) async throws -> TokenSet {
        let pending = try client.authorizationRequest(scopes: scopes ?? allScopes)
        return try await client.completeAuthorization(pending: pending, callbackUrl: try await sandbox.approve(pending.url()))
    }

    /// The same tokens with an access token that expired a minute ago, as the JSON form allows.
    func expired(_ tokens: TokenSet) throws -> TokenSet {
        var json = try JSONSerialization.jsonObject(with: Data(tokens.toJson().utf8)) as! [String: Any]
        json["expires_at"] = Int(Date().timeIntervalSince1970) - 60
        let text = String(decoding: try JSONSerialization.data(withJSONObject: json), as: UTF8.self)
        return try TokenSet.fromJson(json: text)
    }

    var now: Int64 { Int64(Date().timeIntervalSince1970) }

    // MARK: the whole integration

    func testFullFlow() async throws {
        let pending = try client.authorizationRequest(scopes: allScopes)
        XCTAssertTrue(pending.url().hasPrefix(sandbox.baseURL + "/oauth2/authorize?"))
        XCTAssertNotNil(pending.codeVerifier(), "PKCE is on by default")
        let callback = try await sandbox.approve(pending.url())
        XCTAssertTrue(callback.hasPrefix(Sandbox.redirectUri))

        let tokens = try await client.completeAuthorization(pending: pending, callbackUrl: callback)
        XCTAssertEqual(tokens.userId(), Sandbox.user)
        XCTAssertEqual(Set(tokens.scopes()), ["user_read", "plans_read", "workouts_write"])
        XCTAssertTrue(tokens.hasScope(scope: .workoutsWrite))
        XCTAssertGreaterThan(tokens.expiresAt(), now)

        let store = MemoryTokenStore()
        let session = try await client.connect(store: store, tokens: tokens)
        XCTAssertEqual(store.get(), tokens, "connect saves the tokens")
        let userId = try await session.userId()
        XCTAssertEqual(userId, Sandbox.user)

        let zones = try await session.intensityZones()
        XCTAssertEqual(zones.userId, Sandbox.user)
        let power = try zones.forSport(sport: .cycling, metric: .power)
        XCTAssertFalse(power?.zones.isEmpty ?? true, "the sandbox athlete has cycling power zones")

        let plans = try await session.trainingPlans(from: "2025-06-02", to: "2025-06-08")
        XCTAssertEqual(plans.count, 7)
        XCTAssertEqual(plans.first?.date, "2025-06-02")
        XCTAssertTrue(try plans[0].isRestDay(), "Mondays are rest days in the sandbox")
        let structured = try XCTUnwrap(plans.first { $0.steps.contains { $0.repeat != nil } })
        let timeline = try structured.timeline(zones: zones)
        XCTAssertGreaterThan(timeline.count, structured.steps.count, "repeats are expanded")
        XCTAssertTrue(timeline.contains { $0.resolved?.lower != nil }, "zone targets resolve to bounds")
        let upcoming = try await session.upcomingPlans(days: 3)
        XCTAssertEqual(upcoming.count, 3)

        // Upload with progress, then the same file again: a duplicate, not an error.
        let fit = try sandbox.fit(seed: 7)
        let log = ProgressLog()
        let first = try await session.uploadWorkout(fit: fit, fileName: "ride.fit") { log.add($0, $1) }
        XCTAssertFalse(first.duplicate)
        XCTAssertFalse(first.id.isEmpty)
        let events = log.events
        XCTAssertFalse(events.isEmpty)
        XCTAssertEqual(events.last?.0, Int64(fit.count))
        XCTAssertEqual(events.last?.1, Int64(fit.count))
        XCTAssertEqual(events.map(\.0), events.map(\.0).sorted(), "progress is monotonic")
        let again = try await session.uploadWorkout(fit: fit)
        XCTAssertTrue(again.duplicate)
        XCTAssertEqual(again.id, first.id)

        // Refresh rotates the refresh token and saves before returning.
        let refreshed = try await session.refresh()
        XCTAssertNotEqual(refreshed.refreshToken(), tokens.refreshToken())
        XCTAssertEqual(store.get(), refreshed)
        let current = try await session.tokens()
        XCTAssertEqual(current, refreshed)

        // Revoke clears the store; afterwards the user must connect again.
        try await session.revoke()
        XCTAssertNil(store.get())
        let error = await expectError { try await session.intensityZones() }
        guard case .ReauthorizationRequired? = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertEqual(error?.code, "reauthorization_required")
    }

    func testTheWeeksPlansExportToDeviceFiles() async throws {
        let session = try await client.connect(store: MemoryTokenStore(), tokens: try await authorize())
        let zones = try await session.intensityZones()
        let week = try await session.trainingPlans(from: "2025-06-02", to: "2025-06-08")
        let workouts = week.filter { !$0.isRestDay() && !$0.steps.isEmpty }
        XCTAssertGreaterThanOrEqual(workouts.count, 3, "the sandbox week has structured workouts")
        var ergWritten = 0, ergRefused = 0
        for plan in workouts {
            let fit = try plan.toFitWorkout(zones: zones)
            XCTAssertEqual(String(decoding: fit[8..<12], as: UTF8.self), ".FIT", "a FIT file for \(plan.title)")
            XCTAssertFalse(try plan.toFitWorkout().isEmpty, "zone numbers without zones")
            do {
                let erg = try plan.toErg(zones: zones)
                XCTAssertTrue(erg.contains("[COURSE DATA]"), erg)
                let mrc = try plan.toMrc(zones: zones), zwo = try plan.toZwo(zones: zones)
                XCTAssertTrue(mrc.contains("[COURSE DATA]"), mrc)
                XCTAssertTrue(zwo.contains("<workout_file>"), zwo)
                ergWritten += 1
            } catch EnducoError.InvalidInput(let message) {
                // What a format cannot hold is named: the step, or the workout's sport.
                XCTAssertTrue(message.contains("ERG"), "a typed refusal: \(message)")
                ergRefused += 1
            }
        }
        XCTAssertTrue(ergWritten > 0 && ergRefused > 0, "ERG: \(ergWritten) written, \(ergRefused) refused")
    }

    func testUploadFromAFileWithProgress() async throws {
        let session = try await client.connect(store: MemoryTokenStore(), tokens: try await authorize())
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("ride-\(UUID().uuidString).fit")
        let fit = try sandbox.fit(seed: 12)
        try fit.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let log = ProgressLog()
        let result = try await session.uploadWorkoutFile(path: file.path) { log.add($0, $1) }
        XCTAssertFalse(result.duplicate)
        XCTAssertEqual(log.events.last?.0, Int64(fit.count))
    }

    // MARK: token lifecycle

    func testConcurrentTasksOnAnExpiredTokenRefreshOnce() async throws {
        let store = MemoryTokenStore(tokens: try expired(try await authorize()))
        try await sandbox.expireAccessTokens()
        let session = client.session(store: store)
        let results = try await withThrowingTaskGroup(of: IntensityZones.self) { group in
            for _ in 0..<8 { group.addTask { try await session.intensityZones() } }
            var all: [IntensityZones] = []
            for try await zones in group { all.append(zones) }
            return all
        }
        XCTAssertEqual(results.count, 8)
        let refreshes = try await sandbox.count("/oauth2/token", grantType: "refresh_token")
        XCTAssertEqual(refreshes, 1, "one refresh for 8 callers")
        XCTAssertGreaterThan(store.get()!.expiresAt(), now + 60)
    }

    func testAStoreThatThrowsIsAStoreErrorAndTheTokensAreNotLost() async throws {
        let store = FlakyStore(try expired(try await authorize()))
        try await sandbox.expireAccessTokens()
        let session = client.session(store: store)

        store.failSaves = true
        let error = await expectError { try await session.intensityZones() }
        guard case .Store(let message)? = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertTrue(message.contains("disk full"), message)
        XCTAssertEqual(error?.code, "store")
        XCTAssertEqual(store.saves, 0)

        store.failSaves = false
        _ = try await session.intensityZones()
        XCTAssertEqual(store.saves, 1, "the next call saves the refreshed tokens")
        let current = try await session.tokens()
        XCTAssertEqual(store.tokens, current)
        let refreshes = try await sandbox.count("/oauth2/token", grantType: "refresh_token")
        XCTAssertEqual(refreshes, 1, "the rotated tokens were not lost")

        // A store that throws the SDK's own error keeps it.
        store.failLoads = true
        let fresh = client.session(store: store)
        let load = await expectError { try await fresh.grantedScopes() }
        guard case .Store(let loadMessage)? = load else { return XCTFail("\(String(describing: load))") }
        XCTAssertTrue(loadMessage.contains("keychain locked"), loadMessage)
    }

    func testFileTokenStore() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("enduco-\(UUID().uuidString)")
        let path = dir.appendingPathComponent("tokens.json").path
        let store = FileTokenStore(path: path)
        let empty = try await store.load()
        XCTAssertNil(empty)
        let tokens = try await authorize()
        _ = try await client.connect(store: store, tokens: tokens)
        let loaded = try await store.load()
        XCTAssertEqual(loaded, tokens)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        XCTAssertEqual(mode, 0o600)
        try await store.clear()
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
        try? FileManager.default.removeItem(at: dir)
    }

    // MARK: each error case

    func testStateMismatch() async throws {
        let pending = try client.authorizationRequest(scopes: [.userRead])
        let other = try client.authorizationRequest(scopes: [.userRead])
        let callback = try await sandbox.approve(other.url())
        let error = await expectError { try await self.client.completeAuthorization(pending: pending, callbackUrl: callback) }
        guard case .StateMismatch? = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertEqual(error?.code, "state_mismatch")
        let exchanges = try await sandbox.count("/oauth2/token")
        XCTAssertEqual(exchanges, 0, "no code exchange")
    }

    func testTheUserCancels() async throws {
        let pending = try client.authorizationRequest(scopes: [.userRead])
        let callback = try await sandbox.cancel(pending.url())
        let error = await expectError { try await self.client.completeAuthorization(pending: pending, callbackUrl: callback) }
        guard case .AuthorizationDenied(let code, _)? = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertEqual(code, "access_denied")
        XCTAssertEqual(error?.code, "authorization_denied")
    }

    func testInsufficientScopeFailsBeforeAnyRequest() async throws {
        let session = try await client.connect(store: MemoryTokenStore(), tokens: try await authorize([.userRead]))
        let error = await expectError { try await session.upcomingPlans(days: 7) }
        guard case .InsufficientScope(let missing)? = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertEqual(missing, ["plans_read"])
        let sent = try await sandbox.count("/api/v1/plans")
        XCTAssertEqual(sent, 0)
    }

    func testRateLimitedThenSuccessAndRateLimitedWhenRetriesRunOut() async throws {
        let tokens = try await authorize()
        let session = client.session(store: MemoryTokenStore(tokens: tokens))
        try await sandbox.fault("/api/v1/zones", kind: "status", status: 429, retryAfter: 1)
        _ = try await session.intensityZones()
        let statuses = try await sandbox.statuses("/api/v1/zones")
        XCTAssertEqual(statuses, [429, 200])

        let impatient = try sandbox.client(maxRetries: 0).session(store: MemoryTokenStore(tokens: tokens))
        try await sandbox.fault("/api/v1/zones", kind: "status", status: 429, retryAfter: 7)
        let error = await expectError { try await impatient.intensityZones() }
        guard case .RateLimited(let retryAfter)? = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertEqual(retryAfter, 7)
    }

    func testServerError() async throws {
        let session = try sandbox.client(maxRetries: 0).session(store: MemoryTokenStore(tokens: try await authorize()))
        try await sandbox.fault("/api/v1/zones", kind: "status", status: 503)
        let error = await expectError { try await session.intensityZones() }
        guard case .Server(let status)? = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertEqual(status, 503)
    }

    func testMalformedBodyIsInvalidResponse() async throws {
        let session = client.session(store: MemoryTokenStore(tokens: try await authorize()))
        try await sandbox.fault("/api/v1/zones", kind: "malformed")
        let error = await expectError { try await session.intensityZones() }
        guard case .InvalidResponse? = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertEqual(error?.code, "invalid_response")
    }

    func testCorruptFitIsInvalidInputAndNothingIsSent() async throws {
        let session = client.session(store: MemoryTokenStore(tokens: try await authorize()))
        let corrupt = try sandbox.fit(corrupt: "bad-file-crc")
        let error = await expectError { try await session.uploadWorkout(fit: corrupt) }
        guard case .InvalidInput(let message)? = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertTrue(message.lowercased().contains("crc"), message)
        let sent = try await sandbox.count("/api/v1/workouts")
        XCTAssertEqual(sent, 0)
    }

    func testInvalidInputBeforeAnyRequest() async throws {
        let session = client.session(store: MemoryTokenStore(tokens: try await authorize()))
        let window = await expectError { try await session.trainingPlans(from: "2025-06-02", to: "2025-06-09") }
        guard case .InvalidInput? = window else { return XCTFail("\(String(describing: window))") }
        let badDate = await expectError { try await session.trainingPlans(from: "June 2nd", to: "2025-06-03") }
        guard case .InvalidInput? = badDate else { return XCTFail("\(String(describing: badDate))") }
        let days = await expectError { try await session.upcomingPlans(days: 0) }
        guard case .InvalidInput? = days else { return XCTFail("\(String(describing: days))") }
        XCTAssertThrowsError(try TokenSet.fromJson(json: "{}"))
        XCTAssertThrowsError(
            try EnducoClient(options: ClientOptions(clientId: "a", clientSecret: "b", redirectUri: Sandbox.redirectUri, environment: "http://example.com"))
        )
        let sent = try await sandbox.count("/api/v1/plans")
        XCTAssertEqual(sent, 0)
    }

    func testMaxResponseBytesCapsDataAnswersAndIsChecked() async throws {
        let tokens = try await authorize()
        // A week of plans is several KiB: with a 1 KiB cap it is refused unread.
        let capped = try sandbox.client(maxResponseBytes: 1024).session(store: MemoryTokenStore(tokens: tokens))
        let error = await expectError { try await capped.trainingPlans(from: "2025-06-02", to: "2025-06-08") }
        guard case .InvalidResponse(let message)? = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertTrue(message.contains("larger than 1024 bytes"), message)
        let roomy = try sandbox.client(maxResponseBytes: 1 << 20).session(store: MemoryTokenStore(tokens: tokens))
        let plans = try await roomy.trainingPlans(from: "2025-06-02", to: "2025-06-08")
        XCTAssertEqual(plans.count, 7)
        // Unsigned, as the core declares it: a negative size does not compile.
        for bad: UInt64 in [1023, 0] {
            XCTAssertThrowsError(try sandbox.client(maxResponseBytes: bad)) { error in
                guard case EnducoError.InvalidInput(let message) = error else { return XCTFail("\(error)") }
                XCTAssertTrue(message.contains("max_response_bytes"), message)
            }
        }
    }

    func testApiErrorAndTheRawRequestEscapeHatch() async throws {
        let session = client.session(store: MemoryTokenStore(tokens: try await authorize()))
        let raw = try await session.request(method: "GET", path: "/api/v1/zones")
        XCTAssertEqual(raw.status, 200)
        XCTAssertTrue(String(decoding: raw.body, as: UTF8.self).contains(Sandbox.user))
        let plans = try await session.request(
            method: "GET", path: "/api/v1/plans",
            query: [QueryParam(name: "from", value: "2025-06-02"), QueryParam(name: "to", value: "2025-06-03")])
        XCTAssertEqual(plans.status, 200)
        let error = await expectError { try await session.request(method: "GET", path: "/api/v1/nothing-here") }
        guard case .Api(let status, let code, _)? = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertEqual(status, 404)
        XCTAssertFalse(code.isEmpty)
        XCTAssertEqual(error?.code, "api")
    }

    // MARK: redaction and text forms

    func testDescriptionsNeverShowTokensOrTheVerifier() async throws {
        let pending = try client.authorizationRequest(scopes: [.userRead])
        let tokens = try await client.completeAuthorization(pending: pending, callbackUrl: try await sandbox.approve(pending.url()))
        for text in [tokens.description, tokens.debugDescription, "\(tokens)", String(reflecting: tokens)] {
            XCTAssertFalse(text.contains(tokens.accessToken()), text)
            XCTAssertFalse(text.contains(tokens.refreshToken()!), text)
            XCTAssertTrue(text.contains("[redacted]"), text)
        }
        XCTAssertTrue(tokens.description.contains(Sandbox.user))
        for text in [pending.description, pending.debugDescription] {
            XCTAssertFalse(text.contains(pending.codeVerifier()!), text)
            XCTAssertTrue(text.contains(pending.state()), text)
        }
        let restored = try AuthorizationRequest(
            url: pending.url(), state: pending.state(), codeVerifier: pending.codeVerifier(),
            redirectUri: pending.redirectUri(), scopes: pending.scopes())
        XCTAssertEqual(restored.url(), pending.url())
        // The core's storage form, the same JSON in every language's SDK.
        let fromJson = try AuthorizationRequest.fromJson(json: pending.toJson())
        XCTAssertEqual(fromJson.state(), pending.state())
        XCTAssertEqual(fromJson.codeVerifier(), pending.codeVerifier())
        XCTAssertEqual(try TokenSet.fromJson(json: tokens.toJson()), tokens)
        XCTAssertTrue(EnducoError.Store(message: "disk full").localizedDescription.contains("disk full"))
    }

    func testPrintingTheOptionsNeverShowsTheClientSecret() {
        let options = ClientOptions(clientId: "a", clientSecret: ClientSecret("s3cr3t-value"), redirectUri: Sandbox.redirectUri)
        var dumped = ""
        dump(options, to: &dumped)
        for text in ["\(options)", String(reflecting: options), dumped, "\(options.clientSecret!)"] {
            XCTAssertFalse(text.contains("s3cr3t-value"), text)
            XCTAssertTrue(text.contains("ClientSecret([redacted])"), text)
        }
        XCTAssertEqual(options.clientSecret, "s3cr3t-value")
    }

    func testErrorCodesAreTheStableStrings() {
        let cases: [(EnducoError, String)] = [
            (.InvalidInput(message: "x"), "invalid_input"),
            (.AuthorizationDenied(error: "access_denied", description: nil), "authorization_denied"),
            (.StateMismatch, "state_mismatch"),
            (.ReauthorizationRequired(reason: "x"), "reauthorization_required"),
            (.InsufficientScope(missing: ["plans_read"]), "insufficient_scope"),
            (.RateLimited(retryAfterSeconds: nil), "rate_limited"),
            (.Server(status: 502), "server"),
            (.Api(status: 400, code: "invalid_request", message: "x"), "api"),
            (.Network(message: "x"), "network"),
            (.Timeout, "timeout"),
            (.InvalidResponse(message: "x"), "invalid_response"),
            (.Store(message: "x"), "store"),
            (.Internal(message: "x"), "internal"),
        ]
        for (error, code) in cases { XCTAssertEqual(error.code, code) }
    }

    func testWebhooksParseAndNeverFail() {
        let event = client.parseWebhook(body: Data(#"{"type":"plan.changed","userId":"athlete-1001","from":"2025-06-02"}"#.utf8))
        guard case .planChanged(let user, let from, _, _) = event else { return XCTFail("\(event)") }
        XCTAssertEqual(user, "athlete-1001")
        XCTAssertEqual(from, "2025-06-02")
        guard case .unknown = parseWebhook(body: Data("nonsense".utf8)) else { return XCTFail() }
    }
}
