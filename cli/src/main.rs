//! `enduco`: the command-line tool for enduco's API, and the SDK's runnable demo.

mod chart;
mod commands;
mod demo;
mod login;
mod relay;
mod render;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "enduco",
    version,
    about = "Talk to enduco: log in, read zones and plans, upload FIT workouts"
)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

/// Options every command that talks to enduco understands.
#[derive(Args, Clone)]
pub struct Global {
    /// Which enduco: `beta`, `production` or a base URL (http only for loopback).
    #[arg(long, global = true, default_value = "beta", env = "ENDUCO_ENV")]
    pub env: String,
    /// OAuth client id enduco issued to your app.
    #[arg(long, global = true, env = "ENDUCO_CLIENT_ID", hide_env_values = true)]
    pub client_id: Option<String>,
    /// OAuth client secret (prefer the environment variable over the flag).
    #[arg(
        long,
        global = true,
        env = "ENDUCO_CLIENT_SECRET",
        hide_env_values = true
    )]
    pub client_secret: Option<String>,
    /// Relay mode, for a CLI handed to users: the partner's token relay, which holds the
    /// client secret (code exchange, refresh and revoke go there; no secret on this machine).
    #[arg(long, global = true, env = "ENDUCO_TOKEN_RELAY")]
    pub relay: Option<String>,
    /// Where tokens are kept (default: the user's config folder, one file per environment).
    #[arg(long, global = true, env = "ENDUCO_TOKEN_FILE")]
    pub token_file: Option<PathBuf>,
    /// Keep tokens in a database shared by several hosts instead of a file:
    /// `postgres://…` (run `enduco --token-store URL migrate` once) or `redis://…`.
    #[arg(
        long,
        global = true,
        env = "ENDUCO_TOKEN_STORE",
        hide_env_values = true
    )]
    pub token_store: Option<String>,
    /// The user's key in `--token-store`.
    #[arg(
        long,
        global = true,
        default_value = "default",
        env = "ENDUCO_TOKEN_KEY"
    )]
    pub token_key: String,
    /// Machine-readable JSON on stdout instead of tables.
    #[arg(long, global = true)]
    pub json: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Walk the whole integration against an embedded sandbox (no credentials needed).
    Demo,
    /// Run the local enduco sandbox for development.
    Sandbox(enduco_sandbox::SandboxArgs),
    /// Connect your enduco account: opens the browser, captures the redirect on loopback.
    Login(login::LoginArgs),
    /// Show who is logged in and which scopes were granted.
    Whoami,
    /// Show the intensity zones.
    Zones,
    /// Show the planned workouts (default: the next 7 days), draw them (--chart) or export them
    /// as device files (--export fit|zwo|erg|mrc --out DIR).
    Plans(commands::PlansArgs),
    /// Upload finished workouts (FIT files). Every file is checked before anything is sent.
    Upload(commands::UploadArgs),
    /// Disconnect: revoke the grant at enduco and delete the stored tokens.
    Revoke,
    /// Create the tables of a `--token-store` database (idempotent).
    Migrate,
    /// Serve a token relay for apps in relay mode (holds the client secret; docs/relay.md).
    Relay(relay::RelayArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("ENDUCO_LOG"))
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    let global = cli.global;
    let outcome = runtime.block_on(async move {
        match cli.command {
            Command::Demo => demo::run().await,
            Command::Sandbox(args) => enduco_sandbox::serve_until_ctrl_c(args.into_config())
                .await
                .map_err(Into::into),
            Command::Login(args) => login::run(&global, args).await,
            Command::Whoami => commands::whoami(&global).await,
            Command::Zones => commands::zones(&global).await,
            Command::Plans(args) => commands::plans(&global, args).await,
            Command::Upload(args) => commands::upload(&global, args).await,
            Command::Revoke => commands::revoke(&global).await,
            Command::Migrate => commands::migrate(&global).await,
            Command::Relay(args) => relay::run(&global, args).await,
        }
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", render::one_line(&e));
            ExitCode::FAILURE
        }
    }
}
