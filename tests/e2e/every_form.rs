//! Every placeholder position, argument kind and result form the attribute
//! accepts: this module compiling is the test, and the endpoints it declares
//! are checked below. (The compile-fail cases are `tests/compile.rs`'s.)
// The body and result types exist to be named in signatures, not built.
#![allow(dead_code)]

use graph_endpoint::bytes::Bytes;
use graph_endpoint::{
    ApiVersion, DeltaItem, Error, Graph, GraphClient, Method, Paged, Response, graph_action,
};
use serde::{Deserialize, Serialize};

#[derive(Serialize)]
pub struct Assignment {
    pub target: String,
}

#[derive(Deserialize)]
pub struct User {
    pub id: String,
}

pub trait Everything: Graph {
    // Placeholder as a whole segment, and two of them.
    #[graph_action(DELETE, "/groups/<id>/members/<member_id>/$ref", expect = 204)]
    async fn remove_member(&self, id: &str, member_id: &str) -> Result<(), Error>;

    // Inside a function's parentheses, in an OData string literal.
    #[graph_action(
        GET,
        "/reports/getEmailActivityUserDetail(period='<period>')",
        expect = 200
    )]
    async fn email_activity(&self, period: &str) -> Result<Bytes, Error>;

    // An alternate key.
    #[graph_action(
        GET,
        "/users(userPrincipalName='<upn>')",
        expect = 200,
        version = "v1.0"
    )]
    async fn user_by_upn(&self, upn: String) -> Result<User, Error>;

    // A drive item path between colons, and `$value`.
    #[graph_action(GET, "/me/drive/root:/<item_path>:/content", expect = [200, 302])]
    async fn download(&self, item_path: &str) -> Result<Response<Bytes>, Error>;

    // A type cast segment, with an integer and a `Display` value.
    #[graph_action(
        GET,
        "/deviceManagement/deviceConfigurations/<id>/microsoft.graph.windowsPhone81VpnConfiguration/certificate/<n>",
        expect = 200
    )]
    async fn vpn_certificate(
        &self,
        id: impl std::fmt::Display + Send,
        n: u32,
    ) -> Result<Option<serde_json::Value>, Error>;

    // A qualified action with parameters, one renamed.
    #[graph_action(
        POST, "/deviceManagement/androidForWorkEnrollmentProfiles/<id>/microsoft.graph.createToken",
        expect = 204, version = "beta", permissions = ["DeviceManagementConfiguration.ReadWrite.All"]
    )]
    async fn create_token(
        &self,
        id: &str,
        #[param] token_validity_in_seconds: i32,
        #[param("note")] comment: Option<&str>,
    ) -> Result<(), Error>;

    // A body, a 202 with its Location, static and per-call headers.
    #[graph_action(
        POST, "/deviceManagement/deviceCompliancePolicies/<id>/assign", expect = 202,
        headers("Prefer" = "respond-async")
    )]
    async fn assign(
        &self,
        id: &str,
        #[body] assignment: &Assignment,
        #[header("x-ms-correlation")] correlation: Option<String>,
    ) -> Result<Response<()>, Error>;

    // Query parameters, with and without a value; a JSON result with status and headers.
    #[graph_action(GET, "/users", expect = 200)]
    async fn users(
        &self,
        #[query("$top")] top: u32,
        #[query("$filter")] filter: Option<&str>,
        #[header("ConsistencyLevel")] consistency: &str,
    ) -> Result<Response<Vec<User>>, Error>;

    // The explicit future form, a PATCH that may answer 200 or 204, and lifetimes.
    #[graph_action(PATCH, "/deviceManagement/deviceCategories/<category_id>", expect = [200, 204])]
    fn update_category<'a>(
        &'a self,
        category_id: &'a str,
        #[body] changes: &'a serde_json::Value,
    ) -> impl Future<Output = Result<Option<serde_json::Value>, Error>> + Send + 'a;

    // A list read page by page: a plain `fn` returning `Paged`, with a placeholder and a query parameter.
    #[graph_action(GET, "/deviceManagement/managedDevices/<id>/users", expect = 200)]
    fn device_users(&self, id: &str, #[query("$top")] top: Option<u32>) -> Paged<'_, User>;

    // A delta function: items that are changed or removed.
    #[graph_action(GET, "/users/delta", expect = 200, headers("Prefer" = "return=minimal"))]
    fn user_changes(&self) -> Paged<'_, DeltaItem<User>>;

    // A placeholder named by a keyword binds the raw argument `r#type`.
    #[graph_action(GET, "/directory/deletedItems/microsoft.graph.<type>", expect = 200)]
    async fn deleted_items(&self, r#type: &str) -> Result<serde_json::Value, Error>;

    // PUT with a body of a plain JSON value.
    #[graph_action(PUT, "/deviceManagement/deviceCategories/<id>/settings", expect = [200, 201, 204])]
    async fn replace_settings(
        &self,
        id: u64,
        #[body] settings: serde_json::Value,
    ) -> Result<Response<Bytes>, Error>;

    // An `Edm.Stream` answer read as a stream of chunks.
    #[graph_action(
        GET,
        "/reports/getEmailActivityUserDetail(period='<period>')",
        expect = 200
    )]
    async fn email_activity_stream(
        &self,
        period: &str,
    ) -> Result<graph_endpoint::BodyStream, Error>;

    // A body streamed from a reader, of a known length.
    #[graph_action(PUT, "/me/drive/items/<id>/content", expect = [200, 201])]
    async fn put_content(
        &self,
        id: &str,
        #[body] content: graph_endpoint::StreamBody,
    ) -> Result<serde_json::Value, Error>;
}

impl Everything for GraphClient {}

#[test]
fn every_form_compiles_and_declares_its_endpoints() {
    let endpoint = <GraphClient as Everything>::CREATE_TOKEN;
    assert_eq!(endpoint.method(), Method::Post);
    assert_eq!(endpoint.version(), Some(ApiVersion::Beta));
    assert_eq!(endpoint.expect(), &[204]);
    assert_eq!(
        endpoint.permissions(),
        &["DeviceManagementConfiguration.ReadWrite.All"]
    );
    assert_eq!(<GraphClient as Everything>::DOWNLOAD.expect(), &[200, 302]);
    assert_eq!(
        <GraphClient as Everything>::ASSIGN.headers(),
        &[("Prefer", "respond-async")]
    );
    assert_eq!(
        <GraphClient as Everything>::UPDATE_CATEGORY.path(),
        "/deviceManagement/deviceCategories/<category_id>"
    );
    assert_eq!(
        <GraphClient as Everything>::USER_BY_UPN.version(),
        Some(ApiVersion::V1)
    );
    assert_eq!(<GraphClient as Everything>::REMOVE_MEMBER.version(), None);
    assert_eq!(
        <GraphClient as Everything>::DEVICE_USERS.method(),
        Method::Get
    );
    assert_eq!(
        <GraphClient as Everything>::USER_CHANGES.headers(),
        &[("Prefer", "return=minimal")]
    );
    assert_eq!(
        <GraphClient as Everything>::DELETED_ITEMS.path(),
        "/directory/deletedItems/microsoft.graph.<type>"
    );
}
