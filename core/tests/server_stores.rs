//! The PostgreSQL and Redis token stores against real servers (tests/db-servers starts them
//! on loopback): the store contract, the lock's lease and owner-only release, and a database
//! that goes away in the middle of a session.
#![cfg(all(feature = "postgres", feature = "redis"))]

mod common;

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use common::Harness;
use enduco::{PostgresTokenStores, RedisTokenStores, Scope, TokenStore};

/// Both servers, stopped when dropped.
struct Servers {
    dir: tempfile::TempDir,
    postgres: String,
    redis: String,
}

fn db_servers(args: &[&str]) -> String {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/db-servers");
    let out = Command::new(script)
        .args(args)
        .output()
        .expect("tests/db-servers");
    assert!(
        out.status.success(),
        "tests/db-servers {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

impl Servers {
    fn up() -> Servers {
        let dir = tempfile::tempdir().unwrap();
        let out = db_servers(&["up", dir.path().to_str().unwrap()]);
        let url = |name: &str| {
            out.lines()
                .find_map(|l| l.strip_prefix(name).map(str::to_owned))
                .unwrap()
        };
        Servers {
            postgres: url("POSTGRES_URL="),
            redis: url("REDIS_URL="),
            dir,
        }
    }

    fn stop(&self, which: &str) {
        db_servers(&["stop", which, self.dir.path().to_str().unwrap()]);
    }

    fn start(&self, which: &str) {
        db_servers(&["start", which, self.dir.path().to_str().unwrap()]);
    }
}

impl Drop for Servers {
    fn drop(&mut self) {
        db_servers(&["down", self.dir.path().to_str().unwrap()]);
    }
}

async fn check_contract(store: &dyn TokenStore, other_user: &dyn TokenStore, h: &Harness) {
    assert!(store.supports_lock());
    assert!(store.load().await.unwrap().is_none());
    let tokens = h.authorize(&Scope::ALL).await;
    store.save(&tokens).await.unwrap();
    assert_eq!(store.load().await.unwrap().as_ref(), Some(&tokens));
    assert!(
        other_user.load().await.unwrap().is_none(),
        "users are apart"
    );

    let lease = Duration::from_secs(30);
    assert!(store.try_lock("a", lease).await.unwrap());
    assert!(!store.try_lock("b", lease).await.unwrap(), "held by a");
    assert!(
        other_user.try_lock("b", lease).await.unwrap(),
        "locks are per user"
    );
    assert!(
        store.try_lock("a", lease).await.unwrap(),
        "the owner renews"
    );
    store.unlock("b").await.unwrap();
    assert!(
        !store.try_lock("b", lease).await.unwrap(),
        "only the owner releases"
    );
    store.unlock("a").await.unwrap();
    assert!(
        store
            .try_lock("b", Duration::from_millis(200))
            .await
            .unwrap()
    );
    // b "crashes": its lease runs out and c gets the lock.
    let mut polls = 0;
    while !store.try_lock("c", lease).await.unwrap() {
        polls += 1;
        assert!(polls < 1000, "the lease never ended");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    store.unlock("b").await.unwrap();
    assert!(
        !store.try_lock("d", lease).await.unwrap(),
        "b cannot release c's lock"
    );

    store.clear().await.unwrap();
    assert!(store.load().await.unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_and_redis_stores_keep_the_contract() {
    let servers = Servers::up();
    let h = Harness::start().await;
    let postgres = PostgresTokenStores::new(&servers.postgres).unwrap();
    postgres.migrate().await.unwrap();
    postgres.migrate().await.expect("migrate is idempotent");
    check_contract(&postgres.for_user("u1"), &postgres.for_user("u2"), &h).await;
    let redis = RedisTokenStores::new(&servers.redis).unwrap();
    redis.migrate().await.unwrap();
    check_contract(&redis.for_user("u1"), &redis.for_user("u2"), &h).await;
    let debug = format!("{postgres:?} {redis:?} {:?}", postgres.for_user("u1"));
    assert!(!debug.contains("127.0.0.1"), "no URL in Debug: {debug}");
}

/// A database that goes away: calls that need the lock fail with `store` and send no token
/// request; once it is back, the same session carries on without a new login.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_database_fails_with_store_and_sends_no_refresh() {
    let servers = Servers::up();
    let h = Harness::start().await;
    let postgres = PostgresTokenStores::new(&servers.postgres).unwrap();
    postgres.migrate().await.unwrap();
    let redis = RedisTokenStores::new(&servers.redis).unwrap();
    let cases: [(&str, Arc<dyn TokenStore>); 2] = [
        ("postgres", Arc::new(postgres.for_user("athlete"))),
        ("redis", Arc::new(redis.for_user("athlete"))),
    ];
    for (which, store) in cases {
        let session = h
            .client
            .connect(store, h.authorize(&Scope::ALL).await)
            .await
            .unwrap();
        session.intensity_zones().await.unwrap();
        servers.stop(which);
        h.expire_access_tokens().await;
        let before = h.refresh_requests().await;
        let err = session.intensity_zones().await.unwrap_err();
        assert_eq!(err.code(), "store", "{which}: {err}");
        assert_eq!(
            h.refresh_requests().await,
            before,
            "{which}: no refresh without the lock"
        );
        servers.start(which);
        session
            .intensity_zones()
            .await
            .unwrap_or_else(|e| panic!("{which} is back: {e}"));
        assert_eq!(h.refresh_requests().await, before + 1, "{which}");
    }
}
