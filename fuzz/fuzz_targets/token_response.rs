//! The token endpoint's JSON answer (`{access_token, refresh_token, scope, token_type,
//! expires_in}`) and the unverified JWT claims (`sub`, `scope`, `exp`) the SDK decodes from the
//! access token, through `enduco::fuzzing::token_response` (core feature `fuzzing`). That entry
//! point also formats the token set with `Debug` and asserts it round-trips through
//! `to_json`/`from_json`.
//!
//! Each input is used twice: as the whole response body, and as the JWT's claims JSON inside a
//! well-formed response (RS256 header, base64url payload, dummy signature), because a mutated
//! base64 payload almost never decodes to JSON and the claims reader would stay out of reach.
#![no_main]

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use libfuzzer_sys::fuzz_target;

/// `{"alg":"RS256","typ":"JWT","kid":"enduco-2025-01"}`, base64url.
const HEADER: &str = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImVuZHVjby0yMDI1LTAxIn0";

fuzz_target!(|data: &[u8]| {
    enduco::fuzzing::token_response(data);

    let jwt = format!("{HEADER}.{}.c2lnbmF0dXJl", URL_SAFE_NO_PAD.encode(data));
    // Without `scope` and `expires_in`, so the claims' `scope` and `exp` are what count.
    let body = format!(r#"{{"access_token":"{jwt}","refresh_token":"r","token_type":"Bearer"}}"#);
    enduco::fuzzing::token_response(body.as_bytes());
});
