//! The naming rule holds over the whole generated surface: the names other
//! programs call exist with the shapes they call them with, no endpoint name
//! is over 64 characters, no name ends in a numeric suffix, and every name
//! is snake_case by one function (`mac_os_…`, `eap_type`, `pfx_certificate`).
//! (Accessors are the snake_case of their property's wire name, whole, so a
//! property is found by its documented name; the 64-character rule is the
//! endpoints'.)

use std::collections::BTreeSet;

use graph_endpoint::GraphClient;
use graph_endpoint_device_management::models::{
    AnyDeviceCompliancePolicy, AnyDeviceConfiguration, DeviceCompliancePolicyAssignment,
    IosGeneralDeviceConfiguration, Windows10CompliancePolicy,
};
use graph_endpoint_device_management::prelude::*;
use graph_endpoint_device_management::v1;

/// Every call an outside program makes, by the names and argument shapes it
/// uses: this test does not compile if one is renamed or reshaped. The calls
/// are built, not sent.
#[test]
fn the_names_programs_call_exist_with_their_shapes() {
    let graph = GraphClient::builder()
        .token("t")
        .build()
        .expect("a client builds");
    let configuration: AnyDeviceConfiguration = IosGeneralDeviceConfiguration::new().into();
    let policy: AnyDeviceCompliancePolicy = Windows10CompliancePolicy::new().into();
    let assignments = [DeviceCompliancePolicyAssignment::new()];

    drop(graph.list_managed_devices());
    drop(graph.get_managed_device("d"));
    drop(graph.sync_managed_device("d"));
    drop(graph.wipe_managed_device("d", None, None, None, None, None));
    drop(graph.list_device_configurations());
    drop(graph.get_device_configuration("c"));
    drop(graph.create_device_configuration(&configuration));
    drop(graph.update_device_configuration("c", &configuration));
    drop(graph.delete_device_configuration("c"));
    drop(graph.list_device_configuration_assignments("c"));
    drop(graph.create_device_compliance_policy(&policy));
    drop(graph.assign_device_compliance_policy("p", &assignments));
    drop(v1::ManagedDevices::list_managed_devices(&graph));
}

/// The method names (`fn name(&self`, `fn name(&mut self`) the generated
/// sources declare: the endpoints' (the area modules), or the models'
/// accessors and setters.
fn generated_method_names(endpoints: bool) -> BTreeSet<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/generated");
    let mut names = BTreeSet::new();
    for entry in std::fs::read_dir(dir).expect("the generated sources") {
        let path = entry.expect("a directory entry").path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let file = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        let not_an_area = [
            "models",
            "prelude",
            "catalog",
            "samples",
            "metadata",
            "entity_sets",
            "mod",
        ];
        let wanted = if endpoints {
            !not_an_area.contains(&file)
        } else {
            file == "models"
        };
        if !wanted {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("a generated source");
        for (at, _) in text.match_indices("fn ") {
            let rest = &text[at + 3..];
            let Some(end) = rest.find('(') else { continue };
            let name = &rest[..end];
            if !name.is_empty()
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && rest[end..].starts_with("(&")
            {
                names.insert(name.to_owned());
            }
        }
    }
    names
}

#[test]
fn no_generated_name_is_long_numbered_or_split_differently() {
    let endpoints = generated_method_names(true);
    assert!(
        endpoints.len() > 1_500,
        "{} endpoint names",
        endpoints.len()
    );
    for expected in [
        "list_managed_devices",
        "sync_managed_device",
        "wipe_managed_device",
        "assign_device_compliance_policy",
    ] {
        assert!(endpoints.contains(expected), "{expected} missing");
    }
    let too_long: Vec<_> = endpoints.iter().filter(|n| n.len() > 64).collect();
    assert!(too_long.is_empty(), "over 64 characters: {too_long:?}");
    let accessors = generated_method_names(false);
    assert!(
        accessors.len() > 5_000,
        "{} accessor names",
        accessors.len()
    );
    let names: BTreeSet<_> = endpoints.union(&accessors).collect();
    let numbered: Vec<_> = names
        .iter()
        .filter(|n| {
            n.rsplit_once('_').is_some_and(|(_, last)| {
                !last.is_empty() && last.chars().all(|c| c.is_ascii_digit())
            })
        })
        .collect();
    assert!(numbered.is_empty(), "numeric suffixes: {numbered:?}");
    // One snake_case function for endpoints and accessors alike: an acronym
    // is a word of its own wherever it stands.
    for split in ["mac_oswired", "eapconfiguration", "pfxcertificate", "i_os_"] {
        let found: Vec<_> = names.iter().filter(|n| n.contains(split)).collect();
        assert!(found.is_empty(), "{split}: {found:?}");
    }
    for joined in ["mac_os_vpn_configuration", "eap_type", "pfx_certificate"] {
        assert!(
            names.iter().any(|n| n.contains(joined)),
            "no name says {joined}"
        );
    }
}
