//! The typed surface: models from Graph's CSDL for every type the endpoints
//! reach, and endpoint declarations whose bodies and results are those models.
//!
//! Each endpoint's path is resolved segment by segment against the metadata
//! (entity sets and singletons, properties, type casts, bound actions and
//! functions); the types it reaches, with their base types, derived types and
//! property types, are generated, each behind the Cargo features of the areas
//! that reach it.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

use crate::csdl::{Csdl, Operation, Property, TypeDef};
use crate::{Declared, EndpointSpec, declare};

const ENTITY: &str = "microsoft.graph.entity";

/// An area of the surface: a Cargo feature and a module.
pub const AREAS: &[(&str, &str)] = &[
    (
        "managed_devices",
        "Managed devices, their apps, categories and malware",
    ),
    (
        "device_configurations",
        "Device configurations (every platform's profiles) and their reports",
    ),
    (
        "configuration_policies",
        "Settings catalog, templates and intents, group policy, update profiles",
    ),
    ("compliance", "Compliance policies and partners"),
    (
        "scripts",
        "PowerShell, shell, health and compliance scripts",
    ),
    ("reports", "Reports and Endpoint Analytics"),
    (
        "enrollment",
        "Enrollment: Autopilot, DEP, Android and Apple enrollment profiles",
    ),
    (
        "roles",
        "Role-based access: role definitions, assignments and scope tags",
    ),
    (
        "tenant",
        "Everything else: tenant settings, connectors, branding, Cloud PC and more",
    ),
];

/// The area of an endpoint, from the resource after `/deviceManagement`.
#[must_use]
pub fn area(path: &str) -> &'static str {
    let resource = path
        .split('/')
        .filter(|s| !s.is_empty())
        .nth(1)
        .map(|s| s.split('(').next().unwrap_or(s))
        .unwrap_or("");
    let has = |s: &str| resource.contains(s);
    if resource == "reports" || resource.starts_with("userExperienceAnalytics") {
        "reports"
    } else if has("Script") {
        "scripts"
    } else if has("ompliance") {
        "compliance"
    } else if has("anagedDevice")
        || matches!(
            resource,
            "comanagedDevices"
                | "detectedApps"
                | "deviceCategories"
                | "comanagementEligibleDevices"
                | "windowsMalwareInformation"
                | "mobileAppTroubleshootingEvents"
                | "remoteActionAudits"
        )
    {
        "managed_devices"
    } else if resource.starts_with("deviceConfiguration") {
        "device_configurations"
    } else if resource.starts_with("configuration")
        || resource.starts_with("groupPolic")
        || resource.starts_with("reusable")
        || has("UpdateProfiles")
        || matches!(
            resource,
            "intents"
                | "templates"
                | "resourceAccessProfiles"
                | "categories"
                | "settingDefinitions"
        )
    {
        "configuration_policies"
    } else if has("nrollment")
        || has("utopilot")
        || has("depOnboarding")
        || has("ImportedDevice")
        || resource == "importedDeviceIdentities"
        || resource.starts_with("androidForWork")
        || resource.starts_with("androidManagedStore")
    {
        "enrollment"
    } else if resource.starts_with("role") || resource == "resourceOperations" {
        "roles"
    } else {
        "tenant"
    }
}

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

fn split_collection(ty: &str) -> (&str, bool) {
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

/// The typed surface, resolved.
pub struct Surface<'a> {
    csdl: &'a Csdl,
    declared: Vec<Declared>,
    resolved: Vec<Option<Resolved>>,
    /// Reached types (entity, complex and enum) and the areas that reach them.
    pub reached: BTreeMap<String, BTreeSet<&'static str>>,
    children: HashMap<String, Vec<String>>,
    names: HashMap<String, String>,
}

/// Figures of a generated surface.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Figures {
    /// Endpoints whose path resolved.
    pub resolved: usize,
    /// Endpoints whose path did not.
    pub unresolved: Vec<String>,
    /// Entity types generated.
    pub entities: usize,
    /// Complex types generated.
    pub complexes: usize,
    /// Enum types generated.
    pub enums: usize,
    /// Polymorphic bases (with derived types) generated.
    pub polymorphic: usize,
    /// Properties generated.
    pub properties: usize,
}

fn is_primitive(ty: &str) -> bool {
    ty.starts_with("Edm.")
}

