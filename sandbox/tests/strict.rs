//! Behaviour measured on a real Spring Authorization Server (and other servers' reuse
//! detection): refresh-token reuse policies, code replay, loopback redirect matching, refresh
//! token lifetime, narrower consent. Real HTTP over loopback.

mod common;

use std::time::{Duration, Instant};

use clap::Parser;
use common::*;
use enduco_sandbox::{RefreshReuse, Sandbox, SandboxArgs, SandboxConfig};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// (status, error, error_description) of an error response.
async fn error_of(response: reqwest::Response) -> (StatusCode, String, String) {
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    let text = |k: &str| body[k].as_str().unwrap_or_default().to_owned();
    (status, text("error"), text("error_description"))
}

async fn refreshed(sandbox: &Sandbox, refresh_token: &str) -> Value {
    let response = refresh(sandbox, refresh_token).await;
    assert_eq!(response.status(), StatusCode::OK, "refresh should succeed");
    response.json().await.unwrap()
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or_else(|| panic!("{key} in {v}"))
}

async fn zones_status(sandbox: &Sandbox, tokens: &Value) -> StatusCode {
    get_api(sandbox, "/api/v1/zones", str_of(tokens, "access_token"))
        .await
        .status()
}

async fn control_status(sandbox: &Sandbox, path: &str, body: Value) -> StatusCode {
    client()
        .post(format!("{}/_sandbox/{path}", sandbox.url()))
        .json(&body)
        .send()
        .await
        .unwrap()
        .status()
}

async fn start(config: SandboxConfig) -> Sandbox {
    Sandbox::start_with(config).await.unwrap()
}

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    sandbox: SandboxArgs,
}

#[test]
fn command_line_defaults_are_the_config_defaults() {
    let defaults = SandboxConfig::default();
    assert_eq!(defaults.refresh_reuse, RefreshReuse::Overlap);
    assert_eq!(defaults.refresh_overlap, Duration::from_millis(1000));
    assert_eq!(defaults.refresh_token_lifetime, Duration::from_secs(3600));
    assert!(
        defaults
            .redirect_uris
            .contains(&"http://127.0.0.1/callback".to_owned())
    );
    let parsed = Cli::parse_from(["enduco-sandbox"]).sandbox.into_config();
    assert_eq!(parsed, defaults);

    let parsed = Cli::parse_from([
        "enduco-sandbox",
        "--refresh-reuse",
        "family-revoke",
        "--refresh-overlap-ms",
        "250",
        "--refresh-token-lifetime",
        "60",
    ])
    .sandbox
    .into_config();
    assert_eq!(parsed.refresh_reuse, RefreshReuse::FamilyRevoke);
    assert_eq!(parsed.refresh_overlap, Duration::from_millis(250));
    assert_eq!(parsed.refresh_token_lifetime, Duration::from_secs(60));
    for policy in ["strict", "overlap"] {
        assert!(Cli::try_parse_from(["enduco-sandbox", "--refresh-reuse", policy]).is_ok());
    }
    assert!(Cli::try_parse_from(["enduco-sandbox", "--refresh-reuse", "lenient"]).is_err());
}

// ---- 1. refresh-token reuse ------------------------------------------------------------

