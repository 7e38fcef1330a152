//! The core's value types as Python classes: typed read-only attributes, `__repr__`, `__eq__`.
//! Dates become `datetime.date`, instants tz-aware `datetime.datetime` (UTC), enums `str`.

use enduco::PlannedWorkout;
use enduco::{AccessToken, RefreshToken, TOKEN_SET_SCHEMA_VERSION};
use enduco::{
    IntensityZones, Metric, RawResponse, Repeat, ResolvedTarget, Sport, SportZones, Step,
    StepTarget, TimelineSegment, TokenSet, UploadResult, WebhookEvent, Zone,
};
use pyo3::IntoPyObjectExt;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDateTime, PyString};

use crate::errors::to_pyerr;

/// `name(field=repr, …)` from Python's own `repr` of each value.
fn repr_of(py: Python<'_>, name: &str, fields: &[(&str, Bound<'_, PyAny>)]) -> PyResult<String> {
    let _ = py;
    let mut out = format!("{name}(");
    for (i, (field, value)) in fields.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(field);
        out.push('=');
        out.push_str(&value.repr()?.extract::<String>()?);
    }
    out.push(')');
    Ok(out)
}

/// A unix-seconds instant as an aware UTC `datetime`.
fn instant(seconds: i64) -> PyResult<jiff::Timestamp> {
    jiff::Timestamp::from_second(seconds)
        .map_err(|e| PyValueError::new_err(format!("instant out of range: {e}")))
}

/// Declares a frozen wrapper class over a core value with one getter per listed field (the
/// expression, of the Rust type given, sees the core value as `$v` and the interpreter as `$p`),
/// a `__repr__` listing the same fields, `__eq__` from the core's `PartialEq`, and optional
/// extra methods. The doc comments become the stub's docstrings.
macro_rules! model {
    (
        $(#[$meta:meta])*
        $py_name:literal => $name:ident($inner:ty) |$v:ident, $p:ident| {
            $($field:ident: $ty:ty = $expr:expr),* $(,)?
        }
        $(methods { $($extra:tt)* })?
    ) => {
        $(#[$meta])*
        #[cfg_attr(feature = "stub-gen", pyo3_stub_gen_derive::gen_stub_pyclass(module = "enduco._enduco"))]
        #[pyclass(name = $py_name, module = "enduco", frozen, eq)]
        #[derive(Clone, PartialEq)]
        pub struct $name(pub $inner);

        #[cfg_attr(feature = "stub-gen", pyo3_stub_gen_derive::gen_stub_pymethods)]
        #[cfg_attr(not(feature = "stub-gen"), pyo3_stub_gen_derive::remove_gen_stub)]
        #[pymethods]
        impl $name {
            $(
                #[getter]
                fn $field<'py>(&self, $p: Python<'py>) -> $ty {
                    let _ = $p;
                    let $v = &self.0;
                    $expr
                }
            )*

            fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
                let fields: Vec<(&str, Bound<'_, PyAny>)> = vec![
                    $((stringify!($field), self.$field(py).into_bound_py_any(py)?)),*
                ];
                repr_of(py, $py_name, &fields)
            }

            $($($extra)*)?
        }
    };
}

fn zones_list(zones: &[Zone]) -> Vec<PyZone> {
    zones.iter().cloned().map(PyZone).collect()
}

fn steps_list(steps: &[Step]) -> Vec<PyStep> {
    steps.iter().cloned().map(PyStep).collect()
}

model! {
    /// One zone of a sport/metric table.
    "Zone" => PyZone(Zone) |z, py| {
        index: u32 = z.index,
        name: Option<String> = z.name.clone(),
        lower: Option<f64> = z.lower,
        upper: Option<f64> = z.upper,
    }
}

model! {
    /// The zone table of one sport and metric.
    "SportZones" => PySportZones(SportZones) |z, py| {
        sport: &'static str = z.sport.as_str(),
        metric: &'static str = z.metric.as_str(),
        unit: String = z.unit.clone(),
        threshold: Option<f64> = z.threshold,
        zones: Vec<PyZone> = zones_list(&z.zones),
    }
}

