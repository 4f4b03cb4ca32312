use graph_endpoint::{graph_action, Error, Graph};

pub struct NotDeserializable;

pub trait Endpoints: Graph {
    #[graph_action(GET, "/users/<id>", expect = 200)]
    async fn user(&self, id: &str) -> Result<NotDeserializable, Error>;
}

impl Endpoints for graph_endpoint::GraphClient {}

fn main() {}
