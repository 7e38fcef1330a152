package app.enduco.sdk

import app.enduco.sdk.model.*
import java.io.IOException
import java.nio.file.Files
import java.nio.file.attribute.PosixFilePermission
import java.time.LocalDate
import java.util.concurrent.atomic.AtomicInteger
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Assertions.fail
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance

/** Runs [block] and returns the exception of type [T] it must throw. */
inline fun <reified T : Throwable> expectThrows(crossinline block: suspend () -> Unit): T = runBlocking {
    val thrown = try {
        block()
        null
    } catch (e: Throwable) {
        e
    }
    when (thrown) {
        null -> fail("expected ${T::class.simpleName}, nothing was thrown")
        is T -> thrown
        else -> throw AssertionError("expected ${T::class.simpleName}, got $thrown", thrown)
    }
}

/** An app-provided store (think EncryptedSharedPreferences) whose writes can be made to fail. */
class FlakyStore(initial: TokenSet? = null) : TokenStore {
    @Volatile var tokens: TokenSet? = initial
    @Volatile var failSaves = false
    @Volatile var failLoads = false
    val saves = AtomicInteger()

    override suspend fun load(): TokenSet? {
        if (failLoads) throw EnducoException.Store("keystore locked")
        return tokens
    }

    override suspend fun save(tokens: TokenSet) {
        if (failSaves) throw IOException("disk full")
        this.tokens = tokens
        saves.incrementAndGet()
    }

