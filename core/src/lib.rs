//! # enduco
//!
//! The client for enduco's OAuth 2.0 API: authorize a user, keep their tokens fresh and
//! persisted through the host app's own storage, upload finished workouts as FIT files, read the
//! training plan up to 7 days ahead and the user's intensity zones.
//!
//! ```no_run
//! # async fn demo() -> enduco::Result<()> {
//! use enduco::{ClientConfig, EnducoClient, Environment, MemoryTokenStore, Scope};
//! use std::sync::Arc;
//!
//! let client = EnducoClient::new(ClientConfig::new(
//!     Environment::Beta,
//!     "my-client-id",
//!     "my-client-secret",
//!     "https://app.example/callback",
//! ))?;
//! let pending = client.authorization_request(&[Scope::UserRead, Scope::PlansRead])?;
//! // ... send the user to pending.url, receive the redirect ...
//! # let callback_url = "";
//! let tokens = client.complete_authorization(&pending, callback_url).await?;
//! let store = Arc::new(MemoryTokenStore::with_tokens(tokens));
//! let session = client.session(store);
//! let zones = session.intensity_zones().await?;
//! # Ok(()) }
//! ```
//!
//! Methods that change what the token store holds say so with **💾 Persists** in their docs.

// Topic modules are private: every public item has one path, `enduco::Name` (re-exported
// below). The machinery they share lives in `internal`.
mod api;
mod client;
mod config;
mod error;
mod export;
mod fit;
mod oauth;
mod scope;
mod session;
mod store;
mod token;
mod webhook;

mod internal;

/// The models' methods on their JSON form, for the Node and Python bindings (their models are
/// plain data).
pub mod plain;

/// The UniFFI component of the core's models (for `bindings/`, the Kotlin and Swift exports).
#[cfg(feature = "uniffi")]
mod ffi;
#[cfg(feature = "uniffi")]
uniffi::setup_scaffolding!("enduco");
#[cfg(feature = "uniffi")]
pub use ffi::{CalendarDate, scope_name};

/// Entry points for the fuzz targets in `fuzz/`: the parsers of bytes that come from outside,
/// reachable without a network. Not part of the API.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing {
    use crate::token;

    /// An HTTP answer's untrusted parts: a `Retry-After` value turned into a wait and a
    /// deadline, and a body read through the size cap in arbitrary chunks.
    ///
    /// Input: 2 bytes limit, 1 flag + 4 bytes declared length, the header value up to the first
    /// `\n`, then body chunks separated by `0xff`.
    pub fn http_answer(data: &[u8]) {
        use crate::internal::http::{CappedBody, instant_after, retry_after};
        if data.len() < 7 {
            return;
        }
        let limit = usize::from(u16::from_le_bytes([data[0], data[1]]));
        let declared = (data[2] & 1 == 1)
            .then(|| u64::from(u32::from_le_bytes([data[3], data[4], data[5], data[6]])));
        let rest = &data[7..];
        let (header, body) = match rest.iter().position(|&b| b == b'\n') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, &[][..]),
        };
        if let Ok(value) = reqwest::header::HeaderValue::from_bytes(header) {
            let mut headers = reqwest::header::HeaderMap::new();
            headers.insert(reqwest::header::RETRY_AFTER, value);
            if let Some(wait) = retry_after(&headers) {
                let deadline = instant_after(wait);
                let _ = deadline.saturating_duration_since(std::time::Instant::now()) <= wait;
            }
        }
        let Ok(mut capped) = CappedBody::new(limit, declared) else {
            assert!(declared.is_some_and(|n| n > limit as u64));
            return;
        };
        let mut expected = Vec::new();
        for (i, chunk) in body.split(|&b| b == 0xff).enumerate() {
            // Both ways in: borrowed (copied) and owned (kept as is while it is the only one).
            let pushed = if i % 2 == 0 {
                capped.push_bytes(bytes::Bytes::copy_from_slice(chunk))
            } else {
                capped.push(chunk)
            };
            if pushed.is_err() {
                assert!(expected.len() + chunk.len() > limit);
                return;
            }
            expected.extend_from_slice(chunk);
        }
        let bytes = capped.finish();
        assert!(bytes.len() <= limit);
        assert_eq!(&bytes[..], &expected[..]);
    }

    /// The token endpoint's JSON answer, including the JWT claims decoded from it.
    pub fn token_response(body: &[u8]) {
        if let Ok(response) = serde_json::from_slice::<token::TokenResponse>(body) {
            if let Ok(tokens) =
                token::TokenSet::from_response(response, std::time::SystemTime::now(), None)
            {
                let _ = tokens.user_id();
                let _ = format!("{tokens:?}");
                let _ =
                    token::TokenSet::from_json(&tokens.to_json()).expect("a token set round-trips");
            }
        }
    }
}

pub use api::plans::{
    CheckedTimeline, LocalStart, MAX_PLAN_DAYS, MAX_TIMELINE_SEGMENTS, MAX_TIMELINE_STEPS_VISITED,
    PlannedWorkout, Repeat, ResolvedTarget, Step, StepKind, StepTarget, TimelineSegment,
    check_window, local_today, parse_plans, upcoming_window,
};
pub use api::upload::{UploadOptions, UploadProgress, UploadResult, WorkoutSource};
pub use api::zones::{IntensityZones, Metric, Sport, SportZones, Zone, parse_zones};
pub use api::{RawResponse, parse_date};
pub use client::EnducoClient;
pub use config::{
    ClientConfig, ClientOptions, Endpoints, Environment, OptionsShapeError, RetryPolicy, Timeouts,
};
pub use error::{ERROR_CASES, Error, ErrorCase, FieldKind, OAuthError, PayloadField, Result};
pub use export::{ExportFormat, MAX_EXPORT_DEPTH, MAX_EXPORT_TEXT_BYTES};
pub use fit::{FitCheck, FitSummary, check as check_fit, check_file as check_fit_file};
pub use oauth::{
    AUTHORIZATION_REQUEST_SCHEMA_VERSION, AuthorizationRequest, MAX_RELAY_REQUEST_BYTES,
    RELAY_USER_AGENT, RelayResponse, Scope, TokenRelay,
};
pub use session::Session;
pub use store::{FileTokenStore, MemoryTokenStore, TokenStore};
#[cfg(feature = "postgres")]
pub use store::{PostgresTokenStore, PostgresTokenStores};
#[cfg(feature = "redis")]
pub use store::{RedisTokenStore, RedisTokenStores};
pub use token::{
    AccessToken, AuthorizationCode, ClientSecret, CodeVerifier, RefreshToken,
    TOKEN_SET_SCHEMA_VERSION, TokenSet,
};
pub use webhook::{WebhookEvent, parse_webhook};
