use graph_endpoint::{graph_action, Error, Graph};

pub trait Endpoints: Graph {
    #[graph_action(POST, "/users/<id>/revokeSignInSessions", expect = 204)]
    async fn revoke(&self, id: &str) -> Result<serde_json::Value, Error>;
}

impl Endpoints for graph_endpoint::GraphClient {}

fn main() {}
