//! ERG and MRC, the plain-text trainer files (TrainerRoad, Golden Cheetah, PerfPRO, Wahoo
//! SYSTM, …): a header, then rows of `minutes value` that a trainer interpolates between.
//!
//! ```text
//! [COURSE HEADER]
//! VERSION = 2
//! UNITS = ENGLISH
//! DESCRIPTION = Long ride
//! FILE NAME = 2026-03-28 Long ride
//! FTP = 250
//! MINUTES WATTS
//! [END COURSE HEADER]
//! [COURSE DATA]
//! 0.000    0
//! 15.000   138
//! 15.000   163
//! …
//! [END COURSE DATA]
//! ```
//!
//! (Rows are separated by a tab.) Every step is two rows, its start and its end (equal values for a steady step, the range's
//! ends for a warm-up or cool-down ramp), so the file's last time is the workout's length.
//! MRC writes `MINUTES PERCENT` of FTP instead of watts.

use std::fmt::Write as _;

use super::{
    Block, ExportFormat, Power, one_line, required_threshold, structure, trainer_blocks,
    trainer_threshold,
};
use crate::api::plans::PlannedWorkout;
use crate::api::zones::IntensityZones;
use crate::error::Result;

impl PlannedWorkout {
    /// The workout as an ERG file: minutes and absolute watts, repeats written out. Each step
    /// is held at the middle of its power range; a warm-up or cool-down with a range ramps
    /// through it. `zones` resolve zone and percentage targets (explicit watts need none) and
    /// put the FTP in the header when known.
    ///
    /// A cycling workout only, every step with a duration and a power target: anything else
    /// (a pace or heart-rate target, a distance-only or open step) is an
    /// [`Error::InvalidInput`](crate::Error::InvalidInput) naming the step.
    pub fn to_erg(&self, zones: Option<&IntensityZones>) -> Result<String> {
        let items = structure(self, zones, ExportFormat::Erg)?;
        let ftp = trainer_threshold(self, zones, "ERG")?;
        let blocks = trainer_blocks(self, &items, "ERG", false)?;
        Ok(course(self, ftp, "WATTS", &blocks, |watts| {
            format!("{}", watts.round())
        }))
    }

    /// The workout as an MRC file: minutes and percent of FTP, repeats written out, otherwise
    /// as [`PlannedWorkout::to_erg`]. The FTP comes from `zones` (the user's cycling power
    /// threshold), so `zones` are required.
    pub fn to_mrc(&self, zones: Option<&IntensityZones>) -> Result<String> {
        let items = structure(self, zones, ExportFormat::Mrc)?;
        let ftp = required_threshold(self, zones, "MRC")?;
        let blocks = trainer_blocks(self, &items, "MRC", false)?;
        Ok(course(self, None, "PERCENT", &blocks, |watts| {
            format!("{:.1}", watts / ftp * 100.0)
        }))
    }
}

/// Header and rows; `value` turns watts into the column's unit.
fn course(
    plan: &PlannedWorkout,
    ftp: Option<f64>,
    column: &str,
    blocks: &[Block],
    value: impl Fn(f64) -> String,
) -> String {
    let mut text = String::new();
    let title = one_line(&plan.title);
    // `writeln!` into a String cannot fail.
    let _ = writeln!(text, "[COURSE HEADER]");
    let _ = writeln!(text, "VERSION = 2");
    let _ = writeln!(text, "UNITS = ENGLISH");
    let _ = writeln!(text, "DESCRIPTION = {title}");
    let _ = writeln!(text, "FILE NAME = {} {title}", plan.date);
    if let Some(ftp) = ftp {
        let _ = writeln!(text, "FTP = {}", ftp.round());
    }
    let _ = writeln!(text, "MINUTES {column}");
    let _ = writeln!(text, "[END COURSE HEADER]");
    let _ = writeln!(text, "[COURSE DATA]");
    // u64: the sum of many u32 durations must not wrap.
    let mut at: u64 = 0;
    for block in blocks {
        let (from, to) = match block.power {
            Power::Steady(w) => (w, w),
            Power::Ramp { from, to } => (from, to),
            Power::Free => unreachable!("ERG and MRC refuse steps without a power target"),
        };
        let end = at + u64::from(block.seconds);
        let _ = writeln!(text, "{}\t{}", minutes(at), value(from));
        let _ = writeln!(text, "{}\t{}", minutes(end), value(to));
        at = end;
    }
    let _ = writeln!(text, "[END COURSE DATA]");
    text
}

/// Seconds as minutes with three decimals (0.06 s): what trainer software reads, precise
/// enough that the rows add up to the workout's length.
fn minutes(seconds: u64) -> String {
    format!("{:.3}", seconds as f64 / 60.0)
}
