use graph_endpoint::{graph_action, Error, Graph, StreamBody};

pub trait Endpoints: Graph {
    #[graph_action(PUT, "/me/drive/items/<id>/content", expect = 200)]
    async fn put_content(&self, id: &str, #[param] content: StreamBody) -> Result<serde_json::Value, Error>;
}

impl Endpoints for graph_endpoint::GraphClient {}

fn main() {}
