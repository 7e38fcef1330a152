//! The token lifecycle rules of docs/lifecycle.md, each shown against the sandbox.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use common::Harness;
use enduco::{Error, MemoryTokenStore, Scope, TokenSet, TokenStore};

/// Declares a lifecycle test that runs twice: with the client secret, and in relay mode
/// (docs/relay.md), where only the place token requests go changes — so every rule must hold.
macro_rules! in_both_modes {
    (async fn $name:ident($h:ident: Harness) $body:block) => {
        mod $name {
            use super::*;

            async fn run($h: Harness) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn with_the_secret() {
                run(Harness::start().await).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn through_a_relay() {
                run(Harness::start_relayed().await).await
            }
        }
    };
}

fn expired(mut tokens: TokenSet) -> TokenSet {
    tokens.expires_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        - 10;
    tokens
}

in_both_modes! {
async fn a_hundred_concurrent_calls_on_an_expired_token_make_one_refresh(h: Harness) {
    let tokens = expired(h.authorize(&Scope::ALL).await);
    h.expire_access_tokens().await;
    let store = Arc::new(MemoryTokenStore::with_tokens(tokens));
    let session = h.client.session(store.clone());
    let calls = (0..100).map(|_| {
        let session = session.clone();
        tokio::spawn(async move { session.request("GET", "/api/v1/zones", &[], None).await })
    });
    for call in futures::future::join_all(calls).await {
        assert_eq!(call.unwrap().unwrap().status, 200);
    }
    assert_eq!(h.refresh_requests().await, 1);
    assert_eq!(h.count("GET", "/api/v1/zones").await, 100);
    assert!(
        !store
            .get()
            .unwrap()
            .expires_within(std::time::Duration::from_secs(60))
    );
}
}

in_both_modes! {
async fn a_401_refreshes_once_and_replays_once(h: Harness) {
    let (session, _store) = h.session().await;
    h.expire_access_tokens().await;
    let response = session
        .request("GET", "/api/v1/zones", &[], None)
        .await
        .unwrap();
    assert_eq!(response.status, 200);
    let log: Vec<_> = h
        .requests()
        .await
        .into_iter()
        .filter(|r| r.path != "/oauth2/authorize")
        .skip(1) // the code exchange
        .map(|r| (r.method, r.path, r.status))
        .collect();
    assert_eq!(
        log,
        [
            ("GET".to_owned(), "/api/v1/zones".to_owned(), 401),
            ("POST".to_owned(), "/oauth2/token".to_owned(), 200),
            ("GET".to_owned(), "/api/v1/zones".to_owned(), 200),
        ]
    );
}
}

/// A host store whose `save` fails a given number of times.
struct FlakyStore {
    inner: MemoryTokenStore,
    failing_saves: AtomicUsize,
    saves: AtomicUsize,
}

#[async_trait]
impl TokenStore for FlakyStore {
    async fn load(&self) -> enduco::Result<Option<TokenSet>> {
        self.inner.load().await
    }
    async fn save(&self, tokens: &TokenSet) -> enduco::Result<()> {
        self.saves.fetch_add(1, Ordering::SeqCst);
        if self.failing_saves.load(Ordering::SeqCst) > 0 {
            self.failing_saves.fetch_sub(1, Ordering::SeqCst);
            return Err(Error::store("keychain is locked", None));
        }
        self.inner.save(tokens).await
    }
    async fn clear(&self) -> enduco::Result<()> {
        self.inner.clear().await
    }
}

in_both_modes! {
async fn a_failed_save_keeps_the_tokens_and_saves_them_on_the_next_call(h: Harness) {
    let original = expired(h.authorize(&Scope::ALL).await);
    let store = Arc::new(FlakyStore {
        inner: MemoryTokenStore::with_tokens(original.clone()),
        failing_saves: AtomicUsize::new(1),
        saves: AtomicUsize::new(0),
    });
    let session = h.client.session(store.clone());

    let err = session
        .request("GET", "/api/v1/zones", &[], None)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "store", "{err}");
    assert!(err.to_string().contains("keychain is locked"));
    assert_eq!(
        store.inner.get().unwrap(),
        original,
        "the store still has the old tokens"
    );
    assert_eq!(
        h.count("GET", "/api/v1/zones").await,
        0,
        "unsaved tokens were not used"
    );

    // Rotation is on: the old refresh token is dead, only the in-memory tokens can work.
    let response = session
        .request("GET", "/api/v1/zones", &[], None)
        .await
        .unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(
        h.refresh_requests().await,
        1,
        "no second refresh: the kept tokens were used"
    );
    let saved = store.inner.get().unwrap();
    assert_ne!(saved.refresh_token, original.refresh_token);
    assert_eq!(store.saves.load(Ordering::SeqCst), 2);
}
}

#[tokio::test]
async fn a_store_that_cannot_load_is_a_store_error() {
    struct Broken;
    #[async_trait]
    impl TokenStore for Broken {
        async fn load(&self) -> enduco::Result<Option<TokenSet>> {
            // A host returning some other error still surfaces as `store`.
            Err(Error::InvalidInput {
                message: "row is corrupt".into(),
            })
        }
        async fn save(&self, _: &TokenSet) -> enduco::Result<()> {
            Ok(())
        }
        async fn clear(&self) -> enduco::Result<()> {
            Ok(())
        }
    }
    let h = Harness::start().await;
    let session = h.client.session(Arc::new(Broken));
    let err = session
        .request("GET", "/api/v1/zones", &[], None)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "store");
    assert!(err.to_string().contains("row is corrupt"), "{err}");
}

