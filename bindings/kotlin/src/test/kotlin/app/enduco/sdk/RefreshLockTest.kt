package app.enduco.sdk

import app.enduco.sdk.model.*
import java.io.IOException
import java.nio.file.Files
import java.util.concurrent.atomic.AtomicInteger
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.awaitCancellation
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.runBlocking
import org.json.JSONObject
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.Timeout

/**
 * A refresh lock as an app keeps it in storage every process can reach (a database row, a
 * shared container): a lease per owner, owner-only release. Counts what the SDK asks of it.
 */
class LeaseLock : RefreshLock {
    /** Thrown by every [tryLock] while set (the lock server is down). */
    @Volatile var failure: Exception? = null
    val tries = AtomicInteger()
    val unlocks = AtomicInteger()
    @Volatile var lastLeaseMs = 0L
    /** Completed the first time [tryLock] answers false (another owner holds the lock). */
    val refused = CompletableDeferred<Unit>()
    private var holder: String? = null
    private var until = 0L

    override suspend fun tryLock(owner: String, leaseMs: Long): Boolean {
        tries.incrementAndGet()
        lastLeaseMs = leaseMs
        failure?.let { throw it }
        val taken = synchronized(this) {
            val now = System.nanoTime()
            if (holder != null && holder != owner && until - now > 0) {
                false
            } else {
                holder = owner
                until = now + leaseMs * 1_000_000
                true
            }
        }
        if (!taken) refused.complete(Unit)
        return taken
    }

    override suspend fun unlock(owner: String) {
        unlocks.incrementAndGet()
        synchronized(this) { if (holder == owner) holder = null }
    }
}

/** An app's store (in memory here) whose loads can be held back or never answer. */
class HostStore(initial: TokenSet?) : TokenStore {
    @Volatile var tokens: TokenSet? = initial
    /** While set, every load waits for it first. */
    @Volatile var loadGate: CompletableDeferred<Unit>? = null
    /** While true, load never returns (until the SDK cancels it). */
    @Volatile var hang = false
    /** Completed when the SDK cancelled a load that hung. */
    val hungLoadCancelled = CompletableDeferred<Unit>()

    override suspend fun load(): TokenSet? {
        if (hang) {
            try {
                awaitCancellation()
            } catch (e: CancellationException) {
                hungLoadCancelled.complete(Unit)
                throw e
            }
        }
        loadGate?.await()
        return tokens
    }

    override suspend fun save(tokens: TokenSet) {
        this.tokens = tokens
    }

    override suspend fun clear() {
        tokens = null
    }
}

/** The idiom for a store shared by processes: one object that is a TokenStore and a RefreshLock. */
class LockingStore(val store: HostStore, val lock: LeaseLock = LeaseLock()) :
    TokenStore by store, RefreshLock by lock

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(120)
class RefreshLockTest {
    private lateinit var sandbox: Sandbox
    private lateinit var client: EnducoClient