impl<'a> Surface<'a> {
    /// Resolves every endpoint and works out the types reached.
    #[must_use]
    pub fn new(csdl: &'a Csdl, endpoints: &[EndpointSpec]) -> Surface<'a> {
        let declared = declare(endpoints);
        let resolved: Vec<Option<Resolved>> =
            endpoints.iter().map(|e| resolve(csdl, &e.path)).collect();
        let mut children: HashMap<String, Vec<String>> = HashMap::new();
        for t in csdl.types.values() {
            if let Some(base) = &t.base {
                children
                    .entry(base.clone())
                    .or_default()
                    .push(t.qname.clone());
            }
        }
        let mut surface = Surface {
            csdl,
            declared,
            resolved,
            reached: BTreeMap::new(),
            children,
            names: HashMap::new(),
        };
        for i in 0..surface.declared.len() {
            let area = area(&surface.declared[i].spec.path);
            let mut seeds = Vec::new();
            if let Some(r) = &surface.resolved[i] {
                seeds.extend(r.ty.clone());
                if let Some(op) = &r.operation {
                    for p in &op.params {
                        seeds.push(split_collection(&p.ty).0.to_owned());
                    }
                }
            }
            for seed in seeds {
                surface.reach(&seed, area);
            }
        }
        let mut used: HashMap<String, usize> = HashMap::new();
        let keys: Vec<String> = surface.reached.keys().cloned().collect();
        for q in keys {
            let mut name = rust_type_name(&q);
            let n = used.entry(name.clone()).or_insert(0);
            *n += 1;
            if *n > 1 {
                name = format!("{name}{n}");
            }
            surface.names.insert(q, name);
        }
        surface
    }

    fn reach(&mut self, qname: &str, area: &'static str) {
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

    fn has_children(&self, qname: &str) -> bool {
        qname != ENTITY
            && self
                .children
                .get(qname)
                .is_some_and(|c| c.iter().any(|c| self.reached.contains_key(c)))
    }

    /// Every reached descendant of a type, in name order.
    fn descendants(&self, qname: &str) -> Vec<String> {
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

    fn name(&self, qname: &str) -> &str {
        self.names.get(qname).map_or("Unknown", String::as_str)
    }

    /// The Rust type of a model reference: `AnyX` for a polymorphic base.
    fn model_ref(&self, qname: &str) -> String {
        if self.has_children(qname) {
            format!("Any{}", self.name(qname))
        } else {
            self.name(qname).to_owned()
        }
    }

    fn cfg(&self, qname: &str) -> String {
        cfg_of(self.reached.get(qname).into_iter().flatten().copied())
    }

    /// Figures of the surface.
    #[must_use]
    pub fn figures(&self) -> Figures {
        let mut f = Figures::default();
        for (d, r) in self.declared.iter().zip(&self.resolved) {
            if r.is_some() {
                f.resolved += 1;
            } else {
                f.unresolved
                    .push(format!("{} {}", d.spec.method, d.spec.path));
            }
        }
        for q in self.reached.keys() {
            if let Some(t) = self.csdl.types.get(q) {
                if t.entity {
                    f.entities += 1;
                } else {
                    f.complexes += 1;
                }
                if self.has_children(q) {
                    f.polymorphic += 1;
                }
                f.properties += t.properties.len();
            } else {
                f.enums += 1;
            }
        }
        f
    }

    /// The generated files: `models.rs`, one file per area, `entity_sets.rs` and `mod.rs`.
    #[must_use]
    pub fn files(&self) -> Vec<(String, String)> {
        let mut files = vec![("models.rs".to_owned(), self.models())];
        let mut by_area: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, d) in self.declared.iter().enumerate() {
            by_area.entry(area(&d.spec.path)).or_default().push(i);
        }
        let mut module = String::from(HEADER);
        module.push_str("//! The generated surface: models and endpoints by area.\n\n");
        module.push_str("#[cfg(feature = \"catalog\")]\npub mod catalog;\npub mod entity_sets;\npub mod models;\n");
        for (area, about) in AREAS {
            let endpoints = by_area.get(area).cloned().unwrap_or_default();
            let _ = writeln!(module, "#[cfg(feature = {area:?})]\npub mod {area};");
            files.push((
                format!("{area}.rs"),
                self.endpoints(area, about, &endpoints),
            ));
        }
        module.push_str("#[cfg(feature = \"samples\")]\n#[doc(hidden)]\npub mod samples;\n");
        files.push(("mod.rs".to_owned(), module));
        files.push(("samples.rs".to_owned(), self.samples(10)));
        files.push(("catalog.rs".to_owned(), self.catalog()));
        files.push(("entity_sets.rs".to_owned(), self.entity_sets()));
        files
    }

    fn models(&self) -> String {
        let mut out = String::from(HEADER);
        out.push_str(
            "//! Models of every type the surface reaches, from Graph's metadata.\n\
             #![allow(clippy::all, rustdoc::bare_urls, rustdoc::invalid_html_tags, rustdoc::broken_intra_doc_links)]\n\n\
             // With no area enabled no model is compiled, and nothing uses these.\n\
             #[allow(unused_imports)]\n\
             use crate::support::{self as s, Model as _};\n\n",
        );
        for q in self.reached.keys() {
            if let Some(t) = self.csdl.types.get(q) {
                self.write_struct(&mut out, t);
            } else if let Some(e) = self.csdl.enums.get(q) {
                self.write_enum(&mut out, e);
            }
        }
        out
    }

    fn doc(&self, out: &mut String, target: &str, indent: &str) {
        if let Some(text) = self.csdl.descriptions.get(target) {
            let _ = writeln!(out, "{indent}/// {}", doc_text(text));
        }
    }

    fn write_struct(&self, out: &mut String, t: &TypeDef) {
        let q = &t.qname;
        let name = self.name(q);
        let cfg = self.cfg(q);
        let kind = if t.entity { "entity" } else { "complex" };
        self.doc(out, q, "");
        if self.csdl.descriptions.contains_key(q) {
            out.push_str("///\n");
        }
        let _ = writeln!(out, "/// Graph {kind} type {}.", graph_link(q));
        let base = t.base.as_deref().filter(|b| self.reached.contains_key(*b));
        if let Some(b) = base {
            let _ = writeln!(
                out,
                "/// Derived from [`{}`], whose accessors apply through `Deref`.",
                self.name(b)
            );
        }
        let _ = writeln!(out, "{cfg}#[derive(Debug, Clone, PartialEq)]");
        match base {
            Some(b) => {
                let _ = writeln!(out, "pub struct {name}(pub(crate) {});", self.name(b));
                let _ = writeln!(
                    out,
                    "{cfg}crate::__derived_model!({name}, {}, {q:?});",
                    self.name(b)
                );
            }
            None => {
                let _ = writeln!(out, "pub struct {name}(pub(crate) s::Object);");
                let typed_new = self.has_children(q) && q != ENTITY;
                let _ = writeln!(
                    out,
                    "{cfg}crate::__root_model!({name}, {q:?}, {typed_new});"
                );
            }
        }
        if !t.properties.is_empty() {
            let _ = writeln!(out, "{cfg}impl {name} {{");
            let mut used: BTreeSet<String> = BTreeSet::new();
            for p in &t.properties {
                self.write_accessors(out, q, p, &mut used);
            }
            out.push_str("}\n");
        }
        if self.has_children(q) {
            self.write_any(out, t);
        }
        out.push('\n');
    }

    fn write_accessors(
        &self,
        out: &mut String,
        owner: &str,
        p: &Property,
        used: &mut BTreeSet<String>,
    ) {
        let mut field = safe_ident(&snake(&p.name));
        if RESERVED.contains(&field.as_str()) {
            field.push('_');
        }
        while !used.insert(field.clone()) {
            field.push('_');
        }
        let (ty, collection) = split_collection(&p.ty);
        let a = self.access(ty);
        let wire = &p.name;
        let target = format!("{owner}/{wire}");
        let doc = self
            .csdl
            .descriptions
            .get(&target)
            .map(|d| format!(" {}", doc_text(d)))
            .unwrap_or_default();
        if collection {
            let _ = writeln!(
                out,
                "    /// `{wire}`.{doc}\n    #[inline]\n    pub fn {field}(&self) -> Option<Vec<{}>> {{ s::get_list(self.object(), {wire:?}, {}) }}",
                a.owned, a.item
            );
            let _ = writeln!(
                out,
                "    /// Sets `{wire}`; `None` writes `null`.\n    #[inline]\n    pub fn set_{field}(&mut self, value: Option<Vec<{}>>) -> &mut Self {{ s::set_list(self.object_mut(), {wire:?}, value, {}); self }}",
                a.owned, a.to_value_ref
            );
        } else {
            let _ = writeln!(
                out,
                "    /// `{wire}`.{doc}\n    #[inline]\n    pub fn {field}(&self) -> Option<{}> {{ {}(self.object(), {wire:?}) }}",
                a.get_ty, a.get
            );
            let _ = writeln!(
                out,
                "    /// Sets `{wire}`; `None` writes `null`.\n    #[inline]\n    pub fn set_{field}(&mut self, value: Option<{}>) -> &mut Self {{ {}(self.object_mut(), {wire:?}, value); self }}",
                a.set_ty, a.set
            );
        }
    }

    fn access(&self, ty: &str) -> Access {
        let prim = |get_ty: &str,
                    get: &str,
                    set_ty: &str,
                    set: &str,
                    owned: &str,
                    item: &str,
                    to_value_ref: &str| Access {
            get_ty: get_ty.into(),
            get: get.into(),
            set_ty: set_ty.into(),
            set: set.into(),
            owned: owned.into(),
            item: item.into(),
            to_value_ref: to_value_ref.into(),
        };
        match ty {
            "Edm.String" | "Edm.Guid" | "Edm.DateTimeOffset" | "Edm.Date" | "Edm.TimeOfDay"
            | "Edm.Duration" | "Edm.Binary" => prim(
                "&str",
                "s::get_str",
                "&str",
                "s::set_str",
                "String",
                "s::item_str",
                "s::string_value",
            ),
            "Edm.Boolean" => prim(
                "bool",
                "s::get_bool",
                "bool",
                "s::set_bool",
                "bool",
                "s::item_bool",
                "s::bool_value",
            ),
            "Edm.Int32" | "Edm.Int16" | "Edm.Byte" | "Edm.SByte" => prim(
                "i32",
                "s::get_i32",
                "i32",
                "s::set_i32",
                "i32",
                "s::item_i32",
                "s::i32_value",
            ),
            "Edm.Int64" => prim(
                "i64",
                "s::get_i64",
                "i64",
                "s::set_i64",
                "i64",
                "s::item_i64",
                "s::i64_value",
            ),
            "Edm.Single" | "Edm.Double" | "Edm.Decimal" => prim(
                "f64",
                "s::get_f64",
                "f64",
                "s::set_f64",
                "f64",
                "s::item_f64",
                "s::f64_ref_value",
            ),
            _ => {
                if let Some(e) = self
                    .csdl
                    .enums
                    .get(ty)
                    .filter(|_| self.reached.contains_key(ty))
                {
                    let n = self.name(ty);
                    if e.flags {
                        // A set of members, read and written comma-separated.
                        return Access {
                            get_ty: format!("s::Flags<{n}>"),
                            get: "s::get_flags".into(),
                            set_ty: format!("s::Flags<{n}>"),
                            set: "s::set_flags".into(),
                            owned: format!("s::Flags<{n}>"),
                            item: format!("s::item_flags::<{n}>"),
                            to_value_ref: format!("s::flags_value::<{n}>"),
                        };
                    }
                    return Access {
                        get_ty: n.to_owned(),
                        get: "s::get_member".into(),
                        set_ty: n.to_owned(),
                        set: "s::set_member".into(),
                        owned: n.to_owned(),
                        item: format!("s::item_member::<{n}>"),
                        to_value_ref: format!("s::member_value::<{n}>"),
                    };
                }
                if self.reached.contains_key(ty) {
                    let n = self.model_ref(ty);
                    return Access {
                        get_ty: n.clone(),
                        get: "s::get_model".into(),
                        set_ty: n.clone(),
                        set: "s::set_model".into(),
                        owned: n.clone(),
                        item: format!("s::item_model::<{n}>"),
                        to_value_ref: format!("s::model_value::<{n}>"),
                    };
                }
                prim(
                    "&serde_json::Value",
                    "s::get_raw",
                    "serde_json::Value",
                    "s::set",
                    "serde_json::Value",
                    "s::item_raw",
                    "s::raw_value",
                )
            }
        }
    }

    fn write_any(&self, out: &mut String, t: &TypeDef) {
        let q = &t.qname;
        let base = self.name(q);
        let cfg = self.cfg(q);
        let all = self.descendants(q);
        let _ = writeln!(
            out,
            "/// A [`{base}`] or any type derived from it, told apart by `@odata.type`\n\
             /// ({}). Unknown types come as `Other`, kept whole.",
            graph_link(q)
        );
        let _ = writeln!(
            out,
            "{cfg}#[derive(Debug, Clone, PartialEq)]\npub enum Any{base} {{"
        );
        let _ = writeln!(
            out,
            "    /// `{q}` itself, or no `@odata.type`.\n    {base}({base}),"
        );
        for d in &all {
            let _ = writeln!(out, "    /// `{d}`.\n    {n}({n}),", n = self.name(d));
        }
        let _ = writeln!(
            out,
            "    /// A type the metadata does not derive from `{q}`, kept as it came.\n    Other({base}),\n}}"
        );
        let _ = writeln!(out, "{cfg}impl s::Model for Any{base} {{");
        let _ = writeln!(out, "    const GRAPH_TYPE: &'static str = {q:?};");
        let _ = writeln!(
            out,
            "    fn decoded_as(&self) -> Option<&'static str> {{\n        match self {{\n            Self::{base}(_) => Some({q:?}),\n            Self::Other(_) => None,"
        );
        for d in &all {
            let _ = writeln!(out, "            Self::{}(_) => Some({d:?}),", self.name(d));
        }
        out.push_str("        }\n    }\n");
        out.push_str("    #[inline]\n    fn from_object(object: s::Object) -> Self {\n        match object.get(\"@odata.type\").and_then(serde_json::Value::as_str).map(|t| t.trim_start_matches('#')) {\n");
        let _ = writeln!(
            out,
            "            None | Some({q:?}) => Self::{base}({base}::from_object(object)),"
        );
        for d in &all {
            let _ = writeln!(
                out,
                "            Some({d:?}) => Self::{n}({n}::from_object(object)),",
                n = self.name(d)
            );
        }
        let _ = writeln!(
            out,
            "            Some(_) => Self::Other({base}::from_object(object)),\n        }}\n    }}"
        );
        for (method, recv, ret) in [
            ("object", "&self", "&s::Object"),
            ("object_mut", "&mut self", "&mut s::Object"),
            ("into_object", "self", "s::Object"),
        ] {
            let _ = writeln!(
                out,
                "    fn {method}({recv}) -> {ret} {{\n        match self {{"
            );
            let _ = writeln!(
                out,
                "            Self::{base}(v) | Self::Other(v) => v.{method}(),"
            );
            for d in &all {
                let _ = writeln!(
                    out,
                    "            Self::{}(v) => v.{method}(),",
                    self.name(d)
                );
            }
            out.push_str("        }\n    }\n");
        }
        out.push_str("}\n");
        let _ = writeln!(
            out,
            "{cfg}impl Any{base} {{\n    /// The value as its base type, whose accessors apply to every variant.\n    #[inline]\n    pub fn as_base(&self) -> &{base} {{\n        match self {{"
        );
        let _ = writeln!(out, "            Self::{base}(v) | Self::Other(v) => v,");
        for d in &all {
            let _ = writeln!(out, "            Self::{}(v) => v,", self.name(d));
        }
        out.push_str("        }\n    }\n");
        let _ = writeln!(
            out,
            "    /// The value as its base type, to change.\n    #[inline]\n    pub fn as_base_mut(&mut self) -> &mut {base} {{\n        match self {{"
        );
        let _ = writeln!(out, "            Self::{base}(v) | Self::Other(v) => v,");
        for d in &all {
            let _ = writeln!(out, "            Self::{}(v) => v,", self.name(d));
        }
        out.push_str("        }\n    }\n}\n");
        let _ = writeln!(
            out,
            "{cfg}impl std::ops::Deref for Any{base} {{\n    type Target = {base};\n    fn deref(&self) -> &{base} {{\n        self.as_base()\n    }}\n}}"
        );
        let _ = writeln!(
            out,
            "{cfg}impl std::ops::DerefMut for Any{base} {{\n    fn deref_mut(&mut self) -> &mut {base} {{\n        self.as_base_mut()\n    }}\n}}"
        );
        let _ = writeln!(out, "{cfg}crate::__model_serde!(Any{base});");
        let _ = writeln!(
            out,
            "{cfg}impl From<{base}> for Any{base} {{\n    fn from(v: {base}) -> Self {{\n        Self::from_object(v.into_object())\n    }}\n}}"
        );
        for d in &all {
            let _ = writeln!(
                out,
                "{cfg}impl From<{n}> for Any{base} {{\n    fn from(v: {n}) -> Self {{\n        Self::{n}(v)\n    }}\n}}",
                n = self.name(d)
            );
        }
    }

    fn write_enum(&self, out: &mut String, e: &crate::csdl::EnumDef) {
        let q = &e.qname;
        let name = self.name(q);
        let cfg = self.cfg(q);
        self.doc(out, q, "");
        if self.csdl.descriptions.contains_key(q) {
            out.push_str("///\n");
        }
        let _ = writeln!(
            out,
            "/// Graph enum type {}{}.",
            graph_link(q),
            if e.flags {
                " (flags: a property of this type holds a set, written comma-separated)"
            } else {
                ""
            }
        );
        let _ = writeln!(
            out,
            "{cfg}#[derive(Debug, Clone, PartialEq, Eq, Hash)]\npub enum {name} {{"
        );
        let mut variants = Vec::new();
        let mut used = BTreeSet::new();
        for m in &e.members {
            let mut v = variant_name(m);
            while !used.insert(v.clone()) {
                v.push('_');
            }
            let doc = self
                .csdl
                .descriptions
                .get(&format!("{q}/{m}"))
                .map(|d| format!(" {}", doc_text(d)))
                .unwrap_or_default();
            let _ = writeln!(out, "    /// `{m}`.{doc}\n    {v},");
            variants.push((m, v));
        }
        out.push_str("    /// A member the metadata does not list, as it came.\n    Unrecognized(String),\n}\n");
        let _ = writeln!(
            out,
            "{cfg}impl s::Member for {name} {{\n    #[inline]\n    fn as_str(&self) -> &str {{\n        match self {{"
        );
        for (m, v) in &variants {
            let _ = writeln!(out, "            Self::{v} => {m:?},");
        }
        out.push_str("            Self::Unrecognized(text) => text,\n        }\n    }\n    #[inline]\n    fn parse(text: &str) -> Self {\n        match text {\n");
        for (m, v) in &variants {
            let _ = writeln!(out, "            {m:?} => Self::{v},");
        }
        out.push_str(
            "            _ => Self::Unrecognized(text.to_owned()),\n        }\n    }\n}\n",
        );
        let _ = writeln!(out, "{cfg}crate::__member_serde!({name});\n");
    }

    /// A Rust type for a value of `ty` (qualified; `Collection(...)` allowed),
    /// owned (results) or borrowed (parameters).
    fn value_type(&self, ty: &str, borrowed: bool) -> String {
        let (inner, collection) = split_collection(ty);
        let one = match inner {
            "Edm.String" | "Edm.Guid" | "Edm.DateTimeOffset" | "Edm.Date" | "Edm.TimeOfDay"
            | "Edm.Duration" | "Edm.Binary" => {
                if borrowed {
                    "&str".to_owned()
                } else {
                    "String".to_owned()
                }
            }
            "Edm.Boolean" => "bool".to_owned(),
            "Edm.Int32" | "Edm.Int16" | "Edm.Byte" | "Edm.SByte" => "i32".to_owned(),
            "Edm.Int64" => "i64".to_owned(),
            "Edm.Single" | "Edm.Double" | "Edm.Decimal" => "f64".to_owned(),
            _ if self.reached.contains_key(inner) => {
                let flags = self.csdl.enums.get(inner).is_some_and(|e| e.flags);
                if flags {
                    if borrowed {
                        "&str".to_owned()
                    } else {
                        "String".to_owned()
                    }
                } else {
                    format!("crate::models::{}", self.model_ref(inner))
                }
            }
            _ => "::serde_json::Value".to_owned(),
        };
        let is_model = one.starts_with("crate::models::") && self.csdl.types.contains_key(inner);
        let is_value = one == "::serde_json::Value";
        match (collection, borrowed) {
            (true, true) => format!("&[{one}]"),
            (true, false) => format!("::graph_endpoint::Collection<{one}>"),
            (false, true) if is_model || is_value => format!("&{one}"),
            (false, true) => one,
            (false, false) if is_model || is_value => one,
            (false, false) => format!("crate::support::Returned<{one}>"),
        }
    }

    fn endpoints(&self, area: &str, about: &str, indices: &[usize]) -> String {
        let mut out = String::from(HEADER);
        let _ = writeln!(
            out,
            "//! {about}.\n#![allow(rustdoc::bare_urls, clippy::too_many_arguments)]\n\nuse graph_endpoint::graph_action;\n"
        );
        let mut traits: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for &i in indices {
            traits
                .entry(self.declared[i].trait_name.as_str())
                .or_default()
                .push(i);
        }
        for (name, methods) in &traits {
            let _ = writeln!(
                out,
                "/// Endpoints under `{}`.",
                crate::resource_root(&self.declared[methods[0]].spec.path)
            );
            let _ = writeln!(out, "pub trait {name}: ::graph_endpoint::Graph {{");
            for &i in methods {
                self.write_method(&mut out, i);
            }
            let _ = writeln!(
                out,
                "}}\n\nimpl {name} for ::graph_endpoint::GraphClient {{}}\n"
            );
        }
        let _ = area;
        out
    }

    /// The typed signature of endpoint `i`: arguments after `&self`, and the result
    /// (`None` result means a `Paged` list of the given item type).
    fn signature(&self, i: usize) -> (Vec<String>, Shape) {
        let d = &self.declared[i];
        let spec = &d.spec;
        let mut args: Vec<String> = d
            .placeholders
            .iter()
            .map(|p| format!("{p}: &str"))
            .collect();
        let body_name = crate::body_name(&d.placeholders);
        let resolved = self.resolved[i].as_ref();
        let target = resolved
            .filter(|r| r.operation.is_none())
            .and_then(|r| r.ty.as_deref().map(|t| (t, r.collection)))
            .filter(|(t, _)| self.csdl.types.contains_key(*t));
        let untyped = || crate::result_type(spec).to_owned();
        let fit = |t: String| match crate::result_type(spec) {
            "()" => "()".to_owned(),
            "::serde_json::Value" => t,
            _ => format!("::core::option::Option<{t}>"),
        };
        match (
            spec.kind.as_str(),
            target,
            resolved.and_then(|r| r.operation.as_ref()),
        ) {
            ("list", Some((t, true)), _) if spec.method == "GET" => (
                args,
                Shape::Paged(format!("crate::models::{}", self.model_ref(t))),
            ),
            ("get" | "list", Some((t, c)), _) => {
                let m = format!("crate::models::{}", self.model_ref(t));
                let r = if c {
                    format!("::graph_endpoint::Collection<{m}>")
                } else {
                    m
                };
                (args, Shape::Result(fit(r)))
            }
            ("create" | "update", Some((t, c)), _) if spec.has_body => {
                let m = format!("crate::models::{}", self.model_ref(t));
                args.push(format!("#[body] {body_name}: &{m}"));
                let r = if c && spec.kind == "update" {
                    format!("::graph_endpoint::Collection<{m}>")
                } else {
                    m
                };
                (args, Shape::Result(fit(r)))
            }
            ("action" | "function", _, Some(op)) => {
                if op.is_action {
                    let mut used: BTreeSet<String> = d.placeholders.iter().cloned().collect();
                    for p in &op.params {
                        let mut n = safe_ident(&snake(&p.name));
                        while !used.insert(n.clone()) {
                            n.push_str("_param");
                        }
                        args.push(format!(
                            "#[param({:?})] {n}: {}",
                            p.name,
                            self.value_type(&p.ty, true)
                        ));
                    }
                    if op.params.is_empty() && spec.has_body {
                        args.push(format!("#[body] {body_name}: &::serde_json::Value"));
                    }
                }
                let r = match &op.returns {
                    Some(t) => fit(self.value_type(t, false)),
                    None => untyped(),
                };
                (args, Shape::Result(r))
            }
            _ => {
                if spec.has_body {
                    args.push(format!("#[body] {body_name}: &::serde_json::Value"));
                }
                (args, Shape::Result(untyped()))
            }
        }
    }

    fn write_method(&self, out: &mut String, i: usize) {
        let d = &self.declared[i];
        let spec = &d.spec;
        if let Some(title) = &spec.title {
            let _ = writeln!(out, "    /// {}", doc_text(title));
        }
        if let Some(doc) = &spec.doc {
            let _ = writeln!(out, "    ///\n    /// Documented in `{doc}`.");
        }
        if let Some(p) = &spec.permissions {
            for (kind, list) in [
                ("delegated (work or school account)", &p.delegated),
                ("delegated (personal Microsoft account)", &p.personal),
                ("application", &p.application),
            ] {
                let text = if list.is_empty() {
                    "not supported".to_owned()
                } else {
                    list.iter()
                        .map(|p| format!("`{p}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                let _ = writeln!(out, "    /// - {kind}: {text}");
            }
        }
        let permissions: Vec<String> = spec
            .permissions
            .iter()
            .flat_map(|p| p.delegated.iter().chain(&p.application))
            .fold(Vec::new(), |mut acc: Vec<String>, p| {
                if !acc.contains(p) {
                    acc.push(p.clone());
                }
                acc
            });
        let perms = if permissions.is_empty() {
            String::new()
        } else {
            format!(
                ", permissions = [{}]",
                permissions
                    .iter()
                    .map(|p| format!("{p:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let _ = writeln!(
            out,
            "    #[graph_action({}, {:?}, expect = {}, version = {:?}{perms})]",
            spec.method, d.template, spec.expect, spec.version
        );
        let (args, shape) = self.signature(i);
        let mut all = vec!["&self".to_owned()];
        all.extend(args);
        match shape {
            Shape::Paged(t) => {
                let _ = writeln!(
                    out,
                    "    fn {}({}) -> ::graph_endpoint::Paged<'_, {t}>;",
                    d.method_name,
                    all.join(", ")
                );
            }
            Shape::Result(t) => {
                let _ = writeln!(
                    out,
                    "    async fn {}({}) -> ::core::result::Result<{t}, ::graph_endpoint::Error>;",
                    d.method_name,
                    all.join(", ")
                );
            }
        }
    }

    /// Calls of every `every`th endpoint with made-up arguments, and a reply
    /// each result decodes from.
    fn samples(&self, every: usize) -> String {
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
                t = d.trait_name,
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
                t = d.trait_name,
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
             static NO_SAMPLE: ::graph_endpoint::Endpoint = *<::graph_endpoint::GraphClient as DeviceManagement>::GET_DEVICE_MANAGEMENT;\n",
        );
        out.push_str(&self.served(3));
        out
    }

    /// The codec of a Rust type written by [`Self::signature`].
    fn codec(&self, ty: &str) -> String {
        let ty = ty.trim_start_matches('&');
        let ty = ty
            .strip_prefix("::core::option::Option<")
            .and_then(|t| t.strip_suffix('>'))
            .unwrap_or(ty);
        let is_model = |t: &str| {
            t.strip_prefix("crate::models::").is_some_and(|n| {
                let n = n
                    .strip_prefix("Any")
                    .filter(|b| self.names.values().any(|v| v == b))
                    .unwrap_or(n);
                self.names
                    .iter()
                    .any(|(q, v)| v == n && self.csdl.types.contains_key(q))
            })
        };
        let owned = |t: &str| {
            let t = t.trim_start_matches('&');
            if t == "str" {
                "String".to_owned()
            } else {
                t.to_owned()
            }
        };
        if let Some(inner) = ty
            .strip_prefix("::graph_endpoint::Collection<")
            .and_then(|t| t.strip_suffix('>'))
        {
            if is_model(inner) {
                format!("s::codec_list::<{inner}>")
            } else {
                format!("s::codec_list_of::<{}>", owned(inner))
            }
        } else if let Some(inner) = ty.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
            if is_model(inner) {
                format!("s::codec_array::<{inner}>")
            } else {
                format!("s::codec_array_of::<{}>", owned(inner))
            }
        } else if ty == "::serde_json::Value" {
            "s::codec_raw".to_owned()
        } else if is_model(ty) {
            format!("s::codec_model::<{ty}>")
        } else {
            format!("s::codec_of::<{}>", owned(ty))
        }
    }

    fn catalog(&self) -> String {
        let mut out = String::from(HEADER);
        out.push_str(
            "//! Every endpoint with the types of its body and result, to check payloads\n\
             //! against them.\n\n\
             use crate::support::{self as s, Declaration};\n\n\
             /// Every endpoint, in the order of the endpoint list.\n\
             pub static ENDPOINTS: &[Declaration] = &[\n",
        );
        for (i, d) in self.declared.iter().enumerate() {
            let (args, shape) = self.signature(i);
            let mut params = Vec::new();
            let mut body = None;
            for a in &args {
                let (head, ty) = a.split_once(": ").unwrap_or((a, ""));
                if head.starts_with("#[body]") {
                    body = Some(self.codec(ty));
                } else if let Some(rest) = head.strip_prefix("#[param(") {
                    let name = rest.split(')').next().unwrap_or_default();
                    params.push(format!("({name}, {})", self.codec(ty)));
                }
            }
            if !params.is_empty() {
                body = Some(format!("|v| s::codec_params(v, &[{}])", params.join(", ")));
            }
            let result = match &shape {
                Shape::Paged(t) => Some(format!("s::codec_list::<{t}>")),
                Shape::Result(t) if t == "()" => None,
                Shape::Result(t) => Some(self.codec(t)),
            };
            let single = result
                .as_deref()
                .is_some_and(|r| r.starts_with("s::codec_model"));
            let opt = |c: Option<String>| c.map_or("None".to_owned(), |c| format!("Some({c})"));
            let _ = writeln!(
                out,
                "    Declaration {{ method: {:?}, path: {:?}, version: {:?}, body: {}, result: {}, single: {single} }},",
                d.spec.method,
                d.spec.path,
                d.spec.version,
                opt(body),
                opt(result)
            );
        }
        out.push_str("];\n\n/// Every entity and complex type of the metadata, sorted.\npub static GRAPH_TYPES: &[&str] = &[\n");
        for q in self.csdl.types.keys() {
            let _ = writeln!(out, "    {q:?},");
        }
        out.push_str("];\n");
        out
    }

    /// `(path with {} for keys, item type)` of every entity collection the surface lists or creates in.
    fn entity_set_list(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut seen = BTreeSet::new();
        for (d, r) in self.declared.iter().zip(&self.resolved) {
            let Some(r) = r else { continue };
            let Some(ty) = r.ty.as_deref() else { continue };
            if r.operation.is_some() || !self.csdl.types.get(ty).is_some_and(|t| t.entity) {
                continue;
            }
            let Some(wire) = collection_pattern(&d.template, r.collection) else {
                continue;
            };
            if resolve(self.csdl, &wire.replace("{}", "{x}"))
                .is_some_and(|c| c.collection && c.operation.is_none())
                && seen.insert(wire.clone())
            {
                out.push((wire, ty.to_owned()));
            }
        }
        out
    }

    fn entity_sets(&self) -> String {
        let mut out = String::from(HEADER);
        out.push_str(
            "//! The entity collections the surface reaches: the path of each (after the\n\
             //! version, `{}` for a key) and the qualified type of its items, for a\n\
             //! stand-in that serves them generically.\n\n\
             /// `(path, item type)` of every entity collection the surface lists or creates in.\n\
             pub const ENTITY_SETS: &[(&str, &str)] = &[\n",
        );
        for (wire, ty) in self.entity_set_list() {
            let _ = writeln!(out, "    ({wire:?}, {ty:?}),");
        }
        out.push_str("];\n");
        out
    }

    /// Calls of the CRUD endpoints whose collection a generic stand-in serves
    /// (every `every`th), each returning what its typed result decoded as.
    fn served(&self, every: usize) -> String {
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
                t = d.trait_name,
                c = d.method_name.to_uppercase(),
                a = area(&d.spec.path),
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
                t = d.trait_name,
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
    if ty.starts_with("&[") {
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

/// The collection of a template (`<key>` becomes `{}`): the template itself
/// for a collection, without its last key for an item.
fn collection_pattern(template: &str, collection: bool) -> Option<String> {
    let mut path = template.to_owned();
    if !collection {
        match path.rfind("/<") {
            Some(k) if path.ends_with('>') => path.truncate(k),
            _ => return None,
        }
    }
    let mut wire = String::new();
    let mut rest = path.as_str();
    while let Some(s) = rest.find('<') {
        wire.push_str(&rest[..s]);
        wire.push_str("{}");
        rest = rest[s..].find('>').map_or("", |e| &rest[s + e + 1..]);
    }
    wire.push_str(rest);
    (!wire.contains('(') && !wire.contains('$')).then_some(wire)
}

/// What an endpoint returns.
enum Shape {
    Paged(String),
    Result(String),
}

struct Access {
    get_ty: String,
    get: String,
    set_ty: String,
    set: String,
    owned: String,
    item: String,
    to_value_ref: String,
}

const HEADER: &str = "// Generated by graph-endpoint-codegen from Graph's CSDL metadata and the endpoint list. Do not edit by hand.\n";

const RESERVED: &[&str] = &[
    "new",
    "object",
    "object_mut",
    "into_object",
    "from_object",
    "field",
    "unset",
    "set_raw",
    "odata_type",
    "to_value",
    "from_value",
    "as_base",
    "as_base_mut",
    "clone",
    "eq",
    "fmt",
    "default",
    "deref",
    "deref_mut",
    "from",
    "into",
];

fn cfg_of<'x>(areas: impl Iterator<Item = &'x str>) -> String {
    let mut areas: Vec<&str> = areas.collect();
    if areas.len() == AREAS.len() {
        // In the order of AREAS, so every type reached by all areas reads the same.
        areas = AREAS.iter().map(|(a, _)| *a).collect();
    }
    if areas.is_empty() {
        return String::new();
    }
    let list: Vec<String> = areas.iter().map(|a| format!("feature = {a:?}")).collect();
    format!("#[cfg(any({}))]\n", list.join(", "))
}

fn graph_link(qname: &str) -> String {
    let short = qname.rsplit('.').next().unwrap_or(qname);
    format!(
        "[`{qname}`](https://learn.microsoft.com/graph/api/resources/{}?view=graph-rest-beta)",
        short.to_ascii_lowercase()
    )
}

/// Escapes text for a one-line doc comment.
fn doc_text(text: &str) -> String {
    text.replace(['\n', '\r'], " ")
        .replace('\\', "\\\\")
        .replace('[', "\\[")
        .replace(']', "\\]")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('`', "'")
        .replace("*/", "* /")
}

/// `microsoft.graph.windows10GeneralConfiguration` becomes `Windows10GeneralConfiguration`;
/// other namespaces are prefixed: `microsoft.graph.ediscovery.case` becomes `EdiscoveryCase`.
#[must_use]
pub fn rust_type_name(qname: &str) -> String {
    let rest = qname.strip_prefix("microsoft.graph.").unwrap_or(qname);
    rest.split('.')
        .map(|part| {
            let clean: String = part
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            let mut chars = clean.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn variant_name(member: &str) -> String {
    let name = rust_type_name(member);
    let name: String = name.chars().filter(|c| *c != '_').collect();
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        format!("V{name}")
    } else if name == "Self" || name == "Unrecognized" {
        format!("{name}Member")
    } else {
        name
    }
}

/// `iOSVersion`, `macOSCustomConfiguration`, `windows10EnrollmentCompletionPageConfiguration`
/// become `i_os_version`, `mac_os_custom_configuration`, `windows10_enrollment_completion_page_configuration`.
#[must_use]
pub fn snake(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let prev = i.checked_sub(1).map(|p| chars[p]);
            let next = chars.get(i + 1);
            let boundary = match prev {
                Some(p) if p.is_ascii_lowercase() || p.is_ascii_digit() => true,
                Some(p) if p.is_ascii_uppercase() => next.is_some_and(|n| n.is_ascii_lowercase()),
                _ => false,
            };
            if boundary && !out.ends_with('_') {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_end_matches('_').to_owned()
}

fn safe_ident(name: &str) -> String {
    crate::safe_ident(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_names() {
        assert_eq!(snake("iOSVersion"), "i_os_version");
        assert_eq!(
            snake("macOSCustomConfiguration"),
            "mac_os_custom_configuration"
        );
        assert_eq!(
            snake("windows10GeneralConfiguration"),
            "windows10_general_configuration"
        );
        assert_eq!(snake("@odata.type"), "odata_type");
        assert_eq!(
            rust_type_name("microsoft.graph.macOSGeneralDeviceConfiguration"),
            "MacOSGeneralDeviceConfiguration"
        );
        assert_eq!(variant_name("5ghz"), "V5ghz");
    }

    const MINI: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">
  <edmx:DataServices>
    <Schema Namespace="microsoft.graph" Alias="graph" xmlns="http://docs.oasis-open.org/odata/ns/edm">
      <EnumType Name="color" IsFlags="true"><Member Name="red" Value="1" /><Member Name="blue" Value="2" /></EnumType>
      <ComplexType Name="label"><Property Name="text" Type="Edm.String" /></ComplexType>
      <EntityType Name="entity" Abstract="true"><Key><PropertyRef Name="id" /></Key><Property Name="id" Type="Edm.String" Nullable="false" /></EntityType>
      <EntityType Name="root" BaseType="graph.entity">
        <NavigationProperty Name="shapes" Type="Collection(graph.shape)" ContainsTarget="true" />
      </EntityType>
      <EntityType Name="shape" BaseType="graph.entity" Abstract="true">
        <Property Name="colors" Type="graph.color" />
        <Property Name="palettes" Type="Collection(graph.color)" />
        <Property Name="labels" Type="Collection(graph.label)" />
      </EntityType>
      <EntityType Name="circle" BaseType="graph.shape"><Property Name="radius" Type="Edm.Single" /></EntityType>
      <EntityType Name="unused" BaseType="graph.entity" />
      <Action Name="paint" IsBound="true">
        <Parameter Name="bindingParameter" Type="graph.shape" />
        <Parameter Name="color" Type="graph.color" />
        <ReturnType Type="Collection(Edm.String)" />
      </Action>
      <Function Name="area" IsBound="true">
        <Parameter Name="bindingParameter" Type="graph.circle" />
        <ReturnType Type="Edm.Double" />
      </Function>
      <EntityContainer Name="GraphService"><Singleton Name="root" Type="microsoft.graph.root" /></EntityContainer>
      <Annotations Target="microsoft.graph.circle/radius"><Annotation Term="Org.OData.Core.V1.Description" String="The radius [m]." /></Annotations>
    </Schema>
  </edmx:DataServices>
</edmx:Edmx>"#;

    fn endpoint(method: &str, path: &str, kind: &str, body: bool) -> EndpointSpec {
        EndpointSpec {
            method: method.into(),
            path: path.into(),
            expect: if kind == "create" { 201 } else { 200 },
            has_body: body,
            returns_body: true,
            kind: kind.into(),
            version: "beta".into(),
            title: None,
            doc: None,
            permissions: None,
        }
    }

    #[test]
    fn paths_resolve_against_the_metadata() {
        let csdl = Csdl::parse(MINI).unwrap();
        let r = resolve(&csdl, "/root/shapes").unwrap();
        assert_eq!(
            (r.ty.as_deref(), r.collection),
            (Some("microsoft.graph.shape"), true)
        );
        let r = resolve(&csdl, "/root/shapes/{id}/microsoft.graph.circle").unwrap();
        assert_eq!(
            (r.ty.as_deref(), r.collection),
            (Some("microsoft.graph.circle"), false)
        );
        let r = resolve(&csdl, "/root/shapes/{id}/paint").unwrap();
        assert_eq!(r.operation.map(|o| o.name), Some("paint".to_owned()));
        // A function bound to the derived type is found through the cast.
        assert!(resolve(&csdl, "/root/shapes/{id}/microsoft.graph.circle/area()").is_some());
        assert!(resolve(&csdl, "/root/nothing").is_none());
        assert!(resolve(&csdl, "/root/shapes/{id}/$ref").is_none());
    }

    #[test]
    fn the_surface_generates_what_it_reaches() {
        let csdl = Csdl::parse(MINI).unwrap();
        let endpoints = [
            endpoint("GET", "/root/shapes", "list", false),
            endpoint("POST", "/root/shapes", "create", true),
            endpoint("POST", "/root/shapes/{shapeId}/paint", "action", true),
        ];
        let surface = Surface::new(&csdl, &endpoints);
        let figures = surface.figures();
        assert_eq!(figures.resolved, 3);
        // shape reaches its base, its derived circle, and its property types; not `unused`.
        assert_eq!(
            (figures.entities, figures.complexes, figures.enums),
            (3, 1, 1)
        );
        assert_eq!(figures.polymorphic, 1);
        let files = surface.files();
        let text = |name: &str| {
            files
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, t)| t.clone())
                .unwrap()
        };
        let models = text("models.rs");
        assert!(models.contains("pub struct Circle(pub(crate) Shape);"));
        assert!(models.contains("pub enum AnyShape {"));
        assert!(models.contains("/// `radius`. The radius \\[m\\]."));
        // A flags property is a set of members, one or in a collection.
        assert!(
            models
                .contains("(flags: a property of this type holds a set, written comma-separated)")
        );
        assert!(models.contains(
            "pub fn colors(&self) -> Option<s::Flags<Color>> { s::get_flags(self.object(), \"colors\") }"
        ));
        assert!(models.contains(
            "pub fn set_colors(&mut self, value: Option<s::Flags<Color>>) -> &mut Self { s::set_flags(self.object_mut(), \"colors\", value); self }"
        ));
        assert!(models.contains(
            "pub fn palettes(&self) -> Option<Vec<s::Flags<Color>>> { s::get_list(self.object(), \"palettes\", s::item_flags::<Color>) }"
        ));
        assert!(models.contains(
            "pub fn set_palettes(&mut self, value: Option<Vec<s::Flags<Color>>>) -> &mut Self { s::set_list(self.object_mut(), \"palettes\", value, s::flags_value::<Color>); self }"
        ));
        assert!(!models.contains("Vec<Color>"));
        assert!(!models.contains("Unused"));
        let endpoints = text("tenant.rs");
        assert!(endpoints.contains(
            "fn list_shapes(&self) -> ::graph_endpoint::Paged<'_, crate::models::AnyShape>;"
        ));
        assert!(endpoints.contains("#[body] body: &crate::models::AnyShape"));
        assert!(endpoints.contains(r#"#[param("color")] color: &str"#));
        assert!(endpoints.contains("::graph_endpoint::Collection<String>"));
    }

    #[test]
    fn areas() {
        assert_eq!(
            area("/deviceManagement/managedDevices/{id}"),
            "managed_devices"
        );
        assert_eq!(
            area("/deviceManagement/deviceConfigurations"),
            "device_configurations"
        );
        assert_eq!(
            area("/deviceManagement/deviceCompliancePolicies"),
            "compliance"
        );
        assert_eq!(area("/deviceManagement/deviceManagementScripts"), "scripts");
        assert_eq!(area("/deviceManagement/reports/getReport"), "reports");
        assert_eq!(area("/deviceManagement"), "tenant");
    }
}
