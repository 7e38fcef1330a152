//! Tokens and the other secrets of the OAuth flow. Each secret is a newtype whose `Debug`
//! prints `[redacted]`; the value is reachable only through an explicit `secret()` call.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::scope::Scope;

macro_rules! secret_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn new(value: impl Into<String>) -> Self {
                $name(value.into())
            }
            /// The secret value. Every call site is a place where it may leak: keep them few.
            pub fn secret(&self) -> &str {
                &self.0
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                $name(value)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "([redacted])"))
            }
        }
    };
}

secret_type!(
    /// The app's OAuth client secret.
    ClientSecret
);
secret_type!(
    /// A bearer token for enduco's API (an RS256 JWT).
    AccessToken
);
secret_type!(
    /// The long-lived grant; enduco may rotate it on every refresh.
    RefreshToken
);
secret_type!(
    /// The one-time code from the authorization callback.
    AuthorizationCode
);
secret_type!(
    /// The PKCE code verifier kept between authorization request and code exchange.
    CodeVerifier
);

/// The version of the serialized [`TokenSet`] layout. Bumped only with a migration in
/// [`TokenSet::from_json`].
pub const TOKEN_SET_SCHEMA_VERSION: u32 = 1;

/// The first step of reading a stored document (`what`: "stored token set", "saved
/// authorization request"): it must be JSON with the `schema_version` this SDK writes. Read
/// before the fields, so a newer schema says so instead of failing on a field it changed.
/// The errors quote no value of the document.
pub(crate) fn check_schema_version(json: &str, what: &str, supported: u32) -> Result<()> {
    #[derive(Deserialize)]
    struct Version {
        schema_version: Option<u32>,
    }
    let version: Version = serde_json::from_str(json).map_err(|e| {
        Error::invalid_input(format!(
            "not a {what} (line {}, column {})",
            e.line(),
            e.column()
        ))
    })?;
    match version.schema_version {
        Some(v) if v == supported => Ok(()),
        Some(v) => Err(Error::invalid_input(format!(
            "{what} has schema version {v}; this SDK reads version {supported}"
        ))),
        None => Err(Error::invalid_input(format!(
            "{what} has no schema_version"
        ))),
    }
}

/// One user's grant as the host app stores it.
///
/// Serializes to JSON (`to_json` / `from_json`) for the host's storage. `Debug` shows the
/// expiry, scopes and user but never a token value.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(rename = "TokenSetJSON"))]
pub struct TokenSet {
    pub schema_version: u32,
    #[cfg_attr(feature = "typescript", ts(type = "string"))]
    pub access_token: AccessToken,
    #[cfg_attr(feature = "typescript", ts(type = "string | null"))]
    pub refresh_token: Option<RefreshToken>,
    /// Expiry of the access token, unix seconds, computed from when the request was sent.
    #[cfg_attr(feature = "typescript", ts(type = "number"))]
    pub expires_at: i64,
    /// Scopes enduco granted (which may be fewer than requested).
    pub scopes: Vec<String>,
    pub token_type: String,
}

/// The unverified claims the SDK reads from enduco's access token. The SDK is not the
/// audience that must verify the signature (enduco's API does that); it only needs the user
/// id and scopes for routing and early scope checks.
#[derive(Debug, Clone, Default, Deserialize)]
struct Claims {
    sub: Option<String>,
    #[serde(default)]
    scope: Option<ScopeClaim>,
    exp: Option<i64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum ScopeClaim {
    List(Vec<String>),
    Text(String),
}

impl ScopeClaim {
    fn into_vec(self) -> Vec<String> {
        match self {
            ScopeClaim::List(list) => list,
            ScopeClaim::Text(text) => split_scopes(&text),
        }
    }
}

pub(crate) fn split_scopes(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_owned).collect()
}

/// The token endpoint's JSON answer (RFC 6749 §5.1).
#[derive(Deserialize)]
pub(crate) struct TokenResponse {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub scope: Option<String>,
    pub token_type: Option<String>,
    pub expires_in: Option<i64>,
}

impl TokenSet {
    /// Builds a token set from a token response. `sent_at` is when the request left, so the
    /// absolute expiry errs on the early side. `previous` supplies what a refresh response may
    /// omit (refresh token without rotation, unchanged scopes).
    pub(crate) fn from_response(
        response: TokenResponse,
        sent_at: SystemTime,
        previous: Option<&TokenSet>,
    ) -> Result<TokenSet> {
        if response.access_token.is_empty() {
            return Err(Error::invalid_response(
                "token response has an empty access_token",
            ));
        }
        let token_type = response.token_type.unwrap_or_else(|| "Bearer".into());
        if !token_type.eq_ignore_ascii_case("bearer") {
            return Err(Error::invalid_response(format!(
                "token type {token_type:?} is not supported (expected Bearer)"
            )));
        }
        let access_token = AccessToken::new(response.access_token);
        let claims = decode_claims(&access_token);
        let sent = unix_seconds(sent_at);
        let expires_at = match (response.expires_in, claims.exp) {
            (Some(secs), _) if secs >= 0 => sent.saturating_add(secs),
            (_, Some(exp)) => exp,
            // Neither told us: assume the documented lifetime is not known and refresh early.
            _ => sent.saturating_add(300),
        };
        let scopes = response
            .scope
            .as_deref()
            .map(split_scopes)
            .or_else(|| claims.scope.map(ScopeClaim::into_vec))
            .or_else(|| previous.map(|p| p.scopes.clone()))
            .unwrap_or_default();
        let refresh_token = response
            .refresh_token
            .filter(|t| !t.is_empty())
            .map(RefreshToken::new)
            .or_else(|| previous.and_then(|p| p.refresh_token.clone()));
        Ok(TokenSet {
            schema_version: TOKEN_SET_SCHEMA_VERSION,
            access_token,
            refresh_token,
            expires_at,
            scopes,
            token_type: "Bearer".into(),
        })
    }

