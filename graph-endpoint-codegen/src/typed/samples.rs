//! Samples for tests: calls of a share of the endpoints with made-up
//! arguments, and the CRUD calls a generic stand-in serves.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::Surface;
use super::catalog::collection_pattern;
use super::endpoints::Shape;
use super::names::HEADER;

impl Surface<'_> {
    /// Calls of every `every`th endpoint with made-up arguments, and a reply
    /// each result decodes from.
    pub(super) fn samples(&self, every: usize) -> String {
        let mut out = String::from(HEADER);
        out.push_str(
            "//! Calls of a sample of the endpoints (one in ten) with made-up arguments\n\
             //! (`v0`, `v1`, ... in the path; empty models as bodies), for tests: the\n\
             //! endpoint, the path expected on the wire after the version, and the call's\n\
             //! result with the value dropped; and a reply each result decodes from.\n\n\
             #[allow(unused_imports)]\nuse crate::*;\n\n",
        );
        let sampled: Vec<usize> = (0..self.declared.len()).step_by(every.max(1)).collect();
        let _ = writeln!(
            out,
            "/// How many endpoints are sampled.\npub const COUNT: usize = {};\n",
            sampled.len()
        );
        out.push_str("/// A reply the result of sample `n` decodes from, for a success status other than 204.\npub fn reply(n: usize) -> &'static str {\n    match n {\n");
        let mut calls = String::new();
        for (n, &i) in sampled.iter().enumerate() {
            let d = &self.declared[i];
            let (args, shape) = self.signature(i);
            let values: Vec<String> = args
                .iter()
                .enumerate()
                .map(|(k, a)| {
                    let ty = a.split_once(": ").map_or("", |(_, t)| t);
                    sample_value(ty, k)
                })
                .collect();
            let mut wire = d.template.clone();
            for (k, p) in d.placeholders.iter().enumerate() {
                wire = wire.replace(&format!("<{p}>"), &format!("v{k}"));
            }
            let call = format!(
                "<::graph_endpoint::GraphClient as {t}>::{m}(graph{})",
                values.iter().map(|v| format!(", {v}")).collect::<String>(),
                t = d.trait_path(),
                m = d.method_name
            );
            let (reply, call) = match &shape {
                Shape::Paged(_) => (
                    "{\"value\":[]}",
                    format!("{call}.first_page().await.map(drop)"),
                ),
                Shape::Result(t) => (sample_reply(t), format!("{call}.await.map(drop)")),
            };
            let _ = writeln!(out, "        {n} => {reply:?},");
            let _ = writeln!(
                calls,
                "        {n} => (<::graph_endpoint::GraphClient as {t}>::{c}, {wire:?}, {call}),",
                t = d.trait_path(),
                c = d.method_name.to_uppercase(),
            );
        }
        out.push_str("        _ => \"{}\",\n    }\n}\n\n");
        out.push_str(
            "/// Calls sample `n` (0-based); `None` past the last.\n\
             pub async fn call(graph: &::graph_endpoint::GraphClient, n: usize) -> \
             (&'static ::graph_endpoint::Endpoint, &'static str, ::core::result::Result<(), ::graph_endpoint::Error>) {\n    match n {\n",
        );
        out.push_str(&calls);
        out.push_str(
            "        _ => (&NO_SAMPLE, \"\", Ok(())),\n    }\n}\n\n\
             static NO_SAMPLE: ::graph_endpoint::Endpoint = ",
        );
        // The endpoint answered past the last sample: the first one declared.
        let first = &self.declared[0];
        let _ = writeln!(
            out,
            "*<::graph_endpoint::GraphClient as {}>::{};",
            first.trait_name,
            first.method_name.to_uppercase()
        );
        out.push_str(&self.served(3));
        out
    }

    /// Calls of the CRUD endpoints whose collection a generic stand-in serves
    /// (every `every`th), each returning what its typed result decoded as.
    pub(super) fn served(&self, every: usize) -> String {
        let sets: BTreeSet<String> = self.entity_set_list().into_iter().map(|(w, _)| w).collect();
        let mut cases = Vec::new();
        for (i, d) in self.declared.iter().enumerate() {
            let kind = d.spec.kind.as_str();
            if !matches!(kind, "list" | "get" | "create" | "update" | "delete") {
                continue;
            }
            let Some(r) = &self.resolved[i] else { continue };
            if r.operation.is_some() || r.ty.is_none() {
                continue;
            }
            let item = matches!(kind, "get" | "update" | "delete");
            if item == r.collection {
                continue;
            }
            let Some(pattern) = collection_pattern(&d.template, r.collection) else {
                continue;
            };
            if !sets.contains(&pattern) {
                continue;
            }
            let (_, shape) = self.signature(i);
            if let Shape::Result(t) = &shape
                && (t.contains("serde_json::Value") || t.contains("Collection<"))
            {
                continue;
            }
            cases.push(i);
        }
        let picked: Vec<usize> = cases.iter().copied().step_by(every.max(1)).collect();
        let mut out = String::from(
            "\n/// A call of a CRUD endpoint against a stand-in serving its collection.\n\
             #[derive(Debug, Clone, Copy)]\n\
             pub struct Served {\n    /// The endpoint.\n    pub endpoint: &'static ::graph_endpoint::Endpoint,\n    \
             /// Its area (Cargo feature).\n    pub area: &'static str,\n    /// `list`, `get`, `create`, `update` or `delete`.\n    pub kind: &'static str,\n    \
             /// The collection's path after the version, keys filled with `v0`, `v1`, ...\n    pub collection: &'static str,\n    \
             /// The key of the item an item endpoint addresses.\n    pub id: &'static str,\n    /// The type of the collection's items.\n    pub item_type: &'static str,\n}\n\n",
        );
        let _ = writeln!(
            out,
            "/// The CRUD endpoints called against a generic stand-in.\npub static SERVED: &[Served] = &["
        );
        let mut calls = String::new();
        for (n, &i) in picked.iter().enumerate() {
            let d = &self.declared[i];
            let r = self.resolved[i].as_ref();
            let ty = r.and_then(|r| r.ty.clone()).unwrap_or_default();
            let mut wire = d.template.clone();
            for (k, p) in d.placeholders.iter().enumerate() {
                wire = wire.replace(&format!("<{p}>"), &format!("v{k}"));
            }
            let kind = d.spec.kind.as_str();
            let (collection, id) = if matches!(kind, "list" | "create") {
                (wire.trim_start_matches('/').to_owned(), String::new())
            } else {
                let (c, id) = wire.rsplit_once('/').unwrap_or((&wire, ""));
                (c.trim_start_matches('/').to_owned(), id.to_owned())
            };
            let _ = writeln!(
                out,
                "    Served {{ endpoint: <::graph_endpoint::GraphClient as {t}>::{c}, area: {a:?}, kind: {kind:?}, collection: {collection:?}, id: {id:?}, item_type: {ty:?} }},",
                t = d.trait_path(),
                c = d.method_name.to_uppercase(),
                a = (self.layout.area_of)(&d.spec.path),
            );
            let (args, shape) = self.signature(i);
            let values: Vec<String> = args
                .iter()
                .enumerate()
                .map(|(k, a)| {
                    let t = a.split_once(": ").map_or("", |(_, t)| t);
                    if a.starts_with("#[body]") {
                        "&body".to_owned()
                    } else {
                        sample_value(t, k)
                    }
                })
                .collect();
            let call = format!(
                "<::graph_endpoint::GraphClient as {t}>::{m}(graph{})",
                values.iter().map(|v| format!(", {v}")).collect::<String>(),
                t = d.trait_path(),
                m = d.method_name
            );
            let body_ty = args
                .iter()
                .find(|a| a.starts_with("#[body]"))
                .and_then(|a| a.split_once(": "))
                .map(|(_, t)| t.trim_start_matches('&').to_owned());
            let prepare = match body_ty {
                Some(t) => format!("let body: {t} = crate::support::Model::from_object(body); "),
                None => "let _ = body; ".to_owned(),
            };
            let run = match (&shape, kind) {
                (Shape::Paged(_), _) => format!(
                    "let mut items = {call}.top(2).items(); let mut out = Vec::new(); while let Some(item) = items.try_next().await? {{ out.push((crate::support::Model::decoded_as(&item), crate::support::Model::to_value(&item))); }} Ok(out)"
                ),
                (Shape::Result(t), _) if t == "()" => format!("{call}.await?; Ok(Vec::new())"),
                (Shape::Result(t), _) if t.starts_with("::core::option::Option<") => format!(
                    "Ok({call}.await?.iter().map(|one| (crate::support::Model::decoded_as(one), crate::support::Model::to_value(one))).collect())"
                ),
                _ => format!(
                    "let one = {call}.await?; Ok(vec![(crate::support::Model::decoded_as(&one), crate::support::Model::to_value(&one))])"
                ),
            };
            let _ = writeln!(calls, "        {n} => {{ {prepare}{run} }}");
        }
        out.push_str("];\n\n");
        out.push_str(
            "/// Calls served endpoint `n` with `body` (for a create or update), and\n\
             /// returns the items of its typed result: the type each decoded as, and the
             /// item encoded again (none for a delete).\n\
             pub async fn call_served(graph: &::graph_endpoint::GraphClient, n: usize, body: crate::support::Object) \
             -> ::core::result::Result<Vec<(Option<&'static str>, ::serde_json::Value)>, ::graph_endpoint::Error> {\n    match n {\n",
        );
        out.push_str(&calls);
        out.push_str("        _ => { let _ = (graph, body); Ok(Vec::new()) }\n    }\n}\n");
        out
    }
}

