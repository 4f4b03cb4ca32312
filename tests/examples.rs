//! Both examples run to completion against the local stand-in and print an
//! account of what they did.

use std::process::Command;

fn run_example(name: &str) -> String {
    let output = Command::new(env!("CARGO"))
        .args(["run", "--quiet", "--example", name])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("GRAPH_TOKEN")
        .env_remove("GRAPH_PROFILE_ID")
        .output()
        .expect("cargo runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "example {name} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[test]
fn revoke_token_runs_against_the_stand_in() {
    let out = run_example("revoke_token");
    assert!(
        out.contains("Local Graph stand-in listening on http://127.0.0.1:"),
        "{out}"
    );
    for line in [
        "POST /beta/deviceManagement/androidForWorkEnrollmentProfiles -> 201 Created [request-id ",
        "/createToken -> 204 No Content [request-id ",
        "/revokeToken -> 204 No Content [request-id ",
        "The token is revoked: devices can no longer enroll with it.",
    ] {
        assert!(out.contains(line), "missing {line:?} in:\n{out}");
    }
    // Before the revoke the profile shows a token, after it none.
    let (before, after) = out
        .split_once("4. Revoke the token")
        .expect("the steps are in order");
    let token_line = |text: &str| {
        text.lines()
            .rev()
            .find(|l| l.trim_start().starts_with("tokenValue:"))
            .map(|l| l.trim().to_owned())
    };
    assert_ne!(
        token_line(before).as_deref(),
        Some("tokenValue:              (none)")
    );
    assert_eq!(
        token_line(after).as_deref(),
        Some("tokenValue:              (none)")
    );
    assert!(
        after.contains("tokenExpirationDateTime: 0001-01-01T00:00:00Z"),
        "{after}"
    );
}

#[test]
fn enrollment_profiles_walks_the_whole_resource() {
    let out = run_example("enrollment_profiles");
    for line in [
        "page 1: 5 profiles",
        "page 3: 3 profiles",
        "13 profiles in 3 pages",
        "description is now: Rugged devices, second batch",
        "token revoked: has token = false",
        "deleted: reading it again answers 404 itemNotFound",
        "11 requests sent",
    ] {
        assert!(out.contains(line), "missing {line:?} in:\n{out}");
    }
}
