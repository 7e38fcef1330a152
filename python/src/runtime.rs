//! Running the core's futures: blocking (sync classes) or as asyncio coroutines (async classes).
//!
//! Both use the one multi-threaded tokio runtime that pyo3-async-runtimes owns, so every core
//! call — and every task the core spawns — runs inside a tokio runtime context.
//!
//! No panic crosses into Python: both wrappers catch unwinding (in the future, and in their
//! own code on the calling thread) and turn it into the core's `Error::Internal`, raised as
//! `enduco.InternalError` — never `pyo3_runtime.PanicException`.

use std::future::Future;
use std::marker::PhantomData;
use std::panic::AssertUnwindSafe;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use futures::FutureExt;

use pyo3::IntoPyObjectExt;
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
///
/// The outcome goes back to the loop through [`deliver`] (counted, see [`with_python`]), so
/// an app whose last coroutine just finished can exit at once: the interpreter waits at exit
/// until no SDK thread is inside Python any more.
pub(crate) fn coroutine<'py, T, F, S>(
    py: Python<'py>,
    name: &str,
    start: S,
) -> PyResult<Bound<'py, PyAny>>
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
        let event_loop = locals.event_loop(py);
        let py_future = event_loop.call_method0("create_future")?;
        let task = runtime().spawn(unwind_safe(fut));
        // The awaiting task cancelled: drop the core future (at its next poll).
        let abort = task.abort_handle();
        let on_done = PyCFunction::new_closure(py, None, None, move |args, _kwargs| {
            let done = args.get_item(0)?;
            if done.call_method0("cancelled")?.is_truthy()? {
                abort.abort();
            }
            PyResult::Ok(())
        })?;
        py_future.call_method1("add_done_callback", (on_done,))?;
        let target = py_future.clone().unbind();
        let event_loop = event_loop.unbind();
        runtime().spawn(async move {
            let outcome = match task.await {
                Ok(outcome) => outcome,
                Err(e) if e.is_cancelled() => return,
                Err(e) => Err(task_failure(e)),
            };
            // Taking the GIL may block: not on the runtime's async workers.
            let _ = tokio::task::spawn_blocking(move || deliver(event_loop, target, outcome)).await;
        });
        PyResult::Ok(py_future.unbind())
    })?;
    let coro = py
        .import("enduco._store")?
        .getattr("run_coroutine")?
        .call1((starter,))?;
    // Python names the coroutine in "coroutine … was never awaited" and in tracebacks: the
    // method the app called, not the helper every coroutine runs through.
    coro.setattr("__qualname__", name)?;
    coro.setattr("__name__", name.rsplit('.').next().unwrap_or(name))?;
    Ok(coro)
}

/// A [`coroutine`] resolving to `T`. Typed, so that an async method names its result type as
/// the blocking one does, and the stub says `typing.Coroutine[typing.Any, typing.Any, T]`
/// without a hand-written override.
pub(crate) struct Coroutine<'py, T>(Bound<'py, PyAny>, PhantomData<fn() -> T>);

/// [`coroutine`], typed.
pub(crate) fn typed_coroutine<'py, T, F, S>(
    py: Python<'py>,
    name: &str,
    start: S,
) -> PyResult<Coroutine<'py, T>>
where
    S: FnOnce(&TaskLocals) -> F + Send + 'static,
    F: Future<Output = enduco::Result<T>> + Send + 'static,
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    coroutine(py, name, start).map(|coro| Coroutine(coro, PhantomData))
}

impl<'py, T> IntoPyObject<'py> for Coroutine<'py, T> {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = std::convert::Infallible;

    fn into_pyobject(self, _py: Python<'py>) -> Result<Self::Output, Self::Error> {
        Ok(self.0)
    }
}

#[cfg(feature = "stub-gen")]
impl<T: pyo3_stub_gen::PyStubType> pyo3_stub_gen::PyStubType for Coroutine<'_, T> {
    // As pyo3-stub-gen's `TypeInfo::list_of` wraps its item type.
    fn type_output() -> pyo3_stub_gen::TypeInfo {
        use pyo3_stub_gen::{ImportKind, TypeIdentifierRef};
        let inner = T::type_output();
        let mut import = inner.import.clone();
        import.insert("typing".into());
        let mut type_refs = std::collections::HashMap::new();
        if let Some(module) = inner.source_module.as_ref().filter(|m| m.get().is_some()) {
            let bare = inner.name.split('[').next().unwrap_or(&inner.name);
            let bare = bare.rsplit('.').next().unwrap_or(bare);
            let reference = TypeIdentifierRef {
                module: module.clone(),
                import_kind: ImportKind::Module,
            };
            type_refs.insert(bare.to_owned(), reference);
        }
        type_refs.extend(inner.type_refs);
        pyo3_stub_gen::TypeInfo {
            name: format!("typing.Coroutine[typing.Any, typing.Any, {}]", inner.name),
            source_module: None,
            import,
            type_refs,
        }
    }
}

