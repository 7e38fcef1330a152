import Enduco
import Foundation
import XCTest

/// Relay mode (issue 17, docs/relay.md): an app client with NO client secret. Code exchange,
/// refresh and revoke go through the partner's token relay — the Python one and the Node one —
/// which adds the Basic credentials; data requests go straight to enduco. `run-tests` starts
/// both relays on the host in front of its sandbox (the Python venv and Node need not run
/// inside the Swift root; loopback is shared) and passes their addresses in
/// ENDUCO_PYTHON_RELAY_URL and ENDUCO_NODE_RELAY_URL.
final class RelayTests: XCTestCase {
    static let relayAgent = "enduco-token-relay"
    static let tokenPaths: Set<String> = ["/oauth2/token", "/oauth2/revoke"]
    let allScopes: [Scope] = [.userRead, .plansRead, .workoutsWrite]

    var sandbox: Sandbox { Sandbox.shared }

    override func setUp() async throws {
        try await sandbox.reset()
    }

    /// The relay's address from the environment (`swift/run-tests` sets it).
    func relayURL(_ variable: String) throws -> String {
        guard let url = ProcessInfo.processInfo.environment[variable], !url.isEmpty else {
            throw SandboxError("\(variable) is not set: run swift/run-tests, which starts the Python and Node relays on the host")
        }
        return url
    }

    /// The app's client: a relay URL, no secret.
    func appClient(relay: String) throws -> EnducoClient {
        try EnducoClient(options: ClientOptions(
            clientId: Sandbox.clientId,
            redirectUri: Sandbox.redirectUri,
            tokenRelayUrl: relay,
            environment: sandbox.baseURL,
            timeZone: "Europe/Berlin"
        ))
    }

    /// Every token and revoke request in the log came from the relay; no data request did.
    @discardableResult
    func assertTokenRequestsWentThroughTheRelay(
        _ name: String, file: StaticString = #filePath, line: UInt = #line
    ) async throws -> [[String: Any]] {
        let log = try await sandbox.requests()
        let tokenRequests = log.filter { RelayTests.tokenPaths.contains($0["path"] as? String ?? "") }
        XCTAssertFalse(tokenRequests.isEmpty, "\(name): no token request reached the sandbox", file: file, line: line)
        for r in tokenRequests {
            XCTAssertEqual(r["authenticatedClient"] as? String, Sandbox.clientId, "\(name): not the relay's credentials: \(r)", file: file, line: line)
            XCTAssertTrue((r["userAgent"] as? String ?? "").contains(RelayTests.relayAgent), "\(name): not the relay's User-Agent: \(r)", file: file, line: line)
        }
        let data = log.filter { ($0["path"] as? String ?? "").hasPrefix("/api/") }
        XCTAssertFalse(data.isEmpty, file: file, line: line)
        for r in data {
            XCTAssertFalse((r["userAgent"] as? String ?? "").contains(RelayTests.relayAgent), "a data request went through the relay: \(r)", file: file, line: line)
            XCTAssertNil(r["authenticatedClient"], "a data request carried client credentials: \(r)", file: file, line: line)
        }
        return log
    }

