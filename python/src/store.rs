//! Token stores: the built-in ones, and the adapter that lets any Python object with
//! `load()`, `save(tokens)` and `clear()` (plain or `async def`) serve as the core's
//! `TokenStore` — and, when it also has `try_lock(owner, lease_seconds)` and `unlock(owner)`,
//! take part in the cross-process refresh lock.
//!
//! Where a Python store's methods run:
//! - sessions of the sync client: on a worker thread of the SDK, with the GIL taken there; a
//!   method that returns an awaitable is run to completion in a new event loop on that thread
//!   (like `asyncio.run`);
//! - sessions of the async client: on the event loop of a coroutine that is calling the
//!   session (plain methods are called there directly, `async def` ones awaited there). While
//!   several calls are in flight the newest one's loop is used; a loop that is closed is never
//!   used.
//!
//! Every call is bounded by the core's store timeout. When the core stops waiting (timeout),
//! an `async def` method still running is cancelled. A call whose event loop is closed under
//! it fails with a `store` error as soon as the closing is seen (checked every
//! [`LOOP_WATCH`]), not at the timeout.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use enduco::{Error, TokenSet, TokenStore};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyTuple};
use pyo3_async_runtimes::TaskLocals;
use tokio::sync::oneshot;

use crate::errors::store_failure;
use crate::models::PyTokenSet;
use crate::runtime::{wait, with_python};
use crate::server_store::{PyPostgresTokenStore, PyRedisTokenStore};

/// The error of a store call the SDK could not make or finish because the interpreter exits.
fn exiting() -> Error {
    Error::store("the Python interpreter is exiting", None)
}

/// Runs `f` with the GIL from an SDK thread (counted: see `runtime::with_python`); a `store`
/// error once the interpreter exits.
fn attached<R>(f: impl for<'py> FnOnce(Python<'py>) -> enduco::Result<R>) -> enduco::Result<R> {
    with_python(f).unwrap_or_else(|| Err(exiting()))
}

/// How often a store call waiting on an event loop checks that the loop is still open.
const LOOP_WATCH: Duration = Duration::from_millis(100);

/// The arguments of one store method call.
enum Args {
    None,
    Tokens(TokenSet),
    Owner(String),
    Lock(String, f64),
}

impl Args {
    fn into_tuple<'py>(self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        match self {
            Args::None => Ok(PyTuple::empty(py)),
            Args::Tokens(tokens) => {
                PyTuple::new(py, [Bound::new(py, PyTokenSet(tokens))?.into_any()])
            }
            Args::Owner(owner) => (owner,).into_pyobject(py),
            Args::Lock(owner, lease) => (owner, lease).into_pyobject(py),
        }
    }
}

/// The event loops of the async client's calls that are in flight, and of the latest one.
#[derive(Default)]
struct Loops {
    next_id: u64,
    /// Oldest first.
    active: Vec<(u64, TaskLocals)>,
    latest: Option<TaskLocals>,
}

/// Marks a call of the async client as in flight (its loop may run store methods) until
/// dropped.
pub(crate) struct LoopInUse {
    store: Arc<PyTokenStore>,
    id: u64,
}

impl Drop for LoopInUse {
    fn drop(&mut self) {
        if let Some(loops) = &self.store.loops {
            let mut loops = loops.lock().unwrap_or_else(|e| e.into_inner());
            loops.active.retain(|(id, _)| *id != self.id);
        }
    }
}

/// The Python side of a store call in progress (`enduco._store.BlockingCall` or `LoopCall`):
/// cancelled when dropped before [`PendingCall::finished`] (the core stopped waiting).
struct PendingCall(Option<Py<PyAny>>);

impl PendingCall {
    fn finished(mut self) {
        self.0 = None;
    }
}

impl Drop for PendingCall {
    fn drop(&mut self) {
        if let Some(call) = self.0.take() {
            with_python(|py| {
                if let Err(e) = call.bind(py).call_method0("cancel") {
                    e.write_unraisable(py, Some(call.bind(py)));
                }
            });
        }
    }
}