/// Completes the asyncio future `target` with `outcome`, on its loop (unless it was cancelled
/// or the loop is closed by now).
fn deliver<T>(event_loop: Py<PyAny>, target: Py<PyAny>, outcome: enduco::Result<T>)
where
    T: for<'a> IntoPyObject<'a>,
{
    with_python(|py| {
        let target = target.bind(py);
        if target
            .call_method0("cancelled")
            .and_then(|c| c.is_truthy())
            .unwrap_or(true)
        {
            return;
        }
        let (method, value) = match outcome
            .map_err(|e| to_pyerr(py, e))
            .and_then(|value| value.into_bound_py_any(py))
        {
            Ok(value) => ("set_result", value),
            Err(e) => ("set_exception", e.into_value(py).into_bound(py).into_any()),
        };
        let scheduled = py
            .import("enduco._store")
            .and_then(|m| m.getattr("complete_future"))
            .and_then(|complete| {
                event_loop
                    .bind(py)
                    .call_method1("call_soon_threadsafe", (complete, target, method, value))
            });
        if let Err(e) = scheduled
            && !e.is_instance_of::<PyRuntimeError>(py)
        {
            // A closed loop (RuntimeError) has no one left to tell.
            e.write_unraisable(py, Some(target));
        }
    });
}

/// How many SDK threads are inside (or about to enter) Python through [`with_python`].
static IN_PYTHON: AtomicUsize = AtomicUsize::new(0);
/// Set at interpreter exit: SDK threads no longer enter Python.
static EXITING: AtomicBool = AtomicBool::new(false);

/// Runs `f` with the GIL from one of the SDK's own threads (delivering a coroutine's outcome,
/// a log record, a progress callback, a host store call), unless the interpreter is exiting
/// (then `None`). Counted, so [`_wait_for_sdk_threads`] — registered with `atexit` — can let
/// such a thread finish first: one that gave the GIL up inside Python (a socket write in
/// `call_soon_threadsafe`, say) would otherwise wake up in a finalizing interpreter and
/// crash it.
pub(crate) fn with_python<R>(f: impl for<'py> FnOnce(Python<'py>) -> R) -> Option<R> {
    struct Leave;
    impl Drop for Leave {
        fn drop(&mut self) {
            IN_PYTHON.fetch_sub(1, Ordering::SeqCst);
        }
    }
    IN_PYTHON.fetch_add(1, Ordering::SeqCst);
    let _leave = Leave;
    if EXITING.load(Ordering::SeqCst) {
        return None;
    }
    Python::try_attach(f)
}

/// `atexit` hook: from now on SDK threads stay out of Python; waits (GIL released, at most
/// [`EXIT_WAIT`]) until none is inside any more.
#[cfg_attr(
    feature = "stub-gen",
    pyo3_stub_gen_derive::gen_stub_pyfunction(module = "enduco._enduco")
)]
#[pyfunction]
pub(crate) fn _wait_for_sdk_threads(py: Python<'_>) {
    EXITING.store(true, Ordering::SeqCst);
    py.detach(|| {
        let until = std::time::Instant::now() + EXIT_WAIT;
        while IN_PYTHON.load(Ordering::SeqCst) > 0 && std::time::Instant::now() < until {
            std::thread::sleep(Duration::from_millis(1));
        }
    });
}

/// The longest the interpreter's exit waits for SDK threads inside Python.
const EXIT_WAIT: Duration = Duration::from_secs(2);

