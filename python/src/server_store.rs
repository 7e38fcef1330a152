//! The core's PostgreSQL and Redis token stores (features `postgres` and `redis`), for
//! backends: one `PostgresTokenStores`/`RedisTokenStores` per app holds the connection pool,
//! shared by every user's store; `for_user(key)` gives a user's store, which is the core's own
//! `TokenStore` — sessions call it directly, with no Python code in between, and its refresh
//! lock is the core's (a lease row in PostgreSQL, `SET NX PX` in Redis). The app's own
//! `load`/`save`/`clear` calls come blocking or as coroutines (`*_async`).
//!
//! The connection URL may carry a password: it is parsed here and never kept as text, so no
//! `repr` or message can show it.

use std::sync::Arc;

use enduco::TokenStore;
use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::errors::to_pyerr;
use crate::models::PyTokenSet;
use crate::runtime::{coroutine, in_runtime, wait};

/// `'text'` as Python would quote it.
fn quoted(py: Python<'_>, text: &str) -> PyResult<String> {
    PyString::new(py, text).repr()?.extract()
}

/// One user's store class: the core store, the key the app chose, blocking `load`/`save`/
/// `clear` for the app's own use (sessions need none of them).
macro_rules! user_store {
    ($(#[$meta:meta])* $py_name:literal => $name:ident) => {
        $(#[$meta])*
        #[cfg_attr(feature = "stub-gen", pyo3_stub_gen_derive::gen_stub_pyclass(module = "enduco._enduco"))]
        #[pyclass(name = $py_name, module = "enduco", frozen)]
        pub struct $name {
            pub(crate) inner: Arc<dyn TokenStore>,
            key: String,
        }

        #[cfg_attr(feature = "stub-gen", pyo3_stub_gen_derive::gen_stub_pymethods)]
        #[cfg_attr(not(feature = "stub-gen"), pyo3_stub_gen_derive::remove_gen_stub)]
        #[pymethods]
        impl $name {
            /// The user key the app chose.
            #[getter]
            fn key(&self) -> String {
                self.key.clone()
            }

            fn load(&self, py: Python<'_>) -> PyResult<Option<PyTokenSet>> {
                let store = self.inner.clone();
                wait(py, async move { store.load().await }).map(|t| t.map(PyTokenSet))
            }

            fn save(&self, py: Python<'_>, tokens: PyRef<'_, PyTokenSet>) -> PyResult<()> {
                let store = self.inner.clone();
                let tokens = tokens.0.clone();
                wait(py, async move { store.save(&tokens).await })
            }

            fn clear(&self, py: Python<'_>) -> PyResult<()> {
                let store = self.inner.clone();
                wait(py, async move { store.clear().await })
            }

            /// `load()` as a coroutine (asyncio apps; and host stores wrapping this one,
            /// whose methods may not make blocking SDK calls).
            #[gen_stub(override_return_type(type_repr = "typing.Coroutine[typing.Any, typing.Any, TokenSet | None]", imports = ("typing")))]
            fn load_async<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                let store = self.inner.clone();
                coroutine(py, concat!($py_name, ".load_async"), move |_| async move {
                    store.load().await.map(|t| t.map(PyTokenSet))
                })
            }

            #[gen_stub(override_return_type(type_repr = "typing.Coroutine[typing.Any, typing.Any, None]", imports = ("typing")))]
            fn save_async<'py>(
                &self,
                py: Python<'py>,
                tokens: PyRef<'_, PyTokenSet>,
            ) -> PyResult<Bound<'py, PyAny>> {
                let store = self.inner.clone();
                let tokens = tokens.0.clone();
                coroutine(py, concat!($py_name, ".save_async"), move |_| async move {
                    store.save(&tokens).await
                })
            }

            #[gen_stub(override_return_type(type_repr = "typing.Coroutine[typing.Any, typing.Any, None]", imports = ("typing")))]
            fn clear_async<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                let store = self.inner.clone();
                coroutine(py, concat!($py_name, ".clear_async"), move |_| async move {
                    store.clear().await
                })
            }

            fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
                Ok(format!(concat!($py_name, "(key={})"), quoted(py, &self.key)?))
            }
        }
    };
}

