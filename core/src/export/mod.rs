//! Planned workouts as the files devices load: a FIT workout (file type 5) for head units and
//! watches, ZWO for Zwift-style apps, ERG and MRC for trainer software.
//!
//! Every writer starts from one validated view of the plan ([`Item`]): repeats kept as a tree
//! (FIT keeps them, the text formats expand them), empty repeats dropped the way
//! [`PlannedWorkout::timeline`] drops them, and each step's target resolved with the same
//! function the timeline uses, so a file's bounds are the timeline's bounds. A step a format
//! cannot express is an [`Error::InvalidInput`] naming the step, never a silently wrong file.
//!
//! Output size is bounded: at most [`MAX_TIMELINE_SEGMENTS`] steps (FIT: step messages; the text
//! formats: steps once repeats are expanded), repeats nested at most [`MAX_EXPORT_DEPTH`] deep,
//! and names and descriptions cut to [`MAX_EXPORT_TEXT_BYTES`].

mod erg;
mod fit_workout;
mod zwo;

use serde::{Deserialize, Serialize};

use crate::api::plans::{
    MAX_TIMELINE_SEGMENTS, PlannedWorkout, ResolvedTarget, Step, StepKind, StepTarget,
};
use crate::api::targets::resolve_target;
use crate::api::zones::{IntensityZones, Metric, Sport};
use crate::error::{Error, Result};

/// Repeats nested deeper than this are refused by the writers (real plans nest two or three
/// levels; the timeline stops expanding at a similar depth).
pub const MAX_EXPORT_DEPTH: usize = 32;

/// Workout names and descriptions are cut to this many bytes (at a character boundary): devices
/// show a few dozen characters, and the output stays bounded whatever the plan holds.
pub const MAX_EXPORT_TEXT_BYTES: usize = 1024;

/// The file formats a [`PlannedWorkout`] can be written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    /// FIT workout file (file type 5) for Garmin, Wahoo and Hammerhead devices.
    Fit,
    /// Zwift workout XML (also read by TrainerRoad, MyWhoosh and others).
    Zwo,
    /// ERG: plain text, minutes and absolute watts.
    Erg,
    /// MRC: plain text, minutes and percent of FTP.
    Mrc,
}

impl ExportFormat {
    /// Every format, in the order the CLI lists them.
    pub const ALL: [ExportFormat; 4] = [
        ExportFormat::Fit,
        ExportFormat::Zwo,
        ExportFormat::Erg,
        ExportFormat::Mrc,
    ];

    /// The format's name and file extension: `fit`, `zwo`, `erg`, `mrc`.
    pub fn as_str(self) -> &'static str {
        match self {
            ExportFormat::Fit => "fit",
            ExportFormat::Zwo => "zwo",
            ExportFormat::Erg => "erg",
            ExportFormat::Mrc => "mrc",
        }
    }

    /// Reads a format name (case-insensitive, a leading dot allowed).
    pub fn parse(name: &str) -> Result<ExportFormat> {
        let wanted = name.trim().trim_start_matches('.').to_ascii_lowercase();
        ExportFormat::ALL
            .into_iter()
            .find(|f| f.as_str() == wanted)
            .ok_or_else(|| {
                Error::invalid_input(format!(
                    "unknown export format {name:?} (expected fit, zwo, erg or mrc)"
                ))
            })
    }
}

impl std::fmt::Display for ExportFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PlannedWorkout {
    /// The workout as a file of `format`: [`PlannedWorkout::to_fit_workout`]'s bytes, or the
    /// UTF-8 text of [`PlannedWorkout::to_zwo`], [`PlannedWorkout::to_erg`] or
    /// [`PlannedWorkout::to_mrc`]. One entry point for callers that let the user pick.
    pub fn export(&self, format: ExportFormat, zones: Option<&IntensityZones>) -> Result<Vec<u8>> {
        match format {
            ExportFormat::Fit => self.to_fit_workout(zones),
            ExportFormat::Zwo => self.to_zwo(zones).map(String::into_bytes),
            ExportFormat::Erg => self.to_erg(zones).map(String::into_bytes),
            ExportFormat::Mrc => self.to_mrc(zones).map(String::into_bytes),
        }
    }
}

