//! `EnducoClient` (blocking) and `AsyncEnducoClient` (coroutines). The keyword arguments
//! mirror the core's `ClientOptions`, which turns them into a configuration.

use std::future::Future;

use enduco::{ClientOptions, EnducoClient, Scope};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString};
use pyo3_async_runtimes::TaskLocals;

use crate::errors::to_pyerr;
use crate::models::{PyAuthorizationRequest, PyTokenSet, PyWebhookEvent};
use crate::runtime::{Coroutine, blocking_and_async, in_runtime, typed_coroutine, wait};
use crate::session::{PyAsyncSession, PySession};
use crate::store::{ResolvedStore, resolve_store};

/// Scope names (a list of `"user_read"`, …) as the core's scopes. A bare string is the usual
/// slip (`authorization_request("user_read")`): Python would iterate its characters, so it is a
/// `TypeError` that says what to pass.
pub(crate) fn parse_scopes(py: Python<'_>, scopes: &Bound<'_, PyAny>) -> PyResult<Vec<Scope>> {
    let wrong = || {
        let kind = scopes
            .get_type()
            .name()
            .map_or_else(|_| "?".to_owned(), |n| n.to_string());
        PyTypeError::new_err(format!(
            "scopes must be a list of str, e.g. [\"user_read\", \"plans_read\"], not {kind}"
        ))
    };
    if scopes.is_instance_of::<PyString>() {
        return Err(wrong());
    }
    let names: Vec<String> = scopes.extract().map_err(|_| wrong())?;
    names
        .iter()
        .map(|s| s.parse::<Scope>().map_err(|e| to_pyerr(py, e)))
        .collect()
}

/// The client for the three required arguments and the keyword options, which go to the
/// core as one JSON object (the core declares the options and their names). A wrong name or
/// type is a `TypeError`, as for any Python call; a value out of range `InvalidInputError`.
fn build_client(
    py: Python<'_>,
    client_id: String,
    client_secret: Option<String>,
    redirect_uri: Option<String>,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<EnducoClient> {
    // Optional in the signature only so that a relay client can leave the secret out and still
    // name the redirect URI (`EnducoClient("id", redirect_uri=…, token_relay_url=…)`).
    let redirect_uri = redirect_uri
        .ok_or_else(|| PyTypeError::new_err("missing required argument: 'redirect_uri'"))?;
    let options = core_options(py, options)?;
    let options = ClientOptions {
        client_id,
        // None: relay mode (the core checks there is a relay URL instead).
        client_secret: client_secret.map(Into::into),
        redirect_uri,
        ..options
    };
    in_runtime(|| options.into_config().and_then(EnducoClient::new)).map_err(|e| to_pyerr(py, e))
}

/// Keyword options as the core's `ClientOptions` (shared with `TokenRelay`): a wrong name or
/// type is a `TypeError`, a non-finite number `InvalidInputError`.
pub(crate) fn core_options(
    py: Python<'_>,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<ClientOptions> {
    let json: String = match options {
        Some(options) => {
            // JSON has no NaN or infinity; the core refuses them as numbers of seconds.
            for (name, value) in options.iter() {
                if let Ok(number) = value.extract::<f64>()
                    && !number.is_finite()
                {
                    let message = format!("{name} must be a finite number, not {number}");
                    return Err(to_pyerr(py, enduco::Error::InvalidInput { message }));
                }
            }
            py.import("json")?
                .call_method1("dumps", (options,))?
                .extract()?
        }
        None => "{}".into(),
    };
    ClientOptions::from_json(&json)
        .map_err(|e| PyTypeError::new_err(format!("invalid option: {}", e.message)))
}

/// A webhook body as bytes (`bytes`, `bytearray`, `memoryview` or `str`).
fn body_bytes(body: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    if let Ok(bytes) = body.cast::<PyBytes>() {
        return Ok(bytes.as_bytes().to_vec());
    }
    if let Ok(text) = body.cast::<PyString>() {
        return Ok(text.extract::<String>()?.into_bytes());
    }
    body.py()
        .import("builtins")?
        .getattr("bytes")?
        .call1((body,))
        .and_then(|b| b.extract::<Vec<u8>>())
        .map_err(|_| PyTypeError::new_err("the webhook body must be bytes or str"))
}

/// The event `clear_deregistered_user` acts on: a `WebhookEvent`, or the raw body.
fn webhook_event(event: &Bound<'_, PyAny>) -> PyResult<enduco::WebhookEvent> {
    if let Ok(parsed) = event.cast::<PyWebhookEvent>() {
        return Ok(parsed.get().event.clone());
    }
    Ok(PyWebhookEvent::parse(&body_bytes(event)?).event)
}

/// The deregistered user's store for `clear_deregistered_user`: `store` itself, or what the
/// callable `store(user_id)` returns (`None`: the app does not know the user). Only looked up
/// for a deregistration.
fn deregistered_store(
    event: &enduco::WebhookEvent,
    store: &Bound<'_, PyAny>,
    on_loop: bool,
) -> PyResult<Option<ResolvedStore>> {
    let enduco::WebhookEvent::UserDeregistered { user_id, .. } = event else {
        return Ok(None);
    };
    if store.is_none() {
        return Ok(None);
    }
    let is_store = store.hasattr("load")?;
    let store = if !is_store && store.is_callable() {
        store.call1((user_id.as_str(),))?
    } else {
        store.clone()
    };
    if store.is_none() {
        return Ok(None);
    }
    resolve_store(&store, on_loop).map(Some)
}

/// Reads a webhook body enduco POSTed to the app. Never raises for content: what the SDK does
/// not recognise comes back with `type == "unknown"` and the body in `raw`.
#[cfg_attr(
    feature = "stub-gen",
    pyo3_stub_gen_derive::gen_stub_pyfunction(module = "enduco._enduco")
)]
#[cfg_attr(not(feature = "stub-gen"), pyo3_stub_gen_derive::remove_gen_stub)]
#[pyfunction]
pub(crate) fn parse_webhook(
    #[gen_stub(override_type(type_repr = "_Body", imports = ("typing")))] body: &Bound<'_, PyAny>,
) -> PyResult<PyWebhookEvent> {
    Ok(PyWebhookEvent::parse(&body_bytes(body)?))
}

