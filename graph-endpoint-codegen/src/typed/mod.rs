//! The typed surface: models from Graph's CSDL for every type the endpoints
//! reach, and endpoint declarations whose bodies and results are those models.
//!
//! Each endpoint's path is resolved segment by segment against the metadata
//! (entity sets and singletons, properties, type casts, bound actions and
//! functions); the types it reaches, with their base types, derived types and
//! property types, are generated, each behind the Cargo features of the areas
//! that reach it.

mod areas;
mod catalog;
mod endpoints;
mod metadata;
mod models;
mod names;
mod reach;
mod resolve;
mod samples;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

use crate::csdl::Csdl;
use crate::{Declared, EndpointSpec, declare};

pub use areas::{
    APP_AREAS, AREAS, DEVICE_APP_MANAGEMENT, DEVICE_MANAGEMENT, Layout, app_area, area,
};
pub use names::{rust_type_name, snake};
pub use resolve::{Resolved, resolve};

use names::HEADER;
use resolve::split_collection;

/// The pseudo-area of the types compiled whatever the features.
const ALWAYS: &str = "";

/// The root type every entity derives from: not a polymorphic base of its own.
const ENTITY: &str = "microsoft.graph.entity";

/// The typed surface, resolved.
pub struct Surface<'a> {
    pub(super) csdl: &'a Csdl,
    pub(super) declared: Vec<Declared>,
    pub(super) resolved: Vec<Option<Resolved>>,
    /// Reached types (entity, complex and enum) and the areas that reach them.
    pub reached: BTreeMap<String, BTreeSet<&'static str>>,
    pub(super) children: HashMap<String, Vec<String>>,
    pub(super) layout: Layout,
    pub(super) names: HashMap<String, String>,
    /// The types a getter views in place in their parent's object (nested
    /// non-polymorphic properties), and their bases: these alone implement
    /// `Borrowed`, which costs every model a `RefCast` derive and three
    /// functions the rest would never use.
    pub(super) viewed: BTreeSet<String>,
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
    /// Resolves every endpoint and works out the types reached, for the
    /// device-management crate ([`DEVICE_MANAGEMENT`]).
    #[must_use]
    pub fn new(csdl: &'a Csdl, endpoints: &[EndpointSpec]) -> Surface<'a> {
        Surface::with_layout(csdl, endpoints, DEVICE_MANAGEMENT)
    }

    /// Resolves every endpoint and works out the types reached, for a crate
    /// of the given layout.
    #[must_use]
    pub fn with_layout(csdl: &'a Csdl, endpoints: &[EndpointSpec], layout: Layout) -> Surface<'a> {
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
            layout,
            names: HashMap::new(),
            viewed: BTreeSet::new(),
        };
        for always in layout.always {
            surface.reach(always, ALWAYS);
        }
        for i in 0..surface.declared.len() {
            let area = (layout.area_of)(&surface.declared[i].spec.path);
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
        surface.viewed = surface.viewed_in_place();
        surface
    }

    /// See [`Surface::viewed`].
    fn viewed_in_place(&self) -> BTreeSet<String> {
        let mut viewed = BTreeSet::new();
        for q in self.reached.keys() {
            let Some(t) = self.csdl.types.get(q) else {
                continue;
            };
            for p in &t.properties {
                let inner = split_collection(&p.ty).0;
                if self.read_in_place(inner) {
                    for a in self.csdl.lineage(inner) {
                        if self.reached.contains_key(&a.qname) {
                            viewed.insert(a.qname.clone());
                        }
                    }
                }
            }
        }
        viewed
    }

    /// Whether a property of this type is read in place (`get_borrowed`):
    /// an entity or complex type of the surface with no derived types (a
    /// polymorphic one is an `Any…` enum, copied out).
    pub(super) fn read_in_place(&self, qname: &str) -> bool {
        self.reached.contains_key(qname)
            && self.csdl.types.contains_key(qname)
            && !self.has_children(qname)
    }

    pub(super) fn name(&self, qname: &str) -> &str {
        self.names.get(qname).map_or("Unknown", String::as_str)
    }

    /// The Rust type of a model reference: `AnyX` for a polymorphic base.
    pub(super) fn model_ref(&self, qname: &str) -> String {
        if self.has_children(qname) {
            format!("Any{}", self.name(qname))
        } else {
            self.name(qname).to_owned()
        }
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
            by_area
                .entry((self.layout.area_of)(&d.spec.path))
                .or_default()
                .push(i);
        }
        let mut module = String::from(HEADER);
        module.push_str("//! The generated surface: models and endpoints by area.\n\n");
        module.push_str("#[cfg(feature = \"catalog\")]\npub mod catalog;\npub mod entity_sets;\npub mod metadata;\npub mod models;\npub mod prelude;\n");
        for (area, about) in self.layout.areas {
            let endpoints = by_area.get(area).cloned().unwrap_or_default();
            let _ = writeln!(module, "#[cfg(feature = {area:?})]\npub mod {area};");
            files.push((format!("{area}.rs"), self.endpoints(about, &endpoints)));
        }
        module.push_str("#[cfg(feature = \"samples\")]\n#[doc(hidden)]\npub mod samples;\n");
        module.push_str(
            "\n/// The v1.0 endpoints, under the same names as the beta ones: the same\n\
             /// traits, each implemented for `GraphClient`, pinned to v1.0.\npub mod v1 {\n",
        );
        for (area, _) in self.layout.areas {
            let has_v1 = by_area
                .get(area)
                .is_some_and(|e| e.iter().any(|&i| self.declared[i].in_v1()));
            if has_v1 {
                let _ = writeln!(
                    module,
                    "    #[cfg(feature = {area:?})]\n    pub use super::{area}::v1::*;"
                );
            }
        }
        module.push_str("}\n");
        files.push(("mod.rs".to_owned(), module));
        files.push(("samples.rs".to_owned(), self.samples(10)));
        files.push(("catalog.rs".to_owned(), self.catalog()));
        files.push(("entity_sets.rs".to_owned(), self.entity_sets()));
        files.push(("metadata.rs".to_owned(), self.metadata()));
        files.push(("prelude.rs".to_owned(), self.prelude(&by_area)));
        files
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        <Property Name="drawn" Type="Edm.DateTimeOffset" Nullable="false" />
      </EntityType>
      <EntityType Name="circle" BaseType="graph.shape"><Property Name="radius" Type="Edm.Single" /></EntityType>
      <EntityType Name="unused" BaseType="graph.entity" />
      <Action Name="paint" IsBound="true">
        <Parameter Name="bindingParameter" Type="graph.shape" />
        <Parameter Name="color" Type="graph.color" Nullable="false" />
        <Parameter Name="note" Type="Edm.String" />
        <Parameter Name="layers" Type="Collection(graph.label)" />
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
            "pub fn colors(&self) -> Option<s::Flags<Color>> { s::get_flags(s::Model::object(self), \"colors\") }"
        ));
        assert!(models.contains(
            "fn set_colors(&mut self, value: s::Flags<Color>) -> &mut Self { s::set_flags(s::Model::object_mut(self), \"colors\", value); self }"
        ));
        assert!(models.contains(
            "fn clear_colors(&mut self) -> &mut Self { s::clear(s::Model::object_mut(self), \"colors\"); self }"
        ));
        assert!(models.contains(
            "fn unset_colors(&mut self) -> &mut Self { s::unset(s::Model::object_mut(self), \"colors\"); self }"
        ));
        assert!(models.contains(
            "pub fn palettes(&self) -> Option<s::Items<'_, s::Flags<Color>>> { s::get_items(s::Model::object(self), \"palettes\", \"microsoft.graph.color\", s::item_flags::<Color>) }"
        ));
        assert!(models.contains(
            "fn set_palettes(&mut self, values: &[s::Flags<Color>]) -> &mut Self { s::set_items(s::Model::object_mut(self), \"palettes\", values, s::value_of_flags::<Color>); self }"
        ));
        // Setters are one trait per declaring type, implemented for every
        // type derived from it (and its `Any…` enum), so a chain keeps its type.
        assert!(models.contains("pub trait ShapeSetters: s::Model {"));
        assert!(models.contains("impl ShapeSetters for Circle {}"));
        assert!(models.contains("impl CircleSetters for Circle {}"));
        assert!(models.contains("impl ShapeSetters for AnyShape {}"));
        // Only a model a getter views in place (`labels` holds `label`s) is
        // `Borrowed`; the entities, read and sent whole, are not.
        assert!(models.contains("crate::__borrowed_root!(Label);"));
        assert!(models.contains(
            "#[derive(Debug, Clone, PartialEq, ::ref_cast::RefCast)]\n#[repr(transparent)]\npub struct Label(pub(crate) s::Object);"
        ));
        assert!(models.contains(
            "#[derive(Debug, Clone, PartialEq)]\n#[repr(transparent)]\npub struct Circle(pub(crate) Shape);"
        ));
        assert_eq!(models.matches("crate::__borrowed_").count(), 1);
        // Real types from accessors.
        assert!(models.contains("pub fn radius(&self) -> Option<f64>"));
        assert!(!models.contains("Vec<Color>"));
        assert!(!models.contains("Unused"));
        let endpoints = text("tenant.rs");
        assert!(endpoints.contains(
            "fn list_shapes(&self) -> ::graph_endpoint::Paged<'_, crate::models::AnyShape>;"
        ));
        assert!(endpoints.contains("#[body] body: &crate::models::AnyShape"));
        assert!(endpoints.contains(r#"#[param("color")] color: &str"#));
        // Nullable parameters may be left out; collections are slices.
        assert!(endpoints.contains(r#"#[param("note")] note: ::core::option::Option<&str>"#));
        assert!(endpoints.contains(r#"#[param("layers")] layers: &[crate::models::Label]"#));
        assert!(models.contains("pub fn drawn(&self) -> Option<::time::OffsetDateTime>"));
        // The metadata tables, for validation and a stand-in.
        let metadata = text("metadata.rs");
        assert!(metadata.contains("\nP drawn Edm.DateTimeOffset DateTimeOffset -\n"));
        assert!(
            metadata.contains("\nO root/shapes/{}/paint beta paint a microsoft.graph.shape -\n")
        );
        assert!(text("prelude.rs").contains("pub use crate::models::ShapeSetters as _;"));
        assert!(endpoints.contains("::graph_endpoint::Collection<String>"));
    }
}
