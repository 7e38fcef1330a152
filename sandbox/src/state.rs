//! Everything the sandbox remembers: grants and tokens, pending faults, the request log,
//! uploads, webhook URLs and the settings the control API can flip.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;

use crate::config::{GrantTypes, RefreshReuse, SandboxConfig};
use crate::faults::Fault;
use crate::oauth::jwt::Signer;
use crate::util::Params;

/// Shared by every handler.
pub(crate) struct AppState {
    /// The configuration the sandbox started with; `/_sandbox/reset` restores it.
    pub config: SandboxConfig,
    /// `http://127.0.0.1:PORT`, also the `iss` of access tokens.
    pub base_url: String,
    pub signer: Signer,
    /// Outgoing webhook deliveries.
    pub http: reqwest::Client,
    inner: Mutex<Inner>,
}

impl AppState {
    pub fn new(config: SandboxConfig, base_url: String) -> std::io::Result<Self> {
        let signer = Signer::load().map_err(std::io::Error::other)?;
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .user_agent("enduco-sandbox webhooks")
            // Receivers are local test servers; an HTTP_PROXY in the environment must not
            // intercept them.
            .no_proxy()
            .build()
            .map_err(std::io::Error::other)?;
        let inner = Mutex::new(Inner::new(&config));
        Ok(AppState {
            config,
            base_url,
            signer,
            http,
            inner,
        })
    }

    /// The state lock. Never held across an `.await`. A panic while holding it cannot leave
    /// the maps half-updated in a way that matters to a test double, so poisoning is ignored.
    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn reset(&self) {
        *self.lock() = Inner::new(&self.config);
    }
}

/// An authorization in progress or granted: one user, one client, some scopes. Every refresh
/// and access token belongs to one grant.
pub(crate) struct Grant {
    pub client_id: String,
    pub user: String,
    pub scopes: Vec<String>,
    /// Set by revoking a refresh token or by a `user.deregistered` webhook.
    pub revoked: bool,
}

pub(crate) struct AuthCode {
    pub client_id: String,
    pub redirect_uri: String,
    pub user: String,
    pub scopes: Vec<String>,
    /// S256 `code_challenge` from the authorize request, if any.
    pub challenge: Option<String>,
    pub expires_at: Instant,
    /// Codes are kept after use so reuse can be told apart from an unknown code.
    pub used: bool,
    /// The grant this code's exchange created; a second exchange revokes it.
    pub grant: Option<u64>,
}

pub(crate) struct RefreshToken {
    pub grant: u64,
    pub expires_at: Instant,
    /// When this token was used for a refresh that issued a new one (rotated out). Whether
    /// it may be presented again then depends on [`RefreshReuse`].
    pub rotated_at: Option<Instant>,
    /// Revoked with its grant, or superseded by a newer pair without ever having been used
    /// (the earlier winner of an overlap).
    pub revoked: bool,
}

impl RefreshToken {
    /// The grant's newest refresh token: never used, never revoked.
    pub fn is_current(&self) -> bool {
        self.rotated_at.is_none() && !self.revoked
    }
}

pub(crate) struct AccessToken {
    pub grant: u64,
    pub user: String,
    pub scopes: Vec<String>,
    pub expires_at: SystemTime,
    pub revoked: bool,
}

/// Who sent a request, as far as the log tells: the client its credentials prove, its agent.
#[derive(Debug, Clone, Default)]
pub(crate) struct Caller {
    pub authenticated_client: Option<String>,
    pub user_agent: Option<String>,
}

/// One line of `GET /_sandbox/requests`. Never carries token values, codes or secrets.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LogEntry {
    #[serde(skip)]
    pub seq: u64,
    pub method: String,
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grant_type: Option<String>,
    /// Token requests: the user of the grant the code or refresh token belongs to, looked up
    /// when the request arrived (absent for unknown codes and tokens).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The client id of valid Basic client credentials on the request (token and revoke
    /// requests made with the client secret; absent without them). Never the secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authenticated_client: Option<String>,
    /// The `User-Agent` header, which tells an app's requests from a token relay's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// The status sent; 0 while the request is in flight or when no HTTP response was sent
    /// (a `reset` fault). Always a number, so every language's test helper can type it so.
    pub status: u16,
    /// The fault kind applied to this request, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fault: Option<&'static str>,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WebhookConfig {
    pub deregister_url: Option<String>,
    pub plan_changed_url: Option<String>,
}

