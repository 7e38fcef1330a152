//! The data API against the sandbox: zones, plans, uploads, scope checks, webhooks.

mod common;

use std::sync::{Arc, Mutex};

use common::Harness;
use enduco::FitSummary;
use enduco::{Error, Metric, Scope, Sport, StepKind, UploadOptions, WebhookEvent};
use enduco_sandbox::fit::{ActivityFile, Corruption, corrupt};
use jiff::civil::date;
use serde_json::json;

#[tokio::test]
async fn zones_are_typed_per_sport_and_metric() {
    let h = Harness::start().await;
    let (session, _) = h.session().await;
    let zones = session.intensity_zones().await.unwrap();
    assert_eq!(zones.user_id, "athlete-1001");
    let power = zones
        .for_sport(Sport::Cycling, Metric::Power)
        .expect("cycling power zones");
    assert_eq!(power.threshold, Some(250.0));
    assert_eq!(power.unit, "W");
    assert_eq!(power.zones.len(), 7);
    for (sport, metric) in [
        (Sport::Cycling, Metric::HeartRate),
        (Sport::Running, Metric::Pace),
        (Sport::Running, Metric::HeartRate),
        (Sport::Swimming, Metric::Pace),
    ] {
        assert!(
            zones.for_sport(sport, metric).is_some(),
            "{sport:?} {metric:?}"
        );
    }
}

#[tokio::test]
async fn a_week_of_plans_with_rest_days_repeats_and_resolved_targets() {
    let h = Harness::start_with(Default::default(), |c| {
        c.time_zone = Some("Europe/Berlin".into())
    })
    .await;
    let (session, _) = h.session().await;
    let plans = session.upcoming_plans(7).await.unwrap();
    let today = jiff::Zoned::now()
        .with_time_zone(jiff::tz::TimeZone::get("Europe/Berlin").unwrap())
        .date();
    let dates: std::collections::BTreeSet<_> = plans.iter().map(|p| p.date).collect();
    assert_eq!(dates.len(), 7);
    assert_eq!(
        *dates.first().unwrap(),
        today,
        "the window starts on the athlete's local today"
    );
    assert!(
        plans.iter().any(|p| p.is_rest_day()),
        "rest days are part of the week"
    );

    let zones = session.intensity_zones().await.unwrap();
    let intervals = plans
        .iter()
        .find(|p| p.steps.iter().any(|s| s.repeat.is_some()) && p.sport == Sport::Cycling)
        .expect("a bike session with repeats");
    let timeline = intervals.timeline(Some(&zones));
    assert!(
        timeline.len() > intervals.steps.len(),
        "repeats are expanded"
    );
    let work = timeline
        .iter()
        .find(|s| s.kind == StepKind::Active)
        .unwrap();
    let watts = work
        .resolved
        .as_ref()
        .expect("zone target resolved to absolute bounds");
    assert_eq!(watts.unit, "W");
    assert!(
        watts.lower.unwrap() > 100.0 && watts.upper.unwrap() < 400.0,
        "{watts:?}"
    );
}

#[tokio::test]
async fn plan_windows_are_checked_before_any_request() {
    let h = Harness::start().await;
    let (session, _) = h.session().await;
    let before = h.requests().await.len();
    let err = session
        .training_plans(date(2026, 3, 1), date(2026, 3, 8))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_input", "8 days: {err}");
    let err = session
        .training_plans(date(2026, 3, 8), date(2026, 3, 1))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_input", "reversed: {err}");
    for days in [0, 8] {
        assert_eq!(
            session.upcoming_plans(days).await.unwrap_err().code(),
            "invalid_input"
        );
    }
    assert_eq!(h.requests().await.len(), before, "nothing was sent");
    assert_eq!(
        session
            .training_plans(date(2026, 3, 1), date(2026, 3, 7))
            .await
            .unwrap()
            .len(),
        7
    );
}

