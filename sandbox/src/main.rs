//! `enduco-sandbox [options]` serves a sandbox; `enduco-sandbox fit --out PATH …` writes a
//! FIT fixture for other languages' tests.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use enduco_sandbox::fit::{self, ActivityFile, Corruption};
use enduco_sandbox::{SandboxArgs, serve_until_ctrl_c};

#[derive(Parser)]
#[command(
    name = "enduco-sandbox",
    version,
    about = "A local stand-in for enduco's OAuth 2.0 and data API",
    after_help = AFTER_HELP,
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(flatten)]
    serve: SandboxArgs,

    #[command(subcommand)]
    command: Option<Command>,
}

const AFTER_HELP: &str = "\
Refresh-token reuse (--refresh-reuse), when a rotated-out refresh token comes back:
  overlap        (default, as Spring Authorization Server) accepted again within
                 --refresh-overlap-ms of its rotation, with a new pair; only the pair issued
                 last stays valid, later reuse is invalid_grant; access tokens stay valid
  strict         invalid_grant, nothing else changes
  family-revoke  (reuse detection, as Ory Hydra, Auth0, Okta) revokes the whole grant,
                 refresh and access tokens, then invalid_grant
A replayed authorization code is invalid_grant and revokes the tokens issued from it.

Redirect URIs: registered ones match exactly; a registered http://127.0.0.1/<path> (or
http://[::1]/<path>) matches any port, same path and query only; localhost is refused.
Defaults: https://app.example/callback and http://127.0.0.1/callback.

Control API (loopback, JSON) under /_sandbox/: faults (kinds status, delay, delay-response,
reset, truncate, malformed, html; delayMs with any kind), expire-access-tokens, rotation,
auto-approve (optional narrower scope), grant-types, refresh-reuse, requests (?path=),
reset, webhooks/config, webhooks/send. See sandbox/README.md.";

#[derive(Subcommand)]
enum Command {
    /// Write a FIT activity fixture (valid, or damaged with --corrupt).
    Fit(FitArgs),
}

#[derive(Args)]
struct FitArgs {
    /// Output file ("-" for stdout).
    #[arg(long)]
    out: PathBuf,

    /// Seed; the same seed and options always give the same bytes.
    #[arg(long, default_value_t = 1)]
    seed: u64,

    /// Number of one-second record messages (default 600).
    #[arg(long, conflicts_with = "size")]
    records: Option<u64>,

    /// Approximate file size in bytes (picks the record count).
    #[arg(long, value_name = "BYTES")]
    size: Option<u64>,

    /// file_id.type (4 = activity; anything else fails validation).
    #[arg(long, default_value_t = fit::FILE_TYPE_ACTIVITY)]
    file_type: u8,

    /// Damage the file in one specific way.
    #[arg(long, value_enum)]
    corrupt: Option<Corruption>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Fit(args)) => write_fit(args),
        None => serve(cli.serve),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("enduco-sandbox: {e}");
            ExitCode::FAILURE
        }
    }
}

fn serve(args: SandboxArgs) -> io::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(serve_until_ctrl_c(args.into_config()))
}

fn write_fit(args: FitArgs) -> io::Result<()> {
    let mut file = ActivityFile::new(args.seed).file_type(args.file_type);
    if let Some(n) = args.records {
        file = file.records(n);
    }
    if let Some(bytes) = args.size {
        file = file.target_size(bytes);
    }
    let out: Box<dyn Write> = if args.out.as_os_str() == "-" {
        Box::new(io::stdout().lock())
    } else {
        Box::new(File::create(&args.out)?)
    };
    let mut out = BufWriter::new(out);
    match args.corrupt {
        // Streams in constant memory, whatever the size.
        None => {
            file.write_to(&mut out)?;
        }
        Some(how) => out.write_all(&fit::corrupt(&file.to_bytes(), how))?,
    }
    out.flush()
}
