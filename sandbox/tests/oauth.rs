//! The OAuth endpoints over real HTTP.

mod common;

use std::time::Duration;

use common::*;
use enduco_sandbox::{GrantTypes, RefreshReuse, Sandbox, SandboxConfig};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn error_of(response: reqwest::Response) -> (StatusCode, String) {
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    (
        status,
        body["error"].as_str().unwrap_or_default().to_owned(),
    )
}

#[tokio::test]
async fn authorize_redirects_with_code_and_state_unchanged() {
    // A registered loopback URI with a query of its own: any port, the query kept.
    let sandbox = Sandbox::start_with(SandboxConfig {
        redirect_uris: vec!["http://127.0.0.1/cb?keep=1".into()],
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let state = "a b+c/é&=?";
    let response = client()
        .get(authorize_url(
            &sandbox,
            &[
                ("response_type", "code"),
                ("client_id", CLIENT_ID),
                ("redirect_uri", "http://127.0.0.1:61000/cb?keep=1"),
                ("scope", "user_read plans_read"),
                ("state", state),
            ],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    let location = response.headers()["location"].to_str().unwrap();
    assert!(location.starts_with("http://127.0.0.1:61000/cb?keep=1&code="));
    // Spaces as %20, never '+', so every decoder agrees.
    assert!(!location.contains('+'), "{location}");
    let params = location_params(&response);
    assert_eq!(param(&params, "state"), Some(state));
    assert_eq!(param(&params, "keep"), Some("1"));
    assert!(param(&params, "code").is_some_and(|c| c.len() >= 32));
}

#[tokio::test]
async fn authorize_errors() {
    let sandbox = Sandbox::start().await.unwrap();
    let get = |params: Vec<(&'static str, &'static str)>| {
        let url = authorize_url(&sandbox, &params);
        async move { client().get(url).send().await.unwrap() }
    };
    let base = |extra: &[(&'static str, &'static str)]| {
        let mut p = vec![
            ("response_type", "code"),
            ("client_id", CLIENT_ID),
            ("redirect_uri", LOOPBACK_REDIRECT),
            ("state", "xyz"),
        ];
        for (k, v) in extra {
            p.retain(|(name, _)| name != k);
            p.push((k, v));
        }
        p
    };

    // No redirect for an unknown client or redirect URI.
    for extra in [
        vec![("client_id", "someone-else")],
        vec![("redirect_uri", "https://evil.example/cb")],
        vec![("redirect_uri", "http://localhost:4567/callback")],
    ] {
        let response = get(base(&extra)).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{extra:?}");
        assert!(response.headers().get("location").is_none());
        assert!(response.text().await.unwrap().contains("<html"));
    }

    for (extra, error) in [
        (
            vec![("response_type", "token")],
            "unsupported_response_type",
        ),
        (vec![("scope", "user_read admin")], "invalid_scope"),
        (
            vec![
                ("code_challenge", "x".repeat(43).leak() as &str),
                ("code_challenge_method", "plain"),
            ],
            "invalid_request",
        ),
        (
            vec![("code_challenge", "x".repeat(43).leak() as &str)],
            "invalid_request",
        ),
    ] {
        let response = get(base(&extra)).await;
        assert_eq!(response.status(), StatusCode::FOUND, "{extra:?}");
        let params = location_params(&response);
        assert_eq!(param(&params, "error"), Some(error), "{extra:?}");
        assert_eq!(param(&params, "state"), Some("xyz"));
        assert!(param(&params, "code").is_none());
    }

    // The registered non-loopback URI works too.
    let response = get(base(&[("redirect_uri", "https://app.example/callback")])).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    assert!(
        response.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("https://app.example/callback?code=")
    );
}

#[tokio::test]
async fn consent_page_approve_and_cancel() {
    let sandbox = Sandbox::start_with(SandboxConfig {
        auto_approve: false,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let params = [
        ("response_type", "code"),
        ("client_id", CLIENT_ID),
        ("redirect_uri", LOOPBACK_REDIRECT),
        ("scope", "user_read"),
        ("state", "s1"),
        ("login_hint", "athlete-7"),
    ];
    let page = client()
        .get(authorize_url(&sandbox, &params))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("action=\"/oauth2/authorize/decision\""));
    assert!(html.contains("name=\"decision\" value=\"approve\""));
    assert!(html.contains("name=\"decision\" value=\"cancel\""));
    assert!(html.contains("name=\"state\" value=\"s1\""));

    let decide = |decision: &'static str| {
        let mut form: Vec<(&str, &str)> = params.to_vec();
        form.push(("decision", decision));
        let url = format!("{}/oauth2/authorize/decision", sandbox.url());
        async move { client().post(url).form(&form).send().await.unwrap() }
    };
    let cancelled = decide("cancel").await;
    assert_eq!(cancelled.status(), StatusCode::FOUND);
    let p = location_params(&cancelled);
    assert_eq!(param(&p, "error"), Some("access_denied"));
    assert_eq!(param(&p, "state"), Some("s1"));

    let approved = decide("approve").await;
    assert_eq!(approved.status(), StatusCode::FOUND);
    let p = location_params(&approved);
    let code = param(&p, "code").unwrap().to_owned();
    let response = token_request(
        &sandbox,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", LOOPBACK_REDIRECT),
        ],
    )
    .await;
    let tokens: Value = response.json().await.unwrap();
    // login_hint chose the user.
    let zones: Value = get_api(
        &sandbox,
        "/api/v1/zones",
        tokens["access_token"].as_str().unwrap(),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(zones["userId"], "athlete-7");

    // Switching auto-approve on at run time skips the page.
    control(&sandbox, "auto-approve", json!({"enabled": true})).await;
    let response = client()
        .get(authorize_url(&sandbox, &params))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
}

#[tokio::test]
async fn token_response_and_jwt_claims() {
    let sandbox = Sandbox::start().await.unwrap();
    let code = code(&sandbox, "user_read plans_read", None).await;
    let response = token_request(
        &sandbox,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", LOOPBACK_REDIRECT),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 7199);
    assert_eq!(body["scope"], "user_read plans_read");
    assert!(body["refresh_token"].as_str().is_some_and(|t| t.len() > 20));

    let jwks: Value = client()
        .get(format!("{}/oauth2/jwks", sandbox.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = &jwks["keys"][0];
    assert_eq!(key["kty"], "RSA");
    assert_eq!(key["alg"], "RS256");
    assert_eq!(key["use"], "sig");
    let token = body["access_token"].as_str().unwrap();
    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(header.alg, Algorithm::RS256);
    assert_eq!(header.kid.as_deref(), key["kid"].as_str());

    let decoding =
        DecodingKey::from_rsa_components(key["n"].as_str().unwrap(), key["e"].as_str().unwrap())
            .unwrap();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[CLIENT_ID]);
    validation.set_issuer(&[sandbox.url()]);
    validation.set_required_spec_claims(&["exp", "nbf", "aud", "iss", "sub"]);
    let claims = jsonwebtoken::decode::<Value>(token, &decoding, &validation)
        .unwrap()
        .claims;
    assert_eq!(claims["sub"], "athlete-1001");
    assert_eq!(claims["scope"], json!(["user_read", "plans_read"]));
    assert_eq!(
        claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
        7199
    );
    assert!(claims["jti"].as_str().is_some_and(|j| !j.is_empty()));

    // jti is unique per token.
    let other = access_token(&sandbox, "user_read").await;
    let other_claims = jsonwebtoken::decode::<Value>(&other, &decoding, &validation)
        .unwrap()
        .claims;
    assert_ne!(claims["jti"], other_claims["jti"]);
}

#[tokio::test]
async fn client_authentication() {
    let sandbox = Sandbox::start().await.unwrap();
    let form = [("grant_type", "refresh_token"), ("refresh_token", "x")];
    let url = format!("{}/oauth2/token", sandbox.url());
    for authorization in [
        None,
        Some("Basic sandbox-client:sandbox-secret".to_owned()),
        Some(basic(CLIENT_ID, "wrong")),
        Some(basic("other", CLIENT_SECRET)),
        Some("Bearer abc".to_owned()),
    ] {
        let mut request = client().post(&url).form(&form);
        if let Some(a) = &authorization {
            request = request.header("authorization", a);
        }
        let response = request.send().await.unwrap();
        assert_eq!(
            response.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .split(' ')
                .next(),
            Some("Basic")
        );
        assert_eq!(
            error_of(response).await,
            (StatusCode::UNAUTHORIZED, "invalid_client".into()),
            "{authorization:?}"
        );
    }
    // Credentials in the body (client_secret_post) are not accepted either.
    let response = client()
        .post(&url)
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "x"),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn credentials_are_form_urlencoded_before_base64() {
    let id = "client:with space";
    let secret = "s€cret&+=/%";
    let sandbox = Sandbox::start_with(SandboxConfig {
        client_id: id.into(),
        client_secret: secret.into(),
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let response = client()
        .post(format!("{}/oauth2/token", sandbox.url()))
        .header("authorization", basic(id, secret))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "unknown"),
        ])
        .send()
        .await
        .unwrap();
    // Authenticated: the error is about the grant, not the client.
    assert_eq!(
        error_of(response).await,
        (StatusCode::BAD_REQUEST, "invalid_grant".into())
    );
}

#[tokio::test]
async fn grant_type_spellings() {
    let sandbox = Sandbox::start().await.unwrap();
    for spelling in ["authorization_code", "code"] {
        let code = code(&sandbox, "user_read", None).await;
        let response = token_request(
            &sandbox,
            &[
                ("grant_type", spelling),
                ("code", &code),
                ("redirect_uri", LOOPBACK_REDIRECT),
            ],
        )
        .await;
        assert_eq!(response.status(), StatusCode::OK, "{spelling}");
    }

    for (accept, refused, accepted) in [
        ("code", "authorization_code", "code"),
        ("authorization_code", "code", "authorization_code"),
    ] {
        control(&sandbox, "grant-types", json!({ "accept": accept })).await;
        let code = code(&sandbox, "user_read", None).await;
        let form = |g| {
            [
                ("grant_type", g),
                ("code", code.as_str()),
                ("redirect_uri", LOOPBACK_REDIRECT),
            ]
        };
        let response = token_request(&sandbox, &form(refused)).await;
        assert_eq!(
            error_of(response).await,
            (StatusCode::BAD_REQUEST, "unsupported_grant_type".into())
        );
        // The refusal did not burn the code: the SDK's retry with the other spelling works.
        let response = token_request(&sandbox, &form(accepted)).await;
        assert_eq!(response.status(), StatusCode::OK);
    }

    let sandbox = Sandbox::start_with(SandboxConfig {
        grant_types: GrantTypes::CodeOnly,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let code = code(&sandbox, "user_read", None).await;
    let response = token_request(
        &sandbox,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", LOOPBACK_REDIRECT),
        ],
    )
    .await;
    assert_eq!(error_of(response).await.1, "unsupported_grant_type");
    let response = token_request(&sandbox, &[("grant_type", "password")]).await;
    assert_eq!(error_of(response).await.1, "unsupported_grant_type");
}

#[tokio::test]
async fn codes_are_single_use_bound_and_short_lived() {
    let sandbox = Sandbox::start_with(SandboxConfig {
        code_lifetime: Duration::from_millis(300),
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let exchange = |code: String, redirect: &'static str| {
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

    let code1 = code(&sandbox, "user_read", None).await;
    assert_eq!(
        exchange(code1.clone(), LOOPBACK_REDIRECT).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        error_of(exchange(code1, LOOPBACK_REDIRECT).await).await.1,
        "invalid_grant"
    );

    let code2 = code(&sandbox, "user_read", None).await;
    assert_eq!(
        error_of(exchange(code2.clone(), "http://127.0.0.1:4567/other").await)
            .await
            .1,
        "invalid_grant"
    );

    let code3 = code(&sandbox, "user_read", None).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        error_of(exchange(code3, LOOPBACK_REDIRECT).await).await.1,
        "invalid_grant"
    );

    assert_eq!(
        error_of(exchange("nonsense".into(), LOOPBACK_REDIRECT).await)
            .await
            .1,
        "invalid_grant"
    );

    let response = token_request(
        &sandbox,
        &[
            ("grant_type", "authorization_code"),
            ("redirect_uri", LOOPBACK_REDIRECT),
        ],
    )
    .await;
    assert_eq!(error_of(response).await.1, "invalid_request");
}

#[tokio::test]
async fn pkce_is_checked() {
    let sandbox = Sandbox::start().await.unwrap();
    let (verifier, challenge) = pkce();
    let exchange = |code: String, verifier: Option<&'static str>| {
        let sandbox = &sandbox;
        async move {
            let mut form = vec![
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", LOOPBACK_REDIRECT),
            ];
            if let Some(v) = verifier {
                form.push(("code_verifier", v));
            }
            token_request(sandbox, &form).await
        }
    };
    let verifier: &'static str = verifier.leak();

    let code1 = code(&sandbox, "user_read", Some(&challenge)).await;
    assert_eq!(
        error_of(exchange(code1.clone(), None).await).await.1,
        "invalid_grant"
    );
    let wrong = "x".repeat(43).leak();
    assert_eq!(
        error_of(exchange(code1.clone(), Some(wrong)).await).await.1,
        "invalid_grant"
    );
    // Failed verifications do not burn the code.
    assert_eq!(
        exchange(code1, Some(verifier)).await.status(),
        StatusCode::OK
    );

    // A verifier without a challenge is refused (RFC 9700 §2.1.1).
    let code2 = code(&sandbox, "user_read", None).await;
    assert_eq!(
        error_of(exchange(code2, Some(verifier)).await).await.1,
        "invalid_grant"
    );
}

#[tokio::test]
async fn refresh_with_rotation() {
    let sandbox = Sandbox::start_with(SandboxConfig {
        refresh_reuse: RefreshReuse::Strict,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let first = tokens(&sandbox, "user_read").await;
    let r1 = first["refresh_token"].as_str().unwrap();

    let response = refresh(&sandbox, r1).await;
    assert_eq!(response.status(), StatusCode::OK);
    let second: Value = response.json().await.unwrap();
    let r2 = second["refresh_token"].as_str().unwrap();
    assert_ne!(r1, r2);
    assert_ne!(first["access_token"], second["access_token"]);
    assert_eq!(second["scope"], "user_read");

    // Strict: reuse of the rotated token fails at once, but does not revoke the family.
    assert_eq!(
        error_of(refresh(&sandbox, r1).await).await,
        (StatusCode::BAD_REQUEST, "invalid_grant".into())
    );
    assert_eq!(
        get_api(
            &sandbox,
            "/api/v1/zones",
            second["access_token"].as_str().unwrap()
        )
        .await
        .status(),
        StatusCode::OK
    );
    assert_eq!(refresh(&sandbox, r2).await.status(), StatusCode::OK);

    // clientId, when present, must be the authenticated client.
    let r3: Value = tokens(&sandbox, "user_read").await;
    let response = token_request(
        &sandbox,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", r3["refresh_token"].as_str().unwrap()),
            ("clientId", "another"),
        ],
    )
    .await;
    assert_eq!(error_of(response).await.1, "invalid_request");
    // …and may be left out.
    let response = token_request(
        &sandbox,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", r3["refresh_token"].as_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);

    let response = token_request(&sandbox, &[("grant_type", "refresh_token")]).await;
    assert_eq!(error_of(response).await.1, "invalid_request");
}

#[tokio::test]
async fn refresh_without_rotation() {
    let sandbox = Sandbox::start_with(SandboxConfig {
        rotation: false,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let first = tokens(&sandbox, "user_read").await;
    let r1 = first["refresh_token"].as_str().unwrap();
    for _ in 0..2 {
        let body: Value = refresh(&sandbox, r1).await.json().await.unwrap();
        assert_eq!(body["refresh_token"], r1);
    }
    // Turned on at run time.
    control(&sandbox, "rotation", json!({"enabled": true})).await;
    let body: Value = refresh(&sandbox, r1).await.json().await.unwrap();
    assert_ne!(body["refresh_token"], r1);
}

#[tokio::test]
async fn revoke_refresh_token_kills_its_access_tokens() {
    let sandbox = Sandbox::start().await.unwrap();
    let first = tokens(&sandbox, "user_read").await;
    let second: Value = refresh(&sandbox, first["refresh_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    let unrelated = access_token(&sandbox, "user_read").await;

    let revoke = |token: String, auth: String| {
        let url = format!("{}/oauth2/revoke", sandbox.url());
        async move {
            client()
                .post(url)
                .header("authorization", auth)
                .form(&[
                    ("token", token.as_str()),
                    ("token_type_hint", "refresh_token"),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    let r2 = second["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(
        revoke(r2.clone(), "Basic c2FuZGJveC1jbGllbnQ6bm9wZQ==".into())
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        revoke(r2.clone(), default_basic()).await.status(),
        StatusCode::OK
    );

    for access in [&first["access_token"], &second["access_token"]] {
        let response = get_api(&sandbox, "/api/v1/zones", access.as_str().unwrap()).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        error_of(refresh(&sandbox, &r2).await).await.1,
        "invalid_grant"
    );
    assert_eq!(
        get_api(&sandbox, "/api/v1/zones", &unrelated)
            .await
            .status(),
        StatusCode::OK
    );

    // Unknown tokens: 200 anyway. Revoking an access token ends just that one.
    assert_eq!(
        revoke("unknown".into(), default_basic()).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        revoke(unrelated.clone(), default_basic()).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        get_api(&sandbox, "/api/v1/zones", &unrelated)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn bearer_checks() {
    let sandbox = Sandbox::start_with(SandboxConfig {
        access_token_lifetime: Duration::from_secs(1),
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let token = access_token(&sandbox, "plans_read").await;

    let response = get_api(&sandbox, "/api/v1/zones", &token).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        response.headers()["www-authenticate"],
        "Bearer error=\"insufficient_scope\", scope=\"user_read\""
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "insufficient_scope");
    assert_eq!(body["scope"], "user_read");

    for bad in ["", "garbage", "eyJhbGciOiJSUzI1NiJ9.e30.sig"] {
        let response = get_api(&sandbox, "/api/v1/plans", bad).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            response.headers()["www-authenticate"],
            "Bearer error=\"invalid_token\""
        );
    }
    let response = client()
        .get(format!("{}/api/v1/zones", sandbox.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_of(response).await,
        (StatusCode::UNAUTHORIZED, "invalid_token".into())
    );

    tokio::time::sleep(Duration::from_millis(1100)).await;
    let response = get_api(
        &sandbox,
        "/api/v1/plans?from=2025-01-01&to=2025-01-01",
        &token,
    )
    .await;
    assert_eq!(
        error_of(response).await,
        (StatusCode::UNAUTHORIZED, "invalid_token".into())
    );
}

#[tokio::test]
async fn expire_access_tokens_control() {
    let sandbox = Sandbox::start().await.unwrap();
    let tokens = tokens(&sandbox, "user_read").await;
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(
        get_api(&sandbox, "/api/v1/zones", access).await.status(),
        StatusCode::OK
    );
    control(&sandbox, "expire-access-tokens", empty()).await;
    assert_eq!(
        get_api(&sandbox, "/api/v1/zones", access).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // The refresh token still works and the new access token is fine.
    let fresh: Value = refresh(&sandbox, tokens["refresh_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        get_api(
            &sandbox,
            "/api/v1/zones",
            fresh["access_token"].as_str().unwrap()
        )
        .await
        .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn metadata_and_reset() {
    let sandbox = Sandbox::start().await.unwrap();
    let meta: Value = client()
        .get(format!(
            "{}/.well-known/oauth-authorization-server",
            sandbox.url()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(meta["issuer"], sandbox.url());
    assert_eq!(
        meta["token_endpoint"],
        format!("{}/oauth2/token", sandbox.url())
    );

    let tokens = tokens(&sandbox, "user_read").await;
    control(&sandbox, "rotation", json!({"enabled": false})).await;
    control(&sandbox, "reset", empty()).await;
    assert!(request_log(&sandbox).await.is_empty());
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(
        get_api(&sandbox, "/api/v1/zones", access).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // Rotation is back to the start configuration (on).
    let fresh = common::tokens(&sandbox, "user_read").await;
    let next: Value = refresh(&sandbox, fresh["refresh_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_ne!(next["refresh_token"], fresh["refresh_token"]);
}
