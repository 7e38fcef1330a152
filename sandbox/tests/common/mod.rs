//! Helpers shared by the integration tests: a client that does not follow redirects, the
//! authorize → token dance, PKCE values, control-API calls.
#![allow(dead_code)]

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use enduco_sandbox::Sandbox;
use reqwest::{Client, StatusCode, redirect};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

pub const CLIENT_ID: &str = "sandbox-client";
pub const CLIENT_SECRET: &str = "sandbox-secret";
pub const LOOPBACK_REDIRECT: &str = "http://127.0.0.1:4567/callback";

pub fn client() -> Client {
    Client::builder()
        .redirect(redirect::Policy::none())
        .no_proxy()
        .build()
        .expect("reqwest client")
}

/// `Basic base64(urlencode(id):urlencode(secret))`, RFC 6749 §2.3.1.
pub fn basic(id: &str, secret: &str) -> String {
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    format!(
        "Basic {}",
        STANDARD.encode(format!("{}:{}", enc(id), enc(secret)))
    )
}

pub fn default_basic() -> String {
    basic(CLIENT_ID, CLIENT_SECRET)
}

/// (verifier, S256 challenge)
pub fn pkce() -> (String, String) {
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".to_owned();
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

pub fn authorize_url(sandbox: &Sandbox, params: &[(&str, &str)]) -> String {
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish();
    format!("{}/oauth2/authorize?{query}", sandbox.url())
}

/// Query parameters of a redirect's Location.
pub fn location_params(response: &reqwest::Response) -> Vec<(String, String)> {
    let location = response
        .headers()
        .get("location")
        .expect("Location header")
        .to_str()
        .unwrap();
    let url = url::Url::parse(location).expect("absolute Location");
    url.query_pairs().into_owned().collect()
}

pub fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Runs authorize (auto-approve) and returns the code.
pub async fn code(sandbox: &Sandbox, scope: &str, challenge: Option<&str>) -> String {
    let mut params = vec![
        ("response_type", "code"),
        ("client_id", CLIENT_ID),
        ("redirect_uri", LOOPBACK_REDIRECT),
        ("scope", scope),
        ("state", "st"),
    ];
    if let Some(c) = challenge {
        params.push(("code_challenge", c));
        params.push(("code_challenge_method", "S256"));
    }
    let response = client()
        .get(authorize_url(sandbox, &params))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    let params = location_params(&response);
    param(&params, "code").expect("code in redirect").to_owned()
}

pub async fn token_request(sandbox: &Sandbox, form: &[(&str, &str)]) -> reqwest::Response {
    client()
        .post(format!("{}/oauth2/token", sandbox.url()))
        .header("authorization", default_basic())
        .form(form)
        .send()
        .await
        .unwrap()
}

/// authorize + exchange; returns the token response JSON.
pub async fn tokens(sandbox: &Sandbox, scope: &str) -> Value {
    let code = code(sandbox, scope, None).await;
    let response = token_request(
        sandbox,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", LOOPBACK_REDIRECT),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

pub async fn access_token(sandbox: &Sandbox, scope: &str) -> String {
    tokens(sandbox, scope).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub async fn refresh(sandbox: &Sandbox, refresh_token: &str) -> reqwest::Response {
    token_request(
        sandbox,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("clientId", CLIENT_ID),
        ],
    )
    .await
}

pub async fn control(sandbox: &Sandbox, path: &str, body: Value) -> Value {
    let response = client()
        .post(format!("{}/_sandbox/{path}", sandbox.url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "control {path}");
    response.json().await.unwrap()
}

pub async fn fault(sandbox: &Sandbox, fault: Value) {
    control(sandbox, "faults", fault).await;
}

pub async fn request_log(sandbox: &Sandbox) -> Vec<Value> {
    client()
        .get(format!("{}/_sandbox/requests", sandbox.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

pub async fn get_api(sandbox: &Sandbox, path: &str, token: &str) -> reqwest::Response {
    client()
        .get(format!("{}{path}", sandbox.url()))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

pub fn empty() -> Value {
    json!({})
}