/// Receives the outcome of a `LoopCall` on its event loop: `reply(value, error)`.
#[pyclass(frozen)]
struct StoreReply(Mutex<Option<oneshot::Sender<PyResult<Py<PyAny>>>>>);

#[pymethods]
impl StoreReply {
    #[pyo3(signature = (value, error=None))]
    fn __call__(&self, value: Py<PyAny>, error: Option<Bound<'_, PyAny>>) {
        let sender = self.0.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(sender) = sender {
            // The receiver is gone when the core stopped waiting: nothing to do then.
            let _ = sender.send(match error {
                Some(error) => Err(PyErr::from_value(error)),
                None => Ok(value),
            });
        }
    }
}

/// What an asyncio loop answers to `is_closed()` or `is_running()`; `false` when it cannot
/// answer (a loop that cannot answer counts as open: scheduling on it reports the problem).
fn loop_is(event_loop: &Bound<'_, PyAny>, state: &str) -> bool {
    event_loop
        .call_method0(state)
        .and_then(|v| v.extract::<bool>())
        .unwrap_or(false)
}

/// A host object used as the core's `TokenStore`.
pub(crate) struct PyTokenStore {
    object: Arc<Py<PyAny>>,
    /// Whether the object has `try_lock(owner, lease_seconds)` and `unlock(owner)`.
    lockable: bool,
    /// `None` for the sync client; for the async client, the loops its calls run on.
    loops: Option<Mutex<Loops>>,
}

impl PyTokenStore {
    fn blocking(object: Py<PyAny>, lockable: bool) -> Self {
        PyTokenStore {
            object: Arc::new(object),
            lockable,
            loops: None,
        }
    }

    fn on_loop(object: Py<PyAny>, lockable: bool) -> Self {
        PyTokenStore {
            object: Arc::new(object),
            lockable,
            loops: Some(Mutex::new(Loops::default())),
        }
    }

    /// Registers the loop of a coroutine that is calling the session: the store's methods may
    /// run there while the returned guard lives (and afterwards, as the latest loop, until
    /// another call comes or the loop closes).
    pub(crate) fn use_loop(self: &Arc<Self>, locals: &TaskLocals) -> LoopInUse {
        let mut id = 0;
        if let Some(loops) = &self.loops {
            let mut loops = loops.lock().unwrap_or_else(|e| e.into_inner());
            loops.next_id += 1;
            id = loops.next_id;
            loops.active.push((id, locals.clone()));
            loops.latest = Some(locals.clone());
        }
        LoopInUse {
            store: self.clone(),
            id,
        }
    }

    /// The loop to run a method on: the newest in-flight call's loop that is running (else
    /// open), else the latest call's loop if it is still open.
    fn pick_loop(&self, py: Python<'_>, loops: &Mutex<Loops>) -> Option<TaskLocals> {
        let loops = loops.lock().unwrap_or_else(|e| e.into_inner());
        let candidates: Vec<&TaskLocals> = loops
            .active
            .iter()
            .rev()
            .map(|(_, locals)| locals)
            .chain(loops.latest.iter())
            .collect();
        let open = |l: &&TaskLocals| !loop_is(&l.event_loop(py), "is_closed");
        candidates
            .iter()
            .find(|l| open(l) && loop_is(&l.event_loop(py), "is_running"))
            .or_else(|| candidates.iter().find(|l| open(l)))
            .map(|l| (*l).clone())
    }

    async fn call(&self, method: &'static str, args: Args) -> enduco::Result<Py<PyAny>> {
        match &self.loops {
            None => self.call_blocking(method, args).await,
            Some(loops) => self.call_on_loop(loops, method, args).await,
        }
    }

