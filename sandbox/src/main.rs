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
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(flatten)]
    serve: SandboxArgs,

    #[command(subcommand)]
    command: Option<Command>,
}

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
