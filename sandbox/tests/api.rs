//! Data endpoints, uploads, webhooks and the binary.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::routing::post;
use common::*;
use enduco_sandbox::fit::{self, ActivityFile, Corruption};
use enduco_sandbox::{Sandbox, SandboxConfig};
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

#[tokio::test]
async fn zones_for_the_default_user() {
    let sandbox = Sandbox::start().await.unwrap();
    let token = access_token(&sandbox, "user_read").await;
    let response = get_api(&sandbox, "/api/v1/zones", &token).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["userId"], "athlete-1001");
    assert!(
        body["updatedAt"]
            .as_str()
            .unwrap()
            .parse::<jiff::Timestamp>()
            .is_ok()
    );
    let sets = body["zones"].as_array().unwrap();
    let find = |sport: &str, metric: &str| {
        sets.iter()
            .find(|s| s["sport"] == sport && s["metric"] == metric)
            .unwrap_or_else(|| panic!("{sport} {metric}"))
    };
    let power = find("cycling", "power");
    assert_eq!(
        (power["threshold"].as_u64(), power["unit"].as_str()),
        (Some(250), Some("W"))
    );
    assert_eq!(power["zones"].as_array().unwrap().len(), 7);
    let hr = find("cycling", "heart_rate");
    assert_eq!(
        (hr["threshold"].as_u64(), hr["unit"].as_str()),
        (Some(165), Some("bpm"))
    );
    assert_eq!(hr["zones"].as_array().unwrap().len(), 5);
    let run = find("running", "pace");
    assert_eq!(
        (run["threshold"].as_u64(), run["unit"].as_str()),
        (Some(270), Some("s/km"))
    );
    find("running", "heart_rate");
    let swim = find("swimming", "pace");
    assert_eq!(
        (swim["threshold"].as_u64(), swim["unit"].as_str()),
        (Some(95), Some("s/100m"))
    );
    for set in sets {
        for (i, z) in set["zones"].as_array().unwrap().iter().enumerate() {
            assert_eq!(z["index"].as_u64(), Some(i as u64 + 1));
            assert!(z["name"].is_string());
            if let (Some(l), Some(u)) = (z["lower"].as_f64(), z["upper"].as_f64()) {
                assert!(l <= u);
            }
        }
    }
}