    /// Sync client: the method runs on a blocking worker thread of the SDK.
    async fn call_blocking(&self, method: &'static str, args: Args) -> enduco::Result<Py<PyAny>> {
        let object = self.object.clone();
        let (call, handle) = attached(|py| {
            let prepare = || -> PyResult<(Py<PyAny>, Py<PyAny>)> {
                let bound = object.bind(py).getattr(method)?;
                let call = py
                    .import("enduco._store")?
                    .getattr("BlockingCall")?
                    .call1((bound, args.into_tuple(py)?))?;
                Ok((call.clone().unbind(), call.unbind()))
            };
            prepare().map_err(|e| store_failure(py, method, e))
        })?;
        let pending = PendingCall(Some(handle));
        let outcome = tokio::task::spawn_blocking(move || {
            attached(|py| {
                call.bind(py)
                    .call_method0("run")
                    .map(Bound::unbind)
                    .map_err(|e| store_failure(py, method, e))
            })
        })
        .await;
        pending.finished();
        outcome.map_err(|e| {
            Error::store(format!("token store {method}() did not finish: {e}"), None)
        })?
    }

    /// Async client: the method is scheduled on a caller's event loop and its outcome sent
    /// back; a loop that closes meanwhile ends the wait with a `store` error.
    async fn call_on_loop(
        &self,
        loops: &Mutex<Loops>,
        method: &'static str,
        args: Args,
    ) -> enduco::Result<Py<PyAny>> {
        let object = self.object.clone();
        let (sender, receiver) = oneshot::channel();
        let (handle, event_loop) = attached(|py| {
            let Some(locals) = self.pick_loop(py, loops) else {
                return Err(Error::store(
                    format!(
                        "token store {method}() has no asyncio event loop to run on: the loop \
                         of the call that needs it is closed"
                    ),
                    None,
                ));
            };
            let event_loop = locals.event_loop(py);
            let schedule = || -> PyResult<Py<PyAny>> {
                let bound = object.bind(py).getattr(method)?;
                let reply = Bound::new(py, StoreReply(Mutex::new(Some(sender))))?;
                let call = py.import("enduco._store")?.getattr("LoopCall")?.call1((
                    &event_loop,
                    locals.context(py),
                    bound,
                    args.into_tuple(py)?,
                    reply,
                ))?;
                call.call_method0("schedule")?;
                Ok(call.unbind())
            };
            let handle = schedule().map_err(|e| store_failure(py, method, e))?;
            Ok((handle, event_loop.unbind()))
        })?;
        let pending = PendingCall(Some(handle));
        let closed = async {
            loop {
                tokio::time::sleep(LOOP_WATCH).await;
                // An exiting interpreter counts as a closed loop.
                if with_python(|py| loop_is(event_loop.bind(py), "is_closed")).unwrap_or(true) {
                    break;
                }
            }
        };
        let (answered, outcome) = tokio::select! {
            reply = receiver => match reply {
                Ok(Ok(value)) => (true, Ok(value)),
                Ok(Err(e)) => (true, Err(with_python(|py| store_failure(py, method, e))
                    .unwrap_or_else(exiting))),
                Err(_) => (false, Err(Error::store(
                    format!(
                        "token store {method}() was dropped by its asyncio event loop before it \
                         finished (the loop was closed)"
                    ),
                    None,
                ))),
            },
            () = closed => (false, Err(Error::store(
                format!(
                    "the asyncio event loop running token store {method}() was closed before \
                     it finished"
                ),
                None,
            ))),
        };
        if answered {
            pending.finished();
        }
        outcome
    }
}

/// What `load()` may return: a `TokenSet`, `None`, or the JSON string from `to_json()`.
fn loaded(value: &Bound<'_, PyAny>) -> enduco::Result<Option<TokenSet>> {
    if value.is_none() {
        return Ok(None);
    }
    if let Ok(tokens) = value.cast::<PyTokenSet>() {
        return Ok(Some(tokens.get().0.clone()));
    }
    if let Ok(json) = value.extract::<String>() {
        return TokenSet::from_json(&json).map(Some).map_err(|e| {
            Error::store(
                format!("load() returned a string that is not a stored token set: {e}"),
                Some(Arc::new(e)),
            )
        });
    }
    let kind = type_name(value);
    Err(Error::store(
        format!(
            "load() must return a TokenSet, None or the string from TokenSet.to_json(), not {kind}"
        ),
        None,
    ))
}

