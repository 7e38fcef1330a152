import Enduco
import Foundation
#if canImport(Glibc)
import Glibc
#endif
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The enduco sandbox binary and its control API. `run-tests` starts one on the host and
/// passes its address in ENDUCO_SANDBOX_URL; without it the tests start their own
/// (`enduco-sandbox --port 0`). Every test talks real HTTP over loopback to it.
final class Sandbox: @unchecked Sendable {
    static let clientId = "sandbox-client"
    static let clientSecret = "sandbox-secret"
    static let redirectUri = "https://app.example/callback"
    static let user = "athlete-1001"

    /// One sandbox for the whole test run, shared by every test class; one the tests started
    /// themselves is stopped when the test process exits.
    static let shared: Sandbox = {
        do {
            let sandbox = try Sandbox()
            atexit { Sandbox.shared.stop() }
            return sandbox
        } catch { fatalError("cannot start the sandbox: \(error)") }
    }()

    let baseURL: String
    let binary: String
    private var process: Process?
    private let http: URLSession

    private init() throws {
        let env = ProcessInfo.processInfo.environment
        let repo = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        binary = env["ENDUCO_SANDBOX"] ?? repo.appendingPathComponent("target/debug/enduco-sandbox").path
        http = URLSession(configuration: .ephemeral, delegate: NoRedirects(), delegateQueue: nil)
        if let url = env["ENDUCO_SANDBOX_URL"] {
            baseURL = url
            return
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["--port", "0"]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        var data = Data()
        while !data.contains(0x0A) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { throw SandboxError("enduco-sandbox exited before printing its address") }
            data.append(chunk)
        }
        let line = String(decoding: data.prefix(while: { $0 != 0x0A }), as: UTF8.self)
        guard line.hasPrefix("listening on http://127.0.0.1:") else {
            throw SandboxError("unexpected first line from enduco-sandbox: \(line)")
        }
        baseURL = String(line.dropFirst("listening on ".count))
        self.process = process
        // Keep draining stdout so the sandbox never blocks on a full pipe.
        Thread.detachNewThread { while !out.fileHandleForReading.availableData.isEmpty {} }
    }

    func stop() {
        guard let process, process.isRunning else { return }
        // SIGKILL: a child of the XCTest runner may inherit a signal mask that blocks SIGTERM.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    func client(
        maxRetries: UInt32? = nil,
        refreshMarginSeconds: Double? = nil,
        storeTimeoutSeconds: Double? = nil,
        lockLeaseSeconds: Double? = nil,
        maxResponseBytes: UInt64? = nil
    ) throws -> EnducoClient {
        try EnducoClient(options: ClientOptions(
            clientId: Sandbox.clientId,
            clientSecret: ClientSecret(Sandbox.clientSecret),
            redirectUri: Sandbox.redirectUri,
            environment: baseURL,
            timeZone: "Europe/Berlin",
            maxRetries: maxRetries,
            refreshMarginSeconds: refreshMarginSeconds,
            storeTimeoutSeconds: storeTimeoutSeconds,
            lockLeaseSeconds: lockLeaseSeconds,
            maxResponseBytes: maxResponseBytes
        ))
    }

    // MARK: control API

    func reset() async throws { _ = try await post("/_sandbox/reset", json: [:]) }

    func expireAccessTokens() async throws { _ = try await post("/_sandbox/expire-access-tokens", json: [:]) }

    func fault(
        _ path: String, kind: String, count: Int = 1, status: Int? = nil, retryAfter: Int? = nil,
        delayMs: Int? = nil
    ) async throws {
        var body: [String: Any] = ["path": path, "kind": kind, "count": count]
        if let status { body["status"] = status }
        if let retryAfter { body["retryAfter"] = retryAfter }
        if let delayMs { body["delayMs"] = delayMs }
        _ = try await post("/_sandbox/faults", json: body)
    }

    /// Drops every pending fault (`DELETE /_sandbox/faults`).
    func clearFaults() async throws {
        var request = URLRequest(url: URL(string: baseURL + "/_sandbox/faults")!)
        request.httpMethod = "DELETE"
        let (data, response) = try await send(request)
        guard (200..<300).contains(response.statusCode) else {
            throw SandboxError("DELETE /_sandbox/faults: \(response.statusCode) \(String(decoding: data, as: UTF8.self))")
        }
    }

    /// `strict`, `overlap` (the default) or `family-revoke`: what a reused refresh token gets.
    func refreshReuse(_ policy: String) async throws {
        _ = try await post("/_sandbox/refresh-reuse", json: ["policy": policy])
    }

