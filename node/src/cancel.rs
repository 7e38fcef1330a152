//! Cancellation: an `AbortSignal` in JS, a [`CancelToken`] here. The JS wrapper makes one per
//! call that has a signal and cancels it on the signal's `abort`; the call's future then loses
//! a `select!` against [`CancelToken::cancelled`] and is dropped on the spot — its HTTP
//! request with it (the connection closes, an upload's body stops mid-stream), so enduco
//! stores nothing. What the core runs detached on purpose (a token refresh that must reach the
//! store: no lost tokens) finishes on its own.

use std::future::Future;

use napi_derive::napi;
use tokio_util::sync::CancellationToken;

use crate::guard::sync;

/// The rejection of a cancelled call. The JS wrapper never shows it: it rejects with an
/// `AbortError` whose `cause` is the signal's reason.
pub(crate) const ABORTED_MARKER: &str = "\u{1}enduco-aborted";

#[napi(js_name = "NativeCancelToken")]
pub struct CancelToken {
    inner: CancellationToken,
}

#[napi]
impl CancelToken {
    #[napi(constructor)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        CancelToken {
            inner: CancellationToken::new(),
        }
    }

    /// Cancels every call this token was given (idempotent).
    #[napi]
    pub fn cancel(&self) -> napi::Result<()> {
        sync(|| {
            self.inner.cancel();
            Ok(())
        })
    }

    #[napi(getter)]
    pub fn cancelled(&self) -> napi::Result<bool> {
        sync(|| Ok(self.inner.is_cancelled()))
    }
}

/// The token's handle for a future (cloned: the future outlives the JS call).
pub(crate) fn token_of(cancel: Option<&CancelToken>) -> Option<CancellationToken> {
    cancel.map(|c| c.inner.clone())
}

/// `work`, unless `token` is cancelled first: then `work` is dropped and the call rejects
/// with [`ABORTED_MARKER`].
pub(crate) async fn cancellable<T>(
    token: Option<CancellationToken>,
    work: impl Future<Output = napi::Result<T>>,
) -> napi::Result<T> {
    let Some(token) = token else {
        return work.await;
    };
    tokio::select! {
        biased;
        () = token.cancelled() => Err(napi::Error::new(napi::Status::Cancelled, ABORTED_MARKER)),
        outcome = work => outcome,
    }
}

/// `work` as a Promise that `cancel` can stop (its work is then dropped).
pub(crate) fn spawn_cancellable<'env, T, F>(
    env: &'env napi::Env,
    cancel: Option<&CancelToken>,
    work: F,
) -> napi::Result<napi::bindgen_prelude::PromiseRaw<'env, T>>
where
    T: 'static + Send + napi::bindgen_prelude::ToNapiValue,
    F: 'static + Send + Future<Output = napi::Result<T>>,
{
    crate::guard::spawn(env, cancellable(token_of(cancel), work))
}
