use graph_endpoint::{graph_action, Error, Graph};

pub trait Endpoints: Graph {
    #[graph_action(FETCH, "users/{id}", expect = 404, versoin = "beta")]
    async fn user(&self, id: &str, extra: u32) -> Result<(), Error>;

    // The method after it still compiles and is usable.
    #[graph_action(GET, "/me", expect = 200)]
    async fn me(&self) -> Result<serde_json::Value, Error>;
}

impl Endpoints for graph_endpoint::GraphClient {}

fn main() {}
