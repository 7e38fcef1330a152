//! `api::plans::parse_plans`: the body of `GET /api/v1/plans` (an array, or an object wrapping
//! it), with the normalisations of `date` and offset-less `startTime`; then, for every plan,
//! `timeline` (repeats expanded, nested and hostile counts capped, targets resolved with and
//! without zones), `local_start` (IANA time zone lookup, DST) and `is_rest_day`.
//!
//! Parsed plans must serialize back to a body that parses to the same plans.
#![no_main]

#[path = "common.rs"]
mod common;

use std::sync::LazyLock;

use enduco::IntensityZones;
use enduco::{MAX_TIMELINE_SEGMENTS, parse_plans};
use enduco::parse_zones;
use libfuzzer_sys::fuzz_target;

/// A realistic zone table (cycling power with a threshold, running heart rate and pace), so
/// zone and percentage targets get resolved.
static ZONES: LazyLock<IntensityZones> = LazyLock::new(|| {
    parse_zones(
        br#"{"userId":"u-1","updatedAt":"2025-03-01T08:00:00Z","zones":[
          {"sport":"cycling","metric":"power","unit":"W","threshold":250,"zones":[
            {"index":1,"name":"Recovery","upper":137},{"index":2,"lower":138,"upper":187},
            {"index":3,"lower":188,"upper":225},{"index":4,"lower":226,"upper":262},
            {"index":5,"lower":263}]},
          {"sport":"running","metric":"heart_rate","unit":"bpm","threshold":172,"zones":[
            {"index":1,"upper":140},{"index":2,"lower":141,"upper":155},{"index":3,"lower":156}]},
          {"sport":"running","metric":"pace","unit":"s/km","zones":[{"index":1,"lower":330}]}]}"#,
    )
    .expect("fixed zones parse")
});

fuzz_target!(|data: &[u8]| {
    let Ok(plans) = parse_plans(data) else {
        return;
    };
    for plan in &plans {
        let _ = format!("{plan:?}");
        let _ = plan.is_rest_day();
        if let Some(start) = plan.local_start() {
            assert_eq!(Some(start.timestamp()), plan.start_time);
        }
        for zones in [None, Some(&*ZONES)] {
            let timeline = plan.timeline(zones);
            assert!(timeline.len() <= MAX_TIMELINE_SEGMENTS);
            let mut offset = Some(0u32);
            for (i, segment) in timeline.iter().enumerate() {
                assert_eq!(segment.index as usize, i);
                assert_eq!(segment.start_offset_seconds, offset);
                offset = offset
                    .zip(segment.duration_seconds)
                    .and_then(|(a, d)| a.checked_add(d));
            }
        }
    }

    let wire = serde_json::to_vec(&plans).expect("plans serialize");
    let again = parse_plans(&wire).unwrap_or_else(|e| {
        panic!(
            "serialized plans do not parse back ({e}): {}",
            String::from_utf8_lossy(&wire)
        )
    });
    let (a, b) = (
        serde_json::to_value(&plans).unwrap(),
        serde_json::to_value(&again).unwrap(),
    );
    assert!(
        common::json_close(&a, &b),
        "round trip changed {a} into {b}"
    );
});
