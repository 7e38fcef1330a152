//! The everyday commands: whoami, zones, plans, upload, revoke.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::Args;
use enduco::{
    ClientConfig, EnducoClient, Environment, ExportFormat, FileTokenStore, IntensityZones,
    PlannedWorkout, PostgresTokenStores, RedisTokenStores, Session, TokenStore, UploadOptions,
};
use serde_json::json;

use crate::{Global, chart, render};

/// The redirect URI `enduco login` registers on loopback (RFC 8252 §7.3: any port).
pub const LOOPBACK_REDIRECT: &str = "http://127.0.0.1/callback";

pub fn client(global: &Global, redirect_uri: &str) -> Result<EnducoClient> {
    let environment = Environment::parse(&global.env)?;
    let client_id = global
        .client_id
        .clone()
        .context("no client id: pass --client-id or set ENDUCO_CLIENT_ID")?;
    let mut config = match &global.relay {
        // Relay mode: the core refuses a secret given as well.
        Some(relay) => {
            let relay = url::Url::parse(relay)
                .with_context(|| format!("--relay {relay:?} is not a URL"))?;
            let mut config = ClientConfig::relayed(environment, client_id, redirect_uri, relay);
            config.client_secret =
                enduco::ClientSecret::new(global.client_secret.clone().unwrap_or_default());
            config
        }
        None => {
            let client_secret = global.client_secret.clone().context(
                "no client secret: set ENDUCO_CLIENT_SECRET (or pass --client-secret), \
                 or use a token relay (--relay URL)",
            )?;
            ClientConfig::new(environment, client_id, client_secret, redirect_uri)
        }
    };
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
#[command(after_help = "Export writes one file per workout into --out, named \
<date>-<title>.<format> (rest days skipped): fit for Garmin, Wahoo and Hammerhead devices, zwo \
for Zwift-style apps, erg (watts) and mrc (% FTP) for trainer software. A workout a format \
cannot hold (a run as ERG, a heart-rate step in ZWO) is listed with the reason and skipped.")]
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
    /// Write each workout as a device file: fit, zwo, erg or mrc (needs --out).
    #[arg(long, value_name = "FORMAT", value_parser = parse_format, requires = "out")]
    export: Option<ExportFormat>,
    /// Folder for --export (created if missing).
    #[arg(long, value_name = "DIR", requires = "export")]
    out: Option<PathBuf>,
    /// Draw each workout's target profile (blocks over time, coloured by zone on a terminal).
    #[arg(long, conflicts_with = "export")]
    chart: bool,
}

fn parse_format(name: &str) -> Result<ExportFormat, String> {
    ExportFormat::parse(name).map_err(|e| e.to_string())
}

pub async fn plans(global: &Global, args: PlansArgs) -> Result<()> {
    let session = session(global)?;
    let plans = match (args.from, args.to) {
        (Some(from), Some(to)) => session.training_plans(from, to).await?,
        _ => session.upcoming_plans(args.days.unwrap_or(7)).await?,
    };
    if let (Some(format), Some(dir)) = (args.export, &args.out) {
        let zones = zones_if_granted(&session).await?;
        return export(global, &plans, zones.as_ref(), format, dir);
    }
    if args.chart {
        let zones = zones_if_granted(&session).await?;
        if global.json {
            // Charts are pictures; with --json the plans' timelines are the data behind them.
            let timelines: Vec<_> = plans
                .iter()
                .map(|p| json!({"date": p.date, "title": p.title, "timeline": p.timeline(zones.as_ref())}))
                .collect();
            render::print_json(&timelines);
        } else {
            for plan in plans.iter().filter(|p| !p.is_rest_day()) {
                anstream::println!("{}", chart::workout_chart(plan, zones.as_ref()));
            }
        }
        return Ok(());
    }
    if global.json {
        render::print_json(&plans);
    } else {
        println!("{}", render::plans_table(&plans, None));
    }
    Ok(())
}

/// The user's zones, or `None` when the grant lacks `user_read` (FIT and ERG can still be
/// written from explicit bounds; what needs zones says so).
async fn zones_if_granted(session: &Session) -> Result<Option<IntensityZones>> {
    match session.intensity_zones().await {
        Ok(zones) => Ok(Some(zones)),
        Err(enduco::Error::InsufficientScope { .. }) => {
            eprintln!("note: no user_read grant, so zone targets stay unresolved");
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

/// `enduco plans --export`: one file per workout, named `<date>-<slug of the title>.<ext>`
/// (`-2`, `-3` … when two share a name); rest days skipped; a workout the format cannot hold is
/// reported with the core's reason and skipped, and the others are still written.
fn export(
    global: &Global,
    plans: &[PlannedWorkout],
    zones: Option<&IntensityZones>,
    format: ExportFormat,
    dir: &std::path::Path,
) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut taken = std::collections::HashSet::new();
    let mut report = Vec::new();
    for plan in plans {
        if plan.is_rest_day() {
            report.push(json!({"date": plan.date, "title": plan.title, "skipped": "rest day"}));
            continue;
        }
        match plan.export(format, zones) {
            Ok(bytes) => {
                let path = dir.join(file_name(plan, format, &mut taken));
                std::fs::write(&path, &bytes)
                    .with_context(|| format!("writing {}", path.display()))?;
                if !global.json {
                    println!("{}: {}", plan.date, path.display());
                }
                report.push(json!({"date": plan.date, "title": plan.title, "file": path}));
            }
            Err(e) => {
                if !global.json {
                    eprintln!("{}: skipped: {e} [{}]", plan.date, e.code());
                }
                report.push(json!({"date": plan.date, "title": plan.title, "skipped": e.to_string(), "code": e.code()}));
            }
        }
    }
    if global.json {
        render::print_json(&report);
    }
    Ok(())
}

/// `2026-03-28-long-ride.fit`: the date, then the title as a slug (ASCII, so every file system
/// and device takes it), unique within this export.
fn file_name(
    plan: &PlannedWorkout,
    format: ExportFormat,
    taken: &mut std::collections::HashSet<String>,
) -> String {
    let title = slug::slugify(&plan.title);
    let title: String = title.chars().take(60).collect();
    let base = if title.is_empty() {
        format!("{}-{}", plan.date, plan.sport.as_str())
    } else {
        format!("{}-{}", plan.date, title.trim_end_matches('-'))
    };
    let mut name = format!("{base}.{format}");
    let mut n = 2;
    while !taken.insert(name.clone()) {
        name = format!("{base}-{n}.{format}");
        n += 1;
    }
    name
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
