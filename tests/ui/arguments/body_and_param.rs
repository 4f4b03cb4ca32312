use graph_endpoint::{graph_action, Error, Graph};

pub trait Endpoints: Graph {
    #[graph_action(POST, "/users/<id>/assignLicense", expect = 200)]
    async fn assign(&self, id: &str, #[body] licenses: &serde_json::Value, #[param] remove_licenses: Vec<String>) -> Result<serde_json::Value, Error>;
}

impl Endpoints for graph_endpoint::GraphClient {}

fn main() {}