user_store! {
    /// One user's tokens in PostgreSQL; made by `PostgresTokenStores.for_user`.
    "PostgresTokenStore" => PyPostgresTokenStore
}

user_store! {
    /// One user's tokens in Redis; made by `RedisTokenStores.for_user`.
    "RedisTokenStore" => PyRedisTokenStore
}

/// One app's stores class: the core's stores, `migrate` (blocking and as a coroutine),
/// `for_user(key)`, and the class's own constructor and methods.
macro_rules! server_stores {
    (
        $(#[$meta:meta])*
        $py_name:literal => $name:ident($inner:ty $(, $field:ident: $field_ty:ty)*) for $user:ident
        { $($methods:tt)* }
    ) => {
        $(#[$meta])*
        #[cfg_attr(feature = "stub-gen", pyo3_stub_gen_derive::gen_stub_pyclass(module = "enduco._enduco"))]
        #[pyclass(name = $py_name, module = "enduco", frozen)]
        pub struct $name {
            inner: $inner,
            $($field: $field_ty,)*
        }

        #[cfg_attr(feature = "stub-gen", pyo3_stub_gen_derive::gen_stub_pymethods)]
        #[cfg_attr(not(feature = "stub-gen"), pyo3_stub_gen_derive::remove_gen_stub)]
        #[pymethods]
        impl $name {
            $($methods)*

            /// Creates what the stores need (PostgreSQL: the SDK's tables; Redis: nothing).
            /// Idempotent, safe when several processes run it at once. Blocks until done.
            fn migrate(&self, py: Python<'_>) -> PyResult<()> {
                let stores = self.inner.clone();
                wait(py, async move { stores.migrate().await })
            }

            /// `migrate()` as a coroutine, for asyncio apps.
            #[gen_stub(override_return_type(type_repr = "typing.Coroutine[typing.Any, typing.Any, None]", imports = ("typing")))]
            fn migrate_async<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                let stores = self.inner.clone();
                coroutine(py, concat!($py_name, ".migrate_async"), move |_| async move {
                    stores.migrate().await
                })
            }

            /// The store of one user, under a key the app chooses (its own user id, say).
            fn for_user(&self, key: String) -> $user {
                $user {
                    inner: Arc::new(self.inner.for_user(key.clone())),
                    key,
                }
            }
        }
    };
}

server_stores! {
    /// `PostgresTokenStores(url)`: the app's connection pool (connects on first use).
    "PostgresTokenStores" => PyPostgresTokenStores(enduco::PostgresTokenStores) for PyPostgresTokenStore {
        #[new]
        fn new(py: Python<'_>, url: &str) -> PyResult<Self> {
            let inner = in_runtime(|| enduco::PostgresTokenStores::new(url))
                .map_err(|e| to_pyerr(py, e))?;
            Ok(PyPostgresTokenStores { inner })
        }

        fn __repr__(&self) -> &'static str {
            "PostgresTokenStores(url=<redacted>)"
        }
    }
}

server_stores! {
    /// `RedisTokenStores(url, prefix=None)`: the app's connection (connects on first use).
    "RedisTokenStores" => PyRedisTokenStores(enduco::RedisTokenStores, prefix: String) for PyRedisTokenStore {
        #[new]
        #[pyo3(signature = (url, prefix=None))]
        fn new(py: Python<'_>, url: &str, prefix: Option<String>) -> PyResult<Self> {
            let prefix = prefix.unwrap_or_else(|| "enduco:".to_owned());
            let inner = in_runtime(|| enduco::RedisTokenStores::with_prefix(url, &prefix))
                .map_err(|e| to_pyerr(py, e))?;
            Ok(PyRedisTokenStores { inner, prefix })
        }

        /// The prefix of every key (`<prefix>tokens:<user key>`, `<prefix>lock:<user key>`).
        #[getter]
        fn prefix(&self) -> String {
            self.prefix.clone()
        }

        fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
            Ok(format!(
                "RedisTokenStores(prefix={}, url=<redacted>)",
                quoted(py, &self.prefix)?
            ))
        }
    }
}
