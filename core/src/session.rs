//! `Session`: one user's tokens and every authenticated call.
//!
//! The token lifecycle rules (`docs/lifecycle.md`) live here, each in one place:
//! 1. refresh ahead of expiry and once on a 401 — `Session::send`;
//! 2. one refresh per grant at a time: within the process — `SessionInner::usable_tokens`;
//!    across processes, through the store's lock — `SessionInner::refresh_locked`;
//! 3. save before use, keep unsaved tokens and retry the save — `TokenState::adopt` and
//!    `SessionInner::flush_unsaved`; store calls are bounded by the store timeout —
//!    `StoreCalls`;
//! 4. on `invalid_grant`, reload the store before giving up — `SessionInner::refresh_once`;
//! 5. scope checks before any request — `Session::send`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use reqwest::Method;
use reqwest::header::{AUTHORIZATION, HeaderValue};
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::error::{Error, OAuthError, Result};
use crate::internal::client::ClientInner;
use crate::internal::http::{Reply, RetryMode};
use crate::internal::store_calls::StoreCalls;
use crate::oauth::Scope;
use crate::oauth::token_endpoint;
use crate::store::TokenStore;
use crate::token::{RefreshToken, TokenSet};

/// How long rule 4 keeps re-reading an unchanged store after `invalid_grant`: a process that
/// does not take the store's lock may have won the refresh and be about to save.
const ROTATION_GRACE: Duration = Duration::from_millis(1500);

/// One user's connection to enduco. Cheap to clone; clones share tokens and the refresh
/// gate, so the lifecycle rules hold across all of them.
#[derive(Clone)]
pub struct Session {
    pub(crate) inner: Arc<SessionInner>,
}

pub(crate) struct SessionInner {
    pub(crate) client: Arc<ClientInner>,
    pub(crate) store: StoreCalls,
    /// The gate: whoever holds it may load, refresh, save or clear. Held only for those
    /// steps, never across a data request.
    state: Arc<Mutex<TokenState>>,
    /// Counts refresh attempts. A caller reads it before it waits for anything: finding it
    /// changed once through the gate means a refresh ran while it waited, and it takes that
    /// refresh's outcome — tokens or error — instead of starting another.
    refreshes: AtomicU64,
}

#[derive(Default)]
pub(crate) struct TokenState {
    loaded: bool,
    tokens: Option<TokenSet>,
    /// Tokens newer than what the store holds (its `save` failed).
    unsaved: bool,
    /// The outcome of the latest refresh attempt, shared with callers that waited for it.
    last_refresh_error: Option<Error>,
    /// A refresh token enduco refused for good. It is never sent again: a server with reuse
    /// detection would take a second try as an attack on the grant.
    refused: Option<RefreshToken>,
}

impl TokenState {
    /// Takes new tokens. They are marked unsaved until the store confirms (rule 3).
    fn adopt(&mut self, tokens: TokenSet) {
        self.tokens = Some(tokens);
        self.loaded = true;
        self.unsaved = true;
    }

    /// Takes tokens read from the store (they are saved already).
    fn adopt_stored(&mut self, tokens: Option<TokenSet>) {
        self.tokens = tokens;
        self.loaded = true;
        self.unsaved = false;
    }
}

/// Why the caller wants tokens.
#[derive(Clone)]
enum Need {
    /// Tokens good for at least the refresh margin.
    Fresh,
    /// enduco answered 401 to the access token in this `Authorization` header: anything but
    /// it. (The header, not a copy of the token: the fast path never copies the token set.)
    Replacing(HeaderValue),
    /// An explicit `refresh()`.
    Forced,
}

impl Need {
    /// Whether `tokens` still need a refresh to serve this caller.
    fn unmet_by(&self, tokens: &TokenSet, margin: Duration) -> bool {
        match self {
            Need::Fresh => tokens.expires_within(margin),
            Need::Replacing(rejected) => is_bearer_of(rejected, tokens),
            Need::Forced => true,
        }
    }
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").finish_non_exhaustive()
    }
}

impl Session {
    pub(crate) fn new(client: Arc<ClientInner>, store: Arc<dyn TokenStore>) -> Self {
        let config = &client.config;
        let store = StoreCalls::new(store, config.store_timeout, config.effective_lock_lease());
        Session {
            inner: Arc::new(SessionInner {
                client,
                store,
                state: Arc::new(Mutex::new(TokenState::default())),
                refreshes: AtomicU64::new(0),
            }),
        }
    }

