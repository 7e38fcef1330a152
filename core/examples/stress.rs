//! Many processes, many users, one refresh per grant (lifecycle rule 2, docs/lifecycle.md).
//!
//! A driver that starts a sandbox, signs in U users, spawns P worker processes that share the
//! users' token stores and call enduco from C concurrent callers each, then checks the
//! sandbox's request log: per user no more token requests than access-token expiries, no call
//! failed with `reauthorization_required`, and every user's stored refresh token still works.
//!
//! ```text
//! stress run  --workers rust|python|node --policy overlap|family-revoke [--no-lock]
//!             [--processes 8 --callers 4 --users 20 --seconds 60 --lifetime 5]
//! stress cli  --processes 3 --trials 20 --seconds 15      parallel `enduco zones` loops, one token file
//! stress kill --policy P --when before-request|after-request   SIGKILL a refresh in the middle
//! stress work ...                                          one Rust worker (spawned by `run`)
//! ```
//! The worker protocol (arguments, the JSON summary line) is in docs/lifecycle.md; the Python
//! and Node workers are python/tests/stress_worker.py and node/test/stress-worker.mjs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand, ValueEnum};
use enduco::{
    ClientConfig, EnducoClient, Environment, FileTokenStore, Scope, TokenSet, TokenStore,
};
use enduco_sandbox::{RefreshReuse, Sandbox, SandboxConfig};
use serde_json::{Value, json};

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum, Debug)]
enum Lang {
    Rust,
    Python,
    Node,
}

/// Where the users' tokens live.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum, Debug)]
enum StoreKind {
    /// Rust: `FileTokenStore` per user; Python and Node: their SQLite example store.
    File,
    Postgres,
    Redis,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum, Debug)]
enum When {
    /// The holder took the lock and dies before sending its token request.
    BeforeRequest,
    /// The holder's token request reached enduco (which rotated); it dies before saving.
    AfterRequest,
}

#[derive(Subcommand)]
enum Cmd {
    /// Drive P worker processes against one sandbox and check rule 2.
    Run {
        #[arg(long, value_enum, default_value = "rust")]
        workers: Lang,
        #[arg(long, value_enum, default_value = "overlap")]
        policy: RefreshReuse,
        #[arg(long, default_value_t = 8)]
        processes: usize,
        #[arg(long, default_value_t = 4)]
        callers: usize,
        #[arg(long, default_value_t = 20)]
        users: usize,
        #[arg(long, default_value_t = 60)]
        seconds: u64,
        /// Access-token lifetime in seconds.
        #[arg(long, default_value_t = 5)]
        lifetime: u64,
        /// Stores without the lock: report what goes wrong, check nothing.
        #[arg(long)]
        no_lock: bool,
        #[arg(long, value_enum, default_value = "file")]
        store: StoreKind,
    },
    /// Parallel `enduco zones` loops on one token file (sandbox in `overlap`, 5 s tokens).
    Cli {
        #[arg(long, default_value_t = 3)]
        processes: usize,
        #[arg(long, default_value_t = 20)]
        trials: usize,
        #[arg(long, default_value_t = 15)]
        seconds: u64,
    },
    /// Kill a refreshing process with SIGKILL and show what the next process gets.
    Kill {
        #[arg(long, value_enum, default_value = "overlap")]
        policy: RefreshReuse,
        #[arg(long, value_enum)]
        when: When,
        #[arg(long, value_enum, default_value = "file")]
        store: StoreKind,
    },
    /// A refresh storm: every user's access token expired, P processes call every user once.
    /// Reports token requests (must equal U), users per second and the time the lock adds.
    Storm {
        #[arg(long, value_enum, default_value = "postgres")]
        store: StoreKind,
        #[arg(long, default_value_t = 8)]
        processes: usize,
        #[arg(long, default_value_t = 16)]
        callers: usize,
        #[arg(long, default_value_t = 1000)]
        users: usize,
        /// Also write the figures as JSON here (bench/run reads them).
        #[arg(long)]
        json_out: Option<PathBuf>,
    },
    /// One worker process (see the protocol in docs/lifecycle.md).
    Work {
        #[arg(long)]
        sandbox: String,
        #[arg(long)]
        dir: PathBuf,
        #[arg(long)]
        users: usize,
        #[arg(long)]
        callers: usize,
        #[arg(long)]
        seconds: u64,
        #[arg(long)]
        no_lock: bool,
        /// Instead of calling for a while: refresh every user once and report.
        #[arg(long)]
        verify: bool,
        /// Instead of calling: take user-01's lock, say "locked", then wait to be killed.
        #[arg(long)]
        hold_lock: bool,
        /// Instead of calling for a while: call every user once, timing the refresh lock.
        #[arg(long)]
        storm: bool,
        #[arg(long, value_enum, default_value = "file")]
        store: StoreKind,
        /// The PostgreSQL or Redis URL for `--store postgres|redis`.
        #[arg(long)]
        store_url: Option<String>,
    },
}

