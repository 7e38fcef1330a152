//! Client configuration: which enduco, which app, how patient.

use std::collections::HashMap;
use std::time::Duration;

use url::Url;

use crate::error::{Error, Result};
use crate::token::ClientSecret;

/// Which enduco deployment to talk to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Environment {
    /// `https://beta-api.dev.enduco.app`, for integration work.
    Beta,
    /// `https://api.prod.enduco.app`.
    Production,
    /// Any other base URL: the sandbox, a proxy. Plain `http://` only for loopback hosts.
    Custom(Url),
}

impl Environment {
    /// Parses `"beta"`, `"production"` or a base URL.
    pub fn parse(value: &str) -> Result<Self> {
        match value.trim() {
            "beta" => Ok(Environment::Beta),
            "production" | "prod" => Ok(Environment::Production),
            other => {
                let url = Url::parse(other).map_err(|e| {
                    Error::invalid_input(format!(
                        "environment must be \"beta\", \"production\" or a URL; {other:?} is none ({e})"
                    ))
                })?;
                Environment::custom(url)
            }
        }
    }

    /// A custom base URL. Refuses `http://` unless the host is loopback: tokens and the client
    /// secret must never cross a network in the clear.
    pub fn custom(url: Url) -> Result<Self> {
        check_base_url(&url, "the enduco base URL")?;
        Ok(Environment::Custom(url))
    }

    /// The base URL every endpoint path is joined to.
    pub fn base_url(&self) -> Url {
        match self {
            Environment::Beta => Url::parse("https://beta-api.dev.enduco.app").expect("valid URL"),
            Environment::Production => {
                Url::parse("https://api.prod.enduco.app").expect("valid URL")
            }
            Environment::Custom(url) => url.clone(),
        }
    }
}

/// A base URL tokens will cross: `https`, or plain `http` for loopback hosts only (tokens,
/// codes and the client secret must never cross a network in the clear).
fn check_base_url(url: &Url, what: &str) -> Result<()> {
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(url) => {}
        "http" => {
            return Err(Error::invalid_input(format!(
                "plain http is only allowed for loopback hosts, not {} ({what})",
                url.host_str().unwrap_or("")
            )));
        }
        scheme => {
            return Err(Error::invalid_input(format!(
                "unsupported URL scheme {scheme:?} for {what}"
            )));
        }
    }
    if url.cannot_be_a_base() || url.host_str().is_none() {
        return Err(Error::invalid_input(format!("{what} needs a host")));
    }
    Ok(())
}

/// `base` with `path` appended to its own path (a proxy prefix is kept, unlike `Url::join`).
fn append_path(mut base: Url, path: &str) -> Url {
    let prefix = base.path().trim_end_matches('/').to_owned();
    base.set_path(&format!("{prefix}{path}"));
    base
}

pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Paths of enduco's endpoints, relative to the environment's base URL.
///
/// The OAuth paths are documented; the data paths are an assumed contract (version 0) that
/// enduco has not published, so each can be overridden on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    pub authorize: String,
    pub token: String,
    pub revoke: String,
    pub zones: String,
    pub plans: String,
    pub workouts: String,
}

impl Default for Endpoints {
    fn default() -> Self {
        Endpoints {
            authorize: "/oauth2/authorize".into(),
            token: "/oauth2/token".into(),
            revoke: "/oauth2/revoke".into(),
            zones: "/api/v1/zones".into(),
            plans: "/api/v1/plans".into(),
            workouts: "/api/v1/workouts".into(),
        }
    }
}

/// Time limits for a single HTTP attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeouts {
    /// Establishing the TCP + TLS connection.
    pub connect: Duration,
    /// A whole request/response exchange (not uploads).
    pub request: Duration,
    /// A whole upload exchange; large FIT files on slow links need more than `request`.
    pub upload: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            request: Duration::from_secs(30),
            upload: Duration::from_secs(600),
        }
    }
}

/// How transient failures are retried (docs/errors.md): reads and revoke on 429/502/503/504 and
/// connection errors; uploads only when the request never reached the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt; 0 disables retries.
    pub max_retries: u32,
    /// First backoff; later ones grow exponentially with jitter.
    pub initial_backoff: Duration,
    /// Cap on a single backoff (a longer `Retry-After` is honoured up to the deadline).
    pub max_backoff: Duration,
    /// Overall budget for one call including every retry and wait.
    pub deadline: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            deadline: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        }
    }
}

