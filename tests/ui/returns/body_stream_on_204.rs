use graph_endpoint::{graph_action, BodyStream, Error, Graph};

pub trait Endpoints: Graph {
    #[graph_action(GET, "/deviceManagement/reports/exportJobs('<id>')/content", expect = 204)]
    async fn content(&self, id: &str) -> Result<BodyStream, Error>;
}

impl Endpoints for graph_endpoint::GraphClient {}

fn main() {}
