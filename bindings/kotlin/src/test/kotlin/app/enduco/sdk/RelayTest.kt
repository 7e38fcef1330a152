package app.enduco.sdk

import app.enduco.sdk.model.*
import java.io.File
import java.time.LocalDate
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.runBlocking
import org.json.JSONObject
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance

/**
 * A token relay from the Python or Node package (`python -m enduco.relay`,
 * `node node/bin/enduco-relay.js`), started for real in front of the sandbox with the client
 * secret in its environment; ready once it printed `listening on http://127.0.0.1:PORT`.
 */
class RelayProcess(val name: String, command: List<String>) : AutoCloseable {
    private val process: Process
    val url: String

    init {
        val builder = ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT)
        builder.environment()["ENDUCO_CLIENT_SECRET"] = Sandbox.CLIENT_SECRET
        builder.environment().remove("ENDUCO_CLIENT_ID")
        process = builder.start()
        val stdout = process.inputStream.bufferedReader()
        val first = stdout.readLine() ?: error("$name exited before printing its address")
        url = Regex("""^listening on (http://127\.0\.0\.1:\d+)$""").find(first.trim())?.groupValues?.get(1)
            ?: error("unexpected first line from $name: $first")
        Thread { stdout.lineSequence().forEach { } }.apply { isDaemon = true }.start()
    }

    override fun close() {
        process.destroy()
        if (!process.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) process.destroyForcibly()
    }

    companion object {
        /** A path from the environment (bindings/kotlin/run-tests sets them), checked. */
        private fun path(variable: String, what: String): String {
            val value = System.getenv(variable)
                ?: error("$variable is not set: run bindings/kotlin/run-tests (it points it at $what)")
            check(File(value).exists()) { "$variable=$value does not exist: $what (run python/run-tests and node/run-tests first)" }
            return value
        }

        fun args(sandbox: Sandbox) = listOf(
            "--port", "0", "--environment", sandbox.baseUrl, "--client-id", Sandbox.CLIENT_ID, "--quiet",
        )

        fun python(sandbox: Sandbox) = RelayProcess(
            "python -m enduco.relay",
            listOf(path("ENDUCO_RELAY_PYTHON", "python/.venv/bin/python with the enduco package"), "-m", "enduco.relay") + args(sandbox),
        )

        fun node(sandbox: Sandbox) = RelayProcess(
            "node enduco-relay.js",
            listOf(System.getenv("ENDUCO_NODE") ?: "node", path("ENDUCO_RELAY_NODE_SCRIPT", "node/bin/enduco-relay.js with the built addon")) +
                args(sandbox),
        )
    }
}

