use graph_endpoint::{graph_action, Error, Graph};

pub trait Endpoints: Graph {
    #[graph_action(DELETE, "/users/<id>", expect = "204")]
    async fn delete(&self, id: &str) -> Result<(), Error>;
}

impl Endpoints for graph_endpoint::GraphClient {}

fn main() {}