fn user(i: usize) -> String {
    format!("user-{:02}", i + 1)
}

fn client_config(base_url: &str) -> ClientConfig {
    let mut config = ClientConfig::new(
        Environment::parse(base_url).expect("sandbox URL"),
        "sandbox-client",
        "sandbox-secret",
        "https://app.example/callback",
    );
    config.refresh_margin = Duration::from_secs(1);
    config
}

#[tokio::main]
async fn main() {
    let code = match Cli::parse().command {
        Cmd::Work {
            sandbox,
            dir,
            users,
            callers,
            seconds,
            no_lock,
            verify,
            hold_lock,
            storm,
            store,
            store_url,
        } => {
            let stores = Stores::open(store, &dir, store_url.as_deref());
            let mode = match (verify, hold_lock, storm) {
                (true, _, _) => Mode::Verify,
                (_, true, _) => Mode::HoldLock,
                (_, _, true) => Mode::Storm,
                _ => Mode::Calls(Duration::from_secs(seconds)),
            };
            work(&sandbox, stores, users, callers, no_lock, mode).await
        }
        Cmd::Storm {
            store,
            processes,
            callers,
            users,
            json_out,
        } => storm(store, processes, callers, users, json_out).await,
        Cmd::Run {
            workers,
            policy,
            processes,
            callers,
            users,
            seconds,
            lifetime,
            no_lock,
            store,
        } => {
            run(
                workers, policy, processes, callers, users, seconds, lifetime, no_lock, store,
            )
            .await
        }
        Cmd::Cli {
            processes,
            trials,
            seconds,
        } => cli_trials(processes, trials, seconds).await,
        Cmd::Kill {
            policy,
            when,
            store,
        } => kill(policy, when, store).await,
    };
    std::process::exit(code);
}

// ---------------------------------------------------------------------------------------
// The Rust worker

/// A store that offers no lock: what every host store was before the lock existed.
struct Unlocked(Arc<dyn TokenStore>);

#[async_trait::async_trait]
impl TokenStore for Unlocked {
    async fn load(&self) -> enduco::Result<Option<TokenSet>> {
        self.0.load().await
    }
    async fn save(&self, tokens: &TokenSet) -> enduco::Result<()> {
        self.0.save(tokens).await
    }
    async fn clear(&self) -> enduco::Result<()> {
        self.0.clear().await
    }
}

/// Every user's store of one kind; the server stores share one pool per process.
enum Stores {
    File(PathBuf),
    Postgres(enduco::PostgresTokenStores),
    Redis(enduco::RedisTokenStores),
}

impl Stores {
    fn open(kind: StoreKind, dir: &Path, url: Option<&str>) -> Stores {
        match kind {
            StoreKind::File => Stores::File(dir.to_path_buf()),
            StoreKind::Postgres => Stores::Postgres(
                enduco::PostgresTokenStores::new(url.expect("--store-url")).expect("pool"),
            ),
            StoreKind::Redis => Stores::Redis(
                enduco::RedisTokenStores::new(url.expect("--store-url")).expect("redis"),
            ),
        }
    }

    fn of(&self, i: usize) -> Arc<dyn TokenStore> {
        match self {
            Stores::File(dir) => {
                Arc::new(FileTokenStore::new(dir.join(format!("{}.json", user(i)))))
            }
            Stores::Postgres(stores) => Arc::new(stores.for_user(user(i))),
            Stores::Redis(stores) => Arc::new(stores.for_user(user(i))),
        }
    }
}