    @BeforeAll
    fun start() {
        sandbox = Sandbox()
        client = sandbox.client(lockLeaseSeconds = 30.0)
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

    private suspend fun authorize(): TokenSet {
        val pending = client.authorizationRequest(listOf(Scope.USER_READ, Scope.PLANS_READ))
        return client.completeAuthorization(pending, sandbox.approve(pending.url()))
    }

    /** The same tokens with an access token that expired a minute ago on the client's clock. */
    private fun expired(tokens: TokenSet): TokenSet = expiringIn(tokens, -60)

    private fun expiringIn(tokens: TokenSet, seconds: Long): TokenSet {
        val json = JSONObject(tokens.toJson())
        json.put("expires_at", System.currentTimeMillis() / 1000 + seconds)
        return TokenSet.fromJson(json.toString())
    }

    /**
     * [n] coroutines call `intensityZones` at once; what each threw (null: it succeeded).
     * [arrived] completes when the last of them is about to call.
     */
    private suspend fun callConcurrently(
        session: Session,
        n: Int,
        arrived: CompletableDeferred<Unit> = CompletableDeferred(),
    ): List<EnducoException?> = coroutineScope {
        val count = AtomicInteger()
        List(n) {
            async(Dispatchers.Default) {
                if (count.incrementAndGet() == n) arrived.complete(Unit)
                try {
                    session.intensityZones()
                    null
                } catch (e: EnducoException) {
                    e
                }
            }
        }.awaitAll()
    }

    // -- one refresh per grant, its outcome shared -----------------------------------------------

    @Test
    fun `20 callers behind a refresh answered 500 share its error - one token request`() = runBlocking<Unit> {
        val store = LockingStore(HostStore(expired(authorize())))
        // The first caller's load waits until all 20 are calling, so all are queued behind
        // the refresh; the token endpoint answers 500 after 1.5 s.
        val arrived = CompletableDeferred<Unit>()
        store.store.loadGate = arrived
        val session = client.session(store) // the store is its own RefreshLock
        sandbox.fault("/oauth2/token", "status", status = 500, delayMs = 1500)
        val before = sandbox.refreshRequests()

        val outcomes = callConcurrently(session, 20, arrived)
        for (e in outcomes) {
            assertTrue(e is EnducoException.Server, "every caller gets the server error: $e")
            assertEquals(500, (e as EnducoException.Server).status)
            assertEquals("server", e.code)
        }
        assertEquals(1, sandbox.refreshRequests() - before, "one token request for 20 callers")
        assertEquals(1, store.lock.tries.get(), "the refresh ran under the store's lock")
        assertEquals(1, store.lock.unlocks.get(), "and released it")
        assertEquals(30_000L, store.lock.lastLeaseMs, "lockLeaseSeconds reaches the lock")

        // A caller arriving afterwards starts a new attempt, which works.
        session.intensityZones()
        assertEquals(2, sandbox.refreshRequests() - before)
        session.close()
    }

    @Test
    fun `20 callers behind a refresh answered invalid_grant share it - one token request, never resent`() = runBlocking<Unit> {
        sandbox.refreshReuse("strict")
        val tokens = authorize()
        // Another device rotates the grant and keeps the new tokens to itself.
        client.session(MemoryTokenStore(tokens)).use { it.refresh() }
        val store = LockingStore(HostStore(expired(tokens)))
        val arrived = CompletableDeferred<Unit>()
        store.store.loadGate = arrived
        val session = client.session(store)
        val before = sandbox.refreshRequests()

        val outcomes = callConcurrently(session, 20, arrived)
        for (e in outcomes) {
            assertTrue(e is EnducoException.ReauthorizationRequired, "every caller must reauthorize: $e")
            assertEquals("reauthorization_required", e!!.code)
        }
        assertEquals(1, sandbox.refreshRequests() - before, "one token request for 20 callers")

        // The refused refresh token is never presented again (reuse detection would revoke
        // the grant for it).
        expectThrows<EnducoException.ReauthorizationRequired> { session.intensityZones() }
        assertEquals(1, sandbox.refreshRequests() - before, "nothing resent")
        assertEquals(tokens.refreshToken(), store.store.tokens!!.refreshToken(), "the store is left as it was")
        session.close()
    }

    // -- the refresh lock ------------------------------------------------------------------------

    @Test
    fun `a lock whose tryLock throws is a store error and no token request is sent`() = runBlocking<Unit> {
        val tokens = expired(authorize())
        val store = HostStore(tokens)
        val lock = LeaseLock().apply { failure = IOException("the lock server is down") }
        val session = client.session(store, lock) // a separate lock object
        val before = sandbox.refreshRequests()

        val e = expectThrows<EnducoException.Store> { session.intensityZones() }
        assertEquals("store", e.code)
        assertTrue(e.detail.contains("the lock server is down"), e.detail)
        assertEquals(before, sandbox.refreshRequests(), "no refresh without the lock")
        assertTrue(lock.tries.get() >= 1)
        assertEquals(0, lock.unlocks.get(), "nothing to release")
        assertEquals(tokens, store.tokens, "nothing lost")
        session.close()
    }

    @Test
    fun `while another process holds the lock the session waits, then uses the tokens it saved`() = runBlocking<Unit> {
        val tokens = authorize()
        val store = LockingStore(HostStore(expired(tokens)))
        assertTrue(store.lock.tryLock("other-process", 60_000))
        val session = client.session(store)
        val before = sandbox.refreshRequests()

        val call = async(Dispatchers.Default) { session.intensityZones() }
        store.lock.refused.await() // the session found the lock taken and is waiting
        // The other process refreshes, saves, releases.
        val refreshed = client.session(MemoryTokenStore(tokens)).use { it.refresh() }
        store.store.tokens = refreshed
        store.lock.unlock("other-process")

        call.await()
        assertEquals(1, sandbox.refreshRequests() - before, "only the other process's token request")
        assertEquals(refreshed, session.tokens(), "the session re-read the store under the lock")
        session.close()
    }

    @Test
    fun `built-in file stores on one path take the lock - one refresh for two sessions`() = runBlocking<Unit> {
        val dir = Files.createTempDirectory("enduco-lock")
        val path = dir.resolve("tokens.json").toString()
        FileTokenStore(path).use { it.save(expired(authorize())) }
        // Two store objects on one path take the flock like two processes would.
        val first = client.session(FileTokenStore(path))
        val second = client.session(FileTokenStore(path))
        val before = sandbox.refreshRequests()

        val outcomes = coroutineScope {
            val a = async { callConcurrently(first, 10) }
            val b = async { callConcurrently(second, 10) }
            a.await() + b.await()
        }
        assertEquals(List(20) { null }, outcomes, "every call succeeds")
        assertEquals(1, sandbox.refreshRequests() - before, "one refresh per grant")
        assertTrue(Files.exists(dir.resolve("tokens.json.lock")))
        first.close()
        second.close()
        dir.toFile().deleteRecursively()
    }

    @Test
    fun `two sessions on one host store with the README's file lock refresh once`() = runBlocking<Unit> {
        val dir = Files.createTempDirectory("enduco-lock")
        val lock = FileRefreshLock(dir.resolve("enduco-refresh.lock"))
        // One shared store (think: the app's and its service's view of the same storage), two
        // sessions as two processes would have, the lock passed explicitly.
        val store = HostStore(expired(authorize()))
        val first = client.session(store, lock)
        val second = client.session(store, lock)
        val before = sandbox.refreshRequests()

        val outcomes = coroutineScope {
            val a = async { callConcurrently(first, 10) }
            val b = async { callConcurrently(second, 10) }
            a.await() + b.await()
        }
        assertEquals(List(20) { null }, outcomes, "every call succeeds")
        assertEquals(1, sandbox.refreshRequests() - before, "one refresh per grant")
        first.close()
        second.close()
        dir.toFile().deleteRecursively()
    }

    // -- store timeout and the other client options ---------------------------------------------

    @Test
    fun `a store whose load never returns fails after the store timeout and the session recovers`() = runBlocking<Unit> {
        val hurried = sandbox.client(storeTimeoutSeconds = 0.5)
        val store = HostStore(authorize())
        store.hang = true
        val session = hurried.session(store)

        val e = expectThrows<EnducoException.Store> { session.intensityZones() }
        assertEquals("store", e.code)
        assertTrue(e.detail.contains("did not finish"), e.detail)
        store.hungLoadCancelled.await() // the SDK cancelled the load it gave up on

        store.hang = false
        val zones = session.intensityZones()
        assertEquals(Sandbox.USER, zones.userId, "the session works again")
        session.close()
        hurried.close()
    }

    @Test
    fun `client options - refresh margin, store timeout and lock lease`() = runBlocking<Unit> {
        val tokens = expiringIn(authorize(), 600)
        val before = sandbox.refreshRequests()
        // Default margin (60 s): a token with 10 minutes left is used as it is.
        client.session(MemoryTokenStore(tokens)).use { it.intensityZones() }
        assertEquals(0, sandbox.refreshRequests() - before)
        // A 15-minute margin refreshes it ahead of expiry; 0 is allowed (refresh only expired tokens).
        sandbox.client(refreshMarginSeconds = 900.0).use { early ->
            early.session(MemoryTokenStore(tokens)).use { it.intensityZones() }
        }
        assertEquals(1, sandbox.refreshRequests() - before)
        sandbox.client(refreshMarginSeconds = 0.0, storeTimeoutSeconds = 2.5, lockLeaseSeconds = 0.25).close()

        for (bad in listOf(
            { sandbox.client(refreshMarginSeconds = -1.0) },
            { sandbox.client(storeTimeoutSeconds = 0.0) },
            { sandbox.client(lockLeaseSeconds = Double.NaN) },
        )) {
            val e = expectThrows<EnducoException.InvalidInput> { bad().close() }
            assertEquals("invalid_input", e.code)
        }
    }
}
