//! The documented flow end to end, and each way it can go wrong, against the sandbox.

mod common;

use common::{Harness, REDIRECT_URI};
use enduco::{Error, Scope};
use enduco_sandbox::{GrantTypes, SandboxConfig};
use serde_json::json;

#[tokio::test]
async fn documented_flow_end_to_end() {
    let h = Harness::start().await;
    let request = h.client.authorization_request(&Scope::ALL).unwrap();
    let pairs: std::collections::HashMap<_, _> = request.url.query_pairs().into_owned().collect();
    assert_eq!(pairs["client_id"], "sandbox-client");
    assert_eq!(pairs["redirect_uri"], REDIRECT_URI);
    assert_eq!(pairs["code_challenge_method"], "S256");

    let callback = h.browser_callback(&request).await;
    assert!(callback.starts_with(REDIRECT_URI));
    let tokens = h
        .client
        .complete_authorization(&request, &callback)
        .await
        .unwrap();
    assert_eq!(tokens.token_type, "Bearer");
    assert!(tokens.refresh_token.is_some());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!(
        (tokens.expires_at - now - 7199).abs() <= 5,
        "absolute expiry from the send time"
    );
    let mut scopes = tokens.scopes.clone();
    scopes.sort();
    assert_eq!(scopes, ["plans_read", "user_read", "workouts_write"]);

    let store = std::sync::Arc::new(enduco::MemoryTokenStore::new());
    let session = h
        .client
        .connect(store.clone(), tokens.clone())
        .await
        .unwrap();
    assert_eq!(session.user_id().await.unwrap(), "athlete-1001");

    let response = session
        .request("GET", "/api/v1/zones", &[], None)
        .await
        .unwrap();
    assert_eq!(response.status, 200);
    let zones: serde_json::Value = response.json().unwrap();
    assert_eq!(zones["userId"], "athlete-1001");

    let refreshed = session.refresh().await.unwrap();
    assert_ne!(refreshed.access_token, tokens.access_token);
    assert_ne!(
        refreshed.refresh_token, tokens.refresh_token,
        "rotation is on by default"
    );
    assert_eq!(
        store.get().unwrap(),
        refreshed,
        "refreshed tokens were saved"
    );

    session.revoke().await.unwrap();
    assert!(store.get().is_none(), "revoke clears the store");
    let err = session
        .request("GET", "/api/v1/zones", &[], None)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "reauthorization_required", "{err}");

    // The revoked grant is dead at enduco too, not only forgotten locally.
    let again = h
        .client
        .session(std::sync::Arc::new(enduco::MemoryTokenStore::with_tokens(
            refreshed,
        )));
    let err = again.refresh().await.unwrap_err();
    assert_eq!(err.code(), "reauthorization_required", "{err}");

    let grant_types: Vec<_> = h
        .requests()
        .await
        .into_iter()
        .filter_map(|r| r.grant_type)
        .collect();
    assert_eq!(
        grant_types,
        ["authorization_code", "refresh_token", "refresh_token"]
    );
}

#[tokio::test]
async fn falls_back_to_the_documented_grant_type_once_and_remembers() {
    let config = SandboxConfig {
        grant_types: GrantTypes::CodeOnly,
        ..SandboxConfig::default()
    };
    let h = Harness::start_with(config, |_| {}).await;
    h.authorize(&[Scope::UserRead]).await;
    h.authorize(&[Scope::UserRead]).await;
    let log: Vec<_> = h
        .requests()
        .await
        .into_iter()
        .filter(|r| r.path == "/oauth2/token")
        .map(|r| (r.grant_type.unwrap_or_default(), r.status))
        .collect();
    assert_eq!(
        log,
        [
            ("authorization_code".to_owned(), 400),
            ("code".to_owned(), 200),
            ("code".to_owned(), 200)
        ]
    );
}

#[tokio::test]
async fn pkce_is_enforced_by_the_server() {
    let h = Harness::start().await;
    let request = h.client.authorization_request(&[Scope::UserRead]).unwrap();
    let callback = h.browser_callback(&request).await;
    let code = request
        .authorization_code(&callback)
        .unwrap()
        .secret()
        .to_owned();
    let err = h
        .client
        .exchange_code(
            &code,
            Some("a-wrong-verifier-of-sufficient-length-0123456789"),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Api { code, .. } if code == "invalid_grant"),
        "{err}"
    );
    assert!(
        !err.to_string().contains(&code),
        "the code must not leak into the message"
    );
}

#[tokio::test]
async fn backend_exchange_without_pkce() {
    let h = Harness::start_with(SandboxConfig::default(), |c| c.use_pkce = false).await;
    let request = h.client.authorization_request(&[Scope::PlansRead]).unwrap();
    assert!(request.code_verifier.is_none());
    assert!(!request.url.as_str().contains("code_challenge"));
    let callback = h.browser_callback(&request).await;
    let code = request
        .authorization_code(&callback)
        .unwrap()
        .secret()
        .to_owned();
    let tokens = h.client.exchange_code(&code, None).await.unwrap();
    assert_eq!(tokens.scopes, ["plans_read"]);
}

#[tokio::test]
async fn state_mismatch_is_refused_without_a_token_request() {
    let h = Harness::start().await;
    let request = h.client.authorization_request(&[Scope::UserRead]).unwrap();
    let other = h.client.authorization_request(&[Scope::UserRead]).unwrap();
    let callback = h.browser_callback(&other).await;
    let err = h
        .client
        .complete_authorization(&request, &callback)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::StateMismatch), "{err}");
    assert_eq!(h.count("POST", "/oauth2/token").await, 0);
}

