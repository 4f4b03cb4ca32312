use graph_endpoint::{graph_action, Error};

#[graph_action(GET, "/users/<id>", expect = 200)]
pub async fn user(id: &str) -> Result<serde_json::Value, Error> {
    let _ = id;
    Ok(serde_json::Value::Null)
}

fn main() {
    let _ = user("1");
}