/// What a worker does.
enum Mode {
    /// Call intensity zones from every caller for this long.
    Calls(Duration),
    /// Refresh every user once (the driver's final check).
    Verify,
    /// Take user-01's lock, say "locked", wait to be killed.
    HoldLock,
    /// Call every user once, timing the refresh lock.
    Storm,
}

async fn work(
    base_url: &str,
    stores: Stores,
    users: usize,
    callers: usize,
    no_lock: bool,
    mode: Mode,
) -> i32 {
    let lock_times = Arc::new(LockTimes::default());
    let store_of = |i: usize| -> Arc<dyn TokenStore> {
        let store = stores.of(i);
        match (&mode, no_lock) {
            (_, true) => Arc::new(Unlocked(store)),
            (Mode::Storm, false) => Arc::new(Timed {
                inner: store,
                times: lock_times.clone(),
            }),
            _ => store,
        }
    };
    if let Mode::HoldLock = mode {
        let lease = Duration::from_secs(3);
        assert!(stores.of(0).try_lock("holder", lease).await.unwrap());
        println!("locked");
        std::future::pending::<()>().await;
    }
    let client = EnducoClient::new(client_config(base_url)).expect("client");
    let sessions: Arc<Vec<_>> = Arc::new((0..users).map(|i| client.session(store_of(i))).collect());
    let mut tally = Tally::default();
    match mode {
        Mode::Verify => {
            for session in sessions.iter() {
                tally.count(session.refresh().await.map(|_| ()));
            }
        }
        Mode::Calls(_) | Mode::Storm => {
            let until = match mode {
                Mode::Calls(duration) => Some(Instant::now() + duration),
                _ => None,
            };
            let next_user = Arc::new(std::sync::atomic::AtomicUsize::new(0));
            let tasks: Vec<_> = (0..callers)
                .map(|caller| {
                    let (sessions, next_user) = (sessions.clone(), next_user.clone());
                    tokio::spawn(async move {
                        let mut tally = Tally::default();
                        let mut next = caller;
                        loop {
                            let i = match until {
                                Some(until) if Instant::now() < until => next,
                                Some(_) => break,
                                // The storm: each user once, whoever is free takes the next.
                                None => {
                                    next_user.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                                }
                            };
                            if until.is_none() && i >= sessions.len() {
                                break;
                            }
                            tally.count(
                                sessions[i % sessions.len()]
                                    .intensity_zones()
                                    .await
                                    .map(|_| ()),
                            );
                            next += 1;
                        }
                        tally
                    })
                })
                .collect();
            for task in tasks {
                tally.add(task.await.expect("caller"));
            }
        }
        Mode::HoldLock => unreachable!("waits above"),
    }
    let lock_ms = lock_times.samples.lock().unwrap().clone();
    println!(
        "{}",
        json!({"calls": tally.calls, "ok": tally.ok, "errors": tally.errors, "lockMs": lock_ms})
    );
    0
}

#[derive(Default)]
struct Tally {
    calls: u64,
    ok: u64,
    errors: BTreeMap<String, u64>,
}

impl Tally {
    fn count(&mut self, outcome: enduco::Result<()>) {
        self.calls += 1;
        match outcome {
            Ok(()) => self.ok += 1,
            Err(e) => *self.errors.entry(e.code().to_owned()).or_default() += 1,
        }
    }

    fn add(&mut self, other: Tally) {
        self.calls += other.calls;
        self.ok += other.ok;
        for (code, n) in other.errors {
            *self.errors.entry(code).or_default() += n;
        }
    }
}

/// What the refresh lock cost each refresh: from the first `try_lock` until it was taken,
/// plus the `unlock`, in milliseconds.
#[derive(Default)]
struct LockTimes {
    /// Per owner: when it first asked, then (once taken) how long it waited.
    pending: std::sync::Mutex<std::collections::HashMap<String, (Instant, Option<Duration>)>>,
    samples: std::sync::Mutex<Vec<f64>>,
}

struct Timed {
    inner: Arc<dyn TokenStore>,
    times: Arc<LockTimes>,
}

