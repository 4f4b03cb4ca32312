//! Syncs every managed device of a tenant: lists them, then runs one bulk
//! job of `syncDevice` calls that holds the devices family at the rate
//! Intune allows (a progress bar tells how far it is), then sums up: calls
//! done, failures by reason, 429s seen, and the rate reached against the limit.
//!
//! With no configuration it runs against the built-in local Graph stand-in,
//! holding 5,000 generated devices and throttling as Intune documents it
//! (the devices family: 200 writes per 20 seconds per app and tenant), so
//! the whole run takes about eight minutes:
//!
//! ```text
//! cargo run --example bulk_sync
//! cargo run --example bulk_sync -- --devices 300              # fewer devices
//! cargo run --example bulk_sync -- --devices 600 --limit 100  # a budget shared with other apps
//! cargo run --example bulk_sync -- --devices 300 --unknown 5  # also 5 ids no longer enrolled
//! ```
//!
//! `--limit N` makes the stand-in admit N syncs per 20 seconds instead of
//! 200, as a tenant whose other apps use the rest would: the job finds that
//! limit by itself. `--unknown N` adds N device ids the stand-in does not
//! hold, as an outdated inventory would: they fail with 404.
//!
//! Against a real tenant, give a bearer token for Microsoft Graph with
//! `DeviceManagementManagedDevices.PrivilegedOperations.All` (syncDevice)
//! and `DeviceManagementManagedDevices.Read.All` (the list); `GRAPH_CLOUD`
//! picks the national cloud and `GRAPH_BASE_URL` points elsewhere:
//!
//! ```text
//! GRAPH_TOKEN=eyJ0eXAi... cargo run --example bulk_sync
//! ```

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::Duration;

use graph_endpoint::{Budget, Cloud, EnvToken, Error, FamilyLimits, GraphClient, ServiceFamily};
// `list_managed_devices` and `sync_managed_device`, generated from Graph's metadata.
use graph_endpoint_device_management::prelude::*;
use graph_endpoint_emulator::{Emulator, FamilyLimit};
use indicatif::{ProgressBar, ProgressStyle};

/// The stand-in's settings, from the command line.
struct Options {
    devices: usize,
    /// Syncs the stand-in admits per 20 seconds.
    limit: u32,
    unknown: usize,
}

