//! Token stores: the built-in ones of the core, and a store whose `load`/`save`/`clear` (and
//! optionally `tryLock`/`unlock`) are JavaScript functions.
//!
//! The JS functions are called through weak threadsafe functions (they never keep the process
//! alive) with the catching call variant, and their promises are awaited on the Rust side: a
//! store call never blocks the event loop or a thread, and a store that throws or rejects
//! becomes the core's `store` error instead of an uncaught exception. A JS promise that never
//! settles is only awaited, never blocked on: the core's store timeout drops the waiting
//! future (a late answer then goes nowhere) and the session's gate is free again.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use enduco::{Error, Result as CoreResult, TokenStore};
use napi::bindgen_prelude::{Promise, PromiseRaw};
use napi::threadsafe_function::ThreadsafeFunction;
use napi::{Env, Status};
use napi_derive::napi;

use crate::error::{JsStoreFailure, OrThrow, to_napi};
use crate::guard::{spawn, sync};
use crate::tokens::TokenSet;

/// What the wrapper's store adapter resolves with: never a rejection, so the Rust side reads
/// one shape whatever the user's store did.
#[napi(object)]
pub struct StoreReply {
    /// `load`: the canonical token JSON, or nothing when the store is empty.
    pub tokens: Option<String>,
    /// Set when the user's function threw or rejected: a description of what it threw.
    pub error: Option<String>,
    /// The wrapper's handle on the thrown value, re-attached as the error's `cause`.
    pub cause_id: Option<u32>,
    /// `tryLock`: whether the owner holds the lock now.
    pub locked: Option<bool>,
}

/// What the wrapper's `tryLock`/`unlock` adapters receive.
#[napi(object)]
pub struct LockRequest {
    /// A random id of one refresh attempt (one process, one session).
    pub owner: String,
    /// `tryLock`: the lease in milliseconds; 0 for `unlock`.
    pub lease_ms: f64,
}

type LoadFn = ThreadsafeFunction<(), Promise<StoreReply>, (), Status, false, true>;
type SaveFn = ThreadsafeFunction<TokenSet, Promise<StoreReply>, TokenSet, Status, false, true>;
type LockFn =
    ThreadsafeFunction<LockRequest, Promise<StoreReply>, LockRequest, Status, false, true>;

/// A [`TokenStore`] over JavaScript functions; the lock pair is there when the user's store
/// implements `tryLock` and `unlock`.
struct JsTokenStore {
    load: LoadFn,
    save: SaveFn,
    clear: LoadFn,
    lock: Option<(LockFn, LockFn)>,
}

/// How napi's `Promise` future fails when the promise's reactions were dropped without ever
/// running: V8 collected a pending promise that nothing could settle any more (nothing held its
/// resolve functions). The wrapper's adapter promise never rejects, so this is the only way
/// awaiting it fails short of a conversion bug.
const DROPPED_UNSETTLED: &str = "oneshot canceled";

/// Awaits one store call; any failure is the core's `store` error.
///
/// A store promise that can never settle is awaited like one that has not settled yet, whether
/// or not V8 has collected it meanwhile: the core's store timeout ends the call with its
/// "did not finish within" error (dropping this future), the same outcome whenever GC runs.
async fn settle(
    action: &str,
    call: impl std::future::Future<Output = napi::Result<Promise<StoreReply>>>,
) -> CoreResult<StoreReply> {
    let bridge = |e: napi::Error| {
        JsStoreFailure {
            message: e.reason.clone(),
            cause_id: None,
        }
        .into_error(format!("{action}() failed: {}", e.reason))
    };
    let promise = call.await.map_err(bridge)?;
    let reply = match promise.await {
        Ok(reply) => reply,
        Err(e) if e.reason == DROPPED_UNSETTLED => std::future::pending().await,
        Err(e) => return Err(bridge(e)),
    };
    match reply.error {
        Some(message) => Err(JsStoreFailure {
            message: message.clone(),
            cause_id: reply.cause_id,
        }
        .into_error(format!("{action}() {message}"))),
        None => Ok(reply),
    }
}

#[async_trait]
impl TokenStore for JsTokenStore {
    async fn load(&self) -> CoreResult<Option<enduco::TokenSet>> {
        let reply = settle("load", self.load.call_async_catch(())).await?;
        match reply.tokens {
            None => Ok(None),
            Some(json) => enduco::TokenSet::from_json(&json).map(Some).map_err(|e| {
                Error::store(
                    format!("load() returned something that is not a token set: {e}"),
                    None,
                )
            }),
        }
    }

    async fn save(&self, tokens: &enduco::TokenSet) -> CoreResult<()> {
        let call = self.save.call_async_catch(TokenSet::new(tokens.clone()));
        settle("save", call).await.map(drop)
    }

    async fn clear(&self) -> CoreResult<()> {
        settle("clear", self.clear.call_async_catch(()))
            .await
            .map(drop)
    }

    fn supports_lock(&self) -> bool {
        self.lock.is_some()
    }

    async fn try_lock(&self, owner: &str, lease: Duration) -> CoreResult<bool> {
        let Some((try_lock, _)) = &self.lock else {
            return Ok(true);
        };
        let request = LockRequest {
            owner: owner.to_owned(),
            lease_ms: lease.as_secs_f64() * 1000.0,
        };
        let reply = settle("tryLock", try_lock.call_async_catch(request)).await?;
        reply.locked.ok_or_else(|| {
            Error::store(
                "tryLock() answered without saying whether it took the lock",
                None,
            )
        })
    }

    async fn unlock(&self, owner: &str) -> CoreResult<()> {
        let Some((_, unlock)) = &self.lock else {
            return Ok(());
        };
        let request = LockRequest {
            owner: owner.to_owned(),
            lease_ms: 0.0,
        };
        settle("unlock", unlock.call_async_catch(request))
            .await
            .map(drop)
    }
}

