//! The one error type, case for case the core's [`enduco::Error`].
//!
//! Kotlin sees it as `EnducoException` (a sealed class, one subclass per case), Swift as the
//! `EnducoError` enum. `code()` is the stable, language-independent name of each case.

use std::sync::Arc;

/// Everything that can go wrong when talking to enduco. `errorCode()` (and the `code`
/// property the Kotlin and Swift layers add) gives the stable name of the case
/// (`invalid_input`, `store`, …), the same string in every language.
///
/// Messages never contain a token, an authorization code or the client secret.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Error)]
#[uniffi::export(Display)]
pub enum EnducoError {
    /// The app passed something unusable (a corrupt FIT file, a plan window longer than 7 days,
    /// a malformed URL or date). Nothing was sent. Fix the input; retrying it unchanged fails
    /// again.
    InvalidInput { message: String },

    /// The user cancelled on enduco's consent page (`error=access_denied`) or enduco refused the
    /// authorization request. Show the user that the connection was not made; offer to retry.
    AuthorizationDenied {
        error: String,
        description: Option<String>,
    },

    /// The callback URL does not belong to the pending authorization request (possible CSRF, or
    /// a stale browser tab). Discard it and start a new authorization request.
    StateMismatch,

    /// The stored grant is gone: never authorized, revoked, expired or rotated away. The store
    /// has been left as it was; send the user through the authorization flow again.
    ReauthorizationRequired { reason: String },

    /// The user did not grant a scope the call needs; nothing was sent. Ask for the missing
    /// scopes in a new authorization request, or hide the feature.
    InsufficientScope { missing: Vec<String> },

    /// enduco asked the app to slow down and the retry budget ran out. Try again after
    /// `retry_after_seconds` (when enduco said how long).
    RateLimited { retry_after_seconds: Option<i64> },

    /// enduco answered with a 5xx status after the retries allowed for this call. Transient:
    /// try again later.
    Server { status: i32 },

    /// enduco refused the request with an error of its own (a 4xx other than 401/403/429, or an
    /// OAuth error such as `invalid_grant` for a reused code). Usually a bug in the request or
    /// the app's configuration; `code` and `message` come from enduco.
    Api {
        status: Option<i32>,
        code: String,
        message: String,
    },

    /// The connection failed or broke (DNS, refused, reset, body cut off) after the retries
    /// allowed for this call. Check connectivity and try again.
    Network { message: String },

    /// enduco did not answer within the configured timeouts. Try again later.
    Timeout,

    /// enduco answered with something the SDK cannot read (HTML, malformed JSON, a token
    /// response without a token). Often a proxy or captive portal; report it if it persists.
    InvalidResponse { message: String },

    /// The app's token store failed to load, save or clear (or threw). Tokens that could not be
    /// saved are kept in memory and saved again on the next call; fix the storage and retry.
    Store { message: String },

    /// A bug in the SDK: a panic caught before it could reach the app, or the SDK's runtime
    /// stopping under a call. Nothing was lost (tokens are saved before they are used) and the
    /// client and session can be used again. Report it to the SDK's maintainers with
    /// `message`; the call may be retried once, but not in a loop.
    Internal { message: String },
}

#[uniffi::export]
impl EnducoError {
    /// The stable name of this case, the same string in every language binding:
    /// `invalid_input`, `authorization_denied`, `state_mismatch`, `reauthorization_required`,
    /// `insufficient_scope`, `rate_limited`, `server`, `api`, `network`, `timeout`,
    /// `invalid_response`, `store` or `internal`.
    pub fn error_code(&self) -> String {
        enduco::Error::from(self.clone()).code().to_owned()
    }
}

impl std::fmt::Display for EnducoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The core owns the wording; this is the same error, converted back.
        std::fmt::Display::fmt(&enduco::Error::from(self.clone()), f)
    }
}

impl std::error::Error for EnducoError {}

impl From<enduco::Error> for EnducoError {
    fn from(e: enduco::Error) -> Self {
        use enduco::Error as E;
        match e {
            E::InvalidInput { message } => EnducoError::InvalidInput { message },
            E::AuthorizationDenied { error, description } => {
                EnducoError::AuthorizationDenied { error, description }
            }
            E::StateMismatch => EnducoError::StateMismatch,
            E::ReauthorizationRequired { reason } => {
                EnducoError::ReauthorizationRequired { reason }
            }
            E::InsufficientScope { missing } => EnducoError::InsufficientScope { missing },
            E::RateLimited { retry_after } => EnducoError::RateLimited {
                retry_after_seconds: retry_after.map(|d| saturating_i64(d.as_secs())),
            },
            E::Server { status } => EnducoError::Server {
                status: status.into(),
            },
            E::Api {
                status,
                code,
                message,
            } => EnducoError::Api {
                status: status.map(Into::into),
                code,
                message,
            },
            E::Network { message } => EnducoError::Network { message },
            E::Timeout => EnducoError::Timeout,
            E::InvalidResponse { message } => EnducoError::InvalidResponse { message },
            E::Store { message, .. } => EnducoError::Store { message },
            E::Internal { message } => EnducoError::Internal { message },
            // `enduco::Error` is #[non_exhaustive]; every case it has today is listed above, so
            // a case this crate does not know is a bug of the bindings.
            other => EnducoError::Internal {
                message: format!(
                    "an error case the bindings do not know ({}): {other}",
                    other.code()
                ),
            },
        }
    }
}

