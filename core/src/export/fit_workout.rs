//! The FIT workout file (file type 5): a `file_id`, a `workout` and one `workout_step` per step,
//! repeats kept as FIT repeat steps.
//!
//! Written from the FIT protocol and profile (no Rust FIT encoder is both well kept and within
//! this crate's MSRV): 14-byte header with its CRC, one definition message per message type,
//! little-endian data messages, the file CRC from [`crate::fit`].
//!
//! Step semantics follow the profile:
//! - `duration_type` time (value in ms), distance (cm) or open; a repeat is
//!   `repeat_until_steps_cmplt` *after* its body, `duration_value` = the message index of the
//!   body's first step, `target_value` = the repeat count;
//! - `target_type` power (custom values in W + 1000: 0–1000 would mean % FTP), heart rate
//!   (bpm + 100: 0–100 would mean % of max HR), speed for pace and speed (m/s × 1000), cadence
//!   (rpm); `target_value` 0 means custom bounds, 1… a zone number of the device's own zones.

use std::time::{SystemTime, UNIX_EPOCH};

use super::{Item, Leaf, checked_bound, clip, is_watts, structure};
use crate::api::plans::{PlannedWorkout, StepKind};
use crate::api::zones::{IntensityZones, Metric, Sport};
use crate::error::{Error, Result};
use crate::fit;

use super::ExportFormat;

/// Seconds from the Unix epoch to FIT's (1989-12-31T00:00:00Z).
const FIT_EPOCH_OFFSET: u64 = 631_065_600;

// Global message numbers.
const MESG_FILE_ID: u16 = 0;
const MESG_WORKOUT: u16 = 26;
const MESG_WORKOUT_STEP: u16 = 27;

// Base types.
const ENUM: u8 = 0x00;
const STRING: u8 = 0x07;
const UINT16: u8 = 0x84;
const UINT32: u8 = 0x86;
const UINT32Z: u8 = 0x8C;

// Invalid values ("field not set") of the base types used.
const ENUM_INVALID: u8 = 0xFF;
const UINT32_INVALID: u32 = 0xFFFF_FFFF;

/// `file_id.type` workout.
const FILE_TYPE_WORKOUT: u8 = 5;
/// `manufacturer` development: files made by software that is not a registered device maker.
const MANUFACTURER_DEVELOPMENT: u16 = 255;

// `wkt_step_duration`.
const DURATION_TIME: u8 = 0;
const DURATION_DISTANCE: u8 = 1;
const DURATION_OPEN: u8 = 5;
const DURATION_REPEAT_UNTIL_STEPS_CMPLT: u8 = 6;

// `wkt_step_target`.
const TARGET_SPEED: u8 = 0;
const TARGET_HEART_RATE: u8 = 1;
const TARGET_OPEN: u8 = 2;
const TARGET_CADENCE: u8 = 3;
const TARGET_POWER: u8 = 4;

/// Custom power values are watts + 1000 (values up to 1000 mean % FTP).
const POWER_OFFSET: u32 = 1000;
/// Custom heart-rate values are bpm + 100 (values up to 100 mean % of max heart rate).
const HEART_RATE_OFFSET: u32 = 100;

/// What an open upper bound (a top zone, "≥ 375 W") is written as: devices need both bounds of
/// a custom range, and these are beyond what any athlete reaches, so the range stays open in
/// practice. FIT has no way to say "no upper bound".
const OPEN_POWER_W: f64 = 3000.0;
const OPEN_HEART_RATE_BPM: f64 = 250.0;
const OPEN_SPEED_MPS: f64 = 30.0;
const OPEN_CADENCE_RPM: f64 = 250.0;

/// Longest workout name written: devices show far fewer characters, and FIT strings have a
/// one-byte size.
const MAX_NAME_BYTES: usize = 63;