    /// The scopes the user granted. Loads the store if needed; makes no request.
    pub async fn granted_scopes(&self) -> Result<Vec<String>> {
        Ok(self.stored_tokens().await?.scopes)
    }

    /// enduco's id for this user (the access token's `sub`). Makes no request.
    pub async fn user_id(&self) -> Result<String> {
        self.stored_tokens().await?.user_id().ok_or_else(|| {
            Error::invalid_response("the access token carries no user id (sub claim)")
        })
    }

    /// The current tokens as stored (without refreshing).
    pub async fn tokens(&self) -> Result<TokenSet> {
        self.stored_tokens().await
    }

    async fn stored_tokens(&self) -> Result<TokenSet> {
        let inner = self.inner.clone();
        let mut state = inner.state.clone().lock_owned().await;
        inner.load_if_needed(&mut state).await?;
        state.tokens.clone().ok_or_else(not_connected)
    }

    /// **💾 Persists:** refreshes now, whatever the expiry, and saves the new tokens.
    pub async fn refresh(&self) -> Result<TokenSet> {
        self.inner
            .clone()
            .usable_tokens_detached(Need::Forced)
            .await
    }

    /// **💾 Persists:** revokes the grant at enduco, then clears the store. Use when the user
    /// disconnects enduco. If enduco cannot be reached the tokens are kept, so the app can
    /// retry; afterwards every call fails with `reauthorization_required`.
    pub async fn revoke(&self) -> Result<()> {
        let inner = self.inner.clone();
        // Detached like refresh: a revoke that reached enduco must also clear the store.
        spawn(async move {
            let mut state = inner.state.clone().lock_owned().await;
            inner.load_if_needed(&mut state).await?;
            if let Some(tokens) = state.tokens.clone() {
                let (token, hint) = match &tokens.refresh_token {
                    Some(rt) => (rt.secret().to_owned(), "refresh_token"),
                    None => (tokens.access_token.secret().to_owned(), "access_token"),
                };
                token_endpoint::revoke(&inner.client, &token, hint).await?;
                tracing::info!("grant revoked at enduco");
            }
            state.adopt_stored(None);
            inner.store.clear().await
        })
        .await
    }

    /// Sends an authenticated request: checks `scope` (when given) against the grant before
    /// anything goes out, refreshes ahead of expiry, and on a 401 refreshes once and replays.
    ///
    /// `build` makes the request from the bearer header value; it runs once per attempt.
    pub(crate) async fn send<F>(
        &self,
        scope: Option<Scope>,
        mode: RetryMode,
        timeout: Duration,
        build: F,
    ) -> Result<Reply>
    where
        F: Fn(&HeaderValue) -> Result<reqwest::RequestBuilder>,
    {
        let bearer = self.inner.authorization(scope).await?;
        let transport = &self.inner.client.transport;
        let limit = self.inner.client.config.max_response_bytes;
        let reply = transport
            .send(mode, timeout, limit, || build(&bearer))
            .await?;
        if reply.status.as_u16() != 401 {
            return Ok(reply);
        }
        tracing::info!("enduco answered 401; refreshing once and replaying");
        let rejected = Need::Replacing(bearer);
        let tokens = self.inner.clone().usable_tokens_detached(rejected).await?;
        let bearer = bearer_header(&tokens)?;
        let reply = transport
            .send(mode, timeout, limit, || build(&bearer))
            .await?;
        if reply.status.as_u16() == 401 {
            return Err(Error::ReauthorizationRequired {
                reason: "enduco rejected a freshly refreshed access token".into(),
            });
        }
        Ok(reply)
    }

    /// [`Session::send`] for a request to an enduco path, with the bearer header set.
    pub(crate) async fn send_to<F>(
        &self,
        scope: Option<Scope>,
        mode: RetryMode,
        method: Method,
        path: &str,
        customize: F,
    ) -> Result<Reply>
    where
        F: Fn(reqwest::RequestBuilder) -> Result<reqwest::RequestBuilder>,
    {
        let client = &self.inner.client;
        let url = client.config.url(path)?;
        let timeout = if mode == RetryMode::UnsentOnly && method == Method::POST {
            client.config.timeouts.upload
        } else {
            client.config.timeouts.request
        };
        self.send(scope, mode, timeout, |bearer| {
            let request = client
                .transport
                .client()
                .request(method.clone(), url.clone())
                .header(AUTHORIZATION, bearer.clone());
            customize(request)
        })
        .await
    }
}