    func wholeFlow(_ name: String, relay: String) async throws {
        let client = try appClient(relay: relay)
        let pending = try client.authorizationRequest(scopes: allScopes)
        XCTAssertTrue(pending.url().hasPrefix(sandbox.baseURL + "/oauth2/authorize?"))
        let tokens = try await client.completeAuthorization(pending: pending, callbackUrl: try await sandbox.approve(pending.url()))
        XCTAssertEqual(tokens.userId(), Sandbox.user)

        let store = MemoryTokenStore()
        let session = try await client.connect(store: store, tokens: tokens)
        let zones = try await session.intensityZones()
        XCTAssertEqual(zones.userId, Sandbox.user)
        let plans = try await session.trainingPlans(from: "2025-06-02", to: "2025-06-08")
        XCTAssertEqual(plans.count, 7)
        let upcoming = try await session.upcomingPlans(days: 3)
        XCTAssertEqual(upcoming.count, 3)
        let uploaded = try await session.uploadWorkout(fit: try sandbox.fit(seed: 37), fileName: "ride.fit")
        XCTAssertFalse(uploaded.duplicate)

        let refreshed = try await session.refresh()
        XCTAssertNotEqual(refreshed.refreshToken(), tokens.refreshToken())
        XCTAssertEqual(store.get(), refreshed, "saved before use")
        let again = try await session.intensityZones()
        XCTAssertEqual(again.userId, Sandbox.user, "the refreshed access token works")
        try await session.revoke()
        XCTAssertNil(store.get())
        let error = await expectError { try await session.intensityZones() }
        XCTAssertEqual(error?.code, "reauthorization_required")

        let log = try await assertTokenRequestsWentThroughTheRelay(name)
        XCTAssertEqual(
            log.filter { $0["path"] as? String == "/oauth2/token" }.compactMap { $0["grantType"] as? String },
            ["authorization_code", "refresh_token"]
        )
        XCTAssertEqual(log.filter { RelayTests.tokenPaths.contains($0["path"] as? String ?? "") }.compactMap { $0["status"] as? Int }, [200, 200, 200])
        let paths = Set(log.compactMap { $0["path"] as? String })
        XCTAssertTrue(paths.isSuperset(of: ["/api/v1/zones", "/api/v1/plans", "/api/v1/workouts"]), "\(paths)")
    }

    func testWholeFlowWithoutASecretThroughThePythonRelay() async throws {
        try await wholeFlow("python relay", relay: try relayURL("ENDUCO_PYTHON_RELAY_URL"))
    }

    func testWholeFlowWithoutASecretThroughTheNodeRelay() async throws {
        try await wholeFlow("node relay", relay: try relayURL("ENDUCO_NODE_RELAY_URL"))
    }

    func testConcurrentTasksOnAnExpiredTokenRefreshOnceAndAFailedSaveLosesNothing() async throws {
        for (name, variable) in [("python relay", "ENDUCO_PYTHON_RELAY_URL"), ("node relay", "ENDUCO_NODE_RELAY_URL")] {
            try await sandbox.reset()
            let client = try appClient(relay: try relayURL(variable))
            let pending = try client.authorizationRequest(scopes: allScopes)
            let tokens = try await client.completeAuthorization(pending: pending, callbackUrl: try await sandbox.approve(pending.url()))
            var json = try JSONSerialization.jsonObject(with: Data(tokens.toJson().utf8)) as! [String: Any]
            json["expires_at"] = Int(Date().timeIntervalSince1970) - 60
            let store = FlakyStore(try TokenSet.fromJson(json: String(decoding: try JSONSerialization.data(withJSONObject: json), as: UTF8.self)))
            try await sandbox.expireAccessTokens()
            let session = client.session(store: store)
            // The first save fails: the refreshed tokens are kept and saved on the next call.
            store.failSaves = true
            let failed = await expectError { try await session.intensityZones() }
            XCTAssertEqual(failed?.code, "store")
            store.failSaves = false
            let results = try await withThrowingTaskGroup(of: IntensityZones.self) { group in
                for _ in 0..<8 { group.addTask { try await session.intensityZones() } }
                var all: [IntensityZones] = []
                for try await zones in group { all.append(zones) }
                return all
            }
            XCTAssertEqual(results.count, 8)
            let refreshes = try await sandbox.count("/oauth2/token", grantType: "refresh_token")
            XCTAssertEqual(refreshes, 1, "\(name): one refresh, nothing lost")
            XCTAssertEqual(store.saves, 1)
            try await assertTokenRequestsWentThroughTheRelay(name)
        }
    }

    func testAClientNeedsASecretOrARelayNotBoth() throws {
        XCTAssertThrowsError(try EnducoClient(options: ClientOptions(clientId: Sandbox.clientId, redirectUri: Sandbox.redirectUri, environment: sandbox.baseURL))) { error in
            guard case .InvalidInput(let message)? = error as? EnducoError else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("neither"), message)
        }
        XCTAssertThrowsError(
            try EnducoClient(options: ClientOptions(
                clientId: Sandbox.clientId, clientSecret: ClientSecret(Sandbox.clientSecret), redirectUri: Sandbox.redirectUri,
                tokenRelayUrl: "https://relay.example/enduco", environment: sandbox.baseURL
            ))
        ) { error in
            guard case .InvalidInput(let message)? = error as? EnducoError else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("not both"), message)
        }
    }
}
