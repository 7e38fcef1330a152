package app.enduco.sdk.model

/**
 * The app's OAuth client secret, for [ClientOptions.clientSecret] (a backend; an app
 * distributed to users names `tokenRelayUrl` instead and has no secret). Write it as
 * `ClientSecret("…")`: the generated `ClientSecret` is an alias of this class.
 *
 * A type of its own so that printing the options, or this value, never shows the secret:
 * `toString()` is `ClientSecret([redacted])`.
 */
class RedactedClientSecret(internal val value: String) {
    override fun toString(): String = "ClientSecret([redacted])"

    override fun equals(other: Any?): Boolean = other is RedactedClientSecret && other.value == value

    override fun hashCode(): Int = value.hashCode()
}
