//! The storage host's side of app content: Azure Blob Storage's block blobs
//! at the storage URIs Graph's side hands out (`/content/{blob}?…&sig=…`).
//! The SAS signature and its expiry (`se`) are checked on every request (an
//! unknown or altered one, or one past its expiry: `403
//! AuthenticationFailed`); `Put Block` (`comp=block&blockid=…`, ids base64,
//! at most 64 bytes decoded, all of one length in a blob) spools each block
//! to a file as it arrives; `Put Block List` (`comp=blocklist`, `Latest`,
//! `Committed` or `Uncommitted` ids) commits them in order, and an unknown
//! id is `400 InvalidBlockList`. Errors come in Azure's XML shape with
//! `x-ms-error-code`. Nothing is held in memory but a block list.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use http::Method;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use time::OffsetDateTime;
use tokio::io::AsyncWriteExt;

use crate::lock::lock;
use crate::reply::{Dropped, rfc3339};

/// The API version the storage host answers with.
const VERSION: &str = "2024-08-04";
/// The largest block taken (Azure's limit is 4000 MiB; the stand-in's is lower).
const MAX_BLOCK_BYTES: u64 = 256 * 1024 * 1024;
/// The largest block list read.
const MAX_BLOCK_LIST_BYTES: usize = 4 * 1024 * 1024;
/// Azure's limit on uncommitted blocks of one blob.
const MAX_UNCOMMITTED: usize = 100_000;

/// A fault of the storage host's blocks, used once.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BlockFault {
    /// The next `Put Block` of this block id (base64, as sent) is answered
    /// `500 InternalError`, its body read and dropped.
    Reject {
        /// The block id, as the request carries it.
        block_id: String,
    },
    /// The next `Put Block` of this block id is read halfway, then the
    /// connection is closed without an answer.
    Drop {
        /// The block id, as the request carries it.
        block_id: String,
    },
}

/// The block blobs of app content, their blocks spooled to files, the SAS
/// signatures handed out for them, and the faults tests inject.
pub(crate) struct BlockBlobs {
    pub state: Mutex<BlobsState>,
    /// Where blocks are spooled; `None` when no temporary directory could
    /// be made (block uploads are then refused).
    spool: Option<tempfile::TempDir>,
    block_files: AtomicU64,
    pub faults: Mutex<Vec<BlockFault>>,
}

/// The blobs, by name, and every signature handed out for them, by `sig`.
#[derive(Default)]
pub(crate) struct BlobsState {
    pub blobs: HashMap<String, Blob>,
    pub signatures: HashMap<String, Signature>,
}

/// A storage URI's signature: which blob, until when.
pub(crate) struct Signature {
    pub blob: String,
    pub expires: OffsetDateTime,
    /// `se` as the URL carries it.
    pub se: String,
}

impl BlockBlobs {
    pub(crate) fn new() -> BlockBlobs {
        BlockBlobs {
            state: Mutex::new(BlobsState::default()),
            spool: tempfile::Builder::new()
                .prefix("graph-endpoint-emulator-blobs")
                .tempdir()
                .ok(),
            block_files: AtomicU64::new(0),
            faults: Mutex::new(Vec::new()),
        }
    }

    /// A fresh path for a block's bytes.
    fn block_path(&self) -> Option<PathBuf> {
        let n = self.block_files.fetch_add(1, Ordering::SeqCst);
        self.spool
            .as_ref()
            .map(|dir| dir.path().join(format!("block-{n}")))
    }

    /// Makes an empty blob of that name.
    pub(crate) fn create(&self, blob: &str) {
        lock(&self.state)
            .blobs
            .insert(blob.to_owned(), Blob::default());
    }

    /// A storage URI for `blob` on the host at `base_url`, signed until
    /// `expires` (whole seconds, as a SAS's `se` is written).
    pub(crate) fn sign(
        &self,
        base_url: &str,
        blob: &str,
        expires: OffsetDateTime,
    ) -> (String, OffsetDateTime) {
        let expires = expires.replace_nanosecond(0).unwrap_or(expires);
        let se = rfc3339(expires);
        let sig = uuid::Uuid::new_v4().simple().to_string();
        let url = format!(
            "{base_url}/content/{blob}?sv={VERSION}&sr=b&sp=rcw&se={}&sig={sig}",
            se.replace(':', "%3A")
        );
        lock(&self.state).signatures.insert(
            sig,
            Signature {
                blob: blob.to_owned(),
                expires,
                se,
            },
        );
        (url, expires)
    }

