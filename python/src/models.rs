//! The core's value types in Python. The plain models (zones, plans, upload results) are
//! classes of `enduco._models`, generated from the core's declarations
//! (core/tests/python_models.rs): a [`Model`] crosses as its JSON form, which the class reads,
//! and the classes' methods come back here as the `plan_*`/`zones_*` functions, which read the
//! JSON into the core's types (`enduco::plain`) and run the core's method. Token sets,
//! authorization requests, webhooks and raw responses are classes of this module: they hold
//! secrets or bytes.

use enduco::{AccessToken, RefreshToken, TOKEN_SET_SCHEMA_VERSION, plain};
use enduco::{
    IntensityZones, Metric, PlannedWorkout, RawResponse, ResolvedTarget, Sport, SportZones,
    TimelineSegment, TokenSet, UploadResult, WebhookEvent,
};
use pyo3::IntoPyObjectExt;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDateTime, PyString};

use crate::errors::to_pyerr;

/// `name(field=repr, …)` from Python's own `repr` of each value.
fn repr_of(name: &str, fields: &[(&str, Bound<'_, PyAny>)]) -> PyResult<String> {
    let mut shown = Vec::with_capacity(fields.len());
    for (field, value) in fields {
        shown.push(format!("{field}={}", value.repr()?));
    }
    Ok(format!("{name}({})", shown.join(", ")))
}

/// A unix-seconds instant as an aware UTC `datetime`.
fn instant(seconds: i64) -> PyResult<jiff::Timestamp> {
    jiff::Timestamp::from_second(seconds)
        .map_err(|e| PyValueError::new_err(format!("instant out of range: {e}")))
}

/// A core model as an instance of its class in `enduco._models`.
pub struct Model<T>(pub T);

/// Core models as a list of instances of their class: one JSON text for the whole list (a
/// timeline may hold thousands of segments).
pub struct Models<T>(pub Vec<T>);

/// The class of a core model in `enduco._models`.
pub trait PyModel: serde::Serialize {
    const CLASS: &'static str;
}

macro_rules! py_models {
    ($($model:ty => $class:literal),* $(,)?) => {
        $(impl PyModel for $model { const CLASS: &'static str = $class; })*
    };
}

py_models! {
    IntensityZones => "IntensityZones",
    SportZones => "SportZones",
    PlannedWorkout => "PlannedWorkout",
    TimelineSegment => "TimelineSegment",
    ResolvedTarget => "ResolvedTarget",
    UploadResult => "UploadResult",
}

/// `value` (a model or a list of them) read by the class `T::CLASS` from its JSON form.
fn instances<'py, T: PyModel>(
    py: Python<'py>,
    value: &impl serde::Serialize,
) -> PyResult<Bound<'py, PyAny>> {
    let json = serde_json::to_string(value)
        .map_err(|e| PyValueError::new_err(format!("cannot convert {}: {e}", T::CLASS)))?;
    py.import("enduco._model_methods")?
        .getattr("_model")?
        .call1((T::CLASS, json))
}

impl<'py, T: PyModel> IntoPyObject<'py> for Model<T> {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Self::Output> {
        instances::<T>(py, &self.0)
    }
}

impl<'py, T: PyModel> IntoPyObject<'py> for Models<T> {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Self::Output> {
        instances::<T>(py, &self.0)
    }
}

#[cfg(feature = "stub-gen")]
impl<T: PyModel> pyo3_stub_gen::PyStubType for Model<T> {
    fn type_output() -> pyo3_stub_gen::TypeInfo {
        pyo3_stub_gen::TypeInfo {
            name: format!("_models.{}", T::CLASS),
            source_module: None,
            import: ["enduco._models".into()].into(),
            type_refs: Default::default(),
        }
    }
}

#[cfg(feature = "stub-gen")]
impl<T: PyModel> pyo3_stub_gen::PyStubType for Models<T> {
    fn type_output() -> pyo3_stub_gen::TypeInfo {
        pyo3_stub_gen::TypeInfo::list_of::<Model<T>>()
    }
}

/// The core's answer on a model's JSON text (`enduco::plain`), its error as an exception.
fn from_core<T>(py: Python<'_>, answer: enduco::Result<T>) -> PyResult<T> {
    answer.map_err(|e| to_pyerr(py, e))
}

fn plan(py: Python<'_>, text: &str) -> PyResult<PlannedWorkout> {
    from_core(py, plain::parse(text).and_then(plain::plan))
}

fn zones(py: Python<'_>, text: Option<&str>) -> PyResult<Option<IntensityZones>> {
    from_core(
        py,
        text.map(plain::parse).transpose().and_then(plain::zones),
    )
}

/// `PlannedWorkout.is_rest_day`.
#[cfg_attr(
    feature = "stub-gen",
    pyo3_stub_gen_derive::gen_stub_pyfunction(module = "enduco._enduco")
)]
#[pyfunction]
pub(crate) fn plan_is_rest_day(py: Python<'_>, plan_json: &str) -> PyResult<bool> {
    Ok(plan(py, plan_json)?.is_rest_day())
}