/// The name of a value's type, for messages.
fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .name()
        .and_then(|n| n.extract::<String>())
        .unwrap_or_else(|_| "?".into())
}

#[async_trait]
impl TokenStore for PyTokenStore {
    async fn load(&self) -> enduco::Result<Option<TokenSet>> {
        let value = self.call("load", Args::None).await?;
        attached(|py| loaded(value.bind(py)))
    }

    async fn save(&self, tokens: &TokenSet) -> enduco::Result<()> {
        self.call("save", Args::Tokens(tokens.clone()))
            .await
            .map(drop)
    }

    async fn clear(&self) -> enduco::Result<()> {
        self.call("clear", Args::None).await.map(drop)
    }

    fn supports_lock(&self) -> bool {
        self.lockable
    }

    async fn try_lock(&self, owner: &str, lease: Duration) -> enduco::Result<bool> {
        let value = self
            .call(
                "try_lock",
                Args::Lock(owner.to_owned(), lease.as_secs_f64()),
            )
            .await?;
        attached(|py| {
            let value = value.bind(py);
            match value.cast::<PyBool>() {
                Ok(held) => Ok(held.is_true()),
                Err(_) => Err(Error::store(
                    format!(
                        "try_lock() must return True or False, not {}",
                        type_name(value)
                    ),
                    None,
                )),
            }
        })
    }

    async fn unlock(&self, owner: &str) -> enduco::Result<()> {
        self.call("unlock", Args::Owner(owner.to_owned()))
            .await
            .map(drop)
    }
}

/// Tokens in memory only: for tests, scripts, and backends that persist elsewhere.
#[cfg_attr(
    feature = "stub-gen",
    pyo3_stub_gen_derive::gen_stub_pyclass(module = "enduco._enduco")
)]
#[pyclass(name = "MemoryTokenStore", module = "enduco", frozen)]
pub struct PyMemoryTokenStore(pub Arc<enduco::MemoryTokenStore>);

#[cfg_attr(feature = "stub-gen", pyo3_stub_gen_derive::gen_stub_pymethods)]
#[cfg_attr(not(feature = "stub-gen"), pyo3_stub_gen_derive::remove_gen_stub)]
#[pymethods]
impl PyMemoryTokenStore {
    #[new]
    #[pyo3(signature = (tokens=None))]
    fn new(tokens: Option<PyRef<'_, PyTokenSet>>) -> Self {
        PyMemoryTokenStore(Arc::new(match tokens {
            Some(tokens) => enduco::MemoryTokenStore::with_tokens(tokens.0.clone()),
            None => enduco::MemoryTokenStore::new(),
        }))
    }

    fn load(&self) -> Option<PyTokenSet> {
        self.0.get().map(PyTokenSet)
    }

    fn save(&self, py: Python<'_>, tokens: PyRef<'_, PyTokenSet>) -> PyResult<()> {
        let store = self.0.clone();
        let tokens = tokens.0.clone();
        wait(py, async move { store.save(&tokens).await })
    }

    fn clear(&self, py: Python<'_>) -> PyResult<()> {
        let store = self.0.clone();
        wait(py, async move { store.clear().await })
    }

    fn __repr__(&self) -> String {
        let held = if self.0.get().is_some() {
            "tokens"
        } else {
            "empty"
        };
        format!("MemoryTokenStore(<{held}>)")
    }
}

/// Tokens in a JSON file, mode 0600, replaced atomically on every save.
#[cfg_attr(
    feature = "stub-gen",
    pyo3_stub_gen_derive::gen_stub_pyclass(module = "enduco._enduco")
)]
#[pyclass(name = "FileTokenStore", module = "enduco", frozen)]
pub struct PyFileTokenStore(pub Arc<enduco::FileTokenStore>);