impl From<EnducoError> for enduco::Error {
    fn from(e: EnducoError) -> Self {
        use enduco::Error as E;
        match e {
            EnducoError::InvalidInput { message } => E::InvalidInput { message },
            EnducoError::AuthorizationDenied { error, description } => {
                E::AuthorizationDenied { error, description }
            }
            EnducoError::StateMismatch => E::StateMismatch,
            EnducoError::ReauthorizationRequired { reason } => {
                E::ReauthorizationRequired { reason }
            }
            EnducoError::InsufficientScope { missing } => E::InsufficientScope { missing },
            EnducoError::RateLimited {
                retry_after_seconds,
            } => E::RateLimited {
                retry_after: retry_after_seconds
                    .map(|s| std::time::Duration::from_secs(s.max(0).unsigned_abs())),
            },
            EnducoError::Server { status } => E::Server {
                status: http_status(status),
            },
            EnducoError::Api {
                status,
                code,
                message,
            } => E::Api {
                status: status.map(http_status),
                code,
                message,
            },
            EnducoError::Network { message } => E::Network { message },
            EnducoError::Timeout => E::Timeout,
            EnducoError::InvalidResponse { message } => E::InvalidResponse { message },
            EnducoError::Store { message } => E::store(message, None),
            EnducoError::Internal { message } => E::Internal { message },
        }
    }
}

/// An exception the app's `TokenStore` (or another callback) threw that is not an
/// `EnducoException`/`EnducoError`: it becomes a `store` error instead of a crash.
impl From<uniffi::UnexpectedUniFFICallbackError> for EnducoError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        EnducoError::Store {
            message: format!("the app's callback threw: {}", e.reason),
        }
    }
}

/// A failure of the app's token store, whatever it threw, as the core's `store` error.
pub(crate) fn store_failure(e: EnducoError) -> enduco::Error {
    match e {
        EnducoError::Store { message } => enduco::Error::store(message, None),
        other => {
            let message = other.to_string();
            enduco::Error::store(message, Some(Arc::new(other)))
        }
    }
}

/// Foreign code sees signed integers (Kotlin's `Int`/`Long`, Swift's `Int32`/`Int64`).
pub(crate) fn saturating_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn http_status(status: i32) -> u16 {
    u16::try_from(status).unwrap_or(0)
}

pub(crate) type Result<T, E = EnducoError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    fn every_case() -> Vec<EnducoError> {
        vec![
            EnducoError::InvalidInput {
                message: "m".into(),
            },
            EnducoError::AuthorizationDenied {
                error: "access_denied".into(),
                description: Some("d".into()),
            },
            EnducoError::StateMismatch,
            EnducoError::ReauthorizationRequired { reason: "r".into() },
            EnducoError::InsufficientScope {
                missing: vec!["plans_read".into()],
            },
            EnducoError::RateLimited {
                retry_after_seconds: Some(7),
            },
            EnducoError::Server { status: 503 },
            EnducoError::Api {
                status: Some(400),
                code: "invalid_request".into(),
                message: "m".into(),
            },
            EnducoError::Network {
                message: "m".into(),
            },
            EnducoError::Timeout,
            EnducoError::InvalidResponse {
                message: "m".into(),
            },
            EnducoError::Store {
                message: "m".into(),
            },
            EnducoError::Internal {
                message: "m".into(),
            },
        ]
    }

    #[test]
    fn converts_both_ways_without_loss_and_keeps_the_core_codes_and_wording() {
        for case in every_case() {
            let core = enduco::Error::from(case.clone());
            assert_eq!(case.error_code(), core.code());
            assert_eq!(case.to_string(), core.to_string());
            assert_eq!(EnducoError::from(core), case);
        }
    }

    #[test]
    fn anything_a_store_throws_is_a_store_error() {
        let unexpected = uniffi::UnexpectedUniFFICallbackError::new("IOException: disk full");
        let e = EnducoError::from(unexpected);
        assert_eq!(e.error_code(), "store");
        assert!(e.to_string().contains("disk full"), "{e}");
        assert_eq!(store_failure(EnducoError::Timeout).code(), "store");
    }
}
