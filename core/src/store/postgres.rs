//! Tokens in PostgreSQL, for backends with many users, workers and hosts (feature `postgres`).
//!
//! One [`PostgresTokenStores`] per app holds the connection pool; [`PostgresTokenStores::for_user`]
//! gives each user's [`TokenStore`]. The refresh lock is a row in `enduco_token_locks` with a
//! lease, taken and released by single atomic statements (docs/lifecycle.md).
//!
//! Token values at rest are as sensitive as passwords: restrict who can read the table, and
//! encrypt the database's storage and backups.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;

use crate::error::{Error, Result};
use crate::store::TokenStore;
use crate::token::TokenSet;

const MIGRATION: &str = "
    CREATE TABLE IF NOT EXISTS enduco_tokens (
        user_key   text PRIMARY KEY,
        tokens     text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE TABLE IF NOT EXISTS enduco_token_locks (
        user_key   text PRIMARY KEY,
        owner      text NOT NULL,
        expires_at timestamptz NOT NULL
    );";

/// The connection pool shared by every user's store. Cheap to clone.
#[derive(Clone)]
pub struct PostgresTokenStores {
    pool: Pool,
}

impl fmt::Debug for PostgresTokenStores {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL may carry a password: never printed.
        f.debug_struct("PostgresTokenStores")
            .field("pool", &self.pool.status())
            .finish_non_exhaustive()
    }
}

fn failure(action: &str, e: impl std::error::Error + Send + Sync + 'static) -> Error {
    let message = format!("PostgreSQL token store cannot {action}: {e}");
    Error::store(message, Some(Arc::new(e)))
}

impl PostgresTokenStores {
    /// A pool for `url` (`postgres://user:password@host:port/db` or libpq's `key=value` form).
    /// Connects on first use, so a database that is down fails calls, not construction.
    pub fn new(url: &str) -> Result<Self> {
        let config: tokio_postgres::Config = url.parse().map_err(|e| {
            Error::invalid_input(format!("not a PostgreSQL connection string ({e})"))
        })?;
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(16)
            .runtime(Runtime::Tokio1)
            .create_timeout(Some(Duration::from_secs(5)))
            .wait_timeout(Some(Duration::from_secs(10)))
            .build()
            .map_err(|e| Error::invalid_input(format!("cannot build the PostgreSQL pool: {e}")))?;
        Ok(PostgresTokenStores { pool })
    }

    async fn client(&self) -> Result<deadpool_postgres::Object> {
        self.pool.get().await.map_err(|e| failure("connect", e))
    }

    /// **💾 Persists:** creates the two tables if they do not exist. Idempotent, and safe when
    /// several processes run it at once (it takes an advisory lock first).
    pub async fn migrate(&self) -> Result<()> {
        let mut client = self.client().await?;
        let tx = client
            .transaction()
            .await
            .map_err(|e| failure("migrate", e))?;
        tx.execute(
            "SELECT pg_advisory_xact_lock(hashtext('enduco_tokens_migrate'))",
            &[],
        )
        .await
        .map_err(|e| failure("migrate", e))?;
        tx.batch_execute(MIGRATION)
            .await
            .map_err(|e| failure("migrate", e))?;
        tx.commit().await.map_err(|e| failure("migrate", e))
    }

    /// The store for one user, under a key the app chooses (its own user id, say).
    pub fn for_user(&self, key: impl Into<String>) -> PostgresTokenStore {
        PostgresTokenStore {
            stores: self.clone(),
            key: key.into(),
        }
    }
}

/// One user's tokens in PostgreSQL; made by [`PostgresTokenStores::for_user`].
#[derive(Clone)]
pub struct PostgresTokenStore {
    stores: PostgresTokenStores,
    key: String,
}

impl fmt::Debug for PostgresTokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresTokenStore")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl TokenStore for PostgresTokenStore {
    async fn load(&self) -> Result<Option<TokenSet>> {
        let client = self.stores.client().await?;
        let row = client
            .query_opt(
                "SELECT tokens FROM enduco_tokens WHERE user_key = $1",
                &[&self.key],
            )
            .await
            .map_err(|e| failure("load", e))?;
        let Some(row) = row else { return Ok(None) };
        let json: String = row.get(0);
        TokenSet::from_json(&json).map(Some).map_err(|e| {
            Error::store(
                format!("the stored tokens of {:?} are not usable: {e}", self.key),
                Some(Arc::new(e)),
            )
        })
    }

    async fn save(&self, tokens: &TokenSet) -> Result<()> {
        let client = self.stores.client().await?;
        client
            .execute(
                "INSERT INTO enduco_tokens (user_key, tokens, updated_at) VALUES ($1, $2, now())
                 ON CONFLICT (user_key) DO UPDATE SET tokens = excluded.tokens, updated_at = now()",
                &[&self.key, &tokens.to_json()],
            )
            .await
            .map_err(|e| failure("save", e))?;
        Ok(())
    }

    async fn clear(&self) -> Result<()> {
        let client = self.stores.client().await?;
        client
            .execute(
                "DELETE FROM enduco_tokens WHERE user_key = $1",
                &[&self.key],
            )
            .await
            .map_err(|e| failure("clear", e))?;
        Ok(())
    }

    fn supports_lock(&self) -> bool {
        true
    }

    /// One statement: insert the lock row, or take it over when its lease has expired or it
    /// is already ours (a renewal). A row comes back only if `owner` holds the lock now.
    async fn try_lock(&self, owner: &str, lease: Duration) -> Result<bool> {
        let client = self.stores.client().await?;
        let lease_ms = i64::try_from(lease.as_millis()).unwrap_or(i64::MAX);
        let row = client
            .query_opt(
                "INSERT INTO enduco_token_locks (user_key, owner, expires_at)
                 VALUES ($1, $2, clock_timestamp() + $3::bigint * interval '1 millisecond')
                 ON CONFLICT (user_key) DO UPDATE
                   SET owner = excluded.owner, expires_at = excluded.expires_at
                   WHERE enduco_token_locks.expires_at < clock_timestamp()
                      OR enduco_token_locks.owner = excluded.owner
                 RETURNING owner",
                &[&self.key, &owner, &lease_ms],
            )
            .await
            .map_err(|e| failure("lock", e))?;
        Ok(row.is_some())
    }

    async fn unlock(&self, owner: &str) -> Result<()> {
        let client = self.stores.client().await?;
        client
            .execute(
                "DELETE FROM enduco_token_locks WHERE user_key = $1 AND owner = $2",
                &[&self.key, &owner],
            )
            .await
            .map_err(|e| failure("unlock", e))?;
        Ok(())
    }
}