#[tokio::test]
async fn no_tokens_means_reauthorization_without_a_request() {
    let h = Harness::start().await;
    let session = h.client.session(Arc::new(MemoryTokenStore::new()));
    let err = session
        .request("GET", "/api/v1/zones", &[], None)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "reauthorization_required");
    assert!(h.requests().await.is_empty());
}

#[tokio::test]
async fn a_missing_scope_fails_before_any_request() {
    let h = Harness::start().await;
    let (session, _) = h.session_with(&[Scope::PlansRead]).await;
    let before = h.requests().await.len();
    let err = session.intensity_zones().await.unwrap_err();
    assert!(
        matches!(&err, Error::InsufficientScope { missing } if missing == &["user_read"]),
        "{err}"
    );
    assert_eq!(h.requests().await.len(), before, "nothing was sent");

    // Through the escape hatch the SDK cannot know the scope; enduco's 403 maps the same way.
    let err = session
        .request("GET", "/api/v1/zones", &[], None)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::InsufficientScope { missing } if missing == &["user_read"]),
        "{err}"
    );
}

#[tokio::test]
async fn a_reused_refresh_token_is_reauthorization_when_nobody_rotated_it() {
    let h = Harness::start().await;
    // Under `overlap` (the sandbox's default, like Spring AS) a second use right after the
    // first would still be accepted; `strict` refuses it at once.
    h.control(
        "/_sandbox/refresh-reuse",
        serde_json::json!({"policy": "strict"}),
    )
    .await;
    let tokens = h.authorize(&Scope::ALL).await;
    // Somebody else refreshes with the same grant and keeps the result to themselves.
    let elsewhere = h
        .client
        .session(Arc::new(MemoryTokenStore::with_tokens(tokens.clone())));
    elsewhere.refresh().await.unwrap();
    let store = Arc::new(MemoryTokenStore::with_tokens(tokens));
    let session = h.client.session(store.clone());
    let err = session.refresh().await.unwrap_err();
    assert_eq!(err.code(), "reauthorization_required", "{err}");
    assert!(
        store.get().is_some(),
        "the store is left for the app to decide"
    );
}

#[tokio::test]
async fn without_rotation_the_refresh_token_is_kept() {
    let h = Harness::start().await;
    h.control("/_sandbox/rotation", serde_json::json!({"enabled": false}))
        .await;
    let (session, store) = h.session().await;
    let before = store.get().unwrap();
    let after = session.refresh().await.unwrap();
    assert_eq!(after.refresh_token, before.refresh_token);
    assert_ne!(after.access_token, before.access_token);
    session.refresh().await.unwrap();
}

/// Two processes share one `FileTokenStore`; each refreshes (rotation on) while the other
/// holds the previous refresh token in memory. Neither may end in reauthorization.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_sharing_a_file_store_survive_each_others_rotation() {
    use std::io::{BufRead, BufReader, Write};
    use std::process::{Command, Stdio};

    let h = Harness::start().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.json");
    let store = Arc::new(enduco::FileTokenStore::new(&path));
    let tokens = h.authorize(&Scope::ALL).await;
    let session = h.client.connect(store, tokens).await.unwrap();
    // Load the tokens into this session's memory now, so it really holds the stale copy later.
    session
        .request("GET", "/api/v1/zones", &[], None)
        .await
        .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the token file is private");
    }

    // The other process: the `shared_store_worker` example, driven line by line.
    let worker = std::env::current_exe()
        .unwrap()
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples/shared_store_worker");
    assert!(
        worker.exists(),
        "build the examples first (cargo build -p enduco --examples; tests/run-all does): {}",
        worker.display()
    );
    let mut child = Command::new(worker)
        .arg(h.sandbox.url())
        .arg(&path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut to_child = child.stdin.take().unwrap();
    let mut from_child = BufReader::new(child.stdout.take().unwrap());
    // Blocking pipe I/O: keep it off the worker that serves the in-process sandbox.
    let mut ask = |line: &str| {
        tokio::task::block_in_place(|| {
            writeln!(to_child, "{line}").unwrap();
            let mut answer = String::new();
            from_child.read_line(&mut answer).unwrap();
            answer.trim().to_owned()
        })
    };

    assert_eq!(
        ask("zones"),
        "ok athlete-1001",
        "the worker loads the shared tokens"
    );
    // Round 1: the worker refreshes (rotating), then we must cope with our stale copy.
    h.expire_access_tokens().await;
    assert_eq!(ask("zones"), "ok athlete-1001");
    session
        .request("GET", "/api/v1/zones", &[], None)
        .await
        .expect("we adopt the worker's rotation");
    // Round 2: we refresh, the worker holds the stale copy.
    h.expire_access_tokens().await;
    session
        .request("GET", "/api/v1/zones", &[], None)
        .await
        .unwrap();
    assert_eq!(
        ask("zones"),
        "ok athlete-1001",
        "the worker adopts our rotation"
    );
    assert_eq!(ask("exit"), "bye");
    assert!(child.wait().unwrap().success());

    let statuses: Vec<_> = h
        .requests()
        .await
        .into_iter()
        .filter(|r| r.grant_type.as_deref() == Some("refresh_token"))
        .map(|r| r.status)
        .collect();
    // Each round: one rotation. The process holding the stale copy re-reads the store under
    // its lock before refreshing, finds the other's tokens and sends nothing (rule 2).
    assert_eq!(statuses, [200, 200]);
}
