//! One HTTP exchange with enduco: timeouts, retries with jittered backoff and `Retry-After`
//! within one deadline, and the mapping of answers to [`Error`]s.
//!
//! Logging here records method, path, status, attempt and timing only: never headers or
//! bodies, which carry tokens and codes.

use std::error::Error as _;
use std::time::{Duration, Instant, SystemTime};

use backon::BackoffBuilder;
use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, HeaderMap, RETRY_AFTER, WWW_AUTHENTICATE};
use serde::Deserialize;

use crate::config::{RetryPolicy, Timeouts};
use crate::error::{Error, Result};

/// When a failed attempt may be repeated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RetryMode {
    /// Reads and revoke: 429/502/503/504, connection errors and timeouts.
    Idempotent,
    /// Token requests: the server refused without processing (429, 503) or never saw the
    /// request. A refresh that reached the server may have rotated the refresh token, so it
    /// is not blindly repeated.
    Refusals,
    /// Uploads and other writes: only when the request provably never reached the server.
    UnsentOnly,
}

/// The most a token or revoke answer may weigh: a token response is a few KiB.
pub(crate) const TOKEN_RESPONSE_LIMIT: usize = 64 * 1024;

/// The longest wait the SDK will ever schedule. Anything longer (a `Retry-After` of 2^64 − 1
/// seconds, a deadline of centuries) is cut to it instead of overflowing the clock.
const LONGEST_WAIT: Duration = Duration::from_secs(30 * 24 * 3600);

/// `now + wait`, saturating at [`LONGEST_WAIT`].
pub(crate) fn instant_after(wait: Duration) -> Instant {
    Instant::now() + wait.min(LONGEST_WAIT)
}

/// A complete answer: status, headers and the whole body.
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

pub(crate) struct Transport {
    client: reqwest::Client,
    retry: RetryPolicy,
}

impl Transport {
    pub(crate) fn new(timeouts: &Timeouts, retry: RetryPolicy, user_agent: &str) -> Result<Self> {
        let client = reqwest::Client::builder()
            .connect_timeout(timeouts.connect)
            .user_agent(user_agent)
            // enduco never redirects API calls; following one could forward a bearer token.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::Network {
                message: format!("cannot build the HTTP client: {}", chain(&e)),
            })?;
        Ok(Transport { client, retry })
    }

    pub(crate) fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Sends the request `build` makes, repeating it as `mode` allows. `build` runs once per
    /// attempt so a streamed body can be reopened. `timeout` bounds each attempt, and every
    /// attempt gets at most the time left before the call's deadline: the retry deadline, or
    /// one attempt's timeout when that is longer (an upload). A body over `limit` bytes is
    /// refused without reading the rest.
    ///
    /// Returns the final reply whatever its status; the caller decides what a status means.
    pub(crate) async fn send<F>(
        &self,
        mode: RetryMode,
        timeout: Duration,
        limit: usize,
        build: F,
    ) -> Result<Reply>
    where
        F: Fn() -> Result<reqwest::RequestBuilder>,
    {
        let deadline = instant_after(self.retry.deadline.max(timeout));
        let mut backoff = backon::ExponentialBuilder::default()
            .with_jitter()
            .with_min_delay(self.retry.initial_backoff)
            .with_max_delay(self.retry.max_backoff)
            .with_max_times(self.retry.max_retries as usize)
            .build();
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(Error::Timeout);
            }
            let request = build()?.timeout(timeout.min(left)).build().map_err(|e| {
                Error::invalid_input(format!("cannot build the request: {}", chain(&e)))
            })?;
            // Only for the debug lines below: not copied per call unless they are enabled.
            let traced = tracing::enabled!(tracing::Level::DEBUG)
                .then(|| (request.method().clone(), request.url().path().to_owned()));
            let (method, path) = match &traced {
                Some((method, path)) => (method.as_str(), path.as_str()),
                None => ("", ""),
            };
            let outcome = self.attempt(request, limit).await;
            let wait = match &outcome {
                Ok(reply) => {
                    tracing::debug!(
                        method,
                        path,
                        status = reply.status.as_u16(),
                        attempt,
                        "enduco answered"
                    );
                    if retryable_status(mode, reply.status) {
                        Some(retry_after(&reply.headers))
                    } else {
                        return outcome.map_err(Failure::into_error);
                    }
                }
                Err(failure) => {
                    tracing::debug!(
                        method,
                        path,
                        attempt,
                        kind = failure.kind(),
                        "request failed"
                    );
                    if failure.retryable(mode) {
                        Some(None)
                    } else {
                        return outcome.map_err(Failure::into_error);
                    }
                }
            };
            let (Some(server_hint), Some(delay)) = (wait, backoff.next()) else {
                return outcome.map_err(Failure::into_error);
            };
            let delay = server_hint.map_or(delay, |hint| hint.max(delay));
            if delay >= deadline.saturating_duration_since(Instant::now()) {
                tracing::debug!(path, ?delay, "retry would pass the deadline; giving up");
                return outcome.map_err(Failure::into_error);
            }
            tracing::debug!(path, ?delay, "retrying");
            tokio::time::sleep(delay).await;
        }
    }

    async fn attempt(&self, request: reqwest::Request, limit: usize) -> Result<Reply, Failure> {
        let mut response = self
            .client
            .execute(request)
            .await
            .map_err(Failure::from_send)?;
        let status = response.status();
        // Taken, not cloned: the response's body stream does not need its headers.
        let headers = std::mem::take(response.headers_mut());
        let mut body =
            CappedBody::new(limit, response.content_length()).map_err(Failure::TooLarge)?;
        while let Some(chunk) = response.chunk().await.map_err(Failure::from_body)? {
            body.push_bytes(chunk).map_err(Failure::TooLarge)?;
        }
        Ok(Reply {
            status,
            headers,
            body: body.finish(),
        })
    }
}

