//! Unguessable values from the OS CSPRNG: state, PKCE verifiers, lock owners.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::{Error, Result};

/// 32 bytes from the OS CSPRNG, base64url: 256 bits for state, 43 characters for a PKCE
/// verifier (RFC 7636 §4.1 asks for 43 to 128).
pub(crate) fn random_token() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| Error::Network {
        message: format!("the system random number generator failed: {e}"),
    })?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}
