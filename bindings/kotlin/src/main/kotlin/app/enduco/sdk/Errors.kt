package app.enduco.sdk

/**
 * The stable name of this error's case, the same string in every enduco SDK:
 * `invalid_input`, `authorization_denied`, `state_mismatch`, `reauthorization_required`,
 * `insufficient_scope`, `rate_limited`, `server`, `api`, `network`, `timeout`,
 * `invalid_response`, `store` or `internal` (a bug in the SDK). Each subclass's documentation
 * says how the app should react.
 *
 * (For [EnducoException.Api], enduco's own error code is [EnducoException.Api.apiCode].)
 */
val EnducoException.code: String
    get() = errorCode()
