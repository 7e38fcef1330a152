//! `TokenStore`: where one user's tokens live between calls. The app implements it over its
//! own storage (Keychain on iOS, EncryptedSharedPreferences or DataStore on Android);
//! `MemoryTokenStore` and `FileTokenStore` are the core's built-in stores.

use std::sync::Arc;

use crate::error::{Result, store_failure};
use crate::tokens::TokenSet;

/// Persistence for one user's `TokenSet`, implemented by the app.
///
/// The session calls `save` with new tokens *before* any caller uses them, so a crash right
/// after a refresh never loses a rotated refresh token. Throw (ideally the `store` error) on
/// failure: whatever is thrown becomes a `store` error for the caller, the session keeps the
/// tokens in memory and saves them again on the next call.
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

/// The app's store as the core sees it. Anything it throws is the core's `store` error.
pub(crate) struct StoreBridge(pub(crate) Arc<dyn TokenStore>);

#[async_trait::async_trait]
impl enduco::TokenStore for StoreBridge {
    async fn load(&self) -> enduco::Result<Option<enduco::TokenSet>> {
        let tokens = self.0.load().await.map_err(store_failure)?;
        Ok(tokens.map(|t| t.inner.clone()))
    }

    async fn save(&self, tokens: &enduco::TokenSet) -> enduco::Result<()> {
        self.0
            .save(TokenSet::wrap(tokens.clone()))
            .await
            .map_err(store_failure)
    }

    async fn clear(&self) -> enduco::Result<()> {
        self.0.clear().await.map_err(store_failure)
    }
}

pub(crate) fn bridge(store: Arc<dyn TokenStore>) -> Arc<dyn enduco::TokenStore> {
    Arc::new(StoreBridge(store))
}

/// Tokens in memory only: for tests, and for apps that persist elsewhere.
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

#[uniffi::export(async_runtime = "tokio")]
#[async_trait::async_trait]
impl TokenStore for MemoryTokenStore {
    async fn load(&self) -> Result<Option<Arc<TokenSet>>> {
        let tokens = enduco::TokenStore::load(&self.inner).await?;
        Ok(tokens.map(TokenSet::wrap))
    }

    async fn save(&self, tokens: Arc<TokenSet>) -> Result<()> {
        Ok(enduco::TokenStore::save(&self.inner, &tokens.inner).await?)
    }

    async fn clear(&self) -> Result<()> {
        Ok(enduco::TokenStore::clear(&self.inner).await?)
    }
}

/// Tokens in a JSON file readable only by the owner (mode 0600), replaced atomically. On
/// Android use a path under `Context.filesDir`; prefer the platform's encrypted storage where
/// the device may be shared.
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

#[uniffi::export(async_runtime = "tokio")]
#[async_trait::async_trait]
impl TokenStore for FileTokenStore {
    async fn load(&self) -> Result<Option<Arc<TokenSet>>> {
        let tokens = enduco::TokenStore::load(&self.inner).await?;
        Ok(tokens.map(TokenSet::wrap))
    }

    async fn save(&self, tokens: Arc<TokenSet>) -> Result<()> {
        Ok(enduco::TokenStore::save(&self.inner, &tokens.inner).await?)
    }

    async fn clear(&self) -> Result<()> {
        Ok(enduco::TokenStore::clear(&self.inner).await?)
    }
}
