//! `TokenSet::from_json`: what the host app's storage hands back (a file, a Keychain item, a
//! database row), possibly truncated, from an older or newer SDK, or tampered with.
//!
//! A token set that loads must survive every accessor and round-trip through `to_json`.
#![no_main]

use std::time::Duration;

use enduco::{Scope, TokenSet};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Ok(tokens) = TokenSet::from_json(&text) else {
        return;
    };
    assert!(!tokens.access_token.secret().is_empty());
    let _ = format!("{tokens:?}");
    let _ = tokens.user_id();
    let _ = tokens.expires_at_time();
    for margin in [0, 60, u64::MAX] {
        let _ = tokens.expires_within(Duration::from_secs(margin));
    }
    for scope in Scope::ALL {
        let _ = tokens.has_scope(scope);
    }
    let again = TokenSet::from_json(&tokens.to_json()).expect("a loaded token set round-trips");
    assert_eq!(again, tokens);
});