/// Everything an [`crate::EnducoClient`] needs. Debug output never shows the client secret.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub environment: Environment,
    pub client_id: String,
    /// Empty in relay mode: an app distributed to users cannot keep a secret.
    pub client_secret: ClientSecret,
    /// Relay mode (apps on phones, desktops, the CLI): the partner's token relay, which holds
    /// the client secret. Code exchange, refresh and revoke go to `{relay}/token` and
    /// `{relay}/revoke` without client credentials; the relay adds them and forwards to enduco
    /// ([`crate::TokenRelay`]). Everything else — state, PKCE, the lifecycle rules, data calls
    /// with the access token straight to enduco — is unchanged. docs/relay.md.
    pub token_relay: Option<Url>,
    /// Must match a redirect URI registered with enduco exactly.
    pub redirect_uri: String,
    pub endpoints: Endpoints,
    pub timeouts: Timeouts,
    pub retry: RetryPolicy,
    /// Appended to the SDK's own `User-Agent` (e.g. `"MyTrainerApp/3.2"`).
    pub user_agent: Option<String>,
    /// PKCE S256 on the authorization request. On by default; switch off only if enduco's
    /// server rejects it.
    pub use_pkce: bool,
    /// Refresh when fewer than this remains on the access token (lifecycle rule 1, docs/lifecycle.md).
    pub refresh_margin: Duration,
    /// The athlete's IANA time zone for "today" in `upcoming_plans`; `None` = the device's zone.
    pub time_zone: Option<String>,
    /// The longest one call into the [`crate::TokenStore`] may take (load, save, clear, lock);
    /// past it the call fails with `store`.
    pub store_timeout: Duration,
    /// How long this process may hold a store's refresh lock before others may take it (what
    /// a crashed holder costs them). `None`: the token request timeout plus twice the store
    /// timeout plus 5 s, enough for one refresh and its save.
    pub lock_lease: Option<Duration>,
    /// The largest answer read from a data endpoint; a bigger one fails with
    /// `invalid_response` without being read whole (token answers have a fixed 64 KiB cap).
    pub max_response_bytes: usize,
}

impl ClientConfig {
    pub fn new(
        environment: Environment,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        redirect_uri: impl Into<String>,
    ) -> Self {
        ClientConfig {
            environment,
            client_id: client_id.into(),
            client_secret: ClientSecret::new(client_secret.into()),
            token_relay: None,
            redirect_uri: redirect_uri.into(),
            endpoints: Endpoints::default(),
            timeouts: Timeouts::default(),
            retry: RetryPolicy::default(),
            user_agent: None,
            use_pkce: true,
            refresh_margin: Duration::from_secs(60),
            time_zone: None,
            store_timeout: Duration::from_secs(10),
            lock_lease: None,
            max_response_bytes: 8 * 1024 * 1024,
        }
    }

    /// A client in relay mode: no secret; token requests go to `relay` (see
    /// [`ClientConfig::token_relay`]).
    pub fn relayed(
        environment: Environment,
        client_id: impl Into<String>,
        redirect_uri: impl Into<String>,
        relay: Url,
    ) -> Self {
        ClientConfig {
            token_relay: Some(relay),
            ..ClientConfig::new(environment, client_id, String::new(), redirect_uri)
        }
    }

    /// The refresh lock's lease in effect (see [`ClientConfig::lock_lease`]).
    pub fn effective_lock_lease(&self) -> Duration {
        self.lock_lease.unwrap_or_else(|| {
            self.timeouts
                .request
                .saturating_add(self.store_timeout.saturating_mul(2))
                .saturating_add(Duration::from_secs(5))
        })
    }