/// The mutable part of the state, behind [`AppState::lock`].
pub(crate) struct Inner {
    pub auto_approve: bool,
    pub rotation: bool,
    pub grant_types: GrantTypes,
    pub refresh_reuse: RefreshReuse,
    pub refresh_overlap: Duration,
    /// Auto-approve grants only these of the requested scopes (`None`: all requested).
    pub approve_scopes: Option<Vec<String>>,
    pub codes: HashMap<String, AuthCode>,
    pub grants: HashMap<u64, Grant>,
    pub refresh_tokens: HashMap<String, RefreshToken>,
    pub access_tokens: HashMap<String, AccessToken>,
    pub faults: VecDeque<Fault>,
    pub log: Vec<LogEntry>,
    /// (user id, SHA-256 of the file) → workout id.
    pub uploads: HashMap<(String, [u8; 32]), String>,
    pub webhooks: WebhookConfig,
    next_id: u64,
}

impl Inner {
    fn new(config: &SandboxConfig) -> Self {
        Inner {
            auto_approve: config.auto_approve,
            rotation: config.rotation,
            grant_types: config.grant_types,
            refresh_reuse: config.refresh_reuse,
            refresh_overlap: config.refresh_overlap,
            approve_scopes: None,
            codes: HashMap::new(),
            grants: HashMap::new(),
            refresh_tokens: HashMap::new(),
            access_tokens: HashMap::new(),
            faults: VecDeque::new(),
            log: Vec::new(),
            uploads: HashMap::new(),
            webhooks: WebhookConfig::default(),
            next_id: 1,
        }
    }

    pub fn next_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// Appends a log entry for a request that just arrived; returns its sequence number.
    pub fn log_request(
        &mut self,
        method: String,
        path: String,
        grant_type: Option<String>,
        user_id: Option<String>,
        caller: Caller,
    ) -> u64 {
        let seq = self.next_id();
        self.log.push(LogEntry {
            seq,
            method,
            path,
            grant_type,
            user_id,
            authenticated_client: caller.authenticated_client,
            user_agent: caller.user_agent,
            status: 0,
            fault: None,
        });
        seq
    }

    /// Records how a logged request ended. A reset in between made the entry disappear.
    pub fn log_response(&mut self, seq: u64, status: u16, fault: Option<&'static str>) {
        if let Some(entry) = self.log.iter_mut().rev().find(|e| e.seq == seq) {
            entry.status = status;
            entry.fault = fault;
        }
    }

    /// Revokes a grant: its refresh tokens and every access token issued under it stop working.
    pub fn revoke_grant(&mut self, grant: u64) {
        if let Some(g) = self.grants.get_mut(&grant) {
            g.revoked = true;
        }
        for token in self.refresh_tokens.values_mut() {
            if token.grant == grant {
                token.revoked = true;
            }
        }
        for token in self.access_tokens.values_mut() {
            if token.grant == grant {
                token.revoked = true;
            }
        }
    }

    /// The user a token request is about: the owner of its refresh token or code, if known.
    /// Looks only; never changes anything.
    pub fn token_request_user(&self, grant_type: Option<&str>, params: &Params) -> Option<String> {
        match grant_type? {
            "refresh_token" => {
                let token = self.refresh_tokens.get(params.get("refresh_token")?)?;
                self.grants.get(&token.grant).map(|g| g.user.clone())
            }
            "authorization_code" | "code" => {
                self.codes.get(params.get("code")?).map(|c| c.user.clone())
            }
            _ => None,
        }
    }

    /// Revokes every grant of a user (a `user.deregistered` webhook); returns how many.
    pub fn revoke_user(&mut self, user: &str) -> usize {
        let grants: Vec<u64> = self
            .grants
            .iter()
            .filter(|(_, g)| g.user == user && !g.revoked)
            .map(|(&id, _)| id)
            .collect();
        for &grant in &grants {
            self.revoke_grant(grant);
        }
        grants.len()
    }
}

/// A URL-safe random string carrying `bytes` bytes of entropy.
pub(crate) fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).expect("the operating system's random source failed");
    URL_SAFE_NO_PAD.encode(buf)
}
