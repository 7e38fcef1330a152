//! `enduco-hostile`: a server that misbehaves on purpose, for the SDK's hostile-server tests in
//! every language (loopback only). Each case lives under its own base path:
//! `http://127.0.0.1:PORT/<case>/oauth2/token` and `…/<case>/api/v1/zones`.
//!
//! `GET /cases` lists every case with the endpoint it breaks and the error code the SDK must
//! answer with, plus token sets (the SDK's storage form) to start a session from: `tokens`
//! (fresh: the call goes straight to the data endpoint) and `expiredTokens` (the call
//! refreshes first). The tests of each language iterate over this list, so the cases are
//! declared once, here.
//!
//! usage: enduco-hostile [--port N]   (first stdout line: `listening on http://127.0.0.1:PORT`)

use std::convert::Infallible;
use std::io::Write;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::Path;
use axum::http::{HeaderValue, Response, StatusCode};
use axum::routing::{any, get};
use bytes::Bytes;
use futures::stream;
use serde_json::json;

/// (name, endpoint it breaks, expected error code)
const CASES: &[(&str, &str, &str)] = &[
    ("retry-after-zero", "zones", "server"),
    ("retry-after-negative", "zones", "server"),
    ("retry-after-huge", "zones", "server"),
    ("retry-after-past-date", "zones", "server"),
    ("retry-after-future-date", "zones", "server"),
    ("huge-body-declared", "zones", "invalid_response"),
    ("huge-body-chunked", "zones", "invalid_response"),
    ("drip", "zones", "timeout"),
    ("huge-header", "zones", "network"),
    ("invalid-utf8", "zones", "invalid_response"),
    ("deep-json", "zones", "invalid_response"),
    ("html", "zones", "invalid_response"),
    ("empty-token-answer", "token", "invalid_response"),
    ("huge-token-answer", "token", "invalid_response"),
    ("html-token-answer", "token", "invalid_response"),
];

const GIB: u64 = 1 << 30;

fn token_set(expires_at: i64) -> String {
    json!({
        "schema_version": 1,
        "access_token": "hostile-access-token",
        "refresh_token": "hostile-refresh-token",
        "expires_at": expires_at,
        "scopes": ["user_read", "plans_read", "workouts_write"],
        "token_type": "Bearer",
    })
    .to_string()
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

async fn cases() -> Response<Body> {
    let list: Vec<_> = CASES
        .iter()
        .map(|(name, endpoint, expect)| json!({"name": name, "endpoint": endpoint, "expect": expect}))
        .collect();
    let body = json!({
        "cases": list,
        "tokens": token_set(now() + 7200),
        "expiredTokens": token_set(1),
    });
    Response::builder()
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .expect("response")
}

fn spaces(total: u64) -> Body {
    let chunk = Bytes::from(vec![b' '; 64 * 1024]);
    let count = total / chunk.len() as u64;
    Body::from_stream(stream::iter(
        (0..count).map(move |_| Ok::<_, Infallible>(chunk.clone())),
    ))
}

fn status_with(status: u16, retry_after: &str) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("retry-after", retry_after)
        .header("content-type", "application/json")
        .body(Body::from(r#"{"error":"busy"}"#))
        .expect("response")
}

fn json_body(body: impl Into<Body>) -> Response<Body> {
    Response::builder()
        .header("content-type", "application/json")
        .body(body.into())
        .expect("response")
}

/// What the broken endpoint answers; the other endpoint behaves.
async fn case(Path((name, rest)): Path<(String, String)>) -> Response<Body> {
    let Some((_, endpoint, _)) = CASES.iter().find(|(n, _, _)| *n == name) else {
        return Response::builder()
            .status(StatusCode::NOT_FOUND)
            .body(Body::from("unknown case"))
            .expect("response");
    };
    let is_token = rest == "oauth2/token";
    let broken = (*endpoint == "token") == is_token;
    if !broken {
        return if is_token {
            json_body(
                json!({"access_token": "hostile-access-token-2", "refresh_token": "hostile-refresh-token-2",
                       "token_type": "Bearer", "expires_in": 7199,
                       "scope": "user_read plans_read workouts_write"})
                .to_string(),
            )
        } else {
            json_body(r#"{"userId":"hostile-user","zones":[]}"#)
        };
    }
    match name.as_str() {
        "retry-after-zero" => status_with(503, "0"),
        "retry-after-negative" => status_with(503, "-5"),
        "retry-after-huge" => status_with(503, "18446744073709551615"),
        "retry-after-past-date" => status_with(503, "Thu, 01 Jan 1970 00:00:00 GMT"),
        "retry-after-future-date" => status_with(503, "Fri, 31 Dec 9999 23:59:59 GMT"),
        "huge-body-declared" => {
            let mut response = json_body(spaces(GIB));
            response
                .headers_mut()
                .insert("content-length", HeaderValue::from(GIB));
            response
        }
        "huge-body-chunked" | "huge-token-answer" => json_body(spaces(GIB)),
        "drip" => json_body(Body::from_stream(stream::unfold(0u32, |n| async move {
            if n > 0 {
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            (n < 3600).then(|| (Ok::<_, Infallible>(Bytes::from_static(b" ")), n + 1))
        }))),
        "huge-header" => {
            let mut response = json_body(r#"{"userId":"hostile-user","zones":[]}"#);
            let big = HeaderValue::from_str(&"x".repeat(1 << 20)).expect("header");
            response.headers_mut().insert("x-hostile", big);
            response
        }
        "invalid-utf8" => json_body(&b"{\"userId\":\"\xff\xfe\xfd\",\"zones\":[]}"[..]),
        "deep-json" => json_body(format!("{}{}", "[".repeat(10_000), "]".repeat(10_000))),
        "html" | "html-token-answer" => Response::builder()
            .header("content-type", "text/html")
            .body(Body::from("<html><body>Sign in to the Wi-Fi</body></html>"))
            .expect("response"),
        "empty-token-answer" => json_body(""),
        _ => unreachable!("every case has an answer"),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let mut port = 0u16;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => port = args.next().and_then(|p| p.parse().ok()).expect("--port N"),
            other => panic!("unknown argument {other:?} (usage: enduco-hostile [--port N])"),
        }
    }
    let app = Router::new()
        .route("/cases", get(cases))
        .route("/{name}/{*rest}", any(case));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("bind loopback");
    let address = listener.local_addr().expect("address");
    println!("listening on http://{address}");
    std::io::stdout().flush().expect("stdout");
    axum::serve(listener, app).await.expect("serve");
}
