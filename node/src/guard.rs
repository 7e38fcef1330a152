//! No panic crosses into JavaScript.
//!
//! A panic unwinding out of a napi callback aborts the whole Node process (the callbacks are
//! `extern "C"`), and a panic inside a spawned future settles its promise with napi's own
//! generic error at best. So every exported entry point runs its body through [`sync`], and
//! every Promise it returns is made by [`spawn`]: a panic comes out as the core's `internal`
//! error (`enduco::Error::from_panic`), which the JS wrapper turns into an `EnducoError` with
//! code `internal` like any other failure. This module is the only place that catches panics;
//! [`panic_for_tests`] proves both paths through the same two wrappers.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};

use futures::FutureExt;
use napi::Env;
use napi::bindgen_prelude::{PromiseRaw, ToNapiValue};
use napi_derive::napi;

use crate::error::to_napi;

/// Runs the body of a synchronous export (a function, method, getter or constructor); a panic
/// becomes the `internal` error, thrown as a JS exception.
pub(crate) fn sync<T>(body: impl FnOnce() -> napi::Result<T>) -> napi::Result<T> {
    // AssertUnwindSafe: after a panic nothing the body borrowed is used again by this call;
    // the panic is reported (the `internal` error says so), not hidden.
    catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|payload| Err(from_panic(payload)))
}

/// The Promise of an asynchronous export: `future` runs on the addon's Tokio runtime, and a
/// panic in any of its polls rejects the Promise with the `internal` error.
pub(crate) fn spawn<'env, T, F>(env: &'env Env, future: F) -> napi::Result<PromiseRaw<'env, T>>
where
    T: 'static + Send + ToNapiValue,
    F: 'static + Send + Future<Output = napi::Result<T>>,
{
    env.spawn_future(
        AssertUnwindSafe(future)
            .catch_unwind()
            .map(|outcome| outcome.unwrap_or_else(|payload| Err(from_panic(payload)))),
    )
}

fn from_panic(payload: Box<dyn std::any::Any + Send>) -> napi::Error {
    to_napi(enduco::Error::from_panic(payload.as_ref()))
}

/// FOR THE SDK'S OWN TESTS ONLY (exported as `_panicForTests`, not part of the API): panics on
/// purpose inside the wrappers every real call goes through. `isAsync = false` panics inside
/// [`sync`] (the call throws); `isAsync = true` panics inside [`spawn`]'s future after a
/// suspension point (the Promise rejects). Either way the caller gets an `EnducoError` with
/// code `internal`, and the process lives on.
#[napi(js_name = "_panicForTests")]
pub fn panic_for_tests<'env>(env: &'env Env, is_async: bool) -> napi::Result<PromiseRaw<'env, ()>> {
    sync(|| {
        if !is_async {
            panic!("_panicForTests: a panic in a synchronous call");
        }
        spawn(env, async {
            tokio::task::yield_now().await;
            panic!("_panicForTests: a panic in an asynchronous call")
        })
    })
}
