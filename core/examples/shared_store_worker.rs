//! A second process for the shared-`FileTokenStore` test (core/tests/lifecycle.rs): keeps one
//! session alive and answers commands from stdin, one line each.
//!
//! usage: shared_store_worker BASE_URL TOKEN_FILE   (then `zones` / `exit` on stdin)

use std::io::BufRead;
use std::sync::Arc;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let base_url = args.next().expect("base URL");
    let path = args.next().expect("token file");
    let env = enduco::Environment::parse(&base_url).expect("base URL");
    let config = enduco::ClientConfig::new(
        env,
        "sandbox-client",
        "sandbox-secret",
        "https://app.example/callback",
    );
    let client = enduco::EnducoClient::new(config).expect("client");
    let session = client.session(Arc::new(enduco::FileTokenStore::new(path)));
    for line in std::io::stdin().lock().lines() {
        match line.expect("stdin").trim() {
            "zones" => match session.request("GET", "/api/v1/zones", &[], None).await {
                Ok(_) => println!("ok {}", session.user_id().await.unwrap_or_default()),
                Err(e) => println!("err {}", e.code()),
            },
            "exit" => {
                println!("bye");
                return;
            }
            other => println!("unknown command {other:?}"),
        }
    }
}
