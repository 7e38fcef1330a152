// The jar from dist/build against `enduco sandbox` (the CLI from the same build): OAuth flow,
// zones, plans, upload, revoke. Run by dist/smoke on Java 17 in a Debian 12 root without Rust
// or a C compiler: java -cp 'enduco-sdk.jar:lib/*:smoke.jar' SmokeKt SANDBOX_URL FIT_FILE
import app.enduco.sdk.EnducoClient
import app.enduco.sdk.model.ClientOptions
import app.enduco.sdk.model.ClientSecret
import app.enduco.sdk.MemoryTokenStore
import app.enduco.sdk.model.Scope
import app.enduco.sdk.connect
import java.net.HttpURLConnection
import java.net.URI
import java.nio.file.Files
import java.nio.file.Path
import kotlinx.coroutines.runBlocking

fun main(args: Array<String>) = runBlocking {
    val (sandboxUrl, fitFile) = args
    val client = EnducoClient(ClientOptions(
        clientId = "sandbox-client",
        clientSecret = ClientSecret("sandbox-secret"),
        redirectUri = "https://app.example/callback",
        environment = sandboxUrl,
    ))
    val pending = client.authorizationRequest(listOf(Scope.USER_READ, Scope.PLANS_READ, Scope.WORKOUTS_WRITE))
    // The sandbox approves at once and redirects to the callback: read its Location.
    val connection = URI(pending.url()).toURL().openConnection() as HttpURLConnection
    connection.instanceFollowRedirects = false
    val callback = connection.getHeaderField("Location") ?: error("no redirect from ${pending.url()}")
    val tokens = client.completeAuthorization(pending, callback)
    val session = client.connect(MemoryTokenStore(), tokens)
    val zones = session.intensityZones()
    val plans = session.upcomingPlans(7)
    val upload = session.uploadWorkout(Files.readAllBytes(Path.of(fitFile)))
    session.revoke()
    client.close()
    println("jvm smoke: user ${zones.userId}, ${zones.zones.size} zone tables, ${plans.size} planned workouts, upload ${upload.id} (${upload.status}), revoked")
}
