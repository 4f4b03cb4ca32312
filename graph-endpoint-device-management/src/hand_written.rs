//! The seed resource, declared by hand: Intune's `androidForWorkEnrollmentProfile`
//! (beta only), with [`AndroidForWorkEnrollmentProfile`] and the
//! [`AndroidForWorkEnrollmentProfiles`] trait declared with `#[graph_action]`,
//! the way a user declares an endpoint, and implemented for
//! [`GraphClient`].
//!
//! It keeps its own behaviour in the stand-in (`graph-endpoint-emulator`):
//! a profile is created, read, listed with `$top`, `$filter` and delta rounds,
//! updated, deleted, and given or stripped of its enrollment token there, so
//! examples and tests of code written with `graph-endpoint` run against it offline.
//!
//! The generated [`models`](crate::models) and area modules cover the same
//! endpoints from Graph's metadata (the `enrollment` area's
//! `AndroidForWorkEnrollmentProfiles` trait and
//! `models::AndroidForWorkEnrollmentProfile`); this module is always compiled,
//! whatever the features.
//!
//! ```no_run
//! use graph_endpoint::GraphClient;
//! use graph_endpoint_device_management::hand_written::{
//!     AndroidForWorkEnrollmentProfile, AndroidForWorkEnrollmentProfiles,
//! };
//!
//! # async fn demo() -> Result<(), graph_endpoint::Error> {
//! let graph = GraphClient::builder().token(std::env::var("GRAPH_TOKEN").unwrap()).build()?;
//! let profile = graph
//!     .create_profile(&AndroidForWorkEnrollmentProfile {
//!         display_name: Some("Kiosk devices".into()),
//!         ..Default::default()
//!     })
//!     .await?;
//! let id = profile.id.as_deref().unwrap();
//! graph.create_token(id, 3600).await?;
//! graph.revoke_token(id).await?;
//! # Ok(()) }
//! ```

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use graph_endpoint::{Collection, DeltaItem, Error, Graph, GraphClient, Paged, graph_action};

/// An Android for Work enrollment profile: the token and QR code that enroll
/// company-owned Android devices into Intune.
///
/// Every property is optional, so the same type serves as the body of a create
/// (set `display_name` and `description`), of a partial update, and as the
/// entity the service returns. Properties this type does not know are kept in
/// `additional_properties`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AndroidForWorkEnrollmentProfile {
    /// `#microsoft.graph.androidForWorkEnrollmentProfile`.
    #[serde(rename = "@odata.type", skip_serializing_if = "Option::is_none")]
    pub odata_type: Option<String>,
    /// Unique identifier of the profile (read-only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Tenant GUID the profile belongs to (read-only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// Display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// When the profile was created (read-only).
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub created_date_time: Option<OffsetDateTime>,
    /// When the profile was last changed (read-only).
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub last_modified_date_time: Option<OffsetDateTime>,
    /// The enrollment token, set by `createToken` and cleared by `revokeToken`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_value: Option<String>,
    /// When the token expires; the minimum date when there is none.
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub token_expiration_date_time: Option<OffsetDateTime>,
    /// How many devices enrolled with this profile.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enrolled_device_count: Option<i32>,
    /// The string a device scans as a QR code to enroll.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qr_code_content: Option<String>,
    /// The QR code as an image.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qr_code_image: Option<MimeContent>,
    /// Properties not modelled above, as the service sent them.
    #[serde(flatten)]
    pub additional_properties: serde_json::Map<String, serde_json::Value>,
}

impl AndroidForWorkEnrollmentProfile {
    /// A profile to create, with only its display name set.
    ///
    /// ```
    /// use graph_endpoint_device_management::hand_written::AndroidForWorkEnrollmentProfile;
    ///
    /// let kiosk = AndroidForWorkEnrollmentProfile::named("Kiosk");
    /// assert_eq!(kiosk.display_name.as_deref(), Some("Kiosk"));
    /// ```
    pub fn named(display_name: impl Into<String>) -> Self {
        AndroidForWorkEnrollmentProfile {
            display_name: Some(display_name.into()),
            ..Default::default()
        }
    }

    /// Whether the profile holds an enrollment token (`tokenValue` set and not empty).
    #[must_use]
    pub fn has_token(&self) -> bool {
        self.token_value.as_deref().is_some_and(|t| !t.is_empty())
    }
}

/// Content with a MIME type: Graph's `mimeContent`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MimeContent {
    /// The MIME type, such as `image/png`.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
    /// The content, base64-encoded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// The `androidForWorkEnrollmentProfiles` collection of Intune device management (beta only).
