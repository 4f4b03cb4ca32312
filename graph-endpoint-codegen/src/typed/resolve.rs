//! Path resolution: an endpoint's path, segment by segment, against the
//! metadata (entity sets and singletons, properties, type casts, bound
//! actions and functions).

use crate::csdl::{Csdl, Operation};

/// What a path resolves to.
#[derive(Debug, Clone, Default)]
pub struct Resolved {
    /// The type reached (the element type for a collection), qualified.
    pub ty: Option<String>,
    /// Whether it is a collection.
    pub collection: bool,
    /// The bound operation the path ends in.
    pub operation: Option<Operation>,
}

pub(super) fn split_collection(ty: &str) -> (&str, bool) {
    match ty
        .strip_prefix("Collection(")
        .and_then(|t| t.strip_suffix(')'))
    {
        Some(inner) => (inner, true),
        None => (ty, false),
    }
}

/// Resolves a path segment by segment; `None` where a segment is not in the metadata.
#[must_use]
pub fn resolve(csdl: &Csdl, path: &str) -> Option<Resolved> {
    let mut current: Option<(String, bool)> = None;
    let mut operation = None;
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        if segment.starts_with('{') {
            if let Some((_, collection)) = &mut current {
                *collection = false;
            }
            continue;
        }
        if segment.starts_with('$') {
            return None;
        }
        let name = segment.split('(').next().unwrap_or(segment);
        let keyed = segment.contains('(') && !segment.ends_with("()");
        operation = None;
        if let Some(cast) = name.strip_prefix("microsoft.graph.") {
            if csdl.types.contains_key(name) {
                let (_, collection) = current.clone()?;
                current = Some((name.to_owned(), collection));
                continue;
            }
            let _ = cast;
        }
        let name = name.strip_prefix("microsoft.graph.").unwrap_or(name);
        match &current {
            None => {
                let (ty, collection) = csdl.roots.get(name)?;
                current = Some((ty.clone(), *collection));
            }
            Some((ty, collection)) => {
                if let Some(p) = csdl.find_property(ty, name) {
                    let (inner, is_collection) = split_collection(&p.ty);
                    current = Some((inner.to_owned(), is_collection && !keyed));
                } else {
                    let op = find_operation(csdl, ty, *collection, name, segment)?;
                    current = op.returns.as_deref().map(|r| {
                        let (inner, c) = split_collection(r);
                        (inner.to_owned(), c)
                    });
                    operation = Some(op);
                    if current.is_none() {
                        current = Some((String::new(), false));
                    }
                }
            }
        }
    }
    let (ty, collection) = current?;
    Some(Resolved {
        ty: (!ty.is_empty()).then_some(ty),
        collection,
        operation,
    })
}

/// `getReport(name='{name}',top={top})` names `name` and `top`.
fn segment_params(segment: &str) -> Vec<&str> {
    segment
        .split_once('(')
        .map(|(_, rest)| rest.trim_end_matches(')'))
        .into_iter()
        .flat_map(|inner| inner.split(','))
        .filter_map(|p| p.split_once('=').map(|(n, _)| n.trim()))
        .collect()
}

fn find_operation(
    csdl: &Csdl,
    ty: &str,
    collection: bool,
    name: &str,
    segment: &str,
) -> Option<Operation> {
    let candidates = csdl.operations.get(name)?;
    let lineage: Vec<&str> = csdl.lineage(ty).iter().map(|t| t.qname.as_str()).collect();
    // Overloads: the binding nearest the type, then the parameters named in the
    // segment, then the most parameters (the documented form of a function
    // whose parameters the path leaves out).
    let named: Vec<&str> = segment_params(segment);
    let rank = |op: &Operation| {
        let (inner, c) = split_collection(&op.binding);
        let depth = lineage.iter().position(|l| *l == inner)?;
        let unmatched = named
            .iter()
            .filter(|n| !op.params.iter().any(|p| p.name == **n))
            .count();
        Some((
            c != collection,
            depth,
            unmatched,
            std::cmp::Reverse(op.params.len()),
        ))
    };
    candidates
        .iter()
        .filter_map(|op| rank(op).map(|r| (r, op)))
        .min_by_key(|(r, _)| *r)
        .map(|(_, op)| op.clone())
}