    pub(crate) fn validate(&self) -> Result<()> {
        if self.client_id.trim().is_empty() {
            return Err(Error::invalid_input("client_id is empty"));
        }
        match (&self.token_relay, self.client_secret.secret().is_empty()) {
            (None, true) => {
                return Err(Error::invalid_input(
                    "the client needs a client secret (a backend) or a token relay URL (an app \
                     distributed to users, which cannot keep a secret); it has neither",
                ));
            }
            (Some(_), false) => {
                return Err(Error::invalid_input(
                    "give the client a client secret or a token relay URL, not both: an app that \
                     uses a relay must not carry the secret",
                ));
            }
            (Some(relay), true) => check_base_url(relay, "the token relay URL")?,
            (None, false) => {}
        }
        Url::parse(&self.redirect_uri).map_err(|e| {
            Error::invalid_input(format!(
                "redirect_uri {:?} is not an absolute URL ({e})",
                self.redirect_uri
            ))
        })?;
        for (name, path) in [
            ("authorize", &self.endpoints.authorize),
            ("token", &self.endpoints.token),
            ("revoke", &self.endpoints.revoke),
            ("zones", &self.endpoints.zones),
            ("plans", &self.endpoints.plans),
            ("workouts", &self.endpoints.workouts),
        ] {
            if !path.starts_with('/') {
                return Err(Error::invalid_input(format!(
                    "endpoint {name} must be a path starting with '/', not {path:?}"
                )));
            }
        }
        if let Some(tz) = &self.time_zone {
            jiff::tz::TimeZone::get(tz).map_err(|_| {
                Error::invalid_input(format!("time_zone {tz:?} is not a known IANA time zone"))
            })?;
        }
        Ok(())
    }

    /// The absolute URL of an endpoint path.
    pub(crate) fn url(&self, path: &str) -> Result<Url> {
        Ok(append_path(self.environment.base_url(), path))
    }

    /// Where a token request goes: enduco's endpoint (`token` or `revoke`), or the relay's
    /// `/token` or `/revoke` in relay mode.
    pub(crate) fn token_call_url(&self, call: TokenCall) -> Result<Url> {
        match (&self.token_relay, call) {
            (Some(relay), TokenCall::Token) => Ok(append_path(relay.clone(), "/token")),
            (Some(relay), TokenCall::Revoke) => Ok(append_path(relay.clone(), "/revoke")),
            (None, TokenCall::Token) => self.url(&self.endpoints.token),
            (None, TokenCall::Revoke) => self.url(&self.endpoints.revoke),
        }
    }
}

/// The two back-channel calls, wherever they go (enduco or a relay).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenCall {
    Token,
    Revoke,
}