impl PlannedWorkout {
    /// The workout as a FIT workout file (file type 5) for Garmin, Wahoo and Hammerhead devices:
    /// name and sport set, one `workout_step` per step with its intensity (warm-up, active,
    /// recovery, cool-down, rest), a time, distance or open duration, repeats kept as FIT
    /// repeat steps (nested ones too), and targets as devices expect them — power in watts,
    /// heart rate in bpm, pace as speed.
    ///
    /// `zones` (the user's, from [`Session::intensity_zones`](crate::Session::intensity_zones))
    /// resolve zone and percentage targets to custom bounds, the same bounds
    /// [`PlannedWorkout::timeline`] gives. Without them a zone target is written as the FIT
    /// zone number, which the device reads against its own zones.
    ///
    /// A step FIT cannot hold (an RPE target, a percentage target without zones, a bound that
    /// is not a number) is an [`Error::InvalidInput`] naming the step; so is a rest day.
    pub fn to_fit_workout(&self, zones: Option<&IntensityZones>) -> Result<Vec<u8>> {
        let items = structure(self, zones, ExportFormat::Fit)?;
        let mut steps = Vec::new();
        fit_steps(&items, &mut steps)?;
        let count = u16::try_from(steps.len())
            .map_err(|_| Error::invalid_input("too many FIT workout steps"))?;

        let mut w = FitWriter::new();
        // file_id
        w.definition(
            0,
            MESG_FILE_ID,
            &[
                (0, 1, ENUM),
                (1, 2, UINT16),
                (2, 2, UINT16),
                (3, 4, UINT32Z),
                (4, 4, UINT32),
            ],
        );
        w.data(0);
        w.u8(FILE_TYPE_WORKOUT);
        w.u16(MANUFACTURER_DEVELOPMENT);
        w.u16(0);
        w.u32(serial_number(&self.id));
        w.u32(fit_now());

        // workout
        let name = workout_name(self);
        let name_size = name.len() + 1;
        w.definition(
            1,
            MESG_WORKOUT,
            &[(8, name_size as u8, STRING), (4, 1, ENUM), (6, 2, UINT16)],
        );
        w.data(1);
        w.bytes(name.as_bytes());
        w.u8(0);
        w.u8(fit_sport(self.sport));
        w.u16(count);

        // workout_step, one fixed layout for every step
        w.definition(
            2,
            MESG_WORKOUT_STEP,
            &[
                (254, 2, UINT16),
                (1, 1, ENUM),
                (2, 4, UINT32),
                (3, 1, ENUM),
                (4, 4, UINT32),
                (5, 4, UINT32),
                (6, 4, UINT32),
                (7, 1, ENUM),
            ],
        );
        for (index, step) in steps.iter().enumerate() {
            w.data(2);
            w.u16(index as u16);
            w.u8(step.duration_type);
            w.u32(step.duration_value);
            w.u8(step.target_type);
            w.u32(step.target_value);
            w.u32(step.low);
            w.u32(step.high);
            w.u8(step.intensity);
        }
        Ok(w.finish())
    }
}

/// One `workout_step` message's values.
struct FitStep {
    duration_type: u8,
    duration_value: u32,
    target_type: u8,
    target_value: u32,
    low: u32,
    high: u32,
    intensity: u8,
}

