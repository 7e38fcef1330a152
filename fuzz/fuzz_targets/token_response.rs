//! The token endpoint's JSON answer (`{access_token, refresh_token, scope, token_type,
//! expires_in}`) and the unverified JWT claims (`sub`, `scope`, `exp`) the SDK decodes from the
//! access token, through `enduco::fuzzing::token_response` (core feature `fuzzing`). That entry
//! point also formats the token set with `Debug` and asserts it round-trips through
//! `to_json`/`from_json`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    enduco::fuzzing::token_response(data);
});
