//! Human output: tables, the progress bar, one-line errors.

use std::sync::Arc;

use comfy_table::{Table, presets::UTF8_BORDERS_ONLY};
use enduco::ResolvedTarget;
use enduco::{IntensityZones, PlannedWorkout, UploadProgress};
use indicatif::{ProgressBar, ProgressStyle};

pub fn print_json<T: serde::Serialize + ?Sized>(value: &T) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).expect("serializable")
    );
}

/// An error as one line: the SDK's message, or the chain of context for other errors.
pub fn one_line(error: &anyhow::Error) -> String {
    // Walk the chain from the outside in: the context ("uploading ride.fit") first, then the
    // SDK's error with its code. (`downcast_ref` would find the SDK's error through the
    // context and drop the context.)
    let mut parts = Vec::new();
    for cause in error.chain() {
        match cause.downcast_ref::<enduco::Error>() {
            Some(e) => {
                parts.push(format!("{e} [{}]", e.code()));
                break;
            }
            None => parts.push(cause.to_string()),
        }
    }
    parts.join(": ")
}

fn number(value: Option<f64>) -> String {
    value
        .map(|v| format!("{v:.0}"))
        .unwrap_or_else(|| "–".into())
}

pub fn zones_table(zones: &IntensityZones) -> Table {
    let mut table = Table::new();
    table.load_preset(UTF8_BORDERS_ONLY);
    table.set_header(["sport", "metric", "threshold", "zones (lower–upper)"]);
    for set in &zones.zones {
        let bands = set
            .zones
            .iter()
            .map(|z| format!("Z{} {}", z.index, bounds(z.lower, z.upper)))
            .collect::<Vec<_>>()
            .join("  ");
        table.add_row([
            set.sport.as_str().to_owned(),
            set.metric.as_str().to_owned(),
            format!("{} {}", number(set.threshold), set.unit),
            bands,
        ]);
    }
    table
}

/// `a–b`, or `≥a` / `≤b` for the open-ended top and bottom zones.
fn bounds(lower: Option<f64>, upper: Option<f64>) -> String {
    match (lower, upper) {
        (Some(_), Some(_)) => format!("{}–{}", number(lower), number(upper)),
        (Some(_), None) => format!("≥{}", number(lower)),
        (None, Some(_)) => format!("≤{}", number(upper)),
        (None, None) => "–".into(),
    }
}

fn target_text(target: &ResolvedTarget) -> String {
    format!("{} {}", bounds(target.lower, target.upper), target.unit)
}

/// Plans as a table; with zones, the main set's target is shown in absolute units (what an
/// ERG trainer would be set to).
pub fn plans_table(plans: &[PlannedWorkout], zones: Option<&IntensityZones>) -> Table {
    let mut table = Table::new();
    table.load_preset(UTF8_BORDERS_ONLY);
    table.set_header([
        "date",
        "start",
        "sport",
        "title",
        "duration",
        "steps",
        "main target",
    ]);
    for plan in plans {
        let start = plan
            .local_start()
            .map(|z| z.strftime("%H:%M %Z").to_string())
            .unwrap_or_default();
        let duration = plan
            .duration_seconds
            .map(|s| format!("{}h{:02}", s / 3600, s % 3600 / 60))
            .unwrap_or_default();
        let timeline = plan.timeline(zones);
        let main = timeline
            .iter()
            .find(|s| s.kind == enduco::StepKind::Active)
            .and_then(|s| s.resolved.as_ref())
            .map(target_text)
            .unwrap_or_default();
        let steps = if plan.is_rest_day() {
            "rest".to_owned()
        } else {
            timeline.len().to_string()
        };
        table.add_row([
            plan.date.to_string(),
            start,
            plan.sport.as_str().to_owned(),
            plan.title.clone(),
            duration,
            steps,
            main,
        ]);
    }
    table
}

pub fn progress_bar(label: &str) -> ProgressBar {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_message(label.to_owned());
    bar
}

pub fn progress_sink(bar: ProgressBar) -> Arc<dyn UploadProgress> {
    Arc::new(move |sent: u64, total: u64| {
        bar.set_length(total);
        bar.set_position(sent);
    })
}
