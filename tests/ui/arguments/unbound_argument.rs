use graph_endpoint::{graph_action, Error, Graph};

pub trait Endpoints: Graph {
    #[graph_action(POST, "/users/<id>/revokeSignInSessions", expect = 204)]
    async fn revoke(&self, id: &str, reason: &str) -> Result<(), Error>;
}

impl Endpoints for graph_endpoint::GraphClient {}

fn main() {}