/// A response body read up to a limit. A hostile or broken server must not make us buffer
/// gigabytes: a declared length over the limit is refused at once, and reading stops when the
/// bytes pass it. Errors carry the limit.
///
/// A body that arrives in one chunk (every small JSON answer) is kept as that chunk, without
/// a copy; only a second chunk starts a buffer.
pub(crate) struct CappedBody {
    limit: usize,
    /// The first chunk, while it is the only one.
    first: Option<Bytes>,
    bytes: bytes::BytesMut,
}

impl CappedBody {
    pub(crate) fn new(limit: usize, declared: Option<u64>) -> Result<Self, usize> {
        if declared.is_some_and(|n| n > limit as u64) {
            return Err(limit);
        }
        Ok(CappedBody {
            limit,
            first: None,
            bytes: bytes::BytesMut::new(),
        })
    }

    fn len(&self) -> usize {
        self.first.as_ref().map_or(0, Bytes::len) + self.bytes.len()
    }

    pub(crate) fn push(&mut self, chunk: &[u8]) -> Result<(), usize> {
        if self.len().saturating_add(chunk.len()) > self.limit {
            return Err(self.limit);
        }
        if let Some(first) = self.first.take() {
            self.bytes.extend_from_slice(&first);
        }
        self.bytes.extend_from_slice(chunk);
        Ok(())
    }

    /// [`Self::push`] for a chunk the body may keep as it is.
    pub(crate) fn push_bytes(&mut self, chunk: Bytes) -> Result<(), usize> {
        if self.first.is_none() && self.bytes.is_empty() {
            if chunk.len() > self.limit {
                return Err(self.limit);
            }
            self.first = Some(chunk);
            return Ok(());
        }
        self.push(&chunk)
    }

    pub(crate) fn finish(self) -> Bytes {
        match self.first {
            Some(first) => first,
            None => self.bytes.freeze(),
        }
    }
}

/// Why an attempt produced no reply.
#[derive(Debug)]
enum Failure {
    /// The connection was never established: the server cannot have seen the request.
    Unsent(String),
    /// The request may have reached the server (reset, cut-off body).
    Broken(String),
    TimedOut,
    /// The body passed the size limit; reading stopped.
    TooLarge(usize),
}

impl Failure {
    fn from_send(e: reqwest::Error) -> Failure {
        let e = e.without_url();
        if e.is_timeout() {
            Failure::TimedOut
        } else if e.is_connect() {
            Failure::Unsent(chain(&e))
        } else {
            Failure::Broken(chain(&e))
        }
    }

    fn from_body(e: reqwest::Error) -> Failure {
        let e = e.without_url();
        if e.is_timeout() {
            Failure::TimedOut
        } else {
            Failure::Broken(format!("the response was cut off: {}", chain(&e)))
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Failure::Unsent(_) => "connect",
            Failure::Broken(_) => "broken",
            Failure::TimedOut => "timeout",
            Failure::TooLarge(_) => "too large",
        }
    }

    fn retryable(&self, mode: RetryMode) -> bool {
        match self {
            Failure::Unsent(_) => true,
            Failure::Broken(_) | Failure::TimedOut => mode == RetryMode::Idempotent,
            Failure::TooLarge(_) => false,
        }
    }

    fn into_error(self) -> Error {
        match self {
            Failure::Unsent(message) | Failure::Broken(message) => Error::Network { message },
            Failure::TimedOut => Error::Timeout,
            Failure::TooLarge(limit) => Error::invalid_response(format!(
                "the answer is larger than {limit} bytes; refused without reading the rest"
            )),
        }
    }
}

