//! Lifecycle rule 2 across callers, sessions and processes (docs/lifecycle.md): one refresh
//! per grant, its outcome shared — success or failure — and the store's refresh lock.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use common::Harness;
use enduco::{Error, FileTokenStore, MemoryTokenStore, Scope, Session, TokenSet, TokenStore};
use serde_json::json;

/// Tokens whose access token has expired on the client's clock (the server still knows them).
fn expired(mut tokens: TokenSet) -> TokenSet {
    tokens.expires_at = 1;
    tokens
}

async fn call_all(session: &Session, callers: usize) -> Vec<enduco::Result<()>> {
    let tasks: Vec<_> = (0..callers)
        .map(|_| {
            let session = session.clone();
            tokio::spawn(async move { session.intensity_zones().await.map(|_| ()) })
        })
        .collect();
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.expect("caller task"));
    }
    outcomes
}

/// Two sessions on stores that share one expired grant, 10 callers each: every call succeeds
/// and the grant is refreshed once.
async fn two_sessions_refresh_once(h: &Harness, first: Session, second: Session) {
    let before = h.refresh_requests().await;
    let (a, b) = tokio::join!(call_all(&first, 10), call_all(&second, 10));
    for outcome in a.into_iter().chain(b) {
        outcome.expect("every call succeeds");
    }
    assert_eq!(
        h.refresh_requests().await - before,
        1,
        "one refresh per grant"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_behind_a_failing_refresh_share_its_error() {
    let h = Harness::start().await;
    let store = Arc::new(MemoryTokenStore::with_tokens(expired(
        h.authorize(&Scope::ALL).await,
    )));
    let session = h.client.session(store);
    // The refresh fails slowly, so every caller is queued behind it.
    h.fault(
        "/oauth2/token",
        1,
        "status",
        json!({"status": 500, "delayMs": 1500}),
    )
    .await;
    let before = h.refresh_requests().await;
    let outcomes = call_all(&session, 20).await;
    for outcome in &outcomes {
        let err = outcome.as_ref().expect_err("the refresh failed");
        assert_eq!(err.code(), "server", "{err}");
    }
    assert_eq!(h.refresh_requests().await - before, 1, "one token request");
    // A caller arriving afterwards starts a new attempt, which succeeds.
    session
        .intensity_zones()
        .await
        .expect("the next attempt works");
    assert_eq!(h.refresh_requests().await - before, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_behind_a_refused_refresh_share_it_and_it_is_never_resent() {
    let h = Harness::start().await;
    h.control("/_sandbox/refresh-reuse", json!({"policy": "strict"}))
        .await;
    let tokens = h.authorize(&Scope::ALL).await;
    // Somebody else rotates the grant and keeps the result to themselves.
    h.client
        .session(Arc::new(MemoryTokenStore::with_tokens(tokens.clone())))
        .refresh()
        .await
        .unwrap();
    let store = Arc::new(MemoryTokenStore::with_tokens(expired(tokens)));
    let session = h.client.session(store.clone());
    let before = h.refresh_requests().await;
    for outcome in call_all(&session, 20).await {
        let err = outcome.expect_err("the grant is gone for this copy");
        assert_eq!(err.code(), "reauthorization_required", "{err}");
    }
    assert_eq!(h.refresh_requests().await - before, 1, "one token request");
    // A refused refresh token is never presented again (reuse detection would revoke the
    // grant for it), while the store still holds it.
    let err = session.intensity_zones().await.unwrap_err();
    assert_eq!(err.code(), "reauthorization_required");
    assert_eq!(h.refresh_requests().await - before, 1, "nothing resent");
    // A new login saved into the store is picked up.
    store.save(&h.authorize(&Scope::ALL).await).await.unwrap();
    let fresh = h.client.session(store.clone());
    fresh.intensity_zones().await.expect("the new grant works");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_sharing_a_memory_store_refresh_once() {
    let h = Harness::start().await;
    let store = Arc::new(MemoryTokenStore::with_tokens(expired(
        h.authorize(&Scope::ALL).await,
    )));
    // A backend that makes a new session per request: two sessions, one store.
    let first = h.client.session(store.clone());
    let second = h.client.session(store.clone());
    two_sessions_refresh_once(&h, first, second).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_stores_on_one_path_refresh_once() {
    let h = Harness::start().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.json");
    let tokens = expired(h.authorize(&Scope::ALL).await);
    FileTokenStore::new(&path).save(&tokens).await.unwrap();
    // Two store objects on one path take the lock like two processes would (flock is per
    // open file, not per process).
    let first = h.client.session(Arc::new(FileTokenStore::new(&path)));
    let second = h.client.session(Arc::new(FileTokenStore::new(&path)));
    two_sessions_refresh_once(&h, first, second).await;
    assert!(FileTokenStore::new(&path).lock_path().exists());
}

/// A wrapper that changes one behaviour of a real store.
struct Quirky {
    inner: Arc<dyn TokenStore>,
    lock_fails: bool,
    hang_loads: AtomicBool,
    /// `false`: a store for one process only, as host stores were before the lock.
    offers_lock: bool,
}

impl Quirky {
    fn new(inner: Arc<dyn TokenStore>) -> Self {
        Quirky {
            inner,
            lock_fails: false,
            hang_loads: AtomicBool::new(false),
            offers_lock: true,
        }
    }
}

#[async_trait]
impl TokenStore for Quirky {
    async fn load(&self) -> enduco::Result<Option<TokenSet>> {
        if self.hang_loads.load(Ordering::SeqCst) {
            std::future::pending::<()>().await;
        }
        self.inner.load().await
    }
    async fn save(&self, tokens: &TokenSet) -> enduco::Result<()> {
        self.inner.save(tokens).await
    }
    async fn clear(&self) -> enduco::Result<()> {
        self.inner.clear().await
    }
    fn supports_lock(&self) -> bool {
        self.offers_lock
    }
    async fn try_lock(&self, owner: &str, lease: Duration) -> enduco::Result<bool> {
        if self.lock_fails {
            return Err(Error::store("the lock server is down", None));
        }
        self.inner.try_lock(owner, lease).await
    }
    async fn unlock(&self, owner: &str) -> enduco::Result<()> {
        self.inner.unlock(owner).await
    }
}

#[tokio::test]
async fn no_refresh_is_sent_when_the_store_cannot_lock() {
    let h = Harness::start().await;
    let inner = Arc::new(MemoryTokenStore::with_tokens(expired(
        h.authorize(&Scope::ALL).await,
    )));
    let store = Quirky {
        lock_fails: true,
        ..Quirky::new(inner.clone())
    };
    let session = h.client.session(Arc::new(store));
    let before = h.refresh_requests().await;
    let err = session.intensity_zones().await.unwrap_err();
    assert_eq!(err.code(), "store", "{err}");
    assert!(err.to_string().contains("lock server is down"), "{err}");
    assert_eq!(
        h.refresh_requests().await,
        before,
        "no uncoordinated refresh"
    );
    assert!(inner.get().is_some(), "nothing lost");
}

#[tokio::test]
async fn a_store_that_never_answers_fails_after_the_store_timeout_and_recovers() {
    let h = Harness::start_with(Default::default(), |config| {
        config.store_timeout = Duration::from_millis(300);
    })
    .await;
    let inner = Arc::new(MemoryTokenStore::with_tokens(
        h.authorize(&Scope::ALL).await,
    ));
    let store = Arc::new(Quirky::new(inner));
    store.hang_loads.store(true, Ordering::SeqCst);
    let session = h.client.session(store.clone());
    let err = session.intensity_zones().await.unwrap_err();
    assert_eq!(err.code(), "store", "{err}");
    assert!(err.to_string().contains("did not finish"), "{err}");
    store.hang_loads.store(false, Ordering::SeqCst);
    session
        .intensity_zones()
        .await
        .expect("the session works again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crashed_lock_holder_blocks_only_until_its_lease_ends() {
    let h = Harness::start().await;
    let store = Arc::new(MemoryTokenStore::with_tokens(expired(
        h.authorize(&Scope::ALL).await,
    )));
    // A holder that took the lock and died without releasing it.
    assert!(
        store
            .try_lock("crashed-holder", Duration::from_millis(800))
            .await
            .unwrap()
    );
    let session = h.client.session(store.clone());
    let before = h.refresh_requests().await;
    let started = std::time::Instant::now();
    session
        .intensity_zones()
        .await
        .expect("refreshes after the lease");
    println!("waited {:?} for a lease of 800 ms", started.elapsed());
    assert_eq!(h.refresh_requests().await - before, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiting_process_uses_what_the_lock_holder_saved() {
    let h = Harness::start().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.json");
    let tokens = expired(h.authorize(&Scope::ALL).await);
    let holder = FileTokenStore::new(&path);
    holder.save(&tokens).await.unwrap();
    assert!(
        holder
            .try_lock("holder", Duration::from_secs(30))
            .await
            .unwrap()
    );

    let waiter = h.client.session(Arc::new(FileTokenStore::new(&path)));
    let call = tokio::spawn(async move { waiter.intensity_zones().await.map(|_| ()) });
    // The holder refreshes and saves, then releases the lock.
    let refreshed = h
        .client
        .session(Arc::new(MemoryTokenStore::with_tokens(tokens)))
        .refresh()
        .await
        .unwrap();
    holder.save(&refreshed).await.unwrap();
    let before = h.refresh_requests().await;
    holder.unlock("holder").await.unwrap();
    call.await
        .unwrap()
        .expect("the waiter uses the holder's tokens");
    assert_eq!(
        h.refresh_requests().await,
        before,
        "the waiter sent no refresh"
    );
}

/// Rule 4 without a lock: our refresh is refused because another process rotated first and
/// has not saved yet; the session looks at the store again for a moment and finds its tokens.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_grant_waits_briefly_for_a_concurrent_writer() {
    let h = Harness::start().await;
    h.control("/_sandbox/refresh-reuse", json!({"policy": "strict"}))
        .await;
    let tokens = expired(h.authorize(&Scope::ALL).await);
    let shared = Arc::new(MemoryTokenStore::with_tokens(tokens.clone()));
    // The other process: its refresh rotates at once, its answer arrives 300 ms later.
    h.fault(
        "/oauth2/token",
        1,
        "delay-response",
        json!({"delayMs": 300}),
    )
    .await;
    let other = h.client.session(Arc::new(Quirky {
        offers_lock: false,
        ..Quirky::new(shared.clone())
    }));
    let other_call = tokio::spawn(async move { other.refresh().await.map(|_| ()) });
    // Wait until the other process's token request reached enduco.
    loop {
        if h.refresh_requests().await >= 1 {
            break;
        }
        tokio::task::yield_now().await;
    }
    let ours = h.client.session(Arc::new(Quirky {
        offers_lock: false,
        ..Quirky::new(shared.clone())
    }));
    ours.intensity_zones()
        .await
        .expect("the other process's tokens are adopted");
    other_call.await.unwrap().unwrap();
    assert_eq!(
        h.refresh_requests().await,
        2,
        "ours was refused, nothing more"
    );
}