///
/// Reads need `DeviceManagementConfiguration.Read.All` or `.ReadWrite.All`;
/// writes need `DeviceManagementConfiguration.ReadWrite.All`. The tenant needs
/// an active Intune licence.
pub trait AndroidForWorkEnrollmentProfiles: Graph {
    /// Lists the profiles, one page at a time (`top` asks for a page size).
    #[graph_action(
        GET, "/deviceManagement/androidForWorkEnrollmentProfiles", expect = 200, version = "beta",
        permissions = ["DeviceManagementConfiguration.Read.All", "DeviceManagementConfiguration.ReadWrite.All"]
    )]
    async fn list_profiles(
        &self,
        #[query("$top")] top: Option<u32>,
    ) -> Result<Collection<AndroidForWorkEnrollmentProfile>, Error>;

    /// Every profile, as a stream of pages or of items; OData options
    /// (`$select`, `$filter`, `$top`, `$count`, ...) go on the returned [`Paged`].
    #[graph_action(
        GET, "/deviceManagement/androidForWorkEnrollmentProfiles", expect = 200, version = "beta",
        permissions = ["DeviceManagementConfiguration.Read.All", "DeviceManagementConfiguration.ReadWrite.All"]
    )]
    fn profiles(&self) -> Paged<'_, AndroidForWorkEnrollmentProfile>;

    /// The profiles created, updated or removed since the round that handed
    /// out a delta link: read the items to the end, keep
    /// [`Items::delta_link`](graph_endpoint::Items::delta_link), and start the next
    /// round with [`Paged::resume_from`]. The first round lists every profile.
    #[graph_action(
        GET, "/deviceManagement/androidForWorkEnrollmentProfiles/delta", expect = 200, version = "beta",
        permissions = ["DeviceManagementConfiguration.Read.All", "DeviceManagementConfiguration.ReadWrite.All"]
    )]
    fn profile_changes(&self) -> Paged<'_, DeltaItem<AndroidForWorkEnrollmentProfile>>;

    /// Reads one profile.
    #[graph_action(
        GET, "/deviceManagement/androidForWorkEnrollmentProfiles/<id>", expect = 200, version = "beta",
        permissions = ["DeviceManagementConfiguration.Read.All", "DeviceManagementConfiguration.ReadWrite.All"]
    )]
    async fn get_profile(&self, id: &str) -> Result<AndroidForWorkEnrollmentProfile, Error>;

    /// Creates a profile; the service assigns `id`, `accountId` and the timestamps.
    #[graph_action(
        POST, "/deviceManagement/androidForWorkEnrollmentProfiles", expect = 201, version = "beta",
        permissions = ["DeviceManagementConfiguration.ReadWrite.All"]
    )]
    async fn create_profile(
        &self,
        #[body] profile: &AndroidForWorkEnrollmentProfile,
    ) -> Result<AndroidForWorkEnrollmentProfile, Error>;

    /// Updates the properties set in `changes`; returns the updated profile.
    #[graph_action(
        PATCH, "/deviceManagement/androidForWorkEnrollmentProfiles/<id>", expect = 200, version = "beta",
        permissions = ["DeviceManagementConfiguration.ReadWrite.All"]
    )]
    async fn update_profile(
        &self,
        id: &str,
        #[body] changes: &AndroidForWorkEnrollmentProfile,
    ) -> Result<AndroidForWorkEnrollmentProfile, Error>;

    /// Deletes a profile.
    #[graph_action(
        DELETE, "/deviceManagement/androidForWorkEnrollmentProfiles/<id>", expect = 204, version = "beta",
        permissions = ["DeviceManagementConfiguration.ReadWrite.All"]
    )]
    async fn delete_profile(&self, id: &str) -> Result<(), Error>;

    /// Creates an enrollment token valid for `token_validity_in_seconds`.
    #[graph_action(
        POST, "/deviceManagement/androidForWorkEnrollmentProfiles/<id>/createToken", expect = 204,
        version = "beta", permissions = ["DeviceManagementConfiguration.ReadWrite.All"]
    )]
    async fn create_token(
        &self,
        id: &str,
        #[param] token_validity_in_seconds: i32,
    ) -> Result<(), Error>;

    /// Revokes the profile's enrollment token.
    #[graph_action(
        POST, "/deviceManagement/androidForWorkEnrollmentProfiles/<id>/revokeToken", expect = 204,
        version = "beta", permissions = ["DeviceManagementConfiguration.ReadWrite.All"]
    )]
    async fn revoke_token(&self, id: &str) -> Result<(), Error>;
}

impl AndroidForWorkEnrollmentProfiles for GraphClient {}
