//! `enduco relay`: the token relay of relay mode (docs/relay.md) as a ready-made server, for
//! a partner whose backend is not Python or Node, and for trying `enduco --relay URL login`.
//! It holds the client secret; apps configured with its URL do not.

use anyhow::{Context, Result};
use axum::extract::{Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use clap::Args;
use enduco::{ClientConfig, Environment, MAX_RELAY_REQUEST_BYTES, RelayResponse, TokenRelay};

use crate::Global;

#[derive(Args)]
pub struct RelayArgs {
    /// The address to listen on. Put TLS in front of it anywhere but loopback.
    #[arg(long, default_value = "127.0.0.1")]
    bind: String,
    /// The port (0: any free one; the address is printed as `listening on URL`).
    #[arg(long, default_value_t = 8788)]
    port: u16,
}

/// Serves the relay at every path (the last segment picks `token` or `revoke`) until Ctrl-C.
pub async fn run(global: &Global, args: RelayArgs) -> Result<()> {
    let environment = Environment::parse(&global.env)?;
    let client_id = global
        .client_id
        .clone()
        .context("no client id: pass --client-id or set ENDUCO_CLIENT_ID")?;
    let secret = global
        .client_secret
        .clone()
        .context("the relay needs the client secret: set ENDUCO_CLIENT_SECRET")?;
    let mut config = ClientConfig::new(environment, client_id, secret, "");
    config.user_agent = Some(format!("enduco-cli/{}", env!("CARGO_PKG_VERSION")));
    let relay = TokenRelay::new(config)?;
    let listener = tokio::net::TcpListener::bind((args.bind.as_str(), args.port))
        .await
        .with_context(|| format!("cannot listen on {}:{}", args.bind, args.port))?;
    println!("listening on http://{}", listener.local_addr()?);
    let app = axum::Router::new()
        .fallback(relay_request)
        .with_state(relay);
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

async fn relay_request(State(relay): State<TokenRelay>, request: Request) -> Response {
    let answer = if request.method() != Method::POST {
        RelayResponse::method_not_allowed()
    } else {
        let path = request.uri().path().to_owned();
        let content_type = request
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        // Read at most one byte past the limit: enough for the relay to refuse the body whole.
        let limit = MAX_RELAY_REQUEST_BYTES + 1;
        let body = match axum::body::to_bytes(request.into_body(), limit).await {
            Ok(body) => body.to_vec(),
            Err(_) => vec![0; limit],
        };
        relay.handle(&path, content_type.as_deref(), &body).await
    };
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::BAD_GATEWAY);
    let headers = answer.headers();
    let mut response = (status, answer.body).into_response();
    for (name, value) in headers {
        response
            .headers_mut()
            .insert(name, HeaderValue::from_static(value));
    }
    response
}
