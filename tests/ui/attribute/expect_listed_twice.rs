use graph_endpoint::{graph_action, Error, Graph};

pub trait Endpoints: Graph {
    #[graph_action(PATCH, "/users/<id>", expect = [204, 204])]
    async fn update(&self, id: &str, #[body] changes: &serde_json::Value) -> Result<(), Error>;
}

impl Endpoints for graph_endpoint::GraphClient {}

fn main() {}
