//! Uploads a Win32 app's content in one call: a `.intunewin` package's
//! encrypted file goes to the storage URI Graph hands out, block by block,
//! and is committed as the app's content.
//!
//! With no configuration it runs against the built-in local Graph stand-in,
//! with a small sample package it builds itself (a generated setup script,
//! zipped and encrypted with fresh keys, and its `Detection.xml`), creating
//! a Win32 app for it and printing each state the upload passes through:
//!
//! ```text
//! cargo run --example upload_win32_app
//! cargo run --example upload_win32_app -- Firefox.intunewin   # a package of yours
//! ```
//!
//! Against a real tenant, give a bearer token for Microsoft Graph (with
//! `DeviceManagementApps.ReadWrite.All`); a new Win32 app is created for the
//! package, or `GRAPH_APP_ID` names an existing one whose content it
//! replaces:
//!
//! ```text
//! GRAPH_TOKEN=eyJ0eXAi... cargo run --example upload_win32_app -- Firefox.intunewin
//! ```
//!
//! `GRAPH_CLOUD` picks the national cloud (`global`, `usgov-l4`,
//! `usgov-l5`, `china`) and `GRAPH_BASE_URL` points elsewhere than the
//! cloud's own host. A failure exits non-zero and names the state the
//! upload ended in (`commitFileFailed`, ...).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use graph_endpoint::{Cloud, EnvToken, GraphClient, Wait};
use graph_endpoint_device_app_management::content::{
    AppContentUploads, ContentError, ContentUpload, IntuneWinPackage, UploadEvent,
};
use graph_endpoint_emulator::Emulator;
use serde_json::{Value, json};

