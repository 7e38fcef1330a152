//! Fault injection and the request log, checked from the client's side of a real socket.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::*;
use enduco_sandbox::{RefreshReuse, Sandbox, SandboxConfig};
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn status_fault_with_retry_after_for_count_requests() {
    let sandbox = Sandbox::start().await.unwrap();
    let token = access_token(&sandbox, "user_read").await;
    fault(
        &sandbox,
        json!({"path": "/api/v1/zones", "count": 2, "kind": "status", "status": 503, "retryAfter": 3}),
    )
    .await;
    for _ in 0..2 {
        let response = get_api(&sandbox, "/api/v1/zones?ignored=query", &token).await;
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()["retry-after"], "3");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body, json!({"error": "sandbox_fault"}));
    }
    assert_eq!(
        get_api(&sandbox, "/api/v1/zones", &token).await.status(),
        StatusCode::OK
    );

    // Other paths are untouched; a fault on the token endpoint hits token requests.
    fault(
        &sandbox,
        json!({"path": "/oauth2/token", "kind": "status", "status": 429}),
    )
    .await;
    let response = refresh(&sandbox, "whatever").await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().get("retry-after").is_none());
}

#[tokio::test]
async fn delay_fault_then_normal_handling() {
    let sandbox = Sandbox::start().await.unwrap();
    let token = access_token(&sandbox, "user_read").await;
    fault(
        &sandbox,
        json!({"path": "/api/v1/zones", "kind": "delay", "delayMs": 300}),
    )
    .await;
    let started = Instant::now();
    let response = get_api(&sandbox, "/api/v1/zones", &token).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn reset_fault_is_a_connection_error() {
    let sandbox = Sandbox::start().await.unwrap();
    let token = access_token(&sandbox, "user_read").await;
    fault(&sandbox, json!({"path": "/api/v1/zones", "kind": "reset"})).await;
    let error = client()
        .get(format!("{}/api/v1/zones", sandbox.url()))
        .bearer_auth(&token)
        .send()
        .await
        .expect_err("a reset connection cannot produce a response");
    assert!(error.is_request() || error.is_connect(), "{error:?}");
    assert!(error.status().is_none());

    // Raw socket view: no HTTP bytes at all, then a reset (or at least EOF).
    fault(&sandbox, json!({"path": "/api/v1/zones", "kind": "reset"})).await;
    let addr = sandbox.addr();
    let outcome = tokio::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        stream
            .write_all(b"GET /api/v1/zones HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let mut buf = Vec::new();
        let result = stream.read_to_end(&mut buf);
        (result.map_err(|e| e.kind()), buf)
    })
    .await
    .unwrap();
    assert!(
        outcome.1.is_empty(),
        "got bytes: {:?}",
        String::from_utf8_lossy(&outcome.1)
    );
    assert_eq!(outcome.0, Err(std::io::ErrorKind::ConnectionReset));

    // The next request works normally.
    assert_eq!(
        get_api(&sandbox, "/api/v1/zones", &token).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn truncate_fault_cuts_the_body() {
    let sandbox = Sandbox::start().await.unwrap();
    fault(
        &sandbox,
        json!({"path": "/oauth2/jwks", "kind": "truncate"}),
    )
    .await;
    let response = client()
        .get(format!("{}/oauth2/jwks", sandbox.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let announced = response.content_length().unwrap();
    let error = response.bytes().await.expect_err("the body is cut short");
    assert!(error.is_body() || error.is_decode(), "{error:?}");
    assert!(announced > 0);

    // Raw socket view: headers with Content-Length N, fewer than N body bytes, then EOF.
    fault(
        &sandbox,
        json!({"path": "/oauth2/jwks", "kind": "truncate"}),
    )
    .await;
    let addr = sandbox.addr();
    let raw = tokio::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        stream
            .write_all(b"GET /oauth2/jwks HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let mut buf = Vec::new();
        let _ = stream.read_to_end(&mut buf);
        buf
    })
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").expect("headers arrived");
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        !body.is_empty() && body.len() < length,
        "{} of {length}",
        body.len()
    );
}

#[tokio::test]
async fn malformed_and_html_faults() {
    let sandbox = Sandbox::start().await.unwrap();
    fault(
        &sandbox,
        json!({"path": "/oauth2/token", "kind": "malformed"}),
    )
    .await;
    let response = refresh(&sandbox, "x").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/json");
    let text = response.text().await.unwrap();
    assert!(serde_json::from_str::<Value>(&text).is_err());

    fault(&sandbox, json!({"path": "/oauth2/token", "kind": "html"})).await;
    let response = refresh(&sandbox, "x").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(response.text().await.unwrap().contains("<html"));

    fault(
        &sandbox,
        json!({"path": "/oauth2/token", "kind": "html", "status": 511}),
    )
    .await;
    assert_eq!(
        refresh(&sandbox, "x").await.status(),
        StatusCode::NETWORK_AUTHENTICATION_REQUIRED
    );
}

#[tokio::test]
async fn bad_fault_requests_are_refused() {
    let sandbox = Sandbox::start().await.unwrap();
    for body in [
        json!({"path": "/x", "kind": "explode"}),
        json!({"path": "/x", "kind": "status"}),
        json!({"path": "/x", "kind": "delay"}),
        json!({"path": "/x", "kind": "status", "status": 503, "delay_ms": 5}),
        json!({"path": "x", "kind": "reset"}),
        json!({"path": "/x", "kind": "reset", "count": 0}),
    ] {
        let response = client()
            .post(format!("{}/_sandbox/faults", sandbox.url()))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{body}");
    }
}

#[tokio::test]
async fn request_log_has_no_secrets() {
    let sandbox = Sandbox::start().await.unwrap();
    let tokens = tokens(&sandbox, "user_read").await;
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    let access = tokens["access_token"].as_str().unwrap();
    refresh(&sandbox, refresh_token).await;
    get_api(&sandbox, "/api/v1/zones", access).await;
    fault(&sandbox, json!({"path": "/api/v1/zones", "kind": "reset"})).await;
    let _ = client()
        .get(format!("{}/api/v1/zones", sandbox.url()))
        .send()
        .await;

    let log = request_log(&sandbox).await;
    let summary: Vec<(String, String, Option<String>, Option<u64>)> = log
        .iter()
        .map(|e| {
            (
                e["method"].as_str().unwrap().to_owned(),
                e["path"].as_str().unwrap().to_owned(),
                e["grantType"].as_str().map(str::to_owned),
                e["status"].as_u64(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("GET".into(), "/oauth2/authorize".into(), None, Some(302)),
            (
                "POST".into(),
                "/oauth2/token".into(),
                Some("authorization_code".into()),
                Some(200)
            ),
            (
                "POST".into(),
                "/oauth2/token".into(),
                Some("refresh_token".into()),
                Some(200)
            ),
            ("GET".into(), "/api/v1/zones".into(), None, Some(200)),
            ("GET".into(), "/api/v1/zones".into(), None, Some(0)),
        ]
    );
    assert_eq!(log[4]["fault"], "reset");
    let text = serde_json::to_string(&log).unwrap();
    for secret in [refresh_token, access, CLIENT_SECRET] {
        assert!(!text.contains(secret));
    }
    assert!(!text.contains("code="));
}

#[tokio::test]
async fn control_api_rejects_bad_json() {
    let sandbox = Sandbox::start().await.unwrap();
    let response = client()
        .post(format!("{}/_sandbox/rotation", sandbox.url()))
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let response = client()
        .post(format!("{}/_sandbox/grant-types", sandbox.url()))
        .json(&json!({"accept": "implicit"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

async fn log_for(sandbox: &Sandbox, path: &str) -> Vec<Value> {
    let response = client()
        .get(format!("{}/_sandbox/requests", sandbox.url()))
        .query(&[("path", path)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

/// Polls the request log of `path` until `done` holds for it (at most 10 s).
async fn wait_for_log(sandbox: &Sandbox, path: &str, done: impl Fn(&[Value]) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done(&log_for(sandbox, path).await) {
        assert!(Instant::now() < deadline, "the log never got there");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn delay_ms_combines_with_any_fault_kind() {
    let sandbox = Sandbox::start().await.unwrap();
    let token = access_token(&sandbox, "user_read").await;
    fault(
        &sandbox,
        json!({"path": "/api/v1/zones", "kind": "status", "status": 500, "delayMs": 2000}),
    )
    .await;
    let delayed = tokio::spawn({
        let url = format!("{}/api/v1/zones", sandbox.url());
        let token = token.clone();
        async move {
            let response = client().get(url).bearer_auth(token).send().await.unwrap();
            let status = response.status();
            (status, response.json::<Value>().await.unwrap())
        }
    });
    // Once the delayed request has arrived (logged, no status yet), another one overtakes it.
    wait_for_log(&sandbox, "/api/v1/zones", |log| log.len() == 1).await;
    assert_eq!(
        get_api(&sandbox, "/api/v1/zones", &token).await.status(),
        StatusCode::OK
    );
    assert!(
        !delayed.is_finished(),
        "the faulted request is still waiting"
    );
    let (status, body) = delayed.await.unwrap();
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body, json!({"error": "sandbox_fault"}));
    let log = log_for(&sandbox, "/api/v1/zones").await;
    assert_eq!(log[0]["status"], 500);
    assert_eq!(log[0]["fault"], "status");
    assert_eq!(log[1]["status"], 200);

    // Bounds and requirements still apply.
    for body in [
        json!({"path": "/x", "kind": "status", "status": 500, "delayMs": 600_001}),
        json!({"path": "/x", "kind": "delay-response"}),
    ] {
        let response = client()
            .post(format!("{}/_sandbox/faults", sandbox.url()))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{body}");
    }
}

#[tokio::test]
async fn delay_response_rotates_before_answering() {
    let sandbox = Sandbox::start_with(SandboxConfig {
        refresh_reuse: RefreshReuse::Strict,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let first = tokens(&sandbox, "user_read").await;
    let r1 = first["refresh_token"].as_str().unwrap().to_owned();
    fault(
        &sandbox,
        json!({"path": "/oauth2/token", "kind": "delay-response", "delayMs": 20_000}),
    )
    .await;
    let client_process = tokio::spawn({
        let sandbox_url = sandbox.url().to_owned();
        let r1 = r1.clone();
        async move {
            client()
                .post(format!("{sandbox_url}/oauth2/token"))
                .header("authorization", default_basic())
                .form(&[("grant_type", "refresh_token"), ("refresh_token", &r1)])
                .send()
                .await
        }
    });
    // The handler ran (its status is logged) while the answer is still withheld.
    wait_for_log(&sandbox, "/oauth2/token", |log| {
        log.last()
            .is_some_and(|e| e["grantType"] == "refresh_token" && e["status"] == 200)
    })
    .await;
    assert!(!client_process.is_finished(), "no answer yet");
    let entry = log_for(&sandbox, "/oauth2/token").await.pop().unwrap();
    assert_eq!(entry["fault"], "delay-response");
    // The client dies before it could save anything.
    client_process.abort();
    let _ = client_process.await;

    // The server did rotate: the refresh token the client still has is spent.
    let response = refresh(&sandbox, &r1).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    // The access token issued before is untouched.
    assert_eq!(
        get_api(
            &sandbox,
            "/api/v1/zones",
            first["access_token"].as_str().unwrap()
        )
        .await
        .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn delay_response_answers_in_the_end() {
    let sandbox = Sandbox::start().await.unwrap();
    let first = tokens(&sandbox, "user_read").await;
    fault(
        &sandbox,
        json!({"path": "/oauth2/token", "kind": "delay-response", "delayMs": 100}),
    )
    .await;
    let response = refresh(&sandbox, first["refresh_token"].as_str().unwrap()).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_ne!(body["refresh_token"], first["refresh_token"]);
    let entry = log_for(&sandbox, "/oauth2/token").await.pop().unwrap();
    assert_eq!(
        (&entry["status"], &entry["fault"]),
        (&json!(200), &json!("delay-response"))
    );
}

async fn code_for(sandbox: &Sandbox, user: &str) -> String {
    let response = client()
        .get(authorize_url(
            sandbox,
            &[
                ("response_type", "code"),
                ("client_id", CLIENT_ID),
                ("redirect_uri", LOOPBACK_REDIRECT),
                ("scope", "user_read"),
                ("login_hint", user),
            ],
        ))
        .send()
        .await
        .unwrap();
    let params = location_params(&response);
    param(&params, "code").unwrap().to_owned()
}

async fn tokens_for(sandbox: &Sandbox, user: &str) -> Value {
    let code = code_for(sandbox, user).await;
    let response = token_request(
        sandbox,
        &[
            ("grant_type", "code"),
            ("code", &code),
            ("redirect_uri", LOOPBACK_REDIRECT),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

#[tokio::test]
async fn token_log_entries_name_the_user_and_filter_by_path() {
    let sandbox = Sandbox::start().await.unwrap();
    let alice = tokens_for(&sandbox, "alice").await;
    let bob = tokens_for(&sandbox, "bob").await;
    let alice2: Value = refresh(&sandbox, alice["refresh_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    // A faulted request is still a request by that user.
    fault(
        &sandbox,
        json!({"path": "/oauth2/token", "kind": "status", "status": 503}),
    )
    .await;
    refresh(&sandbox, bob["refresh_token"].as_str().unwrap()).await;
    refresh(&sandbox, "unknown-token").await;
    refresh(&sandbox, alice2["refresh_token"].as_str().unwrap()).await;
    get_api(
        &sandbox,
        "/api/v1/zones",
        alice2["access_token"].as_str().unwrap(),
    )
    .await;

    let tokens_log = log_for(&sandbox, "/oauth2/token").await;
    let summary: Vec<(Value, Value, Value)> = tokens_log
        .iter()
        .map(|e| {
            (
                e["grantType"].clone(),
                e["userId"].clone(),
                e["status"].clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (json!("code"), json!("alice"), json!(200)),
            (json!("code"), json!("bob"), json!(200)),
            (json!("refresh_token"), json!("alice"), json!(200)),
            (json!("refresh_token"), json!("bob"), json!(503)),
            (json!("refresh_token"), Value::Null, json!(400)),
            (json!("refresh_token"), json!("alice"), json!(200)),
        ]
    );
    assert!(tokens_log.iter().all(|e| e["path"] == "/oauth2/token"));
    let per_user = |user: &str| tokens_log.iter().filter(|e| e["userId"] == user).count();
    assert_eq!((per_user("alice"), per_user("bob")), (3, 2));

    // Other paths: no userId; the unfiltered log keeps arrival order across paths.
    let all = request_log(&sandbox).await;
    let paths: Vec<&str> = all.iter().map(|e| e["path"].as_str().unwrap()).collect();
    assert_eq!(
        paths,
        [
            "/oauth2/authorize",
            "/oauth2/token",
            "/oauth2/authorize",
            "/oauth2/token",
            "/oauth2/token",
            "/oauth2/token",
            "/oauth2/token",
            "/oauth2/token",
            "/api/v1/zones",
        ]
    );
    assert!(
        all.iter()
            .filter(|e| e["path"] != "/oauth2/token")
            .all(|e| e.get("userId").is_none())
    );
    assert_eq!(log_for(&sandbox, "/oauth2/authorize").await.len(), 2);
    assert!(log_for(&sandbox, "/nowhere").await.is_empty());
}

/// One HTTP/1.1 answer from a kept-alive connection: the head, lower-cased, and the body.
fn read_answer(reader: &mut impl std::io::BufRead) -> (String, Vec<u8>) {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        assert!(
            reader.read_line(&mut line).unwrap() > 0,
            "the connection closed; head so far: {head}"
        );
        if line == "\r\n" {
            break;
        }
        head.push_str(&line.to_ascii_lowercase());
    }
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .map_or(0, |n| n.trim().parse().unwrap());
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    (head, body)
}

/// A control call whose body comes after its headers, in a second write (as Java's HttpClient
/// sends them), is read whole before it is answered, and the kept-alive connection serves the
/// next call. Answering first made hyper close the connection after the answer, and the
/// client's next request on it got no answer at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_control_call_is_read_whole_and_its_connection_serves_the_next() {
    let sandbox = Sandbox::start().await.unwrap();
    let addr = sandbox.addr();
    tokio::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect(addr).unwrap();
        stream.set_nodelay(true).unwrap();
        let mut reader = std::io::BufReader::new(stream.try_clone().unwrap());
        for _ in 0..20 {
            stream
                .write_all(
                    b"POST /_sandbox/reset HTTP/1.1\r\nHost: sandbox\r\n\
                      Content-Type: application/json\r\nContent-Length: 2\r\n\r\n",
                )
                .unwrap();
            stream.flush().unwrap();
            stream.write_all(b"{}").unwrap();
            let (head, body) = read_answer(&mut reader);
            assert!(head.starts_with("http/1.1 200"), "{head}");
            assert!(!head.contains("connection: close"), "{head}");
            assert_eq!(body, br#"{"reset":true}"#);
        }
        stream
            .write_all(b"GET /_sandbox/requests HTTP/1.1\r\nHost: sandbox\r\n\r\n")
            .unwrap();
        let (head, _) = read_answer(&mut reader);
        assert!(head.starts_with("http/1.1 200"), "{head}");
    })
    .await
    .unwrap();
}