fn client_repr(py: Python<'_>, name: &str, client: &EnducoClient) -> PyResult<String> {
    let config = client.config();
    let quote = |text: &str| PyString::new(py, text).repr()?.extract::<String>();
    let relay = match &config.token_relay {
        Some(url) => format!(", token_relay_url={}", quote(url.as_str())?),
        None => String::new(),
    };
    Ok(format!(
        "{name}(environment={}, client_id={}, redirect_uri={}{relay})",
        quote(config.environment.base_url().as_str().trim_end_matches('/'))?,
        quote(&config.client_id)?,
        quote(&config.redirect_uri)?,
    ))
}

// Both clients' constructors take the core's `ClientOptions` as keyword arguments
// (`**options`, sent to the core as JSON); the stub types them with the `TypedDict` generated
// from the core into `enduco/_models.py`. Written once for `EnducoClient` (returning `Self`),
// then submitted for `AsyncEnducoClient` too.
#[cfg(feature = "stub-gen")]
const CONSTRUCTOR_STUB: pyo3_stub_gen::type_info::PyMethodsInfo = pyo3_stub_gen::derive::gen_methods_from_python! {
    r#"
        import typing_extensions
        import enduco._models

        class PyEnducoClient:
            def __new__(
                cls,
                client_id: str,
                client_secret: str | None = None,
                redirect_uri: str = ...,
                **options: typing_extensions.Unpack[_models._ClientOptions],
            ) -> typing_extensions.Self:
                """Keyword options are the core's ``ClientOptions``, all optional, each documented
                in ``enduco._models._ClientOptions``. Give ``client_secret`` (a backend) or
                ``token_relay_url`` (an app distributed to users, which cannot keep a secret), not
                both and not neither (``InvalidInputError``)."""
        "#
};

#[cfg(feature = "stub-gen")]
pyo3_stub_gen::inventory::submit! { CONSTRUCTOR_STUB }

#[cfg(feature = "stub-gen")]
pyo3_stub_gen::inventory::submit! {
    pyo3_stub_gen::type_info::PyMethodsInfo {
        struct_id: std::any::TypeId::of::<PyAsyncEnducoClient>,
        ..CONSTRUCTOR_STUB
    }
}

