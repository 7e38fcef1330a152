//! The untrusted parts of every HTTP answer before any parser sees it: `Retry-After` (seconds,
//! HTTP dates, garbage, 2^64 − 1) turned into a wait and a deadline without overflow, and a
//! body read through the size cap in arbitrary chunks (never more than the limit kept, never a
//! byte lost below it). See `enduco::fuzzing::http_answer` for the input layout.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    enduco::fuzzing::http_answer(data);
});
