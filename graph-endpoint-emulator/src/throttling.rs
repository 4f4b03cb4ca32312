//! Throttling as Intune does it: a token bucket per service family (one for
//! writes, one for every request), a 429 when the bucket is empty, with or
//! without `Retry-After`, and each item of a `$batch` counted on its own.
//!
//! Buckets run on tokio's clock, so a test in paused time sees the rates it
//! set, whatever the machine's speed.
//!
//! Sources: the Intune limits of the presets (per app and tenant, per 20
//! seconds) are those of "Microsoft Graph service-specific throttling
//! limits", Intune service limits
//! (<https://learn.microsoft.com/graph/throttling-limits#intune-service-limits>);
//! the 429 and its optional `Retry-After`, and throttling per `$batch` item,
//! are from "Microsoft Graph throttling guidance"
//! (<https://learn.microsoft.com/graph/throttling>). That Intune counts its
//! limits as token buckets (rather than fixed windows) is an assumption: the
//! documentation gives the counts per window only.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use crate::faults::RetryAfter;
use crate::lock::lock;

/// What a throttled answer says about when to come back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryAfterHint {
    /// No `Retry-After` (Intune often sends none).
    Omitted,
    /// The time until the bucket holds a token again, in fractional
    /// seconds (`Retry-After: 0.249`), as Graph sometimes sends it.
    Exact,
    /// That time rounded up to whole seconds (`Retry-After: 1`).
    WholeSeconds,
}

/// One service family's limits: which paths belong to it, how many writes
/// (POST, PUT, PATCH, DELETE) and how many requests of any method it admits
/// per window, and what its 429s say.
///
/// A family's buckets start full and refill continuously (`count` per
/// `window`); a request takes a token from each bucket it counts against, or
/// none when one is empty (then it is answered 429).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// use std::time::Duration;
/// use graph_endpoint_emulator::{Emulator, FamilyLimit, RetryAfterHint};
///
/// let emulator = Emulator::builder()
///     // Intune's documented limits for every family it lists.
///     .intune_limits()
///     // A service of one's own: 100 requests a second, 429s without Retry-After.
///     .limit(
///         FamilyLimit::new("groups", ["/groups"])
///             .any(100, Duration::from_secs(1))
///             .retry_after(RetryAfterHint::Omitted),
///     )
///     .start()
///     .await?;
/// assert!(emulator.limit_counts().iter().any(|c| c.family == "groups"));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct FamilyLimit {
    name: String,
    prefixes: Vec<String>,
    writes: Option<(u32, Duration)>,
    any: Option<(u32, Duration)>,
    retry_after: RetryAfterHint,
}

impl FamilyLimit {
    /// A family named `name`: the requests whose path after the version
    /// starts with one of `prefixes` (`/deviceManagement/managedDevices`).
    /// It limits nothing until given [`writes`](Self::writes) or [`any`](Self::any).
    #[must_use]
    pub fn new<P: Into<String>>(
        name: impl Into<String>,
        prefixes: impl IntoIterator<Item = P>,
    ) -> FamilyLimit {
        FamilyLimit {
            name: name.into(),
            prefixes: prefixes.into_iter().map(Into::into).collect(),
            writes: None,
            any: None,
            retry_after: RetryAfterHint::Exact,
        }
    }

    /// At most `count` writes per `window`.
    #[must_use]
    pub fn writes(mut self, count: u32, window: Duration) -> FamilyLimit {
        self.writes = Some((count, window));
        self
    }

    /// At most `count` requests of any method per `window`.
    #[must_use]
    pub fn any(mut self, count: u32, window: Duration) -> FamilyLimit {
        self.any = Some((count, window));
        self
    }

    /// What throttled answers say (default [`RetryAfterHint::Exact`]).
    #[must_use]
    pub fn retry_after(mut self, hint: RetryAfterHint) -> FamilyLimit {
        self.retry_after = hint;
        self
    }

    /// The family's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// An Intune family: 100 writes and 1,000 requests per 20 seconds.
    fn intune(name: &str, prefixes: &[&str]) -> FamilyLimit {
        FamilyLimit::new(name, prefixes.iter().copied())
            .writes(100, INTUNE_WINDOW)
            .any(1000, INTUNE_WINDOW)
    }

    /// Intune devices (managed devices, device scripts, detected apps,
    /// endpoint analytics): 200 writes and 2,000 requests per 20 seconds.
    #[must_use]
    pub fn intune_devices() -> FamilyLimit {
        FamilyLimit::new(
            "intune-devices",
            [
                "/deviceManagement/managedDevices",
                "/deviceManagement/comanagedDevices",
                "/deviceManagement/comanagementEligibleDevices",
                "/deviceManagement/detectedApps",
                "/deviceManagement/deviceManagementScripts",
                "/deviceManagement/deviceHealthScripts",
                "/deviceManagement/deviceComplianceScripts",
                "/deviceManagement/deviceShellScripts",
                "/deviceManagement/deviceCustomAttributeShellScripts",
                "/deviceManagement/remoteActionAudits",
                "/deviceManagement/managedDeviceOverview",
                "/deviceManagement/windowsMalwareInformation",
                "/deviceManagement/dataSharingConsents",
                "/deviceManagement/applePushNotificationCertificate",
                "/deviceManagement/cloudPCConnectivityIssues",
                "/deviceManagement/userExperienceAnalytics",
                "/me/managedDevices",
            ],
        )
        .writes(200, INTUNE_WINDOW)
        .any(2000, INTUNE_WINDOW)
    }

