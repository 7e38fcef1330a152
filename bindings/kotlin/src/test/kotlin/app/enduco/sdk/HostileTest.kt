package app.enduco.sdk

import app.enduco.sdk.model.*
import java.time.LocalDate
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance

/**
 * Hostile servers and hostile input: every outcome is a typed [EnducoException], never
 * UniFFI's generic `InternalException`, an abort or a hang.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HostileTest {
    private lateinit var hostile: Hostile

    @BeforeAll
    fun start() {
        hostile = Hostile()
    }

    @AfterAll
    fun stop() {
        hostile.close()
    }

    // -- no panic crosses the FFI boundary ---------------------------------------------------

    @Test
    fun `a panic in a sync call is the SDK's internal error`() {
        val e = expectThrows<EnducoException.Internal> { panicForTests(async = false) }
        assertEquals("internal", e.code)
        assertTrue(e.detail.contains("a panic in a sync call"), e.detail)
    }

    @Test
    fun `a panic in an async call is the SDK's internal error`() {
        val e = expectThrows<EnducoException.Internal> { panicForTests(async = true) }
        assertEquals("internal", e.code)
        assertTrue(e.detail.contains("a panic in an async call"), e.detail)
    }

    // -- hostile input -----------------------------------------------------------------------

    private fun plan(steps: List<Step>) = PlannedWorkout(
        id = "hostile-plan",
        date = LocalDate.of(2025, 6, 3),
        startTime = null,
        timeZone = "Europe/Berlin",
        sport = Sport.CYCLING,
        title = "hostile",
        description = null,
        durationSeconds = null,
        distanceMeters = null,
        load = null,
        steps = steps,
    )

    private fun step(kind: StepKind = StepKind.ACTIVE, seconds: UInt? = 60u, repeat: Repeat? = null) =
        Step(kind = kind, durationSeconds = seconds, distanceMeters = null, target = null, repeat = repeat)

    @Test
    fun `a hostile plan's timeline returns, flagged truncated`() {
        // One repeat of 10,000 wrapping 1,000 empty repeats and one step: 10 million steps to
        // visit. The core stops after its visit budget and says so.
        val empty = step(kind = StepKind.REPEAT, seconds = null, repeat = Repeat(count = 1_000u, steps = emptyList()))
        val body = List(1_000) { empty } + step()
        val hostilePlan = plan(listOf(step(kind = StepKind.REPEAT, seconds = null, repeat = Repeat(count = 10_000u, steps = body))))

        val checked = hostilePlan.timelineChecked(null)
        assertTrue(checked.truncated, "the hostile plan is flagged truncated")
        assertTrue(checked.segments.isNotEmpty(), "what was played comes back")
        assertTrue(checked.segments.size < 10_000, "${checked.segments.size} segments")
        assertEquals(checked.segments, hostilePlan.timeline(null), "timeline is timelineChecked's segments")

        val honest = plan(listOf(step(StepKind.WARMUP), step(kind = StepKind.REPEAT, seconds = null, repeat = Repeat(3u, listOf(step(), step(StepKind.RECOVERY))))))
        val whole = honest.timelineChecked(null)
        assertFalse(whole.truncated)
        assertEquals(7, whole.segments.size)
    }

    // -- hostile servers ---------------------------------------------------------------------

    @Test
    fun `every enduco-hostile case ends in its expected error code`() = runBlocking<Unit> {
        assertTrue(hostile.cases.size >= 15, "the server lists its cases: ${hostile.cases}")
        val wrong = mutableListOf<String>()
        for (case in hostile.cases) {
            hostile.client(case).use { client ->
                client.session(MemoryTokenStore(hostile.tokensFor(case))).use { session ->
                    val outcome = try {
                        session.intensityZones()
                        "no error"
                    } catch (e: EnducoException) {
                        println("hostile ${case.name}: ${e.code} ($e)")
                        e.code
                    }
                    if (outcome != case.expect) wrong += "${case.name}: expected ${case.expect}, got $outcome"
                }
            }
        }
        assertTrue(wrong.isEmpty(), wrong.joinToString("\n"))
    }
}
