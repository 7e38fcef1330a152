//! Writes the type stubs of the native module, `python/enduco/_enduco.pyi`, from the Rust
//! definitions in `python/src` (pyo3-stub-gen: the `#[gen_stub_*]` attributes, with the Rust
//! doc comments as docstrings). The file is committed so that `pip install ./python` and the
//! sdist have it; `python/run-tests` runs this with `--check`, which fails when it is stale and
//! says how to refresh it:
//!
//! ```sh
//! cargo run -p enduco-python --no-default-features --features stub-gen --bin stub_gen
//! ```

use std::path::Path;
use std::process::ExitCode;

const REFRESH: &str =
    "cargo run -p enduco-python --no-default-features --features stub-gen --bin stub_gen";

fn main() -> ExitCode {
    let check = match std::env::args().nth(1).as_deref() {
        None => false,
        Some("--check") => true,
        Some(other) => {
            eprintln!("stub_gen: unknown argument {other:?} (usage: stub_gen [--check])");
            return ExitCode::from(2);
        }
    };
    let text = match _enduco::stub_text() {
        Ok(text) => text,
        Err(e) => {
            eprintln!("stub_gen: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("enduco/_enduco.pyi");
    if check {
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed != text {
            eprintln!(
                "python/enduco/_enduco.pyi is not what python/src declares; refresh it with\n  {REFRESH}"
            );
            return ExitCode::FAILURE;
        }
        println!("python/enduco/_enduco.pyi is current");
        return ExitCode::SUCCESS;
    }
    if let Err(e) = std::fs::write(&path, &text) {
        eprintln!("stub_gen: write {}: {e}", path.display());
        return ExitCode::FAILURE;
    }
    println!("wrote {}", path.display());
    ExitCode::SUCCESS
}
