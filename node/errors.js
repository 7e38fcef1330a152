"use strict";
// Generated from the core's error cases (enduco::ERROR_CASES, core/src/error.rs) by core/tests/error_classes.rs; do not edit.
// Refresh: ENDUCO_WRITE_ERRORS=1 cargo test -p enduco --test error_classes
Object.defineProperty(exports, "__esModule", { value: true });
exports.TimeoutError = exports.InternalError = exports.StoreError = exports.InvalidResponseError = exports.EnducoTimeoutError = exports.NetworkError = exports.ApiError = exports.ServerError = exports.RateLimitedError = exports.InsufficientScopeError = exports.ReauthorizationRequiredError = exports.StateMismatchError = exports.AuthorizationDeniedError = exports.InvalidInputError = exports.EnducoError = void 0;
/**
 * Every failure of the SDK. Check `code` (or `instanceof` a subclass). Messages, `stack` and
 * `JSON.stringify(error)` never contain a token, a code or the client secret.
 */
class EnducoError extends Error {
    constructor(code, message, details, options) {
        super(message, options);
        this.code = code;
        if (details)
            Object.assign(this, details);
    }
}
exports.EnducoError = EnducoError;
// Each class's public constructor signature is what users may call; the implementation
// signature (message, details, options) is what the package calls for every code.
/**
 * The app passed something unusable (a corrupt FIT file, a plan window longer than 7 days, a
 * malformed URL). Nothing was sent; retrying the same input fails again.
 */
class InvalidInputError extends EnducoError {
    constructor(message, details, options) {
        super('invalid_input', message, details, options);
    }
}
exports.InvalidInputError = InvalidInputError;
/**
 * The user cancelled on enduco's consent page, or enduco refused the authorization request.
 * Show that the connection was not made; offer to try again.
 */
class AuthorizationDeniedError extends EnducoError {
    constructor(message, details, options) {
        super('authorization_denied', message, details, options);
    }
}
exports.AuthorizationDeniedError = AuthorizationDeniedError;
/**
 * The callback does not belong to the pending authorization request (possible CSRF, or a stale
 * browser tab). Discard it and start a new authorization request.
 */
class StateMismatchError extends EnducoError {
    constructor(message, details, options) {
        super('state_mismatch', message, details, options);
    }
}
exports.StateMismatchError = StateMismatchError;
/**
 * The stored grant is gone (never authorized, revoked, expired or rotated away). The store was
 * left as it was; send the user through the authorization flow again.
 */
class ReauthorizationRequiredError extends EnducoError {
    constructor(message, details, options) {
        super('reauthorization_required', message, details, options);
    }
}
exports.ReauthorizationRequiredError = ReauthorizationRequiredError;
/**
 * The user did not grant a scope the call needs; nothing was sent. Ask for the missing scopes
 * in a new authorization request, or hide the feature.
 */
class InsufficientScopeError extends EnducoError {
    constructor(message, details, options) {
        super('insufficient_scope', message, details, options);
    }
}
exports.InsufficientScopeError = InsufficientScopeError;
/**
 * enduco asked the app to slow down and the retries ran out. Try again after `retry_after`
 * seconds (null when enduco did not say).
 */
class RateLimitedError extends EnducoError {
    constructor(message, details, options) {
        super('rate_limited', message, details, options);
    }
}
exports.RateLimitedError = RateLimitedError;
/** enduco answered with a 5xx status after the retries. Transient: try again later. */
class ServerError extends EnducoError {
    constructor(message, details, options) {
        super('server', message, details, options);
    }
}
exports.ServerError = ServerError;
/**
 * enduco refused the request with an error of its own (`api_code`, e.g. `invalid_grant` for a
 * reused code). Usually a bug in the request or the app's configuration.
 */
class ApiError extends EnducoError {
    constructor(message, details, options) {
        super('api', message, details, options);
    }
}
exports.ApiError = ApiError;
/** The connection failed or broke after the retries. Check connectivity and try again. */
class NetworkError extends EnducoError {
    constructor(message, details, options) {
        super('network', message, details, options);
    }
}
exports.NetworkError = NetworkError;
/** enduco did not answer within the configured timeouts. Try again later. */
class EnducoTimeoutError extends EnducoError {
    constructor(message, details, options) {
        super('timeout', message, details, options);
    }
}
exports.EnducoTimeoutError = EnducoTimeoutError;
/**
 * enduco answered with something the SDK cannot read (HTML, malformed JSON). Often a proxy or
 * captive portal; report it if it persists.
 */
class InvalidResponseError extends EnducoError {
    constructor(message, details, options) {
        super('invalid_response', message, details, options);
    }
}
exports.InvalidResponseError = InvalidResponseError;
/**
 * The app's token store failed to load, save or clear; its own error is the cause. Tokens that
 * could not be saved stay in memory and are saved on the next call.
 */
class StoreError extends EnducoError {
    constructor(message, details, options) {
        super('store', message, details, options);
    }
}
exports.StoreError = StoreError;
/**
 * A bug in the SDK (a panic caught before it reached the app, or the SDK's runtime stopping
 * under a call). Nothing was lost: tokens are saved before use. Report it with the message;
 * the call may be retried.
 */
class InternalError extends EnducoError {
    constructor(message, details, options) {
        super('internal', message, details, options);
    }
}
exports.InternalError = InternalError;
/** Alias of {@link EnducoTimeoutError}. */
exports.TimeoutError = EnducoTimeoutError;
for (const cls of [EnducoError, InvalidInputError, AuthorizationDeniedError, StateMismatchError, ReauthorizationRequiredError, InsufficientScopeError, RateLimitedError, ServerError, ApiError, NetworkError, EnducoTimeoutError, InvalidResponseError, StoreError, InternalError])
    cls.prototype.name = cls.name;