#[tokio::test]
async fn overlap_accepts_a_rotated_token_within_the_window_and_keeps_only_the_last_pair() {
    // A wide window, so the test never depends on how fast requests are; "after the window"
    // is reached by narrowing it through the control API.
    let sandbox = start(SandboxConfig {
        refresh_overlap: Duration::from_secs(60),
        ..SandboxConfig::default()
    })
    .await;
    let first = tokens(&sandbox, "user_read").await;
    let r1 = str_of(&first, "refresh_token");

    // Two uses of the same refresh token: both succeed with different pairs.
    let a = refreshed(&sandbox, r1).await;
    let b = refreshed(&sandbox, r1).await;
    let (ra, rb) = (str_of(&a, "refresh_token"), str_of(&b, "refresh_token"));
    assert_ne!(ra, rb);
    assert_eq!(b["scope"], "user_read");

    // Only the pair issued last keeps a working refresh token; the earlier winner is dead.
    let (status, error, _) = error_of(refresh(&sandbox, ra).await).await;
    assert_eq!(
        (status, error.as_str()),
        (StatusCode::BAD_REQUEST, "invalid_grant")
    );
    // Access tokens already issued stay valid (JWTs, checked by signature and expiry).
    for t in [&first, &a, &b] {
        assert_eq!(zones_status(&sandbox, t).await, StatusCode::OK);
    }
    let c = refreshed(&sandbox, rb).await;

    // After the window: a rotated-out token is invalid_grant, the grant lives on.
    let answer = control(
        &sandbox,
        "refresh-reuse",
        json!({"policy": "overlap", "overlapMs": 0}),
    )
    .await;
    assert_eq!(answer, json!({"policy": "overlap", "overlapMs": 0}));
    for stale in [r1, rb] {
        let (status, error, _) = error_of(refresh(&sandbox, stale).await).await;
        assert_eq!(
            (status, error.as_str()),
            (StatusCode::BAD_REQUEST, "invalid_grant")
        );
    }
    let d = refreshed(&sandbox, str_of(&c, "refresh_token")).await;
    assert_eq!(zones_status(&sandbox, &d).await, StatusCode::OK);
    assert_eq!(zones_status(&sandbox, &c).await, StatusCode::OK);
}

#[tokio::test]
async fn overlap_concurrent_refreshes_all_succeed_one_pair_survives() {
    let sandbox = start(SandboxConfig {
        refresh_overlap: Duration::from_secs(60),
        ..SandboxConfig::default()
    })
    .await;
    let first = tokens(&sandbox, "user_read").await;
    let r1 = str_of(&first, "refresh_token");
    let (x, y, z) = tokio::join!(
        refresh(&sandbox, r1),
        refresh(&sandbox, r1),
        refresh(&sandbox, r1)
    );
    let mut winners = Vec::new();
    for response in [x, y, z] {
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.unwrap();
        winners.push(str_of(&body, "refresh_token").to_owned());
    }
    // Presenting a superseded token changes nothing, so trying each in turn is fair.
    let mut alive = 0;
    for token in &winners {
        let response = refresh(&sandbox, token).await;
        if response.status() == StatusCode::OK {
            alive += 1;
        } else {
            assert_eq!(error_of(response).await.1, "invalid_grant");
        }
    }
    assert_eq!(alive, 1, "exactly the pair issued last stays valid");
}

#[tokio::test]
async fn family_revoke_reuse_revokes_the_whole_grant() {
    let sandbox = start(SandboxConfig {
        refresh_reuse: RefreshReuse::FamilyRevoke,
        ..SandboxConfig::default()
    })
    .await;
    let first = tokens(&sandbox, "user_read").await;
    let second = refreshed(&sandbox, str_of(&first, "refresh_token")).await;
    let unrelated = tokens(&sandbox, "user_read").await;

    let (status, error, _) =
        error_of(refresh(&sandbox, str_of(&first, "refresh_token")).await).await;
    assert_eq!(
        (status, error.as_str()),
        (StatusCode::BAD_REQUEST, "invalid_grant")
    );
    // Every token of the grant is dead, the newest pair included.
    for t in [&first, &second] {
        let response = get_api(&sandbox, "/api/v1/zones", str_of(t, "access_token")).await;
        let (status, error, _) = error_of(response).await;
        assert_eq!(
            (status, error.as_str()),
            (StatusCode::UNAUTHORIZED, "invalid_token")
        );
    }
    let (_, error, _) = error_of(refresh(&sandbox, str_of(&second, "refresh_token")).await).await;
    assert_eq!(error, "invalid_grant");
    // Other grants are untouched.
    assert_eq!(zones_status(&sandbox, &unrelated).await, StatusCode::OK);
    refreshed(&sandbox, str_of(&unrelated, "refresh_token")).await;
}