    override suspend fun clear() {
        tokens = null
    }
}

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EnducoTest {
    private lateinit var sandbox: Sandbox
    private lateinit var client: EnducoClient

    @BeforeAll
    fun start() {
        sandbox = Sandbox()
        client = sandbox.client()
    }

    @AfterAll
    fun stop() {
        client.close()
        sandbox.close()
    }

    @BeforeEach
    fun reset() {
        sandbox.reset()
    }

    private suspend fun authorize(
        scopes: List<Scope> = listOf(Scope.USER_READ, Scope.PLANS_READ, Scope.WORKOUTS_WRITE),
    ): TokenSet {
        val pending = client.authorizationRequest(scopes)
        return client.completeAuthorization(pending, sandbox.approve(pending.url()))
    }

    /** The same tokens with an access token that expired a minute ago, as the JSON form allows. */
    private fun expired(tokens: TokenSet): TokenSet {
        val json = org.json.JSONObject(tokens.toJson())
        json.put("expires_at", System.currentTimeMillis() / 1000 - 60)
        return TokenSet.fromJson(json.toString())
    }

    // -- the whole integration ---------------------------------------------------------------

    @Test
    fun `full flow - authorize, zones, plans, upload, refresh, revoke`() = runBlocking<Unit> {
        val pending = client.authorizationRequest(listOf(Scope.USER_READ, Scope.PLANS_READ, Scope.WORKOUTS_WRITE))
        assertTrue(pending.url().startsWith("${sandbox.baseUrl}/oauth2/authorize?"), pending.url())
        assertNotNull(pending.codeVerifier(), "PKCE is on by default")
        val callback = sandbox.approve(pending.url())
        assertTrue(callback.startsWith(Sandbox.REDIRECT_URI), callback)

        val tokens = client.completeAuthorization(pending, callback)
        assertEquals(Sandbox.USER, tokens.userId())
        assertEquals(listOf("user_read", "plans_read", "workouts_write").sorted(), tokens.scopes().sorted())
        assertTrue(tokens.hasScope(Scope.WORKOUTS_WRITE))
        assertTrue(tokens.expiresAt() > System.currentTimeMillis() / 1000)

        val store = MemoryTokenStore()
        val session = client.connect(store, tokens)
        assertEquals(tokens, store.get(), "connect saves the tokens")
        assertEquals(Sandbox.USER, session.userId())

        val zones = session.intensityZones()
        assertEquals(Sandbox.USER, zones.userId)
        val power = zones.forSport(Sport.CYCLING, Metric.POWER)
        assertNotNull(power, "the sandbox athlete has cycling power zones")
        assertTrue(power!!.zones.isNotEmpty())

        val monday = LocalDate.of(2025, 6, 2)
        val plans = session.trainingPlans(monday, monday.plusDays(6))
        assertEquals(7, plans.size)
        assertEquals(monday, plans.first().date)
        assertTrue(plans.first().isRestDay(), "Mondays are rest days in the sandbox")
        val structured = plans.first { it.steps.any { s -> s.repeat != null } }
        val timeline = structured.timeline(zones)
        assertTrue(timeline.size > structured.steps.size, "repeats are expanded")
        assertTrue(timeline.any { it.resolved?.lower != null }, "zone targets resolve to bounds")
        assertTrue(session.upcomingPlans(3).size == 3)

        // Upload with progress, then the same file again: a duplicate, not an error.
        val fit = sandbox.fit(seed = 7)
        val progress = mutableListOf<Pair<Long, Long>>()
        val first = session.uploadWorkout(fit, "ride.fit") { sent, total -> synchronized(progress) { progress += sent to total } }
        assertFalse(first.duplicate)
        assertTrue(first.id.isNotEmpty())
        assertTrue(progress.isNotEmpty())
        assertEquals(fit.size.toLong(), progress.last().first)
        assertEquals(fit.size.toLong(), progress.last().second)
        assertEquals(progress.map { it.first }.sorted(), progress.map { it.first }, "progress is monotonic")
        val again = session.uploadWorkout(fit)
        assertTrue(again.duplicate)
        assertEquals(first.id, again.id)

        // Refresh rotates the refresh token and saves before returning.
        val refreshed = session.refresh()
        assertNotEquals(tokens.refreshToken(), refreshed.refreshToken())
        assertEquals(refreshed, store.get())
        assertEquals(refreshed, session.tokens())

        // Revoke clears the store; afterwards the user must connect again.
        session.revoke()
        assertNull(store.get())
        val e = expectThrows<EnducoException.ReauthorizationRequired> { session.intensityZones() }
        assertEquals("reauthorization_required", e.code)
        session.close()
    }

    @Test
    fun `the week's plans export to FIT workouts, ZWO, ERG and MRC`() = runBlocking<Unit> {
        val session = client.session(MemoryTokenStore(authorize()))
        val zones = session.intensityZones()
        val monday = LocalDate.of(2025, 6, 2)
        val workouts = session.trainingPlans(monday, monday.plusDays(6)).filter { !it.isRestDay() && it.steps.isNotEmpty() }
        assertTrue(workouts.size >= 3, "the sandbox week has structured workouts")
        var ergWritten = 0
        var ergRefused = 0
        for (plan in workouts) {
            val fit = plan.toFitWorkout(zones)
            assertEquals(".FIT", String(fit.copyOfRange(8, 12)), "a FIT file for ${plan.title}")
            assertTrue(plan.toFitWorkout(null).isNotEmpty(), "zone numbers without zones")
            try {
                val erg = plan.toErg(zones)
                assertTrue(erg.contains("[COURSE DATA]"), erg)
                assertTrue(plan.toMrc(zones).contains("[COURSE DATA]"))
                assertTrue(plan.toZwo(zones).contains("<workout_file>"))
                ergWritten++
            } catch (e: EnducoException.InvalidInput) {
                // What a format cannot hold is named: the step, or the workout's sport.
                assertTrue(e.detail.contains("ERG"), "a typed refusal: ${e.detail}")
                ergRefused++
            }
        }
        assertTrue(ergWritten > 0 && ergRefused > 0, "ERG: $ergWritten written, $ergRefused refused")
    }

    @Test
    fun `upload progress as a Flow, and from a file`() = runBlocking<Unit> {
        val session = client.connect(MemoryTokenStore(), authorize())
        val fit = sandbox.fit(seed = 11)
        val events = session.uploadWorkoutFlow(fit).toList()
        val done = events.last() as UploadEvent.Done
        assertFalse(done.result.duplicate)
        val last = events.filterIsInstance<UploadEvent.Progress>().last()
        assertEquals(fit.size.toLong(), last.sent)

        val file = Files.createTempFile("ride-", ".fit")
        Files.write(file, sandbox.fit(seed = 12))
        var lastSent = 0L
        val result = session.uploadWorkoutFile(file.toString()) { sent, _ -> lastSent = sent }
        assertFalse(result.duplicate)
        assertEquals(Files.size(file), lastSent)
        Files.delete(file)
    }

    // -- token lifecycle ---------------------------------------------------------------------

    @Test
    fun `concurrent coroutines on an expired token refresh once`() = runBlocking<Unit> {
        val store = MemoryTokenStore(expired(authorize()))
        sandbox.expireAccessTokens()
        val session = client.session(store)
        val results = coroutineScope {
            List(8) { async(Dispatchers.Default) { session.intensityZones() } }.awaitAll()
        }
        assertEquals(8, results.size)
        assertEquals(1, sandbox.count("/oauth2/token", grantType = "refresh_token"), "one refresh for 8 callers")
        assertTrue(store.get()!!.expiresAt() > System.currentTimeMillis() / 1000 + 60)
    }

    @Test
    fun `a store that throws is a store error, the tokens are kept and saved on the next call`() = runBlocking<Unit> {
        val store = FlakyStore(expired(authorize()))
        sandbox.expireAccessTokens()
        val session = client.session(store)

        store.failSaves = true
        val e = expectThrows<EnducoException.Store> { session.intensityZones() }
        assertEquals("store", e.code)
        assertTrue(e.detail.contains("disk full"), e.detail)
        assertEquals(0, store.saves.get())

        store.failSaves = false
        session.intensityZones()
        assertEquals(1, store.saves.get(), "the next call saves the refreshed tokens")
        assertEquals(session.tokens(), store.tokens)
        assertEquals(1, sandbox.count("/oauth2/token", grantType = "refresh_token"), "the rotated tokens were not lost")

        // A store that throws the SDK's own error keeps it.
        store.failLoads = true
        val fresh = client.session(store)
        val load = expectThrows<EnducoException.Store> { fresh.grantedScopes() }
        assertTrue(load.detail.contains("keystore locked"), load.detail)
    }

    @Test
    fun `a rotated-away refresh token requires reauthorization`() = runBlocking<Unit> {
        // Strict: the sandbox's default (overlap, as Spring Authorization Server) would accept
        // the old refresh token again within a second of its rotation.
        sandbox.refreshReuse("strict")
        val tokens = authorize()
        val session = client.session(MemoryTokenStore(tokens))
        session.refresh()
        // Another device still holding the old refresh token.
        val stale = client.session(MemoryTokenStore(expired(tokens)))
        sandbox.expireAccessTokens()
        val e = expectThrows<EnducoException.ReauthorizationRequired> { stale.intensityZones() }
        assertTrue(e.reason.isNotEmpty())
    }

    @Test
    fun `file token store keeps tokens in a private file`() = runBlocking<Unit> {
        val dir = Files.createTempDirectory("enduco-store")
        val path = dir.resolve("tokens.json")
        val store = FileTokenStore(path.toString())
        assertEquals(path.toString(), store.path())
        assertNull(store.load())
        val tokens = authorize()
        val session = client.connect(store, tokens)
        assertEquals(tokens, store.load())
        assertEquals(setOf(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE), Files.getPosixFilePermissions(path))
        session.intensityZones()
        store.clear()
        assertFalse(Files.exists(path))
        dir.toFile().deleteRecursively()
        Unit
    }

    // -- each error case ---------------------------------------------------------------------

    @Test
    fun `state mismatch`() {
        val pending = client.authorizationRequest(listOf(Scope.USER_READ))
        val other = client.authorizationRequest(listOf(Scope.USER_READ))
        val callback = sandbox.approve(other.url())
        val e = expectThrows<EnducoException.StateMismatch> { client.completeAuthorization(pending, callback) }
        assertEquals("state_mismatch", e.code)
        assertEquals(0, sandbox.count("/oauth2/token"), "no code exchange")
    }

    @Test
    fun `the user cancels - access_denied`() {
        val pending = client.authorizationRequest(listOf(Scope.USER_READ))
        val callback = sandbox.cancel(pending.url())
        val e = expectThrows<EnducoException.AuthorizationDenied> { client.completeAuthorization(pending, callback) }
        assertEquals("access_denied", e.error)
        assertEquals("authorization_denied", e.code)
    }

    @Test
    fun `insufficient scope fails before any request`() = runBlocking<Unit> {
        val session = client.connect(MemoryTokenStore(), authorize(listOf(Scope.USER_READ)))
        val e = expectThrows<EnducoException.InsufficientScope> { session.upcomingPlans(7) }
        assertEquals(listOf("plans_read"), e.missing)
        assertEquals("insufficient_scope", e.code)
        assertEquals(0, sandbox.count("/api/v1/plans"))
    }

    @Test
    fun `429 then success, and rate_limited once retries run out`() = runBlocking<Unit> {
        val tokens = authorize()
        val session = client.session(MemoryTokenStore(tokens))
        sandbox.fault("/api/v1/zones", "status", status = 429, retryAfter = 1)
        session.intensityZones()
        assertEquals(listOf(429, 200), sandbox.requests().filter { it.getString("path") == "/api/v1/zones" }.map { it.getInt("status") })

        val impatient = sandbox.client(maxRetries = 0u).session(MemoryTokenStore(tokens))
        sandbox.fault("/api/v1/zones", "status", status = 429, retryAfter = 7)
        val e = expectThrows<EnducoException.RateLimited> { impatient.intensityZones() }
        assertEquals(7L, e.retryAfterSeconds)
        assertEquals("rate_limited", e.code)
    }

    @Test
    fun `server errors after retries`() = runBlocking<Unit> {
        val session = sandbox.client(maxRetries = 0u).session(MemoryTokenStore(authorize()))
        sandbox.fault("/api/v1/zones", "status", status = 503)
        val e = expectThrows<EnducoException.Server> { session.intensityZones() }
        assertEquals(503, e.status)
        assertEquals("server", e.code)
    }

    @Test
    fun `malformed body is invalid_response`() = runBlocking<Unit> {
        val session = client.session(MemoryTokenStore(authorize()))
        sandbox.fault("/api/v1/zones", "malformed")
        val e = expectThrows<EnducoException.InvalidResponse> { session.intensityZones() }
        assertEquals("invalid_response", e.code)
    }

    @Test
    fun `maxResponseBytes caps data answers, and is checked`() = runBlocking<Unit> {
        val tokens = authorize()
        val monday = LocalDate.of(2025, 6, 2)
        // A week of plans is several KiB: with a 1 KiB cap it is refused unread.
        val capped = sandbox.client(maxResponseBytes = 1024u).session(MemoryTokenStore(tokens))
        val e = expectThrows<EnducoException.InvalidResponse> { capped.trainingPlans(monday, monday.plusDays(6)) }
        assertEquals("invalid_response", e.code)
        assertTrue(e.detail.contains("larger than 1024 bytes"), e.detail)
        val roomy = sandbox.client(maxResponseBytes = 1uL shl 20).session(MemoryTokenStore(tokens))
        assertEquals(7, roomy.trainingPlans(monday, monday.plusDays(6)).size)

        // Unsigned, as the core declares it: a negative size does not compile.
        for (bad in listOf(1023uL, 0uL)) {
            val invalid = expectThrows<EnducoException.InvalidInput> { sandbox.client(maxResponseBytes = bad) }
            assertTrue(invalid.detail.contains("max_response_bytes"), invalid.detail)
        }
    }

    @Test
    fun `corrupt FIT is invalid_input and nothing is sent`() = runBlocking<Unit> {
        val session = client.session(MemoryTokenStore(authorize()))
        val e = expectThrows<EnducoException.InvalidInput> {
            session.uploadWorkout(sandbox.fit(corrupt = "bad-file-crc"))
        }
        assertEquals("invalid_input", e.code)
        assertTrue(e.detail.contains("CRC", ignoreCase = true), e.detail)
        assertEquals(0, sandbox.count("/api/v1/workouts"))
    }

    @Test
    fun `invalid input before any request`() = runBlocking<Unit> {
        val session = client.session(MemoryTokenStore(authorize()))
        val monday = LocalDate.of(2025, 6, 2)
        val window = expectThrows<EnducoException.InvalidInput> { session.trainingPlans(monday, monday.plusDays(7)) }
        assertTrue(window.detail.contains("7"), window.detail)
        expectThrows<EnducoException.InvalidInput> { session.upcomingPlans(-1) }
        expectThrows<EnducoException.InvalidInput> { TokenSet.fromJson("{}") }
        expectThrows<EnducoException.InvalidInput> {
            EnducoClient(ClientOptions(clientId = "", clientSecret = ClientSecret("x"), redirectUri = Sandbox.REDIRECT_URI))
        }
        expectThrows<EnducoException.InvalidInput> {
            EnducoClient(
                ClientOptions(clientId = "a", clientSecret = ClientSecret("b"), redirectUri = Sandbox.REDIRECT_URI, environment = "http://example.com"),
            )
        }
        assertEquals(0, sandbox.count("/api/v1/plans"))
    }

    @Test
    fun `api errors keep enduco's code, and the raw request escape hatch`() = runBlocking<Unit> {
        val session = client.session(MemoryTokenStore(authorize()))
        val raw = session.request("GET", "/api/v1/zones")
        assertEquals(200, raw.status.toInt())
        assertTrue(raw.contentType!!.startsWith("application/json"))
        assertTrue(String(raw.body).contains(Sandbox.USER))
        val plans = session.request("GET", "/api/v1/plans", listOf(QueryParam("from", "2025-06-02"), QueryParam("to", "2025-06-03")))
        assertEquals(200, plans.status.toInt())

        val e = expectThrows<EnducoException.Api> { session.request("GET", "/api/v1/nothing-here") }
        assertEquals(404, e.status)
        assertTrue(e.apiCode.isNotEmpty())
        assertEquals("api", e.code)
        expectThrows<EnducoException.InvalidInput> { session.request("POST", "/api/v1/zones", jsonBody = "{not json") }
        Unit
    }

    // -- redaction and text forms -----------------------------------------------------------

    @Test
    fun `toString never shows tokens or the PKCE verifier`() = runBlocking<Unit> {
        val pending = client.authorizationRequest(listOf(Scope.USER_READ))
        val tokens = client.completeAuthorization(pending, sandbox.approve(pending.url()))
        val text = tokens.toString()
        assertFalse(text.contains(tokens.accessToken()), text)
        assertFalse(text.contains(tokens.refreshToken()!!), text)
        assertTrue(text.contains("[redacted]"), text)
        assertTrue(text.contains(Sandbox.USER), "the user id is shown: $text")

        val pendingText = pending.toString()
        assertFalse(pendingText.contains(pending.codeVerifier()!!), pendingText)
        assertTrue(pendingText.contains(pending.state()), pendingText)

        // A pending request survives process death through its parts.
        val restored = AuthorizationRequest(pending.url(), pending.state(), pending.codeVerifier(), pending.redirectUri(), pending.scopes())
        assertEquals(pending.url(), restored.url())
        // The core's storage form, the same JSON in every language's SDK.
        val fromJson = AuthorizationRequest.fromJson(pending.toJson())
        assertEquals(pending.state(), fromJson.state())
        assertEquals(pending.codeVerifier(), fromJson.codeVerifier())

        // Round trip through the JSON form.
        assertEquals(tokens, TokenSet.fromJson(tokens.toJson()))
        val error = EnducoException.Store("disk full")
        assertTrue(error.toString().contains("disk full"), error.toString())
    }

    @Test
    fun `printing the options never shows the client secret`() {
        val options = ClientOptions(clientId = "a", clientSecret = ClientSecret("s3cr3t-value"), redirectUri = Sandbox.REDIRECT_URI)
        for (text in listOf(options.toString(), options.clientSecret.toString())) {
            assertFalse(text.contains("s3cr3t-value"), text)
            assertTrue(text.contains("ClientSecret([redacted])"), text)
        }
        assertEquals(options, options.copy(clientSecret = ClientSecret("s3cr3t-value")))
    }

    @Test
    fun `every native call passes at most eight arguments`() {
        // JNA on aarch64 corrupts by-value structs that do not fit the eight argument registers
        // (the JVM crashed in the client constructor when it took each option separately).
        for (name in listOf("app.enduco.sdk.UniffiLib", "app.enduco.sdk.model.UniffiLib")) {
            val natives = Class.forName(name).declaredMethods.filter { java.lang.reflect.Modifier.isNative(it.modifiers) }
            assertTrue(natives.isNotEmpty(), name)
            assertEquals(emptyList<String>(), natives.filter { it.parameterCount > 8 }.map { "${it.name}: ${it.parameterCount}" })
        }
    }

    @Test
    fun `error codes are the stable strings`() {
        val cases = mapOf(
            EnducoException.InvalidInput("x") to "invalid_input",
            EnducoException.AuthorizationDenied("access_denied", null) to "authorization_denied",
            EnducoException.StateMismatch() to "state_mismatch",
            EnducoException.ReauthorizationRequired("x") to "reauthorization_required",
            EnducoException.InsufficientScope(listOf("plans_read")) to "insufficient_scope",
            EnducoException.RateLimited(null) to "rate_limited",
            EnducoException.Server(502) to "server",
            EnducoException.Api(400, "invalid_request", "x") to "api",
            EnducoException.Network("x") to "network",
            EnducoException.Timeout() to "timeout",
            EnducoException.InvalidResponse("x") to "invalid_response",
            EnducoException.Store("x") to "store",
            EnducoException.Internal("x") to "internal",
        )
        for ((error, code) in cases) assertEquals(code, error.code)
    }

    @Test
    fun `webhooks parse, never fail`() {
        val event = client.parseWebhook("""{"type":"plan.changed","userId":"athlete-1001","from":"2025-06-02","to":"2025-06-08"}""".toByteArray())
        event as WebhookEvent.PlanChanged
        assertEquals("athlete-1001", event.userId)
        assertEquals(LocalDate.of(2025, 6, 2), event.from)
        val gone = parseWebhook("""{"event":"user.deregistered","user_id":42}""".toByteArray())
        assertEquals("42", (gone as WebhookEvent.UserDeregistered).userId)
        assertTrue(parseWebhook("nonsense".toByteArray()) is WebhookEvent.Unknown)
    }
}
