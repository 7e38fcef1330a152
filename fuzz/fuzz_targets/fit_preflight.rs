//! FIT pre-flight: `fit::check` on the whole input, and the streaming `FitCheck` fed the same
//! bytes in chunks (including empty ones) whose sizes come from the input's bytes 1..=3 (the
//! FIT header's protocol and profile version, which the check does not constrain, so a seed
//! keeps its meaning while the fuzzer varies the chunking). Both must give the same verdict,
//! and also byte by byte.
//!
//! The input is a plain FIT file: seeds are real files from `enduco-sandbox fit`.
#![no_main]

use enduco::fit::{self, FitCheck, FitSummary};
use libfuzzer_sys::fuzz_target;

/// The verdict in a comparable form (the error's code and message).
fn verdict(result: enduco::Result<FitSummary>) -> Result<FitSummary, (String, String)> {
    result.map_err(|e| (e.code().to_owned(), e.to_string()))
}

fn streamed(data: &[u8], sizes: &[usize]) -> enduco::Result<FitSummary> {
    let mut check = FitCheck::new();
    let mut rest = data;
    let mut i = 0;
    while !rest.is_empty() {
        let n = sizes[i % sizes.len()].min(rest.len());
        i += 1;
        let (chunk, tail) = rest.split_at(n);
        check.update(chunk)?;
        rest = tail;
    }
    // An empty chunk at the end is legal too.
    check.update(&[])?;
    check.finish()
}

fuzz_target!(|data: &[u8]| {
    let whole = verdict(fit::check(data));

    if let Ok(summary) = &whole {
        assert!(matches!(summary.header_size, 12 | 14));
        assert_eq!(summary.file_size, data.len() as u64);
        assert_eq!(
            u64::from(summary.header_size) + u64::from(summary.data_size) + 2,
            summary.file_size
        );
        assert_eq!(summary.file_type, 4);
    }

    // Sizes 0..=63 from bytes 1..=3; a zero is an empty update. All zero would never advance.
    let mut sizes: Vec<usize> = data.iter().skip(1).take(3).map(|&b| usize::from(b % 64)).collect();
    if sizes.iter().all(|&s| s == 0) {
        sizes = vec![1];
    }
    let chunked = verdict(streamed(data, &sizes));
    assert_eq!(chunked, whole, "chunk sizes {sizes:?} change the verdict");

    let bytewise = verdict(streamed(data, &[1]));
    assert_eq!(bytewise, whole, "byte-by-byte feeding changes the verdict");
});