#[cfg_attr(feature = "stub-gen", pyo3_stub_gen_derive::gen_stub_pymethods)]
#[cfg_attr(not(feature = "stub-gen"), pyo3_stub_gen_derive::remove_gen_stub)]
#[pymethods]
impl PyFileTokenStore {
    #[new]
    fn new(#[gen_stub(override_type(type_repr = "_Path"))] path: std::path::PathBuf) -> Self {
        PyFileTokenStore(Arc::new(enduco::FileTokenStore::new(path)))
    }

    #[getter]
    fn path(&self) -> std::path::PathBuf {
        self.0.path().to_path_buf()
    }

    fn load(&self, py: Python<'_>) -> PyResult<Option<PyTokenSet>> {
        let store = self.0.clone();
        wait(py, async move { store.load().await }).map(|t| t.map(PyTokenSet))
    }

    fn save(&self, py: Python<'_>, tokens: PyRef<'_, PyTokenSet>) -> PyResult<()> {
        let store = self.0.clone();
        let tokens = tokens.0.clone();
        wait(py, async move { store.save(&tokens).await })
    }

    fn clear(&self, py: Python<'_>) -> PyResult<()> {
        let store = self.0.clone();
        wait(py, async move { store.clear().await })
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let path = self.path().into_pyobject(py)?.str()?.repr()?;
        Ok(format!("FileTokenStore({})", path.extract::<String>()?))
    }
}

/// The core's store, and the adapter to point at an event loop when it wraps a host object.
pub(crate) type ResolvedStore = (Arc<dyn TokenStore>, Option<Arc<PyTokenStore>>);

/// Whether `store` has a callable attribute `name` (`None` counts as absent, so a subclass
/// can switch an inherited method off with `name = None`).
fn has_method(store: &Bound<'_, PyAny>, name: &str) -> PyResult<bool> {
    Ok(match store.getattr_opt(name)? {
        Some(attribute) => !attribute.is_none() && attribute.is_callable(),
        None => false,
    })
}

/// The core store for a Python `store` argument, and the adapter when it is a host object
/// (the async classes point it at the caller's loop).
pub(crate) fn resolve_store(store: &Bound<'_, PyAny>, on_loop: bool) -> PyResult<ResolvedStore> {
    if let Ok(memory) = store.cast::<PyMemoryTokenStore>() {
        return Ok((memory.get().0.clone(), None));
    }
    if let Ok(file) = store.cast::<PyFileTokenStore>() {
        return Ok((file.get().0.clone(), None));
    }
    if let Ok(postgres) = store.cast::<PyPostgresTokenStore>() {
        return Ok((postgres.get().inner.clone(), None));
    }
    if let Ok(redis) = store.cast::<PyRedisTokenStore>() {
        return Ok((redis.get().inner.clone(), None));
    }
    let kind = || -> PyResult<String> { store.get_type().name()?.extract::<String>() };
    for method in ["load", "save", "clear"] {
        if !store.hasattr(method)? {
            return Err(PyTypeError::new_err(format!(
                "a token store needs load(), save(tokens) and clear() methods; {} has no {method}()",
                kind()?
            )));
        }
    }
    let lockable = match (has_method(store, "try_lock")?, has_method(store, "unlock")?) {
        (true, true) => true,
        (false, false) => false,
        (has_try_lock, _) => {
            let (present, missing) = if has_try_lock {
                ("try_lock(owner, lease_seconds)", "unlock(owner)")
            } else {
                ("unlock(owner)", "try_lock(owner, lease_seconds)")
            };
            return Err(PyTypeError::new_err(format!(
                "a token store with {present} also needs {missing} for the refresh lock; {} has \
                 only one of them",
                kind()?
            )));
        }
    };
    let object = store.clone().unbind();
    let adapter = Arc::new(if on_loop {
        PyTokenStore::on_loop(object, lockable)
    } else {
        PyTokenStore::blocking(object, lockable)
    });
    Ok((adapter.clone(), Some(adapter)))
}
