//! The server half of relay mode: the core's `enduco::TokenRelay` as `enduco._enduco._TokenRelay`.
//! The framework adapters (ASGI, WSGI, the standard-library server) and the `on_tokens` hook
//! are plain Python in `enduco/relay.py`, whose `TokenRelay` subclasses this class.

use enduco::{ClientOptions, RelayResponse, TokenRelay};
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::{PyBytes, PyDict, PyString};

use crate::client::core_options;
use crate::errors::to_pyerr;
use crate::runtime::{coroutine, in_runtime, wait};

/// One relay answer. `body` holds tokens: `repr()` shows its length only.
#[cfg_attr(
    feature = "stub-gen",
    pyo3_stub_gen_derive::gen_stub_pyclass(module = "enduco._enduco")
)]
#[pyclass(name = "RelayResponse", module = "enduco", frozen)]
pub struct PyRelayResponse {
    inner: RelayResponse,
}

#[cfg_attr(feature = "stub-gen", pyo3_stub_gen_derive::gen_stub_pymethods)]
#[cfg_attr(not(feature = "stub-gen"), pyo3_stub_gen_derive::remove_gen_stub)]
#[pymethods]
impl PyRelayResponse {
    #[getter]
    fn status(&self) -> u16 {
        self.inner.status
    }

    /// The headers to send: JSON, never cached, `Allow: POST` on a 405.
    #[getter]
    fn headers(&self) -> Vec<(&'static str, &'static str)> {
        self.inner.headers()
    }

    /// The answer to a request that is not a POST (405); send it without reading the body.
    #[staticmethod]
    fn method_not_allowed() -> Self {
        PyRelayResponse {
            inner: RelayResponse::method_not_allowed(),
        }
    }

    #[getter]
    fn body<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.body)
    }

    /// enduco's user id after a successful code exchange or refresh, else `None`.
    #[getter]
    fn user_id(&self) -> Option<&str> {
        self.inner.user_id.as_deref()
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let user = match &self.inner.user_id {
            Some(user) => PyString::new(py, user).repr()?.extract::<String>()?,
            None => "None".into(),
        };
        Ok(format!(
            "RelayResponse(status={}, body=<{} bytes, redacted>, user_id={user})",
            self.inner.status,
            self.inner.body.len()
        ))
    }
}

// The constructor takes `EnducoClient`'s keyword options (`**options`); the stub names those
// that matter for a relay.
#[cfg(feature = "stub-gen")]
pyo3_stub_gen::inventory::submit! {
    pyo3_stub_gen::derive::gen_methods_from_python! {
        r#"
        import typing
        import typing_extensions

        class PyTokenRelay:
            def __new__(
                cls,
                client_id: str,
                client_secret: str,
                *,
                environment: str | None = None,
                redirect_uri: str | None = None,
                user_agent: str | None = None,
                connect_timeout_seconds: float | None = None,
                request_timeout_seconds: float | None = None,
                max_retries: int | None = None,
                retry_deadline_seconds: float | None = None,
                endpoints: typing.Mapping[str, str] | None = None,
            ) -> typing_extensions.Self:
                """Keyword options are ``EnducoClient``'s (those about enduco's side matter here);
                ``token_relay_url`` is refused (``InvalidInputError``), as is an empty secret."""
        "#
    }
}

/// The relay: holds the client secret, checks each app request and forwards it to enduco.
/// One per backend process (it holds one connection pool); `repr()` never shows the secret.
#[cfg_attr(
    feature = "stub-gen",
    pyo3_stub_gen_derive::gen_stub_pyclass(module = "enduco._enduco")
)]
#[pyclass(name = "_TokenRelay", module = "enduco._enduco", subclass, frozen)]
pub struct PyTokenRelay {
    inner: TokenRelay,
    /// `environment=…, client_id=…` for `repr()`.
    described: String,
}

#[cfg_attr(feature = "stub-gen", pyo3_stub_gen_derive::gen_stub_pymethods)]
#[cfg_attr(not(feature = "stub-gen"), pyo3_stub_gen_derive::remove_gen_stub)]
#[pymethods]
impl PyTokenRelay {
    #[new]
    // The stub's signature, which names the options, is submitted above.
    #[gen_stub(skip)]
    #[pyo3(signature = (client_id, client_secret, **options))]
    fn new(
        py: Python<'_>,
        client_id: String,
        client_secret: String,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let options = ClientOptions {
            client_id,
            client_secret: Some(client_secret.into()),
            ..core_options(py, options)?
        };
        let inner =
            in_runtime(|| TokenRelay::from_options(options)).map_err(|e| to_pyerr(py, e))?;
        let config = inner.config();
        let quote = |text: &str| PyString::new(py, text).repr()?.extract::<String>();
        let described = format!(
            "environment={}, client_id={}",
            quote(config.environment.base_url().as_str().trim_end_matches('/'))?,
            quote(&config.client_id)?
        );
        Ok(PyTokenRelay { inner, described })
    }

    /// Handles one app request and blocks (GIL released) until enduco answered: `path` names
    /// the operation by its last segment (`…/token` or `…/revoke`), `content_type` is the
    /// request's header, `body` at most `MAX_RELAY_REQUEST_BYTES` + 1 bytes of it.
    #[pyo3(signature = (path, content_type, body))]
    fn respond(
        &self,
        py: Python<'_>,
        path: String,
        content_type: Option<String>,
        body: PyBackedBytes,
    ) -> PyResult<PyRelayResponse> {
        let relay = self.inner.clone();
        let body = body.to_vec();
        wait(py, async move {
            let inner = relay.handle(&path, content_type.as_deref(), &body).await;
            Ok(PyRelayResponse { inner })
        })
    }

    /// `respond` as a coroutine, for asyncio servers.
    #[gen_stub(override_return_type(type_repr = "typing.Coroutine[typing.Any, typing.Any, RelayResponse]", imports = ("typing")))]
    #[pyo3(signature = (path, content_type, body))]
    fn respond_async<'py>(
        &self,
        py: Python<'py>,
        path: String,
        content_type: Option<String>,
        body: PyBackedBytes,
    ) -> PyResult<Bound<'py, PyAny>> {
        let relay = self.inner.clone();
        let body = body.to_vec();
        coroutine(py, "TokenRelay.respond_async", move |_| async move {
            let inner = relay.handle(&path, content_type.as_deref(), &body).await;
            Ok(PyRelayResponse { inner })
        })
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let name = slf.get_type().name()?;
        Ok(format!("{name}({})", slf.get().described))
    }
}
