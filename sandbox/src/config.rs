//! Start-up configuration, and its command-line form.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Scopes enduco documents; `/oauth2/authorize` refuses any other.
pub const SCOPES: [&str; 3] = ["workouts_write", "plans_read", "user_read"];

/// How the sandbox starts. `/_sandbox/reset` returns to exactly this.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxConfig {
    pub client_id: String,
    pub client_secret: String,
    /// Registered redirect URIs, matched exactly, except that a registered loopback URI
    /// (`http://127.0.0.1/<path>`, `http://[::1]/<path>`) matches whatever port the request
    /// names, but only with the same path and query (RFC 8252 §7.3, Spring Authorization
    /// Server). `localhost` never matches.
    pub redirect_uris: Vec<String>,
    /// Redirect back with a code at once instead of showing the consent page.
    pub auto_approve: bool,
    /// Issue a new refresh token on every refresh (the old one stops working).
    pub rotation: bool,
    /// Which spellings of the authorization-code grant `/oauth2/token` accepts.
    pub grant_types: GrantTypes,
    /// What happens when a rotated-out refresh token is presented again.
    pub refresh_reuse: RefreshReuse,
    /// With [`RefreshReuse::Overlap`]: how long after its rotation a refresh token is still
    /// accepted again.
    pub refresh_overlap: Duration,
    pub access_token_lifetime: Duration,
    /// Lifetime of each newly issued refresh token (kept refresh tokens, with rotation off,
    /// keep their original expiry).
    pub refresh_token_lifetime: Duration,
    pub code_lifetime: Duration,
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// The user who signs in when the authorize request has no `login_hint`.
    pub default_user: String,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            client_id: "sandbox-client".into(),
            client_secret: "sandbox-secret".into(),
            redirect_uris: default_redirect_uris(),
            auto_approve: true,
            rotation: true,
            grant_types: GrantTypes::Both,
            refresh_reuse: RefreshReuse::Overlap,
            refresh_overlap: Duration::from_millis(1000),
            access_token_lifetime: Duration::from_secs(7199),
            refresh_token_lifetime: Duration::from_secs(3600),
            code_lifetime: Duration::from_secs(300),
            port: 0,
            default_user: "athlete-1001".into(),
        }
    }
}

/// The redirect URIs registered unless `redirect_uris` / `--redirect-uri` says otherwise:
/// a web app's callback, and the loopback callback of native apps and the CLI's `login`
/// (any port).
pub fn default_redirect_uris() -> Vec<String> {
    vec![
        "https://app.example/callback".into(),
        "http://127.0.0.1/callback".into(),
    ]
}

/// What the token endpoint does when a refresh token that was already rotated out (used for
/// a refresh that issued a new one) is presented again. Only matters with rotation on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
pub enum RefreshReuse {
    /// `invalid_grant`, nothing else changes; the grant lives on with its newest pair.
    #[serde(rename = "strict")]
    #[value(name = "strict")]
    Strict,
    /// Spring Authorization Server (enduco): a token rotated out less than the overlap window
    /// ago is accepted again and issues a new pair; only the pair issued last stays valid.
    /// Later than that: `invalid_grant`, the grant lives on.
    #[default]
    #[serde(rename = "overlap")]
    #[value(name = "overlap")]
    Overlap,
    /// Reuse detection (Ory Hydra, Auth0, Okta): the reuse revokes the whole grant, refresh
    /// and access tokens, and answers `invalid_grant`.
    #[serde(rename = "family-revoke")]
    #[value(name = "family-revoke")]
    FamilyRevoke,
}

/// Accepted `grant_type` values for exchanging an authorization code. enduco's document
/// writes `code`; the standard (and Spring Authorization Server) says `authorization_code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
pub enum GrantTypes {
    /// Both `authorization_code` and `code`.
    #[default]
    #[serde(rename = "both")]
    #[value(name = "both")]
    Both,
    /// Only the standard `authorization_code`.
    #[serde(rename = "authorization_code")]
    #[value(name = "authorization_code")]
    AuthorizationCodeOnly,
    /// Only the legacy `code`.
    #[serde(rename = "code")]
    #[value(name = "code")]
    CodeOnly,
}