#[tokio::test]
async fn strict_reuse_is_invalid_grant_and_nothing_else() {
    // Switched at run time from the default.
    let sandbox = Sandbox::start().await.unwrap();
    let answer = control(&sandbox, "refresh-reuse", json!({"policy": "strict"})).await;
    assert_eq!(answer, json!({"policy": "strict", "overlapMs": 1000}));
    let first = tokens(&sandbox, "user_read").await;
    let second = refreshed(&sandbox, str_of(&first, "refresh_token")).await;
    let (status, error, _) =
        error_of(refresh(&sandbox, str_of(&first, "refresh_token")).await).await;
    assert_eq!(
        (status, error.as_str()),
        (StatusCode::BAD_REQUEST, "invalid_grant")
    );
    for t in [&first, &second] {
        assert_eq!(zones_status(&sandbox, t).await, StatusCode::OK);
    }
    refreshed(&sandbox, str_of(&second, "refresh_token")).await;
}

#[tokio::test]
async fn refresh_reuse_control_refuses_unknown_values_and_reset_restores_settings() {
    let sandbox = start(SandboxConfig {
        refresh_overlap: Duration::from_secs(60),
        ..SandboxConfig::default()
    })
    .await;
    for body in [
        json!({"policy": "lenient"}),
        json!({"policy": "Strict"}),
        json!({}),
        json!({"policy": "strict", "overlap_ms": 5}),
        json!({"policy": "overlap", "overlapMs": -1}),
    ] {
        assert_eq!(
            control_status(&sandbox, "refresh-reuse", body.clone()).await,
            StatusCode::BAD_REQUEST,
            "{body}"
        );
    }
    control(
        &sandbox,
        "refresh-reuse",
        json!({"policy": "family-revoke", "overlapMs": 0}),
    )
    .await;
    control(
        &sandbox,
        "auto-approve",
        json!({"enabled": true, "scope": "user_read"}),
    )
    .await;
    control(&sandbox, "reset", empty()).await;

    // Back to overlap with the 60 s window, and auto-approve grants all that was asked.
    let first = tokens(&sandbox, "user_read plans_read").await;
    assert_eq!(first["scope"], "user_read plans_read");
    let r1 = str_of(&first, "refresh_token");
    refreshed(&sandbox, r1).await;
    refreshed(&sandbox, r1).await;
    assert_eq!(zones_status(&sandbox, &first).await, StatusCode::OK);
}

// ---- 2. authorization code replay ------------------------------------------------------

#[tokio::test]
async fn a_replayed_code_revokes_the_tokens_issued_for_it() {
    let sandbox = Sandbox::start().await.unwrap();
    let code = code(&sandbox, "user_read", None).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", LOOPBACK_REDIRECT),
    ];
    let exchange = || token_request(&sandbox, &form);
    let response = exchange().await;
    assert_eq!(response.status(), StatusCode::OK);
    let first: Value = response.json().await.unwrap();
    let second = refreshed(&sandbox, str_of(&first, "refresh_token")).await;
    let unrelated = tokens(&sandbox, "user_read").await;

    let (status, error, _) = error_of(exchange().await).await;
    assert_eq!(
        (status, error.as_str()),
        (StatusCode::BAD_REQUEST, "invalid_grant")
    );
    for t in [&first, &second] {
        assert_eq!(zones_status(&sandbox, t).await, StatusCode::UNAUTHORIZED);
    }
    let (_, error, _) = error_of(refresh(&sandbox, str_of(&second, "refresh_token")).await).await;
    assert_eq!(error, "invalid_grant");
    assert_eq!(zones_status(&sandbox, &unrelated).await, StatusCode::OK);
}

// ---- 3. loopback redirect URIs ---------------------------------------------------------

