use graph_endpoint::{graph_action, Error, Graph, Paged};

pub trait Endpoints: Graph {
    #[graph_action(GET, "/deviceManagement/managedDevices", expect = 200)]
    async fn devices(&self) -> Result<Paged<'_, serde_json::Value>, Error>;
}

impl Endpoints for graph_endpoint::GraphClient {}

fn main() {}
