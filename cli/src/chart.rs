//! `enduco plans --chart`: each workout's target profile as blocks over time, one column per
//! slice of the workout, as tall as the step's zone. Coloured by zone when stdout is a terminal
//! that wants colour (anstream decides: a pipe, `NO_COLOR` or `TERM=dumb` get plain text).

use anstyle::{AnsiColor, Style};
use enduco::{IntensityZones, Metric, PlannedWorkout, TimelineSegment};

/// Columns of the chart's time axis.
const WIDTH: usize = 72;
/// Rows: one per zone of the seven-zone power model, the widest table enduco has.
const HEIGHT: usize = 7;
/// How long a step without a known duration is drawn (an open step, or a distance without a
/// pace to turn it into time): long enough to be seen, marked as estimated.
const UNKNOWN_SECONDS: f64 = 300.0;

/// One drawn step: its length in seconds, its zone (0 = no target), whether the length is a
/// guess.
struct Bar {
    seconds: f64,
    zone: usize,
    estimated: bool,
}

/// The chart of one workout: a title line, the blocks, a time axis and the zone legend.
/// Contains ANSI colour codes; print it through anstream, which strips them where unwanted.
pub fn workout_chart(plan: &PlannedWorkout, zones: Option<&IntensityZones>) -> String {
    let enduco::CheckedTimeline {
        segments: timeline,
        truncated,
    } = plan.timeline_checked(zones);
    let bars: Vec<Bar> = timeline.iter().map(|s| bar(plan, zones, s)).collect();
    let total: f64 = bars.iter().map(|b| b.seconds).sum();
    let mut out = format!(
        "{} {}  {}  ({}, {}{})\n",
        plan.date,
        plan.date.strftime("%a"),
        plan.title,
        plan.sport.as_str(),
        clock(total),
        if bars.iter().any(|b| b.estimated) {
            ", partly estimated"
        } else {
            ""
        }
    );
    if bars.is_empty() || total <= 0.0 {
        out.push_str("    (no structured steps)\n");
        return out;
    }
    // Which bar each column shows: the one covering the column's middle.
    let columns: Vec<&Bar> = (0..WIDTH)
        .map(|c| {
            let at = (c as f64 + 0.5) / WIDTH as f64 * total;
            let mut end = 0.0;
            bars.iter()
                .find(|b| {
                    end += b.seconds;
                    at < end
                })
                .unwrap_or(&bars[bars.len() - 1])
        })
        .collect();
    for row in (1..=HEIGHT).rev() {
        out.push_str(&format!("  Z{row} "));
        for bar in &columns {
            let filled = bar.zone >= row || (row == 1 && bar.zone == 0);
            if filled {
                let glyph = if bar.zone == 0 || bar.estimated {
                    '░'
                } else {
                    '█'
                };
                let style = zone_style(bar.zone);
                out.push_str(&format!("{style}{glyph}{style:#}"));
            } else {
                out.push(' ');
            }
        }
        out.push('\n');
    }
    let end = clock(total);
    out.push_str(&format!(
        "     0{}{end}\n",
        " ".repeat(WIDTH.saturating_sub(1 + end.len()))
    ));
    let legend: Vec<String> = (1..=HEIGHT)
        .map(|z| {
            let style = zone_style(z);
            format!("{style}█{style:#} Z{z}")
        })
        .collect();
    out.push_str(&format!(
        "     {}   ░ no target or estimated length{}\n",
        legend.join("  "),
        if truncated { "  (truncated)" } else { "" }
    ));
    out
}

/// A segment as a bar: its seconds (a distance turned into time with its pace target when it
/// has one) and its zone — the plan's zone number, else the zone of the user's table that holds
/// the middle of the resolved bounds.
fn bar(plan: &PlannedWorkout, zones: Option<&IntensityZones>, segment: &TimelineSegment) -> Bar {
    let (seconds, estimated) = match (segment.duration_seconds, segment.distance_meters) {
        (Some(s), _) => (f64::from(s), false),
        (None, Some(m)) => (pace_seconds(segment, m).unwrap_or(UNKNOWN_SECONDS), true),
        (None, None) => (UNKNOWN_SECONDS, true),
    };
    let zone = segment
        .target
        .as_ref()
        .and_then(|t| {
            t.zone
                .map(|z| z as usize)
                .or_else(|| zone_of(plan, zones, segment))
        })
        .unwrap_or(0)
        .min(HEIGHT);
    Bar {
        seconds,
        zone,
        estimated,
    }
}

/// Time for `meters` at the middle of a resolved pace target (`s/km` or `s/100m`).
fn pace_seconds(segment: &TimelineSegment, meters: f64) -> Option<f64> {
    let r = segment
        .resolved
        .as_ref()
        .filter(|r| r.metric == Metric::Pace)?;
    let per = match r.unit.as_str() {
        "s/km" => 1000.0,
        "s/100m" => 100.0,
        _ => return None,
    };
    let pace = match (r.lower, r.upper) {
        (Some(l), Some(u)) => (l + u) / 2.0,
        (Some(v), None) | (None, Some(v)) => v,
        (None, None) => return None,
    };
    Some(meters / per * pace).filter(|s| s.is_finite() && *s > 0.0)
}

fn zone_of(
    plan: &PlannedWorkout,
    zones: Option<&IntensityZones>,
    segment: &TimelineSegment,
) -> Option<usize> {
    let resolved = segment.resolved.as_ref()?;
    let table = zones?.for_sport(plan.sport, resolved.metric)?;
    let middle = match (resolved.lower, resolved.upper) {
        (Some(l), Some(u)) => (l + u) / 2.0,
        (Some(v), None) | (None, Some(v)) => v,
        (None, None) => return None,
    };
    table
        .zones
        .iter()
        .find(|z| z.lower.is_none_or(|l| l <= middle) && z.upper.is_none_or(|u| middle <= u))
        .map(|z| z.index as usize)
}

/// The colour of a zone: cool to hot, grey for no target.
fn zone_style(zone: usize) -> Style {
    let color = match zone {
        0 => AnsiColor::BrightBlack,
        1 => AnsiColor::BrightBlue,
        2 => AnsiColor::Cyan,
        3 => AnsiColor::Green,
        4 => AnsiColor::Yellow,
        5 => AnsiColor::Red,
        6 => AnsiColor::Magenta,
        _ => AnsiColor::BrightMagenta,
    };
    Style::new().fg_color(Some(color.into()))
}

/// `1h12`, or `45 min` under an hour.
fn clock(seconds: f64) -> String {
    let minutes = (seconds / 60.0).round() as u64;
    if minutes < 60 {
        format!("{minutes} min")
    } else {
        format!("{}h{:02}", minutes / 60, minutes % 60)
    }
}
