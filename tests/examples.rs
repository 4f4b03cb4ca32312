//! Both examples run to completion against the local stand-in and print an
//! account of what they did.

use std::process::Command;

const SETTINGS: [&str; 8] = [
    "GRAPH_TOKEN",
    "GRAPH_PROFILE_ID",
    "GRAPH_CLOUD",
    "GRAPH_TENANT_ID",
    "GRAPH_CLIENT_ID",
    "GRAPH_CLIENT_SECRET",
    "GRAPH_BASE_URL",
    "GRAPH_AUTHORITY",
];

fn run_example(name: &str) -> String {
    run_example_with(name, &[], &[])
}

fn run_example_with(name: &str, args: &[&str], env: &[(&str, &str)]) -> String {
    let mut command = Command::new(env!("CARGO"));
    command
        .args(["run", "--quiet", "--example", name, "--"])
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    for setting in SETTINGS {
        command.env_remove(setting);
    }
    command.envs(env.iter().copied());
    let output = command.output().expect("cargo runs");
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
        "matches: Field scanners",
        "description is now: Rugged devices, second batch",
        "token revoked: has token = false",
        "12 tokens created with 1 batch request(s)",
        "deleted: reading it again answers 404 itemNotFound",
        "16 requests sent",
    ] {
        assert!(out.contains(line), "missing {line:?} in:\n{out}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoke_token_signs_in_with_client_credentials() {
    use graph_endpoint_emulator::Emulator;
    let emulator = Emulator::builder()
        .app("contoso", "app-id", "app-secret")
        .profiles(1)
        .start()
        .await
        .unwrap();
    let id = emulator.profiles()[0]["id"].as_str().unwrap().to_owned();
    let base = emulator.base_url().to_owned();
    let out = tokio::task::spawn_blocking(move || {
        run_example_with(
            "revoke_token",
            &[&id],
            &[
                ("GRAPH_TENANT_ID", "contoso"),
                ("GRAPH_CLIENT_ID", "app-id"),
                ("GRAPH_CLIENT_SECRET", "app-secret"),
                ("GRAPH_BASE_URL", &base),
                ("GRAPH_AUTHORITY", &base),
            ],
        )
    })
    .await
    .unwrap();
    assert!(out.contains("/revokeToken -> 204 No Content"), "{out}");
    assert!(out.contains("Done: the token is revoked."), "{out}");
    assert_eq!(emulator.token_requests(), 1);
    let revoke = emulator.last_request().unwrap();
    assert!(
        revoke
            .header("authorization")
            .unwrap()
            .starts_with("Bearer emulator-issued-")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoke_token_uses_a_bearer_token_from_the_environment() {
    use graph_endpoint_emulator::Emulator;
    let emulator = Emulator::builder().profiles(1).start().await.unwrap();
    let id = emulator.profiles()[0]["id"].as_str().unwrap().to_owned();
    let base = emulator.base_url().to_owned();
    let token = emulator.token();
    let out = tokio::task::spawn_blocking(move || {
        run_example_with(
            "revoke_token",
            &[],
            &[
                ("GRAPH_TOKEN", &token),
                ("GRAPH_PROFILE_ID", &id),
                ("GRAPH_BASE_URL", &base),
            ],
        )
    })
    .await
    .unwrap();
    assert!(out.contains("Done: the token is revoked."), "{out}");
    assert_eq!(
        emulator.last_request().unwrap().header("authorization"),
        Some("Bearer emulator-token")
    );
}
