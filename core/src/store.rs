//! Where a user's tokens live between calls. The host app implements [`TokenStore`] over its
//! own storage (Keychain, EncryptedSharedPreferences, a database row); two stores are built in.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use crate::error::{Error, Result};
use crate::token::TokenSet;

/// Persistence for one user's [`TokenSet`].
///
/// The session calls `save` with new tokens *before* any caller uses them, so a crash right
/// after a refresh never loses a rotated refresh token. Return `Error::Store` (see
/// [`Error::store`]) on failure; the session keeps the tokens in memory and saves them again
/// on the next call.
///
/// A store must not call back into the session it serves: the session holds its refresh
/// gate while it loads or saves, so such a call would wait for itself.
#[async_trait]
pub trait TokenStore: Send + Sync {
    /// The stored tokens, or `None` when the user has not connected enduco.
    async fn load(&self) -> Result<Option<TokenSet>>;
    /// Replace the stored tokens.
    async fn save(&self, tokens: &TokenSet) -> Result<()>;
    /// Forget the tokens (after revoke or deregistration).
    async fn clear(&self) -> Result<()>;
}

/// Tokens in memory only: for tests, and for backends that persist elsewhere.
#[derive(Default)]
pub struct MemoryTokenStore {
    tokens: Mutex<Option<TokenSet>>,
}

impl MemoryTokenStore {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_tokens(tokens: TokenSet) -> Self {
        MemoryTokenStore {
            tokens: Mutex::new(Some(tokens)),
        }
    }

    /// What the store holds now.
    pub fn get(&self) -> Option<TokenSet> {
        self.tokens
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

impl std::fmt::Debug for MemoryTokenStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryTokenStore")
            .field("tokens", &self.get())
            .finish()
    }
}

#[async_trait]
impl TokenStore for MemoryTokenStore {
    async fn load(&self) -> Result<Option<TokenSet>> {
        Ok(self.get())
    }
    async fn save(&self, tokens: &TokenSet) -> Result<()> {
        *self.tokens.lock().unwrap_or_else(|e| e.into_inner()) = Some(tokens.clone());
        Ok(())
    }
    async fn clear(&self) -> Result<()> {
        *self.tokens.lock().unwrap_or_else(|e| e.into_inner()) = None;
        Ok(())
    }
}

/// Tokens in a JSON file, readable only by the owner (mode 0600 on Unix).
///
/// `save` writes a temporary file in the same folder and renames it over the old one, so a
/// reader — another process sharing the file included — sees the old tokens or the new ones,
/// never half a file.
#[derive(Debug, Clone)]
pub struct FileTokenStore {
    path: PathBuf,
}

impl FileTokenStore {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        FileTokenStore { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn fail(&self, action: &str, e: impl std::error::Error + Send + Sync + 'static) -> Error {
        let message = format!("cannot {action} {}: {e}", self.path.display());
        Error::store(message, Some(Arc::new(e)))
    }

    fn write_atomically(&self, json: &str) -> Result<()> {
        let dir = match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&dir).map_err(|e| self.fail("create the folder of", e))?;
        // tempfile creates the file with mode 0600 on Unix; rename keeps it.
        let mut file = tempfile::NamedTempFile::new_in(&dir).map_err(|e| self.fail("write", e))?;
        file.write_all(json.as_bytes())
            .map_err(|e| self.fail("write", e))?;
        file.as_file()
            .sync_all()
            .map_err(|e| self.fail("write", e))?;
        file.persist(&self.path)
            .map_err(|e| self.fail("replace", e.error))?;
        Ok(())
    }
}

#[async_trait]
impl TokenStore for FileTokenStore {
    async fn load(&self) -> Result<Option<TokenSet>> {
        let json = match tokio::fs::read_to_string(&self.path).await {
            Ok(json) => json,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.fail("read", e)),
        };
        TokenSet::from_json(&json).map(Some).map_err(|e| {
            Error::store(
                format!(
                    "{} does not hold a usable token set: {e}",
                    self.path.display()
                ),
                Some(Arc::new(e)),
            )
        })
    }

    async fn save(&self, tokens: &TokenSet) -> Result<()> {
        let json = tokens.to_json();
        let store = self.clone();
        tokio::task::spawn_blocking(move || store.write_atomically(&json))
            .await
            .map_err(|e| Error::store(format!("token file writer stopped: {e}"), None))?
    }

    async fn clear(&self) -> Result<()> {
        match tokio::fs::remove_file(&self.path).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(self.fail("delete", e)),
        }
    }
}
