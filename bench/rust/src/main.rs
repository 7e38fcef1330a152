//! Rust rows of the enduco benchmarks (run by `bench/run`; see `bench/README.md`).
//!
//! Every comparison runs against the one sandbox process `bench/run` started, and the two
//! sides are measured alternately in the same run (ours, theirs, ours, theirs, …) so that
//! drift on this shared machine hits both. Results go to `--out` as JSON rows that
//! `bench/report.py` turns into the table.
//!
//! - `intensity_zones` sequential and at 64 concurrent: `Session::intensity_zones` against a
//!   hand-written `reqwest` GET with a bearer header, parsed into the same
//!   `enduco::IntensityZones` type (so the difference is the SDK's machinery, not parsing).
//! - refresh storm: 1,000 concurrent calls on an expired token; token requests counted from
//!   the sandbox's request log, time until all complete. Theirs: reqwest with the minimal
//!   correct hand-written refresh (one `tokio::sync::Mutex` around the token, re-checked
//!   after acquiring it).
//! - upload: a 100 MB FIT file from a path; throughput and peak RSS growth of this process,
//!   against reqwest streaming the same file as a multipart body.
//! - the floor: the zones rows again against a bare hyper client on hyper-util's connection
//!   pool (what reqwest is built on), measured in the same alternation, so every Rust row can
//!   be read against what this machine's loopback allows.
//! - 10,000 sessions (one per user, one shared client): RSS per idle session, and 64
//!   concurrent zones calls spread over them against the same on one session.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, anyhow, bail};
use enduco::{
    ClientConfig, EnducoClient, Environment, IntensityZones, MemoryTokenStore, Scope, Session,
    TokenSet,
};
use serde::Deserialize;
use serde_json::{Value, json};

const CLIENT_ID: &str = "sandbox-client";
const CLIENT_SECRET: &str = "sandbox-secret";
const REDIRECT_URI: &str = "https://app.example/callback";
const SCOPES: &str = "user_read plans_read workouts_write";

struct Args {
    base: String,
    sandbox_bin: PathBuf,
    work: PathBuf,
    out: PathBuf,
    quick: bool,
    only: Option<Vec<String>>,
}

fn parse_args() -> Result<Args> {
    let mut base = None;
    let mut sandbox_bin = None;
    let mut work = None;
    let mut out = None;
    let mut quick = false;
    let mut only = None;
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().ok_or_else(|| anyhow!("{arg} needs a value"));
        match arg.as_str() {
            "--base" => base = Some(value()?),
            "--sandbox-bin" => sandbox_bin = Some(PathBuf::from(value()?)),
            "--work" => work = Some(PathBuf::from(value()?)),
            "--out" => out = Some(PathBuf::from(value()?)),
            "--only" => only = Some(value()?.split(',').map(str::to_owned).collect()),
            "--quick" => quick = true,
            other => bail!("unknown argument {other}"),
        }
    }
    Ok(Args {
        base: base.context("--base URL")?,
        sandbox_bin: sandbox_bin.context("--sandbox-bin PATH")?,
        work: work.context("--work DIR")?,
        out: out.context("--out FILE")?,
        quick,
        only,
    })
}

/// The sandbox's control API, and a client that does not follow redirects (auto-approve
/// answers the authorization URL with a 302 carrying the code).
struct Sandbox {
    base: String,
    http: reqwest::Client,
}