/// Appends the steps of `items`, each repeat's body before the repeat step that points back to
/// the body's first step.
fn fit_steps(items: &[Item<'_>], out: &mut Vec<FitStep>) -> Result<()> {
    for item in items {
        match item {
            Item::Step(leaf) => out.push(fit_step(leaf)?),
            Item::Repeat { count, body } => {
                // 0xFFFFFFFF is FIT's "not set": a device would read a repeat without a count.
                if *count == UINT32_INVALID {
                    return Err(Error::invalid_input(format!(
                        "a repeat of {count} times is more than a FIT repeat step can count"
                    )));
                }
                let first = out.len() as u32;
                fit_steps(body, out)?;
                out.push(FitStep {
                    duration_type: DURATION_REPEAT_UNTIL_STEPS_CMPLT,
                    duration_value: first,
                    target_type: ENUM_INVALID,
                    target_value: *count,
                    low: UINT32_INVALID,
                    high: UINT32_INVALID,
                    intensity: ENUM_INVALID,
                });
            }
        }
    }
    Ok(())
}

fn fit_step(leaf: &Leaf<'_>) -> Result<FitStep> {
    let label = &leaf.label;
    // Time wins when a step has both: a device can always count time.
    let (duration_type, duration_value) = match (leaf.seconds, leaf.meters) {
        (Some(s), _) => (
            DURATION_TIME,
            s.checked_mul(1000)
                .filter(|v| *v != UINT32_INVALID)
                .ok_or_else(|| {
                    Error::invalid_input(format!(
                        "{label}: {s} s is longer than a FIT step can be (49 days)"
                    ))
                })?,
        ),
        (None, Some(m)) => {
            let cm = m * 100.0;
            if !(cm.is_finite() && cm >= 0.0 && cm.round() < f64::from(UINT32_INVALID)) {
                return Err(Error::invalid_input(format!(
                    "{label}: distance {m} m cannot be a FIT step's distance"
                )));
            }
            (DURATION_DISTANCE, cm.round() as u32)
        }
        (None, None) => (DURATION_OPEN, UINT32_INVALID),
    };
    let target = fit_target(leaf)?;
    Ok(FitStep {
        duration_type,
        duration_value,
        target_type: target.0,
        target_value: target.1,
        low: target.2,
        high: target.3,
        intensity: intensity(leaf.kind),
    })
}

/// `(target_type, target_value, custom low, custom high)`.
fn fit_target(leaf: &Leaf<'_>) -> Result<(u8, u32, u32, u32)> {
    let label = &leaf.label;
    let Some(target) = leaf.target else {
        return Ok((TARGET_OPEN, UINT32_INVALID, UINT32_INVALID, UINT32_INVALID));
    };
    let target_type = match target.metric {
        Metric::Power => TARGET_POWER,
        Metric::HeartRate => TARGET_HEART_RATE,
        Metric::Pace | Metric::Speed => TARGET_SPEED,
        Metric::Cadence => TARGET_CADENCE,
        Metric::Rpe | Metric::Other => {
            return Err(Error::invalid_input(format!(
                "{label}: FIT workouts have no {} target",
                target.metric.as_str()
            )));
        }
    };
    let Some(resolved) = &leaf.resolved else {
        // No bounds to write: the zone number, read by the device against its own zones.
        return match target.zone {
            Some(zone) if zone >= 1 && target.metric != Metric::Cadence => {
                Ok((target_type, zone, UINT32_INVALID, UINT32_INVALID))
            }
            _ => Err(Error::invalid_input(format!(
                "{label}: its {} target cannot be resolved to bounds: pass the user's zones",
                target.metric.as_str()
            ))),
        };
    };
    let lower = checked_bound(label, resolved.lower)?;
    let upper = checked_bound(label, resolved.upper)?;
    if lower.is_none() && upper.is_none() {
        return Err(Error::invalid_input(format!(
            "{label}: its {} target has no bounds",
            target.metric.as_str()
        )));
    }
    let unit = resolved.unit.trim();
    let unit_error = || {
        Error::invalid_input(format!(
            "{label}: a {} target in {unit:?} cannot be written to FIT",
            target.metric.as_str()
        ))
    };
    // Physical values (low, high) in the unit FIT stores before scale and offset.
    let (low, high, scale, offset) = match target.metric {
        Metric::Power => {
            if !(unit.is_empty() || is_watts(unit)) {
                return Err(unit_error());
            }
            let (l, h) = (lower.unwrap_or(0.0), upper.unwrap_or(OPEN_POWER_W));
            (l, h, 1.0, POWER_OFFSET)
        }
        Metric::HeartRate => {
            if !(unit.is_empty() || unit.eq_ignore_ascii_case("bpm")) {
                return Err(unit_error());
            }
            let (l, h) = (lower.unwrap_or(0.0), upper.unwrap_or(OPEN_HEART_RATE_BPM));
            (l, h, 1.0, HEART_RATE_OFFSET)
        }
        Metric::Cadence => {
            if !(unit.is_empty() || ["rpm", "spm"].contains(&unit.to_ascii_lowercase().as_str())) {
                return Err(unit_error());
            }
            let (l, h) = (lower.unwrap_or(0.0), upper.unwrap_or(OPEN_CADENCE_RPM));
            (l, h, 1.0, 0)
        }
        Metric::Speed => {
            let per = speed_factor(unit).ok_or_else(unit_error)?;
            let (l, h) = (
                lower.map_or(0.0, |v| v * per),
                upper.map_or(OPEN_SPEED_MPS, |v| v * per),
            );
            (l, h, 1000.0, 0)
        }
        Metric::Pace => {
            // Pace is time per distance: its slow bound (the larger number) is the low speed.
            let meters = pace_meters(unit).ok_or_else(unit_error)?;
            let speed = |seconds: f64| meters / seconds;
            let l = upper.filter(|s| *s > 0.0).map_or(0.0, speed);
            let h = match lower {
                Some(s) if s > 0.0 => speed(s),
                _ => OPEN_SPEED_MPS,
            };
            (l, h, 1000.0, 0)
        }
        Metric::Rpe | Metric::Other => unreachable!("refused above"),
    };
    if low > high {
        return Err(Error::invalid_input(format!(
            "{label}: its {} target's lower bound is above its upper bound",
            target.metric.as_str()
        )));
    }
    let encode = |value: f64| -> Result<u32> {
        let scaled = (value * scale).round() + f64::from(offset);
        if scaled.is_finite() && scaled >= 0.0 && scaled < f64::from(UINT32_INVALID) {
            Ok(scaled as u32)
        } else {
            Err(Error::invalid_input(format!(
                "{label}: target bound {value} is out of FIT's range"
            )))
        }
    };
    Ok((target_type, 0, encode(low)?, encode(high)?))
}

/// Metres per second in one unit of a speed target.
fn speed_factor(unit: &str) -> Option<f64> {
    match unit.to_ascii_lowercase().replace(' ', "").as_str() {
        "m/s" | "mps" => Some(1.0),
        "km/h" | "kmh" | "kph" => Some(1.0 / 3.6),
        "mph" | "mi/h" => Some(1609.344 / 3600.0),
        _ => None,
    }
}

/// The distance, in metres, a pace unit's time is for (`s/km` → 1000); minutes are turned into
/// seconds by dividing the distance.
fn pace_meters(unit: &str) -> Option<f64> {
    match unit.to_ascii_lowercase().replace(' ', "").as_str() {
        "s/km" | "sec/km" => Some(1000.0),
        "s/100m" | "sec/100m" => Some(100.0),
        "s/mi" | "s/mile" | "sec/mi" => Some(1609.344),
        "s/100yd" | "s/100yds" => Some(91.44),
        "min/km" => Some(1000.0 / 60.0),
        "min/mi" | "min/mile" => Some(1609.344 / 60.0),
        _ => None,
    }
}

/// FIT `intensity` of a step kind.
fn intensity(kind: StepKind) -> u8 {
    match kind {
        StepKind::Active => 0,
        StepKind::Rest => 1,
        StepKind::Warmup => 2,
        StepKind::Cooldown => 3,
        StepKind::Recovery => 4,
        // A step whose purpose enduco did not say is "other", not guessed as active.
        StepKind::Repeat | StepKind::Other => 6,
    }
}

/// FIT `sport`: running 1, cycling 2, swimming 5, else generic 0.
fn fit_sport(sport: Sport) -> u8 {
    match sport {
        Sport::Running => 1,
        Sport::Cycling => 2,
        Sport::Swimming => 5,
        Sport::Other => 0,
    }
}

/// The title, without control characters and NULs (a NUL would end a FIT string early), cut to
/// [`MAX_NAME_BYTES`]; the sport's name for an untitled plan.
fn workout_name(plan: &PlannedWorkout) -> String {
    let cleaned: String = plan
        .title
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let name = clip(cleaned.trim(), MAX_NAME_BYTES).trim_end();
    if name.is_empty() {
        format!("{} workout", plan.sport.as_str())
    } else {
        name.to_owned()
    }
}

/// A serial number derived from the plan id, so exports of one plan are recognisably the same
/// workout; `uint32z` must not be 0.
fn serial_number(id: &str) -> u32 {
    // FNV-1a: stable across versions and platforms, unlike std's hasher.
    let mut hash: u32 = 0x811c_9dc5;
    for b in id.bytes() {
        hash ^= u32::from(b);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash.max(1)
}

/// Now in FIT time (seconds since 1989-12-31T00:00:00Z), for `time_created`.
fn fit_now() -> u32 {
    let unix = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    u32::try_from(unix.saturating_sub(FIT_EPOCH_OFFSET)).unwrap_or(u32::MAX - 1)
}

/// A FIT file under construction: records are appended, [`FitWriter::finish`] adds the header
/// and CRCs.
struct FitWriter {
    records: Vec<u8>,
}

impl FitWriter {
    fn new() -> Self {
        FitWriter {
            records: Vec::new(),
        }
    }

    /// A definition message for `local` type: little-endian, `(field number, size, base type)`.
    fn definition(&mut self, local: u8, global: u16, fields: &[(u8, u8, u8)]) {
        self.records.push(0x40 | local);
        self.records.push(0); // reserved
        self.records.push(0); // architecture: little endian
        self.records.extend_from_slice(&global.to_le_bytes());
        self.records.push(fields.len() as u8);
        for &(number, size, base) in fields {
            self.records.extend_from_slice(&[number, size, base]);
        }
    }

    /// Starts a data message of `local` type; its fields follow in definition order.
    fn data(&mut self, local: u8) {
        self.records.push(local & 0x0F);
    }

    fn u8(&mut self, v: u8) {
        self.records.push(v);
    }

    fn u16(&mut self, v: u16) {
        self.records.extend_from_slice(&v.to_le_bytes());
    }

    fn u32(&mut self, v: u32) {
        self.records.extend_from_slice(&v.to_le_bytes());
    }

    fn bytes(&mut self, b: &[u8]) {
        self.records.extend_from_slice(b);
    }

    /// Header (14 bytes: protocol 1.0, profile 21.40, data size, ".FIT", header CRC), the
    /// records, the file CRC.
    fn finish(self) -> Vec<u8> {
        let mut file = Vec::with_capacity(14 + self.records.len() + 2);
        file.push(14);
        file.push(0x10); // protocol 1.0: what every device reads
        file.extend_from_slice(&2140u16.to_le_bytes());
        file.extend_from_slice(&(self.records.len() as u32).to_le_bytes());
        file.extend_from_slice(b".FIT");
        let header_crc = fit::crc(&file);
        file.extend_from_slice(&header_crc.to_le_bytes());
        file.extend_from_slice(&self.records);
        let crc = fit::crc(&file);
        file.extend_from_slice(&crc.to_le_bytes());
        file
    }
}
