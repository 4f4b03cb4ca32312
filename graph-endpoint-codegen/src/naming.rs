//! The naming rule: one Rust name per endpoint, from its path and kind, for
//! the untyped and the typed generators alike.
//!
//! | endpoint | name |
//! |---|---|
//! | `GET /deviceManagement/managedDevices` | `list_managed_devices` |
//! | `POST /deviceManagement/deviceConfigurations` | `create_device_configuration` |
//! | `GET /deviceManagement/deviceConfigurations/{id}` | `get_device_configuration(device_configuration_id)` |
//! | `PATCH`, `DELETE` of the same | `update_device_configuration`, `delete_device_configuration` |
//! | `GET /deviceManagement/deviceConfigurations/{id}/assignments` | `list_device_configuration_assignments` |
//! | `POST /deviceManagement/managedDevices/{id}/syncDevice` | `sync_managed_device` |
//! | `POST /deviceManagement/deviceCompliancePolicies/{id}/assign` | `assign_device_compliance_policy` |
//! | `POST /deviceManagement/managedDevices/executeAction` | `execute_action_managed_devices` |
//! | `GET /deviceManagement/deviceConfigurations/{id}/microsoft.graph.windows10GeneralConfiguration` | `get_windows10_general_configuration` |
//! | `GET /deviceManagement` | `get_device_management` |
//! | `GET /deviceManagement/getEffectivePermissions(scope='{scope}')` | `get_effective_permissions` |
//!
//! | `POST /deviceAppManagement/mobileApps/{id}/assign` | `assign_mobile_app` |
//! | `GET /deviceAppManagement/mobileApps/{id}/assignments` | `list_mobile_app_assignments` |
//! | `GET /groups`, `POST /groups` | `list_groups`, `create_group` |
//! | `GET /groups/{id}` | `get_group` |
//!
//! - The first segment (`/deviceManagement`, `/deviceAppManagement`) is the
//!   root and is left out; `X` is the segments after it, each in snake_case
//!   ([`snake_case`]), a segment followed by a key made singular
//!   ([`singular`]: the item, not the collection). A root that is itself a
//!   collection (followed by a key somewhere, as `/groups/{id}`) stays in X.
//! - Collections and items: `list_X` (X as in the path, plural), `create_X`
//!   (the item created: singular), `get_X`, `update_X`, `delete_X` (the item:
//!   singular). On the root itself: `get_device_management`, `list_groups`,
//!   `create_group`.
//! - A type cast (`.../{id}/microsoft.graph.windows10GeneralConfiguration/...`)
//!   stands for the segment it casts: it names the item more precisely.
//! - Actions and functions: `{operation}_{X}`, X what the operation is bound
//!   to, without the operation's last word where it repeats X's last word
//!   (`syncDevice` bound to a managed device is `sync_managed_device`); bound
//!   to the root, the operation alone.
//! - A name longer than [`LIMIT`] (64) characters is shortened, step by step,
//!   each step taken only while the name is still too long:
//!   1. segments of X whose every word the operation already says are
//!      dropped (`download_apple_push_notification_certificate_signing_request`
//!      for `applePushNotificationCertificate/downloadApplePushNotificationCertificateSigningRequest`);
//!   2. the segments of X before the last become their initials, outermost
//!      first (`list_adoipcp_managed_device_certificate_states` for
//!      `.../microsoft.graph.androidDeviceOwnerImportedPFXCertificateProfile/managedDeviceCertificateStates`);
//!   3. words are dropped from the front of X's last segment
//!      (`list_app_health_application_performance_by_app_version` for
//!      `userExperienceAnalyticsAppHealthApplicationPerformanceByAppVersion`);
//!   4. whole words are cut from the end.
//!
//!   For `list`, `create`, `get`, `update` and `delete`, X is shortened to fit
//!   after the longest of these verbs, so the five endpoints of one collection
//!   keep the same X.
//! - Two endpoints of one version with the same name: the one whose path has
//!   fewer segments (then the one listed first) keeps it; the other writes its
//!   segments as the path does (no singular), and if that is still taken, its
//!   last key's name is added (`_by_{key}`).

