package app.enduco.sdk

import java.io.File
import java.util.concurrent.TimeUnit
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance

/**
 * The Kotlin two-minute start of bindings/README.md, which is the source of truth: the block
 * after `<!-- quickstart-kotlin: … -->` is the whole of src/test/kotlin/QuickStart.kt (compiled
 * with the tests, default package, so the file is exactly what a user pastes), and that file's
 * `main` runs in a fresh JVM with only ENDUCO_SANDBOX_URL set, as a user would run it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class QuickStartTest {
    private lateinit var sandbox: Sandbox
    private val module = generateSequence(File("").absoluteFile) { it.parentFile }
        .first { File(it, "src/test/kotlin/QuickStart.kt").isFile }
    private val readme = File(module, "../README.md")
    private val program = File(module, "src/test/kotlin/QuickStart.kt")

    @BeforeAll
    fun start() {
        sandbox = Sandbox()
    }

    @AfterAll
    fun stop() = sandbox.close()

    private fun readmeBlock(): String {
        val text = readme.readText()
        val marker = text.indexOf("<!-- quickstart-kotlin:")
        assertTrue(marker >= 0, "bindings/README.md has the <!-- quickstart-kotlin: … --> marker")
        val match = Regex("```kotlin\n(.*?)```", RegexOption.DOT_MATCHES_ALL).find(text, marker)
            ?: throw AssertionError("a ```kotlin block follows the quickstart-kotlin marker")
        return match.groupValues[1]
    }

    @Test
    fun `the README block is QuickStart kt`() {
        assertEquals(
            readmeBlock(), program.readText(),
            "bindings/README.md's Kotlin quick start and src/test/kotlin/QuickStart.kt differ: the README is the source of truth, copy it over",
        )
    }

    @Test
    fun `the quick start runs against the sandbox in a fresh JVM`() {
        val java = File(System.getProperty("java.home"), "bin/java").path
        val process = ProcessBuilder(
            java,
            "-cp", System.getProperty("java.class.path"),
            "-Djna.library.path=" + System.getProperty("jna.library.path"),
            "QuickStartKt",
        ).apply {
            environment().clear()
            environment()["PATH"] = System.getenv("PATH") ?: "/usr/bin:/bin"
            environment()["ENDUCO_SANDBOX_URL"] = sandbox.baseUrl
        }.redirectErrorStream(true).start()
        val output = process.inputStream.bufferedReader().readText()
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), "QuickStartKt did not finish: $output")
        assertEquals(0, process.exitValue(), output)
        val lines = output.lines().filter { it.isNotBlank() }
        assertEquals(4, lines.size, "the FTP and three days of plans: $output")
        assertTrue(Regex("""FTP \d+(\.\d+)?""").matches(lines[0]), output)
        assertTrue(lines.drop(1).all { Regex("""\d{4}-\d{2}-\d{2} [A-Z_]+ .*""").matches(it) }, output)
        assertTrue(sandbox.count("/oauth2/token", "authorization_code") >= 1, "the program signed in at this sandbox")
    }
}