async fn authorize_with(sandbox: &Sandbox, redirect_uri: &str) -> reqwest::Response {
    client()
        .get(authorize_url(
            sandbox,
            &[
                ("response_type", "code"),
                ("client_id", CLIENT_ID),
                ("redirect_uri", redirect_uri),
                ("scope", "user_read"),
                ("state", "s"),
            ],
        ))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn loopback_redirects_match_any_port_but_only_the_registered_path() {
    let sandbox = Sandbox::start().await.unwrap();
    for allowed in [
        "http://127.0.0.1:4567/callback",
        "http://127.0.0.1:61999/callback",
        "http://127.0.0.1/callback",
        "https://app.example/callback",
    ] {
        let response = authorize_with(&sandbox, allowed).await;
        assert_eq!(response.status(), StatusCode::FOUND, "{allowed}");
        let location = response.headers()["location"].to_str().unwrap();
        assert!(
            location.starts_with(&format!("{allowed}?code=")),
            "{location}"
        );
    }
    for refused in [
        "http://127.0.0.1:4567/other",
        "http://127.0.0.1:4567/callback/",
        "http://127.0.0.1:4567/callback?x=1",
        "http://127.0.0.1:4567/",
        "http://localhost:4567/callback",
        "http://localhost/callback",
        "http://[::1]:4567/callback",
        "https://127.0.0.1:4567/callback",
        "http://127.0.0.2:4567/callback",
    ] {
        let response = authorize_with(&sandbox, refused).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{refused}");
        assert!(response.headers().get("location").is_none(), "{refused}");
    }

    // The token request must repeat the redirect URI exactly, port included.
    let response = authorize_with(&sandbox, "http://127.0.0.1:4567/callback").await;
    let params = location_params(&response);
    let code = param(&params, "code").unwrap().to_owned();
    let exchange = |redirect: &'static str| {
        let code = code.clone();
        let sandbox = &sandbox;
        async move {
            token_request(
                sandbox,
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", redirect),
                ],
            )
            .await
        }
    };
    let (_, error, _) = error_of(exchange("http://127.0.0.1:4568/callback").await).await;
    assert_eq!(error, "invalid_grant");
    assert_eq!(
        exchange("http://127.0.0.1:4567/callback").await.status(),
        StatusCode::OK
    );

    // Other registrations: only what is registered, any port for loopback ones.
    let sandbox = start(SandboxConfig {
        redirect_uris: vec!["http://127.0.0.1/cli".into(), "http://[::1]/cb".into()],
        ..SandboxConfig::default()
    })
    .await;
    for (uri, status) in [
        ("http://127.0.0.1:5000/cli", StatusCode::FOUND),
        ("http://[::1]:5000/cb", StatusCode::FOUND),
        ("http://127.0.0.1:5000/callback", StatusCode::BAD_REQUEST),
        ("http://127.0.0.1:5000/cb", StatusCode::BAD_REQUEST),
        ("https://app.example/callback", StatusCode::BAD_REQUEST),
    ] {
        assert_eq!(
            authorize_with(&sandbox, uri).await.status(),
            status,
            "{uri}"
        );
    }
}

// ---- 4. refresh token lifetime ---------------------------------------------------------

