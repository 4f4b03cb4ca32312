use graph_endpoint::{graph_action, Error, Graph};

pub trait Endpoints: Graph {
    #[graph_action(GET, "/things/%2e%2e/<id>", expect = 200)]
    async fn thing(&self, id: &str) -> Result<serde_json::Value, Error>;

    #[graph_action(GET, "/things/.%2E/<id>", expect = 200)]
    async fn mixed_case(&self, id: &str) -> Result<serde_json::Value, Error>;

    #[graph_action(GET, "/things/%2E/<id>", expect = 200)]
    async fn single(&self, id: &str) -> Result<serde_json::Value, Error>;

    // Literal text next to a placeholder is not a whole segment: accepted.
    #[graph_action(GET, "/things/%2e%2e<id>", expect = 200)]
    async fn adjacent(&self, id: &str) -> Result<serde_json::Value, Error>;
}

impl Endpoints for graph_endpoint::GraphClient {}

fn main() {}