#[async_trait::async_trait]
impl TokenStore for Timed {
    async fn load(&self) -> enduco::Result<Option<TokenSet>> {
        self.inner.load().await
    }
    async fn save(&self, tokens: &TokenSet) -> enduco::Result<()> {
        self.inner.save(tokens).await
    }
    async fn clear(&self) -> enduco::Result<()> {
        self.inner.clear().await
    }
    fn supports_lock(&self) -> bool {
        self.inner.supports_lock()
    }
    async fn try_lock(&self, owner: &str, lease: Duration) -> enduco::Result<bool> {
        let first = self
            .times
            .pending
            .lock()
            .unwrap()
            .entry(owner.to_owned())
            .or_insert((Instant::now(), None))
            .0;
        let taken = self.inner.try_lock(owner, lease).await?;
        if taken {
            let mut pending = self.times.pending.lock().unwrap();
            pending.insert(owner.to_owned(), (first, Some(first.elapsed())));
        }
        Ok(taken)
    }
    async fn unlock(&self, owner: &str) -> enduco::Result<()> {
        let started = Instant::now();
        let outcome = self.inner.unlock(owner).await;
        let unlock = started.elapsed();
        if let Some((_, Some(waited))) = self.times.pending.lock().unwrap().remove(owner) {
            let ms = (waited + unlock).as_secs_f64() * 1000.0;
            self.times.samples.lock().unwrap().push(ms);
        }
        outcome
    }
}

// ---------------------------------------------------------------------------------------
// The driver

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("repo root")
        .to_path_buf()
}

fn worker_command(lang: Lang) -> Command {
    let root = repo_root();
    match lang {
        Lang::Rust => {
            let mut c = Command::new(std::env::current_exe().expect("own path"));
            c.arg("work");
            c
        }
        Lang::Python => {
            let mut c = Command::new(root.join("python/.venv/bin/python"));
            c.arg(root.join("python/tests/stress_worker.py"));
            c
        }
        Lang::Node => {
            let mut c = Command::new("node");
            c.arg(root.join("node/test/stress-worker.mjs"));
            c
        }
    }
}

struct World {
    sandbox: Sandbox,
    http: reqwest::Client,
    client: EnducoClient,
}

impl World {
    async fn start(config: SandboxConfig) -> World {
        let sandbox = Sandbox::start_with(config).await.expect("sandbox");
        let client = EnducoClient::new(client_config(sandbox.url())).expect("client");
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("http");
        World {
            sandbox,
            http,
            client,
        }
    }

    /// Signs `user_id` in with every scope (the sandbox's `login_hint` picks the user).
    async fn sign_in(&self, user_id: &str) -> TokenSet {
        let request = self
            .client
            .authorization_request(&Scope::ALL)
            .expect("request");
        let url = format!("{}&login_hint={user_id}", request.url);
        let response = self.http.get(url).send().await.expect("authorize");
        let callback = response.headers()["location"].to_str().unwrap().to_owned();
        self.client
            .complete_authorization(&request, &callback)
            .await
            .expect("sign-in")
    }

    async fn token_requests(&self) -> Vec<Value> {
        let url = format!(
            "{}/_sandbox/requests?path=/oauth2/token",
            self.sandbox.url()
        );
        self.http
            .get(url)
            .send()
            .await
            .expect("log")
            .json()
            .await
            .expect("log JSON")
    }

    async fn control(&self, path: &str, body: Value) {
        let url = format!("{}{path}", self.sandbox.url());
        let response = self
            .http
            .post(url)
            .json(&body)
            .send()
            .await
            .expect("control");
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
    }
}

/// Runs worker processes to the end and parses each one's last stdout line.
async fn run_workers(commands: Vec<Command>) -> Vec<Value> {
    tokio::task::spawn_blocking(move || {
        let children: Vec<_> = commands
            .into_iter()
            .map(|mut c| {
                c.stdout(Stdio::piped())
                    .stderr(Stdio::inherit())
                    .spawn()
                    .expect("worker starts")
            })
            .collect();
        children
            .into_iter()
            .map(|child| {
                let output = child.wait_with_output().expect("worker ends");
                let stdout = String::from_utf8_lossy(&output.stdout);
                let last = stdout.lines().last().unwrap_or_default();
                match (output.status.success(), serde_json::from_str(last)) {
                    (true, Ok(summary)) => summary,
                    _ => json!({"broken": format!("{} {last:?}", output.status)}),
                }
            })
            .collect()
    })
    .await
    .expect("workers")
}