/// The entry point: authorize users, exchange codes, open sessions. One per app; every method
/// blocks (releasing the GIL) until done. See `AsyncEnducoClient` for coroutines.
#[cfg_attr(
    feature = "stub-gen",
    pyo3_stub_gen_derive::gen_stub_pyclass(module = "enduco._enduco")
)]
#[pyclass(name = "EnducoClient", module = "enduco", frozen)]
pub struct PyEnducoClient {
    inner: EnducoClient,
}

/// `EnducoClient` with coroutines for everything that talks to enduco; each runs when awaited,
/// on the awaiting asyncio loop.
#[cfg_attr(
    feature = "stub-gen",
    pyo3_stub_gen_derive::gen_stub_pyclass(module = "enduco._enduco")
)]
#[pyclass(name = "AsyncEnducoClient", module = "enduco", frozen)]
pub struct PyAsyncEnducoClient {
    inner: EnducoClient,
}

impl PyAsyncEnducoClient {
    /// A coroutine running `call` on the awaiting loop.
    fn run<'py, T, F>(
        &self,
        py: Python<'py>,
        name: &str,
        call: impl FnOnce(EnducoClient, &TaskLocals) -> F + Send + 'static,
    ) -> PyResult<Coroutine<'py, T>>
    where
        F: Future<Output = enduco::Result<T>> + Send + 'static,
        T: for<'a> IntoPyObject<'a> + Send + 'static,
    {
        let client = self.inner.clone();
        typed_coroutine(py, name, move |locals| call(client, locals))
    }
}

