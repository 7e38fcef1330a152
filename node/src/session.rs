//! `Session`: one user's calls. Every method returns a Promise; the work runs on the addon's
//! Tokio runtime, so the event loop stays free.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use enduco::{UploadOptions, UploadProgress, WorkoutSource};
use napi::bindgen_prelude::{Buffer, Either, FnArgs, PromiseRaw, ToNapiValue};
use napi::threadsafe_function::{
    ThreadsafeFunction, ThreadsafeFunctionCallMode, UnknownReturnValue,
};
use napi::{Env, Status};
use napi_derive::napi;
use serde_json::Value;
use tokio_util::task::TaskTracker;

use crate::cancel::{CancelToken, cancellable, spawn_cancellable, token_of};
use crate::error::{JsonText, OrThrow, invalid_input, to_json_text, whole_number};
use crate::guard::{spawn, sync};
use crate::tokens::TokenSet;

#[napi(js_name = "NativeSession")]
pub struct Session {
    inner: enduco::Session,
}

impl Session {
    pub(crate) fn new(inner: enduco::Session) -> Self {
        Session { inner }
    }

    /// One call as a Promise: `call` gets its own handle on the session and runs on the
    /// addon's runtime until it finishes or `cancel` fires (its work is then dropped).
    fn call<'env, T, F>(
        &self,
        env: &'env Env,
        cancel: Option<&CancelToken>,
        call: impl FnOnce(enduco::Session) -> F,
    ) -> napi::Result<PromiseRaw<'env, T>>
    where
        T: 'static + Send + ToNapiValue,
        F: 'static + Send + Future<Output = napi::Result<T>>,
    {
        sync(|| spawn_cancellable(env, cancel, call(self.inner.clone())))
    }
}

type ProgressFn = ThreadsafeFunction<
    FnArgs<(f64, f64)>,
    UnknownReturnValue,
    FnArgs<(f64, f64)>,
    Status,
    false,
    true,
>;

/// Forwards the core's progress reports to a JS callback, in order. A callback that throws is
/// ignored (the catching call variant), never fatal.
///
/// The first report, `(0, total)`, which the core makes after the file passed its checks and
/// before the body is opened for sending, waits until the callback has run on the JS thread:
/// the app sees "starting" before any byte goes out. Later reports do not block the upload.
struct JsProgress {
    callback: ProgressFn,
    /// Tracks the calls still queued for the JS thread: one token each, dropped with the call.
    outstanding: TaskTracker,
    started: AtomicBool,
}

impl UploadProgress for JsProgress {
    fn on_progress(&self, sent: u64, total: u64) {
        let first = !self.started.swap(true, Ordering::AcqRel);
        let queued = self.outstanding.token();
        // Both dropped unsent when the callback has run, or when napi drops the call (refused,
        // or the environment is going away): either way the waits below end.
        let (ran, wait) = std::sync::mpsc::sync_channel::<()>(1);
        let status = self.callback.call_with_return_value(
            FnArgs::from((sent as f64, total as f64)),
            ThreadsafeFunctionCallMode::NonBlocking,
            move |_result, _env| {
                drop((queued, ran));
                Ok(())
            },
        );
        if status != Status::Ok {
            return;
        }
        if first {
            let wait = move || {
                let _ = wait.recv();
            };
            // This runs inside the upload's future on the runtime's worker: let the runtime
            // move its other tasks elsewhere while this one waits for the JS thread.
            match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
                Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(wait),
                _ => wait(),
            }
        }
    }
}

/// The answer of `Session.request`.
#[napi(js_name = "NativeRawResponse")]
pub struct RawResponse {
    inner: enduco::RawResponse,
}

#[napi]
impl RawResponse {
    #[napi(getter)]
    pub fn status(&self) -> napi::Result<u32> {
        sync(|| Ok(u32::from(self.inner.status)))
    }

    #[napi(getter)]
    pub fn content_type(&self) -> napi::Result<Option<String>> {
        sync(|| Ok(self.inner.content_type.clone()))
    }

    #[napi(getter)]
    pub fn body(&self) -> napi::Result<Buffer> {
        sync(|| Ok(self.inner.body.clone().into()))
    }

    #[napi]
    pub fn text(&self) -> napi::Result<String> {
        sync(|| Ok(String::from_utf8_lossy(&self.inner.body).into_owned()))
    }

    /// The body as JSON; malformed JSON is `invalid_response`.
    #[napi]
    pub fn json(&self) -> napi::Result<Value> {
        sync(|| self.inner.json::<Value>().or_throw())
    }
}

#[napi]
impl Session {
    #[napi]
    pub fn user_id<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, String>> {
        self.call(env, None, |s| async move { s.user_id().await.or_throw() })
    }

