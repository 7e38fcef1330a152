//! RS256 access tokens signed with the committed throwaway key (see `keys/README.md`).

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;

/// PKCS#8 PEM of the sandbox's throwaway 2048-bit RSA key.
const PRIVATE_KEY_PEM: &[u8] = include_bytes!("../../keys/sandbox-rsa.pem");
/// Its public half, served at `/oauth2/jwks`.
pub(crate) const JWKS: &str = include_str!("../../keys/jwks.json");

/// Claims of an enduco access token.
#[derive(Debug, Serialize)]
pub(crate) struct Claims<'a> {
    pub iss: &'a str,
    /// enduco user id.
    pub sub: &'a str,
    /// The client the token was issued to.
    pub aud: &'a str,
    pub nbf: u64,
    pub iat: u64,
    pub exp: u64,
    /// Granted scopes, as a JSON array (not a space-delimited string).
    pub scope: &'a [String],
    /// Unique per token.
    pub jti: &'a str,
}

pub(crate) struct Signer {
    key: EncodingKey,
    kid: String,
}

impl Signer {
    /// Parses the embedded key and takes the `kid` from the embedded JWKS, so the two can
    /// never disagree.
    pub fn load() -> Result<Signer, String> {
        let key = EncodingKey::from_rsa_pem(PRIVATE_KEY_PEM)
            .map_err(|e| format!("embedded sandbox key: {e}"))?;
        let jwks: serde_json::Value =
            serde_json::from_str(JWKS).map_err(|e| format!("embedded JWKS: {e}"))?;
        let kid = jwks["keys"][0]["kid"]
            .as_str()
            .ok_or("embedded JWKS has no kid")?
            .to_owned();
        let signer = Signer { key, kid };
        // Fail at start-up, not on the first token request, if the key is unusable.
        signer.sign(&Claims {
            iss: "",
            sub: "",
            aud: "",
            nbf: 0,
            iat: 0,
            exp: 0,
            scope: &[],
            jti: "",
        })?;
        Ok(signer)
    }

    pub fn sign(&self, claims: &Claims<'_>) -> Result<String, String> {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.key).map_err(|e| format!("signing: {e}"))
    }
}
