//! `api::zones::parse_zones`: the body of `GET /api/v1/zones`, read tolerantly (numbers as
//! strings, `null` lists, unknown enum values as `other`). The response may be anything a
//! proxy, captive portal or buggy server sends.
//!
//! Parsed zones must serialize back to a body that parses to the same zones, and resolving
//! step targets against them must not panic.
#![no_main]

#[path = "common.rs"]
mod common;

use enduco::parse_zones;
use enduco::{Metric, Sport, StepTarget};
use libfuzzer_sys::fuzz_target;

const SPORTS: [Sport; 4] = [
    Sport::Cycling,
    Sport::Running,
    Sport::Swimming,
    Sport::Other,
];
const METRICS: [Metric; 7] = [
    Metric::Power,
    Metric::HeartRate,
    Metric::Pace,
    Metric::Speed,
    Metric::Cadence,
    Metric::Rpe,
    Metric::Other,
];

fuzz_target!(|data: &[u8]| {
    let Ok(zones) = parse_zones(data) else {
        return;
    };
    let _ = format!("{zones:?}");

    let wire = serde_json::to_vec(&zones).expect("zones serialize");
    let again = parse_zones(&wire).unwrap_or_else(|e| {
        panic!(
            "serialized zones do not parse back ({e}): {}",
            String::from_utf8_lossy(&wire)
        )
    });
    let (a, b) = (
        serde_json::to_value(&zones).unwrap(),
        serde_json::to_value(&again).unwrap(),
    );
    assert!(
        common::json_close(&a, &b),
        "round trip changed {a} into {b}"
    );

    for table in &zones.zones {
        for sport in SPORTS {
            let mut targets = vec![
                StepTarget {
                    metric: table.metric,
                    zone: None,
                    lower: Some(50.0),
                    upper: Some(120.0),
                    unit: Some("%ftp".into()),
                },
                StepTarget {
                    metric: table.metric,
                    zone: None,
                    lower: Some(f64::MAX),
                    upper: None,
                    unit: None,
                },
            ];
            targets.extend(table.zones.iter().take(8).map(|z| StepTarget {
                metric: table.metric,
                zone: Some(z.index),
                lower: None,
                upper: None,
                unit: None,
            }));
            for target in &targets {
                let resolved = zones.resolve(sport, target);
                if let Some(r) = &resolved {
                    assert_eq!(r.metric, target.metric);
                }
            }
        }
        for metric in METRICS {
            let _ = zones.for_sport(table.sport, metric);
        }
    }
});
