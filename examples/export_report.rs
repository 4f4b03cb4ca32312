//! Exports an Intune report: starts an export job, waits for Graph to run
//! it (a spinner tells each poll), then downloads the zip from its storage
//! URL (a progress bar of bytes) and shows the report's first rows.
//!
//! With no configuration it runs against the built-in local Graph stand-in
//! (a job that completes after a few polls, a zip of generated rows on a
//! second loopback listener standing for the storage host):
//!
//! ```text
//! cargo run --example export_report
//! ```
//!
//! Against a real tenant, give a bearer token for Microsoft Graph (with
//! `DeviceManagementManagedDevices.Read.All`), or an app registration's
//! `GRAPH_TENANT_ID`, `GRAPH_CLIENT_ID` and `GRAPH_CLIENT_SECRET`, as for the
//! `revoke_token` example, or as the administrator with the device code flow
//! when `GRAPH_TENANT_ID` and `GRAPH_CLIENT_ID` are set without a secret (the
//! sign-in is kept in the token cache, so later runs do not ask again);
//! `GRAPH_CLOUD` picks the national cloud, and `GRAPH_BASE_URL` and
//! `GRAPH_AUTHORITY` point the example elsewhere than the cloud's endpoints:
//!
//! ```text
//! GRAPH_TOKEN=eyJ0eXAi... cargo run --example export_report -- DeviceCompliance
//! ```
//!
//! The report's name is the argument (or `GRAPH_REPORT`, default
//! `DeviceCompliance`); the zip is written to `GRAPH_REPORT_OUT` (default
//! `<report>.zip` in a temporary directory).

use std::io::Read as _;
use std::process::ExitCode;
use std::time::Duration;

use graph_endpoint::{
    ClientCredentials, Cloud, DeviceCode, EnvToken, GraphClient, Progress, TokenCache, Wait,
};
use graph_endpoint_device_management::{ExportFormat, ExportJobRequest, ExportJobs};
use graph_endpoint_emulator::Emulator;
use indicatif::{ProgressBar, ProgressStyle};