/// Whether `header` is the `Authorization` header [`bearer_header`] makes for `tokens`.
fn is_bearer_of(header: &HeaderValue, tokens: &TokenSet) -> bool {
    header.as_bytes().strip_prefix(b"Bearer ") == Some(tokens.access_token.secret().as_bytes())
}

/// The `Authorization` header, marked sensitive so no HTTP-layer log or debug output shows it.
fn bearer_header(tokens: &TokenSet) -> Result<HeaderValue> {
    let secret = tokens.access_token.secret();
    let mut text = String::with_capacity("Bearer ".len() + secret.len());
    text.push_str("Bearer ");
    text.push_str(secret);
    // From the `String`, the header takes the buffer over instead of copying it.
    let mut value = HeaderValue::try_from(text)
        .map_err(|_| Error::invalid_response("the access token cannot form a header"))?;
    value.set_sensitive(true);
    Ok(value)
}

/// Rule 5: a call needing a scope the grant lacks fails before anything is sent. An empty
/// list means enduco did not say what it granted: the server decides.
fn check_scope(tokens: &TokenSet, scope: Option<Scope>) -> Result<()> {
    match scope {
        Some(scope) if !tokens.scopes.is_empty() && !tokens.has_scope(scope) => {
            Err(Error::InsufficientScope {
                missing: vec![scope.as_str().to_owned()],
            })
        }
        _ => Ok(()),
    }
}

fn not_connected() -> Error {
    Error::ReauthorizationRequired {
        reason: "no tokens are stored for this user; run the authorization flow".into(),
    }
}

/// Runs `work` on its own task: a caller that stops waiting (a timeout, a cancelled
/// coroutine) must not abort a refresh half-way, after enduco rotated the refresh token but
/// before the new one was saved.
async fn spawn<T: Send + 'static>(
    work: impl std::future::Future<Output = Result<T>> + Send + 'static,
) -> Result<T> {
    tokio::spawn(work).await.map_err(Error::from_task_failure)?
}

impl SessionInner {
    /// The `Authorization` header for a data request needing `scope`: fresh tokens (refreshed
    /// first if need be), checked against the grant before anything goes out (rule 5).
    ///
    /// Performance (issue 15): on the fast path — loaded, saved and fresh tokens — the header
    /// is made under the gate straight from the held tokens. Cloning the whole `TokenSet` per
    /// call (access and refresh token, scope list: six allocations) showed in the profile of
    /// `bench/run`'s zones row; the header is the only thing a data request needs.
    async fn authorization(self: &Arc<Self>, scope: Option<Scope>) -> Result<HeaderValue> {
        // Read before anything can wait, the fast path's gate included (rule 2).
        let refreshes_seen = self.refreshes.load(Ordering::Acquire);
        {
            let state = self.state.lock().await;
            if let (true, false, Some(tokens)) = (state.loaded, state.unsaved, &state.tokens)
                && !tokens.expires_within(self.client.config.refresh_margin)
            {
                check_scope(tokens, scope)?;
                return bearer_header(tokens);
            }
        }
        let tokens = self
            .clone()
            .usable_tokens_spawned(Need::Fresh, refreshes_seen)
            .await?;
        check_scope(&tokens, scope)?;
        bearer_header(&tokens)
    }

    async fn usable_tokens_detached(self: Arc<Self>, need: Need) -> Result<TokenSet> {
        // Read before anything can wait, the fast path's gate included (rule 2).
        let refreshes_seen = self.refreshes.load(Ordering::Acquire);
        // Fast path: loaded, saved and fresh tokens need no store call and no refresh, so
        // there is nothing a cancelled caller could interrupt and no task to spawn.
        if matches!(need, Need::Fresh) {
            let state = self.state.lock().await;
            if let (true, false, Some(tokens)) = (state.loaded, state.unsaved, &state.tokens)
                && !tokens.expires_within(self.client.config.refresh_margin)
            {
                return Ok(tokens.clone());
            }
        }
        self.usable_tokens_spawned(need, refreshes_seen).await
    }

