//! The one error type of the SDK. Every binding maps it 1:1 and keeps [`Error::code`] as the
//! stable, language-independent name of each case.

use std::sync::Arc;
use std::time::Duration;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong when talking to enduco.
///
/// Messages never contain a token, an authorization code or the client secret.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The app passed something unusable (a corrupt FIT file, a plan window longer than 7 days,
    /// a malformed URL). Nothing was sent. Fix the input; retrying it unchanged fails again.
    #[error("invalid input: {message}")]
    InvalidInput { message: String },

    /// The user cancelled on enduco's consent page (`error=access_denied`) or enduco refused the
    /// authorization request. Show the user that the connection was not made; offer to retry.
    #[error("authorization was not granted: {error}{}", description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    AuthorizationDenied {
        error: String,
        description: Option<String>,
    },

    /// The callback URL does not belong to the pending authorization request (possible CSRF,
    /// or a stale browser tab). Discard it and start a new authorization request.
    #[error("the callback's state does not match the pending authorization request")]
    StateMismatch,

    /// The stored grant is gone: never authorized, revoked, expired or rotated away. The store
    /// has been left as it was; send the user through the authorization flow again.
    #[error("the user must connect enduco again: {reason}")]
    ReauthorizationRequired { reason: String },

    /// The user did not grant a scope the call needs. Nothing was sent when the SDK could tell
    /// beforehand. Ask for the missing scopes in a new authorization request, or hide the feature.
    #[error("the user did not grant the scope(s): {}", missing.join(", "))]
    InsufficientScope { missing: Vec<String> },

    /// enduco asked the app to slow down and the retry budget ran out. Try again after
    /// `retry_after` (when enduco said how long).
    #[error("rate limited by enduco{}", retry_after.map(|d| format!(", retry after {} s", d.as_secs())).unwrap_or_default())]
    RateLimited { retry_after: Option<Duration> },

    /// enduco answered with a 5xx status after the retries allowed for this call. Transient:
    /// try again later.
    #[error("enduco server error (HTTP {status})")]
    Server { status: u16 },

    /// enduco refused the request with an error of its own (a 4xx other than 401/403/429, or an
    /// OAuth error such as `invalid_grant` for a reused code). Usually a bug in the request or
    /// the app's configuration; `code` and `message` come from enduco.
    #[error("enduco refused the request: {code}{}{}", status.map(|s| format!(" (HTTP {s})")).unwrap_or_default(), if message.is_empty() { String::new() } else { format!(": {message}") })]
    Api {
        status: Option<u16>,
        code: String,
        message: String,
    },

    /// The connection failed or broke (DNS, refused, reset, body cut off) after the retries
    /// allowed for this call. Check connectivity and try again.
    #[error("network error: {message}")]
    Network { message: String },

    /// enduco did not answer within the configured timeouts. Try again later.
    #[error("the request to enduco timed out")]
    Timeout,

    /// enduco answered with something the SDK cannot read (HTML, malformed JSON, a token
    /// response without a token). Often a proxy or captive portal; report it if it persists.
    #[error("unexpected response from enduco: {message}")]
    InvalidResponse { message: String },

    /// The app's token store failed to load, save or clear. Tokens that could not be saved are
    /// kept in memory and saved again on the next call; fix the storage and retry.
    #[error("token store failed: {message}")]
    Store {
        message: String,
        #[source]
        source: Option<Arc<dyn std::error::Error + Send + Sync>>,
    },

    /// A bug in the SDK: a panic caught before it could cross into the app (or the SDK's
    /// runtime stopping under a call). Nothing was lost: tokens are saved before use. Report
    /// it with the message; the call may be retried.
    #[error("internal error in the enduco SDK: {message}")]
    Internal { message: String },
}

/// The OAuth 2.0 error codes enduco's endpoints answer with (RFC 6749 §4.1.2.1 and §5.2).
/// [`Error::Api`] keeps the code as enduco sent it; [`Error::oauth_error`] reads it as this.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OAuthError {
    InvalidRequest,
    /// The client id or secret is wrong: a configuration error.
    InvalidClient,
    /// The code or refresh token is expired, revoked, reused or was issued to another client.
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    InvalidScope,
    /// The user cancelled on the consent page.
    AccessDenied,
    /// Any other code, as sent.
    Other(String),
}

