//! Revokes the enrollment token of an Android for Work enrollment profile.
//!
//! With no configuration it runs against the built-in local Graph stand-in:
//! it creates a profile, creates a token, shows it, revokes it, and shows the
//! profile again without it.
//!
//! ```text
//! cargo run --example revoke_token
//! ```
//!
//! Against a real tenant, give a bearer token for Microsoft Graph (with
//! `DeviceManagementConfiguration.ReadWrite.All`) and the profile's id:
//!
//! ```text
//! GRAPH_TOKEN=eyJ0eXAi... cargo run --example revoke_token -- <profile-id>
//! ```
//!
//! `GRAPH_PROFILE_ID` may replace the argument, and `GRAPH_CLOUD` picks the
//! national cloud (`global`, `usgov-l4`, `usgov-l5`, `china`). Instead of a
//! token, an app registration can sign in with client credentials:
//! `GRAPH_TENANT_ID`, `GRAPH_CLIENT_ID` and `GRAPH_CLIENT_SECRET`. With
//! `GRAPH_TENANT_ID` and `GRAPH_CLIENT_ID` and no secret, the administrator
//! signs in with the device code flow (a public client app, asking for
//! `DeviceManagementConfiguration.ReadWrite.All` and `offline_access`); the
//! sign-in is kept in the token cache (`$XDG_CACHE_HOME/graph-endpoint` or
//! `~/.cache/graph-endpoint`), so the next run does not ask again.
//! `GRAPH_BASE_URL` and `GRAPH_AUTHORITY` point the example elsewhere than the
//! cloud's own hosts (a local stand-in, in this project's tests).

use std::process::ExitCode;
use std::time::Instant;

use graph_endpoint::{
    ClientCredentials, Cloud, DeviceCode, EnvToken, Error, Graph, GraphClient, RawResponse,
    Request, TokenCache,
};
use graph_endpoint_device_management::android_for_work_profiles::{
    AndroidForWorkEnrollmentProfile, AndroidForWorkEnrollmentProfiles,
};
use graph_endpoint_device_management::prelude::*;
use graph_endpoint_emulator::Emulator;
use time::format_description::well_known::Rfc3339;

/// A transport that tells what each call did: method, path, status,
/// request-id and time taken.
struct Narrated(GraphClient);

impl Graph for Narrated {
    async fn send(&self, request: Request) -> Result<RawResponse, Error> {
        let method = request.endpoint().method();
        let version = request
            .endpoint()
            .version()
            .unwrap_or(self.0.default_version());
        let path = format!("/{version}{}", request.path());
        let started = Instant::now();
        let result = self.0.send(request).await;
        let elapsed = started.elapsed().as_millis();
        match &result {
            Ok(response) => println!(
                "  {method} {path} -> {} [request-id {}] {elapsed} ms",
                response.status(),
                response.request_id().unwrap_or("-")
            ),
            Err(error) => println!("  {method} {path} -> failed: {error} ({elapsed} ms)"),
        }
        result
    }
}

impl AndroidForWorkEnrollmentProfiles for Narrated {}

