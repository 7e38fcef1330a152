//! The core's PostgreSQL and Redis token stores (features `postgres` and `redis`): one pool (or
//! connection) per app, shared by every user's store. Each user's store is the core's own
//! `TokenStore`, handed to sessions as is: no call goes through JavaScript, and the refresh
//! lock is the core's (a lease row in PostgreSQL, `SET NX PX` in Redis).
//!
//! The connection URL may carry a password: it is parsed here and never kept as text, so
//! nothing on the JS side can show it.

use std::sync::Arc;

use enduco::TokenStore;
use napi::Env;
use napi::bindgen_prelude::PromiseRaw;
use napi_derive::napi;

use crate::error::{OrThrow, to_napi};
use crate::guard::{spawn, sync};
use crate::store::{StoreHandle, clear, handle, load, save};
use crate::tokens::TokenSet;

/// One user's store in PostgreSQL or Redis, made by `forUser`.
#[napi(js_name = "NativeServerTokenStore")]
pub struct ServerTokenStore {
    inner: Arc<dyn TokenStore>,
    key: String,
}

#[napi]
impl ServerTokenStore {
    /// The user key the app chose.
    #[napi(getter)]
    pub fn key(&self) -> napi::Result<String> {
        sync(|| Ok(self.key.clone()))
    }

    #[napi]
    pub fn handle(&self) -> napi::Result<StoreHandle> {
        handle(self.inner.clone())
    }

    #[napi]
    pub fn load<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, Option<TokenSet>>> {
        load(env, self.inner.clone())
    }

    #[napi]
    pub fn save<'env>(
        &self,
        env: &'env Env,
        tokens: &TokenSet,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        save(env, self.inner.clone(), tokens.inner.clone())
    }

    #[napi]
    pub fn clear<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, ()>> {
        clear(env, self.inner.clone())
    }
}

/// `new PostgresTokenStores(url)`: the app's connection pool (connects on first use).
#[napi(js_name = "NativePostgresTokenStores")]
pub struct PostgresTokenStores {
    inner: enduco::PostgresTokenStores,
}

#[napi]
impl PostgresTokenStores {
    #[napi(constructor)]
    pub fn new(url: String) -> napi::Result<Self> {
        sync(|| {
            Ok(PostgresTokenStores {
                inner: enduco::PostgresTokenStores::new(&url).or_throw()?,
            })
        })
    }

    /// Creates the tables if they do not exist (idempotent).
    #[napi]
    pub fn migrate<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, ()>> {
        let stores = self.inner.clone();
        sync(|| spawn(env, async move { stores.migrate().await.map_err(to_napi) }))
    }

    #[napi]
    pub fn for_user(&self, key: String) -> napi::Result<ServerTokenStore> {
        sync(|| {
            Ok(ServerTokenStore {
                inner: Arc::new(self.inner.for_user(key.clone())),
                key,
            })
        })
    }
}

/// `new RedisTokenStores(url, prefix?)`: the app's connection (connects on first use).
#[napi(js_name = "NativeRedisTokenStores")]
pub struct RedisTokenStores {
    inner: enduco::RedisTokenStores,
    prefix: String,
}

#[napi]
impl RedisTokenStores {
    #[napi(constructor)]
    pub fn new(url: String, prefix: Option<String>) -> napi::Result<Self> {
        sync(|| {
            let prefix = prefix.unwrap_or_else(|| "enduco:".to_owned());
            Ok(RedisTokenStores {
                inner: enduco::RedisTokenStores::with_prefix(&url, &prefix).or_throw()?,
                prefix,
            })
        })
    }

    #[napi(getter)]
    pub fn prefix(&self) -> napi::Result<String> {
        sync(|| Ok(self.prefix.clone()))
    }

    /// Nothing to create in Redis; resolves at once.
    #[napi]
    pub fn migrate<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, ()>> {
        let stores = self.inner.clone();
        sync(|| spawn(env, async move { stores.migrate().await.map_err(to_napi) }))
    }

    #[napi]
    pub fn for_user(&self, key: String) -> napi::Result<ServerTokenStore> {
        sync(|| {
            Ok(ServerTokenStore {
                inner: Arc::new(self.inner.for_user(key.clone())),
                key,
            })
        })
    }
}