/// Polls `probe` until it answers with `done`, at most `limit`; returns the number of
/// attempts that answered otherwise.
async fn poll_until<F, Fut>(limit: Duration, mut probe: F) -> usize
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    let mut attempts = 0;
    while !probe().await {
        attempts += 1;
        assert!(
            Instant::now() < deadline,
            "gave up after {attempts} attempts"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    attempts
}

#[tokio::test]
async fn an_expired_refresh_token_is_invalid_grant() {
    // Rotation off: the same refresh token is used again and again and keeps its expiry.
    let sandbox = start(SandboxConfig {
        refresh_token_lifetime: Duration::from_secs(1),
        rotation: false,
        ..SandboxConfig::default()
    })
    .await;
    let first = tokens(&sandbox, "user_read").await;
    let r1 = str_of(&first, "refresh_token").to_owned();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut successes = 0;
    let (status, error, description) = loop {
        let response = refresh(&sandbox, &r1).await;
        if response.status() != StatusCode::OK {
            break error_of(response).await;
        }
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["refresh_token"], r1.as_str());
        successes += 1;
        assert!(
            Instant::now() < deadline,
            "still valid after {successes} uses"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(successes >= 1, "the token worked before it expired");
    assert_eq!(
        (status, error.as_str()),
        (StatusCode::BAD_REQUEST, "invalid_grant")
    );
    assert!(description.contains("expired"), "{description}");
    // The access token is a separate matter (it lives 7199 s).
    assert_eq!(zones_status(&sandbox, &first).await, StatusCode::OK);
}

#[tokio::test]
async fn each_new_refresh_token_gets_the_full_lifetime() {
    let lifetime = Duration::from_secs(2);
    let sandbox = start(SandboxConfig {
        refresh_token_lifetime: lifetime,
        refresh_reuse: RefreshReuse::Strict,
        ..SandboxConfig::default()
    })
    .await;
    let first = tokens(&sandbox, "user_read").await;
    // A probe issued just after: once rotated out, presenting it changes nothing (strict),
    // and its error says "rotated" until it expires, "expired" after. When it has expired,
    // so has every refresh token issued before it.
    let probe = tokens(&sandbox, "user_read").await;
    let probe = str_of(&probe, "refresh_token").to_owned();
    refreshed(&sandbox, &probe).await;
    // Half a lifetime later the grant's refresh token is rotated: the new one must live a
    // full lifetime from now, not until the first one's expiry.
    tokio::time::sleep(lifetime / 2).await;
    let second = refreshed(&sandbox, str_of(&first, "refresh_token")).await;

    poll_until(Duration::from_secs(10), || async {
        let (_, error, description) = error_of(refresh(&sandbox, &probe).await).await;
        assert_eq!(error, "invalid_grant");
        description.contains("expired")
    })
    .await;
    // The first token's original expiry has passed; the rotated one still works.
    refreshed(&sandbox, str_of(&second, "refresh_token")).await;
}

// ---- 5. narrower consent ---------------------------------------------------------------

fn html_unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The consent form's inputs as a browser would submit them: (name, value, is a checkbox).
fn form_inputs(html: &str) -> Vec<(String, String, bool)> {
    html.split("<input")
        .skip(1)
        .map(|tag| {
            let tag = &tag[..tag.find('>').unwrap()];
            let attr = |name: &str| {
                let start = tag
                    .find(&format!("{name}=\""))
                    .map(|i| i + name.len() + 2)?;
                let end = tag[start..].find('"')? + start;
                Some(html_unescape(&tag[start..end]))
            };
            let checkbox = attr("type").as_deref() == Some("checkbox");
            if checkbox {
                assert!(tag.contains(" checked"), "every scope is ticked: {tag}");
            }
            (attr("name").unwrap(), attr("value").unwrap(), checkbox)
        })
        .collect()
}

async fn consent_page(sandbox: &Sandbox, scope: &str) -> String {
    let response = client()
        .get(authorize_url(
            sandbox,
            &[
                ("response_type", "code"),
                ("client_id", CLIENT_ID),
                ("redirect_uri", LOOPBACK_REDIRECT),
                ("scope", scope),
                ("state", "st&\"1"),
            ],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.text().await.unwrap()
}

/// Submits the consent form with only `keep` of the checkboxes ticked (plus `extra` fields).
async fn submit(
    sandbox: &Sandbox,
    html: &str,
    keep: &[&str],
    extra: &[(&str, &str)],
) -> reqwest::Response {
    let mut form: Vec<(String, String)> = form_inputs(html)
        .into_iter()
        .filter(|(_, value, checkbox)| !checkbox || keep.contains(&value.as_str()))
        .map(|(name, value, _)| (name, value))
        .collect();
    form.push(("decision".into(), "approve".into()));
    form.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    client()
        .post(format!("{}/oauth2/authorize/decision", sandbox.url()))
        .form(&form)
        .send()
        .await
        .unwrap()
}

async fn exchange(sandbox: &Sandbox, redirect: &reqwest::Response) -> Value {
    let params = location_params(redirect);
    assert_eq!(param(&params, "state"), Some("st&\"1"));
    let code = param(&params, "code").expect("a code").to_owned();
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

#[tokio::test]
async fn consent_checkboxes_narrow_the_grant() {
    let sandbox = start(SandboxConfig {
        auto_approve: false,
        ..SandboxConfig::default()
    })
    .await;
    let html = consent_page(&sandbox, "workouts_write plans_read user_read").await;
    let boxes: Vec<String> = form_inputs(&html)
        .into_iter()
        .filter(|(_, _, checkbox)| *checkbox)
        .map(|(name, value, _)| format!("{name}={value}"))
        .collect();
    assert_eq!(
        boxes,
        [
            "scope=workouts_write",
            "scope=plans_read",
            "scope=user_read"
        ]
    );

    // All ticked: everything asked for.
    let all = submit(
        &sandbox,
        &html,
        &["workouts_write", "plans_read", "user_read"],
        &[],
    )
    .await;
    assert_eq!(all.status(), StatusCode::FOUND);
    assert_eq!(
        exchange(&sandbox, &all).await["scope"],
        "workouts_write plans_read user_read"
    );

    // Two unticked: the grant, the token response and the access token are narrower.
    let narrow = submit(&sandbox, &html, &["user_read"], &[]).await;
    let tokens = exchange(&sandbox, &narrow).await;
    assert_eq!(tokens["scope"], "user_read");
    assert_eq!(zones_status(&sandbox, &tokens).await, StatusCode::OK);
    let plans = get_api(
        &sandbox,
        "/api/v1/plans?from=2025-01-01&to=2025-01-01",
        str_of(&tokens, "access_token"),
    )
    .await;
    assert_eq!(plans.status(), StatusCode::FORBIDDEN);
    // A refresh keeps the narrower grant.
    let again = refreshed(&sandbox, str_of(&tokens, "refresh_token")).await;
    assert_eq!(again["scope"], "user_read");

    // Nothing ticked: access_denied, as Spring Authorization Server answers.
    let none = submit(&sandbox, &html, &[], &[]).await;
    let params = location_params(&none);
    assert_eq!(param(&params, "error"), Some("access_denied"));
    assert!(param(&params, "code").is_none());

    // A forged extra scope that was never requested: invalid_scope.
    let html = consent_page(&sandbox, "user_read").await;
    let forged = submit(&sandbox, &html, &["user_read"], &[("scope", "plans_read")]).await;
    let params = location_params(&forged);
    assert_eq!(param(&params, "error"), Some("invalid_scope"));
}

#[tokio::test]
async fn auto_approve_can_grant_a_narrower_set() {
    let sandbox = Sandbox::start().await.unwrap();
    let answer = control(
        &sandbox,
        "auto-approve",
        json!({"enabled": true, "scope": "user_read workouts_write"}),
    )
    .await;
    assert_eq!(
        answer,
        json!({"enabled": true, "scope": "user_read workouts_write"})
    );
    let narrow = tokens(&sandbox, "plans_read user_read").await;
    assert_eq!(narrow["scope"], "user_read");

    // None of the requested scopes would be granted: access_denied.
    let response = client()
        .get(authorize_url(
            &sandbox,
            &[
                ("response_type", "code"),
                ("client_id", CLIENT_ID),
                ("redirect_uri", LOOPBACK_REDIRECT),
                ("scope", "plans_read"),
                ("state", "s"),
            ],
        ))
        .send()
        .await
        .unwrap();
    let params = location_params(&response);
    assert_eq!(param(&params, "error"), Some("access_denied"));

    for bad in [
        json!({"enabled": true, "scope": "admin"}),
        json!({"enabled": true, "scope": " "}),
        json!({"enabled": true, "scopes": "user_read"}),
    ] {
        assert_eq!(
            control_status(&sandbox, "auto-approve", bad.clone()).await,
            StatusCode::BAD_REQUEST,
            "{bad}"
        );
    }
    // Without scope (or null): everything asked for again.
    control(
        &sandbox,
        "auto-approve",
        json!({"enabled": true, "scope": null}),
    )
    .await;
    assert_eq!(
        tokens(&sandbox, "plans_read user_read").await["scope"],
        "plans_read user_read"
    );
}

#[tokio::test]
async fn overlap_window_closes() {
    let sandbox = start(SandboxConfig {
        refresh_overlap: Duration::from_millis(300),
        ..SandboxConfig::default()
    })
    .await;
    let first = tokens(&sandbox, "user_read").await;
    let r1 = str_of(&first, "refresh_token").to_owned();
    let mut newest = str_of(&refreshed(&sandbox, &r1).await, "refresh_token").to_owned();
    // Reuse r1 until the window has passed; every success supersedes the pair before it.
    let deadline = Instant::now() + Duration::from_secs(10);
    let description = loop {
        let response = refresh(&sandbox, &r1).await;
        if response.status() != StatusCode::OK {
            let (_, error, description) = error_of(response).await;
            assert_eq!(error, "invalid_grant");
            break description;
        }
        let body: Value = response.json().await.unwrap();
        newest = str_of(&body, "refresh_token").to_owned();
        assert!(Instant::now() < deadline, "the window never closed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(description.contains("overlap window"), "{description}");
    // The grant lives on with its newest pair.
    refreshed(&sandbox, &newest).await;
}
