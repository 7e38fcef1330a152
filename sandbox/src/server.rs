//! Assembling the routes and running the server.

use std::io::{self, Write};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::SandboxConfig;
use crate::net::{Peer, SandboxListener};
use crate::state::AppState;
use crate::util::json_error;
use crate::{api, control, faults, oauth};

fn app(state: Arc<AppState>) -> Router {
    let public = Router::new()
        .merge(oauth::router())
        .merge(api::router())
        .fallback(|| async { json_error(StatusCode::NOT_FOUND, "not_found", "No such endpoint.") })
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            faults::observe,
        ));
    // Nested after the layer above, so control calls are neither logged nor faulted.
    public
        .nest("/_sandbox", control::router())
        .with_state(state)
}

/// A running sandbox on 127.0.0.1. Dropping it (or [`shutdown`](Self::shutdown)) stops it.
pub struct Sandbox {
    url: String,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Sandbox {
    /// Starts with [`SandboxConfig::default`] on a free port.
    pub async fn start() -> io::Result<Sandbox> {
        Self::start_with(SandboxConfig::default()).await
    }

    /// Starts on `127.0.0.1:config.port` (0 = a free port). Must be called inside a Tokio
    /// runtime, which then runs the server: a test that blocks its thread (child processes,
    /// blocking I/O) needs a multi-thread runtime or the sandbox cannot answer meanwhile.
    pub async fn start_with(config: SandboxConfig) -> io::Result<Sandbox> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, config.port)).await?;
        let addr = listener.local_addr()?;
        let url = format!("http://127.0.0.1:{}", addr.port());
        let state = Arc::new(AppState::new(config, url.clone())?);
        let (stop, stopped) = oneshot::channel::<()>();
        let server = axum::serve(
            SandboxListener(listener),
            app(state).into_make_service_with_connect_info::<Peer>(),
        )
        .with_graceful_shutdown(async move {
            let _ = stopped.await;
        });
        let task = tokio::spawn(async move {
            if let Err(e) = server.await {
                tracing::error!("sandbox server failed: {e}");
            }
        });
        tracing::info!("enduco sandbox listening on {url}");
        Ok(Sandbox {
            url,
            addr,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting connections and waits (up to 5 s) for requests in flight to finish.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(Duration::from_secs(5), &mut task)
                .await
                .is_err()
        {
            task.abort();
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        // Graceful: the listener closes at once, open connections finish in the background.
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox").field("url", &self.url).finish()
    }
}

/// Runs a sandbox until Ctrl-C (or SIGTERM). Prints `listening on http://127.0.0.1:PORT` as
/// the first line on stdout and flushes it, for test harnesses that spawn the binary.
pub async fn serve_until_ctrl_c(config: SandboxConfig) -> io::Result<()> {
    let sandbox = Sandbox::start_with(config).await?;
    {
        let mut out = io::stdout().lock();
        writeln!(out, "listening on {}", sandbox.url())?;
        out.flush()?;
    }
    wait_for_signal().await;
    sandbox.shutdown().await;
    Ok(())
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
