//! The Graph endpoints an app content upload calls, declared here with the
//! few fields the upload reads, until the typed `/deviceAppManagement`
//! surface declares them: a mobile app (create, get, the PATCH of
//! `committedContentVersion`), its content versions, their files (create,
//! get), `renewUpload` and `commit`.

use std::fmt;

use graph_endpoint::{Error, Graph, GraphClient, Response, graph_action};
use serde::Deserialize;
use serde_json::Value;

/// A content version as created: its id is all the upload needs.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct ContentVersion {
    pub(crate) id: String,
}

/// A content file (`mobileAppContentFile`): its state and, once Graph made
/// one, the storage URI and its expiry. The URI is signed: `Debug` shows its
/// origin only.
#[derive(Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ContentFile {
    pub(crate) id: String,
    #[serde(default)]
    pub(crate) upload_state: Option<String>,
    #[serde(default)]
    pub(crate) azure_storage_uri: Option<String>,
    #[serde(default)]
    pub(crate) azure_storage_uri_expiration_date_time: Option<String>,
}

impl fmt::Debug for ContentFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let origin = self.azure_storage_uri.as_deref().map(|uri| {
            graph_endpoint::reqwest::Url::parse(uri).map_or_else(
                |_| "(unreadable)".to_owned(),
                |u| u.origin().ascii_serialization(),
            )
        });
        f.debug_struct("ContentFile")
            .field("id", &self.id)
            .field("upload_state", &self.upload_state)
            .field("azure_storage_uri_origin", &origin)
            .field(
                "azure_storage_uri_expiration_date_time",
                &self.azure_storage_uri_expiration_date_time,
            )
            .finish()
    }
}

/// The endpoints, implemented for [`GraphClient`]. `app_type` is the app's
/// type cast segment (`microsoft.graph.win32LobApp`).
pub(crate) trait ContentEndpoints: Graph {
    #[graph_action(
        POST, "/deviceAppManagement/mobileApps",
        expect = 201, version = "beta",
        permissions = ["DeviceManagementApps.ReadWrite.All"]
    )]
    async fn create_mobile_app(&self, #[body] app: &Value) -> Result<Value, Error>;

    #[graph_action(
        GET, "/deviceAppManagement/mobileApps/<app_id>",
        expect = 200, version = "beta",
        permissions = ["DeviceManagementApps.Read.All", "DeviceManagementApps.ReadWrite.All"]
    )]
    async fn get_mobile_app(&self, app_id: &str) -> Result<Value, Error>;

    #[graph_action(
        PATCH, "/deviceAppManagement/mobileApps/<app_id>",
        expect = 204, version = "beta",
        permissions = ["DeviceManagementApps.ReadWrite.All"]
    )]
    async fn update_mobile_app(&self, app_id: &str, #[body] changes: &Value) -> Result<(), Error>;

    #[graph_action(
        POST, "/deviceAppManagement/mobileApps/<app_id>/<app_type>/contentVersions",
        expect = 201, version = "beta",
        permissions = ["DeviceManagementApps.ReadWrite.All"]
    )]
    async fn create_content_version(
        &self,
        app_id: &str,
        app_type: &str,
        #[body] version: &Value,
    ) -> Result<ContentVersion, Error>;

    #[graph_action(
        POST, "/deviceAppManagement/mobileApps/<app_id>/<app_type>/contentVersions/<version_id>/files",
        expect = 201, version = "beta",
        permissions = ["DeviceManagementApps.ReadWrite.All"]
    )]
    async fn create_content_file(
        &self,
        app_id: &str,
        app_type: &str,
        version_id: &str,
        #[body] file: &Value,
    ) -> Result<ContentFile, Error>;

    #[graph_action(
        GET, "/deviceAppManagement/mobileApps/<app_id>/<app_type>/contentVersions/<version_id>/files/<file_id>",
        expect = 200, version = "beta",
        permissions = ["DeviceManagementApps.Read.All", "DeviceManagementApps.ReadWrite.All"]
    )]
    async fn get_content_file(
        &self,
        app_id: &str,
        app_type: &str,
        version_id: &str,
        file_id: &str,
    ) -> Result<Response<ContentFile>, Error>;

    #[graph_action(
        POST, "/deviceAppManagement/mobileApps/<app_id>/<app_type>/contentVersions/<version_id>/files/<file_id>/renewUpload",
        expect = 204, version = "beta",
        permissions = ["DeviceManagementApps.ReadWrite.All"]
    )]
    async fn renew_upload(
        &self,
        app_id: &str,
        app_type: &str,
        version_id: &str,
        file_id: &str,
    ) -> Result<(), Error>;

    #[graph_action(
        POST, "/deviceAppManagement/mobileApps/<app_id>/<app_type>/contentVersions/<version_id>/files/<file_id>/commit",
        expect = 204, version = "beta",
        permissions = ["DeviceManagementApps.ReadWrite.All"]
    )]
    async fn commit_file(
        &self,
        app_id: &str,
        app_type: &str,
        version_id: &str,
        file_id: &str,
        #[body] commit: &Value,
    ) -> Result<(), Error>;
}

impl ContentEndpoints for GraphClient {}
