//! `Session` (blocking) and `AsyncSession` (coroutines): one user's calls. Each method
//! converts its arguments, runs the core's method, and converts the result.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use enduco::{UploadOptions, UploadProgress, WorkoutSource};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyDate, PyDateTime, PyDict, PyMemoryView, PyString};
use pyo3_async_runtimes::TaskLocals;

use crate::errors::to_pyerr;
use crate::models::{Model, Models, PyRawResponse, PyTokenSet};
use crate::runtime::{Coroutine, blocking_and_async, typed_coroutine, wait};
use crate::store::PyTokenStore;

/// A calendar date from a `datetime.date` or a `"YYYY-MM-DD"` string.
fn calendar_date(
    py: Python<'_>,
    value: &Bound<'_, PyAny>,
    name: &str,
) -> PyResult<jiff::civil::Date> {
    if let Ok(text) = value.cast::<PyString>() {
        return enduco::parse_date(&text.extract::<String>()?).map_err(|e| to_pyerr(py, e));
    }
    if value.is_instance_of::<PyDateTime>() {
        return Err(PyTypeError::new_err(format!(
            "{name} must be a datetime.date (the athlete's calendar day), not a datetime"
        )));
    }
    if value.is_instance_of::<PyDate>() {
        return value.extract();
    }
    Err(PyTypeError::new_err(format!(
        "{name} must be a datetime.date or a \"YYYY-MM-DD\" string"
    )))
}

/// A FIT file: a path (`str` or `os.PathLike`) or its bytes.
fn workout_source(value: &Bound<'_, PyAny>) -> PyResult<WorkoutSource> {
    if let Ok(bytes) = value.cast::<PyBytes>() {
        return Ok(WorkoutSource::Bytes(bytes::Bytes::copy_from_slice(
            bytes.as_bytes(),
        )));
    }
    if value.is_instance_of::<PyByteArray>() || value.is_instance_of::<PyMemoryView>() {
        let data: Vec<u8> = value
            .py()
            .import("builtins")?
            .getattr("bytes")?
            .call1((value,))?
            .extract()?;
        return Ok(WorkoutSource::Bytes(data.into()));
    }
    let Ok(path) = value.extract::<PathBuf>() else {
        return Err(PyTypeError::new_err(
            "the workout must be a path (str or os.PathLike) or the FIT file's bytes",
        ));
    };
    // A missing file is Python's own FileNotFoundError as well as InvalidInputError; the
    // core reads the file (and refuses other unreadable ones) once the call runs.
    if std::fs::metadata(&path).is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound) {
        let error = value
            .py()
            .import("enduco._errors")?
            .getattr("WorkoutFileNotFoundError")?
            .call1((path.display().to_string(),))?;
        return Err(PyErr::from_value(error));
    }
    Ok(WorkoutSource::Path(path))
}

/// The FIT pre-flight an upload runs before sending anything (header, sizes, CRCs, activity
/// type), on bytes or a path: the file's size in bytes, or `InvalidInputError` naming the
/// defect (`WorkoutFileNotFoundError` for a path that does not exist).
#[cfg_attr(
    feature = "stub-gen",
    pyo3_stub_gen_derive::gen_stub_pyfunction(module = "enduco._enduco")
)]
#[cfg_attr(not(feature = "stub-gen"), pyo3_stub_gen_derive::remove_gen_stub)]
#[pyfunction]
pub(crate) fn check_fit(
    py: Python<'_>,
    #[gen_stub(override_type(type_repr = "_Workout", imports = ("typing")))] fit: &Bound<'_, PyAny>,
) -> PyResult<u64> {
    let summary = match workout_source(fit)? {
        WorkoutSource::Bytes(bytes) => py
            .detach(|| enduco::check_fit(&bytes))
            .map_err(|e| to_pyerr(py, e))?,
        WorkoutSource::Path(path) => wait(py, async move { enduco::check_fit_file(&path).await })?,
    };
    Ok(summary.file_size)
}