/// A flat, string-and-number description of a [`ClientConfig`], the shape every language
/// binding receives from its users (`EnducoClient(client_id=…, environment="beta", …)`).
/// Turning it into a `ClientConfig` happens here, once, so the bindings stay conversion-only.
///
/// Bindings whose users pass keyword arguments or an options object hand them over whole:
/// Python as JSON text ([`ClientOptions::from_json`]), Node as its JavaScript object
/// ([`ClientOptions::read`], through napi's serde deserializer). Each option may be spelled in
/// snake_case or camelCase, and a shape error names it as the app spelled it. Kotlin and Swift
/// get this struct itself as a record (`ClientOptions(clientId = …)`), and Node's TypeScript
/// type is generated from it, so the list of options is declared only here. Passing one record
/// also keeps the constructor's native call short: JNA on aarch64 corrupts by-value structs
/// passed past the eighth argument register (dist/README.md, "JNA and aarch64").
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "python-models", derive(schemars::JsonSchema))]
#[cfg_attr(
    feature = "typescript",
    derive(ts_rs::TS),
    ts(
        rename = "CoreClientOptions",
        rename_all = "camelCase",
        optional_fields
    )
)]
pub struct ClientOptions {
    /// The client id enduco issued to the app.
    #[serde(alias = "clientId")]
    pub client_id: String,
    /// The client secret enduco issued to the app; never logged or shown. None in relay mode.
    /// Kotlin and Swift see their own `ClientSecret` type, which never prints the value.
    #[serde(alias = "clientSecret")]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    #[cfg_attr(feature = "typescript", ts(skip))]
    #[cfg_attr(feature = "python-models", schemars(with = "Option<String>"))]
    pub client_secret: Option<ClientSecret>,
    /// Must match a redirect URI registered with enduco exactly.
    #[serde(alias = "redirectUri")]
    pub redirect_uri: String,
    /// Relay mode, for an app distributed to users (which cannot keep a secret): the partner's
    /// token relay. Code exchange, refresh and revoke go to `{relay}/token` and
    /// `{relay}/revoke` without client credentials; data calls still go straight to enduco.
    /// Plain http only for loopback. Give it or a client secret, not both.
    #[serde(alias = "tokenRelayUrl")]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    #[cfg_attr(feature = "typescript", ts(skip))]
    pub token_relay_url: Option<String>,
    /// `"beta"` (the default), `"production"` or a base URL (the sandbox, a proxy; plain
    /// http only for loopback hosts).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    #[cfg_attr(
        feature = "typescript",
        ts(type = r#""beta" | "production" | (string & {})"#, optional)
    )]
    pub environment: Option<String>,
    /// PKCE S256 on the authorization request (default true).
    #[serde(alias = "usePkce")]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub use_pkce: Option<bool>,
    /// The athlete's IANA time zone, for "today" in the upcoming plans (default: the
    /// system's).
    #[serde(alias = "timeZone")]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub time_zone: Option<String>,
    /// Prepended to the SDK's own User-Agent, e.g. `"MyTrainerApp/3.2"`.
    #[serde(alias = "userAgent")]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub user_agent: Option<String>,
    /// Establishing a connection (default 10 s).
    #[serde(alias = "connectTimeoutSeconds")]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub connect_timeout_seconds: Option<f64>,
    /// One request/response exchange (default 30 s).
    #[serde(alias = "requestTimeoutSeconds")]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub request_timeout_seconds: Option<f64>,
    /// One upload exchange (default 600 s).
    #[serde(alias = "uploadTimeoutSeconds")]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub upload_timeout_seconds: Option<f64>,
    /// Retries after the first attempt for transient failures (default 3; 0 disables).
    #[serde(alias = "maxRetries", deserialize_with = "whole_count")]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub max_retries: Option<u32>,
    /// The overall budget of one call including retries and waits (default 60 s); it also
    /// bounds how long a call waits for another process's refresh lock.
    #[serde(alias = "retryDeadlineSeconds")]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub retry_deadline_seconds: Option<f64>,
    /// Refresh when fewer than this many seconds remain on the access token (default 60; 0
    /// refreshes only once it has expired).
    #[serde(alias = "refreshMarginSeconds")]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub refresh_margin_seconds: Option<f64>,
    /// The longest one call into the app's token store (load, save, clear, try-lock, unlock)
    /// may take (default 10 s). A store call that takes longer fails the SDK call with a
    /// `store` error; the session works again on the next call.
    #[serde(alias = "storeTimeoutSeconds")]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub store_timeout_seconds: Option<f64>,
    /// How long this process may hold a store's refresh lock before another may take it: what
    /// a crashed holder costs the others (default: the request timeout plus twice the store
    /// timeout plus 5 s).
    #[serde(alias = "lockLeaseSeconds")]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub lock_lease_seconds: Option<f64>,
    /// The largest answer read from a data endpoint, in bytes (default 8 MiB, at least 1024).
    /// A bigger answer, declared or streamed, fails with `invalid_response` without being read
    /// whole. Token answers have their own fixed cap (64 KiB).
    #[serde(alias = "maxResponseBytes", deserialize_with = "byte_count")]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    #[cfg_attr(feature = "typescript", ts(type = "number", optional))]
    pub max_response_bytes: Option<u64>,
    /// Path overrides by endpoint name: authorize, token, revoke, zones, plans, workouts.
    #[serde(deserialize_with = "endpoint_map")]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    #[cfg_attr(feature = "typescript", ts(skip))]
    pub endpoints: HashMap<String, String>,
}

/// A number that must be whole and fit `T`. Read as a double, since that is all a
/// JavaScript number is: `3` and `3.0` are whole, `3.5`, NaN and infinity are not.
fn whole<'de, D, T>(deserializer: D, what: &str) -> std::result::Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: TryFrom<u64>,
{
    const MAX_SAFE: f64 = 9_007_199_254_740_991.0; // 2^53 - 1: beyond it doubles skip integers
    let Some(value) = <Option<f64> as serde::Deserialize>::deserialize(deserializer)? else {
        return Ok(None);
    };
    Some(value)
        .filter(|v| v.fract() == 0.0 && (0.0..=MAX_SAFE).contains(v))
        .and_then(|v| T::try_from(v as u64).ok())
        .map(Some)
        .ok_or_else(|| serde::de::Error::custom(format!("must be {what}, not {value}")))
}