/// One step of the validated plan: a step to play, or a repeat of a non-empty body.
#[derive(Debug)]
enum Item<'a> {
    Step(Leaf<'a>),
    Repeat { count: u32, body: Vec<Item<'a>> },
}

/// A step to play, with what every writer needs to decide how (or whether) it can write it.
#[derive(Debug)]
struct Leaf<'a> {
    /// "step 2.1 (active)": the position in the plan as the athlete's coach wrote it (1-based,
    /// one number per nesting level), so an error points at one step, not one repetition.
    label: String,
    kind: StepKind,
    seconds: Option<u32>,
    meters: Option<f64>,
    target: Option<&'a StepTarget>,
    /// The target as absolute bounds, exactly as [`PlannedWorkout::timeline`] resolves it.
    resolved: Option<ResolvedTarget>,
}

/// The plan's steps as [`Item`]s: repeats with a zero count or an empty body dropped (nothing to
/// play, as in the timeline), at most [`MAX_TIMELINE_SEGMENTS`] items, at most
/// [`MAX_EXPORT_DEPTH`] levels of repeats.
fn structure<'a>(
    plan: &'a PlannedWorkout,
    zones: Option<&IntensityZones>,
    format: ExportFormat,
) -> Result<Vec<Item<'a>>> {
    let mut budget = MAX_TIMELINE_SEGMENTS;
    let items = items(plan, &plan.steps, zones, "", 0, &mut budget)?;
    if items.is_empty() {
        return Err(Error::invalid_input(format!(
            "{}: nothing to export as {}: the plan has no structured steps{}",
            plan_name(plan),
            format.as_str().to_uppercase(),
            if plan.is_rest_day() {
                " (a rest day)"
            } else {
                ""
            }
        )));
    }
    Ok(items)
}

fn items<'a>(
    plan: &'a PlannedWorkout,
    steps: &'a [Step],
    zones: Option<&IntensityZones>,
    prefix: &str,
    depth: usize,
    budget: &mut usize,
) -> Result<Vec<Item<'a>>> {
    let mut out = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        let number = format!("{prefix}{}", i + 1);
        *budget = budget.checked_sub(1).ok_or_else(|| {
            Error::invalid_input(format!(
                "{}: more than {MAX_TIMELINE_SEGMENTS} steps; too many to export",
                plan_name(plan)
            ))
        })?;
        match &step.repeat {
            Some(repeat) => {
                if depth >= MAX_EXPORT_DEPTH {
                    return Err(Error::invalid_input(format!(
                        "step {number} (repeat): repeats nested more than {MAX_EXPORT_DEPTH} \
                         deep cannot be exported"
                    )));
                }
                if repeat.count == 0 {
                    continue;
                }
                let body = items(
                    plan,
                    &repeat.steps,
                    zones,
                    &format!("{number}."),
                    depth + 1,
                    budget,
                )?;
                if !body.is_empty() {
                    out.push(Item::Repeat {
                        count: repeat.count,
                        body,
                    });
                }
            }
            // A repeat without a body has nothing to play (the timeline skips it too).
            None if step.kind == StepKind::Repeat => {}
            None => out.push(Item::Step(Leaf {
                label: format!("step {number} ({})", step.kind.as_str()),
                kind: step.kind,
                seconds: step.duration_seconds,
                meters: step.distance_meters,
                target: step.target.as_ref(),
                resolved: step
                    .target
                    .as_ref()
                    .and_then(|t| resolve_target(zones, plan.sport, t)),
            })),
        }
    }
    Ok(out)
}

