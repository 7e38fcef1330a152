//! `TokenStore`: where one user's tokens live between calls. The app implements it over its
//! own storage (Keychain on iOS, EncryptedSharedPreferences or DataStore on Android);
//! `MemoryTokenStore` and `FileTokenStore` are the core's built-in stores.
//!
//! `RefreshLock` is the core's optional refresh lock (`enduco::TokenStore::supports_lock`,
//! `try_lock`, `unlock`) as a second interface: UniFFI foreign traits cannot have optional
//! methods, so a store shared by several processes also implements `RefreshLock` (or the app
//! passes a separate lock object), and `EnducoClient.session`/`connect` take it as `lock`.

use std::sync::Arc;
use std::time::Duration;

use crate::error::{Result, saturating_i64, store_failure};
use crate::guard;
use crate::tokens::TokenSet;

/// Persistence for one user's `TokenSet`, implemented by the app.
///
/// The session calls `save` with new tokens *before* any caller uses them, so a crash right
/// after a refresh never loses a rotated refresh token. Throw (ideally the `store` error) on
/// failure: whatever is thrown becomes a `store` error for the caller, the session keeps the
/// tokens in memory and saves them again on the next call. Every call is bounded by the
/// client's store timeout (`store_timeout_seconds`, default 10 s): a call that does not finish
/// in time fails with `store` and is cancelled.
///
/// A store that several processes share should also implement `RefreshLock`; one that does
/// not is for one process only.
#[uniffi::export(rust, foreign, async_runtime = "tokio")]
#[async_trait::async_trait]
pub trait TokenStore: Send + Sync {
    /// The stored tokens, or none when the user has not connected enduco.
    async fn load(&self) -> Result<Option<Arc<TokenSet>>>;
    /// Replace the stored tokens.
    async fn save(&self, tokens: Arc<TokenSet>) -> Result<()>;
    /// Forget the tokens (after revoke or deregistration).
    async fn clear(&self) -> Result<()>;
}

/// The refresh lock of a token store that several processes share: an app and its extension or
/// widget sharing a Keychain access group or a file, several workers on one database row.
///
/// With it, the session takes the lock around re-read → refresh → save, re-reads the store once
/// it holds it and uses tokens another process already refreshed instead of sending its own
/// token request. Without it, two processes can present the same refresh token, and the server
/// either keeps only one of the answers or (with reuse detection) revokes the whole grant: a
/// store without a lock is for one process only.
///
/// Whatever `try_lock` throws fails the call with the `store` error and no token request is
/// sent (an uncoordinated refresh is what revokes grants). What `unlock` throws is logged; the
/// lease ends the lock anyway. Each call is bounded by the client's store timeout.
#[uniffi::export(rust, foreign, async_runtime = "tokio")]
#[async_trait::async_trait]
pub trait RefreshLock: Send + Sync {
    /// Takes the lock for `owner` unless another owner holds it with an unexpired lease, and
    /// answers whether `owner` holds it now. Never waits for the lock (the session retries
    /// with backoff within its deadline). Taking it again as the same owner renews the lease.
    /// `lease_ms` bounds how long a holder that crashed keeps the others waiting (a lock the
    /// OS releases when its process dies, like `flock`, may ignore it).
    async fn try_lock(&self, owner: String, lease_ms: i64) -> Result<bool>;
    /// Releases the lock if `owner` still holds it; does nothing when the lease ran out and
    /// another owner holds it now.
    async fn unlock(&self, owner: String) -> Result<()>;
}

/// The app's store (and its lock, if any) as the core sees it. Anything they throw is the
/// core's `store` error.
pub(crate) struct StoreBridge {
    store: Arc<dyn TokenStore>,
    lock: Option<Arc<dyn RefreshLock>>,
}

#[async_trait::async_trait]
impl enduco::TokenStore for StoreBridge {
    async fn load(&self) -> enduco::Result<Option<enduco::TokenSet>> {
        let tokens = self.store.load().await.map_err(store_failure)?;
        Ok(tokens.map(|t| t.inner.clone()))
    }

    async fn save(&self, tokens: &enduco::TokenSet) -> enduco::Result<()> {
        self.store
            .save(TokenSet::wrap(tokens.clone()))
            .await
            .map_err(store_failure)
    }

    async fn clear(&self) -> enduco::Result<()> {
        self.store.clear().await.map_err(store_failure)
    }

    fn supports_lock(&self) -> bool {
        self.lock.is_some()
    }

    async fn try_lock(&self, owner: &str, lease: Duration) -> enduco::Result<bool> {
        match &self.lock {
            Some(lock) => lock
                .try_lock(owner.to_owned(), lease_ms(lease))
                .await
                .map_err(store_failure),
            None => Ok(true),
        }
    }

    async fn unlock(&self, owner: &str) -> enduco::Result<()> {
        match &self.lock {
            Some(lock) => lock.unlock(owner.to_owned()).await.map_err(store_failure),
            None => Ok(()),
        }
    }
}

