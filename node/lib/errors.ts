// Generated from the core's error cases (enduco::ERROR_CASES, core/src/error.rs) by core/tests/error_classes.rs; do not edit.
// Refresh: ENDUCO_WRITE_ERRORS=1 cargo test -p enduco --test error_classes

/** The stable name of each failure, the same string in every enduco SDK. */
export type EnducoErrorCode =
  | 'invalid_input'
  | 'authorization_denied'
  | 'state_mismatch'
  | 'reauthorization_required'
  | 'insufficient_scope'
  | 'rate_limited'
  | 'server'
  | 'api'
  | 'network'
  | 'timeout'
  | 'invalid_response'
  | 'store'
  | 'internal'

/** The standard `Error` options (written out: `ErrorOptions` needs lib es2022 in the user's config). */
type CauseOptions = { cause?: unknown }

/**
 * Every failure of the SDK. Check `code` (or `instanceof` a subclass). Messages, `stack` and
 * `JSON.stringify(error)` never contain a token, a code or the client secret.
 */
export class EnducoError extends Error {
  // `declare` fields: set in the constructor (and by `details`), no class field emitted.
  declare readonly code: EnducoErrorCode
  constructor(code: EnducoErrorCode, message: string, details?: object, options?: CauseOptions) {
    super(message, options)
    this.code = code
    if (details) Object.assign(this, details)
  }
}

// Each class's public constructor signature is what users may call; the implementation
// signature (message, details, options) is what the package calls for every code.

/**
 * The app passed something unusable (a corrupt FIT file, a plan window longer than 7 days, a
 * malformed URL). Nothing was sent; retrying the same input fails again.
 */
export class InvalidInputError extends EnducoError {
  declare readonly code: 'invalid_input'
  /** For a workout file Node cannot stat: Node's `errno` (e.g. -2), `syscall` and `path`; the
   * `cause` is Node's system error (`code: 'ENOENT'`, …). */
  declare readonly errno?: number
  declare readonly syscall?: string
  declare readonly path?: string
  constructor(message: string, details?: { errno?: number; syscall?: string; path?: string }, options?: CauseOptions) {
    super('invalid_input', message, details, options)
  }
}

/**
 * The user cancelled on enduco's consent page, or enduco refused the authorization request.
 * Show that the connection was not made; offer to try again.
 */
export class AuthorizationDeniedError extends EnducoError {
  declare readonly code: 'authorization_denied'
  /** The OAuth `error`, e.g. `access_denied` when the user cancelled. */
  declare readonly oauthError: string
  /** The OAuth `error_description`, when enduco sent one. */
  declare readonly description: string | null
  constructor(message: string, details: { oauthError: string; description: string | null })
  constructor(message: string, details?: object, options?: CauseOptions) {
    super('authorization_denied', message, details, options)
  }
}

/**
 * The callback does not belong to the pending authorization request (possible CSRF, or a stale
 * browser tab). Discard it and start a new authorization request.
 */
export class StateMismatchError extends EnducoError {
  declare readonly code: 'state_mismatch'
  constructor(message: string)
  constructor(message: string, details?: object, options?: CauseOptions) {
    super('state_mismatch', message, details, options)
  }
}

/**
 * The stored grant is gone (never authorized, revoked, expired or rotated away). The store was
 * left as it was; send the user through the authorization flow again.
 */
export class ReauthorizationRequiredError extends EnducoError {
  declare readonly code: 'reauthorization_required'
  /** Why the grant is gone. */
  declare readonly reason: string
  constructor(message: string, details: { reason: string })
  constructor(message: string, details?: object, options?: CauseOptions) {
    super('reauthorization_required', message, details, options)
  }
}

/**
 * The user did not grant a scope the call needs; nothing was sent. Ask for the missing scopes
 * in a new authorization request, or hide the feature.
 */
export class InsufficientScopeError extends EnducoError {
  declare readonly code: 'insufficient_scope'
  /** The scopes the call needs and the grant lacks. */
  declare readonly missing: string[]
  constructor(message: string, details: { missing: string[] })
  constructor(message: string, details?: object, options?: CauseOptions) {
    super('insufficient_scope', message, details, options)
  }
}

