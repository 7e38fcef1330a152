//! `enduco login`: the authorization-code flow for a native app (RFC 8252) — PKCE + state,
//! the browser opened on enduco's consent page, the redirect captured on a loopback port.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result};
use axum::extract::{OriginalUri, State};
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

type Pending = Arc<Mutex<Option<oneshot::Sender<String>>>>;

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
    let pending: Pending = Arc::new(Mutex::new(Some(sender)));
    let app = axum::Router::new()
        .route("/callback", get(callback))
        .with_state((pending, redirect_uri.clone()));
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

/// The one request the loopback listener serves: the browser's redirect.
async fn callback(
    State((pending, redirect_uri)): State<(Pending, String)>,
    OriginalUri(uri): OriginalUri,
) -> Html<&'static str> {
    let query = uri.query().map(|q| format!("?{q}")).unwrap_or_default();
    if let Some(sender) = pending.lock().unwrap_or_else(|e| e.into_inner()).take() {
        let _ = sender.send(format!("{redirect_uri}{query}"));
    }
    Html(
        "<!doctype html><title>enduco</title><p>Done. You can close this window and return to the terminal.</p>",
    )
}
