//! Fault injection and the request log: a middleware around every non-control route.
//!
//! A fault queued with `POST /_sandbox/faults` replaces the next `count` requests whose path
//! equals its `path` (query ignored). Any kind may carry `delayMs`: the sandbox waits that long
//! first. `delay` then lets the real handler run; `delay-response` runs the real handler at
//! once and withholds its answer for `delayMs` (state has changed, the client has heard
//! nothing yet); every other kind answers (or fails to answer) without touching the sandbox's
//! state, as if the request had been lost on the way.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::net::Peer;
use crate::state::{AppState, Caller};
use crate::util::{Params, bad_request};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum FaultKind {
    /// Answer `status` with `{"error":"sandbox_fault"}` (and `Retry-After` if given).
    Status,
    /// Sleep `delayMs`, then handle the request normally.
    Delay,
    /// Handle the request normally at once, then sleep `delayMs` before sending the answer.
    #[serde(rename = "delay-response")]
    DelayResponse,
    /// Close the connection with a TCP reset, no HTTP response at all.
    Reset,
    /// Send headers with a Content-Length larger than the body, part of the body, then close.
    Truncate,
    /// 200 (or `status`) with a Content-Type of application/json and a body that is not JSON.
    Malformed,
    /// 200 (or `status`) with a text/html captive-portal page.
    Html,
}

impl FaultKind {
    fn name(self) -> &'static str {
        match self {
            FaultKind::Status => "status",
            FaultKind::Delay => "delay",
            FaultKind::DelayResponse => "delay-response",
            FaultKind::Reset => "reset",
            FaultKind::Truncate => "truncate",
            FaultKind::Malformed => "malformed",
            FaultKind::Html => "html",
        }
    }
}

/// `Retry-After` as delay-seconds or as an HTTP date (passed through as given).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub(crate) enum RetryAfter {
    Seconds(u64),
    Text(String),
}

/// A queued fault, as posted to `/_sandbox/faults`. Unknown fields are refused so a typo
/// (`delay_ms`) in some language's test helper fails loudly instead of silently.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Fault {
    pub path: String,
    #[serde(default = "one")]
    pub count: u32,
    pub kind: FaultKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<RetryAfter>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
}

fn one() -> u32 {
    1
}

impl Fault {
    /// Checks a fault posted to the control API.
    pub fn validate(&self) -> Result<(), String> {
        if !self.path.starts_with('/') || self.path.contains('?') {
            return Err("path must be a request path like /oauth2/token, without a query.".into());
        }
        if self.path.starts_with("/_sandbox") {
            return Err("faults cannot target the control API.".into());
        }
        if self.count == 0 {
            return Err("count must be at least 1.".into());
        }
        if let Some(status) = self.status
            && !(100..=599).contains(&status)
        {
            return Err(format!("status {status} is not an HTTP status code."));
        }
        if self.delay_ms.is_some_and(|ms| ms > 600_000) {
            return Err("delayMs is at most 600000.".into());
        }
        match self.kind {
            FaultKind::Status if self.status.is_none() => Err("kind status needs a status.".into()),
            FaultKind::Delay | FaultKind::DelayResponse if self.delay_ms.is_none() => {
                Err(format!("kind {} needs delayMs.", self.kind.name()))
            }
            _ => Ok(()),
        }
    }
}

/// Takes one use of the first pending fault for `path`.
fn take_fault(app: &AppState, path: &str) -> Option<Fault> {
    let mut inner = app.lock();
    let index = inner.faults.iter().position(|f| f.path == path)?;
    let fault = inner.faults.get_mut(index)?;
    fault.count -= 1;
    let taken = fault.clone();
    if fault.count == 0 {
        inner.faults.remove(index);
    }
    Some(taken)
}