/// `PlannedWorkout.local_start()`.
#[cfg_attr(
    feature = "stub-gen",
    pyo3_stub_gen_derive::gen_stub_pyfunction(module = "enduco._enduco")
)]
#[pyfunction]
pub(crate) fn plan_local_start(py: Python<'_>, plan_json: &str) -> PyResult<Option<jiff::Zoned>> {
    Ok(plan(py, plan_json)?.local_start())
}

/// `PlannedWorkout.timeline_checked()`, with the GIL released (it may visit up to the core's
/// step budget).
#[cfg_attr(
    feature = "stub-gen",
    pyo3_stub_gen_derive::gen_stub_pyfunction(module = "enduco._enduco")
)]
#[pyfunction]
pub(crate) fn plan_timeline(
    py: Python<'_>,
    plan_json: &str,
    zones_json: Option<&str>,
) -> PyResult<(Models<TimelineSegment>, bool)> {
    let (plan, zones) = (plan(py, plan_json)?, zones(py, zones_json)?);
    let checked = py.detach(|| plan.timeline_checked(zones.as_ref()));
    Ok((Models(checked.segments), checked.truncated))
}

/// `PlannedWorkout.to_fit_workout()` and the text formats (`format`: `fit`, `zwo`, `erg`,
/// `mrc`), with the GIL released.
#[cfg_attr(
    feature = "stub-gen",
    pyo3_stub_gen_derive::gen_stub_pyfunction(module = "enduco._enduco")
)]
#[pyfunction]
pub(crate) fn plan_export<'py>(
    py: Python<'py>,
    plan_json: &str,
    zones_json: Option<&str>,
    format: &str,
) -> PyResult<Bound<'py, PyBytes>> {
    let answer = py.detach(|| {
        let zones = zones_json.map(plain::parse).transpose()?;
        plain::export(plain::parse(plan_json)?, zones, format)
    });
    let bytes = from_core(py, answer)?;
    Ok(PyBytes::new(py, &bytes))
}

/// `IntensityZones.for_sport()`.
#[cfg_attr(
    feature = "stub-gen",
    pyo3_stub_gen_derive::gen_stub_pyfunction(module = "enduco._enduco")
)]
#[pyfunction]
pub(crate) fn zones_for_sport(
    py: Python<'_>,
    zones_json: &str,
    sport: &str,
    metric: &str,
) -> PyResult<Option<Model<SportZones>>> {
    let zones = from_core(py, plain::parse(zones_json).and_then(plain::zones_required))?;
    let found = zones.for_sport(Sport::from_wire(sport), Metric::from_wire(metric));
    Ok(found.cloned().map(Model))
}

/// `IntensityZones.resolve()`.
#[cfg_attr(
    feature = "stub-gen",
    pyo3_stub_gen_derive::gen_stub_pyfunction(module = "enduco._enduco")
)]
#[pyfunction]
pub(crate) fn zones_resolve(
    py: Python<'_>,
    zones_json: &str,
    sport: &str,
    target_json: &str,
) -> PyResult<Option<Model<ResolvedTarget>>> {
    let zones = from_core(py, plain::parse(zones_json).and_then(plain::zones_required))?;
    let target = from_core(py, plain::parse(target_json).and_then(plain::target))?;
    Ok(zones.resolve(Sport::from_wire(sport), &target).map(Model))
}

/// A successful answer to `Session.request`.
#[cfg_attr(
    feature = "stub-gen",
    pyo3_stub_gen_derive::gen_stub_pyclass(module = "enduco._enduco")
)]
#[pyclass(name = "RawResponse", module = "enduco", frozen, eq)]
#[derive(Clone, PartialEq)]
pub struct PyRawResponse(pub RawResponse);

#[cfg_attr(feature = "stub-gen", pyo3_stub_gen_derive::gen_stub_pymethods)]
#[cfg_attr(not(feature = "stub-gen"), pyo3_stub_gen_derive::remove_gen_stub)]
#[pymethods]
impl PyRawResponse {
    #[getter]
    fn status(&self) -> u16 {
        self.0.status
    }

