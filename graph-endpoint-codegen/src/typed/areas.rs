//! The areas of the surface: each a Cargo feature of the generated crate and
//! a module of its endpoints, chosen from an endpoint's resource.

/// What varies between the crates generated from the same metadata: the
/// areas (a Cargo feature and a module each, with what it holds), which area
/// an endpoint's path belongs to, and the types compiled whatever the
/// features (those a hand-written part of the crate uses).
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    /// `(feature, what it holds)` of each area, in the order of the crate's features.
    pub areas: &'static [(&'static str, &'static str)],
    /// The area of an endpoint, from its path.
    pub area_of: fn(&str) -> &'static str,
    /// Qualified types compiled whatever the features, with what they reach.
    pub always: &'static [&'static str],
}

/// The layout of `graph-endpoint-device-management`: [`AREAS`] by [`area`];
/// the Android for Work enrollment profile always compiled, for the
/// hand-declared seed resource.
pub const DEVICE_MANAGEMENT: Layout = Layout {
    areas: AREAS,
    area_of: area,
    always: &["microsoft.graph.androidForWorkEnrollmentProfile"],
};

/// The areas of `graph-endpoint-device-management`: a Cargo feature and a module each.
pub const AREAS: &[(&str, &str)] = &[
    (
        "managed_devices",
        "Managed devices, their apps, categories and malware",
    ),
    (
        "device_configurations",
        "Device configurations (every platform's profiles) and their reports",
    ),
    (
        "configuration_policies",
        "Settings catalog, templates and intents, group policy, update profiles",
    ),
    ("compliance", "Compliance policies and partners"),
    (
        "scripts",
        "PowerShell, shell, health and compliance scripts",
    ),
    ("reports", "Reports and Endpoint Analytics"),
    (
        "enrollment",
        "Enrollment: Autopilot, DEP, Android and Apple enrollment profiles",
    ),
    (
        "roles",
        "Role-based access: role definitions, assignments and scope tags",
    ),
    (
        "tenant",
        "Everything else: tenant settings, connectors, branding, Cloud PC and more",
    ),
];

/// The area of an endpoint, from the resource after `/deviceManagement`.
#[must_use]
pub fn area(path: &str) -> &'static str {
    let resource = path
        .split('/')
        .filter(|s| !s.is_empty())
        .nth(1)
        .map(|s| s.split('(').next().unwrap_or(s))
        .unwrap_or("");
    let has = |s: &str| resource.contains(s);
    if resource == "reports" || resource.starts_with("userExperienceAnalytics") {
        "reports"
    } else if has("Script") {
        "scripts"
    } else if has("ompliance") {
        "compliance"
    } else if has("anagedDevice")
        || matches!(
            resource,
            "comanagedDevices"
                | "detectedApps"
                | "deviceCategories"
                | "comanagementEligibleDevices"
                | "windowsMalwareInformation"
                | "mobileAppTroubleshootingEvents"
                | "remoteActionAudits"
        )
    {
        "managed_devices"
    } else if resource.starts_with("deviceConfiguration") {
        "device_configurations"
    } else if resource.starts_with("configuration")
        || resource.starts_with("groupPolic")
        || resource.starts_with("reusable")
        || has("UpdateProfiles")
        || matches!(
            resource,
            "intents"
                | "templates"
                | "resourceAccessProfiles"
                | "categories"
                | "settingDefinitions"
        )
    {
        "configuration_policies"
    } else if has("nrollment")
        || has("utopilot")
        || has("depOnboarding")
        || has("ImportedDevice")
        || resource == "importedDeviceIdentities"
        || resource.starts_with("androidForWork")
        || resource.starts_with("androidManagedStore")
    {
        "enrollment"
    } else if resource.starts_with("role") || resource == "resourceOperations" {
        "roles"
    } else {
        "tenant"
    }
}

