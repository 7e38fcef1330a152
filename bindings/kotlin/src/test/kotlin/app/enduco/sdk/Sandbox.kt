package app.enduco.sdk

import app.enduco.sdk.model.*
import java.io.File
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.nio.file.Files
import java.time.Duration
import org.json.JSONArray
import org.json.JSONObject

/**
 * The enduco sandbox binary (`enduco-sandbox --port 0`), started once per test class, and its
 * control API. Every test talks real HTTP over loopback to it.
 */
class Sandbox : AutoCloseable {
    private val binary: String = System.getProperty("enduco.sandbox")
        ?: System.getenv("ENDUCO_SANDBOX")
        ?: error("set -Denduco.sandbox=/path/to/enduco-sandbox (cargo build --workspace builds it)")
    private val process: Process
    val baseUrl: String
    private val http: HttpClient = HttpClient.newBuilder()
        .followRedirects(HttpClient.Redirect.NEVER)
        .connectTimeout(Duration.ofSeconds(5))
        .build()

    init {
        check(File(binary).canExecute()) { "$binary is not an executable; run cargo build --workspace" }
        process = ProcessBuilder(binary, "--port", "0")
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start()
        val stdout = process.inputStream.bufferedReader()
        val first = stdout.readLine() ?: error("enduco-sandbox exited before printing its address")
        val match = Regex("""^listening on (http://127\.0\.0\.1:\d+)$""").find(first.trim())
            ?: error("unexpected first line from enduco-sandbox: $first")
        baseUrl = match.groupValues[1]
        // Keep draining stdout so the sandbox never blocks on a full pipe.
        Thread { stdout.lineSequence().forEach { } }.apply { isDaemon = true }.start()
    }

    override fun close() {
        process.destroy()
        if (!process.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) process.destroyForcibly()
    }

    fun client(
        environment: String = baseUrl,
        maxRetries: UInt? = null,
        refreshMarginSeconds: Double? = null,
        storeTimeoutSeconds: Double? = null,
        lockLeaseSeconds: Double? = null,
        maxResponseBytes: ULong? = null,
    ): EnducoClient = EnducoClient(ClientOptions(
        clientId = CLIENT_ID,
        clientSecret = ClientSecret(CLIENT_SECRET),
        redirectUri = REDIRECT_URI,
        environment = environment,
        maxRetries = maxRetries,
        timeZone = "Europe/Berlin",
        refreshMarginSeconds = refreshMarginSeconds,
        storeTimeoutSeconds = storeTimeoutSeconds,
        lockLeaseSeconds = lockLeaseSeconds,
        maxResponseBytes = maxResponseBytes,
    ))

    // -- control API -----------------------------------------------------------------------

    fun reset() = post("/_sandbox/reset", "{}")

    fun expireAccessTokens() = post("/_sandbox/expire-access-tokens", "{}")

    fun rotation(enabled: Boolean) = post("/_sandbox/rotation", """{"enabled":$enabled}""")

    /** `strict`, `overlap` (the default) or `family-revoke`: what a reused refresh token gets. */
    fun refreshReuse(policy: String) = post("/_sandbox/refresh-reuse", JSONObject().put("policy", policy).toString())

    fun fault(
        path: String,
        kind: String,
        count: Int = 1,
        status: Int? = null,
        retryAfter: Int? = null,
        delayMs: Int? = null,
    ) {
        val body = JSONObject().put("path", path).put("kind", kind).put("count", count)
        status?.let { body.put("status", it) }
        retryAfter?.let { body.put("retryAfter", it) }
        delayMs?.let { body.put("delayMs", it) }
        post("/_sandbox/faults", body.toString())
    }

    /** The request log: method, path, grantType (token requests), status. */
    fun requests(): List<JSONObject> {
        val body = send(HttpRequest.newBuilder(URI("$baseUrl/_sandbox/requests")).GET()).body()
        val array = JSONArray(body)
        return (0 until array.length()).map { array.getJSONObject(it) }
    }

    /** The sandbox's log of refresh requests (`GET /_sandbox/requests?path=/oauth2/token`). */
    fun refreshRequests(): Int {
        val body = send(HttpRequest.newBuilder(URI("$baseUrl/_sandbox/requests?path=/oauth2/token")).GET()).body()
        val array = JSONArray(body)
        return (0 until array.length()).count { array.getJSONObject(it).optString("grantType") == "refresh_token" }
    }

    fun count(path: String, grantType: String? = null): Int = requests().count {
        it.getString("path") == path && (grantType == null || it.optString("grantType") == grantType)
    }

    private fun post(path: String, json: String): String {
        val response = send(
            HttpRequest.newBuilder(URI(baseUrl + path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)),
        )
        check(response.statusCode() in 200..299) { "POST $path: ${response.statusCode()} ${response.body()}" }
        return response.body()
    }

    private fun send(builder: HttpRequest.Builder): HttpResponse<String> =
        http.send(builder.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString())

    // -- the user's browser ----------------------------------------------------------------

    /** Opens the authorization URL as the browser would (auto-approve): the callback URL. */
    fun approve(authorizationUrl: String): String {
        val response = send(HttpRequest.newBuilder(URI(authorizationUrl)).GET())
        check(response.statusCode() == 302) { "authorize: ${response.statusCode()} ${response.body()}" }
        return response.headers().firstValue("Location").orElseThrow()
    }

    /** The user presses "cancel" on the consent page: the callback URL with error=access_denied. */
    fun cancel(authorizationUrl: String): String {
        val query = URI(authorizationUrl).rawQuery
        val response = send(
            HttpRequest.newBuilder(URI("$baseUrl/oauth2/authorize/decision"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("$query&decision=cancel")),
        )
        check(response.statusCode() == 302) { "decision: ${response.statusCode()} ${response.body()}" }
        return response.headers().firstValue("Location").orElseThrow()
    }

    /** A FIT activity from the sandbox's generator (`--corrupt KIND` damages it). */
    fun fit(seed: Int = 1, records: Int = 600, corrupt: String? = null): ByteArray {
        val out = Files.createTempFile("enduco-", ".fit")
        try {
            val args = mutableListOf(binary, "fit", "--out", out.toString(), "--seed", "$seed", "--records", "$records")
            corrupt?.let { args += listOf("--corrupt", it) }
            val p = ProcessBuilder(args).redirectErrorStream(true).start()
            val output = p.inputStream.bufferedReader().readText()
            check(p.waitFor() == 0) { "enduco-sandbox fit failed: $output" }
            return Files.readAllBytes(out)
        } finally {
            Files.deleteIfExists(out)
        }
    }

    companion object {
        const val CLIENT_ID = "sandbox-client"
        const val CLIENT_SECRET = "sandbox-secret"
        const val REDIRECT_URI = "https://app.example/callback"
        const val USER = "athlete-1001"
    }
}
