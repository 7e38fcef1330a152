//! Where the SDK's FIT pre-flight spends its time: `enduco::FitCheck` over a file in
//! memory, against CRC-16/ARC alone with the `crc` crate's byte-wise table (`Crc<u16>`, what
//! `core/src/fit.rs` uses) and with its slice-by-16 table (what the sandbox's checker uses).
//! Not part of `bench/run`:
//!
//! ```sh
//! CARGO_TARGET_DIR=bench/.work/target cargo run --release -p enduco-bench --example preflight -- FILE.fit
//! ```

use std::time::{Duration, Instant};

fn main() {
    let path = std::env::args().nth(1).expect("usage: preflight FILE.fit");
    let bytes = std::fs::read(&path).expect("read the FIT file");
    let mb_per_s = |d: Duration| bytes.len() as f64 / 1e6 / d.as_secs_f64();
    let bytewise = crc::Crc::<u16>::new(&crc::CRC_16_ARC);
    let slice16 = crc::Crc::<u16, crc::Table<16>>::new(&crc::CRC_16_ARC);
    for _ in 0..3 {
        let t = Instant::now();
        let mut check = enduco::FitCheck::new();
        for chunk in bytes.chunks(64 * 1024) {
            check.update(chunk).expect("a valid FIT file");
        }
        check.finish().expect("a valid FIT file");
        let fit_check = t.elapsed();

        let t = Instant::now();
        let mut digest = bytewise.digest();
        for chunk in bytes.chunks(64 * 1024) {
            digest.update(chunk);
        }
        let a = digest.finalize();
        let crc1 = t.elapsed();

        let t = Instant::now();
        let mut digest = slice16.digest();
        for chunk in bytes.chunks(64 * 1024) {
            digest.update(chunk);
        }
        let b = digest.finalize();
        let crc16 = t.elapsed();
        assert_eq!(a, b);

        println!(
            "FitCheck {:>6.0} MB/s | CRC-16 alone: Table<1> {:>6.0} MB/s, Table<16> {:>6.0} MB/s",
            mb_per_s(fit_check),
            mb_per_s(crc1),
            mb_per_s(crc16)
        );
    }
}