fn add_summaries(summaries: &[Value]) -> (u64, u64, BTreeMap<String, u64>, usize) {
    let (mut calls, mut ok, mut errors, mut broken) = (0, 0, BTreeMap::new(), 0);
    for s in summaries {
        if s.get("broken").is_some() {
            eprintln!("worker broke: {s}");
            broken += 1;
            continue;
        }
        calls += s["calls"].as_u64().unwrap_or(0);
        ok += s["ok"].as_u64().unwrap_or(0);
        if let Some(map) = s["errors"].as_object() {
            for (code, n) in map {
                *errors.entry(code.clone()).or_default() += n.as_u64().unwrap_or(0);
            }
        }
    }
    (calls, ok, errors, broken)
}

#[allow(clippy::too_many_arguments)]
async fn run(
    lang: Lang,
    policy: RefreshReuse,
    processes: usize,
    callers: usize,
    users: usize,
    seconds: u64,
    lifetime: u64,
    no_lock: bool,
    store: StoreKind,
) -> i32 {
    let world = World::start(SandboxConfig {
        refresh_reuse: policy,
        access_token_lifetime: Duration::from_secs(lifetime),
        ..SandboxConfig::default()
    })
    .await;
    let dir = tempfile::tempdir().expect("temp dir");
    let servers = DbServers::start(store).await;
    for i in 0..users {
        let tokens = world.sign_in(&user(i)).await;
        servers.import(dir.path(), i, &tokens).await;
    }
    let common = |c: &mut Command| {
        servers.args(c);
        c.arg("--sandbox")
            .arg(world.sandbox.url())
            .arg("--dir")
            .arg(dir.path())
            .arg("--users")
            .arg(users.to_string())
            .arg("--callers")
            .arg(callers.to_string())
            .arg("--seconds")
            .arg(seconds.to_string());
        if no_lock {
            c.arg("--no-lock");
        }
    };
    let started = Instant::now();
    let summaries = run_workers(
        (0..processes)
            .map(|_| {
                let mut c = worker_command(lang);
                common(&mut c);
                c
            })
            .collect(),
    )
    .await;
    let took = started.elapsed();
    let (calls, ok, errors, broken) = add_summaries(&summaries);

    // Per user: token requests, and how many were not answered 200.
    let mut per_user: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for r in world.token_requests().await {
        if r["grantType"] != "refresh_token" {
            continue;
        }
        let user = r["userId"].as_str().unwrap_or("?").to_owned();
        let entry = per_user.entry(user).or_default();
        entry.0 += 1;
        if r["status"] != 200 {
            entry.1 += 1;
        }
    }
    // Each access token serves `lifetime - margin` seconds; the run lasted `took` (plus the
    // last worker's start-up), so a user needs at most this many refreshes.
    let bound = (took.as_secs_f64() / (lifetime as f64 - 1.0)).ceil() as u64 + 1;
    let most = per_user.values().map(|v| v.0).max().unwrap_or(0);
    let refused: u64 = per_user.values().map(|v| v.1).sum();
    let total: u64 = per_user.values().map(|v| v.0).sum();

    // Afterwards every user's stored refresh token must still work.
    let mut verify = worker_command(lang);
    common(&mut verify);
    verify.arg("--verify");
    let verified = run_workers(vec![verify]).await;
    let (_, verified_ok, verify_errors, _) = add_summaries(&verified);

    let reauth = errors.get("reauthorization_required").copied().unwrap_or(0);
    println!(
        "stress {lang:?} store={store:?} policy={policy:?} lock={} P={processes} C={callers} U={users} S={seconds} lifetime={lifetime}s: \
         {calls} calls in {:.1} s, {ok} ok, errors {errors:?}; token requests {total} \
         (most per user {most}, bound {bound}, refused {refused}); stored refresh tokens working {verified_ok}/{users} {verify_errors:?}",
        !no_lock,
        took.as_secs_f64()
    );
    if no_lock {
        let failed = calls - ok;
        println!(
            "without the lock: {failed} of {calls} calls failed ({:.1}%), {reauth} with reauthorization_required",
            100.0 * failed as f64 / calls.max(1) as f64
        );
        return 0;
    }
    let mut failures = Vec::new();
    if broken > 0 {
        failures.push(format!("{broken} workers broke"));
    }
    if calls == 0 || ok != calls {
        failures.push(format!("{} of {calls} calls failed", calls - ok));
    }
    if reauth > 0 {
        failures.push(format!(
            "{reauth} calls failed with reauthorization_required"
        ));
    }
    if most > bound || refused > 0 {
        failures.push(format!(
            "token requests: most per user {most} > bound {bound}, or {refused} refused"
        ));
    }
    if per_user.len() != users {
        failures.push(format!(
            "only {} of {users} users refreshed",
            per_user.len()
        ));
    }
    if verified_ok != users as u64 {
        failures.push(format!("{verified_ok}/{users} stored refresh tokens work"));
    }
    if failures.is_empty() {
        println!("stress: PASS");
        0
    } else {
        println!("stress: FAIL: {}", failures.join("; "));
        1
    }
}