model! {
    /// The user's intensity zones per sport and metric.
    "IntensityZones" => PyIntensityZones(IntensityZones) |z, py| {
        user_id: String = z.user_id.clone(),
        updated_at: Option<jiff::Timestamp> = z.updated_at,
        zones: Vec<PySportZones> = z.zones.iter().cloned().map(PySportZones).collect(),
    }
    methods {
        /// The table for `sport` and `metric` (e.g. `"cycling"`, `"power"`), or `None`.
        fn for_sport(&self, sport: &str, metric: &str) -> Option<PySportZones> {
            self.0
                .for_sport(Sport::from_wire(sport), Metric::from_wire(metric))
                .cloned()
                .map(PySportZones)
        }

        /// A step target in absolute numbers for `sport`, or `None` when it cannot be resolved.
        fn resolve(
            &self,
            py: Python<'_>,
            sport: &str,
            target: &PyStepTarget,
        ) -> Option<PyResolvedTarget> {
            let sport = Sport::from_wire(sport);
            py.detach(|| self.0.resolve(sport, &target.0)).map(PyResolvedTarget)
        }
    }
}

model! {
    /// A target of a workout step: a zone index or a lower/upper range in `unit`.
    "StepTarget" => PyStepTarget(StepTarget) |t, py| {
        metric: &'static str = t.metric.as_str(),
        zone: Option<u32> = t.zone,
        lower: Option<f64> = t.lower,
        upper: Option<f64> = t.upper,
        unit: Option<String> = t.unit.clone(),
    }
}

model! {
    /// A step target in absolute numbers.
    "ResolvedTarget" => PyResolvedTarget(ResolvedTarget) |t, py| {
        metric: &'static str = t.metric.as_str(),
        lower: Option<f64> = t.lower,
        upper: Option<f64> = t.upper,
        unit: String = t.unit.clone(),
    }
}

model! {
    /// A repeated block of steps.
    "Repeat" => PyRepeat(Repeat) |r, py| {
        count: u32 = r.count,
        steps: Vec<PyStep> = steps_list(&r.steps),
    }
}

model! {
    /// One step of a planned workout (`kind`: warmup, active, recovery, cooldown, rest, repeat,
    /// other).
    "Step" => PyStep(Step) |s, py| {
        kind: &'static str = s.kind.as_str(),
        duration_seconds: Option<u32> = s.duration_seconds,
        distance_meters: Option<f64> = s.distance_meters,
        target: Option<PyStepTarget> = s.target.clone().map(PyStepTarget),
        repeat: Option<PyRepeat> = s.repeat.clone().map(PyRepeat),
    }
}

model! {
    /// One segment of a workout's flattened timeline.
    "TimelineSegment" => PyTimelineSegment(TimelineSegment) |s, py| {
        index: u32 = s.index,
        kind: &'static str = s.kind.as_str(),
        start_offset_seconds: Option<u32> = s.start_offset_seconds,
        duration_seconds: Option<u32> = s.duration_seconds,
        distance_meters: Option<f64> = s.distance_meters,
        target: Option<PyStepTarget> = s.target.clone().map(PyStepTarget),
        resolved: Option<PyResolvedTarget> = s.resolved.clone().map(PyResolvedTarget),
    }
}

