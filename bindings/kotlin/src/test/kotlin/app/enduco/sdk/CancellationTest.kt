package app.enduco.sdk

import app.enduco.sdk.model.*
import java.nio.file.Files
import java.nio.file.Path
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.delay
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Assertions.fail
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance

/**
 * Issue 18: a coroutine's cancellation stops the core's work. An upload whose request the
 * sandbox is holding (a `delay` fault on /api/v1/workouts) is cancelled with `job.cancel()`
 * once the sandbox's log shows the request arrived: the call ends with a
 * CancellationException, and the sandbox stored nothing (the same file uploads as new).
 *
 * How: UniFFI's Kotlin `uniffiRustCallAsync` suspends in `suspendCancellableCoroutine` and frees
 * the Rust future in `finally`; freeing it drops the core's upload future, its HTTP request
 * and the file stream with it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CancellationTest {
    private lateinit var sandbox: Sandbox
    private lateinit var client: EnducoClient
    private val workouts = "/api/v1/workouts"

    @BeforeAll
    fun start() {
        sandbox = Sandbox()
        client = sandbox.client()
    }

    @AfterAll
    fun stop() = sandbox.close()

    private suspend fun session(): Session {
        val pending = client.authorizationRequest(listOf(Scope.USER_READ, Scope.PLANS_READ, Scope.WORKOUTS_WRITE))
        val tokens = client.completeAuthorization(pending, sandbox.approve(pending.url()))
        return client.connect(MemoryTokenStore(), tokens)
    }

    /** A FIT activity of about [size] bytes from the sandbox's generator, on disk. */
    private fun bigFit(seed: Int, size: Long): Path {
        val binary = System.getProperty("enduco.sandbox") ?: System.getenv("ENDUCO_SANDBOX")!!
        val out = Files.createTempFile("enduco-big-", ".fit")
        val p = ProcessBuilder(binary, "fit", "--out", out.toString(), "--seed", "$seed", "--size", "$size")
            .redirectErrorStream(true).start()
        val output = p.inputStream.bufferedReader().readText()
        check(p.waitFor() == 0) { "enduco-sandbox fit failed: $output" }
        return out
    }

    /** Waits (polling the sandbox's log, no fixed sleep) until it holds more than [seen] requests to [path]. */
    private suspend fun arrived(path: String, seen: Int) {
        val give = System.nanoTime() + 30_000_000_000L
        while (sandbox.count(path) <= seen) {
            if (System.nanoTime() > give) fail<Unit>("no request to $path reached the sandbox")
            delay(20)
        }
    }

    @Test
    fun `a cancelled upload ends with CancellationException and the sandbox stores nothing`() = runBlocking<Unit> {
        val session = session()
        val file = bigFit(seed = 21, size = 48L * 1024 * 1024)
        try {
            sandbox.fault(workouts, "delay", delayMs = 600_000)
            val seen = sandbox.count(workouts)
            var progressCalls = 0
            val job = async(Dispatchers.Default, start = CoroutineStart.DEFAULT) {
                session.uploadWorkoutFile(file.toString()) { _, _ -> progressCalls++ }
            }
            arrived(workouts, seen)
            job.cancel()
            val thrown = try {
                job.await()
                null
            } catch (e: Throwable) {
                e
            }
            assertTrue(thrown is CancellationException, "expected CancellationException, got $thrown")
            assertTrue(job.isCancelled)
            assertTrue(progressCalls >= 1)

            // Nothing was stored: the same file is new, not a duplicate; then it is stored once.
            val again = session.uploadWorkoutFile(file.toString())
            assertFalse(again.duplicate)
            assertNotEquals("duplicate", again.status)
            assertTrue(session.uploadWorkoutFile(file.toString()).duplicate)
        } finally {
            Files.deleteIfExists(file)
        }
    }

    @Test
    fun `a cancelled upload from memory and a cancelled data call end the same way`() = runBlocking<Unit> {
        val session = session()
        val file = bigFit(seed = 22, size = 16L * 1024 * 1024)
        val bytes = Files.readAllBytes(file)
        Files.deleteIfExists(file)

        sandbox.fault(workouts, "delay", delayMs = 600_000)
        var seen = sandbox.count(workouts)
        val upload = async(Dispatchers.Default) { session.uploadWorkout(bytes, null, null) }
        arrived(workouts, seen)
        upload.cancel()
        assertTrue(runCatching { upload.await() }.exceptionOrNull() is CancellationException)
        assertFalse(session.uploadWorkout(bytes, null, null).duplicate)

        sandbox.fault("/api/v1/zones", "delay", delayMs = 600_000)
        seen = sandbox.count("/api/v1/zones")
        val zones = async(Dispatchers.Default) { session.intensityZones() }
        arrived("/api/v1/zones", seen)
        zones.cancel()
        assertTrue(runCatching { zones.await() }.exceptionOrNull() is CancellationException)
        // The session still works.
        assertTrue(session.intensityZones().zones.isNotEmpty())
    }
}