#[tokio::test]
async fn cancel_on_the_consent_page_is_authorization_denied() {
    let h = Harness::start().await;
    let request = h.client.authorization_request(&[Scope::UserRead]).unwrap();
    let callback = h.browser_cancel(&request).await;
    assert!(callback.contains("error=access_denied"));
    let err = h
        .client
        .complete_authorization(&request, &callback)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "authorization_denied", "{err}");
    assert_eq!(h.count("POST", "/oauth2/token").await, 0);
}

#[tokio::test]
async fn a_code_works_once() {
    let h = Harness::start().await;
    let request = h.client.authorization_request(&[Scope::UserRead]).unwrap();
    let callback = h.browser_callback(&request).await;
    h.client
        .complete_authorization(&request, &callback)
        .await
        .unwrap();
    let err = h
        .client
        .complete_authorization(&request, &callback)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Api { code, status: Some(400), .. } if code == "invalid_grant"),
        "{err}"
    );
}

#[tokio::test]
async fn the_sandbox_refuses_a_raw_basic_header() {
    // enduco's document shows `Basic id:secret` unencoded; the server (like Spring) wants
    // base64. The SDK sends the RFC form; a raw header must fail, proving the check is real.
    let h = Harness::start().await;
    let response = h
        .http
        .post(h.url("/oauth2/token"))
        .header("authorization", "Basic sandbox-client:sandbox-secret")
        .form(&[("grant_type", "refresh_token"), ("refresh_token", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");
}

#[tokio::test]
async fn wrong_client_secret_is_a_typed_api_error() {
    let h = Harness::start().await;
    let mut config = common::client_config(h.sandbox.url());
    config.client_secret = enduco::ClientSecret::new("not-the-secret");
    let client = enduco::EnducoClient::new(config).unwrap();
    let request = client.authorization_request(&[Scope::UserRead]).unwrap();
    let callback = h.browser_callback(&request).await;
    let err = client
        .complete_authorization(&request, &callback)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Api { code, status: Some(401), .. } if code == "invalid_client"),
        "{err}"
    );
    assert!(!err.to_string().contains("not-the-secret"));
    assert!(
        err.to_string()
            .contains("check the client id and client secret"),
        "the message tells the developer what to fix: {err}"
    );
}

#[tokio::test]
async fn configuration_is_checked_up_front() {
    for bad in ["http://example.com", "ftp://127.0.0.1", "nonsense"] {
        let err = enduco::Environment::parse(bad).unwrap_err();
        assert_eq!(err.code(), "invalid_input", "{bad}");
    }
    assert!(enduco::Environment::parse("http://127.0.0.1:9").is_ok());
    assert!(enduco::Environment::parse("http://[::1]:9").is_ok());
    let mut config = common::client_config("http://127.0.0.1:9");
    config.redirect_uri = "not a url".into();
    assert_eq!(
        enduco::EnducoClient::new(config).unwrap_err().code(),
        "invalid_input"
    );
    let h = Harness::start().await;
    assert_eq!(
        h.client.authorization_request(&[]).unwrap_err().code(),
        "invalid_input"
    );
    assert_eq!(
        "workouts_read".parse::<Scope>().unwrap_err().code(),
        "invalid_input"
    );
    let _ = json!({});
}

/// A request saved with `to_json` (e.g. in a web session between redirect and callback) and
/// read back with `from_json` completes the flow; garbled or foreign records are refused
/// without quoting their content.
#[tokio::test]
async fn a_saved_authorization_request_completes_after_a_round_trip() {
    let h = Harness::start().await;
    let request = h.client.authorization_request(&Scope::ALL).unwrap();
    let saved = request.to_json();
    let verifier = request.code_verifier.as_ref().unwrap().secret().to_owned();
    assert!(
        saved.contains(&verifier),
        "the storage form keeps the verifier"
    );
    assert!(
        !format!("{request:?}").contains(&verifier),
        "Debug does not show it"
    );

    let restored = enduco::AuthorizationRequest::from_json(&saved).unwrap();
    assert_eq!(restored.state, request.state);
    assert_eq!(restored.url, request.url);
    assert_eq!(restored.scopes, request.scopes);
    let callback = h.browser_callback(&restored).await;
    let tokens = h
        .client
        .complete_authorization(&restored, &callback)
        .await
        .unwrap();
    assert!(tokens.refresh_token.is_some());

    let newer = saved.replace("\"schema_version\":1", "\"schema_version\":2");
    let err = enduco::AuthorizationRequest::from_json(&newer).unwrap_err();
    assert_eq!(err.code(), "invalid_input");
    assert!(err.to_string().contains("schema version 2"), "{err}");
    let err = enduco::AuthorizationRequest::from_json(&format!("{{\"state\":\"{verifier}\""))
        .unwrap_err();
    assert_eq!(err.code(), "invalid_input");
    assert!(!err.to_string().contains(&verifier), "{err}");
    let bad_scope = saved.replace("\"user_read\"", "\"admin\"");
    let err = enduco::AuthorizationRequest::from_json(&bad_scope).unwrap_err();
    assert!(err.to_string().contains("unknown scope"), "{err}");
}
