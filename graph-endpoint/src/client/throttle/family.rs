//! Which service family a request belongs to, and the limits Microsoft
//! documents for Intune's families.
//!
//! Graph throttles each service on its own: Intune keeps one budget per
//! service family (devices, applications, device configuration, ...) for each
//! app in each tenant, and counts writes (POST, PUT, PATCH, DELETE) against a
//! second, smaller budget besides. A family is worked out from the path after
//! the version, the way Intune's documentation assigns resources to families.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

/// A service family: the unit Graph throttles by. Calls of one family share
/// one learned rate (see [`Throttling`](crate::Throttling)); calls of
/// different families do not slow each other down.
///
/// Intune's documented families have constants. Any other path belongs to
/// the family named by its first segment (`/users/...` is `users`), except
/// that `managedDevices` anywhere in a path is Intune's devices family.
///
/// ```
/// use graph_endpoint::ServiceFamily;
///
/// assert_eq!(
///     ServiceFamily::of_path("/deviceManagement/managedDevices/7f2c/syncDevice"),
///     ServiceFamily::INTUNE_DEVICES
/// );
/// assert_eq!(
///     ServiceFamily::of_path("/deviceAppManagement/mobileApps/9a1b/assignments"),
///     ServiceFamily::INTUNE_APPLICATIONS
/// );
/// assert_eq!(ServiceFamily::of_path("/users/adele@contoso.com/managedDevices").name(), "intune-devices");
/// assert_eq!(ServiceFamily::of_path("/groups('g1')/members").name(), "groups");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServiceFamily(Cow<'static, str>);

impl ServiceFamily {
    /// Intune devices: managed devices, device scripts, detected apps,
    /// endpoint analytics (`userExperienceAnalytics...`), remote action audits.
    /// 200 writes and 2,000 requests per 20 seconds per app and tenant.
    pub const INTUNE_DEVICES: ServiceFamily = ServiceFamily::fixed("intune-devices");
    /// Intune applications: mobile apps, their categories, configurations,
    /// content and assignments (`/deviceAppManagement/mobileApps...`).
    pub const INTUNE_APPLICATIONS: ServiceFamily = ServiceFamily::fixed("intune-applications");
    /// Intune managed applications: app protection and app configuration
    /// policies, managed app registrations and statuses, Windows Information
    /// Protection.
    pub const INTUNE_MANAGED_APPLICATIONS: ServiceFamily =
        ServiceFamily::fixed("intune-managed-applications");
    /// Intune device configuration: device configurations, compliance
    /// policies and their states and summaries.
    pub const INTUNE_DEVICE_CONFIGURATION: ServiceFamily =
        ServiceFamily::fixed("intune-device-configuration");
    /// Intune Android for Work: Android Enterprise enrollment profiles,
    /// settings and app configuration schemas.
    pub const INTUNE_ANDROID_FOR_WORK: ServiceFamily =
        ServiceFamily::fixed("intune-android-for-work");
    /// Intune enrollment: enrollment configurations, device categories,
    /// connectors and partners, VPP tokens.
    pub const INTUNE_ENROLLMENT: ServiceFamily = ServiceFamily::fixed("intune-enrollment");
    /// Intune role-based access control: role definitions and assignments,
    /// resource operations, scope tags.
    pub const INTUNE_RBAC: ServiceFamily = ServiceFamily::fixed("intune-rbac");
    /// Intune auditing: audit events.
    pub const INTUNE_AUDITING: ServiceFamily = ServiceFamily::fixed("intune-auditing");
    /// Any other path under `/deviceManagement` or `/deviceAppManagement`.
    /// Every Intune family but devices documents the same limits, 100 writes
    /// and 1,000 requests per 20 seconds, which this one takes too.
    pub const INTUNE: ServiceFamily = ServiceFamily::fixed("intune");

    const fn fixed(name: &'static str) -> ServiceFamily {
        ServiceFamily(Cow::Borrowed(name))
    }