/// `query` as name/value pairs from a mapping or a sequence of pairs; values go through `str()`.
fn query_pairs(query: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<(String, String)>> {
    let Some(query) = query else {
        return Ok(Vec::new());
    };
    if query.is_none() {
        return Ok(Vec::new());
    }
    let items = match query.cast::<PyDict>() {
        Ok(dict) => dict.items().into_any(),
        Err(_) => query.clone(),
    };
    let mut pairs = Vec::new();
    for item in items.try_iter()? {
        let (name, value): (String, Bound<'_, PyAny>) = item?.extract().map_err(|_| {
            PyTypeError::new_err("query must be a mapping or a sequence of (name, value) pairs")
        })?;
        pairs.push((name, value.str()?.extract()?));
    }
    Ok(pairs)
}

/// A JSON body from any `json.dumps`-able object.
fn json_body(json: Option<&Bound<'_, PyAny>>) -> PyResult<Option<serde_json::Value>> {
    let Some(json) = json else { return Ok(None) };
    if json.is_none() {
        return Ok(None);
    }
    let text: String = json
        .py()
        .import("json")?
        .call_method1("dumps", (json,))?
        .extract()?;
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| PyTypeError::new_err(format!("json body: {e}")))
}

/// Progress callbacks for the sync session: called on the SDK's thread with the GIL taken.
/// An exception in the callback is reported through `sys.unraisablehook` and ignored.
struct BlockingProgress(Py<PyAny>);

impl UploadProgress for BlockingProgress {
    fn on_progress(&self, sent: u64, total: u64) {
        crate::runtime::with_python(|py| {
            let callback = self.0.bind(py);
            if let Err(e) = callback.call1((sent, total)) {
                e.write_unraisable(py, Some(callback));
            }
        });
    }
}

/// Progress callbacks for the async session: scheduled on the caller's event loop, in order.
struct LoopProgress {
    callback: Py<PyAny>,
    locals: TaskLocals,
}

impl UploadProgress for LoopProgress {
    fn on_progress(&self, sent: u64, total: u64) {
        crate::runtime::with_python(|py| {
            let event_loop = self.locals.event_loop(py);
            let scheduled = event_loop.call_method1(
                "call_soon_threadsafe",
                (self.callback.bind(py), sent, total),
            );
            if let Err(e) = scheduled {
                e.write_unraisable(py, Some(self.callback.bind(py)));
            }
        });
    }
}

type Workouts = Models<enduco::PlannedWorkout>;

/// The progress adapter for `upload_workout`: the blocking session calls back on the SDK's
/// thread, the async one schedules the callback on the awaiting loop.
fn progress_adapter(
    callback: Option<Py<PyAny>>,
    locals: Option<&TaskLocals>,
) -> Option<Arc<dyn UploadProgress>> {
    let callback = callback?;
    Some(match locals {
        None => Arc::new(BlockingProgress(callback)),
        Some(locals) => Arc::new(LoopProgress {
            callback,
            locals: locals.clone(),
        }),
    })
}

/// One user's connection to enduco; every method blocks (releasing the GIL) until done.
#[cfg_attr(
    feature = "stub-gen",
    pyo3_stub_gen_derive::gen_stub_pyclass(module = "enduco._enduco")
)]
#[pyclass(name = "Session", module = "enduco", frozen)]
pub struct PySession {
    pub(crate) inner: enduco::Session,
}

/// [`PySession`] with coroutines: each method returns a coroutine that runs when awaited, on
/// the awaiting asyncio loop (where a Python token store's methods then run too).
#[cfg_attr(
    feature = "stub-gen",
    pyo3_stub_gen_derive::gen_stub_pyclass(module = "enduco._enduco")
)]
#[pyclass(name = "AsyncSession", module = "enduco", frozen)]
pub struct PyAsyncSession {
    pub(crate) inner: enduco::Session,
    pub(crate) store: Option<Arc<PyTokenStore>>,
}

impl PyAsyncSession {
    /// A coroutine running `call` on the awaiting loop, which the host store (if any) uses
    /// from then on.
    fn run<'py, T, F>(
        &self,
        py: Python<'py>,
        name: &str,
        call: impl FnOnce(enduco::Session, &TaskLocals) -> F + Send + 'static,
    ) -> PyResult<Coroutine<'py, T>>
    where
        F: Future<Output = enduco::Result<T>> + Send + 'static,
        T: for<'a> IntoPyObject<'a> + Send + 'static,
    {
        let session = self.inner.clone();
        let store = self.store.clone();
        typed_coroutine(py, name, move |locals| {
            // The store may run its methods on this loop while the call is in flight.
            let in_use = store.as_ref().map(|store| store.use_loop(locals));
            let work = call(session, locals);
            async move {
                let _in_use = in_use;
                work.await
            }
        })
    }
}

