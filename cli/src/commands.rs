//! The everyday commands: whoami, zones, plans, upload, revoke.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::Args;
use enduco::{
    ClientConfig, EnducoClient, Environment, FileTokenStore, PostgresTokenStores, RedisTokenStores,
    Session, TokenStore, UploadOptions,
};
use serde_json::json;

use crate::{Global, render};

/// The redirect URI `enduco login` registers on loopback (RFC 8252 §7.3: any port).
pub const LOOPBACK_REDIRECT: &str = "http://127.0.0.1/callback";

pub fn client(global: &Global, redirect_uri: &str) -> Result<EnducoClient> {
    let environment = Environment::parse(&global.env)?;
    let client_id = global
        .client_id
        .clone()
        .context("no client id: pass --client-id or set ENDUCO_CLIENT_ID")?;
    let client_secret = global
        .client_secret
        .clone()
        .context("no client secret: set ENDUCO_CLIENT_SECRET (or pass --client-secret)")?;
    let mut config = ClientConfig::new(environment, client_id, client_secret, redirect_uri);
    config.user_agent = Some(format!("enduco-cli/{}", env!("CARGO_PKG_VERSION")));
    Ok(EnducoClient::new(config)?)
}

/// Where tokens live: `--token-file`, else `<config dir>/enduco/tokens-<environment>.json`.
pub fn token_file(global: &Global) -> Result<PathBuf> {
    if let Some(path) = &global.token_file {
        return Ok(path.clone());
    }
    let host = Environment::parse(&global.env)?
        .base_url()
        .host_str()
        .unwrap_or("enduco")
        .replace(|c: char| !c.is_ascii_alphanumeric() && c != '.', "_");
    let dir = dirs::config_dir().context("no config folder on this system; pass --token-file")?;
    Ok(dir.join("enduco").join(format!("tokens-{host}.json")))
}

/// The token store: `--token-store` (PostgreSQL or Redis) under `--token-key`, else the
/// token file. Every one of them takes the cross-process refresh lock.
pub fn token_store(global: &Global) -> Result<Arc<dyn TokenStore>> {
    Ok(match global.token_store.as_deref() {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            Arc::new(PostgresTokenStores::new(url)?.for_user(&global.token_key))
        }
        Some(url) if url.starts_with("redis://") || url.starts_with("rediss://") => {
            Arc::new(RedisTokenStores::new(url)?.for_user(&global.token_key))
        }
        Some(_) => anyhow::bail!("--token-store takes a postgres:// or redis:// URL"),
        None => Arc::new(FileTokenStore::new(token_file(global)?)),
    })
}

/// Where the tokens went, for messages: the file, or the store's key (never the URL, which
/// may carry a password).
pub fn token_location(global: &Global) -> Result<String> {
    Ok(match &global.token_store {
        Some(_) => format!("key {:?} of --token-store", global.token_key),
        None => token_file(global)?.display().to_string(),
    })
}

/// `enduco migrate`: creates the `--token-store` database's tables (idempotent).
pub async fn migrate(global: &Global) -> Result<()> {
    match global.token_store.as_deref() {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            PostgresTokenStores::new(url)?.migrate().await?
        }
        Some(url) if url.starts_with("redis://") || url.starts_with("rediss://") => {
            RedisTokenStores::new(url)?.migrate().await?
        }
        _ => anyhow::bail!("migrate needs --token-store postgres://… or redis://…"),
    }
    println!("token store ready");
    Ok(())
}

pub fn session(global: &Global) -> Result<Session> {
    let client = client(global, LOOPBACK_REDIRECT)?;
    Ok(client.session(token_store(global)?))
}

pub async fn whoami(global: &Global) -> Result<()> {
    let session = session(global)?;
    let tokens = session.tokens().await?;
    let user = tokens.user_id().unwrap_or_default();
    if global.json {
        render::print_json(
            &json!({"userId": user, "scopes": tokens.scopes, "expiresAt": tokens.expires_at}),
        );
    } else {
        println!("user {user}, scopes: {}", tokens.scopes.join(" "));
    }
    Ok(())
}

pub async fn zones(global: &Global) -> Result<()> {
    let zones = session(global)?.intensity_zones().await?;
    if global.json {
        render::print_json(&zones);
    } else {
        println!("{}", render::zones_table(&zones));
    }
    Ok(())
}

#[derive(Args)]
pub struct PlansArgs {
    /// How many days from today (1-7).
    #[arg(long, conflicts_with_all = ["from", "to"])]
    days: Option<u32>,
    /// First day, YYYY-MM-DD (with --to; at most 7 days).
    #[arg(long, requires = "to")]
    from: Option<jiff::civil::Date>,
    /// Last day, YYYY-MM-DD.
    #[arg(long, requires = "from")]
    to: Option<jiff::civil::Date>,
}

pub async fn plans(global: &Global, args: PlansArgs) -> Result<()> {
    let session = session(global)?;
    let plans = match (args.from, args.to) {
        (Some(from), Some(to)) => session.training_plans(from, to).await?,
        _ => session.upcoming_plans(args.days.unwrap_or(7)).await?,
    };
    if global.json {
        render::print_json(&plans);
    } else {
        println!("{}", render::plans_table(&plans, None));
    }
    Ok(())
}

#[derive(Args)]
pub struct UploadArgs {
    /// FIT files of finished activities.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

pub async fn upload(global: &Global, args: UploadArgs) -> Result<()> {
    // Check every file before credentials are even looked at: a defective file is reported
    // with its defect whether or not the user is logged in.
    let mut defects = Vec::new();
    for file in &args.files {
        if let Err(e) = enduco::check_fit_file(file).await {
            defects.push(format!(
                "{}: {}",
                file.display(),
                render::one_line(&e.into())
            ));
        }
    }
    if !defects.is_empty() {
        bail!("nothing uploaded; {}", defects.join("; "));
    }
    let session = session(global)?;
    let mut results = Vec::new();
    for file in &args.files {
        let bar = (!global.json).then(|| render::progress_bar(&file.display().to_string()));
        let options = UploadOptions {
            progress: bar.clone().map(|bar| render::progress_sink(bar)),
            ..UploadOptions::default()
        };
        let result = session.upload_workout(file.as_path(), options).await;
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
        let result = result.with_context(|| format!("uploading {}", file.display()))?;
        if !global.json {
            if result.duplicate {
                println!(
                    "{}: already on enduco (workout {})",
                    file.display(),
                    result.id
                );
            } else {
                println!(
                    "{}: uploaded as workout {} ({})",
                    file.display(),
                    result.id,
                    result.status
                );
            }
        }
        results.push(json!({"file": file, "id": result.id, "status": result.status, "duplicate": result.duplicate}));
    }
    if global.json {
        render::print_json(&results);
    }
    Ok(())
}

pub async fn revoke(global: &Global) -> Result<()> {
    session(global)?.revoke().await?;
    if global.json {
        render::print_json(&json!({"revoked": true}));
    } else {
        println!("disconnected: the grant is revoked and the stored tokens are deleted");
    }
    Ok(())
}
