import Enduco
import Foundation
#if canImport(Glibc)
import Glibc
#endif
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The misbehaving server (`enduco-hostile --port 0`, built by `cargo build --workspace`) and
/// its list of cases: `GET /cases` names each case, the endpoint it breaks (`zones` or `token`)
/// and the error code the SDK must end in, plus the token sets to start a session from. The
/// cases are declared once, in the server, and every language's suite runs the same list.
/// Started once per test process (ENDUCO_HOSTILE names the binary) and stopped at exit.
final class Hostile: @unchecked Sendable {
    struct Case: Sendable {
        let name: String
        /// `zones` or `token`: the endpoint this case breaks.
        let endpoint: String
        /// The error code the call must end in.
        let expect: String
    }

    static let shared: Hostile = {
        do {
            let hostile = try Hostile()
            atexit { Hostile.shared.stop() }
            return hostile
        } catch { fatalError("cannot start enduco-hostile: \(error)") }
    }()

    let baseURL: String
    let cases: [Case]
    /// Fresh tokens: the call goes straight to the data endpoint.
    let tokens: String
    /// Expired tokens: the call refreshes first.
    let expiredTokens: String
    private let process: Process

    private init() throws {
        let env = ProcessInfo.processInfo.environment
        let repo = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let binary = env["ENDUCO_HOSTILE"] ?? repo.appendingPathComponent("target/debug/enduco-hostile").path
        process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["--port", "0"]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        var data = Data()
        while !data.contains(0x0A) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { throw SandboxError("enduco-hostile exited before printing its address") }
            data.append(chunk)
        }
        let line = String(decoding: data.prefix(while: { $0 != 0x0A }), as: UTF8.self)
        guard line.hasPrefix("listening on http://127.0.0.1:") else {
            throw SandboxError("unexpected first line from enduco-hostile: \(line)")
        }
        baseURL = String(line.dropFirst("listening on ".count))
        Thread.detachNewThread { while !out.fileHandleForReading.availableData.isEmpty {} }

        // The list of cases, read once (a blocking GET: this runs once, before any test).
        let answer = Answer()
        let done = DispatchSemaphore(value: 0)
        URLSession(configuration: .ephemeral).dataTask(with: URL(string: baseURL + "/cases")!) { data, response, _ in
            answer.set(data, (response as? HTTPURLResponse)?.statusCode)
            done.signal()
        }.resume()
        done.wait()
        guard answer.status == 200, let body = answer.data,
            let list = try JSONSerialization.jsonObject(with: body) as? [String: Any],
            let items = list["cases"] as? [[String: Any]],
            let fresh = list["tokens"] as? String, let expired = list["expiredTokens"] as? String
        else { throw SandboxError("GET /cases: unexpected answer (status \(String(describing: answer.status)))") }
        cases = items.map {
            Case(name: $0["name"] as? String ?? "", endpoint: $0["endpoint"] as? String ?? "",
                 expect: $0["expect"] as? String ?? "")
        }
        tokens = fresh
        expiredTokens = expired
    }

    /// What the URLSession callback hands over to the waiting thread.
    private final class Answer: @unchecked Sendable {
        private let lock = NSLock()
        private var _data: Data?
        private var _status: Int?
        func set(_ data: Data?, _ status: Int?) { lock.withLock { _data = data; _status = status } }
        var data: Data? { lock.withLock { _data } }
        var status: Int? { lock.withLock { _status } }
    }

    /// A client for `c`: request timeout 2 s, retry deadline 5 s.
    func client(_ c: Case) throws -> EnducoClient {
        try EnducoClient(options: ClientOptions(
            clientId: "hostile-client",
            clientSecret: "hostile-secret",
            redirectUri: "https://app.example/callback",
            environment: baseURL + "/" + c.name,
            requestTimeoutSeconds: 2,
            retryDeadlineSeconds: 5
        ))
    }

    /// The tokens a session for `c` starts from.
    func tokens(for c: Case) throws -> TokenSet {
        try TokenSet.fromJson(json: c.endpoint == "token" ? expiredTokens : tokens)
    }

    func stop() {
        guard process.isRunning else { return }
        // SIGKILL: a child of the XCTest runner may inherit a signal mask that blocks SIGTERM.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