fn sample_value(ty: &str, k: usize) -> String {
    if ty.starts_with("::core::option::Option<") {
        "None".to_owned()
    } else if ty.starts_with("&[") {
        "&[]".to_owned()
    } else if ty == "&str" {
        format!("\"v{k}\"")
    } else if matches!(ty, "i32" | "i64" | "f64" | "bool") {
        "Default::default()".to_owned()
    } else if ty == "&::serde_json::Value" {
        "&::serde_json::Value::Null".to_owned()
    } else if ty.starts_with('&') {
        "&crate::support::Model::from_object(Default::default())".to_owned()
    } else {
        format!("<{ty} as crate::support::Member>::parse(\"x\")")
    }
}

fn sample_reply(ty: &str) -> &'static str {
    let inner = ty
        .strip_prefix("::core::option::Option<")
        .and_then(|t| t.strip_suffix('>'))
        .unwrap_or(ty);
    if inner == "()" {
        ""
    } else if inner.starts_with("::graph_endpoint::Collection<") {
        "{\"value\":[]}"
    } else if let Some(r) = inner.strip_prefix("crate::support::Returned<") {
        match r.trim_end_matches('>') {
            "bool" => "{\"value\":false}",
            "i32" | "i64" | "f64" => "{\"value\":0}",
            _ => "{\"value\":\"v\"}",
        }
    } else {
        "{}"
    }
}
