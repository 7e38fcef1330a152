//! Zones, plans and webhook models: tolerant parsing, timeline expansion, zone resolution, plan
//! windows and time zones (DST included).

use enduco::{
    Error, MAX_TIMELINE_SEGMENTS, Metric, PlannedWorkout, ResolvedTarget, Sport, StepKind,
    StepTarget, WebhookEvent, check_window, local_today, parse_plans, parse_webhook, parse_zones,
    upcoming_window,
};
use jiff::Timestamp;
use jiff::civil::{Date, date};

const ZONES: &str = r#"{
  "userId": "u-123",
  "updatedAt": "2026-03-01T08:30:00Z",
  "someFutureField": {"nested": true},
  "zones": [
    {"sport": "cycling", "metric": "power", "unit": "W", "threshold": 250, "zones": [
      {"index": 1, "name": "Recovery",  "lower": 0,   "upper": 137},
      {"index": 2, "name": "Endurance", "lower": 138, "upper": 187},
      {"index": 3, "name": "Tempo",     "lower": 188, "upper": 225},
      {"index": 4, "name": "Threshold", "lower": 228, "upper": 262},
      {"index": 5, "name": "VO2max",    "lower": 263, "upper": 300},
      {"index": 6, "name": "Anaerobic", "lower": 301}
    ]},
    {"sport": "cycling", "metric": "heart_rate", "unit": "bpm", "threshold": 168, "zones": [
      {"index": 1, "lower": 0, "upper": 115}, {"index": 2, "lower": 116, "upper": 140}
    ]},
    {"sport": "running", "metric": "pace", "unit": "s/km", "threshold": 255, "zones": [
      {"index": 1, "lower": 330}, {"index": 2, "lower": 290, "upper": 330}
    ]}
  ]
}"#;

fn zones() -> enduco::IntensityZones {
    parse_zones(ZONES.as_bytes()).unwrap()
}

fn invalid_response<T: std::fmt::Debug>(result: enduco::Result<T>) -> String {
    match result {
        Err(Error::InvalidResponse { message }) => message,
        other => panic!("expected invalid_response, got {other:?}"),
    }
}

fn invalid_input<T: std::fmt::Debug>(result: enduco::Result<T>) -> String {
    match result {
        Err(Error::InvalidInput { message }) => message,
        other => panic!("expected invalid_input, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Zones

#[test]
fn zones_full_sample() {
    let z = zones();
    assert_eq!(z.user_id, "u-123");
    assert_eq!(z.updated_at, Some("2026-03-01T08:30:00Z".parse().unwrap()));
    assert_eq!(z.zones.len(), 3);
    let power = z.for_sport(Sport::Cycling, Metric::Power).unwrap();
    assert_eq!(power.unit, "W");
    assert_eq!(power.threshold, Some(250.0));
    assert_eq!(power.zones.len(), 6);
    assert_eq!(power.zones[3].name.as_deref(), Some("Threshold"));
    assert_eq!(power.zones[5].upper, None);
    assert_eq!(
        z.for_sport(Sport::Cycling, Metric::HeartRate).unwrap().unit,
        "bpm"
    );
    assert!(z.for_sport(Sport::Swimming, Metric::Pace).is_none());
}

#[test]
fn zones_minimal_sample() {
    let z = parse_zones(br#"{"userId": "u-1"}"#).unwrap();
    assert_eq!(z.user_id, "u-1");
    assert_eq!(z.updated_at, None);
    assert!(z.zones.is_empty());

    let z = parse_zones(
        br#"{"userId": 42, "updatedAt": null, "zones": [
              {"sport": "running", "metric": "heart_rate", "zones": null},
              {"zones": [{"index": 1}]}
           ]}"#,
    )
    .unwrap();
    assert_eq!(z.user_id, "42");
    assert_eq!(z.zones[0].unit, "");
    assert_eq!(z.zones[0].threshold, None);
    assert!(z.zones[0].zones.is_empty());
    assert_eq!(z.zones[1].sport, Sport::Other);
    assert_eq!(z.zones[1].metric, Metric::Other);
    assert_eq!(z.zones[1].zones[0].lower, None);
}

#[test]
fn unknown_enum_values_become_other() {
    let z = parse_zones(
        br#"{"userId": "u", "zones": [
              {"sport": "rowing", "metric": "lactate", "unit": "mmol/l", "zones": []},
              {"sport": 7, "metric": {"weird": 1}, "unit": "x", "zones": []},
              {"sport": "RUNNING", "metric": "heartRate", "unit": "bpm", "zones": []}
           ]}"#,
    )
    .unwrap();
    assert_eq!(
        (z.zones[0].sport, z.zones[0].metric),
        (Sport::Other, Metric::Other)
    );
    assert_eq!(
        (z.zones[1].sport, z.zones[1].metric),
        (Sport::Other, Metric::Other)
    );
    // Spelling variants of known values are still recognised.
    assert_eq!(
        (z.zones[2].sport, z.zones[2].metric),
        (Sport::Running, Metric::HeartRate)
    );
    // Serialized in the wire's snake_case.
    assert_eq!(
        serde_json::to_string(&Metric::HeartRate).unwrap(),
        "\"heart_rate\""
    );
    assert_eq!(serde_json::to_string(&Sport::Other).unwrap(), "\"other\"");
}