/// The layout of `graph-endpoint-device-app-management`: [`APP_AREAS`] by
/// [`app_area`]; no type compiled whatever the features.
pub const DEVICE_APP_MANAGEMENT: Layout = Layout {
    areas: APP_AREAS,
    area_of: app_area,
    always: &[],
};

/// The areas of `graph-endpoint-device-app-management`: a Cargo feature and a module each.
pub const APP_AREAS: &[(&str, &str)] = &[
    (
        "mobile_apps",
        "Mobile apps, their categories, content and assignments; app signing and provisioning",
    ),
    (
        "app_configurations",
        "Managed device and targeted managed app configurations",
    ),
    (
        "app_protection",
        "App protection and Windows Information Protection policies, app registrations and statuses",
    ),
    ("ebooks", "Managed eBooks, their categories, and VPP tokens"),
    ("groups", "Groups, the targets of assignments"),
    (
        "app_tenant",
        "Everything else: the root, policy sets, tasks, the Windows management app",
    ),
];

/// The area of an endpoint of `graph-endpoint-device-app-management`, from
/// the resource after `/deviceAppManagement` (or `/groups`).
#[must_use]
pub fn app_area(path: &str) -> &'static str {
    let mut segments = path.split('/').filter(|s| !s.is_empty());
    if segments.next() == Some("groups") {
        return "groups";
    }
    let resource = segments
        .next()
        .map(|s| s.split('(').next().unwrap_or(s))
        .unwrap_or("");
    let has = |s: &str| resource.contains(s);
    if resource.starts_with("mobileApp") && !has("Configuration")
        || matches!(
            resource,
            "iosLobAppProvisioningConfigurations"
                | "enterpriseCodeSigningCertificates"
                | "sideLoadingKeys"
                | "symantecCodeSigningCertificate"
                | "wdacSupplementalPolicies"
                | "syncMicrosoftStoreForBusinessApps"
        )
    {
        "mobile_apps"
    } else if has("Configuration") {
        "app_configurations"
    } else if has("ManagedApp") || has("managedApp") || has("InformationProtection") {
        "app_protection"
    } else if has("EBook") || resource == "vppTokens" {
        "ebooks"
    } else {
        "app_tenant"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn areas() {
        assert_eq!(
            area("/deviceManagement/managedDevices/{id}"),
            "managed_devices"
        );
        assert_eq!(
            area("/deviceManagement/deviceConfigurations"),
            "device_configurations"
        );
        assert_eq!(
            area("/deviceManagement/deviceCompliancePolicies"),
            "compliance"
        );
        assert_eq!(area("/deviceManagement/deviceManagementScripts"), "scripts");
        assert_eq!(area("/deviceManagement/reports/getReport"), "reports");
        assert_eq!(area("/deviceManagement"), "tenant");
    }

    #[test]
    fn app_areas() {
        let cases = [
            ("/deviceAppManagement/mobileApps/{id}/assign", "mobile_apps"),
            ("/deviceAppManagement/mobileAppCategories", "mobile_apps"),
            (
                "/deviceAppManagement/mobileAppConfigurations/{id}",
                "app_configurations",
            ),
            (
                "/deviceAppManagement/targetedManagedAppConfigurations",
                "app_configurations",
            ),
            (
                "/deviceAppManagement/iosManagedAppProtections",
                "app_protection",
            ),
            (
                "/deviceAppManagement/managedAppRegistrations/{id}",
                "app_protection",
            ),
            (
                "/deviceAppManagement/mdmWindowsInformationProtectionPolicies",
                "app_protection",
            ),
            ("/deviceAppManagement/managedEBooks", "ebooks"),
            ("/deviceAppManagement/vppTokens/{id}/syncLicenses", "ebooks"),
            ("/groups/{id}", "groups"),
            ("/deviceAppManagement", "app_tenant"),
            ("/deviceAppManagement/policySets", "app_tenant"),
        ];
        for (path, expected) in cases {
            assert_eq!(app_area(path), expected, "{path}");
        }
    }
}
