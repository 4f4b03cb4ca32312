//! An Intune inventory with the typed `/deviceManagement` surface: managed
//! devices read page by page (dates as `time::OffsetDateTime`, the nested
//! hardware information borrowed in place), device configurations grouped by
//! their concrete type, and a Windows 10 policy created, patched (its
//! description cleared with an explicit `null`) and deleted. One import, the
//! prelude, brings the endpoints and the setters.
//!
//! Every answer is checked against Graph's metadata as it decodes: against
//! the stand-in, a device whose `complianceState` is planted as a number
//! shows what a mismatch does by default (the call fails, naming the path
//! and the declared type) and with `Validation::Lenient` (a warning, and the
//! value kept as it came).
//!
//! ```text
//! cargo run --example intune_inventory
//! ```
//!
//! With no configuration it runs against the built-in local Graph stand-in,
//! serving every entity collection of the surface from Graph's metadata and
//! filled with a few devices and configurations. Against a real tenant, give a
//! bearer token for Microsoft Graph (`DeviceManagementManagedDevices.Read.All`
//! and `DeviceManagementConfiguration.ReadWrite.All`):
//!
//! ```text
//! GRAPH_TOKEN=eyJ0eXAi... cargo run --example intune_inventory
//! ```

use std::collections::BTreeMap;
use std::process::ExitCode;

use graph_endpoint::{Error, GraphClient, Validation};
use graph_endpoint_device_management::models::{
    AnyDeviceConfiguration, AnyManagedDevice, Windows10GeneralConfiguration,
};
use graph_endpoint_device_management::prelude::*;
use graph_endpoint_device_management::support::Field;
use graph_endpoint_emulator::Emulator;
use serde_json::json;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("failed: {e}");
            if let Some(code) = e
                .downcast_ref::<graph_endpoint::Error>()
                .and_then(|e| e.graph_code())
            {
                eprintln!("Graph error code: {code}");
            }
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    // A real tenant with GRAPH_TOKEN, else the stand-in.
    let mut stand_in = None;
    let graph = match std::env::var("GRAPH_TOKEN") {
        Ok(token) => GraphClient::builder().token(token).build()?,
        Err(_) => {
            let emulator = Emulator::builder().page_size(3).start().await?;
            fill(&emulator);
            println!("(against the local stand-in at {})\n", emulator.base_url());
            let graph = GraphClient::builder()
                .base_url(emulator.base_url())
                .token(emulator.token())
                .build()?;
            stand_in = Some(emulator);
            graph
        }
    };

    // Managed devices, one page at a time.
    println!("Managed devices:");
    let mut pages = graph
        .list_managed_devices()
        .select([
            "id",
            "deviceName",
            "operatingSystem",
            "complianceState",
            "lastSyncDateTime",
            "hardwareInformation",
        ])
        .pages();
    let mut page_number = 0;
    while let Some(page) = pages.try_next().await? {
        page_number += 1;
        for device in &page.value {
            let kind = match device {
                AnyManagedDevice::WindowsManagedDevice(_) => "Windows",
                _ => "device",
            };
            // Borrowed from the device: reading it copies nothing.
            let serial = device
                .hardware_information()
                .and_then(|hardware| hardware.serial_number())
                .unwrap_or("no serial number");
            println!(
                "  page {page_number}: {kind} {} ({}, {serial}), {}, last sync {}",
                device.device_name().unwrap_or("(no name)"),
                device.operating_system().unwrap_or("?"),
                device
                    .compliance_state()
                    .map_or("compliance unknown".to_owned(), |c| c.to_string()),
                device
                    .last_sync_date_time()
                    .map_or("never".to_owned(), |t| t.date().to_string()),
            );
        }
    }

    // A value Graph's metadata does not declare (planted in the stand-in):
    // strict by default, so the call fails with the path and the declared
    // type; leniently, a `tracing` warning, and the value kept as it came.
    if let Some(emulator) = &stand_in {
        let drifted = emulator
            .insert_entity(
                "deviceManagement/managedDevices",
                json!({"deviceName": "LAPTOP-0199", "complianceState": 3}),
            )
            .ok_or("the stand-in refused the device")?;
        let id = drifted["id"].as_str().unwrap_or_default();
        match graph.get_managed_device(id).await {
            Err(e @ Error::Decode(_)) => println!("\nStrict: {e}"),
            Ok(_) => return Err("a number was read as a compliance state".into()),
            Err(e) => return Err(Box::new(e)),
        }
        let device = graph
            .get_managed_device(id)
            .validation(Validation::Lenient)
            .await?;
        println!(
            "Lenient: {} read, complianceState {:?}, kept as {:?}",
            device.device_name().unwrap_or_default(),
            device.compliance_state(),
            device.field("complianceState"),
        );
    }

    // Device configurations, grouped by their concrete type.
    let mut by_type: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
    let mut items = graph.list_device_configurations().items();
    while let Some(configuration) = items.try_next().await? {
        let name = configuration
            .display_name()
            .unwrap_or("(no name)")
            .to_owned();
        let detail = match &configuration {
            AnyDeviceConfiguration::Windows10GeneralConfiguration(c) => format!(
                "{name}: password required {:?}, minimum length {:?}",
                c.password_required(),
                c.password_minimum_length()
            ),
            AnyDeviceConfiguration::IosGeneralDeviceConfiguration(c) => {
                format!("{name}: camera blocked {:?}", c.camera_blocked())
            }
            _ => name,
        };
        let kind = configuration
            .decoded_as()
            .unwrap_or("(a type unknown to the metadata)");
        by_type.entry(kind).or_default().push(detail);
    }
    println!("\nDevice configurations by type:");
    for (kind, names) in &by_type {
        println!("  {kind} ({}):", names.len());
        for name in names {
            println!("    {name}");
        }
    }

    // A policy: created (its @odata.type says which), patched, deleted. Every
    // setter returns the model it is called on, inherited properties included.
    let mut policy = Windows10GeneralConfiguration::new();
    policy
        .set_display_name("Inventory example: baseline")
        .set_password_required(true)
        .set_description("Created by intune_inventory")
        .set_password_minimum_length(8);
    let created = graph.create_device_configuration(&policy.into()).await?;
    let id = created
        .id()
        .ok_or("the created policy has no id")?
        .to_owned();
    println!(
        "\nCreated {} {id} ({})",
        created.decoded_as().unwrap_or("?"),
        created.display_name().unwrap_or_default()
    );

    // Only what changes: a longer password, and no description (an explicit null).
    let mut changes = Windows10GeneralConfiguration::new();
    changes.set_password_minimum_length(12).clear_description();
    let updated = graph
        .update_device_configuration(&id, &changes.into())
        .await?;
    let AnyDeviceConfiguration::Windows10GeneralConfiguration(updated) = updated else {
        return Err("the update came back as another type".into());
    };
    println!(
        "Patched: minimum length {:?}, description {}",
        updated.password_minimum_length(),
        match updated.field("description") {
            Field::Null => "cleared (null)".to_owned(),
            Field::Absent => "absent".to_owned(),
            Field::Present(v) => v.to_string(),
        }
    );

    graph.delete_device_configuration(&id).await?;
    match graph.get_device_configuration(&id).await {
        Err(e) if e.status().map(|s| s.as_u16()) == Some(404) => println!("Deleted {id}"),
        Ok(_) => return Err("the policy is still there after its deletion".into()),
        Err(e) => return Err(Box::new(e)),
    }
    Ok(())
}