#[tokio::test]
async fn plans_across_the_spring_dst_change_in_berlin() {
    let h = Harness::start().await;
    let (session, _) = h.session().await;
    // Clocks go forward on Sunday 29 March 2026.
    let plans = session
        .training_plans(date(2026, 3, 26), date(2026, 4, 1))
        .await
        .unwrap();
    let dates: Vec<_> = plans.iter().map(|p| p.date).collect();
    assert!(dates.contains(&date(2026, 3, 29)), "{dates:?}");
    for plan in plans.iter().filter(|p| p.start_time.is_some()) {
        let local = plan.local_start().unwrap();
        assert_eq!(
            local.date(),
            plan.date,
            "start time falls on the plan's local date"
        );
        let offset_hours = local.offset().seconds() / 3600;
        let expected = if plan.date < date(2026, 3, 29) { 1 } else { 2 };
        assert_eq!(offset_hours, expected, "{} {}", plan.date, local);
    }
}

#[tokio::test]
async fn missing_scopes_are_refused_before_any_request() {
    let h = Harness::start().await;
    let (session, _) = h.session_with(&[Scope::UserRead]).await;
    let before = h.requests().await.len();
    let err = session.upcoming_plans(3).await.unwrap_err();
    assert!(
        matches!(&err, Error::InsufficientScope { missing } if missing == &["plans_read"]),
        "{err}"
    );
    let err = session
        .upload_workout(ActivityFile::new(1).to_bytes(), UploadOptions::default())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::InsufficientScope { missing } if missing == &["workouts_write"]),
        "{err}"
    );
    assert_eq!(h.requests().await.len(), before);
}

#[tokio::test]
async fn upload_then_duplicate() {
    let h = Harness::start().await;
    let (session, _) = h.session().await;
    let bytes = ActivityFile::new(2024).records(1200).to_bytes();
    let first = session
        .upload_workout(bytes.clone(), UploadOptions::default())
        .await
        .unwrap();
    assert!(!first.duplicate);
    assert!(!first.id.is_empty());
    let again = session
        .upload_workout(bytes, UploadOptions::default())
        .await
        .unwrap();
    assert!(
        again.duplicate,
        "409 is reported as a duplicate, not an error"
    );
    assert_eq!(again.id, first.id);
    let other = session
        .upload_workout(ActivityFile::new(2025).to_bytes(), UploadOptions::default())
        .await
        .unwrap();
    assert!(!other.duplicate);
    assert_ne!(other.id, first.id);
}

#[tokio::test]
async fn upload_from_a_path_reports_monotonic_progress_to_the_file_size() {
    let h = Harness::start().await;
    let (session, _) = h.session().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ride.fit");
    let size = ActivityFile::new(77)
        .target_size(3_000_000)
        .write_to(std::fs::File::create(&path).unwrap())
        .unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let options = UploadOptions {
        progress: Some(Arc::new(move |sent: u64, total: u64| {
            sink.lock().unwrap().push((sent, total))
        })),
        ..UploadOptions::default()
    };
    let result = session
        .upload_workout(path.as_path(), options)
        .await
        .unwrap();
    assert!(!result.duplicate);
    let seen = seen.lock().unwrap();
    assert!(
        seen.len() > 10,
        "progress arrives in chunks: {}",
        seen.len()
    );
    assert!(seen.windows(2).all(|w| w[0].0 <= w[1].0), "monotonic");
    assert!(seen.iter().all(|&(_, total)| total == size));
    assert_eq!(seen.last().unwrap().0, size, "ends at the file size");
}

