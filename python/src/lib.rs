//! `enduco._enduco`: the enduco core exported to Python. This crate only converts — types,
//! errors, sync/async — and makes no decision of its own; the `enduco` package next to it
//! (`python/enduco/`) re-exports everything with type stubs.

use pyo3::prelude::*;

mod client;
mod errors;
mod logging;
mod models;
mod relay;
mod runtime;
mod server_store;
mod session;
mod store;

#[pymodule]
fn _enduco(m: &Bound<'_, PyModule>) -> PyResult<()> {
    logging::install();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<client::PyEnducoClient>()?;
    m.add_class::<client::PyAsyncEnducoClient>()?;
    m.add_class::<session::PySession>()?;
    m.add_class::<session::PyAsyncSession>()?;
    m.add_class::<store::PyMemoryTokenStore>()?;
    m.add_class::<store::PyFileTokenStore>()?;
    m.add_class::<server_store::PyPostgresTokenStores>()?;
    m.add_class::<server_store::PyPostgresTokenStore>()?;
    m.add_class::<server_store::PyRedisTokenStores>()?;
    m.add_class::<server_store::PyRedisTokenStore>()?;
    m.add_class::<models::PyTokenSet>()?;
    m.add_class::<models::PyAuthorizationRequest>()?;
    m.add_class::<models::PyIntensityZones>()?;
    m.add_class::<models::PySportZones>()?;
    m.add_class::<models::PyZone>()?;
    m.add_class::<models::PyPlannedWorkout>()?;
    m.add_class::<models::PyStep>()?;
    m.add_class::<models::PyRepeat>()?;
    m.add_class::<models::PyStepTarget>()?;
    m.add_class::<models::PyResolvedTarget>()?;
    m.add_class::<models::PyTimelineSegment>()?;
    m.add_class::<models::PyUploadResult>()?;
    m.add_class::<models::PyRawResponse>()?;
    m.add_class::<models::PyWebhookEvent>()?;
    m.add_class::<relay::PyTokenRelay>()?;
    m.add_class::<relay::PyRelayResponse>()?;
    m.add("MAX_RELAY_REQUEST_BYTES", enduco::MAX_RELAY_REQUEST_BYTES)?;
    m.add_function(wrap_pyfunction!(client::parse_webhook, m)?)?;
    m.add_function(wrap_pyfunction!(session::check_fit, m)?)?;
    m.add_function(wrap_pyfunction!(runtime::_panic_for_tests, m)?)?;
    m.add_function(wrap_pyfunction!(runtime::_wait_for_sdk_threads, m)?)?;
    // At interpreter exit, before it finalizes: let SDK threads inside Python finish first.
    m.py()
        .import("atexit")?
        .call_method1("register", (m.getattr("_wait_for_sdk_threads")?,))?;
    Ok(())
}