fn whole_count<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> std::result::Result<Option<u32>, D::Error> {
    whole(deserializer, "a non-negative whole number")
}

fn byte_count<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> std::result::Result<Option<u64>, D::Error> {
    whole(deserializer, "a whole number of bytes")
}

/// `{"token": "/oauth/token", …}` or `null` (no overrides).
fn endpoint_map<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> std::result::Result<HashMap<String, String>, D::Error> {
    let map: Option<HashMap<String, String>> = serde::Deserialize::deserialize(deserializer)?;
    Ok(map.unwrap_or_default())
}

/// Options of the wrong shape: an unknown name, or a value of the wrong type. Bindings raise
/// it as their language's type error; values of the right type but out of range are checked
/// by [`ClientOptions::into_config`] (`invalid_input`).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct OptionsShapeError {
    /// The option's name (empty for the whole object).
    pub option: String,
    pub message: String,
}

impl ClientOptions {
    /// Reads options from a JSON object with the field names above, e.g. a binding's keyword
    /// arguments. Absent and `null` options keep the defaults (the client id, secret and
    /// redirect URI are checked by [`ClientOptions::into_config`]).
    pub fn from_json(json: &str) -> std::result::Result<Self, OptionsShapeError> {
        Self::read(&mut serde_json::Deserializer::from_str(json), |e| {
            // serde_json appends the JSON position, which means nothing to the app.
            let text = e.to_string();
            match text.rfind(" at line ") {
                Some(at) => text[..at].to_owned(),
                None => text,
            }
        })
    }

    /// Reads options from any serde data format holding an object with the field names above
    /// (a JavaScript object, through napi's deserializer); `text_of` gives the format's error
    /// text without its own decoration. A shape error names the option as the input spelled it.
    pub fn read<'de, D: serde::Deserializer<'de>>(
        deserializer: D,
        text_of: impl FnOnce(D::Error) -> String,
    ) -> std::result::Result<Self, OptionsShapeError> {
        serde_path_to_error::deserialize(deserializer).map_err(|e| {
            let option = e.path().to_string();
            let option = if option == "." { String::new() } else { option };
            let text = text_of(e.into_inner());
            // This module's own rules read as a sentence about the option ("maxRetries must be
            // a non-negative whole number, …"); serde's messages follow the option's name.
            let message = match (option.is_empty(), text.starts_with("must be")) {
                (true, _) => text,
                (false, true) => format!("{option} {text}"),
                (false, false) => format!("{option}: {text}"),
            };
            OptionsShapeError { option, message }
        })
    }