#[test]
fn garbage_is_an_invalid_response() {
    assert!(invalid_response(parse_zones(b"")).contains("empty"));
    assert!(invalid_response(parse_zones(b"  \n")).contains("empty"));
    assert!(
        invalid_response(parse_zones(b"<!DOCTYPE html><html>Captive portal</html>"))
            .contains("HTML")
    );
    assert!(invalid_response(parse_zones(b"{\"userId\": ")).contains("not valid JSON"));
    assert!(invalid_response(parse_zones(b"[1, 2, 3]")).contains("unexpected JSON shape"));
    assert!(invalid_response(parse_zones(br#"{"zones": []}"#)).contains("userId"));
    assert!(invalid_response(parse_plans(b"{\"error\": \"nope\"}")).contains("array"));
    assert!(invalid_response(parse_plans(b"not json")).contains("not valid JSON"));

    // The body is never echoed, however long it is.
    let secret = "S3CR3T".repeat(10_000);
    let body = format!(r#"{{"userId": "u", "zones": [{{"threshold": "{secret}"}}]}}"#);
    let msg = invalid_response(parse_zones(body.as_bytes()));
    assert!(!msg.contains("S3CR3T") && msg.len() < 300, "{msg}");
    let body = format!(r#"[{{"id": "p", "date": "{secret}", "timeZone": "UTC"}}]"#);
    let msg = invalid_response(parse_plans(body.as_bytes()));
    assert!(msg.starts_with("training plans: plan #0"), "{msg}");
    assert!(msg.len() < 300, "{msg}");
}

// ---------------------------------------------------------------------------------------------
// Plans

const PLANS: &str = r#"[
  {
    "id": "w-1",
    "date": "2026-03-28",
    "startTime": "2026-03-28T07:00:00+01:00",
    "timeZone": "Europe/Berlin",
    "sport": "cycling",
    "title": "Threshold intervals",
    "description": "3 x (5 min Z4, 2 min Z1, 2 x 30 s over)",
    "durationSeconds": 2700,
    "distanceMeters": null,
    "load": 72.5,
    "steps": [
      {"kind": "warmup", "durationSeconds": 600, "target": {"metric": "power", "zone": 2, "unit": "W"}},
      {"kind": "repeat", "repeat": {"count": 3, "steps": [
        {"kind": "active", "durationSeconds": 300, "target": {"metric": "power", "zone": 4, "unit": "W"}},
        {"kind": "recovery", "durationSeconds": 120, "target": {"metric": "power", "zone": 1}},
        {"kind": "repeat", "repeat": {"count": 2, "steps": [
          {"kind": "active", "durationSeconds": 30, "target": {"metric": "power", "zone": 6, "lower": 400, "upper": 450, "unit": "W"}},
          {"kind": "rest", "durationSeconds": 30}
        ]}}
      ]}},
      {"kind": "cooldown", "distanceMeters": 2000, "target": {"metric": "power", "lower": 50, "upper": 60, "unit": "%FTP"}},
      {"kind": "strides", "durationSeconds": 60, "target": {"metric": "heart_rate", "zone": 2}}
    ]
  },
  {"id": "w-2", "date": "2026-03-29", "timeZone": "Europe/Berlin", "sport": "other", "title": "Rest", "steps": []}
]"#;

fn plans() -> Vec<PlannedWorkout> {
    parse_plans(PLANS.as_bytes()).unwrap()
}

#[test]
fn plans_full_sample() {
    let p = plans();
    assert_eq!(p.len(), 2);
    let w = &p[0];
    assert_eq!(w.id, "w-1");
    assert_eq!(w.date, date(2026, 3, 28));
    assert_eq!(
        w.start_time,
        Some("2026-03-28T06:00:00Z".parse::<Timestamp>().unwrap())
    );
    assert_eq!(w.sport, Sport::Cycling);
    assert_eq!(w.duration_seconds, Some(2700));
    assert_eq!(w.distance_meters, None);
    assert_eq!(w.load, Some(72.5));
    assert_eq!(w.steps.len(), 4);
    assert_eq!(w.steps[1].kind, StepKind::Repeat);
    assert_eq!(w.steps[1].repeat.as_ref().unwrap().count, 3);
    assert_eq!(w.steps[3].kind, StepKind::Other); // "strides"
    assert!(!w.is_rest_day());
    assert!(p[1].is_rest_day());

    // Serialize → deserialize is lossless (camelCase on the wire).
    let json = serde_json::to_value(&p).unwrap();
    assert_eq!(json[0]["timeZone"], "Europe/Berlin");
    assert_eq!(json[0]["steps"][0]["durationSeconds"], 600);
    let back: Vec<PlannedWorkout> = serde_json::from_value(json).unwrap();
    assert_eq!(back, p);
}

#[test]
fn plans_minimal_sample_and_wrappers() {
    let p = parse_plans(br#"[{"id": 9, "date": "2026-04-01", "timeZone": "UTC"}]"#).unwrap();
    assert_eq!(p[0].id, "9");
    assert_eq!(p[0].sport, Sport::Other);
    assert_eq!(p[0].title, "");
    assert!(p[0].steps.is_empty() && p[0].is_rest_day());
    assert_eq!(p[0].start_time, None);
    assert_eq!(p[0].local_start(), None);

    assert!(parse_plans(b"[]").unwrap().is_empty());
    let wrapped = br#"{"plans": [{"id": "a", "date": "2026-04-01", "timeZone": "UTC"}]}"#;
    assert_eq!(parse_plans(wrapped).unwrap().len(), 1);

    // Numbers where the contract has whole seconds may come as floats or strings.
    let p = parse_plans(
        br#"[{"id": "a", "date": "2026-04-01", "timeZone": "UTC", "durationSeconds": 3600.0,
              "steps": [{"kind": "ACTIVE", "durationSeconds": "90", "target": null}]}]"#,
    )
    .unwrap();
    assert_eq!(p[0].duration_seconds, Some(3600));
    assert_eq!(p[0].steps[0].duration_seconds, Some(90));
    assert_eq!(p[0].steps[0].kind, StepKind::Active);

    // An unstructured workout ("60 min easy") is not a rest day.
    let p = parse_plans(
        br#"[{"id": "a", "date": "2026-04-01", "timeZone": "UTC", "durationSeconds": 3600}]"#,
    )
    .unwrap();
    assert!(!p[0].is_rest_day());

    // A plan without its required fields is refused, naming the plan.
    let msg = invalid_response(parse_plans(br#"[{"id": "a", "timeZone": "UTC"}]"#));
    assert!(msg.contains("plan #0") && msg.contains("date"), "{msg}");
}

#[test]
fn timeline_expands_nested_repeats_and_resolves_zones() {
    let w = &plans()[0];
    let z = zones();
    let t = w.timeline(Some(&z));
    // warmup + 3 × (active, recovery, 2 × (active, rest)) + cooldown + strides
    assert_eq!(t.len(), 1 + 3 * 6 + 1 + 1);
    assert!(t.iter().enumerate().all(|(i, s)| s.index == i as u32));

    let kinds: Vec<StepKind> = t[..8].iter().map(|s| s.kind).collect();
    use StepKind::*;
    assert_eq!(
        kinds,
        [Warmup, Active, Recovery, Active, Rest, Active, Rest, Active]
    );

    let offsets: Vec<Option<u32>> = t[..8].iter().map(|s| s.start_offset_seconds).collect();
    let o = |v: u32| Some(v);
    assert_eq!(
        offsets,
        [
            o(0),
            o(600),
            o(900),
            o(1020),
            o(1050),
            o(1080),
            o(1110),
            o(1140)
        ]
    );
    let cooldown = &t[19];
    assert_eq!(cooldown.kind, Cooldown);
    assert_eq!(cooldown.start_offset_seconds, Some(600 + 3 * 540));
    assert_eq!(cooldown.distance_meters, Some(2000.0));
    // After a distance-only step the clock is unknown.
    assert_eq!(t[20].start_offset_seconds, None);
    assert_eq!(t[20].duration_seconds, Some(60));

    let watts = |lower: f64, upper: f64| ResolvedTarget {
        metric: Metric::Power,
        lower: Some(lower),
        upper: Some(upper),
        unit: "W".into(),
    };
    assert_eq!(t[0].resolved, Some(watts(138.0, 187.0))); // zone 2
    assert_eq!(t[1].resolved, Some(watts(228.0, 262.0))); // zone 4 of FTP 250
    assert_eq!(t[2].resolved, Some(watts(0.0, 137.0))); // zone 1, unit from the table
    assert_eq!(t[3].resolved, Some(watts(400.0, 450.0))); // explicit bounds win over zone 6
    assert_eq!(t[4].resolved, None); // no target
    assert_eq!(cooldown.resolved, Some(watts(125.0, 150.0))); // 50–60 % of FTP
    assert_eq!(
        t[20].resolved,
        Some(ResolvedTarget {
            metric: Metric::HeartRate,
            lower: Some(116.0),
            upper: Some(140.0),
            unit: "bpm".into()
        })
    );
    assert_eq!(t[1].target.as_ref().unwrap().zone, Some(4));

    // Without zones only explicit absolute bounds resolve.
    let bare = w.timeline(None);
    assert_eq!(bare.len(), t.len());
    assert_eq!(bare[1].resolved, None);
    assert_eq!(bare[3].resolved, Some(watts(400.0, 450.0)));
    assert_eq!(bare[19].resolved, None); // a percentage needs the threshold
}

#[test]
fn resolve_directly() {
    let z = zones();
    let target = |metric, zone| StepTarget {
        metric,
        zone: Some(zone),
        lower: None,
        upper: None,
        unit: None,
    };
    let r = z
        .resolve(Sport::Cycling, &target(Metric::Power, 4))
        .unwrap();
    assert_eq!(
        (r.lower, r.upper, r.unit.as_str()),
        (Some(228.0), Some(262.0), "W")
    );
    assert_eq!(z.resolve(Sport::Cycling, &target(Metric::Power, 9)), None);
    assert_eq!(z.resolve(Sport::Running, &target(Metric::Power, 4)), None);
    assert_eq!(z.resolve(Sport::Other, &target(Metric::Power, 4)), None);
    let pace = z.resolve(Sport::Running, &target(Metric::Pace, 1)).unwrap();
    assert_eq!((pace.lower, pace.upper), (Some(330.0), None));
}

#[test]
fn timeline_expansion_is_capped() {
    let huge = br#"[{"id": "x", "date": "2026-04-01", "timeZone": "UTC", "steps": [
        {"kind": "repeat", "repeat": {"count": 4000000000, "steps": [
            {"kind": "repeat", "repeat": {"count": 4000000000, "steps": [
                {"kind": "active", "durationSeconds": 4000000000}
            ]}}
        ]}}
    ]}]"#;
    let t = parse_plans(huge).unwrap()[0].timeline(None);
    assert_eq!(t.len(), MAX_TIMELINE_SEGMENTS);
    assert_eq!(t[1].start_offset_seconds, Some(4_000_000_000));
    assert_eq!(t[2].start_offset_seconds, None); // overflow: unknown, not wrapped

    // Huge counts of nothing finish at once.
    let empty = br#"[{"id": "x", "date": "2026-04-01", "timeZone": "UTC", "steps": [
        {"kind": "repeat", "repeat": {"count": 4000000000, "steps": [
            {"kind": "repeat", "repeat": {"count": 4000000000, "steps": []}},
            {"kind": "repeat"}
        ]}}
    ]}]"#;
    assert!(parse_plans(empty).unwrap()[0].timeline(None).is_empty());
}