use std::collections::HashMap;

/// The longest name the rule gives (longer ones are shortened).
pub const LIMIT: usize = 64;

/// The longest verb of an entity endpoint: X is shortened to fit after it.
const CRUD_BUDGET: usize = LIMIT - "update_".len();

/// The words of a name: `windowsWifiEnterpriseEAPConfiguration` has
/// `windows`, `wifi`, `enterprise`, `eap`, `configuration`; `iOSVersion` has
/// `i`, `os`, `version`; anything not a letter or digit separates words.
#[must_use]
pub fn words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut out = Vec::new();
    let mut word = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let prev = i.checked_sub(1).map(|p| chars[p]);
            let next = chars.get(i + 1);
            let boundary = match prev {
                Some(p) if p.is_ascii_lowercase() || p.is_ascii_digit() => true,
                Some(p) if p.is_ascii_uppercase() => next.is_some_and(|n| n.is_ascii_lowercase()),
                _ => false,
            };
            if boundary && !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
            word.push(c.to_ascii_lowercase());
        } else if c.is_ascii_alphanumeric() {
            word.push(c);
        } else if !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// The one snake_case of every generated name: `macOSWiredNetworkConfiguration`,
/// `windowsWifiEnterpriseEAPConfiguration`, `iosPFXCertificateProfile` and
/// `item-path` become `mac_os_wired_network_configuration`,
/// `windows_wifi_enterprise_eap_configuration`, `ios_pfx_certificate_profile`
/// and `item_path`.
#[must_use]
pub fn snake_case(name: &str) -> String {
    words(name).join("_")
}