/// The plan as errors name it: its title, else its date.
fn plan_name(plan: &PlannedWorkout) -> String {
    if plan.title.trim().is_empty() {
        format!("workout on {}", plan.date)
    } else {
        format!("workout {:?} on {}", clip(&plan.title, 80), plan.date)
    }
}

/// `text` cut to at most `max` bytes at a character boundary.
fn clip(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// `text` on one line (control characters as spaces) and bounded: for the header lines of the
/// text formats, where a newline would start a new header field.
fn one_line(text: &str) -> String {
    clip(text, MAX_EXPORT_TEXT_BYTES)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

/// What a trainer plays for one step: watts held, a ramp, or (ZWO only) riding free.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Power {
    Steady(f64),
    Ramp { from: f64, to: f64 },
    Free,
}

/// One step of a trainer file (ERG, MRC, ZWO): its length and its power.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Block {
    seconds: u32,
    power: Power,
}

/// Checks that a trainer format (ERG, MRC, ZWO: cycling, time-based, power in watts) can hold
/// the plan, and returns its sport's FTP when one is known.
fn trainer_threshold(
    plan: &PlannedWorkout,
    zones: Option<&IntensityZones>,
    format: &str,
) -> Result<Option<f64>> {
    if plan.sport != Sport::Cycling {
        return Err(Error::invalid_input(format!(
            "{}: {format} is a cycling trainer format, this workout is {}",
            plan_name(plan),
            plan.sport.as_str()
        )));
    }
    Ok(zones
        .and_then(|z| z.for_sport(Sport::Cycling, Metric::Power))
        .and_then(|t| t.threshold)
        .filter(|t| t.is_finite() && *t > 0.0))
}

/// The FTP a percentage format (ZWO, MRC) cannot do without.
fn required_threshold(
    plan: &PlannedWorkout,
    zones: Option<&IntensityZones>,
    format: &str,
) -> Result<f64> {
    trainer_threshold(plan, zones, format)?.ok_or_else(|| {
        Error::invalid_input(format!(
            "{}: {format} writes power as a fraction of FTP, and the user's zones {} no \
             cycling power threshold; pass the zones from intensity_zones()",
            plan_name(plan),
            if zones.is_some() {
                "have"
            } else {
                "were not passed, so there is"
            }
        ))
    })
}

/// One step as a trainer plays it. `free_ok`: the format can hold a step without a target
/// (ZWO's free ride); ERG and MRC cannot.
fn trainer_block(leaf: &Leaf<'_>, format: &str, free_ok: bool) -> Result<Block> {
    let label = &leaf.label;
    let Some(seconds) = leaf.seconds else {
        let what = if leaf.meters.is_some() {
            "is distance-only"
        } else {
            "is open (no duration)"
        };
        return Err(Error::invalid_input(format!(
            "{label}: {format} needs a duration, this step {what}"
        )));
    };
    let Some(target) = leaf.target else {
        if free_ok {
            return Ok(Block {
                seconds,
                power: Power::Free,
            });
        }
        return Err(Error::invalid_input(format!(
            "{label}: {format} needs a power target, this step has none"
        )));
    };
    if target.metric != Metric::Power {
        return Err(Error::invalid_input(format!(
            "{label}: {format} needs a power target, this one is {}",
            target.metric.as_str()
        )));
    }
    let Some(resolved) = &leaf.resolved else {
        return Err(Error::invalid_input(format!(
            "{label}: its power target cannot be turned into watts: pass the user's zones \
             (zone {} / percentage targets need them)",
            target
                .zone
                .map(|z| z.to_string())
                .unwrap_or_else(|| "–".into())
        )));
    };
    let unit = resolved.unit.trim();
    if !(unit.is_empty() || is_watts(unit)) {
        return Err(Error::invalid_input(format!(
            "{label}: power target in {unit:?}; {format} needs watts"
        )));
    }
    let lower = checked_bound(label, resolved.lower)?;
    let upper = checked_bound(label, resolved.upper)?;
    let power = match (lower, upper) {
        (Some(l), Some(u)) if l > u => {
            return Err(Error::invalid_input(format!(
                "{label}: power target's lower bound {l} W is above its upper bound {u} W"
            )));
        }
        // A ramp where the plan says "warm up / cool down within this range": up through the
        // range, or down through it.
        (Some(l), Some(u)) if leaf.kind == StepKind::Warmup && l < u => {
            Power::Ramp { from: l, to: u }
        }
        (Some(l), Some(u)) if leaf.kind == StepKind::Cooldown && l < u => {
            Power::Ramp { from: u, to: l }
        }
        (Some(l), Some(u)) => Power::Steady(set_point(l, u)),
        (Some(only), None) | (None, Some(only)) => Power::Steady(only),
        (None, None) => {
            return Err(Error::invalid_input(format!(
                "{label}: its power target has no bounds"
            )));
        }
    };
    Ok(Block { seconds, power })
}