    /// A family of one's own name, for limits of a service not listed here.
    #[must_use]
    pub fn named(name: impl Into<String>) -> ServiceFamily {
        ServiceFamily(Cow::Owned(name.into()))
    }

    /// The family's name, such as `intune-devices`.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.0
    }

    /// The family of a request's path after the version (`/deviceManagement/...`),
    /// with or without its query.
    #[must_use]
    pub fn of_path(path: &str) -> ServiceFamily {
        let path = path.split(['?', '#']).next().unwrap_or_default();
        let mut segments = path.split('/').filter(|s| !s.is_empty()).map(bare);
        let Some(first) = segments.next() else {
            return ServiceFamily::fixed("root");
        };
        match first {
            "deviceManagement" => segments
                .next()
                .map_or(ServiceFamily::INTUNE, device_management_family),
            "deviceAppManagement" => segments
                .next()
                .map_or(ServiceFamily::INTUNE, device_app_management_family),
            _ if segments.clone().any(|s| s == "managedDevices") => ServiceFamily::INTUNE_DEVICES,
            other => ServiceFamily(Cow::Owned(other.to_ascii_lowercase())),
        }
    }

    /// The limits Microsoft documents for this family per app and tenant, if
    /// it is one of Intune's.
    #[must_use]
    pub fn documented_limits(&self) -> Option<FamilyLimits> {
        if *self == ServiceFamily::INTUNE_DEVICES {
            Some(FamilyLimits::INTUNE_DEVICES)
        } else if self.name().starts_with("intune") {
            Some(FamilyLimits::INTUNE)
        } else {
            None
        }
    }
}

