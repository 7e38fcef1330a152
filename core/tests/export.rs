//! Planned workouts as device files (FIT workout, ZWO, ERG, MRC), on the sandbox's week of
//! plans read over HTTP: every sport, every step kind, nested repeats, time, distance and open
//! steps. The FIT files are decoded with the third-party `fitparser` crate (an independent
//! decoder) and played back, repeats and all, against [`PlannedWorkout::timeline`]; the text
//! formats are read back and added up. Then each typed refusal, on sandbox plans changed the
//! way a plan could be.

mod common;

use common::Harness;
use enduco::{
    Error, ExportFormat, IntensityZones, MAX_EXPORT_DEPTH, MAX_TIMELINE_SEGMENTS, Metric,
    PlannedWorkout, Repeat, ResolvedTarget, Step, StepKind, TimelineSegment,
};
use fitparser::Value;
use jiff::civil::{Weekday, date};

/// Monday 2026-03-23 to Sunday 2026-03-29: the sandbox's whole weekly pattern (and Berlin's
/// spring DST change on the Sunday).
async fn week() -> (Vec<PlannedWorkout>, IntensityZones) {
    let h = Harness::start().await;
    let (session, _) = h.session().await;
    let plans = session
        .training_plans(date(2026, 3, 23), date(2026, 3, 29))
        .await
        .unwrap();
    let zones = session.intensity_zones().await.unwrap();
    assert_eq!(plans.len(), 7);
    (plans, zones)
}

fn on(plans: &[PlannedWorkout], weekday: Weekday) -> PlannedWorkout {
    plans
        .iter()
        .find(|p| p.date.weekday() == weekday)
        .unwrap()
        .clone()
}

fn refusal(result: enduco::Result<impl std::fmt::Debug>) -> String {
    match result {
        Err(e @ Error::InvalidInput { .. }) => e.to_string(),
        other => panic!("expected invalid_input, got {other:?}"),
    }
}

// ------------------------------------------------------------------------------------------
// FIT read back with fitparser

/// One decoded `workout_step`.
#[derive(Debug, Clone)]
struct FitStep {
    duration_type: String,
    /// s, m, or the repeat's first step.
    duration: Option<f64>,
    target_type: Option<String>,
    zone: Option<u64>,
    low: Option<f64>,
    high: Option<f64>,
    repeat_steps: Option<u64>,
    intensity: Option<String>,
}

fn number(value: &Value) -> Option<f64> {
    Some(match value {
        Value::Float64(v) => *v,
        Value::SInt64(v) => *v as f64,
        Value::UInt32(v) | Value::UInt32z(v) => f64::from(*v),
        Value::UInt16(v) => f64::from(*v),
        Value::UInt8(v) => f64::from(*v),
        // fitparser names the raw offset value itself: watts 0 is "watts_offset" (1000).
        Value::String(s) if s == "watts_offset" => 1000.0,
        Value::String(s) if s == "bpm_offset" => 100.0,
        _ => return None,
    })
}

fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

/// The file's type, sport, name, declared step count and steps.
fn decode_fit(bytes: &[u8]) -> (String, String, String, u64, Vec<FitStep>) {
    let records = fitparser::from_bytes(bytes).expect("fitparser decodes the workout");
    let (mut file_type, mut sport, mut name, mut count) = (None, None, None, None);
    let mut steps = Vec::new();
    for record in &records {
        let field = |name: &str| {
            record
                .fields()
                .iter()
                .find(|f| f.name() == name)
                .map(|f| f.value().clone())
        };
        match record.kind() {
            fitparser::profile::MesgNum::FileId => file_type = field("type").and_then(|v| text(&v)),
            fitparser::profile::MesgNum::Workout => {
                sport = field("sport").and_then(|v| text(&v));
                name = field("wkt_name").and_then(|v| text(&v));
                count = field("num_valid_steps").and_then(|v| number(&v));
            }
            fitparser::profile::MesgNum::WorkoutStep => {
                let first = |names: &[&str]| names.iter().find_map(|n| field(n));
                steps.push(FitStep {
                    duration_type: field("duration_type").and_then(|v| text(&v)).unwrap(),
                    duration: first(&["duration_time", "duration_distance", "duration_step"])
                        .and_then(|v| number(&v)),
                    target_type: field("target_type").and_then(|v| text(&v)),
                    zone: first(&["target_power_zone", "target_hr_zone", "target_speed_zone"])
                        .and_then(|v| number(&v))
                        .map(|z| z as u64),
                    low: first(&[
                        "custom_target_power_low",
                        "custom_target_heart_rate_low",
                        "custom_target_speed_low",
                    ])
                    .and_then(|v| number(&v)),
                    high: first(&[
                        "custom_target_power_high",
                        "custom_target_heart_rate_high",
                        "custom_target_speed_high",
                    ])
                    .and_then(|v| number(&v)),
                    repeat_steps: field("repeat_steps")
                        .and_then(|v| number(&v))
                        .map(|n| n as u64),
                    intensity: field("intensity").and_then(|v| text(&v)),
                });
            }
            _ => {}
        }
    }
    (
        file_type.unwrap(),
        sport.unwrap(),
        name.unwrap(),
        count.unwrap() as u64,
        steps,
    )
}

