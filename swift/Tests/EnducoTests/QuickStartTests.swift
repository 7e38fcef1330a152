import Enduco
import Foundation
#if canImport(Glibc)
import Glibc // setenv
#endif
#if canImport(FoundationNetworking)
import FoundationNetworking // URLSession on Linux
#endif
import XCTest

/// The Swift two-minute start of bindings/README.md, which is the source of truth. The block after
/// `<!-- quickstart-swift: … -->` is a `main.swift`: its import lines are this file's, and the
/// rest runs verbatim inside `testTheQuickStartRunsAgainstTheSandbox` (between the
/// quickstart-begin/-end markers), with ENDUCO_SANDBOX_URL set to the suite's sandbox and
/// `print` captured. `testTheReadmeBlockIsWhatRuns` fails on any drift between the two.
final class QuickStartTests: XCTestCase {
    static let file = URL(fileURLWithPath: #filePath)
    static let readme = file.deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("bindings/README.md")

    func testTheQuickStartRunsAgainstTheSandbox() async throws {
        setenv("ENDUCO_SANDBOX_URL", Sandbox.shared.baseURL, 1)
        let before = try await Sandbox.shared.count("/oauth2/token", grantType: "authorization_code")
        var printed: [String] = []
        func print(_ items: Any...) { printed.append(items.map { "\($0)" }.joined(separator: " ")) }

        // quickstart-begin
        let sandbox = ProcessInfo.processInfo.environment["ENDUCO_SANDBOX_URL"] ?? "http://127.0.0.1:8787"
        let client = try EnducoClient(options: ClientOptions(
            clientId: "sandbox-client",
            clientSecret: "sandbox-secret", // the sandbox's app; a phone app uses tokenRelayUrl instead
            redirectUri: "https://app.example/callback",
            environment: sandbox
        ))

        // 1. Sign in. An app opens request.url() with ASWebAuthenticationSession; the sandbox approves at
        //    once, so GET it without following the redirect: the Location header is the callback URL.
        final class NoRedirects: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
            func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                            newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
                completionHandler(nil)
            }
        }
        let request = try client.authorizationRequest(scopes: [.userRead, .plansRead])
        let browser = URLSession(configuration: .ephemeral, delegate: NoRedirects(), delegateQueue: nil)
        let (_, answer) = try await browser.data(from: URL(string: request.url())!)
        let callback = (answer as! HTTPURLResponse).value(forHTTPHeaderField: "Location")!
        let tokens = try await client.completeAuthorization(pending: request, callbackUrl: callback)
        let session = try await client.connect(store: MemoryTokenStore(), tokens: tokens)

        // 2. Read the athlete's FTP and the next three days' plans.
        let zones = try await session.intensityZones()
        print("FTP", zones.forSport(sport: .cycling, metric: .power)?.threshold ?? 0)
        for plan in try await session.upcomingPlans(days: 3) { print(plan.date, plan.sport, plan.title) }
        // quickstart-end

        XCTAssertEqual(printed.count, 4, "the FTP and three days of plans: \(printed)")
        XCTAssertNotNil(printed.first?.wholeMatch(of: /FTP \d+(\.\d+)?/), "\(printed)")
        XCTAssertNotEqual(printed.first, "FTP 0", "the sandbox athlete has an FTP")
        for line in printed.dropFirst() {
            XCTAssertNotNil(line.wholeMatch(of: /\d{4}-\d{2}-\d{2} \w+ .*/), line)
        }
        let after = try await Sandbox.shared.count("/oauth2/token", grantType: "authorization_code")
        XCTAssertGreaterThan(after, before, "the quick start signed in at the suite's sandbox")
    }

    func testTheReadmeBlockIsWhatRuns() throws {
        let readme = try String(contentsOf: Self.readme, encoding: .utf8)
        let marker = try XCTUnwrap(readme.range(of: "<!-- quickstart-swift:"), "bindings/README.md has the quickstart-swift marker")
        let open = try XCTUnwrap(readme.range(of: "```swift\n", range: marker.upperBound..<readme.endIndex))
        let close = try XCTUnwrap(readme.range(of: "```", range: open.upperBound..<readme.endIndex))
        var block = readme[open.upperBound..<close.lowerBound].split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if block.last == "" { block.removeLast() }
        // The preamble (comments, imports, #if/#endif) must be this file's own imports.
        let source = try String(contentsOf: Self.file, encoding: .utf8)
        let sourceLines = Set(source.split(separator: "\n").map(String.init))
        var preamble = 0
        while preamble < block.count, block[preamble].isEmpty || ["//", "import ", "#if", "#endif"].contains(where: block[preamble].hasPrefix) {
            if !block[preamble].isEmpty && !block[preamble].hasPrefix("//") {
                XCTAssertTrue(sourceLines.contains(block[preamble]), "QuickStartTests.swift lacks the README's `\(block[preamble])`")
            }
            preamble += 1
        }
        let lines = source.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let begin = try XCTUnwrap(lines.firstIndex { $0.trimmingCharacters(in: .whitespaces) == "// quickstart-begin" })
        let end = try XCTUnwrap(lines.firstIndex { $0.trimmingCharacters(in: .whitespaces) == "// quickstart-end" })
        XCTAssertEqual(
            Self.dedent(Array(lines[(begin + 1)..<end])), Self.dedent(Array(block[preamble...])),
            "bindings/README.md's Swift quick start and the region of QuickStartTests.swift differ: the README is the source of truth, copy it over"
        )
    }

    /// The lines without their common indentation (blank lines empty).
    static func dedent(_ lines: [String]) -> [String] {
        let indent = lines.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
            .map { $0.prefix(while: { $0 == " " }).count }.min() ?? 0
        return lines.map { $0.trimmingCharacters(in: .whitespaces).isEmpty ? "" : String($0.dropFirst(indent)) }
    }
}
