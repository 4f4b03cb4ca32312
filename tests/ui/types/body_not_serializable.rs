use graph_endpoint::{graph_action, Error, Graph};

pub struct NotSerializable;

pub trait Endpoints: Graph {
    #[graph_action(POST, "/users", expect = 201)]
    async fn create(&self, #[body] user: &NotSerializable) -> Result<serde_json::Value, Error>;
}

impl Endpoints for graph_endpoint::GraphClient {}

fn main() {}
