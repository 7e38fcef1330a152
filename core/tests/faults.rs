//! A server that misbehaves: every fault gives a typed error or a successful retry, never a
//! hang or a panic, and never lost tokens.

mod common;

use std::time::Duration;

use common::Harness;
use enduco::{Error, Scope};
use serde_json::json;

const ZONES: &str = "/api/v1/zones";

async fn zones(session: &enduco::Session) -> enduco::Result<enduco::RawResponse> {
    session.request("GET", ZONES, &[], None).await
}

#[tokio::test]
async fn a_503_with_retry_after_is_retried_within_the_deadline() {
    let h = Harness::start().await;
    let (session, _) = h.session().await;
    h.fault(ZONES, 1, "status", json!({"status": 503, "retryAfter": 1}))
        .await;
    let started = std::time::Instant::now();
    assert_eq!(zones(&session).await.unwrap().status, 200);
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "Retry-After was honoured"
    );
    let statuses: Vec<_> = h
        .requests()
        .await
        .into_iter()
        .filter(|r| r.path == ZONES)
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [503, 200]);
}

#[tokio::test]
async fn a_429_is_retried_and_then_reported_with_retry_after() {
    let h = Harness::start().await;
    let (session, _) = h.session().await;
    h.fault(ZONES, 2, "status", json!({"status": 429})).await;
    assert_eq!(zones(&session).await.unwrap().status, 200);

    h.fault(ZONES, 10, "status", json!({"status": 429, "retryAfter": 0}))
        .await;
    let err = zones(&session).await.unwrap_err();
    assert!(
        matches!(err, Error::RateLimited { retry_after: Some(d) } if d == Duration::ZERO),
        "{err}"
    );
    // 1 attempt + max_retries (3)
    let tries = h
        .requests()
        .await
        .into_iter()
        .filter(|r| r.path == ZONES && r.status == 429)
        .count();
    assert_eq!(tries, 2 + 4);
}

#[tokio::test]
async fn a_retry_after_beyond_the_deadline_is_not_waited_for() {
    let h = Harness::start().await;
    let (session, _) = h.session().await;
    h.fault(
        ZONES,
        1,
        "status",
        json!({"status": 503, "retryAfter": 3600}),
    )
    .await;
    let started = std::time::Instant::now();
    let err = zones(&session).await.unwrap_err();
    assert!(matches!(err, Error::Server { status: 503 }), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn a_500_is_a_server_error_without_retry() {
    let h = Harness::start().await;
    let (session, _) = h.session().await;
    h.fault(ZONES, 1, "status", json!({"status": 500})).await;
    let err = zones(&session).await.unwrap_err();
    assert!(matches!(err, Error::Server { status: 500 }), "{err}");
    assert_eq!(h.count("GET", ZONES).await, 1);
}

#[tokio::test]
async fn a_connection_reset_is_retried_then_a_network_error() {
    let h = Harness::start().await;
    let (session, _) = h.session().await;
    h.fault(ZONES, 1, "reset", json!({})).await;
    assert_eq!(zones(&session).await.unwrap().status, 200);
    h.fault(ZONES, 10, "reset", json!({})).await;
    let err = zones(&session).await.unwrap_err();
    assert_eq!(err.code(), "network", "{err}");
}

#[tokio::test]
async fn a_delay_past_the_timeout_is_a_timeout() {
    let h = Harness::start_with(Default::default(), |c| {
        c.timeouts.request = Duration::from_millis(300);
        c.retry.max_retries = 1;
    })
    .await;
    let (session, _) = h.session().await;
    h.fault(ZONES, 5, "delay", json!({"delayMs": 2000})).await;
    let started = std::time::Instant::now();
    let err = zones(&session).await.unwrap_err();
    assert!(matches!(err, Error::Timeout), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "two short attempts, no hang"
    );
}

#[tokio::test]
async fn bodies_that_are_cut_malformed_or_html_are_typed_errors() {
    let h = Harness::start_with(Default::default(), |c| c.retry.max_retries = 0).await;
    let (session, _) = h.session().await;

    h.fault(ZONES, 1, "truncate", json!({})).await;
    let err = session.intensity_zones().await.unwrap_err();
    assert_eq!(err.code(), "network", "{err}");
    assert!(err.to_string().contains("cut off"), "{err}");

    h.fault(ZONES, 1, "malformed", json!({})).await;
    let err = session.intensity_zones().await.unwrap_err();
    assert_eq!(err.code(), "invalid_response", "{err}");

    h.fault(ZONES, 1, "html", json!({})).await;
    let err = session.intensity_zones().await.unwrap_err();
    assert_eq!(err.code(), "invalid_response", "{err}");
    assert!(err.to_string().contains("HTML"), "{err}");

    h.fault(ZONES, 1, "html", json!({"status": 404})).await;
    let err = session.intensity_zones().await.unwrap_err();
    assert_eq!(err.code(), "invalid_response", "{err}");

    assert!(
        session.intensity_zones().await.is_ok(),
        "the session is still usable"
    );
}

#[tokio::test]
async fn token_endpoint_faults_lose_no_tokens() {
    let h = Harness::start().await;
    let (session, store) = h.session().await;
    let before = store.get().unwrap();

    h.fault("/oauth2/token", 1, "status", json!({"status": 503}))
        .await;
    let after = session
        .refresh()
        .await
        .expect("a 503 on refresh is retried");
    assert_ne!(after.refresh_token, before.refresh_token);

    // A reset may have happened after enduco rotated: the SDK must not blindly repeat.
    h.fault("/oauth2/token", 1, "reset", json!({})).await;
    let err = session.refresh().await.unwrap_err();
    assert_eq!(err.code(), "network", "{err}");
    assert_eq!(
        store.get().unwrap(),
        after,
        "the stored tokens are untouched"
    );

    h.fault("/oauth2/token", 1, "html", json!({})).await;
    let err = session.refresh().await.unwrap_err();
    assert_eq!(err.code(), "invalid_response", "{err}");

    h.fault("/oauth2/token", 1, "malformed", json!({})).await;
    let err = session.refresh().await.unwrap_err();
    assert_eq!(err.code(), "invalid_response", "{err}");

    session
        .refresh()
        .await
        .expect("the kept tokens still refresh");
    assert!(zones(&session).await.is_ok());
}

#[tokio::test]
async fn an_unreachable_server_is_a_network_error() {
    // Bind and drop a listener: nothing is listening on that port any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut config = common::client_config(&format!("http://127.0.0.1:{port}"));
    config.retry.max_retries = 1;
    let client = enduco::EnducoClient::new(config).unwrap();
    let request = client.authorization_request(&[Scope::UserRead]).unwrap();
    let callback = format!(
        "https://app.example/callback?code=x&state={}",
        request.state
    );
    let err = client
        .complete_authorization(&request, &callback)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "network", "{err}");
}