/// Logs every request (method, path, grant type, status) and applies pending faults.
pub(crate) async fn observe(
    State(app): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<Peer>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();

    // The grant type and user go into the log, so read the (small) token request body here
    // and hand the handler a copy.
    let (request, params) = if path == "/oauth2/token" {
        let (parts, body) = request.into_parts();
        let Ok(bytes) = axum::body::to_bytes(body, 1024 * 1024).await else {
            return bad_request("The token request body is unreadable or larger than 1 MiB.");
        };
        let params = Params::parse(&bytes);
        (Request::from_parts(parts, Body::from(bytes)), Some(params))
    } else {
        (request, None)
    };

    let seq = {
        let mut inner = app.lock();
        let grant_type = params
            .as_ref()
            .and_then(|p| p.get("grant_type"))
            .map(str::to_owned);
        let user = params
            .as_ref()
            .and_then(|p| inner.token_request_user(grant_type.as_deref(), p));
        let caller = Caller {
            authenticated_client: crate::oauth::token::authenticate_client(&app, request.headers())
                .ok(),
            user_agent: request
                .headers()
                .get(axum::http::header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        };
        inner.log_request(method, path.clone(), grant_type, user, caller)
    };
    let fault = take_fault(&app, &path);
    let response = match &fault {
        None => next.run(request).await,
        Some(fault) => apply(&app, seq, fault, &peer, request, next).await,
    };
    let status = match fault.as_ref().map(|f| f.kind) {
        Some(FaultKind::Reset) => 0,
        _ => response.status().as_u16(),
    };
    app.lock()
        .log_response(seq, status, fault.map(|f| f.kind.name()));
    response
}

async fn apply(
    app: &AppState,
    seq: u64,
    fault: &Fault,
    peer: &Peer,
    request: Request,
    next: Next,
) -> Response {
    let status = fault
        .status
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK);
    let delay = Duration::from_millis(fault.delay_ms.unwrap_or(0));
    if fault.kind == FaultKind::DelayResponse {
        let response = next.run(request).await;
        // Logged now, before the wait: a test can watch for it, then kill its client while
        // the answer is still withheld.
        app.lock()
            .log_response(seq, response.status().as_u16(), Some(fault.kind.name()));
        tokio::time::sleep(delay).await;
        return response;
    }
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    if matches!(
        fault.kind,
        FaultKind::Status | FaultKind::Truncate | FaultKind::Malformed | FaultKind::Html
    ) {
        // A server that answers has read the request: answering before the body is in would
        // race the client's last writes (a broken pipe instead of the answer, depending on
        // timing), and the tests would see `network` where they expect the fault's status.
        let _ = axum::body::to_bytes(request.into_body(), usize::MAX).await;
        return fault_answer(fault, status);
    }
    match fault.kind {
        FaultKind::Delay | FaultKind::DelayResponse => next.run(request).await,
        FaultKind::Reset => {
            peer.reset_connection();
            // Never sent: writing it is what trips the reset.
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
        _ => fault_answer(fault, status),
    }
}

/// The answer of a fault that answers instead of the handler (status, truncate, malformed,
/// html).
fn fault_answer(fault: &Fault, status: StatusCode) -> Response {
    match fault.kind {
        FaultKind::Status => {
            let mut response = (
                status,
                [(header::CONTENT_TYPE, "application/json")],
                r#"{"error":"sandbox_fault"}"#,
            )
                .into_response();
            let retry_after = match &fault.retry_after {
                Some(RetryAfter::Seconds(s)) => Some(s.to_string()),
                Some(RetryAfter::Text(t)) => Some(t.clone()),
                None => None,
            };
            if let Some(value) = retry_after.and_then(|v| HeaderValue::from_str(&v).ok()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            response
        }
        FaultKind::Truncate => truncated(status),
        FaultKind::Malformed => (
            status,
            [(header::CONTENT_TYPE, "application/json")],
            r#"{"access_token": "sandbox-malformed", "zones": [1, 2,"#,
        )
            .into_response(),
        FaultKind::Html => (
            status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            CAPTIVE_PORTAL,
        )
            .into_response(),
        FaultKind::Delay | FaultKind::DelayResponse | FaultKind::Reset => {
            unreachable!(
                "{} faults do not answer in place of the handler",
                fault.kind.name()
            )
        }
    }
}

const CAPTIVE_PORTAL: &str = "<!DOCTYPE html>\n<html><head><title>Hotel Wi-Fi</title></head>\n\
<body><h1>Welcome to Hotel Wi-Fi</h1><p>Please accept the terms of use to continue.</p>\n\
<form method=\"post\" action=\"/login\"><button>Accept and connect</button></form></body></html>\n";

/// Announces a JSON body of `FULL.len()` bytes, sends the first half, and ends the body with
/// an error. hyper has flushed the first half by then (the pause makes sure), so the client
/// receives headers and a partial body, then the connection closes (FIN, not RST, so the
/// partial body is not discarded by the client's kernel).
fn truncated(status: StatusCode) -> Response {
    const FULL: &[u8] = br#"{"error":"sandbox_fault","error_description":"This body is cut off by the sandbox's truncate fault; a client must never see it whole.","padding":"................................................................"}"#;
    let half = Bytes::from_static(&FULL[..FULL.len() / 2]);
    let first = futures::stream::iter([Ok::<_, io::Error>(half)]);
    let failure = futures::stream::once(async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        Err::<Bytes, _>(io::Error::new(
            io::ErrorKind::ConnectionAborted,
            "sandbox truncate fault",
        ))
    });
    let mut response = Response::new(Body::from_stream(futures::StreamExt::chain(first, failure)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(FULL.len()));
    response
}