/// `processes` lanes, each running `enduco zones` again and again for `seconds` on one token
/// file, `trials` times over. Counts runs that failed.
async fn cli_trials(processes: usize, trials: usize, seconds: u64) -> i32 {
    let exe = std::env::current_exe().expect("own path");
    let cli = exe
        .parent()
        .and_then(Path::parent)
        .map(|debug| debug.join("enduco"))
        .expect("target dir");
    assert!(cli.exists(), "build the CLI first: {}", cli.display());
    let (mut runs, mut failed, mut reauth, mut trials_failed) = (0u64, 0u64, 0u64, 0usize);
    for trial in 0..trials {
        let world = World::start(SandboxConfig {
            refresh_reuse: RefreshReuse::Overlap,
            access_token_lifetime: Duration::from_secs(5),
            ..SandboxConfig::default()
        })
        .await;
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("tokens.json");
        std::fs::write(&file, world.sign_in("athlete-1001").await.to_json()).expect("tokens");
        let url = world.sandbox.url().to_owned();
        let lanes: Vec<_> = (0..processes)
            .map(|_| {
                let (cli, file, url) = (cli.clone(), file.clone(), url.clone());
                tokio::task::spawn_blocking(move || {
                    let until = Instant::now() + Duration::from_secs(seconds);
                    let (mut runs, mut failed, mut reauth) = (0u64, 0u64, 0u64);
                    while Instant::now() < until {
                        let out = Command::new(&cli)
                            .args(["--env", &url, "--client-id", "sandbox-client"])
                            .arg("--token-file")
                            .arg(&file)
                            .arg("zones")
                            .env("ENDUCO_CLIENT_SECRET", "sandbox-secret")
                            .output()
                            .expect("enduco runs");
                        runs += 1;
                        if !out.status.success() {
                            failed += 1;
                            let stderr = String::from_utf8_lossy(&out.stderr);
                            if stderr.contains("reauthorization_required") {
                                reauth += 1;
                            }
                            eprintln!("enduco zones failed: {}", stderr.trim());
                        }
                    }
                    (runs, failed, reauth)
                })
            })
            .collect();
        let mut trial_failed = 0;
        for lane in lanes {
            let (r, f, a) = lane.await.expect("lane");
            runs += r;
            failed += f;
            reauth += a;
            trial_failed += f;
        }
        if trial_failed > 0 {
            trials_failed += 1;
        }
        // The grant must survive the trial.
        let session = world.client.session(Arc::new(FileTokenStore::new(&file)));
        if let Err(e) = session.refresh().await {
            println!("trial {trial}: the stored refresh token no longer works: {e}");
            trials_failed += 1;
        }
    }
    println!(
        "cli: {processes} processes x {trials} trials x {seconds} s: {runs} runs of `enduco zones`, \
         {failed} failed ({reauth} reauthorization_required), {trials_failed} trials with a failure"
    );
    if failed == 0 && trials_failed == 0 {
        println!("stress: PASS");
        0
    } else {
        println!("stress: FAIL");
        1
    }
}

