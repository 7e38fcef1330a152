//! `cargo run -p uniffi-bindgen -- generate --library target/debug/libenduco_ffi.so --language kotlin --out-dir …`
//!
//! UniFFI's own command line, built from the same uniffi version as `enduco-ffi`. It lives in
//! its own crate, outside the workspace's default members, so a plain `cargo build` does not
//! compile the generator.

fn main() {
    uniffi::uniffi_bindgen_main()
}
