//! The router of Graph requests: checks the bearer token, then hands the
//! request to report export jobs and report functions, drive uploads, mobile
//! apps and their content, the managed devices' remote action, the entity collections served generically, or the
//! seed's resource (which exists under `beta` only).

use bytes::Bytes;
use percent_encoding::percent_decode_str;

use crate::graph::{app_content, devices, entities, reports, seed, uploads};
use crate::identity::check_token;
use crate::reply::{Failure, ReplyBody, not_found_segment};
use crate::state::Shared;

/// Answers a Graph request (any path but the identity platform's and `$batch`).
pub(crate) fn route(
    shared: &Shared,
    parts: &http::request::Parts,
    body: &Bytes,
) -> Result<hyper::Response<ReplyBody>, Failure> {
    check_token(&shared.identity, parts)?;
    let graph = &shared.graph;
    if let Some(answer) = reports::answer(graph, parts, body) {
        return answer;
    }
    // The path's segments, percent-decoded once for every route below.
    let segments: Vec<String> = parts
        .uri
        .path()
        .trim_start_matches('/')
        .split('/')
        .map(|s| percent_decode_str(s).decode_utf8_lossy().into_owned())
        .collect();
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    if let Some(answer) = uploads::answer(graph, parts, body, &segments) {
        return answer;
    }
    if let Some(answer) = app_content::answer(graph, parts, body, &segments) {
        return answer;
    }
    let (version, rest) = segments
        .split_first()
        .ok_or_else(|| not_found_segment(""))?;
    if matches!(*version, "beta" | "v1.0")
        && let Some(answer) = devices::answer(graph, parts, rest)
    {
        return answer;
    }
    // Entity collections served generically (the seed's resource keeps its own routes).
    if matches!(*version, "beta" | "v1.0")
        && rest.get(1) != Some(&seed::COLLECTION)
        && let Some(answer) = entities::route(graph, parts, body, version, rest)
    {
        return answer;
    }
    match *version {
        "beta" => {}
        "v1.0" => {
            let segment = rest.get(1).or(rest.first()).copied().unwrap_or_default();
            return Err(not_found_segment(segment));
        }
        other => {
            return Err(Failure::bad_request(
                "BadRequest",
                format!("Invalid version: '{other}'. Use 'v1.0' or 'beta'."),
            ));
        }
    }
    seed::route(graph, parts, body, rest)
}