/// A few devices and configurations for the stand-in.
fn fill(emulator: &Emulator) {
    let devices = "deviceManagement/managedDevices";
    for (name, os, windows, state) in [
        ("LAPTOP-0142", "Windows", true, "compliant"),
        ("LAPTOP-0177", "Windows", true, "noncompliant"),
        ("iPhone de Léa", "iOS", false, "compliant"),
        ("Pixel 7 kiosk", "Android", false, "inGracePeriod"),
        ("MBP-design-03", "macOS", false, "compliant"),
    ] {
        let mut device = json!({
            "deviceName": name, "operatingSystem": os, "complianceState": state,
            "lastSyncDateTime": "2024-05-06T07:08:09Z",
            "hardwareInformation": {"serialNumber": format!("SN-{}", name.len())},
        });
        if windows {
            device["@odata.type"] = json!("#microsoft.graph.windowsManagedDevice");
        }
        emulator.insert_entity(devices, device);
    }
    let configurations = "deviceManagement/deviceConfigurations";
    for configuration in [
        json!({"@odata.type": "#microsoft.graph.windows10GeneralConfiguration",
               "displayName": "Windows baseline", "passwordRequired": true, "passwordMinimumLength": 10}),
        json!({"@odata.type": "#microsoft.graph.windows10GeneralConfiguration",
               "displayName": "Kiosk lockdown", "passwordRequired": false}),
        json!({"@odata.type": "#microsoft.graph.iosGeneralDeviceConfiguration",
               "displayName": "iOS restrictions", "cameraBlocked": true}),
        json!({"@odata.type": "#microsoft.graph.androidWorkProfileGeneralDeviceConfiguration",
               "displayName": "Work profile"}),
        json!({"@odata.type": "#microsoft.graph.aConfigurationFromTheFuture",
               "displayName": "Preview policy"}),
    ] {
        emulator.insert_entity(configurations, configuration);
    }
}
