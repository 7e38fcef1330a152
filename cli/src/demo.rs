//! `enduco demo`: the whole integration against an in-process sandbox, each step printed and
//! checked. Exits non-zero unless every step did what it should.

use std::sync::Arc;

use anyhow::{Context, Result, bail, ensure};
use enduco::{
    ClientConfig, EnducoClient, Environment, Error, MemoryTokenStore, Scope, UploadOptions,
};
use enduco_sandbox::Sandbox;
use enduco_sandbox::fit::ActivityFile;

use crate::render;

const REDIRECT_URI: &str = "https://app.example/callback";

fn step(n: u32, title: &str) {
    use std::io::IsTerminal;
    if std::io::stdout().is_terminal() {
        println!("\n\x1b[1m{n:>2}. {title}\x1b[0m");
    } else {
        println!("\n{n:>2}. {title}");
    }
}

fn ok(text: impl AsRef<str>) {
    println!("    ✓ {}", text.as_ref());
}

/// `https://…?code=SECRET&state=…` with the code hidden.
fn redact_code(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            let pairs: Vec<(String, String)> = parsed
                .query_pairs()
                .map(|(k, v)| {
                    let v = if k == "code" {
                        "[redacted]".to_owned()
                    } else {
                        v.into_owned()
                    };
                    (k.into_owned(), v)
                })
                .collect();
            parsed.query_pairs_mut().clear().extend_pairs(pairs);
            parsed.to_string()
        }
        Err(_) => "[unparseable]".into(),
    }
}

pub async fn run() -> Result<()> {
    step(1, "Start the enduco sandbox on a free loopback port");
    let sandbox = Sandbox::start().await.context("starting the sandbox")?;
    ok(format!("listening on {}", sandbox.url()));

    let mut config = ClientConfig::new(
        Environment::parse(sandbox.url())?,
        "sandbox-client",
        "sandbox-secret",
        REDIRECT_URI,
    );
    config.time_zone = Some("Europe/Berlin".into());
    config.user_agent = Some("enduco-demo".into());
    let client = EnducoClient::new(config)?;

    step(2, "Authorization request (state + PKCE S256)");
    let request =
        client.authorization_request(&[Scope::UserRead, Scope::PlansRead, Scope::WorkoutsWrite])?;
    println!("    {}", request.url);
    ok("the user opens this URL in a browser");

    step(3, "Consent: the user approves, enduco redirects back");
    let browser = browser_consent(request.url.as_str()).await?;
    ensure!(
        browser.starts_with(REDIRECT_URI),
        "unexpected redirect {browser}"
    );
    println!("    {}", redact_code(&browser));
    ok("state echoed unchanged");

    step(4, "Exchange the code for tokens");
    let tokens = client.complete_authorization(&request, &browser).await?;
    println!("    {tokens:?}");
    ok("token values stay redacted in every Debug output and log line");
    let store = Arc::new(MemoryTokenStore::new());
    let session = client.connect(store.clone(), tokens.clone()).await?;

    step(5, "Granted scopes and user id");
    let scopes = session.granted_scopes().await?;
    let user = session.user_id().await?;
    ok(format!("user {user}, scopes: {}", scopes.join(" ")));
    ensure!(
        scopes.len() == 3,
        "expected all three scopes, got {scopes:?}"
    );

    step(6, "Intensity zones (user_read)");
    let zones = session.intensity_zones().await?;
    println!("{}", indent(&render::zones_table(&zones).to_string()));
    ensure!(!zones.zones.is_empty(), "no zones");
    ok(format!("{} zone sets", zones.zones.len()));

    step(
        7,
        "Training plan for the next 7 days in the athlete's time zone (plans_read)",
    );
    let plans = session.upcoming_plans(7).await?;
    println!(
        "{}",
        indent(&render::plans_table(&plans, Some(&zones)).to_string())
    );
    let dates: std::collections::BTreeSet<_> = plans.iter().map(|p| p.date).collect();
    ensure!(
        dates.len() == 7,
        "expected 7 days of plans, got {}",
        dates.len()
    );
    ok("zone targets resolved into absolute bounds (ERG watts) from the user's zones");

    step(
        8,
        "Put the week on the athlete's devices (FIT workouts, ZWO, ERG)",
    );
    let dir = tempfile::tempdir()?;
    export_week(&plans, &zones, dir.path())?;

    step(9, "Upload a finished activity (workouts_write)");
    let path = dir.path().join("morning-ride.fit");
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    ActivityFile::new(seed)
        .records(3600)
        .write_to(std::fs::File::create(&path)?)?;
    let size = std::fs::metadata(&path)?.len();
    let calls = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let upload = |label: &'static str| {
        let session = session.clone();
        let path = path.clone();
        let calls = calls.clone();
        async move {
            let bar = render::progress_bar(label);
            let sink = render::progress_sink(bar.clone());
            let options = UploadOptions {
                progress: Some(Arc::new(move |sent: u64, total: u64| {
                    calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    sink.on_progress(sent, total);
                })),
                ..UploadOptions::default()
            };
            let result = session.upload_workout(path.as_path(), options).await;
            bar.finish();
            (result, bar.position())
        }
    };
    let (first, sent) = upload("    morning-ride.fit").await;
    let first = first?;
    ensure!(!first.duplicate, "a fresh file was reported as a duplicate");
    ensure!(sent == size, "progress ended at {sent} of {size} bytes");
    ok(format!(
        "{size} bytes checked (header, CRCs, activity type) and streamed in {} progress steps",
        calls.load(std::sync::atomic::Ordering::Relaxed)
    ));
    ok(format!(
        "uploaded as workout {} ({})",
        first.id, first.status
    ));

    step(10, "Upload the same file again");
    let again = upload("    morning-ride.fit").await.0?;
    ensure!(
        again.duplicate && again.id == first.id,
        "expected a duplicate of {}",
        first.id
    );
    ok(format!(
        "reported as a duplicate of workout {}, not as an error",
        again.id
    ));

    step(11, "Refresh the access token");
    let refreshed = session.refresh().await?;
    ensure!(
        refreshed.access_token != tokens.access_token,
        "the access token did not change"
    );
    ensure!(
        store.get().as_ref() == Some(&refreshed),
        "new tokens were not saved"
    );
    let rotated = refreshed.refresh_token != tokens.refresh_token;
    ok(format!(
        "new access token saved before use; refresh token {}",
        if rotated { "rotated" } else { "kept" }
    ));

    step(12, "Revoke: the user disconnects enduco");
    session.revoke().await?;
    ensure!(store.get().is_none(), "the store still holds tokens");
    ok("grant revoked at enduco and the store cleared");

    step(13, "A call after revoke");
    match session.intensity_zones().await {
        Err(e @ Error::ReauthorizationRequired { .. }) => ok(format!("fails as it should: {e}")),
        Err(e) => bail!("expected reauthorization_required, got {e}"),
        Ok(_) => bail!("a call after revoke succeeded"),
    }

    sandbox.shutdown().await;
    println!("\nAll 13 steps did what they should.");
    Ok(())
}