#[tokio::main]
async fn main() -> ExitCode {
    let app = ["GRAPH_TENANT_ID", "GRAPH_CLIENT_ID", "GRAPH_CLIENT_SECRET"]
        .map(|name| std::env::var(name).ok());
    let result = match (std::env::var("GRAPH_TOKEN"), app) {
        (_, [Some(tenant), Some(client_id), Some(secret)]) => {
            against_tenant(Credentials::App {
                tenant,
                client_id,
                secret,
            })
            .await
        }
        (Ok(_), _) => against_tenant(Credentials::Token).await,
        (Err(_), [Some(tenant), Some(client_id), None]) => {
            against_tenant(Credentials::User { tenant, client_id }).await
        }
        (Err(_), _) => against_emulator().await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

async fn against_emulator() -> Result<(), String> {
    let emulator = Emulator::start()
        .await
        .map_err(|e| format!("could not start the local Graph stand-in: {e}"))?;
    println!("Local Graph stand-in listening on {}", emulator.base_url());
    let client = GraphClient::builder()
        .base_url(emulator.base_url())
        .token(emulator.token())
        .build()
        .map_err(|e| e.to_string())?;
    let graph = Narrated(client);

    println!("\n1. Create an enrollment profile");
    let created = graph
        .create_profile(
            AndroidForWorkEnrollmentProfile::named("Kiosk tablets")
                .set_description("Dedicated devices in the warehouse"),
        )
        .await
        .map_err(|e| explain(&e))?;
    let id = created
        .id()
        .map(str::to_owned)
        .ok_or("the created profile has no id")?;
    println!("   created profile {id}");

    println!("\n2. Create an enrollment token valid for one hour");
    graph
        .create_token(&id, 3600)
        .await
        .map_err(|e| explain(&e))?;

    println!("\n3. The profile before the revoke");
    let before = graph.get_profile(&id).await.map_err(|e| explain(&e))?;
    show(&before);

    println!("\n4. Revoke the token");
    graph.revoke_token(&id).await.map_err(|e| explain(&e))?;

    println!("\n5. The profile after the revoke");
    let after = graph.get_profile(&id).await.map_err(|e| explain(&e))?;
    show(&after);

    if before.has_token() && !after.has_token() {
        println!("\nThe token is revoked: devices can no longer enroll with it.");
        Ok(())
    } else {
        Err("the token was not revoked as expected".to_owned())
    }
}

/// How the example signs in to a real tenant.
enum Credentials {
    /// `GRAPH_TOKEN`.
    Token,
    App {
        tenant: String,
        client_id: String,
        secret: String,
    },
    /// An administrator, with the device code flow.
    User { tenant: String, client_id: String },
}

async fn against_tenant(credentials: Credentials) -> Result<(), String> {
    let id = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("GRAPH_PROFILE_ID").ok())
        .ok_or("give the profile id as the first argument or in GRAPH_PROFILE_ID")?;
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
    let mut builder = GraphClient::builder().cloud(cloud);
    if let Ok(base_url) = std::env::var("GRAPH_BASE_URL") {
        builder = builder.base_url(base_url);
    }
    let builder = match credentials {
        // Read from the environment on each request: a rotated token is picked up.
        Credentials::Token => builder.token_source(EnvToken::new("GRAPH_TOKEN")),
        Credentials::App {
            tenant,
            client_id,
            secret,
        } => {
            let mut sign_in = ClientCredentials::new(tenant, client_id, secret).cloud(cloud);
            if let Ok(authority) = std::env::var("GRAPH_AUTHORITY") {
                sign_in = sign_in.authority(authority);
            }
            builder.token_source(sign_in)
        }
        Credentials::User { tenant, client_id } => {
            // The permission revokeToken declares, and offline_access (added
            // by DeviceCode) so that later runs refresh instead of asking.
            let mut sign_in = DeviceCode::new(tenant, client_id)
                .cloud(cloud)
                .scopes(["DeviceManagementConfiguration.ReadWrite.All"]);
            if let Some(cache) = TokenCache::in_default_location() {
                sign_in = sign_in.cache(cache);
            }
            if let Ok(authority) = std::env::var("GRAPH_AUTHORITY") {
                sign_in = sign_in.authority(authority);
            }
            builder.token_source(sign_in)
        }
    };
    let client = builder.build().map_err(|e| e.to_string())?;
    println!(
        "Revoking the enrollment token of profile {id} on {}",
        client.base_url()
    );
    let graph = Narrated(client);
    graph.revoke_token(&id).await.map_err(|e| explain(&e))?;
    println!("Done: the token is revoked.");
    Ok(())
}

fn show(profile: &AndroidForWorkEnrollmentProfile) {
    let text = |v: Option<&str>| v.unwrap_or("(none)").to_owned();
    println!(
        "   displayName:             {}",
        text(profile.display_name())
    );
    println!(
        "   tokenValue:              {}",
        text(profile.token_value())
    );
    println!(
        "   tokenExpirationDateTime: {}",
        profile
            .token_expiration_date_time()
            .and_then(|t| t.format(&Rfc3339).ok())
            .unwrap_or_else(|| "(none)".to_owned())
    );
    println!(
        "   qrCodeContent:           {}",
        if profile.qr_code_content().is_some() {
            "present"
        } else {
            "(none)"
        }
    );
}

/// Says what went wrong in the words of a tenant administrator.
fn explain(error: &Error) -> String {
    let advice = if let Some(identity) = error.identity_error() {
        match identity.error.as_str() {
            "transport" | "timeout" => format!(
                "Sign-in failed ({}): the identity platform could not be reached; check the network, the proxy and GRAPH_CLOUD.",
                identity.error
            ),
            "unexpected_redirect" | "insecure_authority" | "response_too_large" => format!(
                "Sign-in failed ({}): the sign-in authority is not the identity platform; check GRAPH_CLOUD.",
                identity.error
            ),
            "expired_token" => "Sign-in failed (expired_token): the code was not entered in time; run again and sign in within the time shown.".to_owned(),
            "access_denied" => "Sign-in failed (access_denied): the sign-in or the consent was declined.".to_owned(),
            "invalid_grant" | "interaction_required" => format!(
                "Sign-in failed ({}): the saved sign-in is no longer valid; run again to sign in.",
                identity.error
            ),
            _ => format!(
                "Sign-in failed ({}): check the tenant, the app's client id and secret, and that the secret has not expired.",
                identity.error
            ),
        }
    } else if error.is_unauthorized() {
        "The token was refused: it is expired, or it was issued for another audience or cloud. \
         Get a new token for Microsoft Graph (scope https://graph.microsoft.com/.default) on the right cloud."
            .to_owned()
    } else if error.is_forbidden() {
        format!(
            "Access denied: the app or user needs the permission {}, granted with admin consent, \
             and the tenant needs an active Intune licence.",
            error
                .permissions()
                .first()
                .copied()
                .unwrap_or("DeviceManagementConfiguration.ReadWrite.All")
        )
    } else if error.is_not_found() {
        "No such profile: check the id (Intune > Devices > Android > Enrollment profiles)."
            .to_owned()
    } else if error.is_throttled() {
        "Intune is throttling this app: wait a minute and try again.".to_owned()
    } else {
        "The call failed.".to_owned()
    };
    let mut message = format!("{advice}\n  detail: {error}");
    if let Some(id) = error.request_id() {
        message.push_str(&format!("\n  request-id for Microsoft support: {id}"));
    }
    message
}
