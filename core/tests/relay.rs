//! Relay mode (docs/relay.md): a client without the secret, whose token requests go through
//! the partner's token relay, against the sandbox. The lifecycle rules in relay mode are in
//! lifecycle.rs (each of those tests runs in both modes).

mod common;

use common::{Harness, REDIRECT_URI, client_config, relayed_config, serve_relay};
use enduco::{
    ClientConfig, EnducoClient, Environment, MAX_RELAY_REQUEST_BYTES, RELAY_USER_AGENT, Scope,
    TokenRelay, UploadOptions,
};
use enduco_sandbox::fit::ActivityFile;
use serde_json::Value;

#[tokio::test]
async fn the_whole_flow_without_the_secret_sends_only_token_requests_through_the_relay() {
    let h = Harness::start_relayed().await;
    assert!(h.client.config().client_secret.secret().is_empty());

    let (session, store) = h.session().await;
    let zones = session.intensity_zones().await.unwrap();
    assert_eq!(zones.user_id, "athlete-1001");
    let from = enduco::parse_date("2025-06-02").unwrap();
    let plans = session
        .training_plans(from, from.saturating_add(jiff::Span::new().days(6)))
        .await
        .unwrap();
    assert_eq!(plans.len(), 7);
    let upload = session
        .upload_workout(ActivityFile::new(17).to_bytes(), UploadOptions::default())
        .await
        .unwrap();
    assert!(!upload.duplicate);
    let before = store.get().unwrap();
    let refreshed = session.refresh().await.unwrap();
    assert_ne!(refreshed.access_token, before.access_token);
    session.revoke().await.unwrap();
    assert!(store.get().is_none(), "revoke clears the store");

    let log = h.requests().await;
    let back_channel: Vec<_> = log
        .iter()
        .filter(|r| r.path == "/oauth2/token" || r.path == "/oauth2/revoke")
        .collect();
    assert_eq!(back_channel.len(), 3, "exchange, refresh, revoke: {log:#?}");
    for request in &back_channel {
        assert_eq!(
            request.authenticated_client.as_deref(),
            Some("sandbox-client"),
            "{request:?} carries the relay's Basic credentials"
        );
        assert!(
            request
                .user_agent
                .as_deref()
                .is_some_and(|ua| ua.contains(RELAY_USER_AGENT)),
            "{request:?} came from the relay"
        );
    }
    let data: Vec<_> = log.iter().filter(|r| r.path.starts_with("/api/")).collect();
    assert_eq!(data.len(), 3, "zones, plans, upload: {log:#?}");
    for request in data {
        assert!(request.authenticated_client.is_none());
        assert!(
            !request
                .user_agent
                .as_deref()
                .unwrap_or_default()
                .contains(RELAY_USER_AGENT),
            "{request:?} went straight to enduco"
        );
    }
}

#[tokio::test]
async fn a_client_needs_a_secret_or_a_relay_and_not_both() {
    let env = Environment::parse("http://127.0.0.1:9").unwrap();
    let neither = ClientConfig::new(env.clone(), "app", "", REDIRECT_URI);
    let e = EnducoClient::new(neither).unwrap_err();
    assert_eq!(e.code(), "invalid_input");
    assert!(e.to_string().contains("token relay URL"), "{e}");

    let mut both = relayed_config("http://127.0.0.1:9", "https://relay.example/enduco");
    both.client_secret = enduco::ClientSecret::new(String::from("s3cret"));
    let e = EnducoClient::new(both).unwrap_err();
    assert!(e.to_string().contains("not both"), "{e}");
    assert!(!e.to_string().contains("s3cret"));

    let cleartext = relayed_config("http://127.0.0.1:9", "http://relay.example/enduco");
    let e = EnducoClient::new(cleartext).unwrap_err();
    assert!(e.to_string().contains("token relay URL"), "{e}");

    let options = enduco::ClientOptions::from_json(
        r#"{"client_id": "app", "redirect_uri": "https://app.example/cb",
            "environment": "http://127.0.0.1:9", "token_relay_url": "https://relay.example/r"}"#,
    )
    .unwrap();
    let config = options.into_config().unwrap();
    assert_eq!(
        config.token_relay.as_ref().map(url::Url::as_str),
        Some("https://relay.example/r")
    );

    let relayed = relayed_config("http://127.0.0.1:9", "https://relay.example/r");
    let e = TokenRelay::new(relayed).unwrap_err();
    assert_eq!(e.code(), "invalid_input", "a relay holds the secret itself");
}