/// SIGKILL a process in the middle of a refresh, then let another process carry on.
async fn kill(policy: RefreshReuse, when: When, store: StoreKind) -> i32 {
    let world = World::start(SandboxConfig {
        refresh_reuse: policy,
        // Wide enough that the next process always arrives inside it, however busy the
        // machine: with `overlap` the outcome then shows the policy, not the scheduler.
        refresh_overlap: Duration::from_secs(30),
        ..SandboxConfig::default()
    })
    .await;
    let dir = tempfile::tempdir().expect("temp dir");
    let servers = DbServers::start(store).await;
    let mut tokens = world.sign_in(&user(0)).await;
    tokens.expires_at = 1; // expired on the client's clock: the next call refreshes
    servers.import(dir.path(), 0, &tokens).await;
    let worker = |extra: &[&str]| {
        let mut c = worker_command(Lang::Rust);
        servers.args(&mut c);
        c.args([
            "--sandbox",
            world.sandbox.url(),
            "--users",
            "1",
            "--callers",
            "1",
        ])
        .arg("--dir")
        .arg(dir.path())
        .args(["--seconds", "1"])
        .args(extra)
        .stdout(Stdio::piped());
        c
    };
    let mut victim = match when {
        When::BeforeRequest => worker(&["--hold-lock"]).spawn().expect("holder"),
        When::AfterRequest => {
            // enduco rotates at once but answers 5 s later: the victim dies in between.
            world
                .control(
                    "/_sandbox/faults",
                    json!({"path": "/oauth2/token", "kind": "delay-response", "delayMs": 5000}),
                )
                .await;
            worker(&["--verify"]).spawn().expect("refresher")
        }
    };
    // Wait for the moment to strike: the lock taken, or the token request at enduco.
    match when {
        When::BeforeRequest => {
            let stdout = victim.stdout.take().expect("stdout");
            let line = tokio::task::spawn_blocking(move || {
                let mut line = String::new();
                std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line)
                    .map(|_| line)
            })
            .await
            .expect("reader")
            .expect("holder output");
            assert_eq!(line.trim(), "locked");
        }
        When::AfterRequest => loop {
            if world
                .token_requests()
                .await
                .iter()
                .any(|r| r["grantType"] == "refresh_token")
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        },
    }
    victim.kill().expect("SIGKILL");
    let _ = victim.wait();
    let killed_at = Instant::now();
    let next = run_workers(vec![worker(&["--verify"])]).await;
    let waited = killed_at.elapsed();
    let (_, ok, errors, _) = add_summaries(&next);
    let outcome = if ok == 1 {
        "the next process refreshed; nothing lost".to_owned()
    } else {
        format!("the next process failed: {errors:?}")
    };
    println!(
        "kill {when:?} store={store:?} policy={policy:?}: {outcome} ({:.2} s after the kill)",
        waited.as_secs_f64()
    );
    // What must happen: a holder that dies before sending costs nothing (the OS drops its
    // lock at once). One that dies after enduco rotated took the only valid refresh token
    // with it, unless the server still accepts the old one (Spring's overlap window).
    let expected_ok = match (when, policy) {
        (When::BeforeRequest, _) => true,
        (When::AfterRequest, RefreshReuse::Overlap) => true,
        (When::AfterRequest, _) => false,
    };
    if (ok == 1) == expected_ok {
        println!("stress: PASS");
        0
    } else {
        println!(
            "stress: FAIL (expected {})",
            if expected_ok {
                "success"
            } else {
                "reauthorization_required"
            }
        );
        1
    }
}

/// The PostgreSQL or Redis server a run keeps its tokens in (`tests/db-servers`), or none.
struct DbServers {
    kind: StoreKind,
    dir: Option<tempfile::TempDir>,
    url: Option<String>,
}

