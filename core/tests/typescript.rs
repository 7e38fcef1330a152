//! Writes the TypeScript declarations of the core's models and client options,
//! `node/models.d.ts`, from their Rust definitions (ts-rs, which reads the same serde
//! attributes that shape the JSON the Node package hands out). The file is committed so that
//! `npm install ./node` has it; this test fails when it is stale and says how to refresh it:
//!
//! ```sh
//! ENDUCO_WRITE_TYPES=1 cargo test -p enduco --features typescript --test typescript
//! ```
#![cfg(feature = "typescript")]

use enduco::{
    CheckedTimeline, ClientOptions, FitSummary, IntensityZones, LocalStart, Metric, PlannedWorkout,
    Repeat, ResolvedTarget, Sport, SportZones, Step, StepKind, StepTarget, TimelineSegment,
    TokenSet, UploadResult, WebhookEvent, Zone,
};
use ts_rs::{Config, TS};

mod generated;

fn declaration<T: TS>(cfg: &Config) -> String {
    let docs = T::docs().unwrap_or_default();
    format!("{docs}export {}\n", T::decl(cfg))
}

#[test]
fn node_model_declarations_are_current() {
    let cfg = Config::new();
    let mut text = String::from(
        "// Generated from the core's models by core/tests/typescript.rs (ts-rs); do not edit.\n\
         // Numbers are JSON numbers; dates are `YYYY-MM-DD` text, instants RFC 3339 text.\n\n",
    );
    for decl in [
        declaration::<Sport>(&cfg),
        declaration::<Metric>(&cfg),
        declaration::<StepKind>(&cfg),
        declaration::<IntensityZones>(&cfg),
        declaration::<SportZones>(&cfg),
        declaration::<Zone>(&cfg),
        declaration::<PlannedWorkout>(&cfg),
        declaration::<Step>(&cfg),
        declaration::<Repeat>(&cfg),
        declaration::<StepTarget>(&cfg),
        declaration::<ResolvedTarget>(&cfg),
        declaration::<TimelineSegment>(&cfg),
        declaration::<CheckedTimeline>(&cfg),
        declaration::<LocalStart>(&cfg),
        declaration::<UploadResult>(&cfg),
        declaration::<FitSummary>(&cfg),
        declaration::<WebhookEvent>(&cfg),
        declaration::<ClientOptions>(&cfg),
        declaration::<TokenSet>(&cfg),
    ] {
        text.push_str(&decl);
        text.push('\n');
    }
    generated::check_or_write(
        "node/models.d.ts",
        &text,
        "ENDUCO_WRITE_TYPES=1 cargo test -p enduco --features typescript --test typescript",
    );
}