    /// The files of the blocks committed to `blob`, in order; `None`
    /// before its block list.
    pub(crate) fn committed_paths(&self, blob: &str) -> Option<Vec<PathBuf>> {
        lock(&self.state).blobs.get(blob)?.committed_paths()
    }

    /// Makes every signature handed out so far expired.
    pub(crate) fn expire_all(&self) {
        let past = OffsetDateTime::now_utc() - time::Duration::seconds(1);
        for signature in lock(&self.state).signatures.values_mut() {
            signature.expires = past;
        }
    }
}

/// A blob's blocks: those staged (by decoded id), and the committed list.
#[derive(Debug, Default)]
pub(crate) struct Blob {
    staged: HashMap<Vec<u8>, Block>,
    committed: Option<Vec<(Vec<u8>, Block)>>,
}

#[derive(Debug, Clone)]
pub(crate) struct Block {
    path: PathBuf,
}

impl Blob {
    /// The committed blocks' files, in order; `None` before a block list.
    pub(crate) fn committed_paths(&self) -> Option<Vec<PathBuf>> {
        self.committed
            .as_ref()
            .map(|blocks| blocks.iter().map(|(_, b)| b.path.clone()).collect())
    }

    /// The id length of the blob's blocks, when it has any.
    fn id_len(&self) -> Option<usize> {
        self.staged
            .keys()
            .next()
            .map(Vec::len)
            .or_else(|| self.committed.as_ref()?.first().map(|(id, _)| id.len()))
    }
}

/// An answer of the storage host for app content.
pub(crate) struct BlobReply {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Bytes,
}

impl BlobReply {
    fn created() -> BlobReply {
        BlobReply {
            status: 201,
            headers: common_headers(),
            body: Bytes::new(),
        }
    }
}

fn common_headers() -> Vec<(&'static str, String)> {
    vec![
        ("x-ms-request-id", uuid::Uuid::new_v4().to_string()),
        ("x-ms-version", VERSION.to_owned()),
    ]
}

/// An error in Azure Storage's shape: the code in `x-ms-error-code` and in
/// an XML body (with its byte-order mark, as Azure sends it).
fn azure_error(status: u16, code: &'static str, message: &str) -> BlobReply {
    let request_id = uuid::Uuid::new_v4().to_string();
    let now = rfc3339(OffsetDateTime::now_utc());
    let body = format!(
        "\u{feff}<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>{code}</Code><Message>{message}\nRequestId:{request_id}\nTime:{now}</Message></Error>"
    );
    BlobReply {
        status,
        headers: vec![
            ("x-ms-request-id", request_id),
            ("x-ms-version", VERSION.to_owned()),
            ("x-ms-error-code", code.to_owned()),
            ("content-type", "application/xml".to_owned()),
        ],
        body: Bytes::from(body),
    }
}

fn query_pairs(uri: &http::Uri) -> Vec<(String, String)> {
    uri.query()
        .unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |text: &str| {
                percent_encoding::percent_decode_str(&text.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (decode(name), decode(value))
        })
        .collect()
}