/**
 * enduco asked the app to slow down and the retries ran out. Try again after `retry_after`
 * seconds (null when enduco did not say).
 */
export class RateLimitedError extends EnducoError {
  declare readonly code: 'rate_limited'
  /** Seconds to wait, when enduco said. */
  declare readonly retryAfter: number | null
  constructor(message: string, details: { retryAfter: number | null })
  constructor(message: string, details?: object, options?: CauseOptions) {
    super('rate_limited', message, details, options)
  }
}

/** enduco answered with a 5xx status after the retries. Transient: try again later. */
export class ServerError extends EnducoError {
  declare readonly code: 'server'
  /** The HTTP status. */
  declare readonly status: number
  constructor(message: string, details: { status: number })
  constructor(message: string, details?: object, options?: CauseOptions) {
    super('server', message, details, options)
  }
}

/**
 * enduco refused the request with an error of its own (`api_code`, e.g. `invalid_grant` for a
 * reused code). Usually a bug in the request or the app's configuration.
 */
export class ApiError extends EnducoError {
  declare readonly code: 'api'
  /** The HTTP status; null for an OAuth error in the callback URL. */
  declare readonly status: number | null
  /** enduco's error code. */
  declare readonly apiCode: string
  /** enduco's own message (may be empty). */
  declare readonly apiMessage: string
  constructor(message: string, details: { status: number | null; apiCode: string; apiMessage: string })
  constructor(message: string, details?: object, options?: CauseOptions) {
    super('api', message, details, options)
  }
}

/** The connection failed or broke after the retries. Check connectivity and try again. */
export class NetworkError extends EnducoError {
  declare readonly code: 'network'
  constructor(message: string)
  constructor(message: string, details?: object, options?: CauseOptions) {
    super('network', message, details, options)
  }
}

/** enduco did not answer within the configured timeouts. Try again later. */
export class EnducoTimeoutError extends EnducoError {
  declare readonly code: 'timeout'
  constructor(message: string)
  constructor(message: string, details?: object, options?: CauseOptions) {
    super('timeout', message, details, options)
  }
}

/**
 * enduco answered with something the SDK cannot read (HTML, malformed JSON). Often a proxy or
 * captive portal; report it if it persists.
 */
export class InvalidResponseError extends EnducoError {
  declare readonly code: 'invalid_response'
  constructor(message: string)
  constructor(message: string, details?: object, options?: CauseOptions) {
    super('invalid_response', message, details, options)
  }
}

/**
 * The app's token store failed to load, save or clear; its own error is the cause. Tokens that
 * could not be saved stay in memory and are saved on the next call.
 */
export class StoreError extends EnducoError {
  declare readonly code: 'store'
  declare readonly cause?: unknown
  constructor(message: string, details?: object, options?: CauseOptions) {
    super('store', message, details, options)
  }
}

/**
 * A bug in the SDK (a panic caught before it reached the app, or the SDK's runtime stopping
 * under a call). Nothing was lost: tokens are saved before use. Report it with the message;
 * the call may be retried.
 */
export class InternalError extends EnducoError {
  declare readonly code: 'internal'
  constructor(message: string)
  constructor(message: string, details?: object, options?: CauseOptions) {
    super('internal', message, details, options)
  }
}

/** Alias of {@link EnducoTimeoutError}. */
export const TimeoutError = EnducoTimeoutError

/** Every concrete error, for narrowing on `code`. */
export type AnyEnducoError =
  | InvalidInputError
  | AuthorizationDeniedError
  | StateMismatchError
  | ReauthorizationRequiredError
  | InsufficientScopeError
  | RateLimitedError
  | ServerError
  | ApiError
  | NetworkError
  | EnducoTimeoutError
  | InvalidResponseError
  | StoreError
  | InternalError

for (const cls of [EnducoError, InvalidInputError, AuthorizationDeniedError, StateMismatchError, ReauthorizationRequiredError, InsufficientScopeError, RateLimitedError, ServerError, ApiError, NetworkError, EnducoTimeoutError, InvalidResponseError, StoreError, InternalError]) cls.prototype.name = cls.name
