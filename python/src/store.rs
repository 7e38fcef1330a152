//! Token stores: the built-in ones, and the adapter that lets any Python object with
//! `load()`, `save(tokens)` and `clear()` (plain or `async def`) serve as the core's
//! `TokenStore`.
//!
//! Where a Python store's methods run:
//! - sessions of the sync client: on a worker thread of the SDK, with the GIL taken there; a
//!   method that returns an awaitable is run to completion with `asyncio.run` on that thread;
//! - sessions of the async client: on the event loop of the coroutine that made the call
//!   (plain methods are called there directly, `async def` ones awaited there).

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use enduco::{Error, TokenSet, TokenStore};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3_async_runtimes::TaskLocals;

use crate::errors::store_failure;
use crate::models::PyTokenSet;
use crate::runtime::wait;

/// A host object used as the core's `TokenStore`.
pub(crate) struct PyTokenStore {
    object: Arc<Py<PyAny>>,
    /// `None` for the sync client; for the async client, the loop of the latest call.
    event_loop: Option<Mutex<Option<TaskLocals>>>,
}

impl PyTokenStore {
    pub(crate) fn blocking(object: Py<PyAny>) -> Self {
        PyTokenStore {
            object: Arc::new(object),
            event_loop: None,
        }
    }

    pub(crate) fn on_loop(object: Py<PyAny>) -> Self {
        PyTokenStore {
            object: Arc::new(object),
            event_loop: Some(Mutex::new(None)),
        }
    }

    /// Remembers the loop of the coroutine making a call, where the store's methods will run.
    pub(crate) fn use_loop(&self, locals: &TaskLocals) {
        if let Some(slot) = &self.event_loop {
            *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(locals.clone());
        }
    }

    async fn call(
        &self,
        method: &'static str,
        tokens: Option<&TokenSet>,
    ) -> enduco::Result<Py<PyAny>> {
        let arg = tokens.cloned().map(PyTokenSet);
        let object = self.object.clone();
        match &self.event_loop {
            None => tokio::task::spawn_blocking(move || {
                Python::attach(|py| {
                    let run = || -> PyResult<Py<PyAny>> {
                        let bound = object.bind(py).getattr(method)?;
                        let helper = py.import("enduco._store")?.getattr("call_blocking")?;
                        let result = match arg {
                            Some(tokens) => helper.call1((bound, tokens))?,
                            None => helper.call1((bound,))?,
                        };
                        Ok(result.unbind())
                    };
                    run().map_err(|e| store_failure(py, method, e))
                })
            })
            .await
            .map_err(|e| {
                Error::store(format!("token store {method}() did not finish: {e}"), None)
            })?,
            Some(slot) => {
                let locals = slot.lock().unwrap_or_else(|e| e.into_inner()).clone();
                let Some(locals) = locals else {
                    return Err(Error::store(
                        format!("token store {method}() needs an asyncio event loop to run on"),
                        None,
                    ));
                };
                let pending = Python::attach(|py| {
                    let schedule = || {
                        let bound = object.bind(py).getattr(method)?;
                        let helper = py.import("enduco._store")?.getattr("call_on_loop")?;
                        let coroutine = match arg {
                            Some(tokens) => helper.call1((bound, tokens))?,
                            None => helper.call1((bound,))?,
                        };
                        pyo3_async_runtimes::into_future_with_locals(&locals, coroutine)
                    };
                    schedule().map_err(|e| store_failure(py, method, e))
                })?;
                let result = pending.await;
                result.map_err(|e| Python::attach(|py| store_failure(py, method, e)))
            }
        }
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
    let kind = value
        .get_type()
        .name()
        .and_then(|n| n.extract::<String>())
        .unwrap_or_else(|_| "?".into());
    Err(Error::store(
        format!(
            "load() must return a TokenSet, None or the string from TokenSet.to_json(), not {kind}"
        ),
        None,
    ))
}

#[async_trait]
impl TokenStore for PyTokenStore {
    async fn load(&self) -> enduco::Result<Option<TokenSet>> {
        let value = self.call("load", None).await?;
        Python::attach(|py| loaded(value.bind(py)))
    }

    async fn save(&self, tokens: &TokenSet) -> enduco::Result<()> {
        self.call("save", Some(tokens)).await.map(drop)
    }

    async fn clear(&self) -> enduco::Result<()> {
        self.call("clear", None).await.map(drop)
    }
}

/// Tokens in memory only: for tests, scripts, and backends that persist elsewhere.
#[pyclass(name = "MemoryTokenStore", module = "enduco", frozen)]
pub struct PyMemoryTokenStore(pub Arc<enduco::MemoryTokenStore>);

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
#[pyclass(name = "FileTokenStore", module = "enduco", frozen)]
pub struct PyFileTokenStore(pub Arc<enduco::FileTokenStore>);

#[pymethods]
impl PyFileTokenStore {
    #[new]
    fn new(path: std::path::PathBuf) -> Self {
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

/// The core store for a Python `store` argument, and the adapter when it is a host object
/// (the async classes point it at the caller's loop).
pub(crate) fn resolve_store(store: &Bound<'_, PyAny>, on_loop: bool) -> PyResult<ResolvedStore> {
    if let Ok(memory) = store.cast::<PyMemoryTokenStore>() {
        return Ok((memory.get().0.clone(), None));
    }
    if let Ok(file) = store.cast::<PyFileTokenStore>() {
        return Ok((file.get().0.clone(), None));
    }
    for method in ["load", "save", "clear"] {
        if !store.hasattr(method)? {
            return Err(PyTypeError::new_err(format!(
                "a token store needs load(), save(tokens) and clear() methods; {} has no {method}()",
                store.get_type().name()?.extract::<String>()?
            )));
        }
    }
    let adapter = Arc::new(if on_loop {
        PyTokenStore::on_loop(store.clone().unbind())
    } else {
        PyTokenStore::blocking(store.clone().unbind())
    });
    Ok((adapter.clone(), Some(adapter)))
}