/// One case of [`Error`] as the Node and Python bindings present it: their error classes are
/// generated from [`ERROR_CASES`] (`core/tests/error_classes.rs` writes `node/lib/errors.ts` and
/// `python/enduco/_error_classes.py`), so a case, its fields and its advice are declared here
/// once. Kotlin and Swift get the cases from UniFFI's enum.
#[derive(Debug, Clone, Copy)]
pub struct ErrorCase {
    /// [`Error::code`].
    pub code: &'static str,
    /// The exception class in Python and Node (`EnducoTimeoutError`: both languages have a
    /// builtin `TimeoutError`).
    pub class_name: &'static str,
    /// What it means and how the app reacts.
    pub doc: &'static str,
    /// The case's fields in [`Error::payload`], besides `code` and `message`.
    pub fields: &'static [PayloadField],
}

/// A field of an error's payload.
#[derive(Debug, Clone, Copy)]
pub struct PayloadField {
    /// snake_case, as in the payload; bindings rename it to their idiom.
    pub name: &'static str,
    pub kind: FieldKind,
    pub doc: &'static str,
}

/// The JSON type of a payload field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    Text,
    OptionalText,
    TextList,
    /// Seconds (a float), or null.
    OptionalSeconds,
    /// An HTTP status.
    Status,
    /// An HTTP status, or null.
    OptionalStatus,
}

const fn field(name: &'static str, kind: FieldKind, doc: &'static str) -> PayloadField {
    PayloadField { name, kind, doc }
}

const fn case(
    code: &'static str,
    class_name: &'static str,
    doc: &'static str,
    fields: &'static [PayloadField],
) -> ErrorCase {
    ErrorCase {
        code,
        class_name,
        doc,
        fields,
    }
}

/// Every case of [`Error`], in declaration order (a test checks it against [`Error::payload`]).
pub const ERROR_CASES: &[ErrorCase] = {
    use FieldKind::*;
    &[
        case(
            "invalid_input",
            "InvalidInputError",
            "The app passed something unusable (a corrupt FIT file, a plan window longer than \
             7 days, a malformed URL). Nothing was sent; retrying the same input fails again.",
            &[],
        ),
        case(
            "authorization_denied",
            "AuthorizationDeniedError",
            "The user cancelled on enduco's consent page, or enduco refused the authorization \
             request. Show that the connection was not made; offer to try again.",
            &[
                field(
                    "oauth_error",
                    Text,
                    "The OAuth `error`, e.g. `access_denied` when the user cancelled.",
                ),
                field(
                    "description",
                    OptionalText,
                    "The OAuth `error_description`, when enduco sent one.",
                ),
            ],
        ),
        case(
            "state_mismatch",
            "StateMismatchError",
            "The callback does not belong to the pending authorization request (possible CSRF, \
             or a stale browser tab). Discard it and start a new authorization request.",
            &[],
        ),
        case(
            "reauthorization_required",
            "ReauthorizationRequiredError",
            "The stored grant is gone (never authorized, revoked, expired or rotated away). The \
             store was left as it was; send the user through the authorization flow again.",
            &[field("reason", Text, "Why the grant is gone.")],
        ),
        case(
            "insufficient_scope",
            "InsufficientScopeError",
            "The user did not grant a scope the call needs; nothing was sent. Ask for the \
             missing scopes in a new authorization request, or hide the feature.",
            &[field(
                "missing",
                TextList,
                "The scopes the call needs and the grant lacks.",
            )],
        ),
        case(
            "rate_limited",
            "RateLimitedError",
            "enduco asked the app to slow down and the retries ran out. Try again after \
             `retry_after` seconds, when enduco said how long.",
            &[field(
                "retry_after",
                OptionalSeconds,
                "Seconds to wait, when enduco said.",
            )],
        ),
        case(
            "server",
            "ServerError",
            "enduco answered with a 5xx status after the retries. Transient: try again later.",
            &[field("status", Status, "The HTTP status.")],
        ),
        case(
            "api",
            "ApiError",
            "enduco refused the request with an error of its own (`api_code`, e.g. \
             `invalid_grant` for a reused code). Usually a bug in the request or the app's \
             configuration.",
            &[
                field(
                    "status",
                    OptionalStatus,
                    "The HTTP status; none for an OAuth error in the callback URL.",
                ),
                field("api_code", Text, "enduco's error code."),
                field("api_message", Text, "enduco's own message (may be empty)."),
            ],
        ),
        case(
            "network",
            "NetworkError",
            "The connection failed or broke after the retries. Check connectivity and try \
             again.",
            &[],
        ),
        case(
            "timeout",
            "EnducoTimeoutError",
            "enduco did not answer within the configured timeouts. Try again later.",
            &[],
        ),
        case(
            "invalid_response",
            "InvalidResponseError",
            "enduco answered with something the SDK cannot read (HTML, malformed JSON). Often a \
             proxy or captive portal; report it if it persists.",
            &[],
        ),
        case(
            "store",
            "StoreError",
            "The app's token store failed to load, save or clear; its own error is the cause. \
             Tokens that could not be saved stay in memory and are saved on the next call.",
            &[],
        ),
        case(
            "internal",
            "InternalError",
            "A bug in the SDK (a panic caught before it reached the app, or the SDK's runtime \
             stopping under a call). Nothing was lost: tokens are saved before use. Report it \
             with the message; the call may be retried.",
            &[],
        ),
    ]
};

