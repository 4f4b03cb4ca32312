use graph_endpoint::{graph_action, Graph};

pub trait Endpoints: Graph {
    #[graph_action(GET, "/users/<id>", expect = 200)]
    fn user(&self, id: &str) -> impl std::future::Future + Send;
}

impl Endpoints for graph_endpoint::GraphClient {}

fn main() {}