    /// Intune's documented families, each with its limits: devices,
    /// applications, managed applications, device configuration, Android for
    /// Work, enrollment, role-based access control, auditing.
    #[must_use]
    pub fn intune_families() -> Vec<FamilyLimit> {
        vec![
            FamilyLimit::intune_devices(),
            FamilyLimit::intune(
                "intune-applications",
                &[
                    "/deviceAppManagement/mobileApp",
                    "/deviceAppManagement/symantecCodeSigningCertificate",
                    "/deviceAppManagement/enterpriseCodeSigningCertificates",
                    "/deviceAppManagement/iosLobAppProvisioningConfigurations",
                ],
            ),
            FamilyLimit::intune(
                "intune-managed-applications",
                &[
                    "/deviceAppManagement/managedApp",
                    "/deviceAppManagement/iosManagedAppProtections",
                    "/deviceAppManagement/androidManagedAppProtections",
                    "/deviceAppManagement/defaultManagedAppProtections",
                    "/deviceAppManagement/targetedManagedAppConfigurations",
                    "/deviceAppManagement/mdmWindowsInformationProtectionPolicies",
                    "/deviceAppManagement/windowsInformationProtection",
                ],
            ),
            FamilyLimit::intune(
                "intune-device-configuration",
                &[
                    "/deviceManagement/deviceConfiguration",
                    "/deviceManagement/deviceCompliancePolic",
                    "/deviceManagement/ndesConnectors",
                    "/deviceManagement/managedDeviceEncryptionStates",
                    "/deviceManagement/iosUpdateStatuses",
                    "/deviceManagement/macOSSoftwareUpdateAccountSummaries",
                    "/deviceManagement/softwareUpdateStatusSummary",
                    "/deviceManagement/advancedThreatProtectionOnboardingStateSummary",
                    "/deviceManagement/cartToClassAssociations",
                ],
            ),
            FamilyLimit::intune(
                "intune-android-for-work",
                &[
                    "/deviceManagement/androidForWork",
                    "/deviceManagement/androidManagedStore",
                    "/deviceManagement/androidDeviceOwnerEnrollmentProfiles",
                ],
            ),
            FamilyLimit::intune(
                "intune-enrollment",
                &[
                    "/deviceManagement/deviceEnrollmentConfigurations",
                    "/deviceManagement/deviceCategories",
                    "/deviceManagement/exchangeConnectors",
                    "/deviceManagement/mobileThreatDefenseConnectors",
                    "/deviceManagement/deviceManagementPartners",
                    "/deviceManagement/complianceManagementPartners",
                    "/deviceManagement/conditionalAccessSettings",
                    "/deviceAppManagement/vppTokens",
                ],
            ),
            FamilyLimit::intune(
                "intune-rbac",
                &[
                    "/deviceManagement/roleDefinitions",
                    "/deviceManagement/roleAssignments",
                    "/deviceManagement/resourceOperations",
                    "/deviceManagement/roleScopeTags",
                ],
            ),
            FamilyLimit::intune("intune-auditing", &["/deviceManagement/auditEvents"]),
        ]
    }

    fn covers(&self, path: &str) -> bool {
        self.prefixes
            .iter()
            .any(|prefix| path.starts_with(prefix.as_str()))
    }
}

/// Intune's limits are per 20 seconds.
const INTUNE_WINDOW: Duration = Duration::from_secs(20);

/// How many requests of one family were admitted and throttled, as
/// [`Emulator::limit_counts`](crate::Emulator::limit_counts) reports them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LimitCounts {
    /// The family's name.
    pub family: String,
    /// Requests (and `$batch` items) admitted.
    pub admitted: u64,
    /// Requests (and `$batch` items) answered 429.
    pub throttled: u64,
}

/// A bucket of `capacity` tokens refilled at `per_second`.
#[derive(Debug)]
struct Bucket {
    capacity: f64,
    per_second: f64,
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn new((count, window): (u32, Duration), now: Instant) -> Bucket {
        let capacity = f64::from(count.max(1));
        Bucket {
            capacity,
            per_second: capacity / window.as_secs_f64().max(1e-9),
            tokens: capacity,
            at: now,
        }
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.per_second).min(self.capacity);
        self.at = now;
    }

    /// How long until a token is there (zero when one is).
    fn wait(&self) -> Duration {
        if self.tokens >= 1.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64((1.0 - self.tokens) / self.per_second)
        }
    }
}

/// One family's buckets and counts.
#[derive(Debug)]
struct Family {
    limit: FamilyLimit,
    buckets: Mutex<(Option<Bucket>, Option<Bucket>)>,
    admitted: AtomicU64,
    throttled: AtomicU64,
}