#[tokio::main]
async fn main() -> ExitCode {
    let report = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("GRAPH_REPORT").ok())
        .unwrap_or_else(|| "DeviceCompliance".to_owned());
    let tenant = ["GRAPH_TENANT_ID", "GRAPH_CLIENT_ID", "GRAPH_CLIENT_SECRET"]
        .map(|name| std::env::var(name).ok());
    let result = match (std::env::var("GRAPH_TOKEN").is_ok(), tenant) {
        (_, [Some(tenant), Some(client_id), Some(secret)]) => {
            match tenant_client(SignIn::App {
                tenant,
                client_id,
                secret,
            }) {
                Ok(graph) => export(&graph, &report, Wait::default()).await,
                Err(message) => Err(message),
            }
        }
        (true, _) => match tenant_client(SignIn::Token) {
            Ok(graph) => export(&graph, &report, Wait::default()).await,
            Err(message) => Err(message),
        },
        (false, [Some(tenant), Some(client_id), None]) => {
            match tenant_client(SignIn::User { tenant, client_id }) {
                Ok(graph) => export(&graph, &report, Wait::default()).await,
                Err(message) => Err(message),
            }
        }
        (false, _) => against_emulator(&report).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

fn cloud() -> Cloud {
    match std::env::var("GRAPH_CLOUD").as_deref() {
        Ok("usgov-l4") => Cloud::UsGovL4,
        Ok("usgov-l5") => Cloud::UsGovL5,
        Ok("china") => Cloud::China,
        _ => Cloud::Global,
    }
}

/// How the example signs in against a tenant.
enum SignIn {
    /// A bearer token in `GRAPH_TOKEN`, read on each request.
    Token,
    /// An app registration with a client secret.
    App {
        tenant: String,
        client_id: String,
        secret: String,
    },
    /// The administrator, with the device code flow (no secret given).
    User { tenant: String, client_id: String },
}

fn tenant_client(sign_in: SignIn) -> Result<GraphClient, String> {
    let cloud = cloud();
    let mut builder = GraphClient::builder().cloud(cloud);
    // Elsewhere than the cloud's own endpoints (a gateway, a local stand-in).
    if let Ok(base_url) = std::env::var("GRAPH_BASE_URL") {
        builder = builder.base_url(base_url);
    }
    let authority = std::env::var("GRAPH_AUTHORITY").ok();
    let builder = match sign_in {
        SignIn::Token => builder.token_source(EnvToken::new("GRAPH_TOKEN")),
        SignIn::App {
            tenant,
            client_id,
            secret,
        } => {
            let mut app = ClientCredentials::new(tenant, client_id, secret).cloud(cloud);
            if let Some(authority) = &authority {
                app = app.authority(authority.as_str());
            }
            builder.token_source(app)
        }
        SignIn::User { tenant, client_id } => {
            // The permission exportJobs declares, and offline_access (added
            // by DeviceCode) so that later runs refresh from the cache
            // instead of asking again.
            let mut device_code = DeviceCode::new(tenant, client_id)
                .cloud(cloud)
                .scopes(["DeviceManagementConfiguration.Read.All"]);
            if let Some(cache) = TokenCache::in_default_location() {
                device_code = device_code.cache(cache);
            }
            if let Some(authority) = &authority {
                device_code = device_code.authority(authority.as_str());
            }
            builder.token_source(device_code)
        }
    };
    builder.build().map_err(|e| e.to_string())
}

async fn against_emulator(report: &str) -> Result<(), String> {
    let emulator = Emulator::builder()
        .export_job_polls(4)
        .export_job_retry_after(Duration::from_millis(400))
        .export_rows(20_000)
        .start()
        .await
        .map_err(|e| format!("could not start the local Graph stand-in: {e}"))?;
    println!(
        "Local Graph stand-in on {}, storage host on {}",
        emulator.base_url(),
        emulator.storage_url()
    );
    let graph = GraphClient::builder()
        .base_url(emulator.base_url())
        .token(emulator.token())
        .build()
        .map_err(|e| e.to_string())?;
    export(
        &graph,
        report,
        Wait::default().deadline(Duration::from_secs(30)),
    )
    .await?;
    // What the storage host saw: never the token.
    let leaked = emulator
        .storage_requests()
        .iter()
        .any(|r| r.header("authorization").is_some());
    if leaked {
        return Err("the bearer token reached the storage host".to_owned());
    }
    println!("The storage host received no Authorization header.");
    Ok(())
}

async fn export(graph: &GraphClient, report: &str, wait: Wait) -> Result<(), String> {
    let spinner = ProgressBar::new_spinner();
    spinner.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{elapsed}]").map_err(|e| e.to_string())?,
    );
    spinner.enable_steady_tick(Duration::from_millis(100));
    spinner.set_message(format!("exporting {report}: starting the job"));
    let poll_spinner = spinner.clone();
    let report_name = report.to_owned();
    let wait = wait.on_poll(move |poll| {
        poll_spinner.set_message(format!(
            "exporting {report_name}: {} (poll {}, next in {:.1} s)",
            poll.status,
            poll.number,
            poll.next_poll_in.as_secs_f64()
        ));
    });
    let request = ExportJobRequest::new(report).format(ExportFormat::Csv);
    let job = graph
        .export_report(&request, &wait)
        .await
        .map_err(|e| format!("the export failed: {e}"))?;
    spinner.finish_with_message(format!("exported {report}: job {}", job.id));

    let path = match std::env::var("GRAPH_REPORT_OUT") {
        Ok(path) => std::path::PathBuf::from(path),
        Err(_) => std::env::temp_dir().join(format!("{report}-{}.zip", std::process::id())),
    };
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {bytes_per_sec}")
            .map_err(|e| e.to_string())?,
    );
    let progress_bar = bar.clone();
    let bytes = job
        .download(graph)
        .map_err(|e| e.to_string())?
        .on_progress(move |p: Progress| {
            if let Some(total) = p.total {
                progress_bar.set_length(total);
            }
            progress_bar.set_position(p.done);
        })
        .to_file(&path)
        .await
        .map_err(|e| format!("the download failed: {e}"))?;
    bar.finish();
    println!("{bytes} bytes written to {}", path.display());

    let zip = std::fs::read(&path).map_err(|e| e.to_string())?;
    let csv = first_file_in_zip(&zip).map_err(|e| format!("not a zip: {e}"))?;
    let rows = csv.lines().count().saturating_sub(1);
    println!("{rows} rows; the first ones:");
    for line in csv.lines().take(4) {
        println!("  {line}");
    }
    if std::env::var("GRAPH_REPORT_OUT").is_err() {
        let _ = std::fs::remove_file(&path);
    }
    Ok(())
}

/// The text of the first file of a zip (the report's CSV), inflated and
/// checked against its recorded size and CRC.
fn first_file_in_zip(zip: &[u8]) -> Result<String, Box<dyn std::error::Error>> {
    let archive = rawzip::ZipArchive::from_slice(zip)?;
    let entry = archive.entries().next_entry()?.ok_or("the zip is empty")?;
    let local = archive.get_entry(entry.wayfinder())?;
    let inflate = flate2::bufread::DeflateDecoder::new(local.data());
    let mut csv = String::new();
    local.verifying_reader(inflate).read_to_string(&mut csv)?;
    Ok(csv)
}