/// The plan issue 12 measured: one repeat of 10,000 whose body is 1,000 empty repeats and one
/// step. Few segments, ten million steps to visit: the visit budget stops it, flagged.
fn hostile_plan_json() -> Vec<u8> {
    let empties =
        vec![r#"{"kind": "repeat", "repeat": {"count": 5, "steps": []}}"#; 1000].join(",");
    format!(
        r#"[{{"id": "x", "date": "2026-04-01", "timeZone": "UTC", "steps": [
            {{"kind": "repeat", "repeat": {{"count": 10000, "steps": [{empties},
                {{"kind": "active", "durationSeconds": 60}}]}}}}]}}]"#
    )
    .into_bytes()
}

#[test]
fn a_timeline_that_visits_too_many_steps_stops_and_says_so() {
    let plan = &parse_plans(&hostile_plan_json()).unwrap()[0];
    let enduco::CheckedTimeline {
        segments,
        truncated,
    } = plan.timeline_checked(None);
    assert!(truncated, "the visit budget stopped it");
    assert!(!segments.is_empty() && segments.len() < 10_000);
    assert_eq!(plan.timeline(None), segments);
    // An ordinary plan is complete.
    let plain = br#"[{"id": "y", "date": "2026-04-01", "timeZone": "UTC", "steps": [
        {"kind": "active", "durationSeconds": 60}]}]"#;
    assert!(
        !parse_plans(plain).unwrap()[0]
            .timeline_checked(None)
            .truncated
    );
}

