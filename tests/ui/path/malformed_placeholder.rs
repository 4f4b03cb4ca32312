use graph_endpoint::{graph_action, Error, Graph};

pub trait Endpoints: Graph {
    #[graph_action(GET, "/me/drive/root:/<item-path>:/content", expect = 200)]
    async fn content(&self, item_path: &str) -> Result<graph_endpoint::bytes::Bytes, Error>;
}

impl Endpoints for graph_endpoint::GraphClient {}

fn main() {}
