use graph_endpoint::{graph_action, Error, Graph};

pub trait Endpoints: Graph {
    #[graph_action(GET, "/users/<id>", expect = 200)]
    async fn user(&self, id: &str) -> Result<serde_json::Value, Error> where Self: Sized;
}

impl Endpoints for graph_endpoint::GraphClient {}

fn main() {}
