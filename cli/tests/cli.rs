//! The `enduco` binary end to end against a sandbox on loopback.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use enduco_sandbox::Sandbox;
use enduco_sandbox::fit::{ActivityFile, Corruption, corrupt};

fn enduco(sandbox: &Sandbox, token_file: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_enduco"));
    command
        .env_remove("ENDUCO_CLIENT_ID")
        .env_remove("ENDUCO_CLIENT_SECRET")
        .env_remove("ENDUCO_ENV")
        .env("ENDUCO_CLIENT_ID", "sandbox-client")
        .env("ENDUCO_CLIENT_SECRET", "sandbox-secret")
        .arg("--env")
        .arg(sandbox.url())
        .arg("--token-file")
        .arg(token_file);
    command
}

fn json(output: &Output) -> serde_json::Value {
    assert!(
        output.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("--json prints JSON")
}

/// Logs in by playing the browser: GET the printed URL, follow the redirect to the CLI's
/// loopback listener.
async fn login(sandbox: &Sandbox, token_file: &Path) {
    login_with(enduco(sandbox, token_file)).await
}

/// [`login`] with a prepared `enduco` command (e.g. one in relay mode).
async fn login_with(mut command: Command) {
    let mut child = command
        .args(["login", "--no-browser", "--timeout", "30"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let url = loop {
        let mut line = String::new();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "login printed no URL"
        );
        if line.starts_with("http") {
            break line.trim().to_owned();
        }
    };
    // Any local process can reach the loopback listener: a request without this login's
    // state is turned away, and the login keeps waiting for the real redirect.
    let redirect = url::Url::parse(&url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "redirect_uri")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    let forged = reqwest::get(format!("{redirect}?code=stolen&state=forged"))
        .await
        .unwrap();
    assert_eq!(
        forged.status().as_u16(),
        400,
        "a forged callback is refused"
    );
    let page = reqwest::get(&url).await.unwrap();
    assert!(page.status().is_success());
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("You can close this window")
    );
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    assert!(child.wait().unwrap().success());
    assert!(rest.contains("Logged in as athlete-1001"), "{rest}");
}

#[tokio::test(flavor = "multi_thread")]
async fn login_then_every_command() {
    let sandbox = Sandbox::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let tokens = dir.path().join("tokens.json");
    login(&sandbox, &tokens).await;
    assert!(tokens.exists());

    let who = json(
        &enduco(&sandbox, &tokens)
            .args(["--json", "whoami"])
            .output()
            .unwrap(),
    );
    assert_eq!(who["userId"], "athlete-1001");

    let zones = json(
        &enduco(&sandbox, &tokens)
            .args(["--json", "zones"])
            .output()
            .unwrap(),
    );
    assert!(!zones["zones"].as_array().unwrap().is_empty());

    let plans = json(
        &enduco(&sandbox, &tokens)
            .args([
                "--json",
                "plans",
                "--from",
                "2026-03-26",
                "--to",
                "2026-03-30",
            ])
            .output()
            .unwrap(),
    );
    assert!(
        plans
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["date"].as_str().unwrap() >= "2026-03-26")
    );

    let output = enduco(&sandbox, &tokens)
        .args(["plans", "--from", "2026-03-01", "--to", "2026-03-08"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("invalid_input"));

    let ride = dir.path().join("ride.fit");
    ActivityFile::new(42)
        .write_to(std::fs::File::create(&ride).unwrap())
        .unwrap();
    let first = json(
        &enduco(&sandbox, &tokens)
            .args(["--json", "upload"])
            .arg(&ride)
            .output()
            .unwrap(),
    );
    assert_eq!(first[0]["duplicate"], false);
    let second = json(
        &enduco(&sandbox, &tokens)
            .args(["--json", "upload"])
            .arg(&ride)
            .output()
            .unwrap(),
    );
    assert_eq!(second[0]["duplicate"], true);
    assert_eq!(second[0]["id"], first[0]["id"]);
    // A failed upload names its file on the one error line.
    reqwest::Client::new()
        .post(format!("{}/_sandbox/faults", sandbox.url()))
        .json(&serde_json::json!({"path": "/api/v1/workouts", "kind": "status", "status": 500}))
        .send()
        .await
        .unwrap();
    let failed = enduco(&sandbox, &tokens)
        .arg("upload")
        .arg(&ride)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(!failed.status.success());
    assert!(
        stderr.contains("ride.fit") && stderr.contains("[server]"),
        "{stderr}"
    );

    let revoked = enduco(&sandbox, &tokens).arg("revoke").output().unwrap();
    assert!(revoked.status.success());
    assert!(!tokens.exists(), "revoke deletes the token file");
    let after = enduco(&sandbox, &tokens).arg("zones").output().unwrap();
    assert!(!after.status.success());
    let stderr = String::from_utf8_lossy(&after.stderr);
    assert!(stderr.contains("reauthorization_required"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one clear line: {stderr}");
}

/// `plans --export` on the sandbox's week (Monday 2026-03-23 to Sunday): one file per workout
/// that the format can hold, rest days skipped, the rest reported with the core's reason.
#[tokio::test(flavor = "multi_thread")]
async fn plans_export_writes_one_file_per_workout() {
    let sandbox = Sandbox::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let tokens = dir.path().join("tokens.json");
    login(&sandbox, &tokens).await;
    let week = ["--from", "2026-03-23", "--to", "2026-03-29"];
    let names = |folder: &Path| {
        let mut names: Vec<String> = std::fs::read_dir(folder)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    };

    let fit_dir = dir.path().join("fit");
    let output = enduco(&sandbox, &tokens)
        .args(["plans", "--export", "fit", "--out"])
        .arg(&fit_dir)
        .args(week)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        names(&fit_dir),
        [
            "2026-03-24-bike-intervals-5-x-4-min.fit",
            "2026-03-25-endurance-run.fit",
            "2026-03-26-swim-8-x-100-m.fit",
            "2026-03-28-long-ride.fit",
            "2026-03-29-run-6-x-1-km.fit",
        ]
    );
    for name in names(&fit_dir) {
        let bytes = std::fs::read(fit_dir.join(&name)).unwrap();
        // The core's pre-flight checks framing and CRCs and stops at the type: 5, a workout.
        let verdict = enduco::check_fit(&bytes).unwrap_err().to_string();
        assert!(
            verdict.contains("FIT file type is 5 (workout)"),
            "{name}: {verdict}"
        );
    }

    // ERG: only the long ride can be one; the others are named with their reason.
    let erg_dir = dir.path().join("erg");
    let output = enduco(&sandbox, &tokens)
        .args(["plans", "--export", "ERG", "--out"])
        .arg(&erg_dir)
        .args(week)
        .output()
        .unwrap();
    assert!(output.status.success());
    assert_eq!(names(&erg_dir), ["2026-03-28-long-ride.erg"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("2026-03-24: skipped: invalid input: step 3 (cooldown): ERG needs a power target, this one is heart_rate [invalid_input]"),
        "{stderr}"
    );
    assert!(
        stderr.contains("ERG is a cycling trainer format, this workout is running"),
        "{stderr}"
    );
    let erg = std::fs::read_to_string(erg_dir.join("2026-03-28-long-ride.erg")).unwrap();
    assert!(erg.starts_with("[COURSE HEADER]\n") && erg.contains("MINUTES WATTS\n"));
    let last = erg.lines().rev().nth(1).unwrap();
    assert_eq!(
        last, "180.000\t0",
        "three hours, cooling down to zone 1's floor"
    );

    // --json reports every day; ZWO and MRC need the zones the CLI reads (user_read).
    let report = json(
        &enduco(&sandbox, &tokens)
            .args(["--json", "plans", "--export", "zwo", "--out"])
            .arg(dir.path().join("zwo"))
            .args(week)
            .output()
            .unwrap(),
    );
    let report = report.as_array().unwrap();
    assert_eq!(report.len(), 7);
    assert_eq!(report[0]["skipped"], "rest day");
    assert_eq!(report[1]["code"], "invalid_input");
    let zwo = std::fs::read_to_string(report[5]["file"].as_str().unwrap()).unwrap();
    assert!(
        zwo.contains("<sportType>bike</sportType>") && zwo.contains("<IntervalsT Repeat=\"2\"")
    );

    let bad = enduco(&sandbox, &tokens)
        .args(["plans", "--export", "tcx", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown export format"));
}

/// `plans --chart`: plain blocks through a pipe, zone colours when colour is forced (as on a
/// terminal).
#[tokio::test(flavor = "multi_thread")]
async fn plans_chart_draws_each_workout() {
    let sandbox = Sandbox::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let tokens = dir.path().join("tokens.json");
    login(&sandbox, &tokens).await;
    let chart = |colour: bool| {
        let mut command = enduco(&sandbox, &tokens);
        command.env_remove("NO_COLOR").env_remove("CLICOLOR_FORCE");
        if colour {
            command.env("CLICOLOR_FORCE", "1");
        }
        let output = command
            .args([
                "plans",
                "--chart",
                "--from",
                "2026-03-23",
                "--to",
                "2026-03-29",
            ])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    let plain = chart(false);
    assert!(!plain.contains('\x1b'), "no colour codes into a pipe");
    for title in [
        "Tue  Bike intervals 5 × 4 min  (cycling, 1h00)",
        "Wed  Endurance run  (running, 1h00)",
        "Sat  Long ride  (cycling, 3h00)",
        "Sun  Run 6 × 1 km",
    ] {
        assert!(plain.contains(title), "{title} in:\n{plain}");
    }
    assert!(!plain.contains("Rest day"), "rest days are not drawn");
    // The intervals reach zone 4: that row has blocks.
    let intervals: Vec<&str> = plain
        .split("\n\n")
        .find(|c| c.contains("Bike intervals"))
        .unwrap()
        .lines()
        .collect();
    let row = |zone: &str| {
        intervals
            .iter()
            .find(|l| l.starts_with(zone))
            .unwrap()
            .to_owned()
    };
    assert!(
        row("  Z4").contains('█') && !row("  Z5").contains('█'),
        "{intervals:#?}"
    );
    // The swim's distance steps and the run's open cool-down are drawn as estimates.
    assert!(plain.contains("partly estimated") && plain.contains('░'));

    let coloured = chart(true);
    assert!(coloured.contains("\x1b[33m█"), "zone 4 in yellow");
    assert_eq!(
        coloured.lines().count(),
        plain.lines().count(),
        "the same chart, coloured"
    );
}

#[tokio::test]
async fn a_corrupt_file_is_reported_before_credentials_are_needed() {
    let sandbox = Sandbox::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.fit");
    std::fs::write(
        &bad,
        corrupt(&ActivityFile::new(7).to_bytes(), Corruption::BadFileCrc),
    )
    .unwrap();
    let output = enduco(&sandbox, &dir.path().join("none.json"))
        .env_remove("ENDUCO_CLIENT_ID")
        .env_remove("ENDUCO_CLIENT_SECRET")
        .arg("upload")
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("bad.fit") && stderr.contains("FIT CRC mismatch"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("client id"),
        "the file was checked first: {stderr}"
    );
}

#[test]
fn demo_walks_every_step_and_exits_zero() {
    let output = Command::new(env!("CARGO_BIN_EXE_enduco"))
        .arg("demo")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for marker in [
        "Authorization request",
        "Exchange the code",
        "Intensity zones",
        "Training plan",
        "uploaded as workout",
        "duplicate of workout",
        "refresh token rotated",
        "store cleared",
        "fails as it should",
        "Put the week on the athlete's devices",
        "refused naming the step",
        "All 13 steps",
    ] {
        assert!(stdout.contains(marker), "missing {marker:?} in:\n{stdout}");
    }
    assert!(!stdout.contains("sandbox-secret"));
}

/// A child process that is killed when the test ends, however it ends.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `enduco relay` serving on a free loopback port: the child and its base URL.
fn start_relay(sandbox: &Sandbox) -> (KillOnDrop, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_enduco"))
        .env("ENDUCO_CLIENT_ID", "sandbox-client")
        .env("ENDUCO_CLIENT_SECRET", "sandbox-secret")
        .args(["--env", sandbox.url(), "relay", "--port", "0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("enduco relay printed {line:?}"))
        .to_owned();
    (KillOnDrop(child), url)
}

#[tokio::test(flavor = "multi_thread")]
async fn login_and_revoke_through_a_relay_without_the_secret() {
    let sandbox = Sandbox::start().await.unwrap();
    let (_relay, relay_url) = start_relay(&sandbox);
    let dir = tempfile::tempdir().unwrap();
    let tokens = dir.path().join("tokens.json");
    let relayed = || {
        let mut command = enduco(&sandbox, &tokens);
        command
            .env_remove("ENDUCO_CLIENT_SECRET")
            .args(["--relay", &format!("{relay_url}/enduco")]);
        command
    };
    login_with(relayed()).await;
    let zones = json(&relayed().args(["--json", "zones"]).output().unwrap());
    assert!(!zones["zones"].as_array().unwrap().is_empty());
    let revoked = relayed().arg("revoke").output().unwrap();
    assert!(
        revoked.status.success(),
        "{}",
        String::from_utf8_lossy(&revoked.stderr)
    );

    // With the secret as well, relay mode is refused: an app with a relay must not carry it.
    let both = enduco(&sandbox, &tokens)
        .args(["--relay", &relay_url, "whoami"])
        .output()
        .unwrap();
    assert!(!both.status.success());
    assert!(String::from_utf8_lossy(&both.stderr).contains("not both"));

    let log: serde_json::Value = reqwest::get(format!("{}/_sandbox/requests", sandbox.url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let back_channel: Vec<_> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["path"] == "/oauth2/token" || r["path"] == "/oauth2/revoke")
        .collect();
    assert_eq!(back_channel.len(), 2, "exchange and revoke: {log:#}");
    for request in back_channel {
        assert_eq!(
            request["authenticatedClient"], "sandbox-client",
            "{request}"
        );
        assert!(
            request["userAgent"]
                .as_str()
                .unwrap()
                .contains("enduco-token-relay")
        );
    }
}