    #[getter]
    fn content_type(&self) -> Option<&str> {
        self.0.content_type.as_deref()
    }

    #[getter]
    fn body<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.0.body)
    }

    /// The body as text (invalid UTF-8 replaced).
    #[getter]
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.body).into_owned()
    }

    /// The body parsed as JSON; `InvalidResponseError` when it is not JSON.
    fn json<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.0
            .json::<serde_json::Value>()
            .map_err(|e| to_pyerr(py, e))?;
        py.import("json")?
            .call_method1("loads", (PyBytes::new(py, &self.0.body),))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let fields = [
            ("status", self.status().into_bound_py_any(py)?),
            ("content_type", self.content_type().into_bound_py_any(py)?),
            ("body", self.body(py).into_any()),
        ];
        repr_of("RawResponse", &fields)
    }
}

/// A parsed webhook. `type` is `"user_deregistered"`, `"plan_changed"` or `"unknown"`.
#[cfg_attr(
    feature = "stub-gen",
    pyo3_stub_gen_derive::gen_stub_pyclass(module = "enduco._enduco")
)]
#[pyclass(name = "WebhookEvent", module = "enduco", frozen, eq)]
#[derive(Clone, PartialEq)]
pub struct PyWebhookEvent {
    pub event: WebhookEvent,
    pub raw: String,
}

impl PyWebhookEvent {
    pub fn parse(body: &[u8]) -> Self {
        PyWebhookEvent {
            event: enduco::parse_webhook(body),
            raw: String::from_utf8_lossy(body).into_owned(),
        }
    }
}

#[cfg_attr(feature = "stub-gen", pyo3_stub_gen_derive::gen_stub_pymethods)]
#[cfg_attr(not(feature = "stub-gen"), pyo3_stub_gen_derive::remove_gen_stub)]
#[pymethods]
impl PyWebhookEvent {
    /// `"user_deregistered"`, `"plan_changed"` or `"unknown"`.
    #[getter]
    #[pyo3(name = "type")]
    fn kind(&self) -> &'static str {
        match &self.event {
            WebhookEvent::UserDeregistered { .. } => "user_deregistered",
            WebhookEvent::PlanChanged { .. } => "plan_changed",
            _ => "unknown",
        }
    }

    #[getter]
    fn user_id(&self) -> Option<&str> {
        self.event.user_id()
    }

    /// First day of the changed window (plan_changed), if given.
    #[getter]
    fn date_from(&self) -> Option<jiff::civil::Date> {
        self.event.changed_dates().0
    }

    /// Last day of the changed window (plan_changed), if given.
    #[getter]
    fn date_to(&self) -> Option<jiff::civil::Date> {
        self.event.changed_dates().1
    }

    #[getter]
    fn occurred_at(&self) -> Option<jiff::Timestamp> {
        self.event.occurred_at()
    }

    /// The body as received (invalid UTF-8 replaced).
    #[getter]
    fn raw(&self) -> &str {
        &self.raw
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let mut fields = vec![("type", self.kind().into_bound_py_any(py)?)];
        match &self.event {
            WebhookEvent::UserDeregistered { .. } | WebhookEvent::PlanChanged { .. } => {
                fields.push(("user_id", self.user_id().into_bound_py_any(py)?));
                if matches!(self.event, WebhookEvent::PlanChanged { .. }) {
                    fields.push(("date_from", self.date_from().into_bound_py_any(py)?));
                    fields.push(("date_to", self.date_to().into_bound_py_any(py)?));
                }
                fields.push(("occurred_at", self.occurred_at().into_bound_py_any(py)?));
            }
            _ => fields.push(("raw", self.raw().into_bound_py_any(py)?)),
        }
        repr_of("WebhookEvent", &fields)
    }
}

/// One user's grant. `repr()` never shows a token value; `to_json()` / `TokenSet.from_json()`
/// round-trip it for the host's storage.
#[cfg_attr(
    feature = "stub-gen",
    pyo3_stub_gen_derive::gen_stub_pyclass(module = "enduco._enduco")
)]
#[pyclass(name = "TokenSet", module = "enduco", frozen, eq)]
#[derive(Clone, PartialEq)]
pub struct PyTokenSet(pub TokenSet);

