use graph_endpoint::{graph_action, BodyStream, Error, Graph, Response};

pub trait Endpoints: Graph {
    #[graph_action(GET, "/me/drive/items/<id>/content", expect = 200)]
    async fn content(&self, id: &str) -> Result<Response<BodyStream>, Error>;
}

impl Endpoints for graph_endpoint::GraphClient {}

fn main() {}
