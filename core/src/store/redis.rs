//! Tokens in Redis, for backends with many users, workers and hosts (feature `redis`).
//!
//! One [`RedisTokenStores`] per app holds one multiplexed, self-reconnecting connection;
//! [`RedisTokenStores::for_user`] gives each user's [`TokenStore`]. The refresh lock is a key
//! set with `NX`/`PX` (a lease) and released by a script that deletes it only for its owner
//! (docs/lifecycle.md).
//!
//! Token values at rest are as sensitive as passwords: protect the server (ACLs, TLS, no
//! public port) and its persistence files.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::sync::OnceCell;

use crate::error::{Error, Result};
use crate::store::TokenStore;
use crate::token::TokenSet;

/// Takes the lock for ARGV[1] for ARGV[2] ms, or renews it when ARGV[1] holds it already.
const TRY_LOCK: &str = r"
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return 1
end
return 0
";

/// Deletes the lock only if ARGV[1] still holds it.
const UNLOCK: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
";

/// The connection shared by every user's store. Cheap to clone.
#[derive(Clone)]
pub struct RedisTokenStores {
    inner: Arc<Shared>,
}

struct Shared {
    client: redis::Client,
    connection: OnceCell<ConnectionManager>,
    prefix: String,
    try_lock: redis::Script,
    unlock: redis::Script,
}

impl fmt::Debug for RedisTokenStores {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL may carry a password: never printed.
        f.debug_struct("RedisTokenStores")
            .field("prefix", &self.inner.prefix)
            .finish_non_exhaustive()
    }
}

fn failure(action: &str, e: redis::RedisError) -> Error {
    let message = format!("Redis token store cannot {action}: {e}");
    Error::store(message, Some(Arc::new(e)))
}

impl RedisTokenStores {
    /// A store set for `url` (`redis://[user:password@]host:port[/db]`). Keys are
    /// `enduco:tokens:<user key>` and `enduco:lock:<user key>`. Connects on first use.
    /// TLS (`rediss://`) is not built in yet: reach Redis over a private network, or through
    /// a local TLS tunnel.
    pub fn new(url: &str) -> Result<Self> {
        Self::with_prefix(url, "enduco:")
    }

    /// Like [`RedisTokenStores::new`] with another key prefix.
    pub fn with_prefix(url: &str, prefix: &str) -> Result<Self> {
        let client = redis::Client::open(url)
            .map_err(|e| Error::invalid_input(format!("not a Redis URL ({e})")))?;
        Ok(RedisTokenStores {
            inner: Arc::new(Shared {
                client,
                connection: OnceCell::new(),
                prefix: prefix.to_owned(),
                try_lock: redis::Script::new(TRY_LOCK),
                unlock: redis::Script::new(UNLOCK),
            }),
        })
    }

    async fn connection(&self) -> Result<ConnectionManager> {
        let shared = &self.inner;
        shared
            .connection
            .get_or_try_init(|| async {
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(Duration::from_secs(5)))
                    .set_response_timeout(Some(Duration::from_secs(5)));
                ConnectionManager::new_with_config(shared.client.clone(), config).await
            })
            .await
            .cloned()
            .map_err(|e| failure("connect", e))
    }

    /// Nothing to create in Redis; here so both server stores are used the same way.
    pub async fn migrate(&self) -> Result<()> {
        Ok(())
    }

    /// The store for one user, under a key the app chooses (its own user id, say).
    pub fn for_user(&self, key: impl Into<String>) -> RedisTokenStore {
        let key = key.into();
        RedisTokenStore {
            tokens_key: format!("{}tokens:{key}", self.inner.prefix),
            lock_key: format!("{}lock:{key}", self.inner.prefix),
            stores: self.clone(),
        }
    }
}

/// One user's tokens in Redis; made by [`RedisTokenStores::for_user`].
#[derive(Clone)]
pub struct RedisTokenStore {
    stores: RedisTokenStores,
    tokens_key: String,
    lock_key: String,
}

impl fmt::Debug for RedisTokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisTokenStore")
            .field("key", &self.tokens_key)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl TokenStore for RedisTokenStore {
    async fn load(&self) -> Result<Option<TokenSet>> {
        let mut connection = self.stores.connection().await?;
        let json: Option<String> = redis::cmd("GET")
            .arg(&self.tokens_key)
            .query_async(&mut connection)
            .await
            .map_err(|e| failure("load", e))?;
        let Some(json) = json else { return Ok(None) };
        TokenSet::from_json(&json).map(Some).map_err(|e| {
            Error::store(
                format!("the tokens under {} are not usable: {e}", self.tokens_key),
                Some(Arc::new(e)),
            )
        })
    }

    async fn save(&self, tokens: &TokenSet) -> Result<()> {
        let mut connection = self.stores.connection().await?;
        redis::cmd("SET")
            .arg(&self.tokens_key)
            .arg(tokens.to_json())
            .query_async::<()>(&mut connection)
            .await
            .map_err(|e| failure("save", e))
    }

    async fn clear(&self) -> Result<()> {
        let mut connection = self.stores.connection().await?;
        redis::cmd("DEL")
            .arg(&self.tokens_key)
            .query_async::<()>(&mut connection)
            .await
            .map_err(|e| failure("clear", e))
    }

    fn supports_lock(&self) -> bool {
        true
    }

    async fn try_lock(&self, owner: &str, lease: Duration) -> Result<bool> {
        let mut connection = self.stores.connection().await?;
        let lease_ms = u64::try_from(lease.as_millis()).unwrap_or(u64::MAX).max(1);
        let taken: i64 = self
            .stores
            .inner
            .try_lock
            .key(&self.lock_key)
            .arg(owner)
            .arg(lease_ms)
            .invoke_async(&mut connection)
            .await
            .map_err(|e| failure("lock", e))?;
        Ok(taken == 1)
    }

    async fn unlock(&self, owner: &str) -> Result<()> {
        let mut connection = self.stores.connection().await?;
        self.stores
            .inner
            .unlock
            .key(&self.lock_key)
            .arg(owner)
            .invoke_async::<i64>(&mut connection)
            .await
            .map_err(|e| failure("unlock", e))?;
        Ok(())
    }
}
