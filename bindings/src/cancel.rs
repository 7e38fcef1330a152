//! `CancelToken`: a way to stop a call from the outside, for Swift.
//!
//! Kotlin needs none of this: UniFFI's Kotlin frees a call's Rust future when its coroutine is
//! cancelled, which drops the core's work on the spot. UniFFI 0.32's Swift never does (its
//! `uniffiRustCallAsync` has no cancellation handler and frees the future only once it
//! completed), so a cancelled `Task` would leave an upload running to its end. Every async
//! method of `EnducoClient` and `Session` therefore takes an optional `cancel` token; the Swift
//! layer (`Enduco+Swift.swift`) makes one per call, cancels it from
//! `withTaskCancellationHandler`'s `onCancel` and throws `CancellationError`.
//!
//! A cancelled call's future loses the race in [`cancellable`] and is dropped at once — its
//! HTTP request with it (the connection closes, an upload's body stops mid-stream), so enduco
//! stores nothing. What the core runs detached on purpose (a token refresh, which must reach
//! the store so no rotated token is lost; a revoke that reached enduco, which must clear the
//! store) finishes on its own.

use std::future::Future;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::error::{EnducoError, Result};

/// Cancels the calls it was given. The Swift layer makes one per call and cancels it when the
/// calling `Task` is cancelled; Kotlin has no use for it (cancel the coroutine instead). A
/// call whose token is cancelled stops at once, sends nothing more and fails with
/// `network` (the Swift layer throws `CancellationError` instead).
#[derive(Debug, Default, uniffi::Object)]
pub struct CancelToken {
    // tokio-util's token needs no runtime: UniFFI's Swift executor polls these calls.
    inner: CancellationToken,
}

#[uniffi::export]
impl CancelToken {
    #[uniffi::constructor]
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Stops every call given this token (idempotent).
    pub fn cancel(&self) {
        self.inner.cancel();
    }

    pub fn is_cancelled(&self) -> bool {
        self.inner.is_cancelled()
    }
}

fn cancelled() -> EnducoError {
    EnducoError::Network {
        message: "the call was cancelled (CancelToken.cancel()) before it finished; \
                  nothing more was sent"
            .into(),
    }
}

/// Runs `work` until it finishes or `cancel` is cancelled, whichever comes first; a cancelled
/// token wins over work that would finish in the same poll, and the work is dropped at once.
pub(crate) async fn cancellable<T>(
    cancel: Option<Arc<CancelToken>>,
    work: impl Future<Output = Result<T>>,
) -> Result<T> {
    let Some(token) = cancel else {
        return work.await;
    };
    tokio::select! {
        biased;
        () = token.inner.cancelled() => Err(cancelled()),
        outcome = work => outcome,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::task::{Context, Poll, Wake, Waker};

    struct Flag(AtomicBool);
    impl Wake for Flag {
        fn wake(self: Arc<Self>) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    /// A future that never completes and counts its polls and its drop.
    struct Forever<'a>(&'a AtomicUsize, &'a AtomicBool);
    impl Future for Forever<'_> {
        type Output = Result<u32>;
        fn poll(self: std::pin::Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<u32>> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Poll::Pending
        }
    }
    impl Drop for Forever<'_> {
        fn drop(&mut self) {
            self.1.store(true, Ordering::SeqCst);
        }
    }

    #[test]
    fn a_cancelled_token_wakes_the_call_which_drops_its_work_and_fails() {
        let (polls, dropped) = (AtomicUsize::new(0), AtomicBool::new(false));
        let token = CancelToken::new();
        let woken = Arc::new(Flag(AtomicBool::new(false)));
        let waker = Waker::from(woken.clone());
        let mut cx = Context::from_waker(&waker);
        let mut call = Box::pin(cancellable(Some(token.clone()), Forever(&polls, &dropped)));

        assert!(call.as_mut().poll(&mut cx).is_pending());
        assert!(call.as_mut().poll(&mut cx).is_pending());
        assert_eq!(polls.load(Ordering::SeqCst), 2);
        assert!(!token.is_cancelled());

        token.cancel();
        assert!(token.is_cancelled());
        assert!(woken.0.load(Ordering::SeqCst), "cancel wakes the call");
        let Poll::Ready(Err(e)) = call.as_mut().poll(&mut cx) else {
            panic!("a cancelled call ends at once")
        };
        assert_eq!(e.error_code(), "network");
        assert!(e.to_string().contains("cancelled"), "{e}");
        assert_eq!(polls.load(Ordering::SeqCst), 2, "work is not polled again");
        assert!(
            dropped.load(Ordering::SeqCst),
            "work is dropped when the call ends"
        );
        token.cancel(); // idempotent
    }

    #[test]
    fn a_token_cancelled_before_the_call_stops_it_before_any_work() {
        let (polls, dropped) = (AtomicUsize::new(0), AtomicBool::new(false));
        let token = CancelToken::new();
        token.cancel();
        let mut call = Box::pin(cancellable(Some(token.clone()), Forever(&polls, &dropped)));
        let mut cx = Context::from_waker(Waker::noop());
        assert!(matches!(call.as_mut().poll(&mut cx), Poll::Ready(Err(_))));
        assert_eq!(polls.load(Ordering::SeqCst), 0);
        assert!(dropped.load(Ordering::SeqCst));
    }

    #[test]
    fn a_finished_or_dropped_call_leaves_the_token_usable() {
        let token = CancelToken::new();
        let mut cx = Context::from_waker(Waker::noop());
        let done = cancellable(Some(token.clone()), async { Ok(7) });
        assert!(matches!(
            Box::pin(done).as_mut().poll(&mut cx),
            Poll::Ready(Ok(7))
        ));

        let (polls, dropped) = (AtomicUsize::new(0), AtomicBool::new(false));
        let mut call = Box::pin(cancellable(Some(token.clone()), Forever(&polls, &dropped)));
        assert!(call.as_mut().poll(&mut cx).is_pending());
        drop(call);
        assert!(!token.is_cancelled());

        // Without a token the work runs as it is.
        let plain = cancellable(None, async { Ok(8) });
        assert!(matches!(
            Box::pin(plain).as_mut().poll(&mut cx),
            Poll::Ready(Ok(8))
        ));
    }
}
