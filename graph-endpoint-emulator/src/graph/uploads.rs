//! `POST /{version}/drives/{drive}/items/{parent}:/{name}:/createUploadSession`:
//! an upload session whose `uploadUrl` is on the storage host, which takes
//! the chunks (see `storage`); and `PUT .../{parent}:/{name}:/content`, a
//! small file stored at once.

use http::Method;
use serde_json::json;

use super::GraphState;
use crate::lock::lock;
use crate::reply::{Failure, ReplyBody, json_response};
use crate::storage::StoredFile;

/// Answers `createUploadSession` and a small file's `PUT .../content`
/// (`segments`: the path's, percent-decoded);
/// `None` for any other path.
pub(crate) fn answer(
    shared: &GraphState,
    parts: &http::request::Parts,
    body: &bytes::Bytes,
    segments: &[&str],
) -> Option<Result<hyper::Response<ReplyBody>, Failure>> {
    let [
        "beta" | "v1.0",
        "drives",
        _drive,
        "items",
        parent,
        name,
        action,
    ] = segments
    else {
        return None;
    };
    if *action == "content" && parts.method == Method::PUT {
        let name = name.strip_suffix(':')?;
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, body);
        let sha256: String = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
        lock(&shared.storage.stored).push(StoredFile {
            name: name.to_owned(),
            size: body.len() as u64,
            sha256: sha256.clone(),
        });
        return Some(Ok(json_response(
            201,
            &json!({"id": uuid::Uuid::new_v4().simple().to_string(), "name": name, "size": body.len(),
                    "file": {"hashes": {"sha256Hash": sha256.to_uppercase()}}}),
        )));
    }
    if *action != "createUploadSession" {
        return None;
    }
    let (Some(_parent), Some(name)) = (parent.strip_suffix(':'), name.strip_suffix(':')) else {
        return None;
    };
    if parts.method != Method::POST {
        return Some(Err(crate::reply::not_allowed(&parts.method, "POST")));
    }
    if name.is_empty() {
        return Some(Err(Failure::bad_request(
            "invalidRequest",
            "The file needs a name.",
        )));
    }
    let (upload_url, expires) = shared.storage.create_session(name);
    Some(Ok(json_response(
        200,
        &json!({
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#microsoft.graph.uploadSession",
            "uploadUrl": upload_url,
            "expirationDateTime": expires
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            "nextExpectedRanges": ["0-"],
        }),
    )))
}
