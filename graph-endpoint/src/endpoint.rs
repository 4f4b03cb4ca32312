//! What the `#[graph_action]` attribute records about each endpoint: its
//! method, path template, expected statuses and permissions, and the API
//! version ([`ApiVersion`]) it may pin.

use std::fmt;

/// The HTTP methods a Graph endpoint can be declared with.
///
/// ```
/// use graph_endpoint::Method;
/// assert_eq!(Method::Patch.as_str(), "PATCH");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// `GET`: reads.
    Get,
    /// `POST`: creates and actions.
    Post,
    /// `PUT`: replaces.
    Put,
    /// `PATCH`: updates.
    Patch,
    /// `DELETE`: deletes.
    Delete,
}

impl Method {
    /// The method's name on the wire.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }

    /// Whether repeating the request has the same effect as sending it once.
    #[must_use]
    pub const fn is_idempotent(self) -> bool {
        !matches!(self, Method::Post | Method::Patch)
    }

    pub(crate) fn to_http(self) -> http::Method {
        match self {
            Method::Get => http::Method::GET,
            Method::Post => http::Method::POST,
            Method::Put => http::Method::PUT,
            Method::Patch => http::Method::PATCH,
            Method::Delete => http::Method::DELETE,
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The description of one declared endpoint: method, path template, expected
/// statuses, version, permissions and static headers.
///
/// `#[graph_action]` publishes one as an associated constant of the trait, named
/// after the method in upper case, so tests and mocks can read it:
///
/// ```
/// use graph_endpoint::{ApiVersion, GraphClient, Method};
/// # use graph_endpoint::{graph_action, Error, Graph};
/// # pub trait AndroidForWorkEnrollmentProfiles: Graph {
/// #     #[graph_action(
/// #         POST, "/deviceManagement/androidForWorkEnrollmentProfiles/<id>/revokeToken", expect = 204,
/// #         version = "beta", permissions = ["DeviceManagementConfiguration.ReadWrite.All"]
/// #     )]
/// #     async fn revoke_token(&self, id: &str) -> Result<(), Error>;
/// # }
/// # impl AndroidForWorkEnrollmentProfiles for GraphClient {}
///
/// let endpoint = <GraphClient as AndroidForWorkEnrollmentProfiles>::REVOKE_TOKEN;
/// assert_eq!(endpoint.method(), Method::Post);
/// assert_eq!(endpoint.path(), "/deviceManagement/androidForWorkEnrollmentProfiles/<id>/revokeToken");
/// assert_eq!(endpoint.expect(), &[204]);
/// assert_eq!(endpoint.version(), Some(ApiVersion::Beta));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint {
    pub(crate) name: &'static str,
    pub(crate) method: Method,
    pub(crate) path: &'static str,
    pub(crate) expect: &'static [u16],
    pub(crate) version: Option<ApiVersion>,
    pub(crate) permissions: &'static [&'static str],
    pub(crate) headers: &'static [(&'static str, &'static str)],
}

/// Builds an [`Endpoint`] in a constant: what `#[graph_action]` generates.
#[doc(hidden)]
#[allow(clippy::too_many_arguments)]
#[must_use]
pub const fn endpoint(
    name: &'static str,
    method: Method,
    path: &'static str,
    expect: &'static [u16],
    version: Option<ApiVersion>,
    permissions: &'static [&'static str],
    headers: &'static [(&'static str, &'static str)],
) -> Endpoint {
    Endpoint {
        name,
        method,
        path,
        expect,
        version,
        permissions,
        headers,
    }
}

impl Endpoint {
    /// The name of the declared method, such as `revoke_token`.
    #[must_use]
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The HTTP method.
    #[must_use]
    pub const fn method(&self) -> Method {
        self.method
    }

    /// The path template as declared, with `<placeholders>`.
    #[must_use]
    pub const fn path(&self) -> &'static str {
        self.path
    }

    /// The statuses that count as success.
    #[must_use]
    pub const fn expect(&self) -> &'static [u16] {
        self.expect
    }

    /// The API version the endpoint is pinned to, if any; `None` follows the client.
    #[must_use]
    pub const fn version(&self) -> Option<ApiVersion> {
        self.version
    }

    /// The permissions the endpoint needs, as declared.
    #[must_use]
    pub const fn permissions(&self) -> &'static [&'static str] {
        self.permissions
    }

    /// Headers sent with every call of this endpoint.
    #[must_use]
    pub const fn headers(&self) -> &'static [(&'static str, &'static str)] {
        self.headers
    }

    /// Whether `status` is one of the expected statuses.
    #[must_use]
    pub fn expects(&self, status: u16) -> bool {
        self.expect.contains(&status)
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} ({})", self.method, self.path, self.name)
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