fn retryable_status(mode: RetryMode, status: StatusCode) -> bool {
    match mode {
        RetryMode::Idempotent => matches!(status.as_u16(), 429 | 502 | 503 | 504),
        RetryMode::Refusals => matches!(status.as_u16(), 429 | 503),
        RetryMode::UnsentOnly => false,
    }
}

/// The error chain of a reqwest error as one line. Callers strip the URL first
/// (`without_url`): it may carry query parameters.
fn chain(e: &reqwest::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}

/// `Retry-After` as seconds or an HTTP date (RFC 9110 §10.2.3).
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = jiff::fmt::rfc2822::parse(value).ok()?.timestamp();
    let now = jiff::Timestamp::try_from(SystemTime::now()).ok()?;
    let secs = when.as_second() - now.as_second();
    Some(Duration::from_secs(secs.max(0) as u64))
}

/// The error body shapes enduco may send: RFC 6749 `{error, error_description}` or a generic
/// `{code, message}`.
#[derive(Deserialize, Default)]
struct ErrorBody {
    error: Option<String>,
    error_description: Option<String>,
    code: Option<String>,
    message: Option<String>,
    scope: Option<String>,
}

impl Reply {
    pub(crate) fn is_success(&self) -> bool {
        self.status.is_success()
    }

    fn error_body(&self) -> ErrorBody {
        serde_json::from_slice(&self.body).unwrap_or_default()
    }

    /// The OAuth error code of a token-endpoint answer, if it has one.
    pub(crate) fn oauth_error(&self) -> Option<String> {
        self.error_body().error
    }

    /// Parses a successful JSON body. HTML (a proxy, a captive portal) and malformed JSON are
    /// `invalid_response` errors that quote no part of the body.
    pub(crate) fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T> {
        self.expect_json()?;
        serde_json::from_slice(&self.body).map_err(|e| {
            Error::invalid_response(format!(
                "malformed JSON from {} ({:?} at line {}, column {})",
                "enduco",
                e.classify(),
                e.line(),
                e.column()
            ))
        })
    }

    /// Refuses bodies that are plainly not JSON before anything tries to parse them.
    pub(crate) fn expect_json(&self) -> Result<()> {
        let content_type = self
            .headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        let first = self.body.iter().find(|b| !b.is_ascii_whitespace());
        if content_type.contains("html") || first == Some(&b'<') {
            return Err(Error::invalid_response(format!(
                "expected JSON but got an HTML page (HTTP {}); a proxy or captive portal may be in the way",
                self.status.as_u16()
            )));
        }
        if self.body.is_empty() {
            return Err(Error::invalid_response(format!(
                "empty body (HTTP {})",
                self.status.as_u16()
            )));
        }
        Ok(())
    }

    /// The error a non-success answer means. 401 is left to the caller (it may refresh).
    pub(crate) fn error(&self) -> Error {
        let status = self.status.as_u16();
        match status {
            429 => Error::RateLimited {
                retry_after: retry_after(&self.headers),
            },
            500..=599 => Error::Server { status },
            401 => Error::ReauthorizationRequired {
                reason: "enduco rejected the access token".into(),
            },
            _ => self.api_error(),
        }
    }

    /// enduco's own error for a 4xx answer: `{error, error_description}` or `{code, message}`,
    /// `insufficient_scope` on a 403 recognised from the body or `WWW-Authenticate`.
    pub(crate) fn api_error(&self) -> Error {
        let status = self.status.as_u16();
        let body = self.error_body();
        let code = body.error.or(body.code);
        if status == 403
            && let Some(missing) = self.insufficient_scope(code.as_deref(), body.scope.as_deref())
        {
            return Error::InsufficientScope { missing };
        }
        match code {
            Some(code) => Error::Api {
                status: Some(status),
                code,
                message: body.error_description.or(body.message).unwrap_or_default(),
            },
            None if self.expect_json().is_err() && !self.body.is_empty() => {
                Error::invalid_response(format!(
                    "HTTP {status} with a body that is not an enduco error"
                ))
            }
            None => Error::Api {
                status: Some(status),
                code: format!("http_{status}"),
                message: self
                    .status
                    .canonical_reason()
                    .unwrap_or_default()
                    .to_owned(),
            },
        }
    }

    /// RFC 6750 §3.1: `insufficient_scope` in the body or the `WWW-Authenticate` header, with
    /// the scope enduco wants when it says.
    fn insufficient_scope(&self, code: Option<&str>, scope: Option<&str>) -> Option<Vec<String>> {
        let header = self
            .headers
            .get(WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if code != Some("insufficient_scope") && !header.contains("insufficient_scope") {
            return None;
        }
        let from_header = header
            .split("scope=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next());
        Some(
            scope
                .or(from_header)
                .map(crate::token::split_scopes)
                .unwrap_or_default(),
        )
    }
}
