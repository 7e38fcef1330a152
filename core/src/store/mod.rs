//! Where a user's tokens live between calls. The host app implements [`TokenStore`] over its
//! own storage (Keychain, EncryptedSharedPreferences, a database row); two stores are built in.

use std::collections::HashMap;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;

use crate::error::{Error, Result};
use crate::token::TokenSet;

#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "redis")]
mod redis;

#[cfg(feature = "postgres")]
pub use postgres::{PostgresTokenStore, PostgresTokenStores};
#[cfg(feature = "redis")]
pub use redis::{RedisTokenStore, RedisTokenStores};

/// Persistence for one user's [`TokenSet`].
///
/// The session calls `save` with new tokens *before* any caller uses them, so a crash right
/// after a refresh never loses a rotated refresh token. Return `Error::Store` (see
/// [`Error::store`]) on failure; the session keeps the tokens in memory and saves them again
/// on the next call. Every call is bounded by the client's store timeout.
///
/// # The refresh lock (lifecycle rule 2, `docs/lifecycle.md`)
///
/// A store that several processes share (a file, a database row) should also implement
/// [`TokenStore::try_lock`] and [`TokenStore::unlock`] and answer `true` from
/// [`TokenStore::supports_lock`]. The session then takes the lock around
/// load → refresh → save, re-reads the store once it holds it, and uses tokens another
/// process already refreshed instead of sending its own token request. Without the lock two
/// processes can present the same refresh token, and enduco's server software either keeps only
/// one of the answers or (with reuse detection) revokes the whole grant. A store without the
/// lock is for one process only.
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

    /// Whether [`TokenStore::try_lock`] coordinates every process that shares this store.
    /// `false` (the default) declares the store to be for one process only.
    fn supports_lock(&self) -> bool {
        false
    }

    /// Takes the refresh lock for `owner` unless another owner holds it with an unexpired
    /// lease; answers whether `owner` now holds it. Must not wait for the lock: the session
    /// retries with backoff within its deadline. The lease bounds how long a holder that
    /// crashed keeps others waiting. Taking it again as the same owner renews the lease.
    async fn try_lock(&self, owner: &str, lease: Duration) -> Result<bool> {
        let _ = (owner, lease);
        Ok(true)
    }

    /// Releases the lock if `owner` still holds it. Must do nothing when the lease has
    /// expired and another owner holds the lock now (owner-only release).
    async fn unlock(&self, owner: &str) -> Result<()> {
        let _ = owner;
        Ok(())
    }
}

/// A lease-based lock held in memory, shared by every session of one store object.
#[derive(Default)]
struct MemoryLock {
    holder: Mutex<Option<(String, Instant)>>,
}

impl MemoryLock {
    fn try_lock(&self, owner: &str, lease: Duration) -> bool {
        let mut holder = self.holder.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        match &*holder {
            Some((other, until)) if other != owner && *until > now => false,
            _ => {
                *holder = Some((owner.to_owned(), now + lease));
                true
            }
        }
    }

    fn unlock(&self, owner: &str) {
        let mut holder = self.holder.lock().unwrap_or_else(|e| e.into_inner());
        if matches!(&*holder, Some((held_by, _)) if held_by == owner) {
            *holder = None;
        }
    }
}

/// Tokens in memory only: for tests, and for backends that persist elsewhere.
///
/// Its refresh lock covers every session built on the same store object (a backend that
/// makes a session per request), within one process.
#[derive(Default)]
pub struct MemoryTokenStore {
    tokens: Mutex<Option<TokenSet>>,
    lock: MemoryLock,
}

impl MemoryTokenStore {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_tokens(tokens: TokenSet) -> Self {
        MemoryTokenStore {
            tokens: Mutex::new(Some(tokens)),
            lock: MemoryLock::default(),
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
    fn supports_lock(&self) -> bool {
        true
    }
    async fn try_lock(&self, owner: &str, lease: Duration) -> Result<bool> {
        Ok(self.lock.try_lock(owner, lease))
    }
    async fn unlock(&self, owner: &str) -> Result<()> {
        self.lock.unlock(owner);
        Ok(())
    }
}

/// Tokens in a JSON file, readable only by the owner (mode 0600 on Unix).
///
/// `save` writes a temporary file in the same folder, renames it over the old one and syncs
/// the folder, so a reader — another process sharing the file included — sees the old tokens
/// or the new ones, never half a file, and a power cut after `save` returned keeps the new ones.
///
/// The refresh lock is an OS advisory lock (`flock`) on a sidecar file, `<path>.lock`: every
/// process on this machine that uses the same path takes turns refreshing. The OS releases it
/// when its holder exits or crashes, so no lease is needed; a holder that hangs keeps it until
/// it exits. Network file systems may not honour it: use a database-backed store across hosts.
#[derive(Debug, Clone)]
pub struct FileTokenStore {
    path: PathBuf,
    /// Open lock files by owner: dropping one releases its lock.
    held: Arc<Mutex<HashMap<String, File>>>,
}

impl FileTokenStore {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        FileTokenStore {
            path: path.into(),
            held: Arc::default(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The sidecar file the refresh lock is taken on.
    pub fn lock_path(&self) -> PathBuf {
        let mut name = self.path.clone().into_os_string();
        name.push(".lock");
        PathBuf::from(name)
    }

    fn fail(&self, action: &str, e: impl std::error::Error + Send + Sync + 'static) -> Error {
        let message = format!("cannot {action} {}: {e}", self.path.display());
        Error::store(message, Some(Arc::new(e)))
    }

    fn folder(&self) -> PathBuf {
        match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        }
    }

    fn write_atomically(&self, json: &str) -> Result<()> {
        let dir = self.folder();
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
        // The rename is durable only once the folder's entry is on disk.
        #[cfg(unix)]
        File::open(&dir)
            .and_then(|folder| folder.sync_all())
            .map_err(|e| self.fail("sync the folder of", e))?;
        Ok(())
    }

    fn try_lock_blocking(&self, owner: &str) -> Result<bool> {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        if held.contains_key(owner) {
            return Ok(true);
        }
        std::fs::create_dir_all(self.folder()).map_err(|e| self.fail("create the folder of", e))?;
        let mut options = OpenOptions::new();
        options.create(true).truncate(false).write(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options
            .open(self.lock_path())
            .map_err(|e| self.fail("open the lock file of", e))?;
        match file.try_lock() {
            Ok(()) => {
                held.insert(owner.to_owned(), file);
                Ok(true)
            }
            Err(TryLockError::WouldBlock) => Ok(false),
            Err(TryLockError::Error(e)) => Err(self.fail("lock", e)),
        }
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

    fn supports_lock(&self) -> bool {
        true
    }

    async fn try_lock(&self, owner: &str, _lease: Duration) -> Result<bool> {
        let store = self.clone();
        let owner = owner.to_owned();
        tokio::task::spawn_blocking(move || store.try_lock_blocking(&owner))
            .await
            .map_err(|e| Error::store(format!("token file locker stopped: {e}"), None))?
    }

    async fn unlock(&self, owner: &str) -> Result<()> {
        let released = self
            .held
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(owner);
        if let Some(file) = released {
            file.unlock().map_err(|e| self.fail("unlock", e))?;
        }
        Ok(())
    }
}
