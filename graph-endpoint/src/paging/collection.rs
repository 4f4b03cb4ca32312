//! Collections: one page of items and the link to the next.

use serde::{Deserialize, Serialize};

/// One page of a Graph collection: `{"value": [...], "@odata.nextLink": ...}`.
///
/// Follow [`Collection::next_link`] with [`GraphClient::next_page`](crate::GraphClient::next_page):
///
/// ```
/// # use graph_endpoint::{graph_action, Collection, Error, Graph, GraphClient};
/// # #[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
/// # pub struct AndroidForWorkEnrollmentProfile {
/// #     #[serde(rename = "displayName", skip_serializing_if = "Option::is_none")]
/// #     pub display_name: Option<String>,
/// # }
/// # pub trait AndroidForWorkEnrollmentProfiles: Graph {
/// #     #[graph_action(
/// #         GET, "/deviceManagement/androidForWorkEnrollmentProfiles", expect = 200, version = "beta",
/// #         permissions = ["DeviceManagementConfiguration.Read.All", "DeviceManagementConfiguration.ReadWrite.All"]
/// #     )]
/// #     async fn list_profiles(
/// #         &self,
/// #         #[query("$top")] top: Option<u32>,
/// #     ) -> Result<Collection<AndroidForWorkEnrollmentProfile>, Error>;
/// # }
/// # impl AndroidForWorkEnrollmentProfiles for GraphClient {}
/// # async fn demo(graph: graph_endpoint::GraphClient) -> Result<(), graph_endpoint::Error> {
/// let mut page = graph.list_profiles(Some(100)).await?;
/// loop {
///     for profile in &page.value {
///         println!("{:?}", profile.display_name);
///     }
///     match page.next_link.as_deref() {
///         Some(next) => page = graph.next_page(next).await?,
///         None => break,
///     }
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound(deserialize = "T: serde::de::DeserializeOwned"))]
pub struct Collection<T> {
    /// The items of this page.
    pub value: Vec<T>,
    /// The URL of the next page, to be followed verbatim; absent on the last page.
    #[serde(
        rename = "@odata.nextLink",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub next_link: Option<String>,
    /// The total count, when `$count=true` was asked (first page only).
    #[serde(
        rename = "@odata.count",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub count: Option<i64>,
    /// The link that resumes a delta query (last page only).
    #[serde(
        rename = "@odata.deltaLink",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub delta_link: Option<String>,
}
