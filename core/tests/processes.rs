//! Rule 2 across OS processes, short runs of the `stress` example (the full runs are
//! `tests/stress`; docs/lifecycle.md has their results). Each case starts its own sandbox
//! and worker processes and fails if any call failed, a user needed more token requests than
//! access-token expiries, or a stored refresh token stopped working.

use std::path::PathBuf;
use std::process::Command;

fn stress(args: &[&str]) {
    let exe = std::env::current_exe().unwrap();
    let debug = exe.parent().unwrap().parent().unwrap();
    let stress = debug.join("examples/stress");
    assert!(
        stress.exists(),
        "build the examples first (cargo build --workspace --all-targets; tests/run-all does): {}",
        stress.display()
    );
    let out = Command::new(&stress).args(args).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        out.status.success() && stdout.contains("stress: PASS"),
        "stress {args:?} failed"
    );
}

const SHORT: [&str; 8] = [
    "--processes",
    "4",
    "--callers",
    "2",
    "--users",
    "5",
    "--seconds",
    "8",
];

#[test]
fn many_processes_share_file_stores_under_overlap() {
    let mut args = vec!["run", "--policy", "overlap"];
    args.extend(SHORT);
    stress(&args);
}

#[test]
fn many_processes_share_file_stores_under_family_revoke() {
    let mut args = vec!["run", "--policy", "family-revoke"];
    args.extend(SHORT);
    stress(&args);
}

#[test]
fn parallel_cli_processes_keep_one_token_file_alive() {
    let cli: PathBuf = std::env::current_exe()
        .unwrap()
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("enduco");
    assert!(cli.exists(), "build the CLI first: {}", cli.display());
    stress(&["cli", "--processes", "3", "--trials", "2", "--seconds", "6"]);
}

#[test]
fn a_holder_killed_before_its_request_costs_nothing() {
    for policy in ["strict", "overlap", "family-revoke"] {
        stress(&["kill", "--policy", policy, "--when", "before-request"]);
    }
}

/// A holder killed after enduco rotated but before it saved took the only valid refresh
/// token with it: the grant survives only where the server still accepts the old one.
#[test]
fn a_holder_killed_after_its_request_loses_the_grant_unless_the_server_overlaps() {
    for policy in ["strict", "overlap", "family-revoke"] {
        stress(&["kill", "--policy", policy, "--when", "after-request"]);
    }
}

#[test]
fn many_processes_share_postgres_stores() {
    let mut args = vec!["run", "--store", "postgres", "--policy", "family-revoke"];
    args.extend(SHORT);
    stress(&args);
}

#[test]
fn many_processes_share_redis_stores() {
    let mut args = vec!["run", "--store", "redis", "--policy", "overlap"];
    args.extend(SHORT);
    stress(&args);
}

/// A lease lock's holder dies: the others wait out its lease (3 s here), then carry on.
#[test]
fn a_killed_holder_of_a_database_lock_blocks_only_for_its_lease() {
    for store in ["postgres", "redis"] {
        stress(&["kill", "--store", store, "--when", "before-request"]);
    }
}