/**
 * Relay mode (issue 17, docs/relay.md): an app client with NO client secret. Code exchange,
 * refresh and revoke go through the partner's token relay — the Python one and the Node one —
 * which adds the Basic credentials; data requests go straight to enduco. The sandbox's request
 * log shows who sent what.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RelayTest {
    private lateinit var sandbox: Sandbox
    private lateinit var pythonRelay: RelayProcess
    private lateinit var nodeRelay: RelayProcess

    @BeforeAll
    fun start() {
        sandbox = Sandbox()
        pythonRelay = RelayProcess.python(sandbox)
        nodeRelay = RelayProcess.node(sandbox)
    }

    @AfterAll
    fun stop() {
        if (::nodeRelay.isInitialized) nodeRelay.close()
        if (::pythonRelay.isInitialized) pythonRelay.close()
        sandbox.close()
    }

    @BeforeEach
    fun reset() {
        sandbox.reset()
    }

    /** The app's client: a relay URL, no secret. */
    private fun appClient(relay: RelayProcess) = EnducoClient(ClientOptions(
        clientId = Sandbox.CLIENT_ID,
        redirectUri = Sandbox.REDIRECT_URI,
        tokenRelayUrl = relay.url,
        environment = sandbox.baseUrl,
        timeZone = "Europe/Berlin",
    ))

    private val allScopes = listOf(Scope.USER_READ, Scope.PLANS_READ, Scope.WORKOUTS_WRITE)

    /** Every token and revoke request in the log came from the relay; no data request did. */
    private fun assertTokenRequestsWentThroughTheRelay(relay: RelayProcess): List<JSONObject> {
        val log = sandbox.requests()
        val tokenRequests = log.filter { it.getString("path") in TOKEN_PATHS }
        assertTrue(tokenRequests.isNotEmpty(), "${relay.name}: no token request reached the sandbox")
        for (r in tokenRequests) {
            assertEquals(Sandbox.CLIENT_ID, r.optString("authenticatedClient"), "${relay.name}: not the relay's credentials: $r")
            assertTrue(r.optString("userAgent").contains(RELAY_AGENT), "${relay.name}: not the relay's User-Agent: $r")
        }
        val data = log.filter { it.getString("path").startsWith("/api/") }
        assertTrue(data.isNotEmpty())
        for (r in data) {
            assertFalse(r.optString("userAgent").contains(RELAY_AGENT), "a data request went through the relay: $r")
            assertFalse(r.has("authenticatedClient"), "a data request carried client credentials: $r")
        }
        return log
    }

    private fun wholeFlow(relay: RelayProcess) = runBlocking<Unit> {
        val client = appClient(relay)
        val pending = client.authorizationRequest(allScopes)
        assertTrue(pending.url().startsWith("${sandbox.baseUrl}/oauth2/authorize?"), pending.url())
        val tokens = client.completeAuthorization(pending, sandbox.approve(pending.url()))
        assertEquals(Sandbox.USER, tokens.userId())

        val store = MemoryTokenStore()
        val session = client.connect(store, tokens)
        assertEquals(Sandbox.USER, session.intensityZones().userId)
        val monday = LocalDate.of(2025, 6, 2)
        assertEquals(7, session.trainingPlans(monday, monday.plusDays(6)).size)
        assertEquals(3, session.upcomingPlans(3).size)
        val uploaded = session.uploadWorkout(sandbox.fit(seed = 31), "ride.fit")
        assertFalse(uploaded.duplicate)

        val refreshed = session.refresh()
        assertNotEquals(tokens.refreshToken(), refreshed.refreshToken())
        assertEquals(refreshed, store.get())
        assertEquals(Sandbox.USER, session.intensityZones().userId, "the refreshed access token works")
        session.revoke()
        assertNull(store.get())
        expectThrows<EnducoException.ReauthorizationRequired> { session.intensityZones() }
        session.close()
        client.close()

        val log = assertTokenRequestsWentThroughTheRelay(relay)
        assertEquals(
            listOf("authorization_code", "refresh_token"),
            log.filter { it.getString("path") == "/oauth2/token" }.map { it.optString("grantType") },
        )
        assertEquals(listOf(200, 200, 200), log.filter { it.getString("path") in TOKEN_PATHS }.map { it.getInt("status") })
        val paths = log.map { it.getString("path") }.toSet()
        assertTrue(paths.containsAll(listOf("/api/v1/zones", "/api/v1/plans", "/api/v1/workouts")), paths.toString())
    }

    @Test
    fun `whole flow without a secret through the Python relay`() = wholeFlow(pythonRelay)

    @Test
    fun `whole flow without a secret through the Node relay`() = wholeFlow(nodeRelay)

    @Test
    fun `concurrent coroutines on an expired token refresh once through either relay`() = runBlocking<Unit> {
        for (relay in listOf(pythonRelay, nodeRelay)) {
            sandbox.reset()
            val client = appClient(relay)
            val pending = client.authorizationRequest(allScopes)
            val tokens = client.completeAuthorization(pending, sandbox.approve(pending.url()))
            val json = JSONObject(tokens.toJson()).put("expires_at", System.currentTimeMillis() / 1000 - 60)
            val store = FlakyStore(TokenSet.fromJson(json.toString()))
            sandbox.expireAccessTokens()
            val session = client.session(store)
            // The first save fails: the refreshed tokens are kept and saved on the next call.
            store.failSaves = true
            expectThrows<EnducoException.Store> { session.intensityZones() }
            store.failSaves = false
            val results = coroutineScope { List(8) { async(Dispatchers.Default) { session.intensityZones() } }.awaitAll() }
            assertEquals(8, results.size)
            assertEquals(1, sandbox.count("/oauth2/token", grantType = "refresh_token"), "${relay.name}: one refresh, nothing lost")
            assertEquals(1, store.saves.get())
            assertTokenRequestsWentThroughTheRelay(relay)
            session.close()
            client.close()
        }
    }

    @Test
    fun `a client needs a secret or a relay, not both`() {
        val neither = expectThrows<EnducoException.InvalidInput> {
            EnducoClient(ClientOptions(clientId = Sandbox.CLIENT_ID, redirectUri = Sandbox.REDIRECT_URI, environment = sandbox.baseUrl))
        }
        assertTrue(neither.detail.contains("neither"), neither.detail)
        val both = expectThrows<EnducoException.InvalidInput> {
            EnducoClient(ClientOptions(
                clientId = Sandbox.CLIENT_ID, clientSecret = ClientSecret(Sandbox.CLIENT_SECRET),
                redirectUri = Sandbox.REDIRECT_URI, tokenRelayUrl = pythonRelay.url, environment = sandbox.baseUrl,
            ))
        }
        assertTrue(both.detail.contains("not both"), both.detail)
        // Positional use: the id, the secret and the redirect URI come first.
        EnducoClient(
            ClientOptions(Sandbox.CLIENT_ID, ClientSecret(Sandbox.CLIENT_SECRET), Sandbox.REDIRECT_URI, environment = sandbox.baseUrl),
        ).close()
    }

    companion object {
        const val RELAY_AGENT = "enduco-token-relay"
        val TOKEN_PATHS = setOf("/oauth2/token", "/oauth2/revoke")
    }
}