/// The single value a trainer holds for a range: its middle.
fn set_point(lower: f64, upper: f64) -> f64 {
    (lower + upper) / 2.0
}

fn is_watts(unit: &str) -> bool {
    matches!(unit.to_ascii_lowercase().as_str(), "w" | "watt" | "watts")
}

/// A bound usable in a file: finite and not negative.
fn checked_bound(label: &str, value: Option<f64>) -> Result<Option<f64>> {
    match value {
        Some(v) if !v.is_finite() || v < 0.0 => Err(Error::invalid_input(format!(
            "{label}: target bound {v} is not a usable value"
        ))),
        other => Ok(other),
    }
}

/// Every step of `items` with repeats expanded, as trainer blocks; at most
/// [`MAX_TIMELINE_SEGMENTS`] of them. Each distinct step is checked once, before any expansion,
/// so an error names the step and a refused plan costs no expansion.
fn trainer_blocks(
    plan: &PlannedWorkout,
    items: &[Item<'_>],
    format: &str,
    free_ok: bool,
) -> Result<Vec<Block>> {
    let tree = block_tree(items, format, free_ok)?;
    let mut out = Vec::new();
    expand(&tree, &mut out).map_err(|()| too_long(plan, format))?;
    Ok(out)
}

/// [`Item`]s with each step turned into its block.
enum BlockItem {
    Block(Block),
    Repeat { count: u32, body: Vec<BlockItem> },
}

fn block_tree(items: &[Item<'_>], format: &str, free_ok: bool) -> Result<Vec<BlockItem>> {
    items
        .iter()
        .map(|item| {
            Ok(match item {
                Item::Step(leaf) => BlockItem::Block(trainer_block(leaf, format, free_ok)?),
                Item::Repeat { count, body } => BlockItem::Repeat {
                    count: *count,
                    body: block_tree(body, format, free_ok)?,
                },
            })
        })
        .collect()
}

/// Appends the expansion of `tree`; `Err` once it would pass [`MAX_TIMELINE_SEGMENTS`]. Bodies
/// are never empty ([`structure`] drops those), so every round adds a block and the cap also
/// bounds the work.
fn expand(tree: &[BlockItem], out: &mut Vec<Block>) -> std::result::Result<(), ()> {
    for item in tree {
        match item {
            BlockItem::Block(block) => {
                if out.len() >= MAX_TIMELINE_SEGMENTS {
                    return Err(());
                }
                out.push(*block);
            }
            BlockItem::Repeat { count, body } => {
                for _ in 0..*count {
                    expand(body, out)?;
                }
            }
        }
    }
    Ok(())
}

fn too_long(plan: &PlannedWorkout, format: &str) -> Error {
    Error::invalid_input(format!(
        "{}: more than {MAX_TIMELINE_SEGMENTS} steps once repeats are expanded; too long for {format}",
        plan_name(plan)
    ))
}