impl GrantTypes {
    pub(crate) fn accepts(self, grant_type: &str) -> bool {
        match self {
            GrantTypes::Both => grant_type == "authorization_code" || grant_type == "code",
            GrantTypes::AuthorizationCodeOnly => grant_type == "authorization_code",
            GrantTypes::CodeOnly => grant_type == "code",
        }
    }
}

/// Command-line options of `enduco-sandbox` (and of `enduco sandbox` in the CLI crate).
#[derive(Debug, Clone, clap::Args)]
pub struct SandboxArgs {
    /// Port on 127.0.0.1 to listen on (0 = any free port; the address is printed).
    #[arg(long, default_value_t = 0)]
    pub port: u16,

    /// The only registered OAuth client.
    #[arg(long, default_value = "sandbox-client")]
    pub client_id: String,

    /// The client's secret.
    #[arg(long, default_value = "sandbox-secret")]
    pub client_secret: String,

    /// Registered redirect URI; repeat for several. Replaces the defaults
    /// `https://app.example/callback` and `http://127.0.0.1/callback`. A loopback URI
    /// (`http://127.0.0.1/PATH`, `http://[::1]/PATH`) matches any port, same path only.
    #[arg(long = "redirect-uri", value_name = "URI")]
    pub redirect_uris: Vec<String>,

    /// Approve authorization requests at once, without the consent page (the default).
    #[arg(long, overrides_with = "no_auto_approve")]
    pub auto_approve: bool,

    /// Show the consent page (Approve / Cancel) on every authorization request.
    #[arg(long, overrides_with = "auto_approve")]
    pub no_auto_approve: bool,

    /// Keep the same refresh token on refresh instead of rotating it.
    #[arg(long)]
    pub no_rotation: bool,

    /// Which grant_type spellings exchange an authorization code.
    #[arg(long, value_enum, default_value_t = GrantTypes::Both)]
    pub grant_types: GrantTypes,

    /// What a rotated-out refresh token does when presented again: strict (invalid_grant),
    /// overlap (accepted again within --refresh-overlap-ms, as Spring Authorization Server),
    /// family-revoke (revokes the whole grant, as Hydra, Auth0, Okta).
    #[arg(long, value_enum, value_name = "POLICY", default_value_t = RefreshReuse::Overlap)]
    pub refresh_reuse: RefreshReuse,

    /// With --refresh-reuse overlap: how long after its rotation a refresh token is still
    /// accepted, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    pub refresh_overlap_ms: u64,

    /// Access token lifetime in seconds (expires_in).
    #[arg(long, value_name = "SECS", default_value_t = 7199)]
    pub access_token_lifetime: u64,

    /// Lifetime of each newly issued refresh token, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 3600)]
    pub refresh_token_lifetime: u64,

    /// Authorization code lifetime in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 300)]
    pub code_lifetime: u64,

    /// User id that signs in when the authorize request carries no login_hint.
    #[arg(long, default_value = "athlete-1001")]
    pub default_user: String,
}

impl SandboxArgs {
    pub fn into_config(self) -> SandboxConfig {
        let defaults = SandboxConfig::default();
        SandboxConfig {
            client_id: self.client_id,
            client_secret: self.client_secret,
            redirect_uris: if self.redirect_uris.is_empty() {
                defaults.redirect_uris
            } else {
                self.redirect_uris
            },
            auto_approve: !self.no_auto_approve,
            rotation: !self.no_rotation,
            grant_types: self.grant_types,
            refresh_reuse: self.refresh_reuse,
            refresh_overlap: Duration::from_millis(self.refresh_overlap_ms),
            access_token_lifetime: Duration::from_secs(self.access_token_lifetime),
            refresh_token_lifetime: Duration::from_secs(self.refresh_token_lifetime),
            code_lifetime: Duration::from_secs(self.code_lifetime),
            port: self.port,
            default_user: self.default_user,
        }
    }
}