/// The file is checked, then read again to stream it: if it changes in between (another
/// process still writing it), the upload stops with a typed error and enduco keeps nothing.
#[tokio::test]
async fn a_file_that_changes_between_check_and_send_is_refused() {
    let h = Harness::start().await;
    let (session, _) = h.session().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ride.fit");
    let original = ActivityFile::new(91).target_size(400_000).to_bytes();
    let other = ActivityFile::new(92).target_size(400_000).to_bytes();
    for replacement in [other.clone(), other[..other.len() / 2].to_vec()] {
        std::fs::write(&path, &original).unwrap();
        let target = path.clone();
        let rewritten = Arc::new(Mutex::new(false));
        let once = rewritten.clone();
        // Progress 0 is reported after the check and before the body is read.
        let options = UploadOptions {
            progress: Some(Arc::new(move |sent: u64, _total: u64| {
                let mut done = once.lock().unwrap();
                if sent == 0 && !*done {
                    std::fs::write(&target, &replacement).unwrap();
                    *done = true;
                }
            })),
            ..UploadOptions::default()
        };
        let err = session
            .upload_workout(path.as_path(), options)
            .await
            .unwrap_err();
        assert!(*rewritten.lock().unwrap());
        assert_eq!(err.code(), "invalid_input", "{err}");
        assert!(
            err.to_string()
                .contains("changed while it was being uploaded"),
            "{err}"
        );
    }
    // enduco stored neither: both files upload as new.
    for bytes in [original, other] {
        let result = session
            .upload_workout(bytes, UploadOptions::default())
            .await
            .unwrap();
        assert!(
            !result.duplicate,
            "nothing was stored from the cut-off upload"
        );
    }
}

