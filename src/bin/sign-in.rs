//! Signs an administrator in with the device code flow, keeping the sign-in
//! in the token cache, and lists the Android for Work enrollment profiles.
//! Run again, it uses the cached sign-in without asking.
//!
//! ```text
//! sign-in --tenant contoso.onmicrosoft.com --client-id <app-id>
//!         [--authority URL] [--base-url URL] [--cache-dir DIR] [--account NAME]
//! ```
//!
//! The scope asked for is `DeviceManagementConfiguration.Read.All` (listing
//! profiles), with `offline_access`. The cache is the platform's
//! (`$XDG_CACHE_HOME/graph-endpoint` or `~/.cache/graph-endpoint`) unless
//! `--cache-dir` names one. Tests point `--authority` and `--base-url` at the
//! local stand-in.

use std::process::ExitCode;

use graph_endpoint::{DeviceCode, GraphClient, TokenCache};
use graph_endpoint_device_management::android_for_work_profiles::AndroidForWorkEnrollmentProfiles;

const USAGE: &str = "usage: sign-in --tenant TENANT --client-id APP_ID [--authority URL] [--base-url URL] [--cache-dir DIR] [--account NAME]";

#[derive(Default)]
struct Options {
    tenant: Option<String>,
    client_id: Option<String>,
    authority: Option<String>,
    base_url: Option<String>,
    cache_dir: Option<String>,
    account: Option<String>,
}

fn options() -> Result<Options, String> {
    let mut options = Options::default();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let slot = match flag.as_str() {
            "--tenant" => &mut options.tenant,
            "--client-id" => &mut options.client_id,
            "--authority" => &mut options.authority,
            "--base-url" => &mut options.base_url,
            "--cache-dir" => &mut options.cache_dir,
            "--account" => &mut options.account,
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        };
        *slot = Some(
            args.next()
                .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?,
        );
    }
    Ok(options)
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let options = options()?;
    let (Some(tenant), Some(client_id)) = (options.tenant, options.client_id) else {
        return Err(USAGE.to_owned());
    };
    let cache = match options.cache_dir {
        Some(dir) => TokenCache::new(dir),
        None => TokenCache::in_default_location()
            .ok_or("no cache directory: set HOME or XDG_CACHE_HOME, or give --cache-dir")?,
    };
    let mut sign_in = DeviceCode::new(tenant, client_id)
        .scopes(["DeviceManagementConfiguration.Read.All"])
        .cache(cache);
    if let Some(authority) = options.authority {
        sign_in = sign_in.authority(authority);
    }
    if let Some(account) = options.account {
        sign_in = sign_in.account(account);
    }
    let mut builder = GraphClient::builder().token_source(sign_in);
    if let Some(base_url) = options.base_url {
        builder = builder.base_url(base_url);
    }
    let graph = builder.build().map_err(|e| e.to_string())?;
    let profiles = graph
        .list_profiles(None)
        .await
        .map_err(|e| match e.identity_error() {
            Some(identity) => format!(
                "sign-in failed: {}: {}",
                identity.error, identity.error_description
            ),
            None => e.to_string(),
        })?;
    println!("profiles: {}", profiles.value.len());
    Ok(())
}
