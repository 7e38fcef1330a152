// QuickStart.kt: run with ENDUCO_SANDBOX_URL set to the sandbox's address (default below).
import app.enduco.sdk.*
import app.enduco.sdk.model.*
import java.net.HttpURLConnection
import java.net.URI
import kotlinx.coroutines.runBlocking

fun main() = runBlocking {
    val sandbox = System.getenv("ENDUCO_SANDBOX_URL") ?: "http://127.0.0.1:8787"
    val client = EnducoClient(ClientOptions(
        clientId = "sandbox-client",
        clientSecret = ClientSecret("sandbox-secret"), // the sandbox's app; a phone app uses tokenRelayUrl instead
        redirectUri = "https://app.example/callback",
        environment = sandbox,
    ))

    // 1. Sign in. An app opens request.url() in a Custom Tab; the sandbox approves at once, so GET
    //    it without following the redirect: the Location header is the callback URL with the code.
    val request = client.authorizationRequest(listOf(Scope.USER_READ, Scope.PLANS_READ))
    val browser = URI(request.url()).toURL().openConnection() as HttpURLConnection
    browser.instanceFollowRedirects = false
    val callback = browser.getHeaderField("Location")
    val tokens = client.completeAuthorization(request, callback)
    val session = client.connect(MemoryTokenStore(), tokens)

    // 2. Read the athlete's FTP and the next three days' plans.
    val zones = session.intensityZones()
    println("FTP ${zones.forSport(Sport.CYCLING, Metric.POWER)?.threshold}")
    for (plan in session.upcomingPlans(3)) println("${plan.date} ${plan.sport} ${plan.title}")
}
