//! Microsoft Graph's national clouds: where requests go and where tokens
//! come from.

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
