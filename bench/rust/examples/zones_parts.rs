//! Where the SDK's time over a bare reqwest call goes, piece by piece: the same zones GET
//! made by the SDK, by plain reqwest, and by reqwest with one SDK ingredient added at a time
//! (the per-request timeout; the SDK's client settings; the SDK's body read), and the floor
//! (bare hyper on hyper-util's pool), alternated call by call as `bench/run` does. Not part of `bench/run`; needs a running sandbox:
//!
//! ```sh
//! CARGO_TARGET_DIR=bench/.work/target cargo run --release -p enduco-bench --example zones_parts -- http://127.0.0.1:PORT
//! ```

use std::sync::Arc;
use std::time::{Duration, Instant};

use enduco::{ClientConfig, EnducoClient, Environment, IntensityZones, MemoryTokenStore, Scope};

const SCOPES: [Scope; 3] = [Scope::UserRead, Scope::PlansRead, Scope::WorkoutsWrite];

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let base = std::env::args()
        .nth(1)
        .expect("usage: zones_parts BASE_URL");
    let n: usize = std::env::args().nth(2).map_or(3000, |s| s.parse().unwrap());
    let client = EnducoClient::new(ClientConfig::new(
        Environment::parse(&base)?,
        "sandbox-client",
        "sandbox-secret",
        "https://app.example/callback",
    ))?;
    let pending = client.authorization_request(&SCOPES)?;
    let nofollow = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let location = nofollow.get(pending.url.as_str()).send().await?.headers()["location"]
        .to_str()?
        .to_owned();
    let tokens = client.complete_authorization(&pending, &location).await?;
    let access = tokens.access_token.secret().to_owned();
    let session = client
        .connect(Arc::new(MemoryTokenStore::new()), tokens)
        .await?;
    let url = format!("{base}/api/v1/zones");
    println!(
        "future sizes: SDK intensity_zones {} B, reqwest send+json {} B",
        std::mem::size_of_val(&session.intensity_zones()),
        std::mem::size_of_val(&async {
            reqwest::Client::new()
                .get(&url)
                .send()
                .await?
                .json::<IntensityZones>()
                .await
        })
    );

    let plain = reqwest::Client::new();
    // The SDK's client settings: connect timeout, user agent, no redirects.
    let like_sdk = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .user_agent("enduco-sdk-rust/0.1.0")
        .redirect(reqwest::redirect::Policy::none())
        .build()?;

    let names = [
        "SDK Session::intensity_zones",
        "reqwest, .json()",
        "reqwest + per-request timeout",
        "reqwest + timeout + SDK client settings",
        "reqwest + timeout + settings + chunk loop, from_slice",
        "the floor: bare hyper + hyper-util pool",
    ];
    let floor: hyper_util::client::legacy::Client<_, http_body_util::Empty<bytes::Bytes>> =
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .build_http();
    let floor_uri: hyper::Uri = url.parse()?;
    let floor_bearer = hyper::header::HeaderValue::from_str(&format!("Bearer {access}"))?;
    let mut times: Vec<Vec<f64>> = vec![Vec::with_capacity(n); names.len()];
    for i in 0..n + 300 {
        // The order rotates every round: the call right after the floor's is slower whichever
        // it is, so no variant may always follow the same one.
        for j in 0..names.len() {
            let k = (i + j) % names.len();
            let t = Instant::now();
            let zones: IntensityZones = match k {
                0 => session.intensity_zones().await?,
                1 => {
                    plain
                        .get(&url)
                        .bearer_auth(&access)
                        .send()
                        .await?
                        .json()
                        .await?
                }
                2 => {
                    plain
                        .get(&url)
                        .bearer_auth(&access)
                        .timeout(Duration::from_secs(30))
                        .send()
                        .await?
                        .json()
                        .await?
                }
                3 => {
                    like_sdk
                        .get(&url)
                        .bearer_auth(&access)
                        .timeout(Duration::from_secs(30))
                        .send()
                        .await?
                        .json()
                        .await?
                }
                5 => {
                    use http_body_util::BodyExt;
                    let request = hyper::Request::get(floor_uri.clone())
                        .header(hyper::header::AUTHORIZATION, floor_bearer.clone())
                        .body(http_body_util::Empty::new())?;
                    let body = floor.request(request).await?.into_body().collect().await?;
                    serde_json::from_slice(&body.to_bytes())?
                }
                _ => {
                    let mut response = like_sdk
                        .get(&url)
                        .bearer_auth(&access)
                        .timeout(Duration::from_secs(30))
                        .send()
                        .await?;
                    let mut body = Vec::new();
                    while let Some(chunk) = response.chunk().await? {
                        body.extend_from_slice(&chunk);
                    }
                    serde_json::from_slice(&body)?
                }
            };
            std::hint::black_box(zones);
            if i >= 300 {
                times[k].push(t.elapsed().as_secs_f64() * 1e6);
            }
        }
        if i % 500 == 0 {
            nofollow
                .delete(format!("{base}/_sandbox/requests"))
                .send()
                .await?;
        }
    }
    let base_us = median(&mut times[1].clone());
    for (name, series) in names.iter().zip(times.iter_mut()) {
        let m = median(series);
        println!("{m:>8.1} µs  {:>5.3}×  {name}", m / base_us);
    }
    Ok(())
}
