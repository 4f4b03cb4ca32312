//! Shared set-up of the end-to-end tests: a local Graph stand-in on 127.0.0.1
//! and a client pointed at it.
#![allow(dead_code)]

use std::time::Duration;

use graph_endpoint::{GraphClient, RetryPolicy};
use graph_endpoint_emulator::{Emulator, RecordedRequest};

pub async fn emulator_and_client() -> (Emulator, GraphClient) {
    let emulator = Emulator::start().await.expect("the stand-in starts");
    let client = client_for(&emulator);
    (emulator, client)
}

/// A client without retries, so each injected fault shows as it is.
pub fn client_for(emulator: &Emulator) -> GraphClient {
    GraphClient::builder()
        .base_url(emulator.base_url())
        .token(emulator.token())
        .no_retry()
        .build()
        .expect("a loopback client builds")
}

/// The headers every request of the runtime must carry.
pub fn assert_standard_headers(request: &RecordedRequest, version: &str) {
    assert_eq!(
        request.header("authorization"),
        Some("Bearer emulator-token")
    );
    assert_eq!(request.header("accept"), Some("application/json"));
    let id = request
        .header("client-request-id")
        .expect("client-request-id is sent");
    assert!(is_guid(id), "client-request-id {id:?} is a GUID");
    let sdk = if version == "beta" {
        "graph-rust-beta/"
    } else {
        "graph-rust/"
    };
    assert_eq!(
        request.header("sdkversion"),
        Some(format!("{sdk}{}", env!("CARGO_PKG_VERSION")).as_str())
    );
    assert!(
        request
            .header("user-agent")
            .is_some_and(|ua| ua.starts_with("graph-endpoint/")),
        "user-agent names the crate: {:?}",
        request.header("user-agent")
    );
}

pub fn is_guid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.iter().map(|g| g.len()).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
        && groups
            .iter()
            .all(|g| g.chars().all(|c| c.is_ascii_hexdigit()))
}

/// A stand-in holding `profiles` generated profiles.
pub async fn emulator_with(profiles: usize) -> Emulator {
    Emulator::builder()
        .profiles(profiles)
        .start()
        .await
        .expect("the stand-in starts")
}

/// A client that retries quickly, as a real one would (without the long waits).
pub fn retrying_client(emulator: &Emulator) -> GraphClient {
    GraphClient::builder()
        .base_url(emulator.base_url())
        .token(emulator.token())
        .retry(
            RetryPolicy::default()
                .base_delay(Duration::from_millis(5))
                .max_jitter(Duration::from_millis(5)),
        )
        .build()
        .expect("a loopback client builds")
}

/// The ids of the stored profiles, in creation order.
pub fn stored_ids(emulator: &Emulator) -> Vec<String> {
    emulator
        .profiles()
        .iter()
        .map(|p| {
            p["id"]
                .as_str()
                .expect("every profile has an id")
                .to_owned()
        })
        .collect()
}