#[tokio::test]
async fn every_fit_defect_is_named_and_nothing_is_sent() {
    let h = Harness::start().await;
    let (session, _) = h.session().await;
    let valid = ActivityFile::new(5).to_bytes();
    let cases = [
        (Corruption::Empty, "empty"),
        (Corruption::Truncated, "truncated"),
        (Corruption::WrongSignature, "not a FIT file"),
        (Corruption::BadHeaderCrc, "FIT header CRC mismatch"),
        (Corruption::BadFileCrc, "FIT CRC mismatch"),
        (Corruption::NotActivity, "expected 4 (activity)"),
        (Corruption::DataSizeMismatch, "data size mismatch"),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (i, (corruption, defect)) in cases.into_iter().enumerate() {
        let bytes = corrupt(&valid, corruption);
        let err = session
            .upload_workout(bytes.clone(), UploadOptions::default())
            .await
            .unwrap_err();
        assert_eq!(err.code(), "invalid_input", "{corruption:?}");
        assert!(err.to_string().contains(defect), "{corruption:?}: {err}");
        // The streaming path check agrees with the in-memory one.
        let path = dir.path().join(format!("bad-{i}.fit"));
        std::fs::write(&path, &bytes).unwrap();
        let err = session
            .upload_workout(path.as_path(), UploadOptions::default())
            .await
            .unwrap_err();
        assert!(
            err.to_string().contains(defect),
            "{corruption:?} from a path: {err}"
        );
    }
    let missing = session
        .upload_workout(
            dir.path().join("nope.fit").as_path(),
            UploadOptions::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(missing.code(), "invalid_input");
    assert_eq!(
        h.count("POST", "/api/v1/workouts").await,
        0,
        "no defective byte left the client"
    );
}

#[tokio::test]
async fn an_upload_that_may_have_reached_the_server_is_not_retried() {
    let h = Harness::start().await;
    let (session, _) = h.session().await;
    h.fault("/api/v1/workouts", 1, "reset", json!({})).await;
    let bytes = ActivityFile::new(9).to_bytes();
    let err = session
        .upload_workout(bytes.clone(), UploadOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "network", "{err}");
    assert_eq!(
        h.count("POST", "/api/v1/workouts").await,
        1,
        "not repeated blindly"
    );
    h.fault("/api/v1/workouts", 1, "status", json!({"status": 503}))
        .await;
    assert!(matches!(
        session
            .upload_workout(bytes.clone(), UploadOptions::default())
            .await,
        Err(Error::Server { status: 503 })
    ));
    let ok = session
        .upload_workout(bytes, UploadOptions::default())
        .await
        .unwrap();
    assert!(!ok.duplicate, "the reset upload was never stored");
}

#[tokio::test]
async fn a_401_during_upload_refreshes_and_replays_the_stream() {
    let h = Harness::start().await;
    let (session, _) = h.session().await;
    h.expire_access_tokens().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ride.fit");
    ActivityFile::new(31)
        .write_to(std::fs::File::create(&path).unwrap())
        .unwrap();
    let result = session
        .upload_workout(path.as_path(), UploadOptions::default())
        .await
        .unwrap();
    assert!(!result.duplicate);
    let statuses: Vec<_> = h
        .requests()
        .await
        .into_iter()
        .filter(|r| r.path == "/api/v1/workouts")
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [401, 201]);
}

#[tokio::test]
async fn fit_summary_of_a_generated_activity() {
    let bytes = ActivityFile::new(3).records(10).to_bytes();
    let summary: FitSummary = enduco::check_fit(&bytes).unwrap();
    assert_eq!(summary.file_type, 4);
    assert_eq!(summary.file_size, bytes.len() as u64);
}

#[tokio::test]
async fn a_deregistration_webhook_clears_the_users_tokens() {
    let h = Harness::start().await;
    let (session, store) = h.session().await;

    // The app's webhook endpoint.
    let received = Arc::new(tokio::sync::Mutex::new(Vec::<Vec<u8>>::new()));
    let sink = received.clone();
    let app = axum::Router::new().route(
        "/hooks/enduco",
        axum::routing::post(move |body: axum::body::Bytes| {
            let sink = sink.clone();
            async move {
                sink.lock().await.push(body.to_vec());
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/hooks/enduco", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    h.control(
        "/_sandbox/webhooks/config",
        json!({"deregisterUrl": hook, "planChangedUrl": hook}),
    )
    .await;
    let sent = h.control("/_sandbox/webhooks/send", json!({"type": "plan.changed", "userId": "athlete-1001", "from": "2026-03-02", "to": "2026-03-04"})).await;
    assert_eq!(sent["delivered"], true);
    let sent = h
        .control(
            "/_sandbox/webhooks/send",
            json!({"type": "user.deregistered", "userId": "athlete-1001"}),
        )
        .await;
    assert_eq!(sent["delivered"], true);

    let bodies = received.lock().await.clone();
    assert_eq!(bodies.len(), 2);
    let changed = h.client.parse_webhook(&bodies[0]);
    assert!(
        matches!(&changed, WebhookEvent::PlanChanged { user_id, from: Some(f), to: Some(t), .. }
            if user_id == "athlete-1001" && *f == date(2026, 3, 2) && *t == date(2026, 3, 4)),
        "{changed:?}"
    );
    assert_eq!(
        h.client
            .clear_deregistered_user(&changed, |_| panic!("not a deregistration"))
            .await
            .unwrap(),
        None
    );

    let event = h.client.parse_webhook(&bodies[1]);
    let store_for_user = store.clone();
    let cleared = h
        .client
        .clear_deregistered_user(&event, |user| {
            assert_eq!(user, "athlete-1001");
            Some(store_for_user as Arc<dyn enduco::TokenStore>)
        })
        .await
        .unwrap();
    assert_eq!(cleared.as_deref(), Some("athlete-1001"));
    assert!(store.get().is_none());
    // enduco revoked the grant too: the session's in-memory tokens no longer work.
    let err = session.refresh().await.unwrap_err();
    assert_eq!(err.code(), "reauthorization_required");
}

/// Anyone can POST to a webhook URL: a deregistration enduco does not confirm (the grant still
/// refreshes) clears nothing, and the user's session keeps working.
#[tokio::test]
async fn a_forged_deregistration_clears_nothing() {
    let h = Harness::start().await;
    let (session, store) = h.session().await;
    let forged = h
        .client
        .parse_webhook(br#"{"type":"user.deregistered","userId":"athlete-1001"}"#);
    let cleared = h
        .client
        .clear_deregistered_user(&forged, |_| {
            Some(store.clone() as Arc<dyn enduco::TokenStore>)
        })
        .await
        .unwrap();
    assert_eq!(cleared, None, "not confirmed by enduco");
    assert!(store.get().is_some(), "the tokens are still there");
    session.intensity_zones().await.expect("and still work");
}
