//! # enduco-ffi
//!
//! The UniFFI exports of the enduco SDK: the same `EnducoClient`, `Session`, `TokenStore`,
//! `TokenSet` and error taxonomy as the Rust core, for Kotlin (package `app.enduco.sdk`) and
//! Swift (module `Enduco`). Bindings are generated from the built library in library mode:
//!
//! ```sh
//! cargo build -p enduco-ffi
//! cargo run -p uniffi-bindgen -- generate --library target/debug/libenduco_ffi.so \
//!     --language kotlin --out-dir bindings/kotlin/target/generated-sources/uniffi
//! ```
//!
//! This crate converts types, errors and async only; every decision is the core's. No panic
//! crosses into Kotlin or Swift: every entry point that can fail runs through `guard`, which
//! turns a panic into the `internal` error. Async
//! methods run on tokio (`async_runtime = "tokio"`); foreign code drives them as Kotlin
//! `suspend` functions and Swift `async` methods, each with an optional `CancelToken` that
//! stops it (`cancel`: Swift's `Task` cancellation, which UniFFI's Swift does not pass on).

mod cancel;
mod client;
mod error;
mod guard;
mod models;
mod store;
mod tokens;

pub use cancel::CancelToken;
pub use client::{EnducoClient, Session, UploadProgress};
pub use error::EnducoError;
pub use guard::panic_for_tests;
pub use models::{
    CheckedTimeline, ExportFormat, IntensityZones, Metric, PlanDate, PlannedWorkout, QueryParam,
    RawResponse, Repeat, ResolvedTarget, Scope, Sport, SportZones, Step, StepKind, StepTarget,
    TimelineSegment, UploadResult, WebhookEvent, Zone, check_fit, export_plan, parse_webhook,
};
pub use store::{FileTokenStore, MemoryTokenStore, RefreshLock, TokenStore};
pub use tokens::{AuthorizationRequest, TokenSet};

uniffi::setup_scaffolding!();
