//! `enduco-sandbox`: a faithful local stand-in for enduco's OAuth 2.0 and data API, used by
//! every SDK test (Rust, Python, Node, Kotlin, Swift) and by the demo. See sandbox/README.md.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let sandbox = enduco_sandbox::Sandbox::start().await?;
//! println!("authorize at {}/oauth2/authorize", sandbox.url());
//! sandbox.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! Endpoints: `/oauth2/{authorize,authorize/decision,token,revoke,jwks}`,
//! `/api/v1/{zones,plans,workouts}`, and the control API under `/_sandbox/` (faults, token
//! expiry, settings, request log, reset, webhooks). [`fit`] writes and checks FIT files.

// Helpers return `Result<_, Response>` so handlers can `?`/return a finished error response;
// the 128-byte Err variant is irrelevant for a test server.
#![allow(clippy::result_large_err)]

mod api;
mod config;
mod control;
mod faults;
pub mod fit;
mod net;
mod oauth;
mod server;
mod state;
mod util;
mod webhooks;

pub use config::{
    GrantTypes, RefreshReuse, SCOPES, SandboxArgs, SandboxConfig, default_redirect_uris,
};
pub use server::{Sandbox, serve_until_ctrl_c};