/// Answers a request to `/content/{blob}`.
pub(crate) async fn handle(
    blocks: &BlockBlobs,
    parts: &http::request::Parts,
    blob: &str,
    body: Incoming,
) -> Result<BlobReply, Dropped> {
    let query = query_pairs(&parts.uri);
    let param = |name: &str| {
        query
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    if let Err(refusal) = check_signature(blocks, blob, param("sig"), param("se")) {
        return Ok(refusal);
    }
    match (&parts.method, param("comp")) {
        (&Method::PUT, Some("block")) => {
            put_block(blocks, parts, blob, param("blockid"), body).await
        }
        (&Method::PUT, Some("blocklist")) => Ok(put_block_list(blocks, blob, body).await),
        (&Method::PUT, _) => Ok(azure_error(
            400,
            "InvalidQueryParameterValue",
            "Value for one of the query parameters specified in the request URI is invalid: comp must be block or blocklist.",
        )),
        _ => Ok(azure_error(
            405,
            "UnsupportedHttpVerb",
            "The resource doesn't support the specified HTTP verb.",
        )),
    }
}

/// The `sig` must be one handed out for this blob, with the `se` it was
/// handed out with, and not past it.
fn check_signature(
    blocks: &BlockBlobs,
    blob: &str,
    sig: Option<&str>,
    se: Option<&str>,
) -> Result<(), BlobReply> {
    let state = lock(&blocks.state);
    let signature = sig.and_then(|sig| state.signatures.get(sig));
    let Some(signature) = signature.filter(|s| s.blob == blob && Some(s.se.as_str()) == se) else {
        return Err(azure_error(
            403,
            "AuthenticationFailed",
            "Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.",
        ));
    };
    let now = OffsetDateTime::now_utc();
    if signature.expires <= now {
        return Err(azure_error(
            403,
            "AuthenticationFailed",
            &format!(
                "Signature not valid in the specified time frame: Expiry [{}] - Current [{}]",
                signature.se,
                rfc3339(now)
            ),
        ));
    }
    if !state.blobs.contains_key(blob) {
        return Err(azure_error(
            404,
            "ContainerNotFound",
            "The specified container does not exist.",
        ));
    }
    Ok(())
}

async fn put_block(
    blocks: &BlockBlobs,
    parts: &http::request::Parts,
    blob: &str,
    block_id: Option<&str>,
    mut body: Incoming,
) -> Result<BlobReply, Dropped> {
    let Some(given_id) = block_id else {
        return Ok(azure_error(
            400,
            "MissingRequiredQueryParameter",
            "A query parameter that's mandatory for this request is not specified: blockid.",
        ));
    };
    let id = match BASE64.decode(given_id) {
        Ok(id) if !id.is_empty() && id.len() <= 64 => id,
        _ => {
            return Ok(azure_error(
                400,
                "InvalidBlockId",
                "The specified block ID is invalid. The block ID must be Base64-encoded.",
            ));
        }
    };
    let Some(length) = parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
    else {
        return Ok(azure_error(
            411,
            "MissingContentLengthHeader",
            "The Content-Length header was not specified.",
        ));
    };
    if length > MAX_BLOCK_BYTES {
        return Ok(azure_error(
            413,
            "RequestBodyTooLarge",
            "The request body is too large and exceeds the maximum permissible limit.",
        ));
    }
    {
        let state = lock(&blocks.state);
        let Some(existing) = state.blobs.get(blob) else {
            return Ok(azure_error(
                404,
                "BlobNotFound",
                "The specified blob does not exist.",
            ));
        };
        if existing.id_len().is_some_and(|len| len != id.len()) {
            return Ok(azure_error(
                400,
                "InvalidBlobOrBlock",
                "The specified blob or block content is invalid: all block ids of a blob must have the same length.",
            ));
        }
        if existing.staged.len() >= MAX_UNCOMMITTED && !existing.staged.contains_key(&id) {
            return Ok(azure_error(
                409,
                "BlockCountExceedsLimit",
                "The uncommitted block count cannot exceed the maximum limit of 100,000 blocks.",
            ));
        }
    }
    let fault = {
        let mut faults = lock(&blocks.faults);
        let at = faults.iter().position(|f| match f {
            BlockFault::Reject { block_id } | BlockFault::Drop { block_id } => block_id == given_id,
        });
        at.map(|at| faults.remove(at))
    };
    if let Some(BlockFault::Reject { .. }) = fault {
        while let Some(Ok(_)) = body.frame().await {}
        return Ok(azure_error(
            500,
            "InternalError",
            "The server encountered an internal error. Please retry the request.",
        ));
    }
    let drop_at = matches!(fault, Some(BlockFault::Drop { .. })).then_some(length / 2);
    let Some(path) = blocks.block_path() else {
        return Ok(azure_error(
            500,
            "InternalError",
            "The storage host has no place to keep blocks.",
        ));
    };
    let Ok(mut file) = tokio::fs::File::create(&path).await else {
        return Ok(azure_error(
            500,
            "InternalError",
            "The block could not be stored.",
        ));
    };
    let mut seen: u64 = 0;
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            let _ = tokio::fs::remove_file(&path).await;
            return Err(Dropped);
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        seen += data.len() as u64;
        if seen > length {
            let _ = tokio::fs::remove_file(&path).await;
            return Ok(azure_error(
                400,
                "InvalidInput",
                "The request body is longer than its Content-Length.",
            ));
        }
        if file.write_all(&data).await.is_err() {
            let _ = tokio::fs::remove_file(&path).await;
            return Ok(azure_error(
                500,
                "InternalError",
                "The block could not be stored.",
            ));
        }
        if drop_at.is_some_and(|at| seen >= at) {
            drop(file);
            let _ = tokio::fs::remove_file(&path).await;
            return Err(Dropped);
        }
    }
    if seen != length || file.flush().await.is_err() {
        let _ = tokio::fs::remove_file(&path).await;
        return Ok(azure_error(
            400,
            "InvalidInput",
            "The request body is shorter than its Content-Length.",
        ));
    }
    drop(file);
    let replaced = {
        let mut state = lock(&blocks.state);
        let Some(blob) = state.blobs.get_mut(blob) else {
            return Ok(azure_error(
                404,
                "BlobNotFound",
                "The specified blob does not exist.",
            ));
        };
        blob.staged.insert(id, Block { path })
    };
    if let Some(old) = replaced {
        let _ = tokio::fs::remove_file(old.path).await;
    }
    Ok(BlobReply::created())
}