#[tokio::test]
async fn plans_window_and_content() {
    let sandbox = Sandbox::start().await.unwrap();
    let token = access_token(&sandbox, "plans_read").await;

    // Monday 2025-03-24 .. Sunday 2025-03-30: DST starts on the Sunday.
    let response = get_api(
        &sandbox,
        "/api/v1/plans?from=2025-03-24&to=2025-03-30",
        &token,
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let items: Vec<Value> = response.json().await.unwrap();
    assert_eq!(items.len(), 7);
    let dates: Vec<&str> = items.iter().map(|i| i["date"].as_str().unwrap()).collect();
    assert_eq!(dates[0], "2025-03-24");
    assert_eq!(dates[6], "2025-03-30");
    for item in &items {
        assert_eq!(item["timeZone"], "Europe/Berlin");
        assert!(item["steps"].is_array());
        assert!(item["id"].as_str().is_some_and(|id| !id.is_empty()));
    }
    let (monday, tuesday, thursday, friday, sunday) =
        (&items[0], &items[1], &items[3], &items[4], &items[6]);
    for rest in [monday, friday] {
        assert_eq!(rest["sport"], "other");
        assert_eq!(rest["title"], "Rest day");
        assert_eq!(rest["steps"], json!([]));
    }
    assert_eq!(tuesday["sport"], "cycling");
    assert_eq!(tuesday["startTime"], "2025-03-25T18:00:00+01:00");
    let repeat = tuesday["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == "repeat")
        .expect("a repeat step");
    assert_eq!(repeat["repeat"]["count"], 5);
    let active = &repeat["repeat"]["steps"][0];
    assert_eq!(active["durationSeconds"], 240);
    assert_eq!(active["target"]["metric"], "power");
    assert_eq!(active["target"]["zone"], 4);
    assert_eq!(items[2]["sport"], "running");
    assert_eq!(thursday["sport"], "swimming");
    assert!(thursday["steps"][0]["distanceMeters"].is_u64());
    assert_eq!(items[5]["sport"], "cycling");
    assert_eq!(sunday["sport"], "running");
    assert_eq!(sunday["startTime"], "2025-03-30T09:00:00+02:00");

    // Ids are stable.
    let again: Vec<Value> = get_api(
        &sandbox,
        "/api/v1/plans?from=2025-03-25&to=2025-03-25",
        &token,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(again[0]["id"], tuesday["id"]);

    for query in [
        "from=2025-03-24&to=2025-03-31",
        "from=2025-03-24",
        "to=2025-03-24",
        "",
        "from=2025-03-25&to=2025-03-24",
        "from=24.03.2025&to=2025-03-25",
    ] {
        let response = get_api(&sandbox, &format!("/api/v1/plans?{query}"), &token).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{query}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "invalid_request");
        assert!(body["error_description"].is_string());
    }
}

fn fit_form(bytes: Vec<u8>) -> Form {
    Form::new().part(
        "file",
        Part::bytes(bytes)
            .file_name("ride.fit")
            .mime_str("application/vnd.ant.fit")
            .unwrap(),
    )
}

async fn upload(sandbox: &Sandbox, token: &str, form: Form) -> reqwest::Response {
    client()
        .post(format!("{}/api/v1/workouts", sandbox.url()))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn upload_created_then_conflict() {
    let sandbox = Sandbox::start().await.unwrap();
    let token = access_token(&sandbox, "workouts_write").await;
    let bytes = ActivityFile::new(1).to_bytes();

    let response = upload(&sandbox, &token, fit_form(bytes.clone())).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["status"], "processing");
    let id = created["id"].as_str().unwrap().to_owned();

    let response = upload(&sandbox, &token, fit_form(bytes)).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let conflict: Value = response.json().await.unwrap();
    assert_eq!(conflict["id"], id);

    let other = upload(&sandbox, &token, fit_form(ActivityFile::new(2).to_bytes())).await;
    assert_eq!(other.status(), StatusCode::CREATED);

    // Uploads are per user: another user's identical file is new.
    let code = {
        let response = client()
            .get(authorize_url(
                &sandbox,
                &[
                    ("response_type", "code"),
                    ("client_id", CLIENT_ID),
                    ("redirect_uri", LOOPBACK_REDIRECT),
                    ("scope", "workouts_write"),
                    ("login_hint", "athlete-2002"),
                ],
            ))
            .send()
            .await
            .unwrap();
        param(&location_params(&response), "code")
            .unwrap()
            .to_owned()
    };
    let tokens: Value = token_request(
        &sandbox,
        &[
            ("grant_type", "code"),
            ("code", &code),
            ("redirect_uri", LOOPBACK_REDIRECT),
        ],
    )
    .await
    .json()
    .await
    .unwrap();
    let response = upload(
        &sandbox,
        tokens["access_token"].as_str().unwrap(),
        fit_form(ActivityFile::new(1).to_bytes()),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn upload_rejects_each_corruption_with_its_reason() {
    let sandbox = Sandbox::start().await.unwrap();
    let token = access_token(&sandbox, "workouts_write").await;
    let valid = ActivityFile::new(9).to_bytes();
    for how in Corruption::ALL {
        let response = upload(&sandbox, &token, fit_form(fit::corrupt(&valid, how))).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{how:?}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "invalid_fit", "{how:?}");
        let description = body["error_description"].as_str().unwrap();
        assert!(
            description.starts_with(how.error_prefix()),
            "{how:?}: {description}"
        );
    }
}

#[tokio::test]
async fn upload_request_errors() {
    let sandbox = Sandbox::start().await.unwrap();
    let token = access_token(&sandbox, "workouts_write").await;
    let bytes = ActivityFile::new(1).to_bytes();

    let wrong_type = Form::new().part(
        "file",
        Part::bytes(bytes.clone()).mime_str("text/plain").unwrap(),
    );
    assert_eq!(
        upload(&sandbox, &token, wrong_type).await.status(),
        StatusCode::BAD_REQUEST
    );

    let wrong_name = Form::new().part(
        "upload",
        Part::bytes(bytes.clone())
            .mime_str("application/vnd.ant.fit")
            .unwrap(),
    );
    let response = upload(&sandbox, &token, wrong_name).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");

    let response = client()
        .post(format!("{}/api/v1/workouts", sandbox.url()))
        .bearer_auth(&token)
        .body(bytes.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);

    // Scope check.
    let read_only = access_token(&sandbox, "user_read").await;
    let response = upload(&sandbox, &read_only, fit_form(bytes)).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_upload_is_streamed() {
    let sandbox = Sandbox::start().await.unwrap();
    let token = access_token(&sandbox, "workouts_write").await;
    // 24 MB, streamed from the generator on the client side too.
    let file = ActivityFile::new(77).target_size(24_000_000);
    let bytes = file.to_bytes();
    assert!(
        bytes.len() > 2 * 1024 * 1024,
        "above axum's default body limit"
    );
    let response = upload(&sandbox, &token, fit_form(bytes)).await;
    assert_eq!(response.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn webhooks_are_delivered() {
    // A receiver standing in for the provider's backend.
    let received: Arc<Mutex<Vec<Value>>> = Arc::default();
    let sink = received.clone();
    let receiver = axum::Router::new()
        .route(
            "/deregister",
            post(move |Json(body): Json<Value>| {
                let sink = sink.clone();
                async move {
                    sink.lock().unwrap().push(body);
                    StatusCode::NO_CONTENT
                }
            }),
        )
        .route(
            "/plans",
            post(|| async { StatusCode::INTERNAL_SERVER_ERROR }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let receiver_url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, receiver).await });

    let sandbox = Sandbox::start().await.unwrap();
    let tokens = tokens(&sandbox, "user_read").await;

    // Not configured yet.
    let response = client()
        .post(format!("{}/_sandbox/webhooks/send", sandbox.url()))
        .json(&json!({"type": "user.deregistered"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);

    control(
        &sandbox,
        "webhooks/config",
        json!({"deregisterUrl": format!("{receiver_url}/deregister"), "planChangedUrl": format!("{receiver_url}/plans")}),
    )
    .await;
    let result = control(
        &sandbox,
        "webhooks/send",
        json!({"type": "user.deregistered"}),
    )
    .await;
    assert_eq!(result, json!({"delivered": true, "status": 204}));
    {
        let got = received.lock().unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0]["type"], "user.deregistered");
        assert_eq!(got[0]["userId"], "athlete-1001");
        assert!(
            got[0]["occurredAt"]
                .as_str()
                .unwrap()
                .parse::<jiff::Timestamp>()
                .is_ok()
        );
    }
    // The user's tokens were revoked first.
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(
        get_api(&sandbox, "/api/v1/zones", access).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let response = refresh(&sandbox, tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);

    let result = control(
        &sandbox,
        "webhooks/send",
        json!({"type": "plan.changed", "userId": "athlete-1001", "from": "2025-03-24", "to": "2025-03-30"}),
    )
    .await;
    assert_eq!(result, json!({"delivered": false, "status": 500}));

    // Nobody listening.
    control(
        &sandbox,
        "webhooks/config",
        json!({"planChangedUrl": "http://127.0.0.1:9/none"}),
    )
    .await;
    let result = control(&sandbox, "webhooks/send", json!({"type": "plan.changed"})).await;
    assert_eq!(result["delivered"], false);
    assert!(result["status"].is_null());
}

#[tokio::test]
async fn custom_default_user_and_unknown_paths() {
    let sandbox = Sandbox::start_with(SandboxConfig {
        default_user: "someone".into(),
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let token = access_token(&sandbox, "user_read").await;
    let body: Value = get_api(&sandbox, "/api/v1/zones", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["userId"], "someone");
    assert_eq!(body["zones"][0]["threshold"], 250);

    let response = client()
        .get(format!("{}/api/v2/nothing", sandbox.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let response = client()
        .get(format!("{}/_sandbox/nothing", sandbox.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    // Unknown API paths are logged; control calls, known or not, are not.
    let log = request_log(&sandbox).await;
    let last = log.last().unwrap();
    assert_eq!(
        (last["path"].as_str(), last["status"].as_u64()),
        (Some("/api/v2/nothing"), Some(404))
    );
    assert!(
        log.iter()
            .all(|e| !e["path"].as_str().unwrap().starts_with("/_sandbox"))
    );
}

#[test]
fn binary_prints_listening_line_and_writes_fit_fixtures() {
    let exe = env!("CARGO_BIN_EXE_enduco-sandbox");

    let mut child = Command::new(exe)
        .args(["--port", "0", "--no-rotation"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim_end()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    assert!(url.starts_with("http://127.0.0.1:") && !url.ends_with('/'));
    let jwks = std::net::TcpStream::connect(url.trim_start_matches("http://"));
    assert!(jwks.is_ok());
    child.kill().unwrap();
    child.wait().unwrap();

    let dir = std::env::temp_dir().join(format!("enduco-sandbox-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("ride.fit");
    let status = Command::new(exe)
        .args([
            "fit",
            "--out",
            out.to_str().unwrap(),
            "--seed",
            "5",
            "--records",
            "100",
        ])
        .status()
        .unwrap();
    assert!(status.success());
    let bytes = std::fs::read(&out).unwrap();
    assert_eq!(bytes, ActivityFile::new(5).records(100).to_bytes());
    fit::validate(&bytes).unwrap();

    for (name, how) in [
        ("truncated", Corruption::Truncated),
        ("data-size-mismatch", Corruption::DataSizeMismatch),
    ] {
        let status = Command::new(exe)
            .args(["fit", "--out", out.to_str().unwrap(), "--corrupt", name])
            .status()
            .unwrap();
        assert!(status.success());
        let err = fit::validate(&std::fs::read(&out).unwrap()).unwrap_err();
        assert!(err.starts_with(how.error_prefix()), "{err}");
    }

    let status = Command::new(exe)
        .args(["fit", "--out", out.to_str().unwrap(), "--size", "50000"])
        .status()
        .unwrap();
    assert!(status.success());
    let len = std::fs::metadata(&out).unwrap().len();
    assert!(len.abs_diff(50_000) < 14, "{len}");
    std::fs::remove_dir_all(&dir).unwrap();
}
