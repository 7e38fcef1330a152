//! Secrets never appear in Debug output, error messages or logs.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::Harness;
use enduco::Scope;
use serde_json::json;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn no_secret_in_debug_errors_or_logs() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let h = Harness::start().await;
    let request = h.client.authorization_request(&Scope::ALL).unwrap();
    let callback = h.browser_callback(&request).await;
    let code = request
        .authorization_code(&callback)
        .unwrap()
        .secret()
        .to_owned();
    let tokens = h
        .client
        .complete_authorization(&request, &callback)
        .await
        .unwrap();
    let store = Arc::new(enduco::MemoryTokenStore::new());
    let session = h
        .client
        .connect(store.clone(), tokens.clone())
        .await
        .unwrap();

    let mut texts = vec![
        format!("{request:?}"),
        format!("{tokens:?}"),
        format!("{tokens:#?}"),
        format!("{:?}", h.client),
        format!("{:?}", h.client.config()),
        format!(
            "{:?}",
            enduco::ClientOptions {
                client_secret: Some(enduco::ClientSecret::new("sandbox-secret")),
                ..Default::default()
            }
        ),
        format!("{session:?}"),
        format!("{store:?}"),
    ];
    // Errors from every corner: refresh faults, a revoked grant, a reused code (last: like
    // Spring AS, the sandbox revokes what a replayed code issued).
    h.expire_access_tokens().await;
    session
        .request("GET", "/api/v1/zones", &[], None)
        .await
        .unwrap();
    h.fault("/oauth2/token", 1, "status", json!({"status": 400}))
        .await;
    let err = session.refresh().await.unwrap_err();
    texts.push(format!("{err} {err:?}"));
    let refreshed = session.refresh().await.unwrap();
    session.revoke().await.unwrap();
    let err = session.refresh().await.unwrap_err();
    texts.push(format!("{err} {err:?}"));
    let stale = h
        .client
        .session(Arc::new(enduco::MemoryTokenStore::with_tokens(
            refreshed.clone(),
        )));
    let err = stale.refresh().await.unwrap_err();
    texts.push(format!("{err} {err:?}"));
    texts.push(
        h.client
            .complete_authorization(&request, &callback)
            .await
            .unwrap_err()
            .to_string(),
    );

    texts.push(String::from_utf8(captured.0.lock().unwrap().clone()).unwrap());
    assert!(
        texts.last().unwrap().contains("refreshing"),
        "logs were captured"
    );

    let secrets = [
        tokens.access_token.secret().to_owned(),
        tokens.refresh_token.as_ref().unwrap().secret().to_owned(),
        refreshed.access_token.secret().to_owned(),
        refreshed
            .refresh_token
            .as_ref()
            .unwrap()
            .secret()
            .to_owned(),
        code,
        request.code_verifier.as_ref().unwrap().secret().to_owned(),
        "sandbox-secret".to_owned(),
    ];
    for text in &texts {
        for secret in &secrets {
            assert!(
                !text.contains(secret.as_str()),
                "a secret leaked into: {text}"
            );
        }
    }
}