#[test]
fn plan_windows() {
    let d = |day| date(2026, 3, day);
    check_window(d(1), d(7)).unwrap();
    check_window(d(1), d(1)).unwrap();
    assert_eq!(
        invalid_input(check_window(d(1), d(8))),
        "plan window too long: 8 days (enduco serves at most 7)"
    );
    assert_eq!(
        invalid_input(check_window(date(2026, 2, 25), date(2026, 3, 31))),
        "plan window too long: 35 days (enduco serves at most 7)"
    );
    assert_eq!(
        invalid_input(check_window(d(8), d(1))),
        "plan window is reversed: from 2026-03-08 is after to 2026-03-01"
    );
    // Across the DST change and a month end: calendar days, not 24-hour periods.
    check_window(date(2026, 3, 26), date(2026, 4, 1)).unwrap();
    check_window(date(2026, 10, 22), date(2026, 10, 28)).unwrap();

    assert_eq!(
        upcoming_window(7, d(28)).unwrap(),
        (d(28), date(2026, 4, 3))
    );
    assert_eq!(upcoming_window(1, d(28)).unwrap(), (d(28), d(28)));
    for days in [0, 8, 365] {
        assert!(invalid_input(upcoming_window(days, d(1))).contains("1 to 7 days"));
    }
    // The end of the calendar is an error, not a panic.
    assert!(upcoming_window(2, Date::MAX).is_err());
}