/// Unix seconds from an `int`, a `float` or an aware `datetime`.
fn unix_seconds(value: &Bound<'_, PyAny>) -> PyResult<i64> {
    if let Ok(dt) = value.cast::<PyDateTime>() {
        if dt.getattr("tzinfo")?.is_none() {
            return Err(PyValueError::new_err(
                "expires_at must be an aware datetime (with tzinfo), unix seconds, or a float",
            ));
        }
        let seconds: f64 = dt.call_method0("timestamp")?.extract()?;
        return Ok(seconds.floor() as i64);
    }
    if let Ok(seconds) = value.extract::<i64>() {
        return Ok(seconds);
    }
    if let Ok(seconds) = value.extract::<f64>()
        && seconds.is_finite()
    {
        return Ok(seconds.floor() as i64);
    }
    Err(PyTypeError::new_err(
        "expires_at must be unix seconds (int or float) or an aware datetime",
    ))
}

#[cfg_attr(feature = "stub-gen", pyo3_stub_gen_derive::gen_stub_pymethods)]
#[cfg_attr(not(feature = "stub-gen"), pyo3_stub_gen_derive::remove_gen_stub)]
#[pymethods]
impl PyTokenSet {
    /// Builds a token set (e.g. from tokens the app obtained elsewhere). Validated like
    /// `from_json`; `scopes` default to none, `token_type` to `"Bearer"`.
    #[new]
    #[pyo3(signature = (access_token, *, expires_at, refresh_token=None, scopes=None, token_type=None))]
    fn new(
        py: Python<'_>,
        access_token: String,
        #[gen_stub(override_type(type_repr = "builtins.int | builtins.float | datetime.datetime", imports = ("builtins", "datetime")))]
        expires_at: &Bound<'_, PyAny>,
        refresh_token: Option<String>,
        scopes: Option<Vec<String>>,
        token_type: Option<String>,
    ) -> PyResult<Self> {
        let tokens = TokenSet {
            schema_version: TOKEN_SET_SCHEMA_VERSION,
            access_token: AccessToken::new(access_token),
            refresh_token: refresh_token.map(RefreshToken::new),
            expires_at: unix_seconds(expires_at)?,
            scopes: scopes.unwrap_or_default(),
            token_type: token_type.unwrap_or_else(|| "Bearer".into()),
        };
        // The core's reader is the one place that decides what a usable token set is.
        TokenSet::from_json(&tokens.to_json())
            .map(PyTokenSet)
            .map_err(|e| to_pyerr(py, e))
    }

    /// Reads what `to_json()` wrote; `InvalidInputError` for anything else.
    #[staticmethod]
    fn from_json(py: Python<'_>, json: &str) -> PyResult<Self> {
        TokenSet::from_json(json)
            .map(PyTokenSet)
            .map_err(|e| to_pyerr(py, e))
    }

    /// The JSON form for the host's storage. It contains the tokens: store it like a password.
    fn to_json(&self) -> String {
        self.0.to_json()
    }

    /// The bearer token. Handle it like a password.
    #[getter]
    fn access_token(&self) -> &str {
        self.0.access_token.secret()
    }

    /// The refresh token, if enduco issued one. Handle it like a password.
    #[getter]
    fn refresh_token(&self) -> Option<&str> {
        self.0.refresh_token.as_ref().map(|t| t.secret())
    }

    /// When the access token expires (aware UTC datetime).
    #[getter]
    fn expires_at(&self) -> PyResult<jiff::Timestamp> {
        instant(self.0.expires_at)
    }

    /// `expires_at` as unix seconds.
    #[getter]
    fn expires_at_unix(&self) -> i64 {
        self.0.expires_at
    }

    #[getter]
    fn scopes(&self) -> Vec<String> {
        self.0.scopes.clone()
    }

    /// Whether enduco granted `scope` (`"user_read"`, `"plans_read"`, `"workouts_write"`).
    fn has_scope(&self, py: Python<'_>, scope: &str) -> PyResult<bool> {
        let scope = scope.parse().map_err(|e| to_pyerr(py, e))?;
        Ok(self.0.has_scope(scope))
    }

    #[getter]
    fn token_type(&self) -> &str {
        &self.0.token_type
    }

    #[getter]
    fn schema_version(&self) -> u32 {
        self.0.schema_version
    }

    /// enduco's user id (the access token's `sub`), if the token carries one.
    #[getter]
    fn user_id(&self) -> Option<String> {
        self.0.user_id()
    }

    /// Equal token sets hash alike (a set or dict key, e.g. to deduplicate saves).
    fn __hash__(&self, py: Python<'_>) -> PyResult<isize> {
        PyString::new(py, &self.0.to_json()).hash()
    }

