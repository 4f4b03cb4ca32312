//! Graph's answers as Microsoft's documentation shows them
//! (`tests/fixtures/graph/`, one file an answer, each naming its source
//! page), loaded for tests that serve them over HTTP.
#![allow(dead_code)]

use bytes::Bytes;
use graph_endpoint_emulator::Fault;
use serde_json::Value;

use crate::scripted::Reply;

/// Where the documented links point; tests serve them under their own root.
pub const DOCUMENTED_ROOT: &str = "https://graph.microsoft.com";

/// One documented answer.
#[derive(Debug, Clone)]
pub struct Fixture {
    pub name: String,
    /// The page it was taken from.
    pub source: String,
    /// `verbatim` (copied from the page), `composed` (built from what the
    /// page says in words) or `recorded` (a service answer Microsoft's own
    /// repositories show); the file's `note` says which parts.
    pub taken: String,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// The JSON body; `Null` for none.
    pub body: Value,
}

fn dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/graph")
}

/// The fixture `name` (the file name without `.json`).
pub fn load(name: &str) -> Fixture {
    let path = dir().join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let file: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    let text_of = |key: &str| {
        file[key]
            .as_str()
            .unwrap_or_else(|| panic!("{name} has no {key}"))
            .to_owned()
    };
    Fixture {
        name: name.to_owned(),
        source: text_of("source"),
        taken: text_of("taken"),
        status: file["status"]
            .as_u64()
            .unwrap_or_else(|| panic!("{name} has no status")) as u16,
        headers: file["headers"]
            .as_object()
            .map(|h| {
                h.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
                    .collect()
            })
            .unwrap_or_default(),
        body: file["body"].clone(),
    }
}

/// Every fixture, by name.
pub fn all() -> Vec<Fixture> {
    let mut names: Vec<String> = std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter_map(|n| n.strip_suffix(".json").map(str::to_owned))
        .collect();
    names.sort();
    names.iter().map(|n| load(n)).collect()
}

impl Fixture {
    /// The body as sent, its links to Graph moved under `root`.
    pub fn body_under(&self, root: &str) -> Bytes {
        if self.body.is_null() {
            return Bytes::new();
        }
        Bytes::from(self.body.to_string().replace(DOCUMENTED_ROOT, root))
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The answer as the stand-in injects it.
    pub fn fault(&self, root: &str) -> Fault {
        Fault::Respond {
            status: self.status,
            headers: self.headers.clone(),
            body: self.body_under(root),
        }
    }

    /// The answer as a scripted server gives it.
    pub fn reply(&self, root: &str) -> Reply {
        let mut reply = Reply::new(self.status).body(self.body_under(root));
        for (name, value) in &self.headers {
            reply = reply.header(name, value);
        }
        reply
    }
}