impl OAuthError {
    pub fn parse(code: &str) -> OAuthError {
        match code {
            "invalid_request" => OAuthError::InvalidRequest,
            "invalid_client" => OAuthError::InvalidClient,
            "invalid_grant" => OAuthError::InvalidGrant,
            "unauthorized_client" => OAuthError::UnauthorizedClient,
            "unsupported_grant_type" => OAuthError::UnsupportedGrantType,
            "invalid_scope" => OAuthError::InvalidScope,
            "access_denied" => OAuthError::AccessDenied,
            other => OAuthError::Other(other.to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            OAuthError::InvalidRequest => "invalid_request",
            OAuthError::InvalidClient => "invalid_client",
            OAuthError::InvalidGrant => "invalid_grant",
            OAuthError::UnauthorizedClient => "unauthorized_client",
            OAuthError::UnsupportedGrantType => "unsupported_grant_type",
            OAuthError::InvalidScope => "invalid_scope",
            OAuthError::AccessDenied => "access_denied",
            OAuthError::Other(code) => code,
        }
    }
}

impl Error {
    /// The OAuth error behind an [`Error::Api`] answer, if it was one.
    pub fn oauth_error(&self) -> Option<OAuthError> {
        match self {
            Error::Api { code, .. } => Some(OAuthError::parse(code)),
            _ => None,
        }
    }

