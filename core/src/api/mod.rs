//! enduco's data API (an assumed contract, version 0 — see docs/data-contract.md): intensity zones,
//! training plans, workout upload, and [`Session::request`] for anything the typed calls lack.

mod lenient;
pub mod plans;
pub mod targets;
pub mod upload;
pub mod zones;

use reqwest::Method;
use reqwest::header::CONTENT_TYPE;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};
use crate::internal::http::RetryMode;
use crate::oauth::Scope;
use crate::session::Session;

use plans::PlannedWorkout;
use zones::IntensityZones;

/// A successful answer to [`Session::request`].
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Debug, Clone, PartialEq)]
pub struct RawResponse {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

impl RawResponse {
    /// The body parsed as JSON.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_slice(&self.body).map_err(|e| {
            Error::invalid_response(format!(
                "malformed JSON ({:?} at line {}, column {})",
                e.classify(),
                e.line(),
                e.column()
            ))
        })
    }
}

/// Parses a `YYYY-MM-DD` calendar date, for bindings whose callers pass dates as text.
pub fn parse_date(text: &str) -> Result<jiff::civil::Date> {
    text.trim()
        .parse()
        .map_err(|_| Error::invalid_input(format!("{text:?} is not a date in YYYY-MM-DD form")))
}

impl Session {
    /// The user's intensity zones per sport and metric. Needs `user_read`.
    pub async fn intensity_zones(&self) -> Result<IntensityZones> {
        let path = self.inner.client.config.endpoints.zones.clone();
        let reply = self
            .send_to(
                Some(Scope::UserRead),
                RetryMode::Idempotent,
                Method::GET,
                &path,
                Ok,
            )
            .await?;
        if !reply.is_success() {
            return Err(reply.error());
        }
        reply.expect_json()?;
        zones::parse_zones(&reply.body)
    }

    /// Planned workouts from `from` to `to` (inclusive), the athlete's local calendar dates.
    /// At most 7 days; a longer or reversed window fails with `invalid_input` before any
    /// request. Needs `plans_read`.
    pub async fn training_plans(
        &self,
        from: jiff::civil::Date,
        to: jiff::civil::Date,
    ) -> Result<Vec<PlannedWorkout>> {
        plans::check_window(from, to)?;
        let path = self.inner.client.config.endpoints.plans.clone();
        let query = [("from", from.to_string()), ("to", to.to_string())];
        let reply = self
            .send_to(
                Some(Scope::PlansRead),
                RetryMode::Idempotent,
                Method::GET,
                &path,
                |r| Ok(r.query(&query)),
            )
            .await?;
        if !reply.is_success() {
            return Err(reply.error());
        }
        reply.expect_json()?;
        plans::parse_plans(&reply.body)
    }

    /// The next `days` days (1 to 7) of plans, starting today in the athlete's time zone
    /// (`ClientConfig::time_zone`, else the device's) — never "today" in UTC.
    pub async fn upcoming_plans(&self, days: u32) -> Result<Vec<PlannedWorkout>> {
        let today = plans::local_today(self.inner.client.config.time_zone.as_deref())?;
        let (from, to) = plans::upcoming_window(days, today)?;
        self.training_plans(from, to).await
    }

    /// Escape hatch for endpoints the typed API lacks: sends `method path?query` with an
    /// optional JSON body, with authentication, refresh and retries applied (GET and HEAD are
    /// retried like reads; other methods only when the request never left). A non-2xx answer
    /// is returned as the typed error it means.
    pub async fn request(
        &self,
        method: &str,
        path: &str,
        query: &[(String, String)],
        json_body: Option<&serde_json::Value>,
    ) -> Result<RawResponse> {
        let method = Method::from_bytes(method.trim().to_ascii_uppercase().as_bytes())
            .map_err(|_| Error::invalid_input(format!("{method:?} is not an HTTP method")))?;
        if !path.starts_with('/') || path.contains('?') || path.contains('#') {
            return Err(Error::invalid_input(format!(
                "path must start with '/' and carry no query or fragment (use `query`): {path:?}"
            )));
        }
        let mode = if method == Method::GET || method == Method::HEAD {
            RetryMode::Idempotent
        } else {
            RetryMode::UnsentOnly
        };
        let reply = self
            .send_to(None, mode, method, path, |r| {
                let r = r.query(query);
                Ok(match json_body {
                    Some(body) => r.json(body),
                    None => r,
                })
            })
            .await?;
        if !reply.is_success() {
            return Err(reply.error());
        }
        Ok(RawResponse {
            status: reply.status.as_u16(),
            content_type: reply
                .headers
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            body: reply.body.to_vec(),
        })
    }
}