/// The FIT steps as a device plays them: each repeat step sends the device back to its first
/// body step until it has run `repeat_steps` times (nested repeats too).
fn play(steps: &[FitStep]) -> Vec<FitStep> {
    enum Node {
        Step(FitStep),
        Repeat(u64, Vec<(usize, Node)>),
    }
    let mut nodes: Vec<(usize, Node)> = Vec::new();
    for (index, step) in steps.iter().enumerate() {
        if step.duration_type == "repeat_until_steps_cmplt" {
            let from = step.duration.unwrap() as usize;
            assert!(from < index, "a repeat points back to an earlier step");
            let split = nodes.iter().position(|(i, _)| *i >= from).unwrap();
            assert_eq!(nodes[split].0, from, "a repeat starts at a step boundary");
            let body = nodes.split_off(split);
            nodes.push((from, Node::Repeat(step.repeat_steps.unwrap(), body)));
        } else {
            nodes.push((index, Node::Step(step.clone())));
        }
    }
    fn expand(nodes: &[(usize, Node)], out: &mut Vec<FitStep>) {
        for (_, node) in nodes {
            match node {
                Node::Step(s) => out.push(s.clone()),
                Node::Repeat(count, body) => {
                    for _ in 0..*count {
                        expand(body, out);
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    expand(&nodes, &mut out);
    out
}

/// The custom bounds the timeline's resolved target must appear as in FIT.
fn expected_fit_bounds(resolved: &ResolvedTarget) -> (f64, f64) {
    match resolved.metric {
        Metric::Power => (
            resolved.lower.unwrap_or(0.0).round() + 1000.0,
            resolved.upper.unwrap_or(3000.0).round() + 1000.0,
        ),
        Metric::HeartRate => (
            resolved.lower.unwrap_or(0.0).round() + 100.0,
            resolved.upper.unwrap_or(250.0).round() + 100.0,
        ),
        Metric::Pace => {
            let meters = match resolved.unit.as_str() {
                "s/km" => 1000.0,
                "s/100m" => 100.0,
                other => panic!("unexpected pace unit {other}"),
            };
            let speed = |s: f64| (meters / s * 1000.0).round() / 1000.0;
            (
                resolved.upper.map_or(0.0, speed),
                resolved.lower.map_or(30.0, speed),
            )
        }
        other => panic!("unexpected metric {other:?}"),
    }
}

fn intensity_of(kind: StepKind) -> &'static str {
    match kind {
        StepKind::Warmup => "warmup",
        StepKind::Active => "active",
        StepKind::Recovery => "recovery",
        StepKind::Cooldown => "cooldown",
        StepKind::Rest => "rest",
        _ => "other",
    }
}

/// Counts the plan's steps as FIT writes them: one message per step and per repeat.
fn structural_steps(steps: &[Step]) -> u64 {
    steps
        .iter()
        .map(|s| match &s.repeat {
            Some(r) => 1 + structural_steps(&r.steps),
            None => 1,
        })
        .sum()
}

fn check_fit_against_timeline(plan: &PlannedWorkout, timeline: &[TimelineSegment], bytes: &[u8]) {
    let (file_type, sport, name, count, steps) = decode_fit(bytes);
    assert_eq!(file_type, "workout");
    assert_eq!(sport, plan.sport.as_str());
    assert_eq!(name, plan.title);
    assert_eq!(count, steps.len() as u64);
    assert_eq!(count, structural_steps(&plan.steps), "{}", plan.title);
    // Repeats are kept, not expanded.
    let repeats = plan.steps.iter().filter(|s| s.repeat.is_some()).count();
    assert!(steps.iter().filter(|s| s.repeat_steps.is_some()).count() >= repeats);
    let played = play(&steps);
    assert_eq!(played.len(), timeline.len(), "{}", plan.title);
    for (fit, segment) in played.iter().zip(timeline) {
        let what = format!("{} segment {}", plan.title, segment.index);
        assert_eq!(
            fit.intensity.as_deref(),
            Some(intensity_of(segment.kind)),
            "{what}"
        );
        match (segment.duration_seconds, segment.distance_meters) {
            (Some(s), _) => {
                assert_eq!(fit.duration_type, "time", "{what}");
                assert_eq!(fit.duration, Some(f64::from(s)), "{what}");
            }
            (None, Some(m)) => {
                assert_eq!(fit.duration_type, "distance", "{what}");
                assert_eq!(fit.duration, Some(m), "{what}");
            }
            (None, None) => assert_eq!(fit.duration_type, "open", "{what}"),
        }
        match &segment.resolved {
            None => {
                assert!(
                    segment.target.is_none(),
                    "{what}: sandbox targets all resolve"
                );
                assert_eq!(fit.target_type.as_deref(), Some("open"), "{what}");
            }
            Some(resolved) => {
                let (low, high) = expected_fit_bounds(resolved);
                assert_eq!(fit.zone, Some(0), "{what}: custom bounds");
                assert_eq!(fit.low, Some(low), "{what}");
                assert_eq!(fit.high, Some(high), "{what}");
            }
        }
    }
}

#[tokio::test]
async fn fit_workouts_of_the_sandbox_week_decode_and_play_like_the_timeline() {
    let (plans, zones) = week().await;
    let mut kinds = std::collections::BTreeSet::new();
    let mut sports = std::collections::BTreeSet::new();
    let (mut nested, mut distance, mut open) = (false, false, false);
    for plan in &plans {
        if plan.is_rest_day() {
            for format in ExportFormat::ALL {
                let message = refusal(plan.export(format, Some(&zones)));
                assert!(message.contains("rest day"), "{message}");
            }
            continue;
        }
        let timeline = plan.timeline(Some(&zones));
        let bytes = plan.to_fit_workout(Some(&zones)).unwrap();
        // The core's own pre-flight reads the framing and CRCs too, and names the type.
        let preflight = enduco::check_fit(&bytes).unwrap_err().to_string();
        assert!(
            preflight.contains("FIT file type is 5 (workout)"),
            "{preflight}"
        );
        check_fit_against_timeline(plan, &timeline, &bytes);
        sports.insert(plan.sport.as_str());
        for segment in &timeline {
            kinds.insert(segment.kind.as_str());
            distance |= segment.duration_seconds.is_none() && segment.distance_meters.is_some();
            open |= segment.duration_seconds.is_none() && segment.distance_meters.is_none();
        }
        kinds.extend(
            plan.steps
                .iter()
                .filter(|s| s.repeat.is_some())
                .map(|_| "repeat"),
        );
        nested |= plan.steps.iter().any(|s| {
            s.repeat
                .as_ref()
                .is_some_and(|r| r.steps.iter().any(|i| i.repeat.is_some()))
        });
    }
    assert_eq!(
        sports.into_iter().collect::<Vec<_>>(),
        ["cycling", "running", "swimming"]
    );
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        ["active", "cooldown", "recovery", "repeat", "rest", "warmup"]
    );
    assert!(
        nested && distance && open,
        "the week covers nested repeats, distance and open steps"
    );
}

#[tokio::test]
async fn fit_without_zones_keeps_zone_numbers() {
    let (plans, _) = week().await;
    // The sandbox sends zone and bounds; a plan that only names the zone needs the user's
    // zones to become bounds, and without them stays a zone of the device's own.
    let mut plan = on(&plans, Weekday::Tuesday);
    fn bounds_off(steps: &mut [Step]) {
        for step in steps {
            if let Some(t) = &mut step.target {
                t.lower = None;
                t.upper = None;
            }
            if let Some(r) = &mut step.repeat {
                bounds_off(&mut r.steps);
            }
        }
    }
    bounds_off(&mut plan.steps);
    let (_, _, _, _, steps) = decode_fit(&plan.to_fit_workout(None).unwrap());
    let zones: Vec<_> = steps
        .iter()
        .filter(|s| s.repeat_steps.is_none())
        .map(|s| (s.target_type.clone().unwrap(), s.zone.unwrap(), s.low))
        .collect();
    assert_eq!(
        zones,
        [
            ("power".to_owned(), 2, None),
            ("power".to_owned(), 4, None),
            ("power".to_owned(), 2, None),
            ("heart_rate".to_owned(), 1, None),
        ]
    );
}

// ------------------------------------------------------------------------------------------
// ZWO, ERG, MRC read back

/// `(seconds, watts at start, watts at end)` per played second-range, from a ZWO file.
fn read_zwo(xml: &str, ftp: f64) -> (String, String, Vec<(u32, f64, f64)>) {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let (mut name, mut sport, mut current) = (String::new(), String::new(), String::new());
    let mut blocks = Vec::new();
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Eof => break,
            Event::Start(e) => current = e.name().as_ref().to_owned(),
            Event::Text(t) => {
                let t = t.into_inner().into_owned();
                match current.as_str() {
                    "name" => name.push_str(&t),
                    "sportType" => sport.push_str(&t),
                    _ => {}
                }
            }
            Event::GeneralRef(r) => {
                let resolved = match r.into_inner().as_ref() {
                    "amp" => "&",
                    "lt" => "<",
                    "gt" => ">",
                    "quot" => "\"",
                    "apos" => "'",
                    other => panic!("unexpected entity {other}"),
                };
                if current == "name" {
                    name.push_str(resolved);
                }
            }
            Event::End(_) => current.clear(),
            Event::Empty(e) => {
                let attr = |n: &str| -> f64 {
                    e.try_get_attribute(n)
                        .unwrap()
                        .unwrap_or_else(|| panic!("{n} missing"))
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .unwrap()
                        .parse()
                        .unwrap()
                };
                let element = e.name().as_ref().to_owned();
                match element.as_str() {
                    "SteadyState" => {
                        let w = attr("Power") * ftp;
                        blocks.push((attr("Duration") as u32, w, w));
                    }
                    "Warmup" | "Cooldown" | "Ramp" => blocks.push((
                        attr("Duration") as u32,
                        attr("PowerLow") * ftp,
                        attr("PowerHigh") * ftp,
                    )),
                    "IntervalsT" => {
                        for _ in 0..attr("Repeat") as u32 {
                            let (on, off) = (attr("OnPower") * ftp, attr("OffPower") * ftp);
                            blocks.push((attr("OnDuration") as u32, on, on));
                            blocks.push((attr("OffDuration") as u32, off, off));
                        }
                    }
                    "FreeRide" => blocks.push((attr("Duration") as u32, f64::NAN, f64::NAN)),
                    other => panic!("unexpected ZWO element {other}"),
                }
            }
            _ => {}
        }
    }
    (name, sport, blocks)
}

/// `(seconds, value at start, value at end)` per pair of rows, and the header lines.
fn read_course(text: &str) -> (Vec<String>, Vec<(f64, f64, f64)>) {
    let header_end = text.find("[END COURSE HEADER]").unwrap();
    let header = text[..header_end].lines().map(str::to_owned).collect();
    let data = text
        .split("[COURSE DATA]\n")
        .nth(1)
        .unwrap()
        .split("[END COURSE DATA]")
        .next()
        .unwrap();
    let rows: Vec<(f64, f64)> = data
        .lines()
        .map(|l| {
            let (m, v) = l.split_once('\t').expect("tab-separated row");
            (m.parse().unwrap(), v.parse().unwrap())
        })
        .collect();
    assert_eq!(rows.len() % 2, 0);
    let mut blocks = Vec::new();
    let mut last_end = 0.0;
    for pair in rows.chunks(2) {
        assert_eq!(pair[0].0, last_end, "rows follow on from each other");
        last_end = pair[1].0;
        blocks.push(((pair[1].0 - pair[0].0) * 60.0, pair[0].1, pair[1].1));
    }
    (header, blocks)
}

/// What a trainer holds for a segment: the middle of its range, a ramp through it for a warm-up
/// or cool-down.
fn expected_power(segment: &TimelineSegment) -> (f64, f64) {
    let r = segment.resolved.as_ref().unwrap();
    let (l, u) = (r.lower.unwrap(), r.upper.unwrap());
    match segment.kind {
        StepKind::Warmup => (l, u),
        StepKind::Cooldown => (u, l),
        _ => ((l + u) / 2.0, (l + u) / 2.0),
    }
}

#[tokio::test]
async fn zwo_erg_and_mrc_add_up_to_the_plan() {
    let (plans, zones) = week().await;
    let ftp = 250.0;
    let ride = on(&plans, Weekday::Saturday);
    let timeline = ride.timeline(Some(&zones));
    let total: u32 = timeline.iter().map(|s| s.duration_seconds.unwrap()).sum();
    assert_eq!(Some(total), ride.duration_seconds);

    let zwo = ride.to_zwo(Some(&zones)).unwrap();
    assert!(zwo.contains("<IntervalsT Repeat=\"2\""), "{zwo}");
    assert!(
        zwo.contains("<Warmup ") && zwo.contains("<Cooldown "),
        "{zwo}"
    );
    let (name, sport, blocks) = read_zwo(&zwo, ftp);
    assert_eq!(
        (name.as_str(), sport.as_str()),
        (ride.title.as_str(), "bike")
    );
    assert_eq!(blocks.iter().map(|b| b.0).sum::<u32>(), total);
    assert_eq!(blocks.len(), timeline.len());
    for (block, segment) in blocks.iter().zip(&timeline) {
        let (from, to) = expected_power(segment);
        assert_eq!(block.0, segment.duration_seconds.unwrap());
        // Three decimals of FTP: within 0.25 W at 250 W.
        assert!(
            (block.1 - from).abs() <= 0.26 && (block.2 - to).abs() <= 0.26,
            "{block:?}"
        );
    }

    for (format, text) in [
        ("ERG", ride.to_erg(Some(&zones)).unwrap()),
        ("MRC", ride.to_mrc(Some(&zones)).unwrap()),
    ] {
        let (header, blocks) = read_course(&text);
        assert!(header.contains(&format!("DESCRIPTION = {}", ride.title)));
        let percent = format == "MRC";
        assert!(
            header.contains(
                &(if percent {
                    "MINUTES PERCENT"
                } else {
                    "MINUTES WATTS"
                })
                .to_owned()
            )
        );
        assert_eq!(blocks.len(), timeline.len());
        let seconds: f64 = blocks.iter().map(|b| b.0).sum();
        assert!(
            (seconds - f64::from(total)).abs() < 0.1,
            "{format}: {seconds}"
        );
        for (block, segment) in blocks.iter().zip(&timeline) {
            let (from, to) = expected_power(segment);
            let (from, to, tolerance) = if percent {
                (from / ftp * 100.0, to / ftp * 100.0, 0.051)
            } else {
                (from.round(), to.round(), 0.0)
            };
            assert!((block.0 - f64::from(segment.duration_seconds.unwrap())).abs() < 0.1);
            assert!(
                (block.1 - from).abs() <= tolerance && (block.2 - to).abs() <= tolerance,
                "{format} {block:?} vs {from}..{to}"
            );
        }
    }
    // One entry point for callers that let the user pick the format.
    assert_eq!(ExportFormat::parse(".ERG").unwrap(), ExportFormat::Erg);
    assert_eq!(
        ExportFormat::parse("tcx").unwrap_err().code(),
        "invalid_input"
    );
    assert_eq!(
        ride.export(ExportFormat::parse("zwo").unwrap(), Some(&zones))
            .unwrap(),
        zwo.as_bytes()
    );
    // ERG needs no FTP (explicit watts), and says it when known.
    let erg = ride.to_erg(None).unwrap();
    assert!(!erg.contains("FTP ="));
    assert!(ride.to_erg(Some(&zones)).unwrap().contains("FTP = 250\n"));
}

// ------------------------------------------------------------------------------------------
// Refusals

#[tokio::test]
async fn what_a_format_cannot_express_is_refused_naming_the_step() {
    let (plans, zones) = week().await;
    let z = Some(&zones);
    let intervals = on(&plans, Weekday::Tuesday);

    // The sandbox's bike intervals cool down by heart rate: no trainer file can hold that.
    let message = refusal(intervals.to_erg(z));
    assert!(
        message.contains("step 3 (cooldown): ERG needs a power target, this one is heart_rate"),
        "{message}"
    );
    assert!(refusal(intervals.to_mrc(z)).contains("step 3 (cooldown): MRC needs a power target"));
    assert!(refusal(intervals.to_zwo(z)).contains("step 3 (cooldown): ZWO needs a power target"));
    // FIT holds it.
    intervals.to_fit_workout(z).unwrap();

    // Trainer formats are for cycling.
    for weekday in [Weekday::Wednesday, Weekday::Thursday, Weekday::Sunday] {
        let plan = on(&plans, weekday);
        for format in [ExportFormat::Zwo, ExportFormat::Erg, ExportFormat::Mrc] {
            let message = refusal(plan.export(format, z));
            assert!(message.contains("is a cycling trainer format"), "{message}");
        }
        plan.to_fit_workout(z).unwrap();
    }

    let ride = on(&plans, Weekday::Saturday);
    // Percentages of FTP need the FTP.
    for message in [refusal(ride.to_zwo(None)), refusal(ride.to_mrc(None))] {
        assert!(message.contains("fraction of FTP"), "{message}");
    }

    // A pace target on the bike, a distance-only step, an open step, a step without target.
    let mut changed = ride.clone();
    let work = &mut changed.steps[1].repeat.as_mut().unwrap().steps[1]
        .repeat
        .as_mut()
        .unwrap()
        .steps[0];
    work.target.as_mut().unwrap().metric = Metric::Pace;
    assert!(
        refusal(changed.to_erg(z))
            .contains("step 2.2.1 (active): ERG needs a power target, this one is pace")
    );
    assert!(refusal(changed.to_zwo(z)).contains("step 2.2.1 (active): ZWO needs a power target"));

    let mut changed = ride.clone();
    changed.steps[2].duration_seconds = None;
    changed.steps[2].distance_meters = Some(5000.0);
    assert!(
        refusal(changed.to_erg(z))
            .contains("step 3 (cooldown): ERG needs a duration, this step is distance-only")
    );
    changed.steps[2].distance_meters = None;
    assert!(
        refusal(changed.to_zwo(z))
            .contains("step 3 (cooldown): ZWO needs a duration, this step is open")
    );
    let fit = decode_fit(&changed.to_fit_workout(z).unwrap()).4;
    assert_eq!(fit.last().unwrap().duration_type, "open");

    let mut changed = ride.clone();
    changed.steps[0].target = None;
    assert!(
        refusal(changed.to_mrc(z))
            .contains("step 1 (warmup): MRC needs a power target, this step has none")
    );
    // ZWO rides it free.
    assert!(
        changed
            .to_zwo(z)
            .unwrap()
            .contains("<FreeRide Duration=\"900\"/>")
    );

    // An RPE target has no FIT form.
    let mut changed = ride.clone();
    changed.steps[0].target.as_mut().unwrap().metric = Metric::Rpe;
    assert!(
        refusal(changed.to_fit_workout(z))
            .contains("step 1 (warmup): FIT workouts have no rpe target")
    );

    // A percentage without zones cannot become watts.
    let mut changed = ride.clone();
    let target = changed.steps[0].target.as_mut().unwrap();
    (target.lower, target.upper, target.unit) = (Some(50.0), Some(60.0), Some("%ftp".into()));
    target.zone = None;
    assert!(refusal(changed.to_fit_workout(None)).contains("step 1 (warmup)"));
    assert!(
        refusal(changed.to_erg(None))
            .contains("step 1 (warmup): its power target cannot be turned into watts")
    );
    // With zones it can, as the timeline resolves it.
    let erg = changed.to_erg(z).unwrap();
    assert!(erg.contains("0.000\t125\n15.000\t150\n"), "{erg}");

    // Reversed and unusable bounds.
    let mut changed = ride.clone();
    let target = changed.steps[1].repeat.as_mut().unwrap().steps[0]
        .target
        .as_mut()
        .unwrap();
    (target.lower, target.upper) = (Some(300.0), Some(200.0));
    assert!(
        refusal(changed.to_erg(z))
            .contains("step 2.1 (active): power target's lower bound 300 W is above")
    );
    assert!(refusal(changed.to_fit_workout(z)).contains("step 2.1 (active)"));
    let target = changed.steps[1].repeat.as_mut().unwrap().steps[0]
        .target
        .as_mut()
        .unwrap();
    target.lower = Some(f64::NAN);
    assert!(refusal(changed.to_fit_workout(z)).contains("not a usable value"));
}

#[tokio::test]
async fn output_stays_bounded_for_hostile_plans() {
    let (plans, zones) = week().await;
    let z = Some(&zones);
    let ride = on(&plans, Weekday::Saturday);

    // Four billion repeats of the tempo block: FIT keeps the repeat (a few hundred bytes), the
    // text formats would have to write it out and refuse.
    let mut huge = ride.clone();
    huge.steps[1].repeat.as_mut().unwrap().count = u32::MAX;
    // 0xFFFFFFFF is FIT's "no value".
    assert!(refusal(huge.to_fit_workout(z)).contains("more than a FIT repeat step can count"));
    huge.steps[1].repeat.as_mut().unwrap().count = u32::MAX - 1;
    let fit = huge.to_fit_workout(z).unwrap();
    assert!(fit.len() < 1000);
    assert_eq!(
        decode_fit(&fit).4[5].repeat_steps,
        Some(u64::from(u32::MAX - 1))
    );
    for format in [ExportFormat::Zwo, ExportFormat::Erg, ExportFormat::Mrc] {
        let message = refusal(huge.export(format, z));
        assert!(
            message.contains(&format!(
                "more than {MAX_TIMELINE_SEGMENTS} steps once repeats are expanded"
            )),
            "{message}"
        );
    }

    // Nested too deep.
    let mut deep = ride.clone();
    let mut steps = vec![deep.steps[0].clone()];
    for _ in 0..=MAX_EXPORT_DEPTH {
        steps = vec![Step {
            kind: StepKind::Repeat,
            duration_seconds: None,
            distance_meters: None,
            target: None,
            repeat: Some(Repeat { count: 1, steps }),
        }];
    }
    deep.steps = steps;
    assert!(refusal(deep.to_fit_workout(z)).contains("nested more than"));

    // Too many steps for any file; a long, hostile title is cut.
    let mut long = ride.clone();
    long.steps = vec![ride.steps[0].clone(); MAX_TIMELINE_SEGMENTS + 1];
    assert!(refusal(long.to_fit_workout(z)).contains("too many to export"));
    long.steps.truncate(MAX_TIMELINE_SEGMENTS);
    long.title = "<&\">\n\u{1}".repeat(100_000);
    let fit = long.to_fit_workout(z).unwrap();
    assert!(fit.len() < 40 * MAX_TIMELINE_SEGMENTS);
    let zwo = long.to_zwo(z).unwrap();
    assert!(zwo.len() < 100 * MAX_TIMELINE_SEGMENTS);
    let (name, _, blocks) = read_zwo(&zwo, 250.0);
    assert_eq!(blocks.len(), MAX_TIMELINE_SEGMENTS);
    assert!(name.starts_with("<&\">") && name.len() <= enduco::MAX_EXPORT_TEXT_BYTES);
    let erg = long.to_erg(z).unwrap();
    assert!(erg.lines().filter(|l| l.starts_with("DESCRIPTION")).count() == 1);
    assert_eq!(decode_fit(&fit).2.len(), 63);

    // Zero counts and empty bodies are skipped, as in the timeline.
    let mut empty = ride.clone();
    empty.steps[1].repeat.as_mut().unwrap().count = 0;
    let (.., steps) = decode_fit(&empty.to_fit_workout(z).unwrap());
    assert_eq!(play(&steps).len(), empty.timeline(z).len());
    assert_eq!(steps.len(), 2);
}
