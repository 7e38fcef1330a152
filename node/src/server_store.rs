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
use crate::store::native_store_class;

/// One user's store in PostgreSQL or Redis, made by `forUser`.
#[napi(js_name = "NativeServerTokenStore")]
pub struct ServerTokenStore {
    inner: Arc<dyn TokenStore>,
    key: String,
}

// `#[doc = "…"]`, not `///`, inside the macros' input: see `native_store_class!`.
native_store_class!(ServerTokenStore {
    #[doc = "The user key the app chose."]
    #[napi(getter)]
    pub fn key(&self) -> napi::Result<String> {
        sync(|| Ok(self.key.clone()))
    }
});

/// Writes the `#[napi] impl` block of a server store set (a struct whose `inner` is the core's
/// `PostgresTokenStores` or `RedisTokenStores`): the set's own members, given in braces, then
/// `migrate` (documented by the `#[doc]` before `fn migrate;`: what it does for that server)
/// and `forUser`. napi takes one `#[napi] impl` block per class.
macro_rules! server_stores_class {
    ($class:ident { $($own:tt)* } $(#[doc = $migrate_doc:literal])* fn migrate;) => {
        #[napi]
        impl $class {
            $($own)*

            $(#[doc = $migrate_doc])*
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
    };
}

/// `new PostgresTokenStores(url)`: the app's connection pool (connects on first use).
#[napi(js_name = "NativePostgresTokenStores")]
pub struct PostgresTokenStores {
    inner: enduco::PostgresTokenStores,
}

server_stores_class! {
    PostgresTokenStores {
        #[napi(constructor)]
        pub fn new(url: String) -> napi::Result<Self> {
            sync(|| {
                Ok(PostgresTokenStores {
                    inner: enduco::PostgresTokenStores::new(&url).or_throw()?,
                })
            })
        }
    }
    #[doc = "Creates the tables if they do not exist (idempotent)."]
    fn migrate;
}

/// `new RedisTokenStores(url, prefix?)`: the app's connection (connects on first use).
#[napi(js_name = "NativeRedisTokenStores")]
pub struct RedisTokenStores {
    inner: enduco::RedisTokenStores,
    prefix: String,
}

server_stores_class! {
    RedisTokenStores {
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
    }
    #[doc = "Nothing to create in Redis; resolves at once."]
    fn migrate;
}