#[tokio::main]
async fn main() -> ExitCode {
    let package_path = std::env::args().nth(1).map(PathBuf::from);
    let result = match std::env::var("GRAPH_TOKEN") {
        Ok(_) => against_tenant(package_path).await,
        Err(_) => against_emulator(package_path).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

async fn against_emulator(package_path: Option<PathBuf>) -> Result<(), String> {
    let emulator = Emulator::builder()
        .record_requests(false)
        .start()
        .await
        .map_err(|e| format!("could not start the local Graph stand-in: {e}"))?;
    println!("Local Graph stand-in listening on {}", emulator.base_url());
    let graph = GraphClient::builder()
        .base_url(emulator.base_url())
        .token(emulator.token())
        .build()
        .map_err(|e| e.to_string())?;
    // The stand-in moves on at each poll: polls need not be a second apart.
    let wait = Wait::default().interval(Duration::from_millis(100), Duration::from_secs(1));
    upload(&graph, package_path, None, wait).await
}

async fn against_tenant(package_path: Option<PathBuf>) -> Result<(), String> {
    let cloud = match std::env::var("GRAPH_CLOUD").as_deref() {
        Err(_) | Ok("global") => Cloud::Global,
        Ok("usgov-l4") => Cloud::UsGovL4,
        Ok("usgov-l5") => Cloud::UsGovL5,
        Ok("china") => Cloud::China,
        Ok(other) => {
            return Err(format!(
                "unknown GRAPH_CLOUD `{other}`: use global, usgov-l4, usgov-l5 or china"
            ));
        }
    };
    let mut builder = GraphClient::builder()
        .cloud(cloud)
        // Read from the environment on each request: a rotated token is picked up.
        .token_source(EnvToken::new("GRAPH_TOKEN"));
    if let Ok(base_url) = std::env::var("GRAPH_BASE_URL") {
        builder = builder.base_url(base_url);
    }
    let graph = builder.build().map_err(|e| e.to_string())?;
    let app_id = std::env::var("GRAPH_APP_ID").ok();
    upload(&graph, package_path, app_id, Wait::default()).await
}

async fn upload(
    graph: &GraphClient,
    package_path: Option<PathBuf>,
    app_id: Option<String>,
    wait: Wait,
) -> Result<(), String> {
    // A sample package lives in a folder of its own, removed at the end.
    let sample_dir = match &package_path {
        Some(_) => None,
        None => {
            Some(tempfile::tempdir().map_err(|e| format!("making a folder for the sample: {e}"))?)
        }
    };
    let package = match (&package_path, &sample_dir) {
        (Some(path), _) => IntuneWinPackage::open(path).map_err(|e| e.to_string())?,
        (None, Some(dir)) => sample_package(dir.path())?,
        (None, None) => unreachable!("a sample folder is made when no package is given"),
    };
    println!(
        "Package {}: setup file {}, {} bytes, {} encrypted",
        package.file_name(),
        package.setup_file(),
        package.unencrypted_size(),
        package.encrypted_size()
    );
    let upload: ContentUpload<'_> = match &app_id {
        Some(id) => {
            println!("Uploading to app {id}");
            graph.upload_win32_app_content(id, &package)
        }
        None => graph.create_win32_app(&package, app_properties(&package)),
    };
    let result = upload.wait(wait).on_progress(narrate).await;
    drop(sample_dir);
    match result {
        Ok(done) => {
            println!(
                "Content version {} is the app's content now (committedContentVersion {}).",
                done.content_version,
                done.app
                    .get("committedContentVersion")
                    .and_then(Value::as_str)
                    .unwrap_or("?")
            );
            Ok(())
        }
        Err(error) => Err(explain(&error)),
    }
}

/// Prints each step as the upload reports it.
fn narrate(event: &UploadEvent) {
    match event {
        UploadEvent::AppCreated { id } => println!("Created Win32 app {id}"),
        UploadEvent::ContentVersionCreated { id } => println!("  content version {id}"),
        UploadEvent::FileCreated { id } => println!("  content file {id}"),
        UploadEvent::State(state) => println!("  state: {state}"),
        UploadEvent::Uploaded(progress) => println!(
            "  uploaded {} of {} bytes",
            progress.done,
            progress.total.unwrap_or_default()
        ),
        UploadEvent::Retrying {
            operation,
            block,
            failures,
        } => println!("  {operation} {block:?} failed ({failures} so far): sending it again"),
        UploadEvent::Renewing(reason) => println!("  renewing the storage URI ({reason:?})"),
        UploadEvent::Committed { content_version } => {
            println!("  committedContentVersion set to {content_version}");
        }
        other => println!("  {other:?}"),
    }
}

/// The error in an administrator's words, naming the state it ended in.
fn explain(error: &ContentError) -> String {
    match error {
        ContentError::FailedState { state, .. } => {
            format!("The upload ended in {state}: {error}")
        }
        ContentError::Graph(graph) if graph.is_forbidden() => format!(
            "{graph}\nThe token needs DeviceManagementApps.ReadWrite.All (and the tenant an Intune licence)."
        ),
        ContentError::Graph(graph) if graph.is_unauthorized() => format!(
            "{graph}\nThe token expired or is for another audience: get a new one for Microsoft Graph."
        ),
        other => format!("The upload failed: {other}"),
    }
}

/// A new Win32 app for the package: installs and uninstalls with its setup
/// file, detected by the file it leaves behind.
fn app_properties(package: &IntuneWinPackage) -> Value {
    json!({
        "displayName": format!("{} (uploaded by graph-endpoint)", package.name()),
        "description": "A sample Win32 app uploaded by the upload_win32_app example.",
        "publisher": "graph-endpoint",
        "installCommandLine": format!("{} install", package.setup_file()),
        "uninstallCommandLine": format!("{} uninstall", package.setup_file()),
        "applicableArchitectures": "x64",
        "minimumSupportedOperatingSystem": {"v10_1607": true},
        "installExperience": {"runAsAccount": "system", "deviceRestartBehavior": "suppress"},
        "rules": [{
            "@odata.type": "#microsoft.graph.win32LobAppFileSystemRule",
            "ruleType": "detection",
            "path": "%ProgramData%\\GraphEndpointSample",
            "fileOrFolderName": "installed.txt",
            "check32BitOn64System": false,
            "operationType": "exists",
            "operator": "notConfigured",
            "comparisonValue": null
        }],
        "returnCodes": [
            {"returnCode": 0, "type": "success"},
            {"returnCode": 3010, "type": "softReboot"}
        ]
    })
}

/// A sample package: a setup script (with some generated payload after it,
/// so the upload takes a few blocks' worth), made into a `.intunewin`.
fn sample_package(dir: &Path) -> Result<IntuneWinPackage, String> {
    let setup = dir.join("setup.cmd");
    let mut script = String::from(
        "@echo off\r\n\
         if \"%1\"==\"uninstall\" (rmdir /s /q \"%ProgramData%\\GraphEndpointSample\" & exit /b 0)\r\n\
         mkdir \"%ProgramData%\\GraphEndpointSample\" 2>nul\r\n\
         echo installed> \"%ProgramData%\\GraphEndpointSample\\installed.txt\"\r\n\
         exit /b 0\r\n",
    );
    for line in 0..2000 {
        script.push_str(&format!("rem payload line {line:05}\r\n"));
    }
    std::fs::write(&setup, script).map_err(|e| format!("writing the sample setup file: {e}"))?;
    IntuneWinPackage::create(&setup, dir.join("setup.intunewin")).map_err(|e| e.to_string())
}
