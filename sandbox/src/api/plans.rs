//! `GET /api/v1/plans?from=YYYY-MM-DD&to=YYYY-MM-DD` (scope `plans_read`).
//!
//! A plan exists for every date, chosen by weekday, so any window works without set-up:
//! Mon rest, Tue bike intervals, Wed endurance run, Thu swim, Fri rest, Sat long ride (nested
//! repeats), Sun run repeats (ending in an open cool-down). Between them every sport, every step
//! kind, time, distance and open durations. Targets come from the user's own zones.

use std::sync::{Arc, LazyLock};

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::athlete::{Athlete, ZoneSet};
use crate::state::AppState;
use crate::util::{Params, bad_request};

/// The athlete's time zone; dates are local calendar dates there.
const TIME_ZONE: &str = "Europe/Berlin";
/// Longest window, in dates, `from` and `to` included.
const MAX_DAYS: usize = 7;

/// Europe/Berlin from the system tz database, or its POSIX rule (valid since 1996) where the
/// machine has no tz database, so offsets are right either way.
static BERLIN: LazyLock<TimeZone> = LazyLock::new(|| {
    TimeZone::get(TIME_ZONE)
        .or_else(|_| TimeZone::posix("CET-1CEST,M3.5.0,M10.5.0/3"))
        .unwrap_or(TimeZone::UTC)
});

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PlanItem {
    id: String,
    date: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_time: Option<String>,
    time_zone: &'static str,
    sport: &'static str,
    title: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    duration_seconds: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    distance_meters: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    load: Option<u32>,
    steps: Vec<Step>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Step {
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    duration_seconds: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    distance_meters: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    target: Option<Target>,
    #[serde(skip_serializing_if = "Option::is_none")]
    repeat: Option<Repeat>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Target {
    metric: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    zone: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    lower: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    upper: Option<u32>,
    unit: &'static str,
}

#[derive(Serialize)]
struct Repeat {
    count: u32,
    steps: Vec<Step>,
}

pub(crate) async fn plans(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let caller = match super::authenticate(&app, &headers, "plans_read") {
        Ok(c) => c,
        Err(response) => return response,
    };
    let params = Params::parse(query.unwrap_or_default().as_bytes());
    let dates = match window(&params) {
        Ok(d) => d,
        Err(description) => return bad_request(&description),
    };
    let athlete = Athlete::of(&caller.user, &app.config.default_user);
    let items: Vec<PlanItem> = dates
        .into_iter()
        .map(|date| plan_for(&caller.user, &athlete, date))
        .collect();
    Json(items).into_response()
}

/// The dates `from..=to`, at most [`MAX_DAYS`] of them.
fn window(params: &Params) -> Result<Vec<Date>, String> {
    if let Some(name) = params.duplicated(&["from", "to"]) {
        return Err(format!("{name} appears more than once."));
    }
    let from = parse_date(params.get("from"), "from")?;
    let to = parse_date(params.get("to"), "to")?;
    if to < from {
        return Err(format!("to ({to}) is before from ({from})."));
    }
    let mut dates = vec![from];
    let mut date = from;
    while date < to {
        if dates.len() == MAX_DAYS {
            return Err(format!(
                "The window {from}..{to} is longer than {MAX_DAYS} days (from and to included)."
            ));
        }
        date = date.tomorrow().map_err(|e| e.to_string())?;
        dates.push(date);
    }
    Ok(dates)
}

fn parse_date(value: Option<&str>, name: &str) -> Result<Date, String> {
    let Some(value) = value else {
        return Err(format!("{name} is required (YYYY-MM-DD)."));
    };
    let b = value.as_bytes();
    let shaped = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    let parsed = if shaped {
        value.parse::<Date>().ok()
    } else {
        None
    };
    parsed.ok_or_else(|| format!("{name} must be a date as YYYY-MM-DD, got {value:?}."))
}

fn step(
    kind: &'static str,
    seconds: Option<u32>,
    meters: Option<u32>,
    target: Option<Target>,
) -> Step {
    Step {
        kind,
        duration_seconds: seconds,
        distance_meters: meters,
        target,
        repeat: None,
    }
}

fn repeat(count: u32, steps: Vec<Step>) -> Step {
    Step {
        kind: "repeat",
        duration_seconds: None,
        distance_meters: None,
        target: None,
        repeat: Some(Repeat { count, steps }),
    }
}

fn target(set: &ZoneSet, zone: u8) -> Option<Target> {
    let z = set.zone(zone)?;
    Some(Target {
        metric: set.metric,
        zone: Some(zone),
        lower: z.lower,
        upper: z.upper,
        unit: set.unit,
    })
}

/// Local start time as RFC 3339 with the offset valid on that date in Europe/Berlin.
fn start_time(date: Date, hour: i8, minute: i8) -> Option<String> {
    let zoned = date.at(hour, minute, 0, 0).to_zoned(BERLIN.clone()).ok()?;
    Some(zoned.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string())
}

/// Stable per (user, date).
fn plan_id(user: &str, date: Date) -> String {
    let digest = Sha256::digest(format!("{user}/{date}").as_bytes());
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("plan-{hex}")
}

fn plan_for(user: &str, athlete: &Athlete, date: Date) -> PlanItem {
    let mut item = PlanItem {
        id: plan_id(user, date),
        date: date.to_string(),
        start_time: None,
        time_zone: TIME_ZONE,
        sport: "other",
        title: "Rest day",
        description: Some("Recovery: no training planned."),
        duration_seconds: None,
        distance_meters: None,
        load: None,
        steps: Vec::new(),
    };
    let power = athlete.bike_power();
    let bike_hr = athlete.bike_heart_rate();
    let run_hr = athlete.run_heart_rate();
    let run_pace = athlete.run_pace();
    let swim_pace = athlete.swim_pace();
    match date.weekday() {
        Weekday::Monday | Weekday::Friday => {}
        Weekday::Tuesday => {
            item.start_time = start_time(date, 18, 0);
            item.sport = "cycling";
            item.title = "Bike intervals 5 × 4 min";
            item.description =
                Some("Threshold intervals: 5 × 4 min in power zone 4, 3 min easy between.");
            item.duration_seconds = Some(900 + 5 * (240 + 180) + 600);
            item.load = Some(78);
            item.steps = vec![
                step("warmup", Some(900), None, target(&power, 2)),
                repeat(
                    5,
                    vec![
                        step("active", Some(240), None, target(&power, 4)),
                        step("recovery", Some(180), None, target(&power, 2)),
                    ],
                ),
                step("cooldown", Some(600), None, target(&bike_hr, 1)),
            ];
        }
        Weekday::Wednesday => {
            item.start_time = start_time(date, 7, 0);
            item.sport = "running";
            item.title = "Endurance run";
            item.description = Some("Steady aerobic run in heart-rate zone 2.");
            item.duration_seconds = Some(3600);
            item.distance_meters = Some(10_500);
            item.load = Some(55);
            item.steps = vec![
                step("warmup", Some(600), None, target(&run_hr, 1)),
                step("active", Some(2700), None, target(&run_hr, 2)),
                step("cooldown", Some(300), None, target(&run_hr, 1)),
            ];
        }
        Weekday::Thursday => {
            item.start_time = start_time(date, 6, 30);
            item.sport = "swimming";
            item.title = "Swim 8 × 100 m";
            item.description = Some("8 × 100 m at threshold pace with 20 s rest.");
            item.duration_seconds = Some(2700);
            item.distance_meters = Some(400 + 8 * 100 + 200);
            item.load = Some(40);
            item.steps = vec![
                step("warmup", None, Some(400), target(&swim_pace, 1)),
                repeat(
                    8,
                    vec![
                        step("active", None, Some(100), target(&swim_pace, 4)),
                        step("rest", Some(20), None, None),
                    ],
                ),
                step("cooldown", None, Some(200), target(&swim_pace, 1)),
            ];
        }
        Weekday::Saturday => {
            item.start_time = start_time(date, 9, 0);
            item.sport = "cycling";
            item.title = "Long ride";
            item.description =
                Some("Three hours in power zone 2, three blocks each ending in 2 × 5 min tempo.");
            item.duration_seconds = Some(10_800);
            item.distance_meters = Some(90_000);
            item.load = Some(165);
            // Nested repeats: 3 × (30 min zone 2, then 2 × (5 min tempo, 5 min zone 2)).
            item.steps = vec![
                step("warmup", Some(900), None, target(&power, 1)),
                repeat(
                    3,
                    vec![
                        step("active", Some(1800), None, target(&power, 2)),
                        repeat(
                            2,
                            vec![
                                step("active", Some(300), None, target(&power, 3)),
                                step("recovery", Some(300), None, target(&power, 2)),
                            ],
                        ),
                    ],
                ),
                step("cooldown", Some(900), None, target(&power, 1)),
            ];
        }
        Weekday::Sunday => {
            item.start_time = start_time(date, 9, 0);
            item.sport = "running";
            item.title = "Run 6 × 1 km";
            item.description = Some(
                "6 × 1 km at threshold pace, 2 min jog between; cool down as long as you like.",
            );
            item.duration_seconds = Some(900 + 6 * (athlete.run_pace + 120) + 600);
            item.distance_meters = Some(2_500 + 6_000 + 1_500);
            item.load = Some(70);
            item.steps = vec![
                step("warmup", Some(900), None, target(&run_hr, 1)),
                repeat(
                    6,
                    vec![
                        step("active", None, Some(1000), target(&run_pace, 4)),
                        step("recovery", Some(120), None, target(&run_hr, 1)),
                    ],
                ),
                // Open: the athlete jogs until they stop (a lap press on the watch).
                step("cooldown", None, None, target(&run_hr, 1)),
            ];
        }
    }
    item
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_time_offsets_follow_berlin_dst() {
        let winter: Date = "2025-01-14".parse().unwrap();
        let summer: Date = "2025-07-15".parse().unwrap();
        assert_eq!(
            start_time(winter, 18, 0).unwrap(),
            "2025-01-14T18:00:00+01:00"
        );
        assert_eq!(
            start_time(summer, 18, 0).unwrap(),
            "2025-07-15T18:00:00+02:00"
        );
        // The Sunday DST starts and ends.
        let spring: Date = "2025-03-30".parse().unwrap();
        let autumn: Date = "2025-10-26".parse().unwrap();
        assert_eq!(
            start_time(spring, 9, 0).unwrap(),
            "2025-03-30T09:00:00+02:00"
        );
        assert_eq!(
            start_time(autumn, 9, 0).unwrap(),
            "2025-10-26T09:00:00+01:00"
        );
    }

    #[test]
    fn window_rules() {
        let p = |q: &str| window(&Params::parse(q.as_bytes()));
        assert_eq!(p("from=2025-01-13&to=2025-01-19").unwrap().len(), 7);
        assert_eq!(p("from=2025-01-13&to=2025-01-13").unwrap().len(), 1);
        assert!(p("from=2025-01-13&to=2025-01-20").is_err());
        assert!(p("from=2025-01-13&to=2025-01-12").is_err());
        assert!(p("from=2025-01-13").is_err());
        assert!(p("from=2025-1-13&to=2025-01-14").is_err());
        assert!(p("from=2025-02-30&to=2025-03-01").is_err());
    }

    #[test]
    fn ids_are_stable_and_distinct() {
        let d: Date = "2025-01-14".parse().unwrap();
        assert_eq!(plan_id("u", d), plan_id("u", d));
        assert_ne!(plan_id("u", d), plan_id("v", d));
        assert_ne!(plan_id("u", d), plan_id("u", d.tomorrow().unwrap()));
    }
}