blocking_and_async! {
    impl PyEnducoClient {
        /// A session for the user whose tokens `store` holds (nothing is loaded yet).
        fn session(
            &self,
            #[gen_stub(override_type(type_repr = "_Store", imports = ("typing")))]
            store: &Bound<'_, PyAny>,
        ) -> PyResult<PySession> {
            let (store, _) = resolve_store(store, false)?;
            Ok(PySession {
                inner: in_runtime(|| self.inner.session(store)),
            })
        }

        /// Saves `tokens` into `store`, then returns the user's session.
        fn connect(
            &self,
            py: Python<'_>,
            #[gen_stub(override_type(type_repr = "_Store", imports = ("typing")))]
            store: &Bound<'_, PyAny>,
            tokens: PyRef<'_, PyTokenSet>,
        ) -> PyResult<PySession> {
            let (store, _) = resolve_store(store, false)?;
            let client = self.inner.clone();
            let tokens = tokens.0.clone();
            let inner = wait(py, async move { client.connect(store, tokens).await })?;
            Ok(PySession { inner })
        }

        fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
            client_repr(py, "EnducoClient", &self.inner)
        }
    }
    impl PyAsyncEnducoClient as "AsyncEnducoClient" {
        /// A session for the user whose tokens `store` holds (not a coroutine: nothing is loaded
        /// yet). The store's methods run on the loop of whichever coroutine calls the session.
        fn session(
            &self,
            #[gen_stub(override_type(type_repr = "_Store", imports = ("typing")))]
            store: &Bound<'_, PyAny>,
        ) -> PyResult<PyAsyncSession> {
            let (core_store, adapter) = resolve_store(store, true)?;
            Ok(PyAsyncSession {
                inner: in_runtime(|| self.inner.session(core_store)),
                store: adapter,
            })
        }

        /// Saves `tokens` into `store`, then returns the user's `AsyncSession`.
        fn connect<'py>(
            &self,
            py: Python<'py>,
            #[gen_stub(override_type(type_repr = "_Store", imports = ("typing")))]
            store: &Bound<'_, PyAny>,
            tokens: PyRef<'_, PyTokenSet>,
        ) -> PyResult<Coroutine<'py, PyAsyncSession>> {
            let (core_store, adapter) = resolve_store(store, true)?;
            let tokens = tokens.0.clone();
            self.run(py, "AsyncEnducoClient.connect", move |client, locals| {
                let in_use = adapter.as_ref().map(|adapter| adapter.use_loop(locals));
                async move {
                    let _in_use = in_use;
                    let inner = client.connect(core_store, tokens).await?;
                    Ok(PyAsyncSession {
                        inner,
                        store: adapter,
                    })
                }
            })
        }

        fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
            client_repr(py, "AsyncEnducoClient", &self.inner)
        }
    }
    both {
        #[new]
        // `redirect_uri` is required: its default (shown as `...`) only lets a relay client skip
        // the secret and still name it; `build_client` raises `TypeError` without it. The stub's
        // signature, which types the options, is submitted above.
        #[gen_stub(skip)]
        #[pyo3(signature = (client_id, client_secret=None, redirect_uri=Option::<String>::None, **options))]
        fn new(
            py: Python<'_>,
            client_id: String,
            client_secret: Option<String>,
            redirect_uri: Option<String>,
            options: Option<&Bound<'_, PyDict>>,
        ) -> PyResult<Self> {
            let inner = build_client(py, client_id, client_secret, redirect_uri, options)?;
            Ok(Self { inner })
        }

        /// A URL for the user's browser with a fresh `state` and (unless switched off) PKCE.
        /// No I/O, so not a coroutine on `AsyncEnducoClient` either.
        fn authorization_request(
            &self,
            py: Python<'_>,
            #[gen_stub(override_type(type_repr = "typing.Sequence[str]", imports = ("typing")))]
            scopes: &Bound<'_, PyAny>,
        ) -> PyResult<PyAuthorizationRequest> {
            let scopes = parse_scopes(py, scopes)?;
            self.inner
                .authorization_request(&scopes)
                .map(PyAuthorizationRequest)
                .map_err(|e| to_pyerr(py, e))
        }

        /// Same as the module-level `enduco.parse_webhook`.
        fn parse_webhook(
            &self,
            #[gen_stub(override_type(type_repr = "_Body", imports = ("typing")))]
            body: &Bound<'_, PyAny>,
        ) -> PyResult<PyWebhookEvent> {
            parse_webhook(body)
        }
    }
    calls on EnducoClient {
        /// Checks the callback's state, maps `error=` to an exception, exchanges the code.
        fn complete_authorization(
            py,
            request: PyRef<'_, PyAuthorizationRequest>,
            callback_url: String,
        ) -> PyTokenSet {
            let pending = request.0.clone();
        } => |client, _| async move {
            client
                .complete_authorization(&pending, &callback_url)
                .await
                .map(PyTokenSet)
        };

        /// Exchanges a code the app received itself (pass the request's `code_verifier` with PKCE).
        #[pyo3(signature = (code, code_verifier=None))]
        fn exchange_code(py, code: String, code_verifier: Option<String>) -> PyTokenSet {}
            => |client, _| async move {
                client
                    .exchange_code(&code, code_verifier.as_deref())
                    .await
                    .map(PyTokenSet)
            };

        /// Acts on a deregistration webhook only once enduco confirms it: refreshes the user's
        /// grant through `store` (a token store, or a callable `store(user_id)` returning one or
        /// `None`), clears the store only if enduco answers that the grant is gone, and returns
        /// the cleared user id. A forged or stale event (the grant still refreshes) clears nothing
        /// and returns `None` (logged as a warning), as do other events and unknown users.
        fn clear_deregistered_user(
            py,
            #[gen_stub(override_type(type_repr = "WebhookEvent | _Body", imports = ("typing")))]
            event: &Bound<'_, PyAny>,
            #[gen_stub(override_type(type_repr = "_Store | typing.Callable[[str], _Store | None] | None", imports = ("typing")))]
            store: &Bound<'_, PyAny>,
        ) -> Option<String> {
            let event = webhook_event(event)?;
            let resolved = deregistered_store(&event, store, ON_LOOP)?;
        } => |client, locals| {
            // Async: a host store's methods run on the awaiting loop while the call runs.
            let adapter = resolved.as_ref().and_then(|(_, adapter)| adapter.as_ref());
            let in_use = locals.zip(adapter).map(|(locals, adapter)| adapter.use_loop(locals));
            async move {
                let _in_use = in_use;
                client
                    .clear_deregistered_user(&event, move |_| resolved.map(|(store, _)| store))
                    .await
            }
        };
    }
}
