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
    /// Registered redirect URIs, matched exactly. Any `http://127.0.0.1:<port>/<path>` (and
    /// `http://[::1]:…`) is accepted as well, whatever the port (RFC 8252 §7.3).
    pub redirect_uris: Vec<String>,
    /// Redirect back with a code at once instead of showing the consent page.
    pub auto_approve: bool,
    /// Issue a new refresh token on every refresh (the old one stops working).
    pub rotation: bool,
    /// Which spellings of the authorization-code grant `/oauth2/token` accepts.
    pub grant_types: GrantTypes,
    pub access_token_lifetime: Duration,
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
            redirect_uris: vec!["https://app.example/callback".into()],
            auto_approve: true,
            rotation: true,
            grant_types: GrantTypes::Both,
            access_token_lifetime: Duration::from_secs(7199),
            code_lifetime: Duration::from_secs(300),
            port: 0,
            default_user: "athlete-1001".into(),
        }
    }
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

    /// Registered redirect URI; repeat for several. Replaces the default
    /// https://app.example/callback. http://127.0.0.1:<any port>/<any path> is always allowed.
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

    /// Access token lifetime in seconds (expires_in).
    #[arg(long, value_name = "SECS", default_value_t = 7199)]
    pub access_token_lifetime: u64,

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
            access_token_lifetime: Duration::from_secs(self.access_token_lifetime),
            code_lifetime: Duration::from_secs(self.code_lifetime),
            port: self.port,
            default_user: self.default_user,
        }
    }
}