    #[napi]
    pub fn granted_scopes<'env>(
        &self,
        env: &'env Env,
    ) -> napi::Result<PromiseRaw<'env, Vec<String>>> {
        self.call(
            env,
            None,
            |s| async move { s.granted_scopes().await.or_throw() },
        )
    }

    #[napi]
    pub fn tokens<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, TokenSet>> {
        self.call(env, None, |s| async move {
            s.tokens().await.map(TokenSet::new).or_throw()
        })
    }

    #[napi(ts_return_type = "Promise<any>")]
    pub fn intensity_zones<'env>(
        &self,
        env: &'env Env,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, JsonText>> {
        self.call(env, cancel, |s| async move {
            to_json_text(&s.intensity_zones().await.or_throw()?)
        })
    }

    #[napi(ts_return_type = "Promise<any>")]
    pub fn upcoming_plans<'env>(
        &self,
        env: &'env Env,
        days: f64,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, JsonText>> {
        let days = sync(|| whole_number("days", days))?;
        self.call(env, cancel, move |s| async move {
            to_json_text(&s.upcoming_plans(days).await.or_throw()?)
        })
    }

    /// `from` and `to` are the athlete's local calendar dates, `YYYY-MM-DD`.
    #[napi(ts_return_type = "Promise<any>")]
    pub fn training_plans<'env>(
        &self,
        env: &'env Env,
        from: String,
        to: String,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, JsonText>> {
        let (from, to) = sync(|| {
            Ok((
                enduco::parse_date(&from).or_throw()?,
                enduco::parse_date(&to).or_throw()?,
            ))
        })?;
        self.call(env, cancel, move |s| async move {
            to_json_text(&s.training_plans(from, to).await.or_throw()?)
        })
    }

    /// `source`: a path (`string`) or the file's bytes (`Buffer`).
    // The callback type is spelled out in full: napi-rs derives the TypeScript signature from
    // it (an alias would come out as `undefined`).
    #[allow(clippy::type_complexity)]
    #[napi(ts_return_type = "Promise<any>")]
    pub fn upload_workout<'env>(
        &self,
        env: &'env Env,
        source: Either<String, Buffer>,
        file_name: Option<String>,
        on_progress: Option<
            ThreadsafeFunction<
                FnArgs<(f64, f64)>,
                UnknownReturnValue,
                FnArgs<(f64, f64)>,
                Status,
                false,
                true,
            >,
        >,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, JsonText>> {
        let token = token_of(cancel);
        sync(|| {
            let source = match source {
                Either::A(path) if path.is_empty() => {
                    return Err(invalid_input("the workout path is empty"));
                }
                Either::A(path) => WorkoutSource::Path(path.into()),
                Either::B(bytes) => WorkoutSource::Bytes(bytes.to_vec().into()),
            };
            self.upload(env, source, file_name, on_progress, token)
        })
    }

    /// `query` is a list of `[name, value]` pairs; `body` is sent as JSON when given.
    #[napi]
    pub fn request<'env>(
        &self,
        env: &'env Env,
        method: String,
        path: String,
        query: Option<Vec<Vec<String>>>,
        body: Option<Value>,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, RawResponse>> {
        let query = sync(|| {
            query
                .unwrap_or_default()
                .into_iter()
                .map(|pair| match <[String; 2]>::try_from(pair) {
                    Ok([name, value]) => Ok((name, value)),
                    Err(_) => Err(invalid_input(
                        "each query entry must be a [name, value] pair",
                    )),
                })
                .collect::<napi::Result<Vec<_>>>()
        })?;
        self.call(env, cancel, move |s| async move {
            let response = s
                .request(&method, &path, &query, body.as_ref())
                .await
                .or_throw()?;
            Ok(RawResponse { inner: response })
        })
    }

    #[napi]
    pub fn refresh<'env>(
        &self,
        env: &'env Env,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, TokenSet>> {
        self.call(env, cancel, |s| async move {
            s.refresh().await.map(TokenSet::new).or_throw()
        })
    }

    #[napi]
    pub fn revoke<'env>(
        &self,
        env: &'env Env,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        self.call(env, cancel, |s| async move { s.revoke().await.or_throw() })
    }
}

impl Session {
    fn upload<'env>(
        &self,
        env: &'env Env,
        source: WorkoutSource,
        file_name: Option<String>,
        on_progress: Option<ProgressFn>,
        token: Option<tokio_util::sync::CancellationToken>,
    ) -> napi::Result<PromiseRaw<'env, JsonText>> {
        let outstanding = TaskTracker::new();
        let progress = on_progress.map(|callback| {
            Arc::new(JsProgress {
                callback,
                outstanding: outstanding.clone(),
                started: AtomicBool::new(false),
            }) as Arc<dyn UploadProgress>
        });
        let options = UploadOptions {
            file_name,
            progress,
        };
        let session = self.inner.clone();
        spawn(env, async move {
            // Cancelled: the upload's future (its request, its body stream) is dropped here.
            let result = cancellable(token, async {
                session.upload_workout(source, options).await.or_throw()
            })
            .await;
            // Every progress call reaches JS before the promise settles.
            outstanding.close();
            outstanding.wait().await;
            to_json_text(&result?)
        })
    }
}