async fn put_block_list(blocks: &BlockBlobs, blob: &str, body: Incoming) -> BlobReply {
    let limited = http_body_util::Limited::new(body, MAX_BLOCK_LIST_BYTES);
    let Ok(collected) = limited.collect().await else {
        return azure_error(
            413,
            "RequestBodyTooLarge",
            "The block list is larger than the limit.",
        );
    };
    let xml = collected.to_bytes();
    let text = String::from_utf8_lossy(&xml);
    let Ok(document) = roxmltree::Document::parse(text.trim_start_matches('\u{feff}')) else {
        return azure_error(
            400,
            "InvalidXmlDocument",
            "XML specified is not syntactically valid.",
        );
    };
    let root = document.root_element();
    if !root.has_tag_name("BlockList") {
        return azure_error(
            400,
            "InvalidXmlDocument",
            "XML specified is not syntactically valid: the root must be BlockList.",
        );
    }
    let mut wanted = Vec::new();
    for node in root.children().filter(roxmltree::Node::is_element) {
        let kind = node.tag_name().name();
        let Some(id) = node.text().and_then(|t| BASE64.decode(t.trim()).ok()) else {
            return azure_error(
                400,
                "InvalidBlockId",
                "The specified block ID is invalid. The block ID must be Base64-encoded.",
            );
        };
        wanted.push((kind.to_owned(), id));
    }
    let discarded = {
        let mut state = lock(&blocks.state);
        let Some(target) = state.blobs.get_mut(blob) else {
            return azure_error(404, "BlobNotFound", "The specified blob does not exist.");
        };
        let committed: HashMap<Vec<u8>, Block> =
            target.committed.iter().flatten().cloned().collect();
        let mut list = Vec::with_capacity(wanted.len());
        for (kind, id) in &wanted {
            let found = match kind.as_str() {
                "Latest" => target.staged.get(id).or_else(|| committed.get(id)),
                "Uncommitted" => target.staged.get(id),
                "Committed" => committed.get(id),
                _ => None,
            };
            let Some(block) = found else {
                return azure_error(
                    400,
                    "InvalidBlockList",
                    "The specified block list is invalid.",
                );
            };
            list.push((id.clone(), block.clone()));
        }
        // Committing discards every uncommitted block the list leaves out,
        // and every committed block it no longer names.
        let kept: std::collections::HashSet<&PathBuf> = list.iter().map(|(_, b)| &b.path).collect();
        let discarded: Vec<PathBuf> = target
            .staged
            .values()
            .chain(committed.values())
            .map(|b| b.path.clone())
            .filter(|p| !kept.contains(p))
            .collect();
        target.staged.clear();
        target.committed = Some(list);
        discarded
    };
    for path in discarded {
        let _ = tokio::fs::remove_file(path).await;
    }
    let mut reply = BlobReply::created();
    reply
        .headers
        .push(("etag", format!("\"0x{}\"", uuid::Uuid::new_v4().simple())));
    reply
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_read_decoded() {
        let uri: http::Uri = "/content/b?se=2030-01-01T00%3A00%3A00Z&sig=abc&blockid=MDAw%3D%3D"
            .parse()
            .unwrap();
        let pairs = query_pairs(&uri);
        assert!(pairs.contains(&("se".into(), "2030-01-01T00:00:00Z".into())));
        assert!(pairs.contains(&("blockid".into(), "MDAw==".into())));
    }
}
