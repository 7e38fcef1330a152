//! `enduco login`: the authorization-code flow for a native app (RFC 8252) — PKCE + state,
//! the browser opened on enduco's consent page, the redirect captured on a loopback port.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result};
use axum::extract::{OriginalUri, State};
use axum::http::StatusCode;
use axum::response::Html;
use axum::routing::get;
use clap::Args;
use enduco::Scope;
use serde_json::json;
use tokio::sync::oneshot;

use crate::{Global, commands, render};

#[derive(Args)]
pub struct LoginArgs {
    /// Loopback port for the redirect (0 = any free port; must match what you registered).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Print the URL instead of opening the browser.
    #[arg(long)]
    no_browser: bool,
    /// Give up after this many seconds without a redirect.
    #[arg(long, default_value_t = 300)]
    timeout: u64,
    /// Scopes to ask for (default: all three).
    #[arg(long, value_delimiter = ',', default_values_t = ["user_read".to_string(), "plans_read".to_string(), "workouts_write".to_string()])]
    scopes: Vec<String>,
}

/// What the loopback listener needs: where to hand the redirect, what it is waiting for.
struct Pending {
    sender: Mutex<Option<oneshot::Sender<String>>>,
    redirect_uri: String,
    request: enduco::AuthorizationRequest,
}

pub async fn run(global: &Global, args: LoginArgs) -> Result<()> {
    let scopes = args
        .scopes
        .iter()
        .map(|s| s.parse::<Scope>())
        .collect::<enduco::Result<Vec<_>>>()?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port))
        .await
        .with_context(|| format!("cannot listen on 127.0.0.1:{}", args.port))?;
    let port = listener.local_addr()?.port();
    let redirect_uri = format!("http://127.0.0.1:{port}/callback");
    let client = commands::client(global, &redirect_uri)?;
    let request = client.authorization_request(&scopes)?;

    let (sender, receiver) = oneshot::channel::<String>();
    let pending = Arc::new(Pending {
        sender: Mutex::new(Some(sender)),
        redirect_uri: redirect_uri.clone(),
        request: request.clone(),
    });
    let app = axum::Router::new()
        .route("/callback", get(callback))
        .with_state(pending);
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    println!("Open this URL to connect enduco:\n{}", request.url);
    if !args.no_browser && webbrowser::open(request.url.as_str()).is_err() {
        eprintln!("(could not open a browser; open the URL above yourself)");
    }
    let callback_url = tokio::time::timeout(Duration::from_secs(args.timeout), receiver)
        .await
        .context("timed out waiting for enduco's redirect")?
        .context("the redirect listener stopped")?;
    server.abort();

    let tokens = client
        .complete_authorization(&request, &callback_url)
        .await?;
    let path = commands::token_location(global)?;
    let session = client
        .connect(commands::token_store(global)?, tokens)
        .await?;
    let user = session.user_id().await?;
    let scopes = session.granted_scopes().await?;
    if global.json {
        render::print_json(&json!({"userId": user, "scopes": scopes, "tokenFile": path}));
    } else {
        println!(
            "Logged in as {user} (scopes: {}); tokens saved to {}",
            scopes.join(" "),
            path
        );
    }
    Ok(())
}

/// The browser's redirect. Any local process can reach a loopback port, so a request whose
/// `state` is not this login's is turned away and the listener keeps waiting for the real one.
async fn callback(
    State(pending): State<Arc<Pending>>,
    OriginalUri(uri): OriginalUri,
) -> (StatusCode, Html<&'static str>) {
    let query = uri.query().map(|q| format!("?{q}")).unwrap_or_default();
    let callback_url = format!("{}{query}", pending.redirect_uri);
    if let Err(enduco::Error::StateMismatch) = pending.request.authorization_code(&callback_url) {
        tracing::warn!("a request to the login listener did not carry this login's state; ignored");
        return (
            StatusCode::BAD_REQUEST,
            Html(
                "<!doctype html><title>enduco</title><p>This link does not belong to the running <code>enduco login</code>.</p>",
            ),
        );
    }
    if let Some(sender) = pending
        .sender
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take()
    {
        let _ = sender.send(callback_url);
    }
    (
        StatusCode::OK,
        Html(
            "<!doctype html><title>enduco</title><p>Done. You can close this window and return to the terminal.</p>",
        ),
    )
}