model! {
    /// A planned workout on the athlete's local calendar `date`.
    "PlannedWorkout" => PyPlannedWorkout(PlannedWorkout) |w, py| {
        id: String = w.id.clone(),
        date: jiff::civil::Date = w.date,
        start_time: Option<jiff::Timestamp> = w.start_time,
        time_zone: String = w.time_zone.clone(),
        sport: &'static str = w.sport.as_str(),
        title: String = w.title.clone(),
        description: Option<String> = w.description.clone(),
        duration_seconds: Option<u32> = w.duration_seconds,
        distance_meters: Option<f64> = w.distance_meters,
        load: Option<f64> = w.load,
        steps: Vec<PyStep> = steps_list(&w.steps),
    }
    methods {
        /// True for a rest day (no steps, duration, distance or load).
        #[getter]
        fn is_rest_day(&self) -> bool {
            self.0.is_rest_day()
        }

        /// The start time in the plan's own time zone, or `None`.
        fn local_start(&self) -> Option<jiff::Zoned> {
            self.0.local_start()
        }

        /// The steps flattened into segments (repeats unrolled), with targets resolved
        /// against `zones` when given. Bounded work (segments emitted and steps visited); a
        /// plan past the bounds comes back truncated — `timeline_checked` says so. The GIL is
        /// released while it runs.
        #[pyo3(signature = (zones=None))]
        fn timeline(
            &self,
            py: Python<'_>,
            zones: Option<PyRef<'_, PyIntensityZones>>,
        ) -> Vec<PyTimelineSegment> {
            self.checked(py, zones).0
        }

        /// `(timeline, truncated)`: the same segments, and whether the plan was too large
        /// (hostile or broken) to unroll completely.
        #[pyo3(signature = (zones=None))]
        fn timeline_checked(
            &self,
            py: Python<'_>,
            zones: Option<PyRef<'_, PyIntensityZones>>,
        ) -> (Vec<PyTimelineSegment>, bool) {
            self.checked(py, zones)
        }

        /// The workout as a FIT workout file (file type 5) for Garmin, Wahoo and Hammerhead
        /// devices; `zones` resolve zone targets to bounds (else FIT zone numbers). A step
        /// FIT cannot hold raises `InvalidInputError` naming the step.
        #[pyo3(signature = (zones=None))]
        fn to_fit_workout<'py>(
            &self,
            py: Python<'py>,
            zones: Option<PyRef<'_, PyIntensityZones>>,
        ) -> PyResult<Bound<'py, PyBytes>> {
            let zones = zones.as_deref().map(|z| &z.0);
            let bytes = py
                .detach(|| self.0.to_fit_workout(zones))
                .map_err(|e| to_pyerr(py, e))?;
            Ok(PyBytes::new(py, &bytes))
        }

        /// The workout as ZWO (Zwift workout XML); power as a fraction of the FTP in `zones`.
        #[pyo3(signature = (zones=None))]
        fn to_zwo(&self, py: Python<'_>, zones: Option<PyRef<'_, PyIntensityZones>>) -> PyResult<String> {
            let zones = zones.as_deref().map(|z| &z.0);
            py.detach(|| self.0.to_zwo(zones)).map_err(|e| to_pyerr(py, e))
        }

        /// The workout as an ERG file (minutes, watts).
        #[pyo3(signature = (zones=None))]
        fn to_erg(&self, py: Python<'_>, zones: Option<PyRef<'_, PyIntensityZones>>) -> PyResult<String> {
            let zones = zones.as_deref().map(|z| &z.0);
            py.detach(|| self.0.to_erg(zones)).map_err(|e| to_pyerr(py, e))
        }

        /// The workout as an MRC file (minutes, percent of the FTP in `zones`).
        #[pyo3(signature = (zones=None))]
        fn to_mrc(&self, py: Python<'_>, zones: Option<PyRef<'_, PyIntensityZones>>) -> PyResult<String> {
            let zones = zones.as_deref().map(|z| &z.0);
            py.detach(|| self.0.to_mrc(zones)).map_err(|e| to_pyerr(py, e))
        }
    }
}

model! {
    /// enduco's answer to an upload; `duplicate` is true when enduco already had the file.
    "UploadResult" => PyUploadResult(UploadResult) |r, py| {
        id: String = r.id.clone(),
        status: String = r.status.clone(),
        duplicate: bool = r.duplicate,
    }
}

model! {
    /// A successful answer to `Session.request`.
    "RawResponse" => PyRawResponse(RawResponse) |r, py| {
        status: u16 = r.status,
        content_type: Option<String> = r.content_type.clone(),
        body: Py<PyBytes> = PyBytes::new(py, &r.body).unbind(),
    }
    methods {
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
            py.import("json")?.call_method1("loads", (PyBytes::new(py, &self.0.body),))
        }
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
        match &self.event {
            WebhookEvent::PlanChanged { from, .. } => *from,
            _ => None,
        }
    }

    /// Last day of the changed window (plan_changed), if given.
    #[getter]
    fn date_to(&self) -> Option<jiff::civil::Date> {
        match &self.event {
            WebhookEvent::PlanChanged { to, .. } => *to,
            _ => None,
        }
    }

    #[getter]
    fn occurred_at(&self) -> Option<jiff::Timestamp> {
        match &self.event {
            WebhookEvent::UserDeregistered { occurred_at, .. }
            | WebhookEvent::PlanChanged { occurred_at, .. } => *occurred_at,
            _ => None,
        }
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
        repr_of(py, "WebhookEvent", &fields)
    }
}