impl Options {
    fn parse() -> Result<Options, String> {
        let mut options = Options {
            devices: 5_000,
            limit: 200,
            unknown: 0,
        };
        let mut args = std::env::args().skip(1);
        while let Some(flag) = args.next() {
            let value = args
                .next()
                .ok_or_else(|| format!("{flag} needs a number"))?;
            let number = |what: &str| {
                value
                    .parse::<usize>()
                    .map_err(|_| format!("{what}: `{value}` is not a number"))
            };
            match flag.as_str() {
                "--devices" => options.devices = number("--devices")?,
                "--limit" => options.limit = number("--limit")?.clamp(1, 100_000) as u32,
                "--unknown" => options.unknown = number("--unknown")?,
                other => {
                    return Err(format!(
                        "unknown option {other}: use --devices N, --limit N, --unknown N"
                    ));
                }
            }
        }
        Ok(options)
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let result = match std::env::var("GRAPH_TOKEN") {
        Ok(_) => against_tenant().await,
        Err(_) => match Options::parse() {
            Ok(options) => against_emulator(options).await,
            Err(message) => Err(message),
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

async fn against_emulator(options: Options) -> Result<(), String> {
    let window = Duration::from_secs(20);
    let emulator = Emulator::builder()
        .managed_devices(options.devices)
        // The devices family at the budget left to this app, then every
        // other Intune family at its documented limits.
        .limit(FamilyLimit::intune_devices().writes(options.limit, window))
        .intune_limits()
        .record_requests(false)
        .start()
        .await
        .map_err(|e| format!("the local stand-in did not start: {e}"))?;
    println!(
        "local Graph stand-in at {}: {} managed devices, {} syncs per 20 s allowed",
        emulator.base_url(),
        options.devices,
        options.limit
    );
    let graph = GraphClient::builder()
        .base_url(emulator.base_url())
        .token(emulator.token())
        .build()
        .map_err(|e| e.to_string())?;
    let unknown = (0..options.unknown).map(|n| format!("00000000-0000-0000-0000-{n:012}"));
    sync_all(&graph, unknown, (options.limit, window)).await?;
    let synced = emulator.device_syncs();
    println!(
        "the stand-in synced {} devices, each once: {}",
        synced.len(),
        synced.values().all(|n| *n == 1)
    );
    Ok(())
}

async fn against_tenant() -> Result<(), String> {
    let cloud = match std::env::var("GRAPH_CLOUD").as_deref() {
        Ok("usgov-l4") => Cloud::UsGovL4,
        Ok("usgov-l5") => Cloud::UsGovL5,
        Ok("china") => Cloud::China,
        _ => Cloud::Global,
    };
    let mut builder = GraphClient::builder()
        .cloud(cloud)
        .token_source(EnvToken::new("GRAPH_TOKEN"));
    if let Ok(base_url) = std::env::var("GRAPH_BASE_URL") {
        builder = builder.base_url(base_url);
    }
    let graph = builder.build().map_err(|e| e.to_string())?;
    let documented = FamilyLimits::INTUNE_DEVICES;
    let writes = documented.writes.unwrap_or(u32::MAX);
    sync_all(&graph, std::iter::empty(), (writes, documented.window)).await
}

/// Lists the devices, syncs them all (and the `extra` ids) in one bulk job,
/// and prints the summary; `limit` is the writes allowed per window.
async fn sync_all(
    graph: &GraphClient,
    extra: impl Iterator<Item = String>,
    limit: (u32, Duration),
) -> Result<(), String> {
    let mut ids = Vec::new();
    let mut devices = graph.list_managed_devices().select(["id"]).items();
    while let Some(device) = devices.try_next().await.map_err(|e| explain(&e))? {
        // Graph always returns an entity's `id`; one without is skipped.
        if let Some(id) = device.id() {
            ids.push(id.to_owned());
        }
    }
    println!("managed devices: {}", ids.len());
    ids.extend(extra);

    let bar = ProgressBar::new(ids.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} {per_sec} {msg} (eta {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let progress = bar.clone();
    let (results, summary) = graph
        .bulk(ids.iter().map(|id| graph.sync_managed_device(id)))
        .on_progress(move |p| {
            progress.set_position(p.done as u64);
            progress.set_message(format!("{} throttled", p.throttled));
        })
        .run()
        .await;
    bar.finish_and_clear();

    let mut failures: BTreeMap<String, usize> = BTreeMap::new();
    for error in results.iter().filter_map(|r| r.as_ref().err()) {
        *failures.entry(reason(error)).or_default() += 1;
    }
    let seconds = summary.elapsed.as_secs_f64();
    println!(
        "synced: {} of {} in {seconds:.1} s",
        summary.succeeded,
        ids.len()
    );
    if failures.is_empty() {
        println!("failed: none");
    } else {
        let reasons: Vec<String> = failures
            .iter()
            .map(|(reason, n)| format!("{reason}: {n}"))
            .collect();
        println!("failed: {} ({})", summary.failed, reasons.join(", "));
    }
    println!("429s seen: {}", summary.throttled);
    // A full bucket at once, then the window's share each second: the least
    // time the limit allows for these calls.
    let (count, window) = limit;
    let per_second = f64::from(count) / window.as_secs_f64();
    let least = (summary.done as f64 - f64::from(count)).max(0.0) / per_second;
    let rate = summary.done as f64 / seconds.max(f64::MIN_POSITIVE);
    let against = if least > 0.0 {
        format!(" ({:.2}x that)", seconds / least)
    } else {
        String::new()
    };
    println!(
        "effective rate: {rate:.1} syncs/s; the limit ({count} per {} s: {count} at once, then {per_second:.1}/s) allows {} in {least:.1} s at best{against}",
        window.as_secs(),
        summary.done
    );
    if let Some(held) = graph
        .learned_rates()
        .into_iter()
        .find(|r| r.family == ServiceFamily::INTUNE_DEVICES && r.budget == Budget::Writes)
    {
        println!(
            "rate held at the end: {:.1} writes/s (documented limit {:.1}/s)",
            held.rate,
            held.ceiling.unwrap_or(f64::INFINITY)
        );
    }
    Ok(())
}

/// A failure's reason, as an administrator reads it: the status and Graph's
/// error code, or what went wrong on the way.
fn reason(error: &Error) -> String {
    match (error.status(), error.graph_code()) {
        (Some(status), Some(code)) => format!("{} {code}", status.as_u16()),
        (Some(status), None) => status.to_string(),
        _ => match error {
            Error::Timeout { .. } => "timed out".to_owned(),
            Error::Transport { .. } => "transport failure".to_owned(),
            Error::Token(_) => "no token".to_owned(),
            other => other.to_string(),
        },
    }
}

/// Why listing the devices failed, in an administrator's words.
fn explain(error: &Error) -> String {
    if error.is_unauthorized() {
        format!("the token was refused (expired, or for another audience): {error}")
    } else if error.is_forbidden() {
        format!(
            "the token lacks DeviceManagementManagedDevices.Read.All, or the tenant an Intune licence: {error}"
        )
    } else {
        format!("the devices could not be listed: {error}")
    }
}
