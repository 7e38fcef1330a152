//! `AuthorizationRequest::authorization_code`: the redirect URL the browser comes back with is
//! attacker-controlled (anyone can craft a link to the app's redirect URI).
//!
//! Every input is tried twice: as the whole callback URL (URL parsing, query splitting, the
//! state check) and appended to `https://app.example/callback?state=<the request's state>&`,
//! which gets past the state check into the `error=` / `code=` handling.
#![no_main]

use std::sync::LazyLock;

use enduco::{AuthorizationRequest, ClientConfig, EnducoClient, Environment, Error, Scope};
use libfuzzer_sys::fuzz_target;

/// One request for the whole run, built through the public API. Its state is random (a fresh
/// 256-bit value per process); no input can depend on it except by containing it, so a crash
/// replays the same way in another process.
static PENDING: LazyLock<(AuthorizationRequest, String)> = LazyLock::new(|| {
    let client = EnducoClient::new(ClientConfig::new(
        Environment::Beta,
        "id",
        "secret",
        "https://app.example/callback",
    ))
    .expect("client");
    let pending = client
        .authorization_request(&[Scope::UserRead])
        .expect("authorization request");
    let prefix = format!("https://app.example/callback?state={}&", pending.state);
    (pending, prefix)
});

const CODES: [&str; 12] = [
    "invalid_input",
    "authorization_denied",
    "state_mismatch",
    "reauthorization_required",
    "insufficient_scope",
    "rate_limited",
    "server",
    "api",
    "network",
    "timeout",
    "invalid_response",
    "store",
];

fn check(pending: &AuthorizationRequest, url: &str, state_given: bool) {
    let result = pending.authorization_code(url);
    if !state_given && !url.contains(pending.state.as_str()) {
        // The state is checked before anything else: without it nothing but a malformed-URL
        // error or a state mismatch may come back (never a code, never a forged `error=`).
        assert!(
            matches!(
                result,
                Err(Error::StateMismatch | Error::InvalidInput { .. })
            ),
            "a callback without the state gave {result:?}"
        );
    }
    match result {
        Ok(code) => {
            assert!(!code.secret().is_empty(), "an empty code was accepted");
            assert_eq!(format!("{code:?}"), "AuthorizationCode([redacted])");
        }
        Err(e) => {
            assert!(CODES.contains(&e.code()), "unknown error code {}", e.code());
            let _ = format!("{e} {e:?}");
            // With the real state leading the query, a mismatch is impossible: a repeated
            // `state` is `invalid_input`, and nothing appended can change the prefix.
            assert!(
                !(state_given && matches!(e, Error::StateMismatch)),
                "state mismatch although the real state leads the query: {url:?}"
            );
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let (pending, prefix) = &*PENDING;
    let input = String::from_utf8_lossy(data);
    check(pending, &input, false);
    let appended = format!("{prefix}{input}");
    check(pending, &appended, true);
});
