//! The examples run to completion against the local stand-in and print an
//! account of what they did.

use std::process::Command;

const SETTINGS: [&str; 12] = [
    "GRAPH_TOKEN",
    "GRAPH_PROFILE_ID",
    "GRAPH_CLOUD",
    "GRAPH_TENANT_ID",
    "GRAPH_CLIENT_ID",
    "GRAPH_CLIENT_SECRET",
    "GRAPH_BASE_URL",
    "GRAPH_AUTHORITY",
    "XDG_CACHE_HOME",
    "GRAPH_REPORT",
    "GRAPH_REPORT_OUT",
    "GRAPH_APP_ID",
];

fn run_example(name: &str) -> String {
    run_example_with(name, &[], &[])
}

pub(crate) fn run_example_with(name: &str, args: &[&str], env: &[(&str, &str)]) -> String {
    let mut command = example_command(name);
    command.args(args).current_dir(env!("CARGO_MANIFEST_DIR"));
    for setting in SETTINGS {
        command.env_remove(setting);
    }
    command.envs(env.iter().copied());
    let output = command.output().expect("the example starts");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "example {name} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// The example's binary as `cargo test` built it beside this test (same
/// profile, same features), so no second build is needed. When it is not
/// there or is older than its source (`cargo test --test e2e` alone builds no
/// examples), `cargo run` builds and runs it.
fn example_command(name: &str) -> Command {
    let test_binary = std::env::current_exe().expect("the test binary's path");
    // target/<profile>/deps/e2e-<hash> -> target/<profile>/examples/<name>
    let built = test_binary
        .parent()
        .and_then(std::path::Path::parent)
        .map(|profile| profile.join("examples").join(name));
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(format!("{name}.rs"));
    let modified = |path: &std::path::Path| std::fs::metadata(path).and_then(|m| m.modified());
    match built {
        Some(binary)
            if matches!(
                (modified(&binary), modified(&source)),
                (Ok(built_at), Ok(written_at)) if built_at >= written_at
            ) =>
        {
            Command::new(binary)
        }
        _ => {
            let mut command = Command::new(env!("CARGO"));
            command.args(["run", "--quiet", "--example", name, "--"]);
            command
        }
    }
}

/// Every one of `lines` is in the example's output.
pub(crate) fn assert_lines(out: &str, lines: &[&str]) {
    for line in lines {
        assert!(out.contains(line), "missing {line:?} in:\n{out}");
    }
}

#[test]
fn signed_requests_signs_every_attempt_and_the_stand_in_verifies_each() {
    let out = run_example("signed_requests");
    assert!(out.contains("Created "), "{out}");
    assert!(
        out.contains("requests arrived signed, every signature verified"),
        "{out}"
    );
}

#[test]
fn request_metrics_counts_what_the_stand_in_saw() {
    let out = run_example("request_metrics");
    assert_lines(&out, &["  2xx: 11\n", "  4xx: 1\n", "  5xx: 1\n"]);
    assert!(out.contains("The counters match the "), "{out}");
}

#[test]
fn revoke_token_runs_against_the_stand_in() {
    let out = run_example("revoke_token");
    assert!(
        out.contains("Local Graph stand-in listening on http://127.0.0.1:"),
        "{out}"
    );
    assert_lines(
        &out,
        &[
            "POST /beta/deviceManagement/androidForWorkEnrollmentProfiles -> 201 Created [request-id ",
            "/createToken -> 204 No Content [request-id ",
            "/revokeToken -> 204 No Content [request-id ",
            "The token is revoked: devices can no longer enroll with it.",
        ],
    );
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
    assert_lines(
        &out,
        &[
            "page 1: 5 profiles",
            "page 3: 3 profiles",
            "13 profiles in 3 pages",
            "matches: Field scanners",
            "description is now: Rugged devices, second batch",
            "token revoked: has token = false",
            "12 tokens created with 1 batch request(s)",
            "deleted: reading it again answers 404 itemNotFound",
            "16 requests sent",
        ],
    );
}

#[test]
fn export_report_waits_downloads_and_reads_the_zip() {
    let out = run_example("export_report");
    assert_lines(
        &out,
        &[
            "bytes written to",
            "20000 rows; the first ones:",
            "DeviceId,DeviceName,UPN,OS,OSVersion,ComplianceState,LastContact",
            "DEVICE-00000",
            "The storage host received no Authorization header.",
        ],
    );
}

#[test]
fn intune_inventory_pages_groups_and_patches_with_the_typed_surface() {
    let out = run_example("intune_inventory");
    assert_lines(
        &out,
        &[
            "page 1: Windows LAPTOP-0142 (Windows, SN-11), compliant",
            "page 2: device Pixel 7 kiosk (Android, SN-13), inGracePeriod",
            "with a body that does not decode: complianceState: expected complianceState, found a number",
            "Validation::Lenient on the client or the call",
            "Lenient: LAPTOP-0199 read, complianceState None, kept as Present(Number(3))",
            "microsoft.graph.windows10GeneralConfiguration (2):",
            "iOS restrictions: camera blocked Some(true)",
            "(a type unknown to the metadata) (1):",
            "Created microsoft.graph.windows10GeneralConfiguration ",
            "Patched: minimum length Some(12), description cleared (null)",
            "Deleted ",
        ],
    );
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoke_token_signs_in_with_the_device_code_flow_once() {
    use graph_endpoint_emulator::Emulator;
    let emulator = Emulator::builder()
        .public_client("contoso", "public-app")
        .device_code_interval(std::time::Duration::from_secs(1))
        .approve_device_codes_after(0)
        .profiles(1)
        .start()
        .await
        .unwrap();
    let id = emulator.profiles()[0]["id"].as_str().unwrap().to_owned();
    let base = emulator.base_url().to_owned();
    let cache = std::env::temp_dir().join(format!(
        "graph-endpoint-revoke-{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    ));
    for _ in 0..2 {
        let (id, base, cache) = (id.clone(), base.clone(), cache.clone());
        let out = tokio::task::spawn_blocking(move || {
            run_example_with(
                "revoke_token",
                &[&id],
                &[
                    ("GRAPH_TENANT_ID", "contoso"),
                    ("GRAPH_CLIENT_ID", "public-app"),
                    ("GRAPH_BASE_URL", &base),
                    ("GRAPH_AUTHORITY", &base),
                    ("XDG_CACHE_HOME", cache.to_str().unwrap()),
                ],
            )
        })
        .await
        .unwrap();
        assert!(out.contains("Done: the token is revoked."), "{out}");
    }
    let _ = std::fs::remove_dir_all(&cache);
    let requests = emulator.requests();
    let sign_ins: Vec<_> = requests
        .iter()
        .filter(|r| r.path == "/contoso/oauth2/v2.0/devicecode")
        .collect();
    assert_eq!(sign_ins.len(), 1, "the second run uses the cached sign-in");
    let form = String::from_utf8(sign_ins[0].body.to_vec()).unwrap();
    assert_eq!(
        form,
        "client_id=public%2Dapp&scope=https%3A%2F%2Fgraph%2Emicrosoft%2Ecom%2FDeviceManagementConfiguration%2EReadWrite%2EAll%20offline%5Faccess"
    );
    assert_eq!(emulator.token_requests(), 1, "one poll, approved");
    assert!(
        !String::from_utf8_lossy(&emulator.requests()[1].body).contains("client_secret"),
        "a public client sends no secret"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_report_signs_in_with_the_device_code_flow_once() {
    use graph_endpoint_emulator::Emulator;
    let emulator = Emulator::builder()
        .public_client("contoso", "public-app")
        .device_code_interval(std::time::Duration::from_secs(1))
        .approve_device_codes_after(0)
        .export_job_polls(1)
        .export_job_retry_after(std::time::Duration::from_millis(100))
        .start()
        .await
        .unwrap();
    let base = emulator.base_url().to_owned();
    let scratch = std::env::temp_dir().join(format!(
        "graph-endpoint-export-{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&scratch).unwrap();
    for run in 0..2 {
        let (base, scratch) = (base.clone(), scratch.clone());
        let out = tokio::task::spawn_blocking(move || {
            let zip = scratch.join(format!("report-{run}.zip"));
            let cache = scratch.join("cache");
            run_example_with(
                "export_report",
                &["DeviceCompliance"],
                &[
                    ("GRAPH_TENANT_ID", "contoso"),
                    ("GRAPH_CLIENT_ID", "public-app"),
                    ("GRAPH_BASE_URL", &base),
                    ("GRAPH_AUTHORITY", &base),
                    ("XDG_CACHE_HOME", cache.to_str().unwrap()),
                    ("GRAPH_REPORT_OUT", zip.to_str().unwrap()),
                ],
            )
        })
        .await
        .unwrap();
        assert!(
            out.contains("bytes written to") && out.contains("rows; the first ones"),
            "{out}"
        );
    }
    let _ = std::fs::remove_dir_all(&scratch);
    let requests = emulator.requests();
    let sign_ins: Vec<_> = requests
        .iter()
        .filter(|r| r.path == "/contoso/oauth2/v2.0/devicecode")
        .collect();
    assert_eq!(sign_ins.len(), 1, "the second run uses the cached sign-in");
    assert_eq!(
        String::from_utf8(sign_ins[0].body.to_vec()).unwrap(),
        "client_id=public%2Dapp&scope=https%3A%2F%2Fgraph%2Emicrosoft%2Ecom%2FDeviceManagementConfiguration%2ERead%2EAll%20offline%5Faccess"
    );
    let exports = requests
        .iter()
        .filter(|r| r.method == "POST" && r.path == "/beta/deviceManagement/reports/exportJobs")
        .count();
    assert_eq!(exports, 2, "each run exported the report");
    assert!(
        requests
            .iter()
            .all(|r| !String::from_utf8_lossy(&r.body).contains("client_secret")),
        "a public client sends no secret"
    );
}

/// Every one of `lines` is in the example's output, in this order.
fn assert_in_order(out: &str, lines: &[&str]) {
    let mut rest = out;
    for line in lines {
        let at = rest
            .find(line)
            .unwrap_or_else(|| panic!("missing {line:?} (in this order) in:\n{out}"));
        rest = &rest[at + line.len()..];
    }
}

#[test]
fn upload_win32_app_uploads_a_sample_package_through_every_state() {
    let out = run_example("upload_win32_app");
    assert_in_order(
        &out,
        &[
            "Local Graph stand-in listening on http://127.0.0.1:",
            "Package setup.intunewin: setup file setup.cmd, ",
            "Created Win32 app ",
            "  content version 1\n",
            "  content file ",
            "  state: azureStorageUriRequestPending\n",
            "  state: azureStorageUriRequestSuccess\n",
            "  uploaded ",
            "  state: commitFilePending\n",
            "  state: commitFileSuccess\n",
            "  committedContentVersion set to 1\n",
            "Content version 1 is the app's content now (committedContentVersion 1).",
        ],
    );
    let states: Vec<&str> = out
        .lines()
        .filter_map(|l| l.strip_prefix("  state: "))
        .collect();
    assert_eq!(states.last(), Some(&"commitFileSuccess"));
    // Every byte of the encrypted file was taken.
    let uploaded = out
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("  uploaded "))
        .expect("an upload line");
    let (done, total) = uploaded
        .trim_end_matches(" bytes")
        .split_once(" of ")
        .expect("N of M bytes");
    assert_eq!(done, total);
}

#[test]
fn upload_win32_app_uploads_a_given_package_and_names_the_state_it_fails_in() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first");
    let second = dir.path().join("second");
    std::fs::create_dir_all(&first).unwrap();
    std::fs::create_dir_all(&second).unwrap();
    let good = crate::win32_upload::package(&first, 20_000);
    let other = crate::win32_upload::package(&second, 20_000);
    let good_path = good.path().to_str().unwrap().to_owned();

    let out = run_example_with("upload_win32_app", &[&good_path], &[]);
    assert_in_order(
        &out,
        &[
            "Package setup.intunewin: setup file setup.exe, ",
            "  state: commitFileSuccess\n",
        ],
    );

    // Another package's encrypted file under this one's Detection.xml.
    let tampered = dir.path().join("tampered.intunewin");
    crate::win32_upload::mismatched_package(good.path(), other.path(), &tampered);
    let output = example_command("upload_win32_app")
        .arg(&tampered)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("GRAPH_TOKEN")
        .env_remove("GRAPH_APP_ID")
        .output()
        .expect("the example starts");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stdout}");
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout.contains("  state: commitFileFailed\n"), "{stdout}");
    assert!(
        stderr.starts_with("The upload ended in commitFileFailed: commitFileFailed: "),
        "{stderr}"
    );
}
