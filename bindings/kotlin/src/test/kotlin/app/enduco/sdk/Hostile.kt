package app.enduco.sdk

import app.enduco.sdk.model.ClientOptions
import app.enduco.sdk.model.ClientSecret
import java.io.File
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.time.Duration
import org.json.JSONObject

/**
 * The misbehaving server (`enduco-hostile --port 0`, built by `cargo build --workspace`) and
 * its list of cases: `GET /cases` names each case, the endpoint it breaks (`zones` or `token`)
 * and the error code the SDK must end in, plus the token sets to start a session from. The
 * cases are declared once, in the server, and every language's suite runs the same list.
 */
class Hostile : AutoCloseable {
    private val binary: String = System.getProperty("enduco.hostile")
        ?: System.getenv("ENDUCO_HOSTILE")
        ?: error("set -Denduco.hostile=/path/to/enduco-hostile (cargo build --workspace builds it)")
    private val process: Process
    val baseUrl: String

    /** One case: the client's environment is `<baseUrl>/<name>`. */
    data class Case(val name: String, val endpoint: String, val expect: String)

    val cases: List<Case>
    /** Fresh tokens: the call goes straight to the data endpoint. */
    val tokens: String
    /** Expired tokens: the call refreshes first. */
    val expiredTokens: String

    init {
        check(File(binary).canExecute()) { "$binary is not an executable; run cargo build --workspace" }
        process = ProcessBuilder(binary, "--port", "0")
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start()
        val stdout = process.inputStream.bufferedReader()
        val first = stdout.readLine() ?: error("enduco-hostile exited before printing its address")
        val match = Regex("""^listening on (http://127\.0\.0\.1:\d+)$""").find(first.trim())
            ?: error("unexpected first line from enduco-hostile: $first")
        baseUrl = match.groupValues[1]
        Thread { stdout.lineSequence().forEach { } }.apply { isDaemon = true }.start()

        val http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()
        val response = http.send(
            HttpRequest.newBuilder(URI("$baseUrl/cases")).timeout(Duration.ofSeconds(10)).GET().build(),
            HttpResponse.BodyHandlers.ofString(),
        )
        check(response.statusCode() == 200) { "GET /cases: ${response.statusCode()}" }
        val list = JSONObject(response.body())
        val array = list.getJSONArray("cases")
        cases = (0 until array.length()).map {
            val case = array.getJSONObject(it)
            Case(case.getString("name"), case.getString("endpoint"), case.getString("expect"))
        }
        tokens = list.getString("tokens")
        expiredTokens = list.getString("expiredTokens")
    }

    /** A client for [case]: request timeout 2 s, retry deadline 5 s. */
    fun client(case: Case): EnducoClient = EnducoClient(ClientOptions(
        clientId = "hostile-client",
        clientSecret = ClientSecret("hostile-secret"),
        redirectUri = "https://app.example/callback",
        environment = "$baseUrl/${case.name}",
        requestTimeoutSeconds = 2.0,
        retryDeadlineSeconds = 5.0,
    ))

    /** The tokens a session for [case] starts from. */
    fun tokensFor(case: Case): TokenSet =
        TokenSet.fromJson(if (case.endpoint == "token") expiredTokens else tokens)

    override fun close() {
        process.destroy()
        if (!process.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) process.destroyForcibly()
    }
}
