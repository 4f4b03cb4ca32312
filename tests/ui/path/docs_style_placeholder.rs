use graph_endpoint::{graph_action, Error, Graph};

pub trait Endpoints: Graph {
    #[graph_action(GET, "/groups/{group-id}/members/{memberId}", expect = 200)]
    async fn member(&self, group_id: &str, member_id: &str) -> Result<serde_json::Value, Error>;
}

impl Endpoints for graph_endpoint::GraphClient {}

fn main() {}