#[test]
fn today_is_local_never_utc() {
    let kiritimati = local_today(Some("Pacific/Kiritimati")).unwrap(); // UTC+14
    let pago_pago = local_today(Some("Pacific/Pago_Pago")).unwrap(); // UTC-11
    assert!(kiritimati > pago_pago, "{kiritimati} vs {pago_pago}");

    let before = Timestamp::now().in_tz("Europe/Berlin").unwrap().date();
    let berlin = local_today(Some("Europe/Berlin")).unwrap();
    let after = Timestamp::now().in_tz("Europe/Berlin").unwrap().date();
    assert!(berlin == before || berlin == after);

    assert!(invalid_input(local_today(Some("Mars/Olympus_Mons"))).contains("Mars/Olympus_Mons"));
    // The system zone works here (the test machine has one).
    local_today(None).unwrap();
}

#[test]
fn start_times_across_dst_changes() {
    let body = br#"[
      {"id": "a", "date": "2026-03-28", "startTime": "2026-03-28T07:00:00+01:00", "timeZone": "Europe/Berlin"},
      {"id": "b", "date": "2026-03-29", "startTime": "2026-03-29T07:00:00+02:00", "timeZone": "Europe/Berlin"},
      {"id": "c", "date": "2026-03-30", "startTime": "2026-03-30T05:00:00Z", "timeZone": "Europe/Berlin"},
      {"id": "d", "date": "2026-03-31", "startTime": "2026-03-31T07:00:00", "timeZone": "Europe/Berlin"},
      {"id": "e", "date": "2026-10-24", "startTime": "2026-10-24T07:00:00+02:00", "timeZone": "Europe/Berlin"},
      {"id": "f", "date": "2026-10-25", "startTime": "2026-10-25T07:00:00+01:00", "timeZone": "Europe/Berlin"},
      {"id": "g", "date": "2026-10-25", "startTime": "2026-10-25T02:30:00+02:00", "timeZone": "Europe/Berlin"},
      {"id": "h", "date": "2026-10-25", "startTime": "2026-10-25T02:30:00+01:00", "timeZone": "Europe/Berlin"}
    ]"#;
    let p = parse_plans(body).unwrap();
    let utc = |s: &str| Some(s.parse::<Timestamp>().unwrap());
    let expected_utc = [
        "2026-03-28T06:00:00Z",
        "2026-03-29T05:00:00Z",
        "2026-03-30T05:00:00Z",
        "2026-03-31T05:00:00Z", // wall-clock time read in the plan's zone (CEST)
        "2026-10-24T05:00:00Z",
        "2026-10-25T06:00:00Z",
        "2026-10-25T00:30:00Z", // 02:30 happens twice on 25 October …
        "2026-10-25T01:30:00Z", // … an hour apart
    ];
    for (w, want) in p.iter().zip(expected_utc) {
        assert_eq!(w.start_time, utc(want), "{}", w.id);
    }

    let local: Vec<(i8, i8, i32)> = p
        .iter()
        .map(|w| {
            let z = w.local_start().unwrap();
            assert_eq!(z.time_zone().iana_name(), Some("Europe/Berlin"));
            assert_eq!(z.date(), w.date, "{}", w.id);
            (z.hour(), z.minute(), z.offset().seconds() / 3600)
        })
        .collect();
    assert_eq!(
        local,
        [
            (7, 0, 1),
            (7, 0, 2),
            (7, 0, 2),
            (7, 0, 2),
            (7, 0, 2),
            (7, 0, 1),
            (2, 30, 2),
            (2, 30, 1)
        ]
    );
}