    /// The sandbox's log of refresh requests (`GET /_sandbox/requests?path=/oauth2/token`).
    func refreshRequests() async throws -> Int {
        let (data, _) = try await send(URLRequest(url: URL(string: baseURL + "/_sandbox/requests?path=/oauth2/token")!))
        let log = try JSONSerialization.jsonObject(with: data) as? [[String: Any]] ?? []
        return log.filter { $0["grantType"] as? String == "refresh_token" }.count
    }

    /// The request log: method, path, grantType (token requests), status.
    func requests() async throws -> [[String: Any]] {
        let (data, _) = try await send(URLRequest(url: URL(string: baseURL + "/_sandbox/requests")!))
        return try JSONSerialization.jsonObject(with: data) as? [[String: Any]] ?? []
    }

    func count(_ path: String, grantType: String? = nil) async throws -> Int {
        try await requests().filter {
            $0["path"] as? String == path && (grantType == nil || $0["grantType"] as? String == grantType)
        }.count
    }

    func statuses(_ path: String) async throws -> [Int] {
        try await requests().filter { $0["path"] as? String == path }.compactMap { $0["status"] as? Int }
    }

    private func post(_ path: String, json: [String: Any]) async throws -> Data {
        var request = URLRequest(url: URL(string: baseURL + path)!)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = try JSONSerialization.data(withJSONObject: json)
        let (data, response) = try await send(request)
        guard (200..<300).contains(response.statusCode) else {
            throw SandboxError("POST \(path): \(response.statusCode) \(String(decoding: data, as: UTF8.self))")
        }
        return data
    }

    private func send(_ request: URLRequest) async throws -> (Data, HTTPURLResponse) {
        try await withCheckedThrowingContinuation { continuation in
            http.dataTask(with: request) { data, response, error in
                if let error { return continuation.resume(throwing: error) }
                continuation.resume(returning: (data ?? Data(), response as! HTTPURLResponse))
            }.resume()
        }
    }

    // MARK: the user's browser

    /// Opens the authorization URL as the browser would (auto-approve): the callback URL.
    func approve(_ authorizationURL: String) async throws -> String {
        let (_, response) = try await send(URLRequest(url: URL(string: authorizationURL)!))
        guard response.statusCode == 302, let location = response.value(forHTTPHeaderField: "Location") else {
            throw SandboxError("authorize answered \(response.statusCode)")
        }
        return location
    }

    /// The user presses "cancel" on the consent page: the callback URL with error=access_denied.
    func cancel(_ authorizationURL: String) async throws -> String {
        let query = URLComponents(string: authorizationURL)!.percentEncodedQuery!
        var request = URLRequest(url: URL(string: baseURL + "/oauth2/authorize/decision")!)
        request.httpMethod = "POST"
        request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data((query + "&decision=cancel").utf8)
        let (_, response) = try await send(request)
        guard response.statusCode == 302, let location = response.value(forHTTPHeaderField: "Location") else {
            throw SandboxError("decision answered \(response.statusCode)")
        }
        return location
    }

    /// A FIT activity from the sandbox's generator (`corrupt` damages it).
    func fit(seed: Int = 1, corrupt: String? = nil) throws -> Data {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("enduco-\(UUID().uuidString).fit")
        defer { try? FileManager.default.removeItem(at: out) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["fit", "--out", out.path, "--seed", "\(seed)"] + (corrupt.map { ["--corrupt", $0] } ?? [])
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw SandboxError("enduco-sandbox fit failed") }
        return try Data(contentsOf: out)
    }
}

extension Sandbox {
    /// A FIT activity of about `size` bytes from the sandbox's generator, written to a
    /// temporary file (streamed: the generator's memory stays flat). Remove it when done.
    func fitFile(seed: Int, size: Int) throws -> URL {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("enduco-big-\(UUID().uuidString).fit")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["fit", "--out", out.path, "--seed", "\(seed)", "--size", "\(size)"]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw SandboxError("enduco-sandbox fit --size failed") }
        return out
    }
}

struct SandboxError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The sandbox's 302 is the answer the tests want, not a page to follow.
final class NoRedirects: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
    func urlSession(
        _ session: URLSession, task: URLSessionTask,
        willPerformHTTPRedirection response: HTTPURLResponse, newRequest request: URLRequest,
        completionHandler: @escaping (URLRequest?) -> Void
    ) {
        completionHandler(nil)
    }
}
