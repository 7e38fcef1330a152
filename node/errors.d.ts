/** The stable name of each failure, the same string in every enduco SDK. */
export type EnducoErrorCode = 'invalid_input' | 'authorization_denied' | 'state_mismatch' | 'reauthorization_required' | 'insufficient_scope' | 'rate_limited' | 'server' | 'api' | 'network' | 'timeout' | 'invalid_response' | 'store' | 'internal';
/** The standard `Error` options (written out: `ErrorOptions` needs lib es2022 in the user's config). */
type CauseOptions = {
    cause?: unknown;
};
/**
 * Every failure of the SDK. Check `code` (or `instanceof` a subclass). Messages, `stack` and
 * `JSON.stringify(error)` never contain a token, a code or the client secret.
 */
export declare class EnducoError extends Error {
    readonly code: EnducoErrorCode;
    constructor(code: EnducoErrorCode, message: string, details?: object, options?: CauseOptions);
}
/**
 * The app passed something unusable (a corrupt FIT file, a plan window longer than 7 days, a
 * malformed URL). Nothing was sent; retrying the same input fails again.
 */
export declare class InvalidInputError extends EnducoError {
    readonly code: 'invalid_input';
    /** For a workout file Node cannot stat: Node's `errno` (e.g. -2), `syscall` and `path`; the
     * `cause` is Node's system error (`code: 'ENOENT'`, …). */
    readonly errno?: number;
    readonly syscall?: string;
    readonly path?: string;
    constructor(message: string, details?: {
        errno?: number;
        syscall?: string;
        path?: string;
    }, options?: CauseOptions);
}
/**
 * The user cancelled on enduco's consent page, or enduco refused the authorization request.
 * Show that the connection was not made; offer to try again.
 */
export declare class AuthorizationDeniedError extends EnducoError {
    readonly code: 'authorization_denied';
    /** The OAuth `error`, e.g. `access_denied` when the user cancelled. */
    readonly oauthError: string;
    /** The OAuth `error_description`, when enduco sent one. */
    readonly description: string | null;
    constructor(message: string, details: {
        oauthError: string;
        description: string | null;
    });
}
/**
 * The callback does not belong to the pending authorization request (possible CSRF, or a stale
 * browser tab). Discard it and start a new authorization request.
 */
export declare class StateMismatchError extends EnducoError {
    readonly code: 'state_mismatch';
    constructor(message: string);
}
/**
 * The stored grant is gone (never authorized, revoked, expired or rotated away). The store was
 * left as it was; send the user through the authorization flow again.
 */
export declare class ReauthorizationRequiredError extends EnducoError {
    readonly code: 'reauthorization_required';
    /** Why the grant is gone. */
    readonly reason: string;
    constructor(message: string, details: {
        reason: string;
    });
}
/**
 * The user did not grant a scope the call needs; nothing was sent. Ask for the missing scopes
 * in a new authorization request, or hide the feature.
 */
export declare class InsufficientScopeError extends EnducoError {
    readonly code: 'insufficient_scope';
    /** The scopes the call needs and the grant lacks. */
    readonly missing: string[];
    constructor(message: string, details: {
        missing: string[];
    });
}
/**
 * enduco asked the app to slow down and the retries ran out. Try again after `retry_after`
 * seconds, when enduco said how long.
 */
export declare class RateLimitedError extends EnducoError {
    readonly code: 'rate_limited';
    /** Seconds to wait, when enduco said. */
    readonly retryAfter: number | null;
    constructor(message: string, details: {
        retryAfter: number | null;
    });
}
/** enduco answered with a 5xx status after the retries. Transient: try again later. */
export declare class ServerError extends EnducoError {
    readonly code: 'server';
    /** The HTTP status. */
    readonly status: number;
    constructor(message: string, details: {
        status: number;
    });
}
/**
 * enduco refused the request with an error of its own (`api_code`, e.g. `invalid_grant` for a
 * reused code). Usually a bug in the request or the app's configuration.
 */
export declare class ApiError extends EnducoError {
    readonly code: 'api';
    /** The HTTP status; none for an OAuth error in the callback URL. */
    readonly status: number | null;
    /** enduco's error code. */
    readonly apiCode: string;
    /** enduco's own message (may be empty). */
    readonly apiMessage: string;
    constructor(message: string, details: {
        status: number | null;
        apiCode: string;
        apiMessage: string;
    });
}
/** The connection failed or broke after the retries. Check connectivity and try again. */
export declare class NetworkError extends EnducoError {
    readonly code: 'network';
    constructor(message: string);
}
/** enduco did not answer within the configured timeouts. Try again later. */
export declare class EnducoTimeoutError extends EnducoError {
    readonly code: 'timeout';
    constructor(message: string);
}
/**
 * enduco answered with something the SDK cannot read (HTML, malformed JSON). Often a proxy or
 * captive portal; report it if it persists.
 */
export declare class InvalidResponseError extends EnducoError {
    readonly code: 'invalid_response';
    constructor(message: string);
}
/**
 * The app's token store failed to load, save or clear; its own error is the cause. Tokens that
 * could not be saved stay in memory and are saved on the next call.
 */
export declare class StoreError extends EnducoError {
    readonly code: 'store';
    readonly cause?: unknown;
    constructor(message: string, details?: object, options?: CauseOptions);
}
/**
 * A bug in the SDK (a panic caught before it reached the app, or the SDK's runtime stopping
 * under a call). Nothing was lost: tokens are saved before use. Report it with the message;
 * the call may be retried.
 */
export declare class InternalError extends EnducoError {
    readonly code: 'internal';
    constructor(message: string);
}
/** Alias of {@link EnducoTimeoutError}. */
export declare const TimeoutError: typeof EnducoTimeoutError;
/** Every concrete error, for narrowing on `code`. */
export type AnyEnducoError = InvalidInputError | AuthorizationDeniedError | StateMismatchError | ReauthorizationRequiredError | InsufficientScopeError | RateLimitedError | ServerError | ApiError | NetworkError | EnducoTimeoutError | InvalidResponseError | StoreError | InternalError;
export {};
