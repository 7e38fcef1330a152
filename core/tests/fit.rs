//! FIT pre-flight against the sandbox's generator: valid files pass whatever the chunking, and
//! each kind of damage is named exactly.

use std::io::Write;

use enduco::Error;
use enduco::{FitCheck, FitSummary, check_fit};
use enduco_sandbox::fit::{ActivityFile, Corruption, corrupt, fit_crc};

fn message<T: std::fmt::Debug>(result: enduco::Result<T>) -> String {
    match result {
        Err(Error::InvalidInput { message }) => message,
        other => panic!("expected invalid_input, got {other:?}"),
    }
}

fn streamed(bytes: &[u8], chunk: usize) -> enduco::Result<FitSummary> {
    let mut check = FitCheck::new();
    for piece in bytes.chunks(chunk) {
        check.update(piece)?;
    }
    check.finish()
}

fn data_size(bytes: &[u8]) -> u32 {
    u32::from_le_bytes(bytes[4..8].try_into().unwrap())
}

#[test]
fn generated_activities_pass() {
    for (seed, records) in [(1, 0), (2, 1), (3, 600), (4, 3_600)] {
        let bytes = ActivityFile::new(seed).records(records).to_bytes();
        let summary = check_fit(&bytes).unwrap();
        assert_eq!(summary.header_size, 14);
        assert_eq!(summary.file_size, bytes.len() as u64);
        assert_eq!(summary.data_size as usize, bytes.len() - 14 - 2);
        assert_eq!(summary.data_size, data_size(&bytes));
        assert_eq!(summary.file_type, 4);
        assert!(summary.time_created.is_some());
        enduco_sandbox::fit::validate(&bytes).unwrap();
    }
}

#[test]
fn odd_chunk_sizes_give_the_same_summary() {
    let bytes = ActivityFile::new(7).records(1_000).to_bytes();
    let whole = check_fit(&bytes).unwrap();
    for chunk in [1, 2, 3, 7, 13, 4096, 65_536, bytes.len()] {
        assert_eq!(
            streamed(&bytes, chunk).unwrap(),
            whole,
            "chunk size {chunk}"
        );
    }
}

#[test]
fn every_corruption_is_named() {
    let valid = ActivityFile::new(42).records(120).to_bytes();
    let n = valid.len();
    let declared = data_size(&valid);

    let expected = |how: Corruption, bad: &[u8]| -> String {
        match how {
            Corruption::Empty => "FIT file is empty".into(),
            Corruption::Truncated => format!(
                "FIT file is truncated: header declares {declared} data bytes (plus 2-byte CRC), \
                 file has {} after the header",
                n / 2 - 14
            ),
            Corruption::WrongSignature => {
                "not a FIT file: signature is \".TIF\", expected \".FIT\"".into()
            }
            Corruption::BadHeaderCrc => format!(
                "FIT header CRC mismatch: expected 0x{:04X}, computed 0x{:04X}",
                u16::from_le_bytes([bad[12], bad[13]]),
                fit_crc(&bad[..12])
            ),
            Corruption::BadFileCrc => format!(
                "FIT CRC mismatch: expected 0x{:04X}, computed 0x{:04X}",
                u16::from_le_bytes([bad[n - 2], bad[n - 1]]),
                fit_crc(&bad[..n - 2])
            ),
            // The FIT profile's `file` enum: 5 is workout, 6 is course.
            Corruption::NotActivity => "FIT file type is 6 (course), expected 4 (activity)".into(),
            Corruption::DataSizeMismatch => format!(
                "FIT data size mismatch: header declares {} data bytes, but the file holds \
                 {declared} (plus 2-byte CRC)",
                declared - 1
            ),
        }
    };

    for how in Corruption::ALL {
        let bad = corrupt(&valid, how);
        let want = expected(how, &bad);
        assert_eq!(message(check_fit(&bad)), want, "{how:?}");
        for chunk in [1, 7, 4096] {
            assert_eq!(
                message(streamed(&bad, chunk)),
                want,
                "{how:?}, chunk size {chunk}"
            );
        }
        // The sandbox (enduco's stand-in) refuses the same files.
        assert!(enduco_sandbox::fit::validate(&bad).is_err(), "{how:?}");
    }
}

#[test]
fn non_activity_types_are_named_by_the_profile() {
    let workout = ActivityFile::new(1).records(5).file_type(5).to_bytes();
    assert_eq!(
        message(check_fit(&workout)),
        "FIT file type is 5 (workout), expected 4 (activity)"
    );
    let course = ActivityFile::new(1).records(5).file_type(6).to_bytes();
    assert_eq!(
        message(check_fit(&course)),
        "FIT file type is 6 (course), expected 4 (activity)"
    );
}

#[test]
fn appended_bytes_and_chained_files_are_refused() {
    let valid = ActivityFile::new(5).records(10).to_bytes();

    let mut padded = valid.clone();
    padded.extend_from_slice(&[0; 5]);
    assert_eq!(
        message(check_fit(&padded)),
        "FIT file has 5 trailing bytes after the CRC"
    );

    let mut chained = valid.clone();
    chained.extend_from_slice(&ActivityFile::new(6).records(10).to_bytes());
    let msg = message(check_fit(&chained));
    assert!(
        msg.starts_with("FIT file has ")
            && msg.contains("trailing bytes after the CRC: it holds several chained FIT files"),
        "{msg}"
    );
}

#[test]
fn header_defects_fail_before_the_rest_is_read() {
    let bad = corrupt(
        &ActivityFile::new(9).records(100).to_bytes(),
        Corruption::BadHeaderCrc,
    );
    let mut check = FitCheck::new();
    let err = check.update(&bad[..14]).unwrap_err();
    assert!(err.to_string().contains("FIT header CRC mismatch"), "{err}");
}

#[tokio::test]
async fn check_file_streams_from_disk() {
    let activity = ActivityFile::new(11).target_size(3 * 1024 * 1024);
    let mut file = tempfile::NamedTempFile::new().unwrap();
    let written = activity.write_to(file.as_file_mut()).unwrap();
    file.flush().unwrap();

    let summary = enduco::check_fit_file(file.path()).await.unwrap();
    assert_eq!(summary.file_size, written);
    assert_eq!(summary, check_fit(&activity.to_bytes()).unwrap());

    let bad = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        bad.path(),
        corrupt(&activity.to_bytes(), Corruption::BadFileCrc),
    )
    .unwrap();
    assert!(message(enduco::check_fit_file(bad.path()).await).starts_with("FIT CRC mismatch"));
}

#[tokio::test]
async fn unreadable_paths_are_invalid_input() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.fit");
    let msg = message(enduco::check_fit_file(&missing).await);
    assert!(
        msg.starts_with(&format!("cannot read {}: ", missing.display())),
        "{msg}"
    );
    let msg = message(enduco::check_fit_file(dir.path()).await);
    assert!(msg.starts_with("cannot read "), "{msg}");

    let empty = dir.path().join("empty.fit");
    std::fs::write(&empty, b"").unwrap();
    assert_eq!(
        message(enduco::check_fit_file(&empty).await),
        "FIT file is empty"
    );
}
