use graph_endpoint::{graph_action, Error, Graph};

pub trait Endpoints: Graph {
    #[graph_action(POST, "/users", expect = 201)]
    async fn create(&self, #[body] user: &serde_json::Value, #[body] manager: &serde_json::Value) -> Result<serde_json::Value, Error>;
}

impl Endpoints for graph_endpoint::GraphClient {}

fn main() {}