#[test]
fn dates_are_the_athletes_local_dates_as_sent() {
    // 06:00 in Sydney on 2 April is still 1 April in UTC; the plan stays on 2 April.
    let p = parse_plans(
        br#"[{"id": "s", "date": "2026-04-02", "startTime": "2026-04-02T06:00:00+11:00",
              "timeZone": "Australia/Sydney"},
             {"id": "t", "date": "2026-04-03T00:00:00Z", "timeZone": "Australia/Sydney"}]"#,
    )
    .unwrap();
    assert_eq!(p[0].date, date(2026, 4, 2));
    assert_eq!(
        p[0].start_time,
        Some("2026-04-01T19:00:00Z".parse::<Timestamp>().unwrap())
    );
    assert_eq!(p[0].local_start().unwrap().date(), date(2026, 4, 2));
    assert_eq!(p[1].date, date(2026, 4, 3));

    // An unknown zone: the plan still parses, only local_start is unavailable.
    let p = parse_plans(
        br#"[{"id": "u", "date": "2026-04-02", "startTime": "2026-04-02T06:00:00Z",
              "timeZone": "Mars/Olympus_Mons"}]"#,
    )
    .unwrap();
    assert!(p[0].start_time.is_some());
    assert_eq!(p[0].local_start(), None);
}

