use graph_endpoint::{graph_action, Graph};

pub trait Endpoints: Graph {
    #[graph_action(GET, "/users/<id>", expect = 200)]
    async fn user(&self, id: &str) -> serde_json::Value;
}

impl Endpoints for graph_endpoint::GraphClient {}

fn main() {}