impl DbServers {
    async fn start(kind: StoreKind) -> DbServers {
        if kind == StoreKind::File {
            return DbServers {
                kind,
                dir: None,
                url: None,
            };
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let out = Command::new(repo_root().join("tests/db-servers"))
            .arg("up")
            .arg(dir.path())
            .output()
            .expect("tests/db-servers runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let wanted = if kind == StoreKind::Postgres {
            "POSTGRES_URL="
        } else {
            "REDIS_URL="
        };
        let url = String::from_utf8_lossy(&out.stdout)
            .lines()
            .find_map(|l| l.strip_prefix(wanted).map(str::to_owned))
            .expect("server URL");
        let servers = DbServers {
            kind,
            dir: Some(dir),
            url: Some(url),
        };
        if kind == StoreKind::Postgres {
            enduco::PostgresTokenStores::new(servers.url.as_deref().unwrap_or_default())
                .expect("pool")
                .migrate()
                .await
                .expect("migrate");
        }
        servers
    }

    /// Puts a user's first tokens where the workers will find them.
    async fn import(&self, dir: &Path, i: usize, tokens: &TokenSet) {
        std::fs::write(dir.join(format!("{}.json", user(i))), tokens.to_json()).expect("tokens");
        if self.kind != StoreKind::File {
            Stores::open(self.kind, dir, self.url.as_deref())
                .of(i)
                .save(tokens)
                .await
                .expect("import");
        }
    }

    fn args(&self, c: &mut Command) {
        let kind = match self.kind {
            StoreKind::File => "file",
            StoreKind::Postgres => "postgres",
            StoreKind::Redis => "redis",
        };
        c.args(["--store", kind]);
        if let Some(url) = &self.url {
            c.args(["--store-url", url]);
        }
    }
}

impl Drop for DbServers {
    fn drop(&mut self) {
        if let Some(dir) = &self.dir {
            let _ = Command::new(repo_root().join("tests/db-servers"))
                .arg("down")
                .arg(dir.path())
                .status();
        }
    }
}

/// Every user's access token has expired; P processes call every user once at the same time.
async fn storm(
    store: StoreKind,
    processes: usize,
    callers: usize,
    users: usize,
    json_out: Option<PathBuf>,
) -> i32 {
    let world = World::start(SandboxConfig::default()).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let servers = DbServers::start(store).await;
    for i in 0..users {
        let mut tokens = world.sign_in(&user(i)).await;
        tokens.expires_at = 1;
        servers.import(dir.path(), i, &tokens).await;
    }
    let before = world.token_requests().await.len();
    let started = Instant::now();
    let summaries = run_workers(
        (0..processes)
            .map(|_| {
                let mut c = worker_command(Lang::Rust);
                servers.args(&mut c);
                c.args(["--sandbox", world.sandbox.url()])
                    .arg("--dir")
                    .arg(dir.path())
                    .args(["--users", &users.to_string()])
                    .args(["--callers", &callers.to_string()])
                    .args(["--seconds", "0", "--storm"]);
                c
            })
            .collect(),
    )
    .await;
    let took = started.elapsed().as_secs_f64();
    let (calls, ok, errors, broken) = add_summaries(&summaries);
    let token_requests = world.token_requests().await.len() - before;
    let mut lock_ms: Vec<f64> = summaries
        .iter()
        .filter_map(|s| s["lockMs"].as_array())
        .flatten()
        .filter_map(Value::as_f64)
        .collect();
    lock_ms.sort_by(f64::total_cmp);
    let pct = |p: f64| {
        lock_ms
            .get(((lock_ms.len() as f64 - 1.0) * p).round() as usize)
            .copied()
            .unwrap_or(f64::NAN)
    };
    let figures = json!({
        "store": format!("{store:?}").to_lowercase(),
        "processes": processes,
        "users": users,
        "calls": calls,
        "ok": ok,
        "tokenRequests": token_requests,
        "seconds": took,
        "usersPerSecond": users as f64 / took,
        "lockSamples": lock_ms.len(),
        "lockP50Ms": pct(0.5),
        "lockP99Ms": pct(0.99),
    });
    println!(
        "storm {store:?}: {processes} processes x {users} users: {calls} calls, {ok} ok {errors:?}, \
         {token_requests} token requests, {:.0} users/s, lock p50 {:.2} ms p99 {:.2} ms ({} samples)",
        users as f64 / took,
        pct(0.5),
        pct(0.99),
        lock_ms.len()
    );
    if let Some(path) = json_out {
        std::fs::write(path, figures.to_string()).expect("write figures");
    }
    if broken == 0 && ok == calls && token_requests == users {
        println!("stress: PASS");
        0
    } else {
        println!("stress: FAIL (token requests must equal users, every call must succeed)");
        1
    }
}