/// `PascalCase` from the same words: `deviceCompliancePolicies` becomes
/// `DeviceCompliancePolicies`, `macOSSoftwareUpdateAccountSummaries`
/// `MacOsSoftwareUpdateAccountSummaries`.
#[must_use]
pub fn pascal_case(name: &str) -> String {
    words(name)
        .iter()
        .map(|w| {
            let mut chars = w.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// The singular of an English plural word, as Graph's collection names
/// use them: `policies` → `policy`, `statuses` → `status`, `aliases` →
/// `alias`, `addresses` → `address`, `devices` → `device`; a word that is
/// not such a plural (`status`, `analytics`, `settings` is; `access` is not)
/// is left as it is.
#[must_use]
pub fn singular(word: &str) -> String {
    let cut = |n: usize| word[..word.len() - n].to_owned();
    if word.len() <= 3 {
        word.to_owned()
    } else if word.ends_with("statuses") || word.ends_with("aliases") {
        cut(2)
    } else if word.ends_with("ies") {
        format!("{}y", cut(3))
    } else if ["sses", "xes", "ches", "shes"]
        .iter()
        .any(|end| word.ends_with(end))
    {
        cut(2)
    } else if word.ends_with('s')
        && !["ss", "us", "is", "analytics"]
            .iter()
            .any(|end| word.ends_with(end))
    {
        cut(1)
    } else {
        word.to_owned()
    }
}

/// A Rust identifier from a snake_case name: keywords get a trailing `_`,
/// a leading digit a leading `_`.
#[must_use]
pub fn safe_ident(name: &str) -> String {
    const KEYWORDS: &[&str] = &[
        "as", "async", "await", "box", "break", "const", "continue", "crate", "dyn", "else",
        "enum", "extern", "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match",
        "mod", "move", "mut", "pub", "ref", "return", "self", "static", "struct", "super", "trait",
        "true", "try", "type", "unsafe", "use", "where", "while", "yield", "abstract", "become",
        "do", "final", "macro", "override", "priv", "typeof", "unsized", "virtual",
    ];
    let mut name = name.to_owned();
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, '_');
    }
    if KEYWORDS.contains(&name.as_str()) {
        name.push('_');
    }
    name
}

/// A path split for naming: the verb (or operation) words, and X's segments
/// as words.
#[derive(Debug, Clone)]
struct Parts {
    verb: Vec<String>,
    x: Vec<Vec<String>>,
    crud: bool,
}

/// The name of a segment: without its parenthesised parameters, a cast
/// without its namespace.
fn segment_name(segment: &str) -> (&str, bool) {
    let name = segment.split('(').next().unwrap_or(segment);
    match name.strip_prefix("microsoft.graph.") {
        Some(cast) => (cast, true),
        None => (name, false),
    }
}

/// The parts of a path of `kind`; `as_written` keeps every segment as the
/// path writes it (no singular), for a name that collided.
fn parts(path: &str, kind: &str, as_written: bool) -> Parts {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let root = segments.first().map_or("", |s| segment_name(s).0);
    let mut x: Vec<Vec<String>> = Vec::new();
    // A root followed by a key is a collection (`/groups/{id}`): the item's
    // name, so it stays in X.
    if segments.get(1).is_some_and(|s| s.starts_with('{')) {
        x.push(words(root));
    }
    for segment in segments.iter().skip(1) {
        if segment.starts_with('{') {
            if !as_written && let Some(last) = x.last_mut().and_then(|s| s.last_mut()) {
                *last = singular(last);
            }
            continue;
        }
        let (name, cast) = segment_name(segment);
        if cast && !x.is_empty() {
            // The cast names the item it casts more precisely.
            *x.last_mut().unwrap_or(&mut Vec::new()) = words(name);
        } else {
            x.push(words(name));
        }
    }
    let operation = matches!(kind, "action" | "function");
    let verb = if operation {
        let mut op = x.pop().unwrap_or_default();
        if op.len() > 1
            && let Some(last) = x.last().and_then(|s| s.last())
            && op.last().map(|w| singular(w)) == Some(singular(last))
        {
            op.pop();
        }
        if op.is_empty() {
            vec![kind.to_owned()]
        } else {
            op
        }
    } else {
        vec![kind.to_owned()]
    };
    if x.is_empty() && !operation {
        x.push(words(root));
    }
    if kind == "create"
        && !as_written
        && let Some(last) = x.last_mut().and_then(|s| s.last_mut())
    {
        *last = singular(last);
    }
    Parts {
        verb,
        x,
        crud: !operation,
    }
}

fn join(verb: &[String], x: &[Vec<String>]) -> String {
    verb.iter()
        .chain(x.iter().flatten())
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join("_")
}

fn x_len(x: &[Vec<String>]) -> usize {
    let words: usize = x.iter().map(Vec::len).sum();
    x.iter().flatten().map(String::len).sum::<usize>() + words.saturating_sub(1)
}

/// The name of `parts`, shortened to [`LIMIT`] by the documented steps.
fn shortened(parts: &Parts) -> String {
    let Parts { verb, x, crud } = parts;
    let mut x = x.clone();
    // Entity endpoints shorten X to fit the longest verb, the same for all five.
    let fits = |x: &[Vec<String>]| {
        if *crud {
            x_len(x) <= CRUD_BUDGET
        } else {
            join(verb, x).len() <= LIMIT
        }
    };
    if fits(&x) {
        return join(verb, &x);
    }
    // 1. Segments the operation already says, every word of them.
    if !*crud {
        x.retain(|segment| !segment.iter().all(|w| verb.contains(w)));
    }
    // 2. Outer segments become their initials.
    let mut k = 0;
    while !fits(&x) && k + 1 < x.len() {
        x[k] = vec![x[k].iter().filter_map(|w| w.chars().next()).collect()];
        k += 1;
    }
    // 3. Words from the front of the last segment.
    while !fits(&x)
        && let Some(last) = x.last_mut()
        && last.len() > 1
    {
        last.remove(0);
    }
    // 4. Whole words from the end.
    let mut name = join(verb, &x);
    while name.len() > LIMIT
        && let Some(cut) = name.rfind('_')
    {
        name.truncate(cut);
    }
    name
}

/// The name of one endpoint by the rule, before collisions are resolved.
#[must_use]
pub fn method_name(path: &str, kind: &str) -> String {
    safe_ident(&shortened(&parts(path, kind, false)))
}

/// Names for every endpoint (`(path, kind, version)`), unique within each
/// version, collisions resolved as the module documents.
#[must_use]
pub fn method_names(endpoints: &[(&str, &str, &str)]) -> Vec<String> {
    let mut names: Vec<String> = endpoints
        .iter()
        .map(|(path, kind, _)| method_name(path, kind))
        .collect();
    let depth = |path: &str| path.split('/').filter(|s| !s.is_empty()).count();
    // Claimants in order: fewer segments first, then the order of the list.
    let mut order: Vec<usize> = (0..endpoints.len()).collect();
    order.sort_by_key(|&i| (depth(endpoints[i].0), i));
    let mut taken: HashMap<(String, &str), usize> = HashMap::new();
    for &i in &order {
        let (path, kind, version) = endpoints[i];
        if let std::collections::hash_map::Entry::Vacant(free) =
            taken.entry((names[i].clone(), version))
        {
            free.insert(i);
            continue;
        }
        let written = safe_ident(&shortened(&parts(path, kind, true)));
        let name = if taken.contains_key(&(written.clone(), version)) {
            let key = path
                .rsplit('/')
                .find(|s| s.starts_with('{'))
                .map(snake_case)
                .unwrap_or_default();
            format!("{written}_by_{key}")
        } else {
            written
        };
        taken.insert((name.clone(), version), i);
        names[i] = name;
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_snake_case() {
        assert_eq!(snake_case("iOSVersion"), "i_os_version");
        assert_eq!(
            snake_case("macOSWiredNetworkConfiguration"),
            "mac_os_wired_network_configuration"
        );
        assert_eq!(
            snake_case("windowsWifiEnterpriseEAPConfiguration"),
            "windows_wifi_enterprise_eap_configuration"
        );
        assert_eq!(
            snake_case("windowsPhone81ImportedPFXCertificateProfile"),
            "windows_phone81_imported_pfx_certificate_profile"
        );
        assert_eq!(snake_case("item-path"), "item_path");
        assert_eq!(snake_case("@odata.type"), "odata_type");
        assert_eq!(
            pascal_case("macOSSoftwareUpdateAccountSummaries"),
            "MacOsSoftwareUpdateAccountSummaries"
        );
    }

    #[test]
    fn singulars() {
        for (plural, one) in [
            ("policies", "policy"),
            ("statuses", "status"),
            ("devices", "device"),
            ("aliases", "alias"),
            ("addresses", "address"),
            ("status", "status"),
            ("access", "access"),
            ("analytics", "analytics"),
            ("settings", "setting"),
        ] {
            assert_eq!(singular(plural), one, "{plural}");
        }
    }

    /// The table of the module documentation, and the names users rely on.
    #[test]
    fn the_rule_table() {
        let cases = [
            (
                "/deviceManagement/managedDevices",
                "list",
                "list_managed_devices",
            ),
            (
                "/deviceManagement/managedDevices/{managedDeviceId}",
                "get",
                "get_managed_device",
            ),
            (
                "/deviceManagement/managedDevices/{managedDeviceId}/syncDevice",
                "action",
                "sync_managed_device",
            ),
            (
                "/deviceManagement/managedDevices/{managedDeviceId}/wipe",
                "action",
                "wipe_managed_device",
            ),
            (
                "/deviceManagement/managedDevices/executeAction",
                "action",
                "execute_action_managed_devices",
            ),
            (
                "/deviceManagement/deviceConfigurations",
                "list",
                "list_device_configurations",
            ),
            (
                "/deviceManagement/deviceConfigurations",
                "create",
                "create_device_configuration",
            ),
            (
                "/deviceManagement/deviceConfigurations/{deviceConfigurationId}",
                "get",
                "get_device_configuration",
            ),
            (
                "/deviceManagement/deviceConfigurations/{deviceConfigurationId}",
                "update",
                "update_device_configuration",
            ),
            (
                "/deviceManagement/deviceConfigurations/{deviceConfigurationId}",
                "delete",
                "delete_device_configuration",
            ),
            (
                "/deviceManagement/deviceConfigurations/{deviceConfigurationId}/assignments",
                "list",
                "list_device_configuration_assignments",
            ),
            (
                "/deviceManagement/deviceCompliancePolicies",
                "create",
                "create_device_compliance_policy",
            ),
            (
                "/deviceManagement/deviceCompliancePolicies/{deviceCompliancePolicyId}/assign",
                "action",
                "assign_device_compliance_policy",
            ),
            (
                "/deviceManagement/deviceConfigurations/{deviceConfigurationId}/microsoft.graph.windows10GeneralConfiguration",
                "get",
                "get_windows10_general_configuration",
            ),
            ("/deviceManagement", "get", "get_device_management"),
            // Another root, left out the same way.
            (
                "/deviceAppManagement/mobileApps/{mobileAppId}/assign",
                "action",
                "assign_mobile_app",
            ),
            (
                "/deviceAppManagement/mobileApps/{mobileAppId}/assignments",
                "list",
                "list_mobile_app_assignments",
            ),
            (
                "/deviceAppManagement/mobileApps",
                "list",
                "list_mobile_apps",
            ),
            (
                "/deviceAppManagement/mobileApps/{mobileAppId}",
                "get",
                "get_mobile_app",
            ),
            (
                "/deviceAppManagement/mobileApps",
                "create",
                "create_mobile_app",
            ),
            ("/deviceAppManagement", "get", "get_device_app_management"),
            // A root that is a collection stays in X.
            ("/groups", "list", "list_groups"),
            ("/groups", "create", "create_group"),
            ("/groups/{id}", "get", "get_group"),
            ("/groups/{id}", "delete", "delete_group"),
            (
                "/deviceManagement/getEffectivePermissions(scope='{scope}')",
                "function",
                "get_effective_permissions",
            ),
            (
                "/deviceManagement/auditEvents/getAuditActivityTypes(category='{category}')",
                "function",
                "get_audit_activity_types_audit_events",
            ),
            // Shortened: the operation already says X.
            (
                "/deviceManagement/applePushNotificationCertificate/downloadApplePushNotificationCertificateSigningRequest",
                "function",
                "download_apple_push_notification_certificate_signing_request",
            ),
            // Shortened: initials of the outer segments.
            (
                "/deviceManagement/deviceConfigurations/{deviceConfigurationId}/microsoft.graph.androidDeviceOwnerImportedPFXCertificateProfile/managedDeviceCertificateStates",
                "list",
                "list_adoipcp_managed_device_certificate_states",
            ),
            // Shortened: the front of the last segment, the same X for every verb.
            (
                "/deviceManagement/userExperienceAnalyticsAppHealthApplicationPerformanceByAppVersion",
                "list",
                "list_app_health_application_performance_by_app_version",
            ),
            (
                "/deviceManagement/userExperienceAnalyticsAppHealthApplicationPerformanceByAppVersion/{id}",
                "delete",
                "delete_app_health_application_performance_by_app_version",
            ),
        ];
        for (path, kind, name) in cases {
            assert_eq!(method_name(path, kind), name, "{kind} {path}");
            assert!(name.len() <= LIMIT);
        }
    }

    #[test]
    fn collisions_are_resolved_by_depth_then_order() {
        let names = method_names(&[
            (
                "/deviceManagement/templates/{templateId}/settings",
                "list",
                "beta",
            ),
            ("/deviceManagement/templateSettings", "list", "beta"),
            ("/deviceManagement/templateSettings", "list", "v1.0"),
            (
                "/deviceManagement/exchangeOnPremisesPolicies/{policyId}",
                "get",
                "beta",
            ),
            ("/deviceManagement/exchangeOnPremisesPolicy", "get", "beta"),
        ]);
        assert_eq!(
            names,
            [
                "list_templates_settings",
                "list_template_settings",
                "list_template_settings",
                "get_exchange_on_premises_policies",
                "get_exchange_on_premises_policy",
            ]
        );
    }
}