impl Sandbox {
    fn new(base: &str) -> Result<Self> {
        Ok(Sandbox {
            base: base.trim_end_matches('/').to_owned(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()?,
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    async fn control(&self, method: reqwest::Method, path: &str) -> Result<Value> {
        let response = self.http.request(method, self.url(path)).send().await?;
        let status = response.status();
        let text = response.text().await?;
        if !status.is_success() {
            bail!("{path}: {status} {text}");
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn expire_access_tokens(&self) -> Result<()> {
        self.control(reqwest::Method::POST, "/_sandbox/expire-access-tokens")
            .await
            .map(drop)
    }

    async fn clear_requests(&self) -> Result<()> {
        self.control(reqwest::Method::DELETE, "/_sandbox/requests")
            .await
            .map(drop)
    }

    async fn requests(&self) -> Result<Vec<Value>> {
        match self
            .control(reqwest::Method::GET, "/_sandbox/requests")
            .await?
        {
            Value::Array(list) => Ok(list),
            other => bail!("unexpected request log {other}"),
        }
    }

    /// POSTs to the token endpoint since the log was last cleared.
    async fn token_requests(&self) -> Result<usize> {
        Ok(self
            .requests()
            .await?
            .iter()
            .filter(|r| r["path"] == "/oauth2/token" && r["method"] == "POST")
            .count())
    }

    /// Follows the auto-approving authorization URL once and returns the redirect target.
    async fn approve(&self, authorization_url: &str) -> Result<String> {
        let response = self.http.get(authorization_url).send().await?;
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .context("the sandbox did not redirect (is auto-approve on?)")?
            .to_str()?
            .to_owned();
        Ok(location)
    }

    /// A grant obtained without the SDK: authorize (no PKCE), then exchange the code with a
    /// hand-written token request. Used by the "theirs" side.
    async fn raw_grant(&self) -> Result<RawTokens> {
        let url = url::Url::parse_with_params(
            &self.url("/oauth2/authorize"),
            &[
                ("response_type", "code"),
                ("client_id", CLIENT_ID),
                ("redirect_uri", REDIRECT_URI),
                ("scope", SCOPES),
                ("state", "bench"),
            ],
        )?;
        let location = url::Url::parse(&self.approve(url.as_str()).await?)?;
        let code = location
            .query_pairs()
            .find(|(k, _)| k == "code")
            .map(|(_, v)| v.into_owned())
            .context("no code in the redirect")?;
        let answer: TokenAnswer = self
            .http
            .post(self.url("/oauth2/token"))
            .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", REDIRECT_URI),
            ])
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        Ok(RawTokens::from_answer(answer, None))
    }
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    refresh_token: Option<String>,
    expires_in: Option<i64>,
}

#[derive(Clone)]
struct RawTokens {
    access: String,
    refresh: String,
    expires_at: i64,
}

impl RawTokens {
    fn from_answer(answer: TokenAnswer, previous_refresh: Option<&str>) -> Self {
        RawTokens {
            access: answer.access_token,
            refresh: answer
                .refresh_token
                .or(previous_refresh.map(str::to_owned))
                .unwrap_or_default(),
            expires_at: now_unix() + answer.expires_in.unwrap_or(300),
        }
    }
}

fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn sdk_client(base: &str) -> Result<EnducoClient> {
    Ok(EnducoClient::new(ClientConfig::new(
        Environment::parse(base)?,
        CLIENT_ID,
        CLIENT_SECRET,
        REDIRECT_URI,
    ))?)
}

/// A grant obtained the way an app does it with the SDK.
async fn sdk_tokens(sandbox: &Sandbox, client: &EnducoClient) -> Result<TokenSet> {
    let pending =
        client.authorization_request(&[Scope::UserRead, Scope::PlansRead, Scope::WorkoutsWrite])?;
    let callback = sandbox.approve(pending.url.as_str()).await?;
    Ok(client.complete_authorization(&pending, &callback).await?)
}

/// The same tokens with `expires_at` in the past, through their JSON storage form.
fn expired(tokens: &TokenSet) -> Result<TokenSet> {
    let mut value: Value = serde_json::from_str(&tokens.to_json())?;
    value["expires_at"] = json!(now_unix() - 3600);
    Ok(TokenSet::from_json(&value.to_string())?)
}

/// The "theirs" side of the zones rows: reqwest, a bearer header, the same typed parse.
async fn raw_zones(http: &reqwest::Client, url: &str, access: &str) -> Result<IntensityZones> {
    let response = http.get(url).bearer_auth(access).send().await?;
    Ok(response
        .error_for_status()?
        .json::<IntensityZones>()
        .await?)
}

/// The floor: hyper-util's pooled client, a bearer header, the body collected and parsed into
/// the same type. No timeout, no retry, no token logic: the least a Rust client can do.
type FloorClient = hyper_util::client::legacy::Client<
    hyper_util::client::legacy::connect::HttpConnector,
    http_body_util::Empty<bytes::Bytes>,
>;

fn floor_client() -> FloorClient {
    hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build_http()
}

async fn floor_zones(
    http: &FloorClient,
    uri: &hyper::Uri,
    bearer: &hyper::header::HeaderValue,
) -> Result<IntensityZones> {
    use http_body_util::BodyExt;
    let request = hyper::Request::get(uri.clone())
        .header(hyper::header::AUTHORIZATION, bearer.clone())
        .body(http_body_util::Empty::new())?;
    let response = http.request(request).await?;
    if !response.status().is_success() {
        bail!("floor zones: {}", response.status());
    }
    let body = response.into_body().collect().await?.to_bytes();
    Ok(serde_json::from_slice(&body)?)
}

/// reqwest with the minimal correct refresh a careful hand-written client has: one lock
/// around the token, expiry re-checked after acquiring it, so only the first caller refreshes.
struct GatedRaw {
    http: reqwest::Client,
    base: String,
    tokens: tokio::sync::Mutex<RawTokens>,
}

impl GatedRaw {
    async fn access(&self) -> Result<String> {
        let mut tokens = self.tokens.lock().await;
        if tokens.expires_at - 60 <= now_unix() {
            let answer: TokenAnswer = self
                .http
                .post(format!("{}/oauth2/token", self.base))
                .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
                .form(&[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", tokens.refresh.as_str()),
                    ("clientId", CLIENT_ID),
                ])
                .send()
                .await?
                .error_for_status()?
                .json()
                .await?;
            let previous = tokens.refresh.clone();
            *tokens = RawTokens::from_answer(answer, Some(&previous));
        }
        Ok(tokens.access.clone())
    }

    async fn zones(&self) -> Result<IntensityZones> {
        let access = self.access().await?;
        raw_zones(&self.http, &format!("{}/api/v1/zones", self.base), &access).await
    }
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = values.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

fn row(bench: &str, unit: &str, ours: f64, theirs_name: &str, theirs: f64, extra: Value) -> Value {
    let mut row = json!({
        "lang": "Rust",
        "bench": bench,
        "unit": unit,
        "ours": ours,
        "theirs_name": theirs_name,
        "theirs": theirs,
        "ratio": ours / theirs,
    });
    if let Value::Object(extra) = extra {
        row.as_object_mut().unwrap().extend(extra);
    }
    eprintln!("  {row}");
    row
}

async fn bench_zones(args: &Args, sandbox: &Sandbox, rows: &mut Vec<Value>) -> Result<()> {
    let client = sdk_client(&sandbox.base)?;
    let tokens = sdk_tokens(sandbox, &client).await?;
    let session = client
        .connect(Arc::new(MemoryTokenStore::new()), tokens)
        .await?;
    let raw = sandbox.raw_grant().await?;
    let http = reqwest::Client::new();
    let url = sandbox.url("/api/v1/zones");
    let floor = floor_client();
    let floor_uri: hyper::Uri = url.parse()?;
    let floor_bearer = hyper::header::HeaderValue::from_str(&format!("Bearer {}", raw.access))?;

    // Sequential: one call at a time, alternating sides call by call (ours, reqwest, floor).
    // (Futures of the three sides differ in type; each call is matched on its side.)
    let (warmup, n) = if args.quick { (50, 300) } else { (300, 3000) };
    for _ in 0..warmup {
        session.intensity_zones().await?;
        raw_zones(&http, &url, &raw.access).await?;
        floor_zones(&floor, &floor_uri, &floor_bearer).await?;
    }
    let mut ours = Vec::with_capacity(n);
    let mut theirs = Vec::with_capacity(n);
    let mut floors = Vec::with_capacity(n);
    for i in 0..n {
        if i % 500 == 0 {
            sandbox.clear_requests().await?; // keep the sandbox's log small
        }
        // The order rotates every call: the call right after the floor's was measured ~10 %
        // slower whichever side it was (the hyper-util pool's own tasks settle after its
        // answer), so no side may always follow the same one.
        for k in 0..3 {
            let side = (i + k) % 3;
            let t = Instant::now();
            let z = match side {
                0 => session.intensity_zones().await?,
                1 => raw_zones(&http, &url, &raw.access).await?,
                _ => floor_zones(&floor, &floor_uri, &floor_bearer).await?,
            };
            let us = t.elapsed().as_secs_f64() * 1e6;
            std::hint::black_box(z);
            [&mut ours, &mut theirs, &mut floors][side].push(us);
        }
    }
    let (ours_seq, theirs_seq, floor_seq) =
        (median(&mut ours), median(&mut theirs), median(&mut floors));
    rows.push(row(
        "intensity_zones, sequential",
        "µs/call",
        ours_seq,
        "reqwest + bearer header",
        theirs_seq,
        json!({"n": n}),
    ));

    // 64 concurrent: a round is 64 calls spawned at once, timed until the last finishes.
    let rounds = if args.quick { 20 } else { 150 };
    let mut ours = Vec::with_capacity(rounds);
    let mut theirs = Vec::with_capacity(rounds);
    let mut floors = Vec::with_capacity(rounds);
    for i in 0..rounds + 5 {
        sandbox.clear_requests().await?;
        for k in 0..3 {
            let side = (i + k) % 3; // rotating, as above
            let t = Instant::now();
            let tasks: Vec<_> = (0..64)
                .map(|_| {
                    let (session, http, url, access) = (
                        session.clone(),
                        http.clone(),
                        url.clone(),
                        raw.access.clone(),
                    );
                    let (floor, uri, bearer) =
                        (floor.clone(), floor_uri.clone(), floor_bearer.clone());
                    tokio::spawn(async move {
                        match side {
                            0 => session.intensity_zones().await.map_err(anyhow::Error::from),
                            1 => raw_zones(&http, &url, &access).await,
                            _ => floor_zones(&floor, &uri, &bearer).await,
                        }
                    })
                })
                .collect();
            for task in tasks {
                task.await??;
            }
            let ms = t.elapsed().as_secs_f64() * 1e3;
            if i >= 5 {
                [&mut ours, &mut theirs, &mut floors][side].push(ms);
            }
        }
    }
    let (ours_conc, theirs_conc, floor_conc) =
        (median(&mut ours), median(&mut theirs), median(&mut floors));
    rows.push(row(
        "intensity_zones, 64 concurrent",
        "ms/64 calls",
        ours_conc,
        "reqwest + bearer header",
        theirs_conc,
        json!({"n": rounds}),
    ));
    // The same samples against the floor; reqwest's own distance from it rides along.
    rows.push(row(
        "intensity_zones, sequential",
        "µs/call",
        ours_seq,
        FLOOR_NAME,
        floor_seq,
        json!({"n": n, "floor": true, "reqwest_over_floor": theirs_seq / floor_seq}),
    ));
    rows.push(row(
        "intensity_zones, 64 concurrent",
        "ms/64 calls",
        ours_conc,
        FLOOR_NAME,
        floor_conc,
        json!({"n": rounds, "floor": true, "reqwest_over_floor": theirs_conc / floor_conc}),
    ));
    Ok(())
}

const FLOOR_NAME: &str = "the floor: bare hyper 1 + hyper-util pool, same typed parse";

/// A grant for user `user` (the sandbox's `login_hint`), the way an app gets it.
async fn sdk_tokens_for(sandbox: &Sandbox, client: &EnducoClient, user: &str) -> Result<TokenSet> {
    let pending =
        client.authorization_request(&[Scope::UserRead, Scope::PlansRead, Scope::WorkoutsWrite])?;
    let url = format!("{}&login_hint={user}", pending.url);
    let callback = sandbox.approve(&url).await?;
    Ok(client.complete_authorization(&pending, &callback).await?)
}

/// 10,000 users on one client: what an idle session costs in memory, and whether calls
/// spread over many sessions are slower than the same calls on one.
async fn bench_sessions(args: &Args, sandbox: &Sandbox, rows: &mut Vec<Value>) -> Result<()> {
    use futures::StreamExt;
    let users: usize = if args.quick { 1000 } else { 10_000 };
    let client = sdk_client(&sandbox.base)?;
    // Real grants, one per user (the sandbox's auto-approve with login_hint; ~1 ms each of
    // RS256 signing at the sandbox), minted through the SDK 16 at a time.
    let t = Instant::now();
    let minted: Vec<Result<TokenSet>> = futures::stream::iter(0..users)
        .map(|i| {
            let client = &client;
            async move { sdk_tokens_for(sandbox, client, &format!("bench-user-{i}")).await }
        })
        .buffered(16)
        .collect()
        .await;
    let mint_s = t.elapsed().as_secs_f64();
    // Kept as their storage form (JSON) for the whole row: the "database" the sessions load
    // from, alive before and after, so it is not part of the sessions' growth.
    let stored: Vec<String> = minted
        .into_iter()
        .map(|t| t.map(|t| t.to_json()))
        .collect::<Result<_>>()?;
    sandbox.clear_requests().await?;

    // Warm calls first, 64 at a time as below, so the shared client's pool (64 connections
    // and their buffers) and the runtime's threads are not counted as the sessions' memory.
    let first = client.session(Arc::new(MemoryTokenStore::with_tokens(
        TokenSet::from_json(&stored[0])?,
    )));
    for _ in 0..3 {
        let warm: Vec<_> = (0..64).map(|_| first.intensity_zones()).collect();
        for outcome in futures::future::join_all(warm).await {
            outcome?;
        }
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let before = proc_status_kib("VmRSS")?;
    let mut sessions = Vec::with_capacity(users);
    for json in &stored {
        let tokens = TokenSet::from_json(json)?;
        sessions.push(client.session(Arc::new(MemoryTokenStore::with_tokens(tokens))));
    }
    // Every session serves once (so it holds its loaded tokens, as a session that has
    // worked does), 64 at a time; then all are idle.
    // (Each answer is dropped as it arrives: 10,000 parsed zone tables held until the end
    // would be the bench's memory, not the sessions'.)
    let served: Vec<Result<(), enduco::Error>> = futures::stream::iter(&sessions)
        .map(|s| async move { s.intensity_zones().await.map(drop) })
        .buffer_unordered(64)
        .collect()
        .await;
    if let Some(e) = served.into_iter().find_map(Result::err) {
        bail!("a session failed its first call: {e}");
    }
    drop(first);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let after = proc_status_kib("VmRSS")?;
    let per_session_kib = (after.saturating_sub(before)) as f64 / users as f64;
    let token_json_bytes = stored.iter().map(String::len).sum::<usize>() as f64 / users as f64;
    rows.push(row(
        &format!("{users} idle sessions (one client): RSS per session"),
        "KiB",
        per_session_kib,
        "the 4 KiB goal",
        4.0,
        json!({"n": users, "sessions": users, "token_json_bytes": token_json_bytes,
               "mint_seconds": mint_s, "memory_row": true}),
    ));

    // 64 concurrent calls spread over all sessions (call k of the run goes to session k mod
    // N), against 64 concurrent calls on one session; alternated round by round.
    let one = sessions[0].clone();
    let rounds = if args.quick { 20 } else { 150 };
    let mut spread = Vec::with_capacity(rounds);
    let mut single = Vec::with_capacity(rounds);
    let mut next = 0usize;
    for i in 0..rounds + 5 {
        sandbox.clear_requests().await?;
        // Which side goes first alternates round by round.
        for k in 0..2 {
            let spread_side = (i + k) % 2 == 0;
            let t = Instant::now();
            let tasks: Vec<_> = (0..64)
                .map(|_| {
                    let session = if spread_side {
                        next += 1;
                        sessions[(next - 1) % users].clone()
                    } else {
                        one.clone()
                    };
                    tokio::spawn(async move { session.intensity_zones().await })
                })
                .collect();
            for task in tasks {
                task.await??;
            }
            let ms = t.elapsed().as_secs_f64() * 1e3;
            if i >= 5 {
                if spread_side {
                    &mut spread
                } else {
                    &mut single
                }
                .push(ms);
            }
        }
    }
    rows.push(row(
        &format!("intensity_zones, 64 concurrent, spread over {users} sessions"),
        "ms/64 calls",
        median(&mut spread),
        "the same on one session",
        median(&mut single),
        json!({"n": rounds}),
    ));
    Ok(())
}

const STORM: usize = 1000;

struct StormOutcome {
    ms: f64,
    token_requests: usize,
    errors: usize,
}

async fn storm_ours(sandbox: &Sandbox, session: &Session) -> Result<StormOutcome> {
    sandbox.clear_requests().await?;
    let t = Instant::now();
    let tasks: Vec<_> = (0..STORM)
        .map(|_| {
            let session = session.clone();
            tokio::spawn(async move { session.intensity_zones().await })
        })
        .collect();
    let mut errors = 0;
    for task in tasks {
        if task.await?.is_err() {
            errors += 1;
        }
    }
    let ms = t.elapsed().as_secs_f64() * 1e3;
    Ok(StormOutcome {
        ms,
        token_requests: sandbox.token_requests().await?,
        errors,
    })
}

async fn storm_theirs(sandbox: &Sandbox, gated: Arc<GatedRaw>) -> Result<StormOutcome> {
    sandbox.clear_requests().await?;
    let t = Instant::now();
    let tasks: Vec<_> = (0..STORM)
        .map(|_| {
            let gated = gated.clone();
            tokio::spawn(async move { gated.zones().await })
        })
        .collect();
    let mut errors = 0;
    for task in tasks {
        if task.await?.is_err() {
            errors += 1;
        }
    }
    let ms = t.elapsed().as_secs_f64() * 1e3;
    Ok(StormOutcome {
        ms,
        token_requests: sandbox.token_requests().await?,
        errors,
    })
}

async fn bench_storm(args: &Args, sandbox: &Sandbox, rows: &mut Vec<Value>) -> Result<()> {
    let reps = if args.quick { 2 } else { 7 };
    let mut ours = Vec::new();
    let mut theirs = Vec::new();
    for rep in 0..reps {
        // Fresh clients (cold connection pools) and fresh grants for both sides, then the
        // access tokens expire at the sandbox and in the stored expiry.
        let client = sdk_client(&sandbox.base)?;
        let tokens = sdk_tokens(sandbox, &client).await?;
        let session = client.session(Arc::new(MemoryTokenStore::with_tokens(expired(&tokens)?)));
        let mut raw = sandbox.raw_grant().await?;
        raw.expires_at = now_unix() - 3600;
        let gated = Arc::new(GatedRaw {
            http: reqwest::Client::new(),
            base: sandbox.base.clone(),
            tokens: tokio::sync::Mutex::new(raw),
        });
        sandbox.expire_access_tokens().await?;
        if rep % 2 == 0 {
            ours.push(storm_ours(sandbox, &session).await?);
            theirs.push(storm_theirs(sandbox, gated).await?);
        } else {
            theirs.push(storm_theirs(sandbox, gated).await?);
            ours.push(storm_ours(sandbox, &session).await?);
        }
    }
    let summary = |list: &[StormOutcome]| {
        let mut ms: Vec<f64> = list.iter().map(|o| o.ms).collect();
        let tokens_max = list.iter().map(|o| o.token_requests).max().unwrap_or(0);
        let tokens_min = list.iter().map(|o| o.token_requests).min().unwrap_or(0);
        let errors: usize = list.iter().map(|o| o.errors).sum();
        (median(&mut ms), tokens_min, tokens_max, errors)
    };
    let (o_ms, o_tmin, o_tmax, o_err) = summary(&ours);
    let (t_ms, t_tmin, t_tmax, t_err) = summary(&theirs);
    rows.push(row(
        "refresh storm: 1,000 concurrent calls, expired token",
        "ms until all done",
        o_ms,
        "reqwest + hand-written Mutex-gated refresh",
        t_ms,
        json!({
            "n": reps,
            "ours_token_requests": [o_tmin, o_tmax],
            "theirs_token_requests": [t_tmin, t_tmax],
            "ours_errors": o_err,
            "theirs_errors": t_err,
            "calls": STORM,
        }),
    ));
    Ok(())
}

/// Resets this process's peak RSS to its current RSS (Linux `clear_refs`), returns the RSS.
fn reset_peak_rss() -> Result<u64> {
    std::fs::write("/proc/self/clear_refs", "5").context("writing /proc/self/clear_refs")?;
    proc_status_kib("VmRSS")
}

fn proc_status_kib(field: &str) -> Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    status
        .lines()
        .find_map(|line| {
            line.strip_prefix(field)?
                .trim_start_matches(':')
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse()
                .ok()
        })
        .with_context(|| format!("no {field} in /proc/self/status"))
}

fn generate_fit(sandbox_bin: &Path, out: &Path, size: u64, seed: u64) -> Result<()> {
    let status = std::process::Command::new(sandbox_bin)
        .args(["fit", "--out"])
        .arg(out)
        .args(["--size", &size.to_string(), "--seed", &seed.to_string()])
        .status()?;
    if !status.success() {
        bail!("enduco-sandbox fit failed: {status}");
    }
    Ok(())
}

struct UploadOutcome {
    mb_per_s: f64,
    rss_growth_mib: f64,
}

async fn upload_raw(http: &reqwest::Client, url: &str, access: &str, path: &Path) -> Result<()> {
    let file = tokio::fs::File::open(path).await?;
    let size = file.metadata().await?.len();
    let stream = tokio_util::io::ReaderStream::with_capacity(file, 64 * 1024);
    let part =
        reqwest::multipart::Part::stream_with_length(reqwest::Body::wrap_stream(stream), size)
            .file_name("ride.fit")
            .mime_str("application/vnd.ant.fit")?;
    let response = http
        .post(url)
        .bearer_auth(access)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await?;
    let status = response.status();
    let body = response.text().await?;
    if status.as_u16() != 201 {
        bail!("raw upload: {status} {body}");
    }
    Ok(())
}

async fn bench_upload(args: &Args, sandbox: &Sandbox, rows: &mut Vec<Value>) -> Result<()> {
    let size: u64 = 100 * 1024 * 1024;
    let reps = if args.quick { 1 } else { 3 };
    let client = sdk_client(&sandbox.base)?;
    let tokens = sdk_tokens(sandbox, &client).await?;
    let session = client
        .connect(Arc::new(MemoryTokenStore::new()), tokens)
        .await?;
    let raw = sandbox.raw_grant().await?;
    let http = reqwest::Client::new();
    let url = sandbox.url("/api/v1/workouts");
    // Warm both connection pools (and the SDK's runtime paths) before measuring.
    session.intensity_zones().await?;
    raw_zones(&http, &sandbox.url("/api/v1/zones"), &raw.access).await?;

    let file = args.work.join("rust-upload.fit");
    let seed_base = 0x5eed_0000u64 + (now_unix() as u64 % 100_000) * 100;
    let mut ours = Vec::new();
    let mut theirs = Vec::new();
    let mut preflight = Vec::new();
    for rep in 0..reps as u64 {
        for side in 0..2u64 {
            // A new seed per upload, so the sandbox never answers 409 (duplicate).
            generate_fit(&args.sandbox_bin, &file, size, seed_base + rep * 2 + side)?;
            let before = reset_peak_rss()?;
            let t = Instant::now();
            if side == 0 {
                let result = session
                    .upload_workout(file.as_path(), Default::default())
                    .await?;
                if result.duplicate {
                    bail!("the sandbox saw the generated file as a duplicate");
                }
            } else {
                upload_raw(&http, &url, &raw.access, &file).await?;
            }
            let seconds = t.elapsed().as_secs_f64();
            let peak = proc_status_kib("VmHWM")?;
            let outcome = UploadOutcome {
                mb_per_s: size as f64 / 1e6 / seconds,
                rss_growth_mib: (peak.saturating_sub(before)) as f64 / 1024.0,
            };
            if side == 0 { &mut ours } else { &mut theirs }.push(outcome);
            if side == 0 {
                // The SDK's FIT pre-flight alone (header, sizes, CRCs, record framing), which
                // it runs over the whole file before sending; a raw upload does not check.
                let t = Instant::now();
                enduco::check_fit_file(&file).await?;
                preflight.push(t.elapsed().as_secs_f64() * 1e3);
            }
        }
    }
    std::fs::remove_file(&file).ok();
    let mut o_tp: Vec<f64> = ours.iter().map(|o| o.mb_per_s).collect();
    let mut t_tp: Vec<f64> = theirs.iter().map(|o| o.mb_per_s).collect();
    let mut o_rss: Vec<f64> = ours.iter().map(|o| o.rss_growth_mib).collect();
    let mut t_rss: Vec<f64> = theirs.iter().map(|o| o.rss_growth_mib).collect();
    rows.push(row(
        "upload 100 MB FIT from a path: throughput",
        "MB/s",
        median(&mut o_tp),
        "reqwest streaming multipart (tokio File)",
        median(&mut t_tp),
        json!({"n": reps, "higher_is_better": true, "preflight_ms": median(&mut preflight)}),
    ));
    rows.push(row(
        "upload 100 MB FIT from a path: peak RSS growth",
        "MiB",
        median(&mut o_rss),
        "reqwest streaming multipart (tokio File)",
        median(&mut t_rss),
        json!({"n": reps, "max_ours": o_rss.iter().cloned().fold(0.0, f64::max),
               "max_theirs": t_rss.iter().cloned().fold(0.0, f64::max)}),
    ));
    Ok(())
}

/// Issue 12's hostile plan (one repeat of 10,000 around 1,000 empty repeats and a step):
/// `timeline_checked` must return, truncated, well within 50 ms in a release build. There is
/// no "theirs": the row compares against that budget.
fn bench_timeline(args: &Args, rows: &mut Vec<Value>) -> Result<()> {
    let empties =
        vec![r#"{"kind": "repeat", "repeat": {"count": 5, "steps": []}}"#; 1000].join(",");
    let json = format!(
        r#"{{"id": "x", "date": "2026-04-01", "timeZone": "UTC", "steps": [
            {{"kind": "repeat", "repeat": {{"count": 10000, "steps": [{empties},
                {{"kind": "active", "durationSeconds": 60}}]}}}}]}}"#
    );
    let plan: enduco::PlannedWorkout = serde_json::from_str(&json)?;
    let runs = if args.quick { 5 } else { 51 };
    let mut ms = Vec::with_capacity(runs);
    let mut truncated = false;
    for _ in 0..runs {
        let started = Instant::now();
        let checked = plan.timeline_checked(None);
        ms.push(started.elapsed().as_secs_f64() * 1000.0);
        truncated = checked.truncated && !checked.segments.is_empty();
    }
    if !truncated {
        bail!("the hostile plan's timeline was not flagged as truncated");
    }
    rows.push(row(
        "timeline of a hostile plan (10,000 x 1,000 empty repeats), truncated",
        "ms",
        median(&mut ms),
        "the 50 ms budget",
        50.0,
        json!({"n": runs}),
    ));
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = parse_args()?;
    std::fs::create_dir_all(&args.work)?;
    let sandbox = Sandbox::new(&args.base)?;
    let wants = |name: &str| {
        args.only
            .as_ref()
            .is_none_or(|o| o.iter().any(|x| x == name))
    };
    let mut rows = Vec::new();
    if wants("zones") {
        eprintln!("rust: intensity_zones");
        bench_zones(&args, &sandbox, &mut rows).await?;
    }
    if wants("sessions") {
        eprintln!("rust: 10,000 sessions");
        bench_sessions(&args, &sandbox, &mut rows).await?;
    }
    if wants("storm") {
        eprintln!("rust: refresh storm");
        bench_storm(&args, &sandbox, &mut rows).await?;
    }
    if wants("timeline") {
        eprintln!("rust: hostile timeline");
        bench_timeline(&args, &mut rows)?;
    }
    if wants("upload") {
        eprintln!("rust: upload");
        bench_upload(&args, &sandbox, &mut rows).await?;
    }
    sandbox.clear_requests().await?;
    std::fs::write(&args.out, serde_json::to_string_pretty(&rows)? + "\n")?;
    // Give the sandbox a moment to close idle connections before the next language starts.
    tokio::time::sleep(Duration::from_millis(100)).await;
    Ok(())
}
