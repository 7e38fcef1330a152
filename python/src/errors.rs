//! `enduco::Error` → the Python exception of the same code (defined in `enduco/_errors.py`).

use std::sync::Arc;

use enduco::Error;
use pyo3::exceptions::{PyOSError, PyRuntimeError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// Converts a core error into the matching `enduco.*Error`, keeping each case's details as
/// attributes and a store failure's original exception as `__cause__`.
pub(crate) fn to_pyerr(py: Python<'_>, error: Error) -> PyErr {
    build(py, &error).unwrap_or_else(|e| {
        let fallback = PyRuntimeError::new_err(format!("{} ({})", error, error.code()));
        fallback.set_cause(py, Some(e));
        fallback
    })
}

/// The class for the payload's `code` (from `enduco._errors.CLASSES`), called with the
/// payload's `message` and its other fields as keyword arguments (`code` included, so an
/// unknown code still reaches the app as an `EnducoError` with that code).
fn build(py: Python<'_>, error: &Error) -> PyResult<PyErr> {
    let module = py.import("enduco._errors")?;
    let payload = serde_json::Value::Object(error.payload()).to_string();
    let kwargs = py
        .import("json")?
        .call_method1("loads", (payload,))?
        .cast_into::<PyDict>()?;
    let message = kwargs.get_item("message")?;
    kwargs.del_item("message")?;
    let class = match module.getattr("CLASSES")?.get_item(error.code()) {
        Ok(class) => class,
        Err(_) => module.getattr("EnducoError")?,
    };
    let exception = class.call((message,), Some(&kwargs))?;
    let err = PyErr::from_value(exception);
    if let Error::Store {
        source: Some(source),
        ..
    } = error
    {
        err.set_cause(py, Some(cause(py, source)));
    }
    Ok(err)
}

/// The Python form of a store failure's source: the host's own exception when the store was
/// written in Python, an `enduco` error or an `OSError` otherwise.
fn cause(py: Python<'_>, source: &Arc<dyn std::error::Error + Send + Sync>) -> PyErr {
    if let Some(original) = source.downcast_ref::<PyErr>() {
        return original.clone_ref(py);
    }
    if let Some(inner) = source.downcast_ref::<Error>() {
        return to_pyerr(py, inner.clone());
    }
    PyOSError::new_err(source.to_string())
}

/// A Python exception raised by (or a bad value returned from) a host's token store method.
pub(crate) fn store_failure(py: Python<'_>, method: &str, err: PyErr) -> Error {
    let kind = err
        .get_type(py)
        .name()
        .and_then(|n| n.extract::<String>())
        .unwrap_or_else(|_| "Exception".into());
    let text = err
        .value(py)
        .str()
        .and_then(|s| s.extract::<String>())
        .unwrap_or_default();
    let message = if text.is_empty() {
        format!("{method}() raised {kind}")
    } else {
        format!("{method}() raised {kind}: {text}")
    };
    Error::store(message, Some(Arc::new(err)))
}