/// A token store as the core sees it; what `EnducoClient.session` takes.
#[napi]
pub struct StoreHandle {
    pub(crate) inner: Arc<dyn TokenStore>,
}

/// Wraps JS functions (`() => Promise<StoreReply>`, `(tokens) => Promise<StoreReply>`,
/// `() => Promise<StoreReply>`, and optionally `(LockRequest) => Promise<StoreReply>` twice for
/// `tryLock` and `unlock`) into a store. The package's wrapper builds them around the user's
/// store object; the store offers the refresh lock only when both lock functions are given.
#[napi]
pub fn create_callback_store(
    load: LoadFn,
    save: SaveFn,
    clear: LoadFn,
    try_lock: Option<LockFn>,
    unlock: Option<LockFn>,
) -> napi::Result<StoreHandle> {
    sync(|| {
        let lock = match (try_lock, unlock) {
            (Some(try_lock), Some(unlock)) => Some((try_lock, unlock)),
            _ => None,
        };
        Ok(StoreHandle {
            inner: Arc::new(JsTokenStore {
                load,
                save,
                clear,
                lock,
            }),
        })
    })
}

/// Writes the `#[napi] impl` block of a native store class (a struct with an `inner` store):
/// the class's own methods, given in braces, then what every such class has, `handle` (what
/// sessions take) and `load`/`save`/`clear` (what the JS wrapper's store object calls). napi
/// takes one `#[napi] impl` block per class, so the shared methods cannot live in a block of
/// their own. A caller needs `napi_derive::napi` in scope.
///
/// A doc comment (`///`) inside a macro's input reaches napi as a raw string (`r" …"`), which
/// napi copies into native.d.ts quote and all: the methods in the braces spell their
/// documentation `#[doc = "…"]`.
macro_rules! native_store_class {
    ($class:ident { $($own:tt)* }) => {
        #[napi]
        impl $class {
            $($own)*

            #[napi]
            pub fn handle(&self) -> napi::Result<$crate::store::StoreHandle> {
                $crate::store::handle(self.inner.clone())
            }

            #[napi]
            pub fn load<'env>(
                &self,
                env: &'env napi::Env,
            ) -> napi::Result<
                napi::bindgen_prelude::PromiseRaw<'env, Option<$crate::tokens::TokenSet>>,
            > {
                $crate::store::load(env, self.inner.clone())
            }

            #[napi]
            pub fn save<'env>(
                &self,
                env: &'env napi::Env,
                tokens: &$crate::tokens::TokenSet,
            ) -> napi::Result<napi::bindgen_prelude::PromiseRaw<'env, ()>> {
                $crate::store::save(env, self.inner.clone(), tokens.inner.clone())
            }

            #[napi]
            pub fn clear<'env>(
                &self,
                env: &'env napi::Env,
            ) -> napi::Result<napi::bindgen_prelude::PromiseRaw<'env, ()>> {
                $crate::store::clear(env, self.inner.clone())
            }
        }
    };
}
pub(crate) use native_store_class;

/// Tokens in memory only: for tests, and for backends that persist elsewhere.
#[napi(js_name = "NativeMemoryTokenStore")]
pub struct MemoryTokenStore {
    inner: Arc<enduco::MemoryTokenStore>,
}

native_store_class!(MemoryTokenStore {
    #[napi(constructor)]
    pub fn new(tokens: Option<&TokenSet>) -> napi::Result<Self> {
        sync(|| {
            let inner = match tokens {
                Some(t) => enduco::MemoryTokenStore::with_tokens(t.inner.clone()),
                None => enduco::MemoryTokenStore::new(),
            };
            Ok(MemoryTokenStore {
                inner: Arc::new(inner),
            })
        })
    }
});

/// Tokens in a JSON file (atomic replace, mode 0600).
#[napi(js_name = "NativeFileTokenStore")]
pub struct FileTokenStore {
    inner: Arc<enduco::FileTokenStore>,
}

native_store_class!(FileTokenStore {
    #[napi(constructor)]
    pub fn new(path: String) -> napi::Result<Self> {
        sync(|| {
            Ok(FileTokenStore {
                inner: Arc::new(enduco::FileTokenStore::new(path)),
            })
        })
    }

    #[napi(getter)]
    pub fn path(&self) -> napi::Result<String> {
        sync(|| Ok(self.inner.path().to_string_lossy().into_owned()))
    }
});

/// The handle sessions take for one of the core's own stores.
pub(crate) fn handle(store: Arc<dyn TokenStore>) -> napi::Result<StoreHandle> {
    sync(|| Ok(StoreHandle { inner: store }))
}

pub(crate) fn load<'env>(
    env: &'env Env,
    store: Arc<dyn TokenStore>,
) -> napi::Result<PromiseRaw<'env, Option<TokenSet>>> {
    sync(|| {
        spawn(env, async move {
            Ok(store.load().await.or_throw()?.map(TokenSet::new))
        })
    })
}

pub(crate) fn save<'env>(
    env: &'env Env,
    store: Arc<dyn TokenStore>,
    tokens: enduco::TokenSet,
) -> napi::Result<PromiseRaw<'env, ()>> {
    sync(|| {
        spawn(
            env,
            async move { store.save(&tokens).await.map_err(to_napi) },
        )
    })
}

pub(crate) fn clear<'env>(
    env: &'env Env,
    store: Arc<dyn TokenStore>,
) -> napi::Result<PromiseRaw<'env, ()>> {
    sync(|| spawn(env, async move { store.clear().await.map_err(to_napi) }))
}