blocking_and_async! {
    impl PySession {
        fn __repr__(&self) -> &'static str {
            "Session(...)"
        }
    }
    impl PyAsyncSession as "AsyncSession" {
        fn __repr__(&self) -> &'static str {
            "AsyncSession(...)"
        }
    }
    both {}
    calls on enduco::Session {
        /// The user's intensity zones (needs `user_read`).
        fn intensity_zones(py) -> Model<enduco::IntensityZones> {}
            => |s, _| async move { s.intensity_zones().await.map(Model) };

        /// The next `days` days (1–7) of plans from today in the athlete's time zone.
        #[pyo3(signature = (days=7))]
        fn upcoming_plans(py, days: u32) -> Workouts {}
            => |s, _| async move { s.upcoming_plans(days).await.map(Models) };

        /// Plans from `date_from` to `date_to` inclusive (at most 7 days; needs `plans_read`).
        fn training_plans(
            py,
            #[gen_stub(override_type(type_repr = "_Date", imports = ("typing")))]
            date_from: &Bound<'_, PyAny>,
            #[gen_stub(override_type(type_repr = "_Date", imports = ("typing")))]
            date_to: &Bound<'_, PyAny>,
        ) -> Workouts {
            let from = calendar_date(py, date_from, "date_from")?;
            let to = calendar_date(py, date_to, "date_to")?;
        } => |s, _| async move { s.training_plans(from, to).await.map(Models) };

        /// Uploads a finished workout (a path or the FIT bytes; needs `workouts_write`).
        /// `progress(sent, total)` is called with monotonic byte counts ending at the file size.
        #[pyo3(signature = (workout, *, progress=None, file_name=None))]
        fn upload_workout(
            py,
            #[gen_stub(override_type(type_repr = "_Workout", imports = ("typing")))]
            workout: &Bound<'_, PyAny>,
            #[gen_stub(override_type(type_repr = "_Progress | None", imports = ("typing")))]
            progress: Option<Py<PyAny>>,
            file_name: Option<String>,
        ) -> Model<enduco::UploadResult> {
            let source = workout_source(workout)?;
        } => |s, locals| {
            let options = UploadOptions {
                file_name,
                progress: progress_adapter(progress, locals),
            };
            async move { s.upload_workout(source, options).await.map(Model) }
        };

        /// Any other enduco endpoint, with authentication, refresh and retries applied.
        #[pyo3(signature = (method, path, query=None, json=None))]
        fn request(
            py,
            method: String,
            path: String,
            #[gen_stub(override_type(type_repr = "_Query", imports = ("typing")))]
            query: Option<&Bound<'_, PyAny>>,
            #[gen_stub(override_type(type_repr = "object", imports = ("typing")))]
            json: Option<&Bound<'_, PyAny>>,
        ) -> PyRawResponse {
            let query = query_pairs(query)?;
            let body = json_body(json)?;
        } => |s, _| async move {
            s.request(&method, &path, &query, body.as_ref()).await.map(PyRawResponse)
        };

        /// Refreshes now and saves the new tokens.
        fn refresh(py) -> PyTokenSet {}
            => |s, _| async move { s.refresh().await.map(PyTokenSet) };

        /// Revokes the grant at enduco, then clears the store.
        fn revoke(py) -> () {} => |s, _| async move { s.revoke().await };

        /// The current tokens as stored (no refresh).
        fn tokens(py) -> PyTokenSet {}
            => |s, _| async move { s.tokens().await.map(PyTokenSet) };

        /// enduco's id of this user (no request).
        fn user_id(py) -> String {} => |s, _| async move { s.user_id().await };

        /// The scopes the user granted (no request).
        fn granted_scopes(py) -> Vec<String> {}
            => |s, _| async move { s.granted_scopes().await };
    }
}