/// Every family the stand-in throttles.
#[derive(Debug, Default)]
pub(crate) struct Limits {
    families: Vec<Family>,
}

impl Limits {
    pub(crate) fn new(limits: Vec<FamilyLimit>) -> Limits {
        let now = Instant::now();
        Limits {
            families: limits
                .into_iter()
                .map(|limit| Family {
                    buckets: Mutex::new((
                        limit.writes.map(|w| Bucket::new(w, now)),
                        limit.any.map(|a| Bucket::new(a, now)),
                    )),
                    limit,
                    admitted: AtomicU64::new(0),
                    throttled: AtomicU64::new(0),
                })
                .collect(),
        }
    }

    /// Takes a request's tokens, or says it is throttled: `Err` with what its
    /// `Retry-After` says. `path` is the path after the version, with or
    /// without the query.
    pub(crate) fn admit(&self, method: &str, path: &str) -> Result<(), Option<RetryAfter>> {
        self.admit_at(method, path, Instant::now())
    }

    fn admit_at(&self, method: &str, path: &str, now: Instant) -> Result<(), Option<RetryAfter>> {
        let path = path.split('?').next().unwrap_or_default();
        let Some(family) = self.families.iter().find(|f| f.limit.covers(path)) else {
            return Ok(());
        };
        let write = !matches!(method, "GET" | "HEAD");
        let wait = {
            let mut buckets = lock(&family.buckets);
            let (writes, any) = &mut *buckets;
            let mut counted: Vec<&mut Bucket> = Vec::with_capacity(2);
            if write && let Some(writes) = writes {
                counted.push(writes);
            }
            if let Some(any) = any {
                counted.push(any);
            }
            for bucket in &mut counted {
                bucket.refill(now);
            }
            let wait = counted.iter().map(|b| b.wait()).max().unwrap_or_default();
            if wait.is_zero() {
                for bucket in counted {
                    bucket.tokens -= 1.0;
                }
            }
            wait
        };
        if wait.is_zero() {
            family.admitted.fetch_add(1, Ordering::Relaxed);
            return Ok(());
        }
        family.throttled.fetch_add(1, Ordering::Relaxed);
        Err(match family.limit.retry_after {
            RetryAfterHint::Omitted => None,
            RetryAfterHint::Exact => Some(RetryAfter::FractionalSeconds(
                // Rounded up to the millisecond the header is written in.
                (wait.as_secs_f64() * 1000.0).ceil() / 1000.0,
            )),
            RetryAfterHint::WholeSeconds => {
                Some(RetryAfter::Seconds(wait.as_secs_f64().ceil() as u64))
            }
        })
    }

    pub(crate) fn counts(&self) -> Vec<LimitCounts> {
        self.families
            .iter()
            .map(|family| LimitCounts {
                family: family.limit.name.clone(),
                admitted: family.admitted.load(Ordering::Relaxed),
                throttled: family.throttled.load(Ordering::Relaxed),
            })
            .collect()
    }
}

/// The path after the version of a request's raw path (`/beta/x` is `/x`);
/// `None` for paths outside Graph's versions (sign-in, `$batch` itself).
pub(crate) fn graph_path(raw_path: &str) -> Option<&str> {
    let rest = raw_path
        .strip_prefix("/beta")
        .or_else(|| raw_path.strip_prefix("/v1.0"))?;
    (rest.starts_with('/') && !rest.starts_with("/$batch") && !rest.starts_with("/%24batch"))
        .then_some(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_all_requests_have_their_own_buckets() {
        let now = Instant::now();
        let limits = Limits::new(vec![
            FamilyLimit::new("devices", ["/deviceManagement/managedDevices"])
                .writes(2, Duration::from_secs(1))
                .any(3, Duration::from_secs(1)),
        ]);
        let path = "/deviceManagement/managedDevices/d/syncDevice";
        assert!(limits.admit_at("POST", path, now).is_ok());
        assert!(limits.admit_at("POST", path, now).is_ok());
        // Writes are spent; a read still has a token of the other bucket.
        assert_eq!(
            limits.admit_at("POST", path, now),
            Err(Some(RetryAfter::FractionalSeconds(0.5)))
        );
        assert!(
            limits
                .admit_at("GET", "/deviceManagement/managedDevices?$top=1", now)
                .is_ok()
        );
        assert!(
            limits
                .admit_at("GET", "/deviceManagement/managedDevices", now)
                .is_err()
        );
        // Other paths are not limited.
        assert!(limits.admit_at("POST", "/users/u", now).is_ok());
        let later = now + Duration::from_millis(500);
        assert!(limits.admit_at("POST", path, later).is_ok());
        let counts = limits.counts();
        assert_eq!((counts[0].admitted, counts[0].throttled), (4, 2));
    }

    #[test]
    fn graph_paths_lose_their_version() {
        assert_eq!(graph_path("/beta/users/u?$top=1"), Some("/users/u?$top=1"));
        assert_eq!(
            graph_path("/v1.0/deviceManagement"),
            Some("/deviceManagement")
        );
        assert_eq!(graph_path("/v1.0/$batch"), None);
        assert_eq!(graph_path("/contoso/oauth2/v2.0/token"), None);
    }
}