/// `enduco._enduco._panic_for_tests(where)`: panics on purpose inside the wrapper real calls
/// use — `"sync"`: in a future run by the blocking wrapper (raises `InternalError`);
/// `"async"`: returns a coroutine whose future panics (awaiting it raises `InternalError`).
/// A test hook, not API.
// The stub is written out: pyo3-stub-gen would spell the parameter `r#where`.
#[cfg_attr(
    feature = "stub-gen",
    pyo3_stub_gen_derive::gen_stub_pyfunction(
        module = "enduco._enduco",
        python = r#"
        import typing

        def _panic_for_tests(where: str) -> typing.Any:
            """Test hook, not API: panics inside the SDK's call wrappers (``"sync"`` raises
            ``InternalError``; ``"async"`` returns a coroutine whose await raises it)."""
        "#
    )
)]
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
        "async" => coroutine(py, "panic_for_tests", |_| boom()),
        other => Err(pyo3::exceptions::PyValueError::new_err(format!(
            "where must be \"sync\" or \"async\", not {other:?}"
        ))),
    }
}

/// Declares a blocking class and its async twin from one list of methods, so each method's
/// signature, conversions, doc comment and stub marks are written once:
///
/// ```ignore
/// blocking_and_async! {
///     impl PySession { /* methods only the blocking class has */ }
///     impl PyAsyncSession as "AsyncSession" { /* methods only the async class has */ }
///     both { /* methods both classes have as they are (no I/O) */ }
///     calls on enduco::Session {
///         /// Doc comment and attributes (`#[pyo3(signature = ..)]`) for both variants.
///         fn name(py, arg: Type, ..) -> Result {
///             // Converts the arguments, eagerly (a bad one raises at the call, not the await).
///         } => |session, locals| core_future;
///     }
/// }
/// ```
///
/// Each call becomes, on the blocking class, a method that runs `core_future` with [`wait`]
/// (GIL released) and returns `Result`; on the async class, a method returning a
/// [`Coroutine`] of `Result` through the class's own `run` (which knows its store's loop).
/// `session` is a clone of the class's `inner` handle (of the type after `calls on`);
/// `locals` is `None` on the blocking class and the awaiting loop on the async one. A body may
/// read `ON_LOOP` (true on the async class) where the two resolve host stores differently.
macro_rules! blocking_and_async {
    (
        impl $blocking:ident { $($blocking_only:tt)* }
        impl $async_class:ident as $async_name:literal { $($async_only:tt)* }
        both { $($both:tt)* }
        calls on $core:ty { $(
            $(#[$($attr:tt)*])*
            fn $name:ident($py:ident $(, $(#[$($arg_attr:tt)*])* $arg:ident: $arg_ty:ty)* $(,)?)
                -> $ret:ty { $($prepare:tt)* } => |$handle:tt, $locals:tt| $call:expr;
        )* }
    ) => {
        #[cfg_attr(feature = "stub-gen", pyo3_stub_gen_derive::gen_stub_pymethods)]
        #[cfg_attr(not(feature = "stub-gen"), pyo3_stub_gen_derive::remove_gen_stub)]
        #[pyo3::pymethods]
        impl $blocking {
            $(
                $(#[$($attr)*])*
                fn $name(
                    &self,
                    $py: Python<'_>,
                    $($(#[$($arg_attr)*])* $arg: $arg_ty),*
                ) -> PyResult<$ret> {
                    #[allow(dead_code)]
                    const ON_LOOP: bool = false;
                    $($prepare)*
                    let start = move |$handle: $core, $locals: Option<&TaskLocals>| $call;
                    $crate::runtime::wait($py, start(self.inner.clone(), None))
                }
            )*
            $($both)*
            $($blocking_only)*
        }

        #[cfg_attr(feature = "stub-gen", pyo3_stub_gen_derive::gen_stub_pymethods)]
        #[cfg_attr(not(feature = "stub-gen"), pyo3_stub_gen_derive::remove_gen_stub)]
        #[pyo3::pymethods]
        impl $async_class {
            $(
                $(#[$($attr)*])*
                fn $name<'py>(
                    &self,
                    $py: Python<'py>,
                    $($(#[$($arg_attr)*])* $arg: $arg_ty),*
                ) -> PyResult<$crate::runtime::Coroutine<'py, $ret>> {
                    #[allow(dead_code)]
                    const ON_LOOP: bool = true;
                    $($prepare)*
                    let start = move |$handle: $core, $locals: Option<&TaskLocals>| $call;
                    let name = concat!($async_name, ".", stringify!($name));
                    self.run($py, name, move |core, locals| start(core, Some(locals)))
                }
            )*
            $($both)*
            $($async_only)*
        }
    };
}
pub(crate) use blocking_and_async;
