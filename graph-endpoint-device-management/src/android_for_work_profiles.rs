//! The seed resource, declared by hand: Intune's `androidForWorkEnrollmentProfile`
//! (beta only), the [`AndroidForWorkEnrollmentProfiles`] trait declared with
//! `#[graph_action]`, the way a user declares an endpoint, on the generated
//! model [`AndroidForWorkEnrollmentProfile`], and implemented for
//! [`GraphClient`].
//!
//! It keeps its own behaviour in the stand-in (`graph-endpoint-emulator`):
//! a profile is created, read, listed with `$top`, `$filter` and delta rounds,
//! updated, deleted, and given or stripped of its enrollment token there, so
//! examples and tests of code written with `graph-endpoint` run against it offline.
//!
//! The generated area modules cover the same endpoints from Graph's metadata
//! (the `enrollment` area's `AndroidForWorkEnrollmentProfiles` trait, named
//! by the naming rule); this module, and the model it uses, are compiled
//! whatever the features.
//!
//! ```no_run
//! use graph_endpoint::GraphClient;
//! use graph_endpoint_device_management::android_for_work_profiles::{
//!     AndroidForWorkEnrollmentProfile, AndroidForWorkEnrollmentProfiles,
//! };
//! use graph_endpoint_device_management::prelude::*;
//!
//! # async fn demo() -> Result<(), graph_endpoint::Error> {
//! let graph = GraphClient::builder().token(std::env::var("GRAPH_TOKEN").unwrap()).build()?;
//! let mut kiosk = AndroidForWorkEnrollmentProfile::named("Kiosk devices");
//! kiosk.set_description("Warehouse tablets");
//! let profile = graph.create_profile(&kiosk).await?;
//! let id = profile.id().unwrap();
//! graph.create_token(id, 3600).await?;
//! graph.revoke_token(id).await?;
//! # Ok(()) }
//! ```

use graph_endpoint::{Collection, DeltaItem, Error, Graph, GraphClient, Paged, graph_action};

pub use crate::models::{AndroidForWorkEnrollmentProfile, MimeContent};
use crate::support::{Model, Object};

impl AndroidForWorkEnrollmentProfile {
    /// A profile to create, with only its display name set (and no
    /// `@odata.type`: the collection holds one type).
    ///
    /// ```
    /// use graph_endpoint_device_management::android_for_work_profiles::AndroidForWorkEnrollmentProfile;
    ///
    /// let kiosk = AndroidForWorkEnrollmentProfile::named("Kiosk");
    /// assert_eq!(kiosk.display_name(), Some("Kiosk"));
    /// assert_eq!(serde_json::to_string(&kiosk).unwrap(), r#"{"displayName":"Kiosk"}"#);
    /// ```
    #[must_use]
    pub fn named(display_name: &str) -> Self {
        let mut object = Object::new();
        object.insert("displayName".to_owned(), display_name.into());
        Self::from_object(object)
    }

    /// Whether the profile holds an enrollment token (`tokenValue` set and not empty).
    ///
    /// ```
    /// use graph_endpoint_device_management::android_for_work_profiles::AndroidForWorkEnrollmentProfile;
    ///
    /// let profile: AndroidForWorkEnrollmentProfile = serde_json::from_str(r#"{"tokenValue": "t"}"#).unwrap();
    /// assert!(profile.has_token());
    /// assert!(!AndroidForWorkEnrollmentProfile::named("x").has_token());
    /// ```
    #[must_use]
    pub fn has_token(&self) -> bool {
        self.token_value().is_some_and(|t| !t.is_empty())
    }
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
