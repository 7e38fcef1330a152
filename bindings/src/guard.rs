//! No panic crosses into Kotlin or Swift.
//!
//! UniFFI itself catches a panic at the FFI boundary, but reports it as its own generic error
//! (Kotlin `InternalException`, Swift `UniffiInternalError`), which the app's
//! `catch (e: EnducoException)` / `catch let error as EnducoError` does not see. So every
//! exported entry point that can fail runs its body through [`sync`] or [`run`], and a panic
//! comes out as the SDK's own `internal` error (`EnducoError::Internal`, from the core's
//! [`enduco::Error::from_panic`]). This module is the only place that catches panics;
//! [`panic_for_tests`] proves it through the same two wrappers.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::pin;
use std::task::Poll;

use crate::error::{EnducoError, Result};

/// Runs a synchronous entry point; a panic becomes `EnducoError::Internal`.
pub(crate) fn sync<T>(body: impl FnOnce() -> Result<T>) -> Result<T> {
    // AssertUnwindSafe: what the body borrowed is not used again by this call after a panic;
    // the panic is reported (the `internal` error says so) rather than hidden.
    catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|payload| Err(from_panic(payload)))
}

/// Runs an asynchronous entry point; a panic in any poll of `body` becomes
/// `EnducoError::Internal` (what `futures::FutureExt::catch_unwind` does, without the
/// dependency).
pub(crate) async fn run<T>(body: impl Future<Output = Result<T>>) -> Result<T> {
    let mut body = pin!(body);
    std::future::poll_fn(
        |cx| match catch_unwind(AssertUnwindSafe(|| body.as_mut().poll(cx))) {
            Ok(poll) => poll,
            Err(payload) => Poll::Ready(Err(from_panic(payload))),
        },
    )
    .await
}

fn from_panic(payload: Box<dyn std::any::Any + Send>) -> EnducoError {
    let error = enduco::Error::from_panic(payload.as_ref());
    tracing::error!("caught a panic at the FFI boundary: {error}");
    error.into()
}

/// FOR THE SDK'S OWN TESTS ONLY — never call it from an app. Panics on purpose inside the
/// wrappers every real call goes through: with `async = false` inside the synchronous one,
/// with `async = true` inside the asynchronous one, after a suspension point. Either way the
/// caller gets the `internal` error (`EnducoException.Internal` / `EnducoError.Internal`),
/// never UniFFI's generic error or an abort.
#[uniffi::export]
pub async fn panic_for_tests(r#async: bool) -> Result<()> {
    if r#async {
        run(async {
            yield_once().await;
            panic!("panic_for_tests: a panic in an async call")
        })
        .await
    } else {
        sync(|| panic!("panic_for_tests: a panic in a sync call"))
    }
}

/// Suspends once (Pending, then Ready), like `tokio::task::yield_now` on any executor.
async fn yield_once() {
    let mut yielded = false;
    std::future::poll_fn(|cx| {
        if yielded {
            Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_in_a_sync_body_is_the_internal_error() {
        let e = sync::<()>(|| panic!("boom {}", 42)).unwrap_err();
        assert_eq!(e.error_code(), "internal");
        assert!(e.to_string().contains("boom 42"), "{e}");
        assert_eq!(sync(|| Ok(7)).unwrap(), 7);
    }

    /// Polls `future` to the end on this thread (the bodies here never wait for anything).
    fn block_on<T>(future: impl Future<Output = T>) -> T {
        let mut future = pin!(future);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        loop {
            if let Poll::Ready(value) = future.as_mut().poll(&mut cx) {
                return value;
            }
        }
    }

    /// The `{`…`}` block that starts at `open` (a `{`), and where it ends.
    fn block(text: &str, open: usize) -> (&str, usize) {
        let mut depth = 0;
        for (i, c) in text[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        return (&text[open..=open + i], open + i + 1);
                    }
                }
                _ => {}
            }
        }
        panic!("unbalanced braces")
    }

    /// Every exported function and method that can fail (returns `Result`) runs through this
    /// module's wrappers, so a new entry point cannot forget it.
    #[test]
    fn every_exported_entry_point_that_can_fail_is_guarded() {
        let sources = [
            ("cancel.rs", include_str!("cancel.rs")),
            ("client.rs", include_str!("client.rs")),
            ("models.rs", include_str!("models.rs")),
            ("store.rs", include_str!("store.rs")),
            ("tokens.rs", include_str!("tokens.rs")),
            ("error.rs", include_str!("error.rs")),
            ("guard.rs", include_str!("guard.rs")),
        ];
        let mut checked = 0;
        let mut unguarded = Vec::new();
        for (file, text) in sources {
            let text = text.split("#[cfg(test)]").next().unwrap();
            let mut from = 0;
            while let Some(at) = text[from..].find("#[uniffi::export") {
                let start = from + at;
                let Some(open) = text[start..].find('{').map(|i| start + i) else {
                    break;
                };
                let header = &text[start..open];
                let (body, end) = block(text, open);
                from = end;
                // One exported function, or the functions of an exported impl block.
                let items: Vec<(&str, &str)> = if header.contains("fn ") {
                    vec![(header, body)]
                } else {
                    let mut items = Vec::new();
                    let mut pos = 0;
                    while let Some(i) = body[pos..].find("fn ") {
                        let sig_start = pos + i;
                        let sig_end = sig_start + body[sig_start..].find(['{', ';']).unwrap();
                        if body[sig_end..].starts_with('{') {
                            let (fn_body, fn_end) = block(body, sig_end);
                            items.push((&body[sig_start..sig_end], fn_body));
                            pos = fn_end;
                        } else {
                            pos = sig_end + 1; // a trait's declaration, no body
                        }
                    }
                    items
                };
                for (signature, fn_body) in items {
                    if signature.contains("-> Result<") {
                        checked += 1;
                        // This module calls its own wrappers by their short names.
                        let guarded = fn_body.contains("guard::")
                            || (file == "guard.rs" && fn_body.contains("sync(|| panic!"));
                        if !guarded {
                            unguarded.push(format!("{file}: {}", signature.trim()));
                        }
                    }
                }
            }
        }
        // A macro's exports (store.rs's `builtin_store!`) are read once, from its body.
        assert!(checked >= 25, "found only {checked} exported entry points");
        assert!(
            unguarded.is_empty(),
            "not run through guard: {unguarded:#?}"
        );
    }

    #[test]
    fn a_panic_in_an_async_body_is_the_internal_error() {
        for r#async in [false, true] {
            let e = block_on(panic_for_tests(r#async)).unwrap_err();
            assert_eq!(e.error_code(), "internal", "{e}");
            assert!(e.to_string().contains("panic_for_tests"), "{e}");
        }
        let ok = run(async {
            yield_once().await;
            Ok("done")
        });
        assert_eq!(block_on(ok).unwrap(), "done");
    }
}
