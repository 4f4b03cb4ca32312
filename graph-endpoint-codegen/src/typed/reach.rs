//! Reachability: which types of the metadata the endpoints reach (their
//! bodies, results and parameters, with base types, derived types and the
//! types of their properties), and the Cargo features of the areas that
//! reach each, which gate its generated code.

use std::collections::BTreeSet;

use super::resolve::split_collection;
use super::{ALWAYS, ENTITY, Surface, is_primitive};

impl Surface<'_> {
    pub(super) fn reach(&mut self, qname: &str, area: &'static str) {
        let mut stack = vec![qname.to_owned()];
        while let Some(q) = stack.pop() {
            if is_primitive(&q) {
                continue;
            }
            if !(self.csdl.types.contains_key(&q) || self.csdl.enums.contains_key(&q)) {
                continue;
            }
            if !self.reached.entry(q.clone()).or_default().insert(area) {
                continue;
            }
            let Some(t) = self.csdl.types.get(&q) else {
                continue;
            };
            stack.extend(t.base.clone());
            if q != ENTITY {
                stack.extend(self.children.get(&q).cloned().unwrap_or_default());
            }
            for p in &t.properties {
                stack.push(split_collection(&p.ty).0.to_owned());
            }
        }
    }

    pub(super) fn has_children(&self, qname: &str) -> bool {
        qname != ENTITY
            && self
                .children
                .get(qname)
                .is_some_and(|c| c.iter().any(|c| self.reached.contains_key(c)))
    }

    /// Every reached descendant of a type, in name order.
    pub(super) fn descendants(&self, qname: &str) -> Vec<String> {
        let mut out = BTreeSet::new();
        let mut stack = vec![qname.to_owned()];
        while let Some(q) = stack.pop() {
            for c in self.children.get(&q).into_iter().flatten() {
                if self.reached.contains_key(c) && out.insert(c.clone()) {
                    stack.push(c.clone());
                }
            }
        }
        out.into_iter().collect()
    }

    pub(super) fn cfg(&self, qname: &str) -> String {
        let mut areas: Vec<&str> = self
            .reached
            .get(qname)
            .into_iter()
            .flatten()
            .copied()
            .collect();
        if areas.is_empty() || areas.contains(&ALWAYS) {
            return String::new();
        }
        if areas.len() == self.layout.areas.len() {
            // In the order of the layout, so every type reached by all areas reads the same.
            areas = self.layout.areas.iter().map(|(a, _)| *a).collect();
        }
        let list: Vec<String> = areas.iter().map(|a| format!("feature = {a:?}")).collect();
        format!("#[cfg(any({}))]\n", list.join(", "))
    }
}
