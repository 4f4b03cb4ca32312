//! National clouds and API versions.

use std::fmt;

/// A Microsoft Graph national cloud: where requests go and where tokens come from.
///
/// Tokens are issued per cloud: a token for [`Cloud::Global`] is rejected by
/// [`Cloud::UsGovL4`], and the reverse.
///
/// ```
/// use graph_endpoint::Cloud;
/// assert_eq!(Cloud::UsGovL5.graph_root(), "https://dod-graph.microsoft.us");
/// assert_eq!(Cloud::China.authority(), "https://login.chinacloudapi.cn");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Cloud {
    /// The global service, `https://graph.microsoft.com`.
    #[default]
    Global,
    /// US Government L4 (GCC High), `https://graph.microsoft.us`.
    UsGovL4,
    /// US Government L5 (DoD), `https://dod-graph.microsoft.us`.
    UsGovL5,
    /// China, operated by 21Vianet, `https://microsoftgraph.chinacloudapi.cn`.
    China,
}

impl Cloud {
    /// The Graph root URL of this cloud, without a trailing slash.
    #[must_use]
    pub const fn graph_root(self) -> &'static str {
        match self {
            Cloud::Global => "https://graph.microsoft.com",
            Cloud::UsGovL4 => "https://graph.microsoft.us",
            Cloud::UsGovL5 => "https://dod-graph.microsoft.us",
            Cloud::China => "https://microsoftgraph.chinacloudapi.cn",
        }
    }

    /// The sign-in authority (Microsoft identity platform) of this cloud.
    #[must_use]
    pub const fn authority(self) -> &'static str {
        match self {
            Cloud::Global => "https://login.microsoftonline.com",
            Cloud::UsGovL4 | Cloud::UsGovL5 => "https://login.microsoftonline.us",
            Cloud::China => "https://login.chinacloudapi.cn",
        }
    }
}

/// A Graph API version: the first segment of every request path.
///
/// An endpoint may pin its version (`version = "beta"` in `#[graph_action]`);
/// otherwise the client's default applies.
///
/// ```
/// use graph_endpoint::ApiVersion;
/// assert_eq!(ApiVersion::Beta.as_str(), "beta");
/// assert_eq!("v1.0".parse::<ApiVersion>(), Ok(ApiVersion::V1));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ApiVersion {
    /// `v1.0`, the generally available API.
    #[default]
    V1,
    /// `beta`, the preview API (where many Intune resources live).
    Beta,
}

impl ApiVersion {
    /// The version as it appears in a URL: `v1.0` or `beta`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            ApiVersion::V1 => "v1.0",
            ApiVersion::Beta => "beta",
        }
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for ApiVersion {
    type Err = UnknownApiVersion;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "v1.0" => Ok(ApiVersion::V1),
            "beta" => Ok(ApiVersion::Beta),
            _ => Err(UnknownApiVersion(s.to_owned())),
        }
    }
}

/// A version string that is neither `v1.0` nor `beta`.
///
/// ```
/// use graph_endpoint::ApiVersion;
/// let err = "v2".parse::<ApiVersion>().unwrap_err();
/// assert!(err.to_string().contains("v2"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown Graph API version `{0}`: expected `v1.0` or `beta`")]
pub struct UnknownApiVersion(pub String);
