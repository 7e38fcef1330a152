//! The OAuth 2.0 authorization-code flow as enduco runs it: the authorization request with
//! state and PKCE, the callback, and the token endpoint (exchange, refresh, revoke).

pub(crate) mod authorize;
pub(crate) mod relay;
pub(crate) mod token_endpoint;

pub use authorize::{AUTHORIZATION_REQUEST_SCHEMA_VERSION, AuthorizationRequest};
pub(crate) use authorize::{build_authorization_request, parse_callback};
pub use relay::{MAX_RELAY_REQUEST_BYTES, RELAY_USER_AGENT, RelayResponse, TokenRelay};

pub use crate::scope::Scope;
