//! `enduco::Error` → the Python exception of the same code (defined in `enduco/_errors.py`).

use std::sync::Arc;

use enduco::Error;
use pyo3::exceptions::{PyOSError, PyRuntimeError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// The exception class for each error code, by name in `enduco._errors`.
fn class_name(error: &Error) -> &'static str {
    match error {
        Error::InvalidInput { .. } => "InvalidInputError",
        Error::AuthorizationDenied { .. } => "AuthorizationDeniedError",
        Error::StateMismatch => "StateMismatchError",
        Error::ReauthorizationRequired { .. } => "ReauthorizationRequiredError",
        Error::InsufficientScope { .. } => "InsufficientScopeError",
        Error::RateLimited { .. } => "RateLimitedError",
        Error::Server { .. } => "ServerError",
        Error::Api { .. } => "ApiError",
        Error::Network { .. } => "NetworkError",
        Error::Timeout => "EnducoTimeoutError",
        Error::InvalidResponse { .. } => "InvalidResponseError",
        Error::Store { .. } => "StoreError",
        Error::Internal { .. } => "InternalError",
        _ => "EnducoError",
    }
}

/// Converts a core error into the matching `enduco.*Error`, keeping each case's details as
/// attributes and a store failure's original exception as `__cause__`.
pub(crate) fn to_pyerr(py: Python<'_>, error: Error) -> PyErr {
    build(py, &error).unwrap_or_else(|e| {
        let fallback = PyRuntimeError::new_err(format!("{} ({})", error, error.code()));
        fallback.set_cause(py, Some(e));
        fallback
    })
}

fn build(py: Python<'_>, error: &Error) -> PyResult<PyErr> {
    let module = py.import("enduco._errors")?;
    let kwargs = PyDict::new(py);
    kwargs.set_item("code", error.code())?;
    match error {
        Error::AuthorizationDenied { error, description } => {
            kwargs.set_item("error", error)?;
            kwargs.set_item("description", description)?;
        }
        Error::ReauthorizationRequired { reason } => kwargs.set_item("reason", reason)?,
        Error::InsufficientScope { missing } => kwargs.set_item("missing", missing.clone())?,
        Error::RateLimited { retry_after } => {
            kwargs.set_item("retry_after", retry_after.map(|d| d.as_secs_f64()))?
        }
        Error::Server { status } => kwargs.set_item("status", status)?,
        Error::Api {
            status,
            code,
            message,
        } => {
            kwargs.set_item("status", status)?;
            kwargs.set_item("api_code", code)?;
            kwargs.set_item("api_message", message)?;
        }
        _ => {}
    }
    let class = module.getattr(class_name(error))?;
    let exception = class.call((error.to_string(),), Some(&kwargs))?;
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