    pub fn into_config(self) -> Result<ClientConfig> {
        let environment = Environment::parse(self.environment.as_deref().unwrap_or("beta"))?;
        let mut config = ClientConfig::new(environment, self.client_id, "", self.redirect_uri);
        if let Some(secret) = self.client_secret {
            config.client_secret = secret;
        }
        if let Some(relay) = &self.token_relay_url {
            config.token_relay = Some(Url::parse(relay.trim()).map_err(|e| {
                Error::invalid_input(format!(
                    "token_relay_url {relay:?} is not an absolute URL ({e})"
                ))
            })?);
        }
        if let Some(pkce) = self.use_pkce {
            config.use_pkce = pkce;
        }
        config.time_zone = self.time_zone;
        config.user_agent = self.user_agent;
        let seconds = |name: &str, value: f64| {
            if value.is_finite() && value > 0.0 && value < 86_400.0 {
                Ok(Duration::from_secs_f64(value))
            } else {
                Err(Error::invalid_input(format!(
                    "{name} must be a positive number of seconds, not {value}"
                )))
            }
        };
        if let Some(v) = self.connect_timeout_seconds {
            config.timeouts.connect = seconds("connect_timeout_seconds", v)?;
        }
        if let Some(v) = self.request_timeout_seconds {
            config.timeouts.request = seconds("request_timeout_seconds", v)?;
        }
        if let Some(v) = self.upload_timeout_seconds {
            config.timeouts.upload = seconds("upload_timeout_seconds", v)?;
        }
        if let Some(v) = self.retry_deadline_seconds {
            config.retry.deadline = seconds("retry_deadline_seconds", v)?;
        }
        if let Some(v) = self.refresh_margin_seconds {
            // Zero is allowed: refresh only once the access token has expired.
            config.refresh_margin = if v == 0.0 {
                Duration::ZERO
            } else {
                seconds("refresh_margin_seconds", v)?
            };
        }
        if let Some(v) = self.store_timeout_seconds {
            config.store_timeout = seconds("store_timeout_seconds", v)?;
        }
        if let Some(v) = self.lock_lease_seconds {
            config.lock_lease = Some(seconds("lock_lease_seconds", v)?);
        }
        if let Some(v) = self.max_response_bytes {
            config.max_response_bytes =
                usize::try_from(v)
                    .ok()
                    .filter(|&n| n >= 1024)
                    .ok_or_else(|| {
                        Error::invalid_input(format!(
                            "max_response_bytes must be at least 1024, not {v}"
                        ))
                    })?;
        }
        if let Some(v) = self.max_retries {
            config.retry.max_retries = v;
        }
        // In name order, so that of several unknown names the same one is reported each time.
        let mut endpoints: Vec<_> = self.endpoints.into_iter().collect();
        endpoints.sort();
        for (name, path) in endpoints {
            let slot = match name.as_str() {
                "authorize" => &mut config.endpoints.authorize,
                "token" => &mut config.endpoints.token,
                "revoke" => &mut config.endpoints.revoke,
                "zones" => &mut config.endpoints.zones,
                "plans" => &mut config.endpoints.plans,
                "workouts" => &mut config.endpoints.workouts,
                other => {
                    return Err(Error::invalid_input(format!(
                        "unknown endpoint {other:?} (authorize, token, revoke, zones, plans, workouts)"
                    )));
                }
            };
            *slot = path;
        }
        config.validate()?;
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_from_json_name_the_option_that_is_wrong() {
        let options = ClientOptions::from_json(
            r#"{"environment": "production", "max_retries": 2, "request_timeout_seconds": null,
                "endpoints": {"token": "/oauth/token"}}"#,
        )
        .unwrap();
        assert_eq!(options.environment.as_deref(), Some("production"));
        assert_eq!(options.max_retries, Some(2));
        assert_eq!(options.request_timeout_seconds, None);
        assert_eq!(
            options.endpoints,
            HashMap::from([("token".into(), "/oauth/token".into())])
        );

        let e = ClientOptions::from_json(r#"{"max_retries": "3"}"#).unwrap_err();
        assert_eq!(e.option, "max_retries");
        assert!(e.message.starts_with("max_retries: invalid type"), "{e}");
        assert!(!e.message.contains("line"), "no JSON position: {e}");
        let e = ClientOptions::from_json(r#"{"max_retrys": 3}"#).unwrap_err();
        assert!(e.message.contains("unknown field `max_retrys`"), "{e}");
        let e = ClientOptions::from_json(r#"{"max_response_bytes": -1}"#).unwrap_err();
        assert_eq!(e.option, "max_response_bytes");
        assert_eq!(
            e.message,
            "max_response_bytes must be a whole number of bytes, not -1"
        );
    }

    #[test]
    fn options_take_camel_case_and_whole_doubles_and_name_them_as_given() {
        let options = ClientOptions::from_json(
            r#"{"clientId": "id", "redirectUri": "app:/cb", "maxRetries": 2.0,
                "maxResponseBytes": 4096, "lockLeaseSeconds": 30.5}"#,
        )
        .unwrap();
        assert_eq!(options.client_id, "id");
        assert_eq!(options.redirect_uri, "app:/cb");
        assert_eq!(options.max_retries, Some(2));
        assert_eq!(options.max_response_bytes, Some(4096));
        assert_eq!(options.lock_lease_seconds, Some(30.5));

        let e = ClientOptions::from_json(r#"{"maxRetries": 1.5}"#).unwrap_err();
        assert_eq!(e.option, "maxRetries");
        assert_eq!(
            e.message,
            "maxRetries must be a non-negative whole number, not 1.5"
        );
        let e = ClientOptions::from_json(r#"{"max_retries": 4294967296}"#).unwrap_err();
        assert!(
            e.message.starts_with("max_retries must be a non-negative"),
            "{e}"
        );
        let e = ClientOptions::from_json(r#"{"useRelay": true}"#).unwrap_err();
        assert!(e.message.contains("unknown field `useRelay`"), "{e}");
    }
}