    /// [`Self::usable_tokens`] on its own task (see [`spawn`]).
    async fn usable_tokens_spawned(
        self: Arc<Self>,
        need: Need,
        refreshes_seen: u64,
    ) -> Result<TokenSet> {
        spawn(async move { self.usable_tokens(need, refreshes_seen).await }).await
    }

    /// Tokens fit for a request. Refresh is single-flight: callers queue at the gate; the
    /// first refreshes, the others find the new tokens (or the refresh's error) when their
    /// turn comes and make no request of their own.
    async fn usable_tokens(self: &Arc<Self>, need: Need, refreshes_seen: u64) -> Result<TokenSet> {
        let mut state = self.state.clone().lock_owned().await;
        self.flush_unsaved(&mut state).await?;
        self.load_if_needed(&mut state).await?;
        let tokens = state.tokens.clone().ok_or_else(not_connected)?;
        if !need.unmet_by(&tokens, self.client.config.refresh_margin) {
            return Ok(tokens);
        }
        if self.refreshes.load(Ordering::Acquire) != refreshes_seen && !matches!(need, Need::Forced)
        {
            // A refresh ran while we waited: share its outcome (even tokens shorter-lived
            // than the margin) rather than hammering the token endpoint.
            return match &state.last_refresh_error {
                Some(error) => Err(error.clone()),
                None => Ok(tokens),
            };
        }
        self.refresh_locked(&mut state, tokens, &need).await
    }

    pub(crate) async fn load_if_needed(
        &self,
        state: &mut OwnedMutexGuard<TokenState>,
    ) -> Result<()> {
        if !state.loaded {
            let stored = self.store.load().await?;
            state.adopt_stored(stored);
        }
        Ok(())
    }

    /// Rule 3: tokens whose save failed are saved again before anything else happens.
    async fn flush_unsaved(&self, state: &mut OwnedMutexGuard<TokenState>) -> Result<()> {
        if state.unsaved {
            if let Some(tokens) = &state.tokens {
                self.store.save(tokens).await?;
                tracing::info!("tokens that could not be saved earlier are now saved");
            }
            state.unsaved = false;
        }
        Ok(())
    }

    /// One refresh attempt, with the gate held; its outcome is shared with every caller
    /// that waited for it (rule 2). Where the store has a lock, the attempt runs under it,
    /// so one refresh per grant holds across every process that shares the store; no token
    /// request is sent when the lock cannot be taken.
    async fn refresh_locked(
        &self,
        state: &mut OwnedMutexGuard<TokenState>,
        current: TokenSet,
        need: &Need,
    ) -> Result<TokenSet> {
        let outcome = if self.store.supports_lock() {
            let deadline = crate::internal::http::instant_after(self.client.config.retry.deadline);
            match self.store.lock(deadline).await {
                Ok(lock) => {
                    let outcome = self.refresh_latest(state, current, need).await;
                    self.store.unlock(lock).await;
                    outcome
                }
                Err(e) => Err(e),
            }
        } else {
            self.refresh_latest(state, current, need).await
        };
        state.last_refresh_error = outcome.as_ref().err().cloned();
        // Counted once the outcome is known: everyone who read the counter before now, and
        // so entered while this attempt ran, takes its outcome when through the gate.
        self.refreshes.fetch_add(1, Ordering::AcqRel);
        outcome
    }

    /// Re-reads the store first: another process may have refreshed (or disconnected the
    /// user) since this one loaded, and its tokens serve without a token request.
    async fn refresh_latest(
        &self,
        state: &mut OwnedMutexGuard<TokenState>,
        current: TokenSet,
        need: &Need,
    ) -> Result<TokenSet> {
        let current = match self.store.load().await? {
            None => {
                state.adopt_stored(None);
                return Err(not_connected());
            }
            Some(stored) if !same_grant_state(&stored, &current) => {
                tracing::info!("another process refreshed already; using the stored tokens");
                state.adopt_stored(Some(stored.clone()));
                if !need.unmet_by(&stored, self.client.config.refresh_margin) {
                    return Ok(stored);
                }
                stored
            }
            Some(_) => current,
        };
        if current.refresh_token.is_some() && state.refused == current.refresh_token {
            return Err(grant_gone());
        }
        self.refresh_once(state, current).await
    }