/// POSTs `body` to the relay as an app (or an attacker) would.
async fn post(
    h: &Harness,
    relay: &str,
    path: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (u16, Value) {
    let response = h
        .http
        .post(format!("{relay}{path}"))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let cache = response.headers().get("cache-control").cloned();
    assert_eq!(cache.unwrap(), "no-store");
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn the_relay_refuses_what_is_not_one_of_its_three_operations_and_forwards_nothing() {
    let h = Harness::start().await;
    let relay = serve_relay(TokenRelay::new(client_config(h.sandbox.url())).unwrap()).await;
    let form = "application/x-www-form-urlencoded";
    let huge = format!(
        "grant_type=refresh_token&refresh_token={}",
        "a".repeat(MAX_RELAY_REQUEST_BYTES)
    );
    let cases: Vec<(&str, &str, Vec<u8>, &str)> = vec![
        ("/token", form, huge.into_bytes(), "invalid_request"),
        (
            "/steal",
            form,
            b"grant_type=refresh_token&refresh_token=x".to_vec(),
            "invalid_request",
        ),
        (
            "/token",
            "application/json",
            br#"{"grant_type":"refresh_token"}"#.to_vec(),
            "invalid_request",
        ),
        (
            "/token",
            form,
            b"grant_type=authorization_code&redirect_uri=x".to_vec(),
            "invalid_request",
        ),
        (
            "/token",
            form,
            b"grant_type=refresh_token&refresh_token=a&refresh_token=b".to_vec(),
            "invalid_request",
        ),
        (
            "/token",
            form,
            b"grant_type=password&username=u&password=p".to_vec(),
            "unsupported_grant_type",
        ),
        ("/token", form, b"%%%".to_vec(), "invalid_request"),
        (
            "/revoke",
            form,
            b"token_type_hint=x".to_vec(),
            "invalid_request",
        ),
    ];
    for (path, content_type, body, error) in cases {
        let (status, answer) = post(&h, &relay, path, content_type, body).await;
        assert_eq!(status, 400, "{path}: {answer}");
        assert_eq!(answer["error"], error, "{path}: {answer}");
        assert!(
            answer["error_description"]
                .as_str()
                .is_some_and(|d| !d.is_empty())
        );
    }
    assert!(
        h.requests().await.is_empty(),
        "the relay forwarded nothing it refused"
    );
}

#[tokio::test]
async fn a_relay_with_the_wrong_secret_passes_enduco_s_refusal_through() {
    let h = Harness::start().await;
    let mut config = client_config(h.sandbox.url());
    config.client_secret = enduco::ClientSecret::new(String::from("not-the-secret"));
    let relay = serve_relay(TokenRelay::new(config).unwrap()).await;
    let client = EnducoClient::new(relayed_config(h.sandbox.url(), &relay)).unwrap();
    let request = client.authorization_request(&[Scope::UserRead]).unwrap();
    let callback = h.browser_callback(&request).await;
    let e = client
        .complete_authorization(&request, &callback)
        .await
        .unwrap_err();
    assert_eq!(e.code(), "api", "{e}");
    assert!(e.to_string().contains("invalid_client"), "{e}");
    assert!(!e.to_string().contains("not-the-secret"));
}

#[tokio::test]
async fn the_relay_and_its_answers_never_show_secrets() {
    let h = Harness::start().await;
    let relay = TokenRelay::new(client_config(h.sandbox.url())).unwrap();
    let text = format!("{relay:?}");
    assert!(!text.contains("sandbox-secret"), "{text}");

    // A refresh through the relay: the answer holds tokens, its Debug does not.
    let tokens = h.authorize(&Scope::ALL).await;
    let refresh = tokens.refresh_token.as_ref().unwrap().secret().to_owned();
    let body = format!("grant_type=refresh_token&refresh_token={refresh}");
    let answer = relay
        .handle(
            "/relay/token",
            Some("application/x-www-form-urlencoded"),
            body.as_bytes(),
        )
        .await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.user_id.as_deref(), Some("athlete-1001"));
    let shown = format!("{answer:?}");
    let fresh: Value = serde_json::from_slice(&answer.body).unwrap();
    let access = fresh["access_token"].as_str().unwrap();
    assert!(
        !shown.contains(access) && !shown.contains(&refresh),
        "{shown}"
    );
}