    /// Pickles as its storage JSON (secrets included, as in `to_json`: pickle to where tokens
    /// may be kept, never to a log).
    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<(Bound<'py, PyAny>, (String,))> {
        let from_json = py.get_type::<PyTokenSet>().getattr("from_json")?;
        Ok((from_json, (self.0.to_json(),)))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let redacted = PyString::new(py, "[redacted]").into_any();
        let fields = [
            ("user_id", self.user_id().into_bound_py_any(py)?),
            ("scopes", self.scopes().into_bound_py_any(py)?),
            ("expires_at", self.expires_at()?.into_bound_py_any(py)?),
            ("token_type", self.token_type().into_bound_py_any(py)?),
            ("access_token", redacted.clone()),
            (
                "refresh_token",
                match self.0.refresh_token {
                    Some(_) => redacted,
                    None => py.None().into_bound(py),
                },
            ),
        ];
        repr_of("TokenSet", &fields)
    }
}

/// A started authorization: open `url` in the user's browser and keep this object (or its
/// `state` and `code_verifier`) until the callback arrives.
#[cfg_attr(
    feature = "stub-gen",
    pyo3_stub_gen_derive::gen_stub_pyclass(module = "enduco._enduco")
)]
#[pyclass(name = "AuthorizationRequest", module = "enduco", frozen, eq)]
#[derive(Clone, PartialEq)]
pub struct PyAuthorizationRequest(pub enduco::AuthorizationRequest);

#[cfg_attr(feature = "stub-gen", pyo3_stub_gen_derive::gen_stub_pymethods)]
#[cfg_attr(not(feature = "stub-gen"), pyo3_stub_gen_derive::remove_gen_stub)]
#[pymethods]
impl PyAuthorizationRequest {
    /// Rebuilds a pending request the app kept in its own storage between the redirect and
    /// the callback (`redirect_uri` defaults to `""`).
    #[new]
    #[pyo3(signature = (url, state, code_verifier=None, redirect_uri=None, scopes=None))]
    fn new(
        py: Python<'_>,
        url: &str,
        state: String,
        code_verifier: Option<String>,
        redirect_uri: Option<String>,
        #[gen_stub(override_type(type_repr = "typing.Sequence[builtins.str] | None", imports = ("typing", "builtins")))]
        scopes: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let scopes = match scopes {
            Some(scopes) => crate::client::parse_scopes(py, scopes)?,
            None => Vec::new(),
        };
        let redirect_uri = redirect_uri.unwrap_or_default();
        enduco::AuthorizationRequest::from_parts(url, state, code_verifier, redirect_uri, scopes)
            .map(PyAuthorizationRequest)
            .map_err(|e| to_pyerr(py, e))
    }

    /// The request as JSON for the app's own storage until the callback (verifier included:
    /// keep it where tokens are kept). `AuthorizationRequest.from_json` reads it back.
    fn to_json(&self) -> String {
        self.0.to_json()
    }

    /// Reads what `to_json` wrote (in any language's SDK).
    #[staticmethod]
    fn from_json(py: Python<'_>, json: &str) -> PyResult<Self> {
        enduco::AuthorizationRequest::from_json(json)
            .map(PyAuthorizationRequest)
            .map_err(|e| to_pyerr(py, e))
    }

    #[getter]
    fn url(&self) -> &str {
        self.0.url.as_str()
    }

    #[getter]
    fn state(&self) -> &str {
        &self.0.state
    }

    /// The PKCE verifier (`None` with PKCE off). Keep it server-side only.
    #[getter]
    fn code_verifier(&self) -> Option<&str> {
        self.0.code_verifier.as_ref().map(|v| v.secret())
    }

    #[getter]
    fn redirect_uri(&self) -> &str {
        &self.0.redirect_uri
    }

    #[getter]
    fn scopes(&self) -> Vec<&'static str> {
        self.0.scopes.iter().map(|s| s.as_str()).collect()
    }

    /// Pickles as its storage JSON (the PKCE verifier included, as in `to_json`).
    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<(Bound<'py, PyAny>, (String,))> {
        let from_json = py
            .get_type::<PyAuthorizationRequest>()
            .getattr("from_json")?;
        Ok((from_json, (self.0.to_json(),)))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let fields = [
            ("url", self.url().into_bound_py_any(py)?),
            ("state", self.state().into_bound_py_any(py)?),
            (
                "code_verifier",
                match self.0.code_verifier {
                    Some(_) => PyString::new(py, "[redacted]").into_any(),
                    None => py.None().into_bound(py),
                },
            ),
            ("scopes", self.scopes().into_bound_py_any(py)?),
        ];
        repr_of("AuthorizationRequest", &fields)
    }
}