impl fmt::Display for ServiceFamily {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A segment without its key or parameters and without the
/// `microsoft.graph.` qualifier: `users('a')` is `users`.
fn bare(segment: &str) -> &str {
    let segment = segment.split('(').next().unwrap_or_default();
    segment.strip_prefix("microsoft.graph.").unwrap_or(segment)
}

/// The family of `/deviceManagement/{collection}/...`, from the resources
/// each of Intune's throttling tables lists.
fn device_management_family(collection: &str) -> ServiceFamily {
    const DEVICES: &[&str] = &[
        "managedDevices",
        "comanagedDevices",
        "comanagementEligibleDevices",
        "detectedApps",
        "deviceManagementScripts",
        "deviceHealthScripts",
        "deviceComplianceScripts",
        "deviceShellScripts",
        "deviceCustomAttributeShellScripts",
        "remoteActionAudits",
        "managedDeviceOverview",
        "windowsMalwareInformation",
        "dataSharingConsents",
        "applePushNotificationCertificate",
        "cloudPCConnectivityIssues",
    ];
    const CONFIGURATION: &[&str] = &[
        "ndesConnectors",
        "managedDeviceEncryptionStates",
        "cartToClassAssociations",
        "iosUpdateStatuses",
        "macOSSoftwareUpdateAccountSummaries",
        "softwareUpdateStatusSummary",
        "advancedThreatProtectionOnboardingStateSummary",
        "restrictedAppsViolations",
    ];
    const ENROLLMENT: &[&str] = &[
        "deviceEnrollmentConfigurations",
        "deviceCategories",
        "exchangeConnectors",
        "exchangeOnPremisesPolicy",
        "exchangeOnPremisesPolicies",
        "mobileThreatDefenseConnectors",
        "deviceManagementPartners",
        "complianceManagementPartners",
        "conditionalAccessSettings",
    ];
    const RBAC: &[&str] = &[
        "roleDefinitions",
        "roleAssignments",
        "resourceOperations",
        "roleScopeTags",
    ];
    if DEVICES.contains(&collection) || collection.starts_with("userExperienceAnalytics") {
        ServiceFamily::INTUNE_DEVICES
    } else if CONFIGURATION.contains(&collection)
        || collection.starts_with("deviceConfiguration")
        || collection.starts_with("deviceCompliancePolic")
    {
        ServiceFamily::INTUNE_DEVICE_CONFIGURATION
    } else if collection.starts_with("androidForWork")
        || collection.starts_with("androidManagedStore")
        || collection == "androidDeviceOwnerEnrollmentProfiles"
    {
        ServiceFamily::INTUNE_ANDROID_FOR_WORK
    } else if ENROLLMENT.contains(&collection) {
        ServiceFamily::INTUNE_ENROLLMENT
    } else if RBAC.contains(&collection) {
        ServiceFamily::INTUNE_RBAC
    } else if collection == "auditEvents" {
        ServiceFamily::INTUNE_AUDITING
    } else {
        ServiceFamily::INTUNE
    }
}

/// The family of `/deviceAppManagement/{collection}/...`.
fn device_app_management_family(collection: &str) -> ServiceFamily {
    const MANAGED_APPLICATIONS: &[&str] = &[
        "managedAppPolicies",
        "managedAppRegistrations",
        "managedAppStatuses",
        "iosManagedAppProtections",
        "androidManagedAppProtections",
        "defaultManagedAppProtections",
        "targetedManagedAppConfigurations",
        "mdmWindowsInformationProtectionPolicies",
        "windowsInformationProtectionPolicies",
        "windowsInformationProtectionDeviceRegistrations",
        "windowsInformationProtectionWipeActions",
        "managedAppConfigurations",
    ];
    if collection.starts_with("mobileApp")
        || collection == "symantecCodeSigningCertificate"
        || collection == "enterpriseCodeSigningCertificates"
        || collection == "iosLobAppProvisioningConfigurations"
    {
        ServiceFamily::INTUNE_APPLICATIONS
    } else if MANAGED_APPLICATIONS.contains(&collection) {
        ServiceFamily::INTUNE_MANAGED_APPLICATIONS
    } else if collection == "vppTokens" {
        ServiceFamily::INTUNE_ENROLLMENT
    } else {
        ServiceFamily::INTUNE
    }
}

/// A family's limits: at most `writes` POST, PUT, PATCH and DELETE requests
/// and at most `any` requests of every method in each `window`.
///
/// ```
/// use std::time::Duration;
/// use graph_endpoint::FamilyLimits;
///
/// let devices = FamilyLimits::INTUNE_DEVICES;
/// assert_eq!(devices.writes_per_second(), Some(10.0));
/// assert_eq!(devices.any_per_second(), Some(100.0));
/// let mine = FamilyLimits::new(None, Some(300), Duration::from_secs(60));
/// assert_eq!(mine.any_per_second(), Some(5.0));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct FamilyLimits {
    /// Writes (POST, PUT, PATCH, DELETE) allowed per window, if limited apart.
    pub writes: Option<u32>,
    /// Requests of any method allowed per window.
    pub any: Option<u32>,
    /// The window the counts are per.
    pub window: Duration,
}

impl FamilyLimits {
    /// Intune devices, per app and tenant: 200 writes and 2,000 requests per 20 seconds.
    pub const INTUNE_DEVICES: FamilyLimits = FamilyLimits {
        writes: Some(200),
        any: Some(2000),
        window: Duration::from_secs(20),
    };
    /// Every other Intune family, per app and tenant: 100 writes and 1,000
    /// requests per 20 seconds.
    pub const INTUNE: FamilyLimits = FamilyLimits {
        writes: Some(100),
        any: Some(1000),
        window: Duration::from_secs(20),
    };

    /// Limits of one's own: `writes` and `any` per `window` (`None`: not limited).
    #[must_use]
    pub const fn new(writes: Option<u32>, any: Option<u32>, window: Duration) -> FamilyLimits {
        FamilyLimits {
            writes,
            any,
            window,
        }
    }

