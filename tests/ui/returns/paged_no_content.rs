use graph_endpoint::{graph_action, Graph, Paged};

pub trait Endpoints: Graph {
    #[graph_action(GET, "/deviceManagement/managedDevices", expect = 204)]
    fn devices(&self) -> Paged<'_, serde_json::Value>;
}

impl Endpoints for graph_endpoint::GraphClient {}

fn main() {}