// The constructors' stubs, written out: the runtime signature shows the Rust default
// expressions (`Vec::new()`, `"Bearer"`, `String::new()`) as `...`, and stubtest compares them.
#[cfg(feature = "stub-gen")]
pyo3_stub_gen::inventory::submit! {
    pyo3_stub_gen::derive::gen_methods_from_python! {
        r#"
        import datetime
        import typing

        class PyTokenSet:
            def __new__(
                cls,
                access_token: str,
                *,
                expires_at: int | float | datetime.datetime,
                refresh_token: str | None = None,
                scopes: typing.Sequence[str] = ...,
                token_type: str = ...,
            ) -> TokenSet:
                """Builds a token set (e.g. from tokens the app obtained elsewhere). Validated
                like ``from_json``; ``scopes`` default to none, ``token_type`` to ``"Bearer"``."""
        "#
    }
}

#[cfg(feature = "stub-gen")]
pyo3_stub_gen::inventory::submit! {
    pyo3_stub_gen::derive::gen_methods_from_python! {
        r#"
        import typing

        class PyAuthorizationRequest:
            def __new__(
                cls,
                url: str,
                state: str,
                code_verifier: str | None = None,
                redirect_uri: str = ...,
                scopes: typing.Sequence[str] | None = None,
            ) -> AuthorizationRequest:
                """Rebuilds a pending request the app kept in its own storage between the
                redirect and the callback (``redirect_uri`` defaults to ``""``)."""
        "#
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
    /// `from_json`.
    #[new]
    #[gen_stub(skip)] // written out above: the runtime shows the Rust defaults as `...`
    #[pyo3(signature = (access_token, *, expires_at, refresh_token=None, scopes=Vec::new(), token_type=String::from("Bearer")))]
    fn new(
        py: Python<'_>,
        access_token: String,
        expires_at: &Bound<'_, PyAny>,
        refresh_token: Option<String>,
        scopes: Vec<String>,
        token_type: String,
    ) -> PyResult<Self> {
        let tokens = TokenSet {
            schema_version: TOKEN_SET_SCHEMA_VERSION,
            access_token: AccessToken::new(access_token),
            refresh_token: refresh_token.map(RefreshToken::new),
            expires_at: unix_seconds(expires_at)?,
            scopes,
            token_type,
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
        repr_of(py, "TokenSet", &fields)
    }
}

/// A started authorization: open `url` in the user's browser and keep this object (or its
/// `state` and `code_verifier`) until the callback arrives.
#[cfg_attr(
    feature = "stub-gen",
    pyo3_stub_gen_derive::gen_stub_pyclass(module = "enduco._enduco")
)]
#[pyclass(name = "AuthorizationRequest", module = "enduco", frozen, eq)]
#[derive(Clone)]
pub struct PyAuthorizationRequest(pub enduco::AuthorizationRequest);

impl PartialEq for PyAuthorizationRequest {
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (&self.0, &other.0);
        a.url == b.url
            && a.state == b.state
            && a.code_verifier == b.code_verifier
            && a.redirect_uri == b.redirect_uri
            && a.scopes == b.scopes
    }
}

#[cfg_attr(feature = "stub-gen", pyo3_stub_gen_derive::gen_stub_pymethods)]
#[cfg_attr(not(feature = "stub-gen"), pyo3_stub_gen_derive::remove_gen_stub)]
#[pymethods]
impl PyAuthorizationRequest {
    /// Rebuilds a pending request the app kept in its own storage between the redirect and
    /// the callback.
    #[new]
    #[gen_stub(skip)] // written out above: the runtime shows the Rust defaults as `...`
    #[pyo3(signature = (url, state, code_verifier=None, redirect_uri=String::new(), scopes=None))]
    fn new(
        py: Python<'_>,
        url: &str,
        state: String,
        code_verifier: Option<String>,
        redirect_uri: String,
        scopes: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let scopes = match scopes {
            Some(scopes) => crate::client::parse_scopes(py, scopes)?,
            None => Vec::new(),
        };
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
        repr_of(py, "AuthorizationRequest", &fields)
    }
}

impl PyPlannedWorkout {
    /// The core's `timeline_checked`, run with the GIL released (it may visit up to the
    /// core's step budget).
    fn checked(
        &self,
        py: Python<'_>,
        zones: Option<PyRef<'_, PyIntensityZones>>,
    ) -> (Vec<PyTimelineSegment>, bool) {
        let zones = zones.as_deref().map(|z| &z.0);
        let checked = py.detach(|| self.0.timeline_checked(zones));
        (
            checked
                .segments
                .into_iter()
                .map(PyTimelineSegment)
                .collect(),
            checked.truncated,
        )
    }
}
