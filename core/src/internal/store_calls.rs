//! The session's side of the [`TokenStore`] contract: every call bounded by the store timeout,
//! every failure a `store` error, and the refresh lock taken with backoff within a deadline.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use backon::BackoffBuilder;

use crate::error::{Error, Result};
use crate::store::TokenStore;
use crate::token::TokenSet;

pub(crate) struct StoreCalls {
    store: Arc<dyn TokenStore>,
    timeout: Duration,
    lease: Duration,
}

/// Proof that this process holds a store's refresh lock; release it with
/// [`StoreCalls::unlock`]. If it is dropped instead, the lease ends it.
pub(crate) struct RefreshLock {
    owner: String,
}

impl StoreCalls {
    pub(crate) fn new(store: Arc<dyn TokenStore>, timeout: Duration, lease: Duration) -> Self {
        StoreCalls {
            store,
            timeout,
            lease,
        }
    }

    /// One store call, bounded in time: a host store that never answers must not hold the
    /// session's refresh gate forever.
    async fn call<T>(&self, action: &str, work: impl Future<Output = Result<T>>) -> Result<T> {
        match tokio::time::timeout(self.timeout, work).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(store_error(action, e)),
            Err(_) => Err(Error::store(
                format!(
                    "token store {action} did not finish within {:.1} s",
                    self.timeout.as_secs_f64()
                ),
                None,
            )),
        }
    }

    pub(crate) async fn load(&self) -> Result<Option<TokenSet>> {
        self.call("load", self.store.load()).await
    }

    pub(crate) async fn save(&self, tokens: &TokenSet) -> Result<()> {
        self.call("save", self.store.save(tokens)).await
    }

    pub(crate) async fn clear(&self) -> Result<()> {
        self.call("clear", self.store.clear()).await
    }

    pub(crate) fn supports_lock(&self) -> bool {
        self.store.supports_lock()
    }

    /// Takes the store's refresh lock, waiting (with jittered backoff) while another process
    /// holds it, until `deadline`. A store that cannot lock fails the call: a refresh sent
    /// without the lock is what makes servers with reuse detection revoke a grant.
    pub(crate) async fn lock(&self, deadline: Instant) -> Result<RefreshLock> {
        let owner = crate::internal::random::random_token()?;
        let mut backoff = backon::ExponentialBuilder::default()
            .with_jitter()
            .with_min_delay(Duration::from_millis(10))
            .with_max_delay(Duration::from_millis(250))
            .without_max_times()
            .build();
        loop {
            if self
                .call("lock", self.store.try_lock(&owner, self.lease))
                .await?
            {
                return Ok(RefreshLock { owner });
            }
            let delay = backoff.next().unwrap_or(Duration::from_millis(250));
            if delay >= deadline.saturating_duration_since(Instant::now()) {
                return Err(Error::store(
                    "another process held the token store's refresh lock until the deadline",
                    None,
                ));
            }
            tracing::debug!(
                ?delay,
                "another process is refreshing; waiting for its lock"
            );
            tokio::time::sleep(delay).await;
        }
    }

    /// Releases the lock. A failure is logged, not returned: the tokens are saved by now, and
    /// the lease ends the lock anyway.
    pub(crate) async fn unlock(&self, lock: RefreshLock) {
        if let Err(e) = self.call("unlock", self.store.unlock(&lock.owner)).await {
            tracing::warn!(
                error = %e,
                "could not release the token store's refresh lock; it ends with its lease"
            );
        }
    }
}

/// A store error, whatever the host's implementation returned.
pub(crate) fn store_error(action: &str, e: Error) -> Error {
    match e {
        Error::Store { .. } => e,
        other => Error::store(
            format!("token store {action} failed: {other}"),
            Some(Arc::new(other)),
        ),
    }
}