    /// Sends one refresh. On `invalid_grant` applies rule 4 before giving up.
    async fn refresh_once(
        &self,
        state: &mut OwnedMutexGuard<TokenState>,
        current: TokenSet,
    ) -> Result<TokenSet> {
        let Some(refresh_token) = current.refresh_token.clone() else {
            return Err(Error::ReauthorizationRequired {
                reason: "the access token expired and there is no refresh token".into(),
            });
        };
        tracing::info!("refreshing the access token");
        match token_endpoint::refresh(&self.client, &refresh_token, &current).await {
            Ok(tokens) => self.adopt_and_save(state, tokens).await,
            Err(e) if e.oauth_error() == Some(OAuthError::InvalidGrant) => {
                // Rule 4: another process sharing the store may have rotated the refresh
                // token already. Its tokens are as good as ours would have been.
                let Some(stored) = self.rotated_elsewhere(&current).await? else {
                    state.refused = Some(refresh_token);
                    return Err(grant_gone());
                };
                tracing::info!("refresh token was rotated elsewhere; using the stored tokens");
                state.adopt_stored(Some(stored.clone()));
                if !stored.expires_within(self.client.config.refresh_margin) {
                    return Ok(stored);
                }
                let Some(rotated) = stored.refresh_token.clone() else {
                    return Err(Error::ReauthorizationRequired {
                        reason: "the stored tokens have expired and carry no refresh token".into(),
                    });
                };
                match token_endpoint::refresh(&self.client, &rotated, &stored).await {
                    Ok(tokens) => self.adopt_and_save(state, tokens).await,
                    Err(e) => {
                        let e = reauthorization_if_grant_gone(e);
                        if matches!(e, Error::ReauthorizationRequired { .. }) {
                            state.refused = Some(rotated);
                        }
                        Err(e)
                    }
                }
            }
            Err(e) => Err(e),
        }
    }

    /// Rule 4's re-read: the stored tokens if another process replaced `current`, looking
    /// again for a short while (see [`ROTATION_GRACE`]) before concluding nobody did.
    async fn rotated_elsewhere(&self, current: &TokenSet) -> Result<Option<TokenSet>> {
        let give_up = Instant::now() + ROTATION_GRACE;
        let mut pause = Duration::from_millis(50);
        loop {
            match self.store.load().await? {
                Some(stored) if stored.refresh_token != current.refresh_token => {
                    return Ok(Some(stored));
                }
                None => return Ok(None),
                Some(_) => {}
            }
            if Instant::now() + pause > give_up {
                return Ok(None);
            }
            tokio::time::sleep(pause).await;
            pause *= 2;
        }
    }

    /// Forgets the user's tokens, in memory and in the store.
    pub(crate) async fn clear_store(&self) -> Result<()> {
        let mut state = self.state.clone().lock_owned().await;
        state.adopt_stored(None);
        self.store.clear().await
    }

    /// Saves the tokens of a new grant, through the same timeout and error mapping as
    /// every other store call.
    pub(crate) async fn connect(&self, tokens: TokenSet) -> Result<()> {
        let mut state = self.state.clone().lock_owned().await;
        self.adopt_and_save(&mut state, tokens).await.map(|_| ())
    }

    /// Rule 3: memory first (so nothing is lost if the store fails), then the store; the
    /// caller gets the tokens only when the store has them.
    pub(crate) async fn adopt_and_save(
        &self,
        state: &mut OwnedMutexGuard<TokenState>,
        tokens: TokenSet,
    ) -> Result<TokenSet> {
        state.adopt(tokens.clone());
        self.store.save(&tokens).await.inspect_err(|_| {
            tracing::warn!(
                "new tokens could not be saved; kept in memory and saved on the next call"
            );
        })?;
        state.unsaved = false;
        tracing::info!(expires_at = tokens.expires_at, "new tokens saved");
        Ok(tokens)
    }
}

/// Whether two token sets are the same step of the grant (same access and refresh token).
fn same_grant_state(a: &TokenSet, b: &TokenSet) -> bool {
    a.access_token == b.access_token && a.refresh_token == b.refresh_token
}

fn grant_gone() -> Error {
    Error::ReauthorizationRequired {
        reason: "enduco no longer accepts the refresh token (revoked, expired or reused)".into(),
    }
}

fn reauthorization_if_grant_gone(e: Error) -> Error {
    match e {
        e if e.oauth_error() == Some(OAuthError::InvalidGrant) => grant_gone(),
        other => other,
    }
}
