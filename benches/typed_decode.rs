//! What strict decoding costs: 100,000 managed devices (100 pages of 1,000,
//! Graph's largest page), each the documentation's example of a beta
//! `windowsManagedDevice` (79 properties, 7.7 KB), decoded into the typed
//! surface's `AnyManagedDevice` with the metadata check, against parsing the
//! same bytes into `serde_json::Value`; then what reading a nested model
//! costs, borrowed in place against copied out.
//!
//! ```text
//! cargo bench --bench typed_decode
//! ```
//!
//! Prints the best of five interleaved rounds of each, and their ratio.

use std::hint::black_box;
use std::time::{Duration, Instant};

use graph_endpoint::{Collection, Validation};
use graph_endpoint_device_management::models::AnyManagedDevice;
use graph_endpoint_device_management::support::Model;
use serde_json::Value;

const PAGES: usize = 100;
const PAGE_SIZE: usize = 1_000;
const ROUNDS: usize = 5;

/// The documented example of a managed device in a beta list.
fn documented_device() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/graph-endpoint-device-management/corpus/device-management-examples.json"
    ))
    .expect("the examples of the repository");
    let examples: Vec<Value> = serde_json::from_str(&text).expect("a list of examples");
    examples
        .into_iter()
        .find(|e| {
            e["method"] == "GET"
                && e["path"] == "/deviceManagement/managedDevices"
                && e["version"] == "beta"
        })
        .and_then(|e| e["response"]["value"].get(0).cloned())
        .expect("the documented managed device list")
}

/// A page of `PAGE_SIZE` devices, each with its own id, as bytes.
fn page() -> Vec<u8> {
    let device = documented_device();
    let value: Vec<Value> = (0..PAGE_SIZE)
        .map(|i| {
            let mut d = device.clone();
            d["id"] = Value::String(format!("{i:08}-2b67-9784-672b-8497672b8497"));
            d
        })
        .collect();
    serde_json::to_vec(&serde_json::json!({ "value": value })).expect("a page encodes")
}

fn time(mut work: impl FnMut()) -> Duration {
    let started = Instant::now();
    for _ in 0..PAGES {
        work();
    }
    started.elapsed()
}

fn main() {
    let bytes = page();
    // Strict decoding first, once: every documented device passes.
    let checked: Collection<AnyManagedDevice> = Validation::Strict
        .scope(|| serde_json::from_slice(&bytes))
        .expect("the documented device decodes strictly");
    assert_eq!(checked.value.len(), PAGE_SIZE);

    let mut value_best = Duration::MAX;
    let mut typed_best = Duration::MAX;
    for _ in 0..ROUNDS {
        value_best = value_best.min(time(|| {
            black_box(serde_json::from_slice::<Value>(black_box(&bytes)).unwrap());
        }));
        typed_best = typed_best.min(time(|| {
            black_box(
                serde_json::from_slice::<Collection<AnyManagedDevice>>(black_box(&bytes)).unwrap(),
            );
        }));
    }
    let devices = PAGES * PAGE_SIZE;
    println!(
        "{devices} managed devices ({PAGES} pages of {PAGE_SIZE}, {:.1} MB each), best of {ROUNDS}:",
        bytes.len() as f64 / 1e6
    );
    println!("  serde_json::Value:                   {value_best:>10.2?}");
    println!("  AnyManagedDevice, strict validation: {typed_best:>10.2?}");
    println!(
        "  ratio: {:.2}",
        typed_best.as_secs_f64() / value_best.as_secs_f64()
    );

    // Reading a nested model, 100,000 times: borrowed in place (what a
    // getter does) against a copy of the same object (what reading it out
    // of an `Any…` property costs, one copy per read).
    let mut borrowed_best = Duration::MAX;
    let mut copied_best = Duration::MAX;
    for _ in 0..ROUNDS {
        borrowed_best = borrowed_best.min(time(|| {
            for device in &checked.value {
                let info = device.hardware_information().unwrap();
                black_box(info.serial_number());
            }
        }));
        copied_best = copied_best.min(time(|| {
            for device in &checked.value {
                let info = device.hardware_information().unwrap().clone();
                black_box(info.serial_number());
            }
        }));
    }
    let fields = checked.value[0]
        .hardware_information()
        .map_or(0, |i| i.object().len());
    println!(
        "reading hardwareInformation ({fields} properties) of {devices} devices, best of {ROUNDS}:"
    );
    println!("  borrowed in place: {borrowed_best:>10.2?}");
    println!("  copied out:        {copied_best:>10.2?}");
}