    /// The stable name of this case, the same string in every language binding.
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidInput { .. } => "invalid_input",
            Error::AuthorizationDenied { .. } => "authorization_denied",
            Error::StateMismatch => "state_mismatch",
            Error::ReauthorizationRequired { .. } => "reauthorization_required",
            Error::InsufficientScope { .. } => "insufficient_scope",
            Error::RateLimited { .. } => "rate_limited",
            Error::Server { .. } => "server",
            Error::Api { .. } => "api",
            Error::Network { .. } => "network",
            Error::Timeout => "timeout",
            Error::InvalidResponse { .. } => "invalid_response",
            Error::Store { .. } => "store",
            Error::Internal { .. } => "internal",
        }
    }

    /// This error as data, built here once for every binding: `code`, `message` (the
    /// `Display` text) and the case's own fields, snake_case — `oauth_error` and `description`
    /// (authorization_denied), `reason`, `missing`, `retry_after` (seconds), `status`,
    /// `api_code` and `api_message` (api). A field the case has but that is empty is `null`.
    /// Bindings pick their exception class from `code` and rename fields to their idiom only.
    pub fn payload(&self) -> serde_json::Map<String, serde_json::Value> {
        use serde_json::json;
        let fields = match self {
            Error::AuthorizationDenied { error, description } => {
                json!({ "oauth_error": error, "description": description })
            }
            Error::ReauthorizationRequired { reason } => json!({ "reason": reason }),
            Error::InsufficientScope { missing } => json!({ "missing": missing }),
            Error::RateLimited { retry_after } => {
                json!({ "retry_after": retry_after.map(|d| d.as_secs_f64()) })
            }
            Error::Server { status } => json!({ "status": status }),
            Error::Api {
                status,
                code,
                message,
            } => json!({ "status": status, "api_code": code, "api_message": message }),
            _ => json!({}),
        };
        let mut payload = serde_json::Map::new();
        payload.insert("code".into(), json!(self.code()));
        payload.insert("message".into(), json!(self.to_string()));
        if let serde_json::Value::Object(fields) = fields {
            payload.extend(fields);
        }
        payload
    }

    /// The host's own error behind a `Store` error (what its store implementation
    /// returned or threw), for bindings that hand it back as the exception's cause.
    pub fn store_source(&self) -> Option<&(dyn std::error::Error + Send + Sync + 'static)> {
        match self {
            Error::Store { source, .. } => source.as_deref(),
            _ => None,
        }
    }

    /// A panic caught at a boundary (a background task, a binding's entry point), with its
    /// message when it has one.
    pub fn from_panic(payload: &(dyn std::any::Any + Send)) -> Self {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".to_owned());
        Error::Internal { message }
    }

    /// Why one of the SDK's background tasks ended without an outcome.
    pub(crate) fn from_task_failure(e: tokio::task::JoinError) -> Self {
        match e.try_into_panic() {
            Ok(payload) => Error::from_panic(payload.as_ref()),
            Err(_) => Error::Internal {
                message: "the SDK's background task was cancelled (is the runtime shutting down?)"
                    .into(),
            },
        }
    }

    pub(crate) fn invalid_input(message: impl Into<String>) -> Self {
        Error::InvalidInput {
            message: message.into(),
        }
    }

    pub(crate) fn invalid_response(message: impl Into<String>) -> Self {
        Error::InvalidResponse {
            message: message.into(),
        }
    }

    /// A store failure with the host's own error kept as the source.
    pub fn store(
        message: impl Into<String>,
        source: Option<Arc<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Error::Store {
            message: message.into(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_carries_code_message_and_the_cases_fields() {
        let api = Error::Api {
            status: Some(401),
            code: "invalid_client".into(),
            message: "check the client id and secret".into(),
        };
        let payload = serde_json::Value::Object(api.payload());
        assert_eq!(payload["code"], "api");
        assert_eq!(payload["message"], api.to_string());
        assert_eq!(payload["status"], 401);
        assert_eq!(payload["api_code"], "invalid_client");
        assert_eq!(payload["api_message"], "check the client id and secret");

        let limited = Error::RateLimited { retry_after: None };
        let payload = limited.payload();
        assert!(
            payload["retry_after"].is_null(),
            "present and null: {payload:?}"
        );

        let denied = Error::AuthorizationDenied {
            error: "access_denied".into(),
            description: None,
        };
        let payload = denied.payload();
        assert_eq!(payload["oauth_error"], "access_denied");
        assert!(payload["description"].is_null());

        let payload = Error::Timeout.payload();
        assert_eq!(payload.len(), 2, "code and message only: {payload:?}");
    }

    #[test]
    fn the_case_table_matches_the_payloads() {
        let d = || String::from("x");
        let samples = [
            Error::invalid_input(d()),
            Error::AuthorizationDenied {
                error: d(),
                description: None,
            },
            Error::StateMismatch,
            Error::ReauthorizationRequired { reason: d() },
            Error::InsufficientScope { missing: vec![] },
            Error::RateLimited { retry_after: None },
            Error::Server { status: 502 },
            Error::Api {
                status: None,
                code: d(),
                message: d(),
            },
            Error::Network { message: d() },
            Error::Timeout,
            Error::invalid_response(d()),
            Error::store(d(), None),
            Error::Internal { message: d() },
        ];
        assert_eq!(samples.len(), ERROR_CASES.len());
        for (error, case) in samples.iter().zip(ERROR_CASES) {
            assert_eq!(error.code(), case.code);
            let mut keys: Vec<String> = error.payload().keys().cloned().collect();
            keys.retain(|k| k != "code" && k != "message");
            let mut fields: Vec<String> = case.fields.iter().map(|f| f.name.into()).collect();
            keys.sort();
            fields.sort();
            assert_eq!(keys, fields, "{}", case.code);
        }
    }
}
