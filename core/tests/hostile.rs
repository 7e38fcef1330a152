//! A server that misbehaves on purpose (`enduco-hostile`, the sandbox crate's second binary):
//! every case must end in its typed error — no panic, no hang — within the deadline and in
//! bounded memory. The cases and their expected codes come from the server (`GET /cases`),
//! the same list the Python and Node suites run.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use enduco::{ClientConfig, EnducoClient, Environment, MemoryTokenStore, TokenSet};
use serde_json::Value;

struct Hostile {
    child: Child,
    base: String,
}

impl Hostile {
    /// `GET /cases`: the cases, their expected codes and the token sets to start from.
    async fn cases(&self) -> Value {
        reqwest::get(format!("{}/cases", self.base))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_hostile() -> Hostile {
    let exe = std::env::current_exe().unwrap();
    let bin = exe
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("enduco-hostile");
    assert!(bin.exists(), "build the workspace first: {}", bin.display());
    let mut child = Command::new(bin).stdout(Stdio::piped()).spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_owned();
    Hostile { child, base }
}

/// The process's peak resident memory so far (VmHWM), in KiB.
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

fn client_for(base: &str, case: &str, tweak: impl FnOnce(&mut ClientConfig)) -> EnducoClient {
    let env = Environment::parse(&format!("{base}/{case}")).unwrap();
    let mut config = ClientConfig::new(
        env,
        "hostile-client",
        "hostile-secret",
        "https://app.example/callback",
    );
    config.timeouts.request = Duration::from_secs(2);
    config.retry.initial_backoff = Duration::from_millis(10);
    config.retry.max_backoff = Duration::from_millis(50);
    config.retry.deadline = Duration::from_secs(5);
    tweak(&mut config);
    EnducoClient::new(config).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_hostile_case_ends_in_its_typed_error_in_bounded_memory() {
    let hostile = start_hostile();
    let list = hostile.cases().await;
    let fresh = TokenSet::from_json(list["tokens"].as_str().unwrap()).unwrap();
    let expired = TokenSet::from_json(list["expiredTokens"].as_str().unwrap()).unwrap();
    // Warm up first (the first client's TLS roots, the runtime's threads): the bound is on
    // what the hostile answers cost, not on the SDK's fixed start-up.
    let warm = client_for(&hostile.base, "empty-token-answer", |_| {})
        .session(Arc::new(MemoryTokenStore::with_tokens(fresh.clone())));
    warm.intensity_zones()
        .await
        .expect("this case's zones endpoint behaves");
    let before = peak_rss_kib();
    let cases = list["cases"].as_array().unwrap();
    assert!(cases.len() >= 15, "the server lists its cases");
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let expect = case["expect"].as_str().unwrap();
        let tokens = if case["endpoint"] == "token" {
            &expired
        } else {
            &fresh
        };
        let client = client_for(&hostile.base, name, |_| {});
        let session = client.session(Arc::new(MemoryTokenStore::with_tokens(tokens.clone())));
        let err = session
            .intensity_zones()
            .await
            .expect_err(&format!("{name} must fail"));
        println!(
            "{name}: {} — {err} (peak RSS {} KiB)",
            err.code(),
            peak_rss_kib()
        );
        assert_eq!(err.code(), expect, "{name}: {err}");
    }
    let grown_mib = (peak_rss_kib() - before) / 1024;
    println!("peak RSS grew by {grown_mib} MiB over every case");
    assert!(grown_mib < 32, "peak RSS grew by {grown_mib} MiB");
}

/// A deadline or a `Retry-After` too large for the clock saturates instead of panicking.
#[tokio::test]
async fn absurd_deadlines_and_retry_after_do_not_overflow() {
    let hostile = start_hostile();
    let list = hostile.cases().await;
    let fresh = TokenSet::from_json(list["tokens"].as_str().unwrap()).unwrap();
    for case in ["retry-after-huge", "retry-after-future-date"] {
        let client = client_for(&hostile.base, case, |config| {
            config.retry.deadline = Duration::MAX;
            config.store_timeout = Duration::MAX;
            config.lock_lease = Some(Duration::MAX);
        });
        let session = client.session(Arc::new(MemoryTokenStore::with_tokens(fresh.clone())));
        let err = session.intensity_zones().await.unwrap_err();
        assert_eq!(err.code(), "server", "{case}: {err}");
    }
}
