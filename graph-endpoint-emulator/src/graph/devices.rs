//! Managed devices: a fleet generated at start, served by the generic
//! collection `/deviceManagement/managedDevices`, and the remote action a
//! bulk job runs over all of them, `syncDevice` (204, or 404 for a device
//! that is not there), which stamps the device's `lastSyncDateTime`.
//!
//! Source: "managedDevice: syncDevice"
//! (<https://learn.microsoft.com/graph/api/intune-devices-manageddevice-syncdevice>),
//! `POST .../managedDevices/{managedDeviceId}/syncDevice`, 204 No Content.
//! The stamped `lastSyncDateTime` is an assumption (Graph syncs the device
//! later, out of band).

use std::collections::BTreeMap;
use std::sync::Mutex;

use http::Method;
use serde_json::{Value, json};

use super::GraphState;
use crate::lock::lock;
use crate::reply::{Failure, ReplyBody, empty_response, not_allowed};

/// The collection the fleet lives in, after the version.
pub(crate) const COLLECTION: &str = "deviceManagement/managedDevices";
/// Its item type.
pub(crate) const ITEM_TYPE: &str = "microsoft.graph.managedDevice";

/// The syncs each device received.
#[derive(Debug, Default)]
pub(crate) struct Syncs(Mutex<BTreeMap<String, u32>>);

impl Syncs {
    pub(crate) fn all(&self) -> BTreeMap<String, u32> {
        lock(&self.0).clone()
    }
}

/// The `n`th device of a generated fleet.
pub(crate) fn generated(n: usize) -> Value {
    const SYSTEMS: [(&str, &str); 4] = [
        ("Windows", "10.0.22631.3880"),
        ("iOS", "17.5.1"),
        ("Android", "14"),
        ("macOS", "14.5"),
    ];
    let (system, version) = SYSTEMS[n % SYSTEMS.len()];
    json!({
        "id": uuid::Uuid::new_v4().to_string(),
        "deviceName": format!("{}-{n:05}", system.to_ascii_uppercase()),
        "operatingSystem": system,
        "osVersion": version,
        "managementAgent": "mdm",
        "complianceState": if n.is_multiple_of(10) { "noncompliant" } else { "compliant" },
        "lastSyncDateTime": "2024-01-01T00:00:00Z",
    })
}

/// Answers a managed device's remote action; `None` for any other path.
pub(crate) fn answer(
    shared: &GraphState,
    parts: &http::request::Parts,
    rest: &[&str],
) -> Option<Result<hyper::Response<ReplyBody>, Failure>> {
    let ["deviceManagement", "managedDevices", id, action] = rest else {
        return None;
    };
    let action = action.strip_prefix("microsoft.graph.").unwrap_or(action);
    if action != "syncDevice" {
        return None;
    }
    if parts.method != Method::POST {
        return Some(Err(not_allowed(&parts.method, "POST")));
    }
    let now = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let synced = lock(&shared.entities).update_item(COLLECTION, id, "lastSyncDateTime", json!(now));
    if !synced {
        return Some(Err(Failure::new(
            404,
            "ResourceNotFound",
            format!("The managed device '{id}' was not found."),
        )));
    }
    *lock(&shared.device_syncs.0)
        .entry((*id).to_owned())
        .or_default() += 1;
    Some(Ok(empty_response(204)))
}
