//! The planned-workout writers (`PlannedWorkout::to_fit_workout`, `to_zwo`, `to_erg`,
//! `to_mrc`) on arbitrary plans built from the input bytes: any sport, step kinds, repeat
//! counts up to `u32::MAX`, nesting past the writers' depth limit, durations and distances
//! (NaN and infinities included), targets of every metric with absolute, percentage, zone-only
//! or missing bounds; each with and without a realistic zone table.
//!
//! Every writer either refuses with `invalid_input` or returns a bounded file; a FIT workout
//! always passes the core's FIT pre-flight up to its type check (header, sizes, both CRCs,
//! record framing), which then names type 5 (workout).
#![no_main]

use std::sync::LazyLock;

use enduco::{
    ExportFormat, IntensityZones, MAX_TIMELINE_SEGMENTS, Metric, PlannedWorkout, Repeat, Sport,
    Step, StepKind, StepTarget, parse_zones,
};
use libfuzzer_sys::fuzz_target;

/// Cycling power with an FTP, heart rate and pace tables, so zone and percentage targets
/// resolve.
static ZONES: LazyLock<IntensityZones> = LazyLock::new(|| {
    parse_zones(
        br#"{"userId":"u-1","zones":[
          {"sport":"cycling","metric":"power","unit":"W","threshold":250,"zones":[
            {"index":1,"lower":0,"upper":137},{"index":2,"lower":138,"upper":187},
            {"index":3,"lower":188,"upper":225},{"index":4,"lower":226}]},
          {"sport":"cycling","metric":"heart_rate","unit":"bpm","threshold":165,"zones":[
            {"index":1,"upper":140},{"index":2,"lower":141}]},
          {"sport":"running","metric":"pace","unit":"s/km","threshold":270,"zones":[
            {"index":1,"lower":330},{"index":2,"lower":280,"upper":329},{"index":3,"upper":279}]},
          {"sport":"swimming","metric":"pace","unit":"s/100m","threshold":95,"zones":[
            {"index":1,"lower":110},{"index":2,"upper":109}]}]}"#,
    )
    .expect("fixed zones parse")
});

/// Reads the input as a stream of choices; past its end every choice is 0.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn u8(&mut self) -> u8 {
        match self.0.split_first() {
            Some((b, rest)) => {
                self.0 = rest;
                *b
            }
            None => 0,
        }
    }

    fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.u8(), self.u8(), self.u8(), self.u8()])
    }

    /// Mostly plausible numbers, sometimes any f64 (NaN, infinities, negatives, huge).
    fn f64(&mut self) -> f64 {
        match self.u8() % 4 {
            0 => f64::from_bits(u64::from(self.u32()) << 32 | u64::from(self.u32())),
            _ => f64::from(u16::from_le_bytes([self.u8(), self.u8()])) / 4.0,
        }
    }

    fn maybe_f64(&mut self) -> Option<f64> {
        (self.u8() % 3 != 0).then(|| self.f64())
    }

    fn empty(&self) -> bool {
        self.0.is_empty()
    }
}

const KINDS: [StepKind; 7] = [
    StepKind::Warmup,
    StepKind::Active,
    StepKind::Recovery,
    StepKind::Cooldown,
    StepKind::Rest,
    StepKind::Repeat,
    StepKind::Other,
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
const UNITS: [&str; 9] = ["W", "bpm", "s/km", "s/100m", "%", "%ftp", "km/h", "rpm", "furlongs"];

fn steps(b: &mut Bytes<'_>, depth: usize, budget: &mut usize) -> Vec<Step> {
    let n = usize::from(b.u8() % 6);
    let mut out = Vec::new();
    for _ in 0..n {
        if b.empty() || *budget == 0 {
            break;
        }
        *budget -= 1;
        let op = b.u8();
        let repeat = (op % 5 == 0 && depth < 40).then(|| {
            let count = match b.u8() % 4 {
                0 => b.u32(),
                _ => u32::from(b.u8() % 8),
            };
            Repeat {
                count,
                steps: steps(b, depth + 1, budget),
            }
        });
        let flags = b.u8();
        let target = (flags & 1 == 1).then(|| StepTarget {
            metric: METRICS[usize::from(b.u8()) % METRICS.len()],
            zone: (flags & 2 == 2).then(|| u32::from(b.u8() % 9)),
            lower: if flags & 4 == 4 { b.maybe_f64() } else { None },
            upper: if flags & 8 == 8 { b.maybe_f64() } else { None },
            unit: (flags & 16 == 16).then(|| UNITS[usize::from(b.u8()) % UNITS.len()].to_owned()),
        });
        out.push(Step {
            kind: KINDS[usize::from(op / 5) % KINDS.len()],
            duration_seconds: (flags & 32 == 32).then(|| match b.u8() % 4 {
                0 => b.u32(),
                _ => u32::from(b.u8()) * 30,
            }),
            distance_meters: if flags & 64 == 64 { b.maybe_f64() } else { None },
            target,
            repeat,
        });
    }
    out
}

fn plan(data: &[u8]) -> PlannedWorkout {
    let mut b = Bytes(data);
    let sport = [Sport::Cycling, Sport::Running, Sport::Swimming, Sport::Other]
        [usize::from(b.u8() % 4)];
    let title_len = usize::from(b.u8() % 40);
    let title_bytes: Vec<u8> = (0..title_len).map(|_| b.u8()).collect();
    let mut budget = 2_000;
    PlannedWorkout {
        id: "fuzz".into(),
        date: jiff::civil::date(2026, 3, 28),
        start_time: None,
        time_zone: "Europe/Berlin".into(),
        sport,
        title: String::from_utf8_lossy(&title_bytes).into_owned(),
        description: Some("<&\"\u{1}>".into()),
        duration_seconds: None,
        distance_meters: None,
        load: None,
        steps: steps(&mut b, 0, &mut budget),
    }
}

/// Generous bounds: what the writers' caps allow (steps, text), never what the plan's repeat
/// counts ask for.
const MAX_FIT_BYTES: usize = 4096 + 32 * MAX_TIMELINE_SEGMENTS;
const MAX_TEXT_BYTES: usize = 8192 + 160 * MAX_TIMELINE_SEGMENTS;

fuzz_target!(|data: &[u8]| {
    let plan = plan(data);
    for zones in [None, Some(&*ZONES)] {
        for format in ExportFormat::ALL {
            match plan.export(format, zones) {
                Ok(bytes) => {
                    if format == ExportFormat::Fit {
                        assert!(bytes.len() <= MAX_FIT_BYTES, "FIT of {} bytes", bytes.len());
                        let verdict = enduco::check_fit(&bytes)
                            .expect_err("a workout file is not an activity")
                            .to_string();
                        assert!(
                            verdict.contains("FIT file type is 5 (workout)"),
                            "the FIT pre-flight found a defect: {verdict}"
                        );
                    } else {
                        assert!(bytes.len() <= MAX_TEXT_BYTES, "{format} of {} bytes", bytes.len());
                        assert!(std::str::from_utf8(&bytes).is_ok());
                    }
                }
                Err(e) => assert_eq!(e.code(), "invalid_input", "{format}: {e}"),
            }
        }
    }
});
