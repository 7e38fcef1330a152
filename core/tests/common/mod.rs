//! Test harness: a sandbox on loopback, an `EnducoClient` pointed at it, and the sandbox's
//! control API (the same HTTP calls every language's tests make).
#![allow(dead_code)]

use std::sync::Arc;

use enduco::{
    AuthorizationRequest, ClientConfig, EnducoClient, Environment, MAX_RELAY_REQUEST_BYTES,
    MemoryTokenStore, Scope, Session, TokenRelay, TokenSet,
};
use enduco_sandbox::{Sandbox, SandboxConfig};
use serde::Deserialize;
use serde_json::{Value, json};

pub const REDIRECT_URI: &str = "https://app.example/callback";

pub struct Harness {
    pub sandbox: Sandbox,
    pub http: reqwest::Client,
    pub client: EnducoClient,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoggedRequest {
    pub method: String,
    pub path: String,
    pub grant_type: Option<String>,
    pub status: u16,
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub authenticated_client: Option<String>,
    #[serde(default)]
    pub user_agent: Option<String>,
}

pub fn client_config(base_url: &str) -> ClientConfig {
    let env = Environment::parse(base_url).expect("sandbox URL");
    quick_retries(ClientConfig::new(
        env,
        "sandbox-client",
        "sandbox-secret",
        REDIRECT_URI,
    ))
}

/// A client in relay mode: no secret, token requests to `relay_url`.
pub fn relayed_config(base_url: &str, relay_url: &str) -> ClientConfig {
    let env = Environment::parse(base_url).expect("sandbox URL");
    let relay = url::Url::parse(relay_url).expect("relay URL");
    quick_retries(ClientConfig::relayed(
        env,
        "sandbox-client",
        REDIRECT_URI,
        relay,
    ))
}

/// Keep fault tests quick: short backoffs, a deadline well inside the test timeout.
fn quick_retries(mut config: ClientConfig) -> ClientConfig {
    config.retry.initial_backoff = std::time::Duration::from_millis(20);
    config.retry.max_backoff = std::time::Duration::from_millis(200);
    config.retry.deadline = std::time::Duration::from_secs(10);
    config
}

/// Serves `relay` on a loopback port the way a backend mounts it (any path; the body read up
/// to the relay's limit + 1 byte) and returns its base URL.
pub async fn serve_relay(relay: TokenRelay) -> String {
    use axum::http::header::CONTENT_TYPE;
    let app = axum::Router::new().fallback(move |request: axum::extract::Request| {
        let relay = relay.clone();
        async move {
            let path = request.uri().path().to_owned();
            let content_type = request
                .headers()
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            // A body past the limit is cut at limit + 1 bytes: enough for the relay to refuse.
            let body = match axum::body::to_bytes(request.into_body(), MAX_RELAY_REQUEST_BYTES + 1)
                .await
            {
                Ok(body) => body.to_vec(),
                Err(_) => vec![0; MAX_RELAY_REQUEST_BYTES + 1],
            };
            let answer = relay.handle(&path, content_type.as_deref(), &body).await;
            let mut response = axum::http::Response::builder().status(answer.status);
            for (name, value) in answer.headers() {
                response = response.header(name, value);
            }
            response.body(axum::body::Body::from(answer.body)).unwrap()
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{address}/relay")
}

impl Harness {
    pub async fn start() -> Harness {
        Harness::start_with(SandboxConfig::default(), |_| {}).await
    }

    pub async fn start_with(
        sandbox: SandboxConfig,
        tweak: impl FnOnce(&mut ClientConfig),
    ) -> Harness {
        let sandbox = Sandbox::start_with(sandbox).await.expect("sandbox starts");
        let mut config = client_config(sandbox.url());
        tweak(&mut config);
        let client = EnducoClient::new(config).expect("client");
        Harness::with(sandbox, client)
    }

    /// A sandbox, a token relay in front of its token endpoint (holding the secret), and a
    /// client in relay mode: the setup of a mobile app and its partner's backend.
    pub async fn start_relayed() -> Harness {
        let sandbox = Sandbox::start_with(SandboxConfig::default())
            .await
            .expect("sandbox starts");
        let relay = TokenRelay::new(client_config(sandbox.url())).expect("relay");
        let relay_url = serve_relay(relay).await;
        let client =
            EnducoClient::new(relayed_config(sandbox.url(), &relay_url)).expect("relay client");
        Harness::with(sandbox, client)
    }

    /// The harness around a started sandbox and a client; `http` plays the browser (it does
    /// not follow redirects, so the callback URL can be read).
    fn with(sandbox: Sandbox, client: EnducoClient) -> Harness {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Harness {
            sandbox,
            http,
            client,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.sandbox.url(), path)
    }

    /// Plays the browser: opens the authorization URL and returns where enduco redirects.
    pub async fn browser_callback(&self, request: &AuthorizationRequest) -> String {
        let response = self.http.get(request.url.clone()).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 302, "authorize should redirect");
        response.headers()["location"].to_str().unwrap().to_owned()
    }

    /// The user presses Cancel on the consent page.
    pub async fn browser_cancel(&self, request: &AuthorizationRequest) -> String {
        let form = format!("{}&decision=cancel", request.url.query().unwrap());
        let response = self
            .http
            .post(self.url("/oauth2/authorize/decision"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 302);
        response.headers()["location"].to_str().unwrap().to_owned()
    }

    pub async fn authorize(&self, scopes: &[Scope]) -> TokenSet {
        let request = self.client.authorization_request(scopes).unwrap();
        let callback = self.browser_callback(&request).await;
        self.client
            .complete_authorization(&request, &callback)
            .await
            .unwrap()
    }

    /// A session whose memory store holds fresh tokens for all scopes.
    pub async fn session(&self) -> (Session, Arc<MemoryTokenStore>) {
        self.session_with(&Scope::ALL).await
    }

    pub async fn session_with(&self, scopes: &[Scope]) -> (Session, Arc<MemoryTokenStore>) {
        let store = Arc::new(MemoryTokenStore::with_tokens(self.authorize(scopes).await));
        (self.client.session(store.clone()), store)
    }

    pub async fn control(&self, path: &str, body: Value) -> Value {
        let response = self
            .http
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "control call {path} failed: {}",
            response.status()
        );
        response.json().await.unwrap_or(Value::Null)
    }

    pub async fn fault(&self, path: &str, count: u32, kind: &str, extra: Value) {
        let mut body = json!({"path": path, "count": count, "kind": kind});
        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            body.extend(extra.clone());
        }
        self.control("/_sandbox/faults", body).await;
    }

    pub async fn expire_access_tokens(&self) {
        self.control("/_sandbox/expire-access-tokens", json!({}))
            .await;
    }

    pub async fn requests(&self) -> Vec<LoggedRequest> {
        self.http
            .get(self.url("/_sandbox/requests"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    pub async fn count(&self, method: &str, path: &str) -> usize {
        self.requests()
            .await
            .iter()
            .filter(|r| r.method == method && r.path == path)
            .count()
    }

    pub async fn refresh_requests(&self) -> usize {
        self.requests()
            .await
            .iter()
            .filter(|r| {
                r.path == "/oauth2/token" && r.grant_type.as_deref() == Some("refresh_token")
            })
            .count()
    }
}
