//! Which calls travel together: one API version a request, at most 20 calls,
//! a call always with the calls it depends on; and what a call whose
//! dependency failed is told.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use http::StatusCode;

use super::{Ended, InFlight, MAX_BATCH_SIZE};
use crate::endpoint::ApiVersion;
use crate::error::Error;
use crate::response::RawResponse;

/// Whether call `index` depends, directly or through others, on a call in `retry`.
pub(super) fn depends_on_any(
    index: usize,
    calls: &HashMap<usize, InFlight>,
    retry: &HashMap<usize, (Duration, StatusCode)>,
) -> bool {
    let mut stack = vec![index];
    let mut seen = Vec::new();
    while let Some(current) = stack.pop() {
        if seen.contains(&current) {
            continue;
        }
        seen.push(current);
        if let Some(call) = calls.get(&current) {
            for &dependency in &call.depends_on {
                if retry.contains_key(&dependency) {
                    return true;
                }
                stack.push(dependency);
            }
        }
    }
    false
}

/// The error of a call answered 424: it names the dependency that failed.
pub(super) fn failed_dependency_error(
    call: &InFlight,
    calls: &HashMap<usize, InFlight>,
    ended: &HashMap<usize, Ended>,
    names: &HashMap<usize, &'static str>,
) -> Option<Result<RawResponse, Error>> {
    call.depends_on.iter().find_map(|&dependency| {
        let status = match ended.get(&dependency) {
            Some(Ended::Failed(status)) => *status,
            // A dependency still in flight failed too (424 along a chain).
            None if calls.contains_key(&dependency) => Some(StatusCode::FAILED_DEPENDENCY),
            _ => return None,
        };
        Some(Err(Error::FailedDependency {
            endpoint: call.endpoint.name(),
            dependency: names
                .get(&dependency)
                .copied()
                .unwrap_or("a call of this batch"),
            dependency_id: dependency.to_string(),
            dependency_status: status,
        }))
    })
}

/// Splits the calls into `$batch` requests: one API version each, at most 20
/// calls, and a call always with the calls it depends on. Calls that cannot
/// travel are refused with the reason.
pub(super) fn plan(
    calls: &HashMap<usize, InFlight>,
    ended: &HashMap<usize, Ended>,
    names: &HashMap<usize, &'static str>,
) -> (Vec<Vec<usize>>, Vec<(usize, Error)>) {
    let mut indices: Vec<usize> = calls.keys().copied().collect();
    indices.sort_unstable();
    let mut refused = Vec::new();
    // Groups of calls linked by dependencies (union-find over slot indices).
    let mut parent: HashMap<usize, usize> = indices.iter().map(|&i| (i, i)).collect();
    fn root(parent: &mut HashMap<usize, usize>, mut i: usize) -> usize {
        while parent[&i] != i {
            let up = parent[&parent[&i]];
            parent.insert(i, up);
            i = up;
        }
        i
    }
    for &index in &indices {
        for &dependency in &calls[&index].depends_on {
            if calls.contains_key(&dependency) {
                let (a, b) = (root(&mut parent, index), root(&mut parent, dependency));
                parent.insert(a.max(b), a.min(b));
            } else if let Some(Ended::Failed(status)) = ended.get(&dependency)
                && !refused.iter().any(|(i, _)| *i == index)
            {
                refused.push((
                    index,
                    Error::FailedDependency {
                        endpoint: calls[&index].endpoint.name(),
                        dependency: names
                            .get(&dependency)
                            .copied()
                            .unwrap_or("a call of this batch"),
                        dependency_id: dependency.to_string(),
                        dependency_status: *status,
                    },
                ));
            }
        }
    }
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for &index in &indices {
        if refused.iter().any(|(i, _)| *i == index) {
            continue;
        }
        groups
            .entry(root(&mut parent, index))
            .or_default()
            .push(index);
    }
    let mut chunks: Vec<(ApiVersion, Vec<usize>)> = Vec::new();
    for group in groups.into_values() {
        let version = calls[&group[0]].version;
        let refuse_group = |reason: &str, refused: &mut Vec<(usize, Error)>| {
            for &index in &group {
                refused.push((
                    index,
                    Error::InvalidRequest {
                        endpoint: calls[&index].endpoint.name(),
                        reason: reason.to_owned(),
                    },
                ));
            }
        };
        if group.iter().any(|i| calls[i].version != version) {
            refuse_group(
                "calls linked by `after` must use the same API version: they travel in one $batch request",
                &mut refused,
            );
            continue;
        }
        if group.len() > MAX_BATCH_SIZE {
            refuse_group(
                "more than 20 calls are linked by `after`; they must travel in one $batch request, which holds 20",
                &mut refused,
            );
            continue;
        }
        match chunks
            .iter_mut()
            .find(|(v, chunk)| *v == version && chunk.len() + group.len() <= MAX_BATCH_SIZE)
        {
            Some((_, chunk)) => chunk.extend(group),
            None => chunks.push((version, group)),
        }
    }
    (chunks.into_iter().map(|(_, c)| c).collect(), refused)
}