/// Every workout as a FIT workout file, every ride also as ZWO and ERG where the format can
/// hold it; each file read back (FIT: header, type and CRC; text: its duration).
fn export_week(
    plans: &[enduco::PlannedWorkout],
    zones: &enduco::IntensityZones,
    dir: &std::path::Path,
) -> Result<()> {
    use enduco::ExportFormat;
    let mut written = 0;
    for plan in plans.iter().filter(|p| !p.is_rest_day()) {
        let fit = plan.to_fit_workout(Some(zones))?;
        // The core's upload pre-flight reads every FIT file's framing and CRCs; for a workout
        // file it stops at the type, which must be 5.
        match enduco::check_fit(&fit) {
            Err(e) if e.to_string().contains("FIT file type is 5 (workout)") => {}
            other => bail!("{}: the FIT workout does not check: {other:?}", plan.title),
        }
        let name = format!("{}.fit", plan.date);
        std::fs::write(dir.join(&name), &fit)?;
        written += 1;
        let mut also = Vec::new();
        for format in [ExportFormat::Zwo, ExportFormat::Erg] {
            match plan.export(format, Some(zones)) {
                Ok(bytes) => {
                    std::fs::write(dir.join(format!("{}.{format}", plan.date)), &bytes)?;
                    written += 1;
                    also.push(format.as_str().to_owned());
                }
                Err(Error::InvalidInput { .. }) if plan.sport != enduco::Sport::Cycling => {}
                Err(e @ Error::InvalidInput { .. }) => also.push(format!("no {format}: {e}")),
                Err(e) => return Err(e.into()),
            }
        }
        ok(format!(
            "{} {}: {name} ({} bytes, {} steps){}",
            plan.date,
            plan.title,
            fit.len(),
            plan.timeline(Some(zones)).len(),
            if also.is_empty() {
                String::new()
            } else {
                format!("; {}", also.join("; "))
            }
        ));
    }
    let long_ride = plans
        .iter()
        .find(|p| p.sport == enduco::Sport::Cycling && p.to_erg(Some(zones)).is_ok())
        .context("a ride that ERG can hold")?;
    let erg = long_ride.to_erg(Some(zones))?;
    let last_minute: f64 = erg
        .lines()
        .rev()
        .find_map(|l| l.split_once('\t'))
        .and_then(|(m, _)| m.parse().ok())
        .context("ERG rows")?;
    ensure!(
        Some((last_minute * 60.0).round() as u32) == long_ride.duration_seconds,
        "the ERG file lasts {last_minute} min, the plan {:?} s",
        long_ride.duration_seconds
    );
    ok(format!(
        "{written} files; what a format cannot hold is refused naming the step, never written wrong"
    ));
    Ok(())
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The browser's side of consent: open the authorization URL and read where enduco
/// redirects (auto-approve in the sandbox).
async fn browser_consent(url: &str) -> Result<String> {
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let response = browser.get(url).send().await?;
    let location = response
        .headers()
        .get(reqwest::header::LOCATION)
        .context("the authorization endpoint did not redirect")?;
    Ok(location.to_str()?.to_owned())
}