/// The lease in whole milliseconds, never 0 (a zero lease would be no lock at all).
fn lease_ms(lease: Duration) -> i64 {
    saturating_i64(u64::try_from(lease.as_millis()).unwrap_or(u64::MAX)).max(1)
}

pub(crate) fn bridge(
    store: Arc<dyn TokenStore>,
    lock: Option<Arc<dyn RefreshLock>>,
) -> Arc<dyn enduco::TokenStore> {
    Arc::new(StoreBridge { store, lock })
}

/// A built-in store's lock through `RefreshLock`.
async fn core_try_lock(store: &dyn enduco::TokenStore, owner: &str, lease_ms: i64) -> Result<bool> {
    let lease = Duration::from_millis(u64::try_from(lease_ms).unwrap_or(0).max(1));
    Ok(store.try_lock(owner, lease).await?)
}

/// Tokens in memory only: for tests, and for apps that persist elsewhere. It is its own
/// `RefreshLock` (a lease held in memory): every session on this store object, within one
/// process, refreshes one at a time.
#[derive(uniffi::Object)]
pub struct MemoryTokenStore {
    inner: enduco::MemoryTokenStore,
}

#[uniffi::export]
impl MemoryTokenStore {
    /// An empty store, or one holding `tokens`.
    #[uniffi::constructor(default(tokens))]
    pub fn new(tokens: Option<Arc<TokenSet>>) -> Arc<Self> {
        let inner = match tokens {
            Some(t) => enduco::MemoryTokenStore::with_tokens(t.inner.clone()),
            None => enduco::MemoryTokenStore::new(),
        };
        Arc::new(MemoryTokenStore { inner })
    }

    /// What the store holds now.
    pub fn get(&self) -> Option<Arc<TokenSet>> {
        self.inner.get().map(TokenSet::wrap)
    }
}

/// The `TokenStore` and `RefreshLock` exports of a built-in store: each forwards to the core's
/// store of the same name (`inner`).
macro_rules! builtin_store {
    ($store:ty) => {
        #[uniffi::export(async_runtime = "tokio")]
        #[async_trait::async_trait]
        impl RefreshLock for $store {
            async fn try_lock(&self, owner: String, lease_ms: i64) -> Result<bool> {
                guard::run(async { core_try_lock(&self.inner, &owner, lease_ms).await }).await
            }

            async fn unlock(&self, owner: String) -> Result<()> {
                guard::run(async { Ok(enduco::TokenStore::unlock(&self.inner, &owner).await?) })
                    .await
            }
        }

        #[uniffi::export(async_runtime = "tokio")]
        #[async_trait::async_trait]
        impl TokenStore for $store {
            async fn load(&self) -> Result<Option<Arc<TokenSet>>> {
                guard::run(async {
                    let tokens = enduco::TokenStore::load(&self.inner).await?;
                    Ok(tokens.map(TokenSet::wrap))
                })
                .await
            }

            async fn save(&self, tokens: Arc<TokenSet>) -> Result<()> {
                guard::run(async {
                    Ok(enduco::TokenStore::save(&self.inner, &tokens.inner).await?)
                })
                .await
            }

            async fn clear(&self) -> Result<()> {
                guard::run(async { Ok(enduco::TokenStore::clear(&self.inner).await?) }).await
            }
        }
    };
}

// Its lease lock covers every session on this store object, in this process.
builtin_store!(MemoryTokenStore);

/// Tokens in a JSON file readable only by the owner (mode 0600), replaced atomically. On
/// Android use a path under `Context.filesDir`; prefer the platform's encrypted storage where
/// the device may be shared.
///
/// It is its own `RefreshLock`: an OS advisory lock (`flock`) on `<path>.lock`, so every
/// process that uses the same path (an app and its extension with the file in a shared
/// container) refreshes one at a time. The OS releases it when its holder dies.
#[derive(uniffi::Object)]
pub struct FileTokenStore {
    inner: enduco::FileTokenStore,
}

#[uniffi::export]
impl FileTokenStore {
    #[uniffi::constructor]
    pub fn new(path: String) -> Arc<Self> {
        Arc::new(FileTokenStore {
            inner: enduco::FileTokenStore::new(path),
        })
    }

    /// The file the tokens are kept in.
    pub fn path(&self) -> String {
        self.inner.path().display().to_string()
    }
}

// An OS advisory lock (`flock`) on `<path>.lock`, shared by every process using the path.
builtin_store!(FileTokenStore);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leases_cross_as_whole_milliseconds_never_zero() {
        assert_eq!(lease_ms(Duration::from_secs(30)), 30_000);
        assert_eq!(lease_ms(Duration::from_micros(10)), 1);
        assert_eq!(lease_ms(Duration::MAX), i64::MAX);
    }
}
