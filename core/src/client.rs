//! [`EnducoClient`]: one per app. Holds the configuration and one HTTP connection pool that
//! every session shares.

use std::sync::Arc;

use crate::config::ClientConfig;
use crate::error::{Error, Result};
use crate::internal::client::{ClientInner, GrantSpelling};
use crate::internal::http::Transport;
use crate::oauth::token_endpoint;
use crate::oauth::{self, AuthorizationRequest, Scope};
use crate::session::Session;
use crate::store::TokenStore;
use crate::token::{AuthorizationCode, CodeVerifier, TokenSet};
use crate::webhook::{self, WebhookEvent};

/// The entry point: start authorizations, exchange codes, open sessions.
///
/// Cheap to clone; clones share the connection pool.
#[derive(Clone)]
pub struct EnducoClient {
    pub(crate) inner: Arc<ClientInner>,
}

impl std::fmt::Debug for EnducoClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnducoClient")
            .field("config", &self.inner.config)
            .finish()
    }
}

impl EnducoClient {
    /// Checks the configuration and builds the HTTP client. Makes no request.
    pub fn new(config: ClientConfig) -> Result<Self> {
        config.validate()?;
        let user_agent = match &config.user_agent {
            Some(app) => format!("{app} enduco-sdk/{}", env!("CARGO_PKG_VERSION")),
            None => format!("enduco-sdk/{}", env!("CARGO_PKG_VERSION")),
        };
        let transport = Transport::new(&config.timeouts, config.retry.clone(), &user_agent)?;
        Ok(EnducoClient {
            inner: Arc::new(ClientInner {
                config,
                transport,
                grant_spelling: GrantSpelling::default(),
            }),
        })
    }

    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    /// Starts an authorization: a URL for the user's browser with a fresh `state` and, unless
    /// switched off, a PKCE S256 challenge. Keep the returned value until the callback.
    pub fn authorization_request(&self, scopes: &[Scope]) -> Result<AuthorizationRequest> {
        oauth::build_authorization_request(&self.inner.config, scopes)
    }

    /// Finishes an authorization from the URL enduco redirected the browser to: checks the
    /// state (constant time), turns `error=` into a typed error, exchanges the code.
    ///
    /// Store the returned tokens, e.g. with [`EnducoClient::connect`].
    pub async fn complete_authorization(
        &self,
        pending: &AuthorizationRequest,
        callback_url: &str,
    ) -> Result<TokenSet> {
        let code = oauth::parse_callback(pending, callback_url)?;
        token_endpoint::exchange_code(&self.inner, &code, pending.code_verifier.as_ref()).await
    }

    /// Exchanges a code the app received itself (a backend's own redirect handler). Pass the
    /// PKCE verifier of the request that produced the code, if it had one.
    pub async fn exchange_code(&self, code: &str, code_verifier: Option<&str>) -> Result<TokenSet> {
        if code.trim().is_empty() {
            return Err(crate::Error::invalid_input(
                "the authorization code is empty",
            ));
        }
        let verifier = code_verifier.map(CodeVerifier::new);
        token_endpoint::exchange_code(
            &self.inner,
            &AuthorizationCode::new(code),
            verifier.as_ref(),
        )
        .await
    }

    /// A session for the user whose tokens `store` holds. Nothing is loaded until the first
    /// call.
    pub fn session(&self, store: Arc<dyn TokenStore>) -> Session {
        Session::new(self.inner.clone(), store)
    }

    /// **💾 Persists:** saves `tokens` into `store`, then returns the user's session.
    pub async fn connect(&self, store: Arc<dyn TokenStore>, tokens: TokenSet) -> Result<Session> {
        let session = self.session(store);
        session.inner.connect(tokens).await?;
        Ok(session)
    }

    /// Reads a webhook body enduco POSTed to the app. Never fails: what the SDK does not
    /// recognise comes back as `WebhookEvent::Unknown`.
    pub fn parse_webhook(&self, body: &[u8]) -> WebhookEvent {
        webhook::parse_webhook(body)
    }

    /// **💾 Persists:** acts on a deregistration — but only once enduco confirms it.
    ///
    /// Anyone can POST to a webhook URL, so the event alone proves nothing. The user's store
    /// (looked up with `store_for_user`; `None` if the app does not know the user) is asked
    /// for a refresh: if enduco no longer honours the grant (`reauthorization_required`), the
    /// tokens are cleared and the user id returned. If the refresh works, the event was forged
    /// (or stale): it is logged, nothing is cleared, and `None` is returned. A refresh that
    /// fails for another reason (network, store) is returned as that error so the app can
    /// answer the webhook with a 5xx and let enduco deliver it again. Other events return
    /// `None`.
    pub async fn clear_deregistered_user<F>(
        &self,
        event: &WebhookEvent,
        store_for_user: F,
    ) -> Result<Option<String>>
    where
        F: FnOnce(&str) -> Option<Arc<dyn TokenStore>>,
    {
        let WebhookEvent::UserDeregistered { user_id, .. } = event else {
            return Ok(None);
        };
        let Some(store) = store_for_user(user_id) else {
            return Ok(None);
        };
        let session = self.session(store);
        match session.refresh().await {
            Ok(_) => {
                tracing::warn!(
                    user_id = %user_id,
                    "a deregistration webhook for a grant enduco still honours: ignored (forged or stale)"
                );
                Ok(None)
            }
            Err(Error::ReauthorizationRequired { .. }) => {
                session.inner.clear_store().await?;
                tracing::info!(user_id = %user_id, "deregistered user's tokens cleared");
                Ok(Some(user_id.clone()))
            }
            Err(e) => Err(e),
        }
    }
}