    /// enduco's user id (the access token's `sub`), if the token carries one.
    pub fn user_id(&self) -> Option<String> {
        decode_claims(&self.access_token).sub
    }

    /// Whether enduco granted `scope`.
    pub fn has_scope(&self, scope: Scope) -> bool {
        self.scopes.iter().any(|s| s == scope.as_str())
    }

    /// The expiry as a `SystemTime`.
    pub fn expires_at_time(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(self.expires_at.max(0) as u64)
    }

    /// True when fewer than `margin` remain before the access token expires.
    pub fn expires_within(&self, margin: Duration) -> bool {
        let now = unix_seconds(SystemTime::now());
        self.expires_at.saturating_sub(now) < margin.as_secs() as i64
    }

    /// Serializes for the host's storage.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a TokenSet always serializes")
    }

    /// Reads what [`TokenSet::to_json`] wrote. A newer schema than this SDK knows, or anything
    /// that is not a token set, is an `invalid_input` error that names no token value.
    pub fn from_json(json: &str) -> Result<TokenSet> {
        check_schema_version(json, "stored token set", TOKEN_SET_SCHEMA_VERSION)?;
        let tokens: TokenSet = serde_json::from_str(json).map_err(|e| {
            // serde's message quotes offending values only for enums/unknown fields; the
            // classification alone is enough to act on.
            Error::invalid_input(format!(
                "stored token set is incomplete or malformed ({:?} at line {}, column {})",
                e.classify(),
                e.line(),
                e.column()
            ))
        })?;
        if tokens.access_token.secret().is_empty() {
            return Err(Error::invalid_input(
                "stored token set has an empty access_token",
            ));
        }
        Ok(tokens)
    }
}

impl fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSet")
            .field("user_id", &self.user_id())
            .field("access_token", &self.access_token)
            .field("refresh_token", &self.refresh_token)
            .field("expires_at", &self.expires_at)
            .field("scopes", &self.scopes)
            .field("token_type", &self.token_type)
            .field("schema_version", &self.schema_version)
            .finish()
    }
}

fn decode_claims(token: &AccessToken) -> Claims {
    // An opaque (non-JWT) token is legal OAuth; it just carries no claims for us.
    jsonwebtoken::dangerous::insecure_decode::<Claims>(token.secret())
        .map(|data| data.claims)
        .unwrap_or_default()
}

pub(crate) fn unix_seconds(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> TokenSet {
        TokenSet {
            schema_version: TOKEN_SET_SCHEMA_VERSION,
            access_token: AccessToken::new("at-SECRET-123"),
            refresh_token: Some(RefreshToken::new("rt-SECRET-456")),
            expires_at: 2_000_000_000,
            scopes: vec!["user_read".into()],
            token_type: "Bearer".into(),
        }
    }

    #[test]
    fn debug_never_shows_token_values() {
        let text = format!("{:?} {:#?}", sample(), sample());
        assert!(!text.contains("SECRET"), "{text}");
        assert!(text.contains("[redacted]"));
        assert!(!format!("{:?}", ClientSecret::new("cs-SECRET")).contains("SECRET"));
    }

    #[test]
    fn json_round_trip_and_version_check() {
        let tokens = sample();
        assert_eq!(TokenSet::from_json(&tokens.to_json()).unwrap(), tokens);
        let future = tokens
            .to_json()
            .replace("\"schema_version\":1", "\"schema_version\":9");
        let err = TokenSet::from_json(&future).unwrap_err();
        assert_eq!(err.code(), "invalid_input");
        let err = TokenSet::from_json("{\"schema_version\":1,\"access_token\":\"at-SECRET\"}")
            .unwrap_err();
        assert!(!err.to_string().contains("SECRET"), "{err}");
        assert_eq!(
            TokenSet::from_json("garbage").unwrap_err().code(),
            "invalid_input"
        );
    }

    #[test]
    fn expiry_counts_from_the_send_time() {
        let sent = UNIX_EPOCH + Duration::from_secs(1_000);
        let response = TokenResponse {
            access_token: "opaque".into(),
            refresh_token: None,
            scope: Some("user_read plans_read".into()),
            token_type: Some("Bearer".into()),
            expires_in: Some(7199),
        };
        let tokens = TokenSet::from_response(response, sent, Some(&sample())).unwrap();
        assert_eq!(tokens.expires_at, 8_199);
        assert_eq!(tokens.scopes, ["user_read", "plans_read"]);
        // No rotation: the previous refresh token is kept.
        assert_eq!(tokens.refresh_token, sample().refresh_token);
    }
}
