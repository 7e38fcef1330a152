//! Running the core's futures: blocking (sync classes) or as asyncio coroutines (async classes).
//!
//! Both use the one multi-threaded tokio runtime that pyo3-async-runtimes owns, so every core
//! call — and every task the core spawns — runs inside a tokio runtime context.
//!
//! No panic crosses into Python: both wrappers catch unwinding (in the future, and in their
//! own code on the calling thread) and turn it into the core's `Error::Internal`, raised as
//! `enduco.InternalError` — never `pyo3_runtime.PanicException`.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Mutex;
use std::time::Duration;

use futures::FutureExt;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::PyCFunction;
use pyo3_async_runtimes::TaskLocals;

use crate::errors::to_pyerr;

/// The shared tokio runtime.
pub(crate) fn runtime() -> &'static tokio::runtime::Runtime {
    pyo3_async_runtimes::tokio::get_runtime()
}

/// How often a blocking call looks up from its future to let Python handle signals (Ctrl-C).
const SIGNAL_POLL: Duration = Duration::from_millis(100);

/// Aborts a spawned task when dropped (a blocking call interrupted by Ctrl-C).
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs `fut` to completion for a synchronous method. The GIL is released while Rust works
/// (a Python token store called from a worker thread needs it), and Ctrl-C still interrupts
/// the wait: the future is dropped, which the core tolerates (refreshes run on their own
/// task and finish anyway).
///
/// The future runs on the runtime's worker threads, not on the calling thread: the calling
/// (main) thread runs no Python code while it waits except `check_signals`, so a Ctrl-C can
/// never be taken by some other Python code there — such as the `logging` call of a core
/// event — and lost.
pub(crate) fn wait<T, F>(py: Python<'_>, fut: F) -> PyResult<T>
where
    F: Future<Output = enduco::Result<T>> + Send + 'static,
    T: Send + 'static,
{
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(PyRuntimeError::new_err(
            "a synchronous enduco call cannot run inside the SDK's own worker threads \
             (for example from a token store method); use AsyncEnducoClient or call it elsewhere",
        ));
    }
    let outcome: PyResult<enduco::Result<T>> = py.detach(|| {
        std::panic::catch_unwind(AssertUnwindSafe(|| block_on_task(fut)))
            .unwrap_or_else(|payload| Ok(Err(enduco::Error::from_panic(payload.as_ref()))))
    });
    outcome?.map_err(|e| to_pyerr(py, e))
}

/// Spawns `fut` on the runtime and waits for it on this thread, looking up every
/// [`SIGNAL_POLL`] for a pending signal (Ctrl-C) to raise.
fn block_on_task<T, F>(fut: F) -> PyResult<enduco::Result<T>>
where
    F: Future<Output = enduco::Result<T>> + Send + 'static,
    T: Send + 'static,
{
    let mut task = AbortOnDrop(runtime().spawn(fut));
    runtime().block_on(async {
        loop {
            match tokio::time::timeout(SIGNAL_POLL, &mut task.0).await {
                Ok(Ok(result)) => return Ok(result),
                // A panic (or the runtime cancelling the task): `InternalError`.
                Ok(Err(e)) => return Ok(Err(task_failure(e))),
                Err(_) => {
                    // `check_signals` only does something on the main thread.
                    if let Some(Err(e)) = Python::try_attach(|py| py.check_signals()) {
                        return Err(e);
                    }
                }
            }
        }
    })
}

/// Why a spawned task ended without an outcome, as the core's `Error::Internal`.
fn task_failure(e: tokio::task::JoinError) -> enduco::Error {
    match e.try_into_panic() {
        Ok(payload) => enduco::Error::from_panic(payload.as_ref()),
        Err(e) => enduco::Error::Internal {
            message: format!("the SDK's task ended unexpectedly: {e}"),
        },
    }
}

/// A future whose panic comes out as `Error::Internal` instead of unwinding.
async fn unwind_safe<T>(fut: impl Future<Output = enduco::Result<T>>) -> enduco::Result<T> {
    AssertUnwindSafe(fut)
        .catch_unwind()
        .await
        .unwrap_or_else(|payload| Err(enduco::Error::from_panic(payload.as_ref())))
}

/// Runs a synchronous core call (no I/O, but possibly touching tokio) inside the runtime
/// context.
pub(crate) fn in_runtime<T>(f: impl FnOnce() -> T) -> T {
    let _guard = runtime().enter();
    f()
}

/// The running asyncio loop and context of the caller (a coroutine being awaited).
fn current_locals(py: Python<'_>) -> PyResult<TaskLocals> {
    pyo3_async_runtimes::tokio::get_current_locals(py).map_err(|_| {
        PyRuntimeError::new_err("enduco coroutines must be awaited on a running asyncio event loop")
    })
}

/// An async method's result: a real coroutine, lazy like any `async def` (nothing happens
/// until it is awaited, and `asyncio.create_task` accepts it). When awaited, `start` gets the
/// awaiting coroutine's loop and builds the core future, which then runs on the tokio runtime;
/// cancelling the awaiting task drops it.
pub(crate) fn coroutine<'py, T, F, S>(py: Python<'py>, start: S) -> PyResult<Bound<'py, PyAny>>
where
    S: FnOnce(&TaskLocals) -> F + Send + 'static,
    F: Future<Output = enduco::Result<T>> + Send + 'static,
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    let start = Mutex::new(Some(start));
    let starter = PyCFunction::new_closure(py, Some(c"start"), None, move |args, _kwargs| {
        let py = args.py();
        let start = start
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .ok_or_else(|| PyRuntimeError::new_err("this enduco coroutine was already awaited"))?;
        let locals = current_locals(py)?;
        let fut = std::panic::catch_unwind(AssertUnwindSafe(|| start(&locals)))
            .map_err(|payload| to_pyerr(py, enduco::Error::from_panic(payload.as_ref())))?;
        pyo3_async_runtimes::tokio::future_into_py_with_locals(py, locals, async move {
            unwind_safe(fut)
                .await
                .map_err(|e| Python::attach(|py| to_pyerr(py, e)))
        })
        .map(Bound::unbind)
    })?;
    py.import("enduco._store")?
        .getattr("run_coroutine")?
        .call1((starter,))
}

/// `enduco._enduco._panic_for_tests(where)`: panics on purpose inside the wrapper real calls
/// use — `"sync"`: in a future run by the blocking wrapper (raises `InternalError`);
/// `"async"`: returns a coroutine whose future panics (awaiting it raises `InternalError`).
/// A test hook, not API.
#[pyfunction]
pub(crate) fn _panic_for_tests<'py>(py: Python<'py>, r#where: &str) -> PyResult<Bound<'py, PyAny>> {
    async fn boom() -> enduco::Result<()> {
        panic!("a panic for the tests");
    }
    match r#where {
        "sync" => {
            wait(py, boom())?;
            Ok(py.None().into_bound(py))
        }
        "async" => coroutine(py, |_| boom()),
        other => Err(pyo3::exceptions::PyValueError::new_err(format!(
            "where must be \"sync\" or \"async\", not {other:?}"
        ))),
    }
}