// ---------------------------------------------------------------------------------------------
// Webhooks

#[test]
fn webhook_user_deregistered() {
    let e = parse_webhook(
        br#"{"type": "user.deregistered", "userId": "u-1", "occurredAt": "2026-03-29T01:30:00Z"}"#,
    );
    assert_eq!(
        e,
        WebhookEvent::UserDeregistered {
            user_id: "u-1".into(),
            occurred_at: Some("2026-03-29T01:30:00Z".parse().unwrap()),
        }
    );
    assert_eq!(e.user_id(), Some("u-1"));

    // `event` / `user_id` spellings, a numeric id, no timestamp.
    let e = parse_webhook(br#"{"event": "user.deregistered", "user_id": 1234}"#);
    assert_eq!(
        e,
        WebhookEvent::UserDeregistered {
            user_id: "1234".into(),
            occurred_at: None
        }
    );
}

#[test]
fn webhook_plan_changed() {
    let e = parse_webhook(
        br#"{"type": "plan.changed", "userId": "u-2", "occurredAt": "2026-10-25T02:30:00+01:00",
             "from": "2026-10-24", "to": "2026-10-30", "extra": [1, 2]}"#,
    );
    assert_eq!(
        e,
        WebhookEvent::PlanChanged {
            user_id: "u-2".into(),
            from: Some(date(2026, 10, 24)),
            to: Some(date(2026, 10, 30)),
            occurred_at: Some("2026-10-25T01:30:00Z".parse().unwrap()),
        }
    );
    let e = parse_webhook(br#"{"event": "plan_changed", "user_id": "u-2"}"#);
    assert_eq!(
        e,
        WebhookEvent::PlanChanged {
            user_id: "u-2".into(),
            from: None,
            to: None,
            occurred_at: None
        }
    );
    // A malformed optional field is dropped, not fatal.
    let e = parse_webhook(
        br#"{"type": "plan.changed", "userId": "u-2", "from": "next week", "occurredAt": 5}"#,
    );
    assert_eq!(
        e,
        WebhookEvent::PlanChanged {
            user_id: "u-2".into(),
            from: None,
            to: None,
            occurred_at: None
        }
    );

    // Serialized back in the wire's shape.
    let json = serde_json::to_value(parse_webhook(
        br#"{"type": "plan.changed", "userId": "u", "from": "2026-10-24"}"#,
    ))
    .unwrap();
    assert_eq!(json["type"], "plan.changed");
    assert_eq!(json["userId"], "u");
    assert_eq!(json["from"], "2026-10-24");
}

#[test]
fn unreadable_webhooks_are_unknown_never_errors() {
    let unknown = |body: &[u8]| match parse_webhook(body) {
        WebhookEvent::Unknown { raw } => raw,
        other => panic!("expected Unknown, got {other:?}"),
    };
    let body = br#"{"type": "user.renamed", "userId": "u"}"#;
    assert_eq!(unknown(body), String::from_utf8_lossy(body));
    assert_eq!(
        unknown(br#"{"type": "user.deregistered"}"#),
        r#"{"type": "user.deregistered"}"#
    );
    assert_eq!(
        unknown(br#"{"type": "user.deregistered", "userId": ""}"#),
        r#"{"type": "user.deregistered", "userId": ""}"#
    );
    assert_eq!(unknown(br#"{"userId": "u"}"#), r#"{"userId": "u"}"#);
    assert_eq!(unknown(b"{not json"), "{not json");
    assert_eq!(unknown(b""), "");
    assert_eq!(unknown(b"[]"), "[]");
    assert_eq!(unknown(b"\xFF\xFEjunk"), "\u{FFFD}\u{FFFD}junk");
    assert_eq!(parse_webhook(b"null").user_id(), None);
}
