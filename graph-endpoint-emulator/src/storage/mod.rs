//! The storage host: a second listener on 127.0.0.1 standing for the other
//! origins Graph hands out (a report's download URL, an upload session's
//! `uploadUrl`). As a real storage host, it checks the signature (`sig`) of
//! every URL it handed out (missing or altered: `403`), refuses any
//! `Authorization` header, gives up on a request head that does not arrive
//! in time, and serves a bounded number of connections at once. It records
//! requests with their headers (the most recent ones, up to a bound), serves
//! content with `Range` and `If-Range` (or without, when told), generates
//! large content on the fly, and hashes uploads as they arrive, so neither
//! direction is ever held in memory.
//!
//! This module holds its state, shared with the Graph routes that put
//! report zips, upload sessions and app content's blobs there; [`blobs`]
//! makes the bodies it serves, [`blocks`] holds app content's block blobs
//! (Azure Blob's `Put Block` and `Put Block List`), [`listener`] answers its
//! requests.

mod blobs;
pub(crate) mod blocks;
mod listener;

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use aws_lc_rs::digest;
use bytes::Bytes;

use crate::lock::lock;
use crate::recorded::RecordedRequest;

pub use blobs::fill_blob;
pub use blocks::BlockFault;
pub(crate) use listener::accept_loop;

/// A fault of the storage host, used once.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StorageFault {
    /// The next download sends the content up to this offset (from the
    /// start of the content), then breaks the connection.
    CutDownloadAt(u64),
    /// The next download of a report's zip serves its first half as if it
    /// were the whole (a `Content-Length` of that half): a zip cut short.
    TruncatedZip,
    /// The upload chunk starting at this offset is answered `500`.
    RejectChunkAt(u64),
    /// The upload chunk starting at this offset is read halfway, then the
    /// connection is closed without an answer.
    DropChunkAt(u64),
}

/// A file an upload session stored: its name, length and SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    /// The name it was created with.
    pub name: String,
    /// Its length in bytes.
    pub size: u64,
    /// Its SHA-256, lower-case hex.
    pub sha256: String,
}

pub(crate) struct Session {
    pub name: String,
    pub expires: time::OffsetDateTime,
    pub received: u64,
    pub total: Option<u64>,
    pub hash: digest::Context,
}

/// The state behind the second listener, and what Graph's routes share with it.
pub(crate) struct Storage {
    pub base_url: String,
    /// Whether requests are kept for `Emulator::storage_requests`.
    pub recording: bool,
    pub ranges: bool,
    pub limits: Limits,
    /// The `sig` of each path handed out.
    signatures: Mutex<HashMap<String, String>>,
    pub faults: Mutex<Vec<StorageFault>>,
    pub requests: Mutex<Vec<RecordedRequest>>,
    pub counter: AtomicU64,
    pub zips: Mutex<HashMap<String, Bytes>>,
    pub blobs: Mutex<HashMap<String, (u64, u64)>>,
    pub sessions: Mutex<HashMap<String, Session>>,
    pub stored: Mutex<Vec<StoredFile>>,
    pub session_lifetime: Duration,
    /// App content's block blobs.
    pub blocks: blocks::BlockBlobs,
}

/// What bounds the storage host, as a real one is bounded.
#[derive(Debug, Clone)]
pub(crate) struct Limits {
    /// Connections served at once; more wait to be accepted.
    pub max_connections: usize,
    /// How long a connection may take to send a request's head.
    pub header_read_timeout: Duration,
    /// Requests recorded; past this, the oldest are forgotten.
    pub max_recorded: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 256,
            header_read_timeout: Duration::from_secs(10),
            max_recorded: 10_000,
        }
    }
}

impl Storage {
    pub fn new(
        base_url: String,
        recording: bool,
        ranges: bool,
        session_lifetime: Duration,
        limits: Limits,
    ) -> Storage {
        Storage {
            base_url,
            recording,
            ranges,
            limits,
            signatures: Mutex::new(HashMap::new()),
            faults: Mutex::new(Vec::new()),
            requests: Mutex::new(Vec::new()),
            counter: AtomicU64::new(0),
            zips: Mutex::new(HashMap::new()),
            blobs: Mutex::new(HashMap::new()),
            sessions: Mutex::new(HashMap::new()),
            stored: Mutex::new(Vec::new()),
            session_lifetime,
            blocks: blocks::BlockBlobs::new(),
        }
    }

    fn take_fault(&self, matches: impl Fn(&StorageFault) -> bool) -> Option<StorageFault> {
        let mut faults = lock(&self.faults);
        let index = faults.iter().position(matches)?;
        Some(faults.remove(index))
    }

    /// A new upload session for `name`; its `uploadUrl` and expiry.
    pub fn create_session(&self, name: &str) -> (String, time::OffsetDateTime) {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let expires = time::OffsetDateTime::now_utc() + self.session_lifetime;
        lock(&self.sessions).insert(
            id.clone(),
            Session {
                name: name.to_owned(),
                expires,
                received: 0,
                total: None,
                hash: digest::Context::new(&digest::SHA256),
            },
        );
        (self.signed_url(&format!("/upload/{id}")), expires)
    }

    /// The URL of `path` (from `/`) with a signature of its own, as a
    /// storage host hands out: `?sv=2024&sig=...`. A path signed before
    /// keeps its signature.
    pub fn signed_url(&self, path: &str) -> String {
        let signature = lock(&self.signatures)
            .entry(path.to_owned())
            .or_insert_with(|| uuid::Uuid::new_v4().simple().to_string())
            .clone();
        format!("{}{path}?sv=2024&sig={signature}", self.base_url)
    }

    /// Whether a request names the `sig` its path was handed out with; a
    /// path never handed out is left to its route (a `404`).
    fn signature_holds(&self, uri: &http::Uri) -> bool {
        let Some(expected) = lock(&self.signatures).get(uri.path()).cloned() else {
            return true;
        };
        let given = uri.query().and_then(|query| {
            query
                .split('&')
                .filter_map(|pair| pair.split_once('='))
                .find(|(name, _)| *name == "sig")
                .map(|(_, value)| value.to_owned())
        });
        given.as_deref() == Some(expected.as_str())
    }

    fn record(&self, request: RecordedRequest) {
        let mut requests = lock(&self.requests);
        if self.limits.max_recorded == 0 {
            return;
        }
        if requests.len() >= self.limits.max_recorded {
            let excess = requests.len() + 1 - self.limits.max_recorded;
            requests.drain(..excess);
        }
        requests.push(request);
    }
}