    /// The writes limit as requests per second.
    #[must_use]
    pub fn writes_per_second(&self) -> Option<f64> {
        self.writes.map(|n| self.per_second(n))
    }

    /// The any-method limit as requests per second.
    #[must_use]
    pub fn any_per_second(&self) -> Option<f64> {
        self.any.map(|n| self.per_second(n))
    }

    fn per_second(&self, count: u32) -> f64 {
        f64::from(count) / self.window.as_secs_f64().max(f64::MIN_POSITIVE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intune_paths_belong_to_their_documented_families() {
        for (path, family) in [
            (
                "/deviceManagement/managedDevices/1/syncDevice",
                ServiceFamily::INTUNE_DEVICES,
            ),
            (
                "/deviceManagement/managedDevices",
                ServiceFamily::INTUNE_DEVICES,
            ),
            (
                "/deviceManagement/userExperienceAnalyticsDevicePerformance",
                ServiceFamily::INTUNE_DEVICES,
            ),
            (
                "/deviceManagement/deviceManagementScripts/s/assign",
                ServiceFamily::INTUNE_DEVICES,
            ),
            (
                "/deviceManagement/deviceConfigurations/c/microsoft.graph.windows10GeneralConfiguration",
                ServiceFamily::INTUNE_DEVICE_CONFIGURATION,
            ),
            (
                "/deviceManagement/deviceCompliancePolicies/p/assign",
                ServiceFamily::INTUNE_DEVICE_CONFIGURATION,
            ),
            (
                "/deviceManagement/androidForWorkEnrollmentProfiles/p/revokeToken",
                ServiceFamily::INTUNE_ANDROID_FOR_WORK,
            ),
            (
                "/deviceManagement/roleDefinitions('r')",
                ServiceFamily::INTUNE_RBAC,
            ),
            (
                "/deviceManagement/auditEvents?$top=5",
                ServiceFamily::INTUNE_AUDITING,
            ),
            (
                "/deviceManagement/deviceEnrollmentConfigurations",
                ServiceFamily::INTUNE_ENROLLMENT,
            ),
            (
                "/deviceManagement/reports/exportJobs",
                ServiceFamily::INTUNE,
            ),
            ("/deviceManagement", ServiceFamily::INTUNE),
            (
                "/deviceAppManagement/mobileApps/a/microsoft.graph.win32LobApp/contentVersions",
                ServiceFamily::INTUNE_APPLICATIONS,
            ),
            (
                "/deviceAppManagement/iosManagedAppProtections",
                ServiceFamily::INTUNE_MANAGED_APPLICATIONS,
            ),
            (
                "/deviceAppManagement/vppTokens/t/syncLicenses",
                ServiceFamily::INTUNE_ENROLLMENT,
            ),
            (
                "/me/managedDevices/d/microsoft.graph.retire",
                ServiceFamily::INTUNE_DEVICES,
            ),
        ] {
            assert_eq!(ServiceFamily::of_path(path), family, "{path}");
        }
    }

    #[test]
    fn other_paths_are_named_by_their_first_segment() {
        assert_eq!(ServiceFamily::of_path("/users/u1").name(), "users");
        assert_eq!(
            ServiceFamily::of_path("/Groups('g')/members").name(),
            "groups"
        );
        assert_eq!(ServiceFamily::of_path("/").name(), "root");
        assert_eq!(ServiceFamily::of_path("/users").documented_limits(), None);
    }

    #[test]
    fn documented_limits_follow_the_family() {
        assert_eq!(
            ServiceFamily::INTUNE_DEVICES.documented_limits(),
            Some(FamilyLimits::INTUNE_DEVICES)
        );
        assert_eq!(
            ServiceFamily::INTUNE_RBAC.documented_limits(),
            Some(FamilyLimits::INTUNE)
        );
        assert_eq!(FamilyLimits::INTUNE.writes_per_second(), Some(5.0));
    }
}
