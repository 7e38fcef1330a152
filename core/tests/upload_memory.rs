//! A 50 MB upload from a path: the client's heap stays flat while the sandbox (a separate
//! process, so its buffers do not count) receives the file in full.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use enduco::{ClientConfig, EnducoClient, Environment, MemoryTokenStore, Scope, UploadOptions};
use enduco_sandbox::fit::ActivityFile;

/// Counts live heap bytes and their peak.
struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        ptr
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_50_mb_upload_streams_with_flat_memory() {
    let bin = std::env::current_exe()
        .unwrap()
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("enduco-sandbox");
    assert!(
        bin.exists(),
        "build the sandbox binary first (cargo build --workspace): {}",
        bin.display()
    );
    let mut sandbox = Command::new(bin)
        .args(["--port", "0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(sandbox.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let url = first
        .trim()
        .strip_prefix("listening on ")
        .expect("listening line")
        .to_owned();

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("long-ride.fit");
    let size = ActivityFile::new(50)
        .target_size(50 * 1024 * 1024)
        .write_to(std::fs::File::create(&path).unwrap())
        .unwrap();
    assert!(size >= 50 * 1000 * 1000);

    let config = ClientConfig::new(
        Environment::parse(&url).unwrap(),
        "sandbox-client",
        "sandbox-secret",
        "https://app.example/callback",
    );
    let client = EnducoClient::new(config).unwrap();
    let request = client.authorization_request(&Scope::ALL).unwrap();
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let location = browser
        .get(request.url.clone())
        .send()
        .await
        .unwrap()
        .headers()["location"]
        .to_str()
        .unwrap()
        .to_owned();
    let tokens = client
        .complete_authorization(&request, &location)
        .await
        .unwrap();
    let session = client.session(Arc::new(MemoryTokenStore::with_tokens(tokens)));
    session.intensity_zones().await.unwrap(); // warm the connection pool

    let baseline = LIVE.load(Ordering::Relaxed);
    PEAK.store(baseline, Ordering::Relaxed);
    let result = session
        .upload_workout(path.as_path(), UploadOptions::default())
        .await
        .unwrap();
    let growth = PEAK.load(Ordering::Relaxed).saturating_sub(baseline);
    let _ = sandbox.kill();
    let _ = sandbox.wait();

    assert!(
        !result.duplicate,
        "the sandbox received, validated and stored the whole file"
    );
    assert!(
        growth < 8 * 1024 * 1024,
        "peak heap growth {growth} bytes for a {size}-byte file: the upload must stream"
    );
}
