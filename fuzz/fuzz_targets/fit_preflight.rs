//! FIT pre-flight: `check_fit` on the whole input, and the streaming `FitCheck` fed the same
//! bytes in chunks (including empty ones) whose sizes come from the input's bytes 1..=3 (the
//! FIT header's protocol and profile version, which the check does not constrain, so a seed
//! keeps its meaning while the fuzzer varies the chunking). Both must give the same verdict,
//! and also byte by byte.
//!
//! A mutated file almost always fails on its CRC first, which would hide the record parser's
//! verdict, so every input is checked a second time "repaired": `data_size` set to what the file
//! holds and both CRCs recomputed (with an independent CRC-16/ARC). The repaired file must never
//! fail on its header CRC, sizes or file CRC, and its three verdicts must agree too.
//!
//! The input is a plain FIT file: seeds are real files from `enduco-sandbox fit`.
#![no_main]

use enduco::{FitCheck, FitSummary, check_fit};
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

/// CRC-16/ARC, bit by bit: an oracle independent of the core's table-driven `crc` crate.
fn crc16_arc(bytes: &[u8]) -> u16 {
    let mut crc = 0u16;
    for &b in bytes {
        crc ^= u16::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xA001
            } else {
                crc >> 1
            };
        }
    }
    crc
}

/// The input with a consistent `data_size`, header CRC and file CRC, when it has a FIT header.
fn repaired(data: &[u8]) -> Option<Vec<u8>> {
    let hs = usize::from(*data.first()?);
    if !matches!(hs, 12 | 14) || data.len() < hs + 2 || &data[8..12] != b".FIT" {
        return None;
    }
    let mut f = data.to_vec();
    let data_size = u32::try_from(f.len() - hs - 2).ok()?;
    f[4..8].copy_from_slice(&data_size.to_le_bytes());
    if hs == 14 && (f[12], f[13]) != (0, 0) {
        let crc = crc16_arc(&f[..12]);
        f[12..14].copy_from_slice(&crc.to_le_bytes());
    }
    let end = f.len() - 2;
    let crc = crc16_arc(&f[..end]);
    f[end..].copy_from_slice(&crc.to_le_bytes());
    Some(f)
}

fuzz_target!(|data: &[u8]| {
    let _ = same_verdict_in_any_chunking(data);
    if let Some(fixed) = repaired(data) {
        if let Err((_, message)) = same_verdict_in_any_chunking(&fixed) {
            for framing in [
                "FIT header CRC",
                "FIT CRC mismatch",
                "FIT data size",
                "FIT file is truncated",
                "FIT file size",
                "FIT file has",
                "FIT file is too short",
            ] {
                assert!(
                    !message.starts_with(framing) || message.starts_with("FIT file has no file_id"),
                    "a file with consistent sizes and CRCs failed with {message:?}"
                );
            }
        }
    }
});

fn same_verdict_in_any_chunking(data: &[u8]) -> Result<FitSummary, (String, String)> {
    let whole = verdict(check_fit(data));

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
    let mut sizes: Vec<usize> = data
        .iter()
        .skip(1)
        .take(3)
        .map(|&b| usize::from(b % 64))
        .collect();
    if sizes.iter().all(|&s| s == 0) {
        sizes = vec![1];
    }
    let chunked = verdict(streamed(data, &sizes));
    assert_eq!(chunked, whole, "chunk sizes {sizes:?} change the verdict");

    let bytewise = verdict(streamed(data, &[1]));
    assert_eq!(bytewise, whole, "byte-by-byte feeding changes the verdict");
    whole
}
