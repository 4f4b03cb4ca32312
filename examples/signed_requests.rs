//! Middleware that signs each request: a `tower` layer adds an HMAC-SHA256
//! signature over the method, the path and the `client-request-id`, as a
//! gateway in front of Graph might require. Runs against the local stand-in,
//! then checks the signature of every request that arrived.
//!
//! ```text
//! cargo run --example signed_requests
//! ```

use std::error::Error as StdError;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::hmac;
use graph_endpoint::tower::util::MapRequestLayer;
use graph_endpoint::{GraphClient, reqwest};
use graph_endpoint_device_management::android_for_work_profiles::{
    AndroidForWorkEnrollmentProfile, AndroidForWorkEnrollmentProfiles,
};
use graph_endpoint_emulator::Emulator;

/// What is signed: the method, the path with its query, the
/// `client-request-id` (fresh per call) and the time.
fn signed_text(method: &str, path: &str, request_id: &str, time: u64) -> String {
    format!("{method}\n{path}\n{request_id}\n{time}")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn StdError>> {
    let key = hmac::Key::new(hmac::HMAC_SHA256, b"a key shared with the gateway");
    let emulator = Emulator::builder().profiles(2).start().await?;

    let signing_key = key.clone();
    let graph = GraphClient::builder()
        .base_url(emulator.base_url())
        .token(emulator.token())
        .layer(MapRequestLayer::new(
            move |mut request: reqwest::Request| {
                let time = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs());
                let path = match request.url().query() {
                    Some(query) => format!("{}?{query}", request.url().path()),
                    None => request.url().path().to_owned(),
                };
                let request_id = request
                    .headers()
                    .get("client-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                let text = signed_text(request.method().as_str(), &path, &request_id, time);
                let signature = hex(hmac::sign(&signing_key, text.as_bytes()).as_ref());
                if let Ok(value) = format!("t={time},v1={signature}").parse() {
                    request.headers_mut().insert("x-signature", value);
                }
                request
            },
        ))
        .build()?;

    let page = graph.list_profiles(None).await?;
    println!("Listed {} profiles", page.value.len());
    let created = graph
        .create_profile(&AndroidForWorkEnrollmentProfile::named("Signed kiosk"))
        .await?;
    let id = created
        .id()
        .map(str::to_owned)
        .ok_or("no id in the created profile")?;
    graph.revoke_token(&id).await?;
    println!("Created {id} and revoked its token");

    // What a gateway would do: recompute each signature from what arrived.
    let mut verified = 0;
    for request in emulator.requests() {
        let header = request
            .header("x-signature")
            .ok_or("a request arrived unsigned")?;
        let (time, signature) = header
            .strip_prefix("t=")
            .and_then(|rest| rest.split_once(",v1="))
            .ok_or("a malformed signature")?;
        let text = signed_text(
            &request.method,
            &request.path,
            request.header("client-request-id").unwrap_or_default(),
            time.parse()?,
        );
        if hex(hmac::sign(&key, text.as_bytes()).as_ref()) != signature {
            return Err(format!(
                "the signature of {} {} does not verify",
                request.method, request.path
            )
            .into());
        }
        println!("  {} {}: signature verified", request.method, request.path);
        verified += 1;
    }
    if verified != 3 {
        return Err(format!("expected 3 signed requests, saw {verified}").into());
    }
    println!("{verified} requests arrived signed, every signature verified");
    Ok(())
}
