//! Graph's CSDL metadata (OData EDMX), the parts the typed surface needs.

use std::collections::{BTreeMap, HashMap};

/// An entity or complex type.
#[derive(Debug, Clone)]
pub struct TypeDef {
    /// Qualified name: `microsoft.graph.deviceConfiguration`.
    pub qname: String,
    /// Whether it is an entity type (else complex).
    pub entity: bool,
    /// The qualified base type.
    pub base: Option<String>,
    /// Whether it is abstract.
    pub is_abstract: bool,
    /// Structural properties, declared on this type only.
    pub properties: Vec<Property>,
    /// Navigation properties, declared on this type only.
    pub navigation: Vec<Property>,
}

/// A property or parameter: name and (qualified) type.
#[derive(Debug, Clone)]
pub struct Property {
    /// Wire name.
    pub name: String,
    /// Qualified type, `Collection(...)` kept.
    pub ty: String,
    /// Nullable (default true).
    pub nullable: bool,
}

/// An enum type.
#[derive(Debug, Clone)]
pub struct EnumDef {
    /// Qualified name.
    pub qname: String,
    /// `IsFlags`.
    pub flags: bool,
    /// Member names, in order.
    pub members: Vec<String>,
}

/// A bound action or function.
#[derive(Debug, Clone)]
pub struct Operation {
    /// Unqualified name.
    pub name: String,
    /// Action (POST) or function (GET).
    pub is_action: bool,
    /// Type of the binding parameter, `Collection(...)` kept.
    pub binding: String,
    /// The other parameters.
    pub params: Vec<Property>,
    /// The return type, if any.
    pub returns: Option<String>,
}

/// The metadata.
#[derive(Debug, Default)]
pub struct Csdl {
    /// Entity and complex types by qualified name.
    pub types: BTreeMap<String, TypeDef>,
    /// Enum types by qualified name.
    pub enums: BTreeMap<String, EnumDef>,
    /// Bound operations by name.
    pub operations: HashMap<String, Vec<Operation>>,
    /// Entity sets and singletons of the container: name to (type, is collection).
    pub roots: HashMap<String, (String, bool)>,
    /// `Core.Description` annotations by target.
    pub descriptions: HashMap<String, String>,
}

fn qualify(ty: &str, aliases: &HashMap<String, String>) -> String {
    if let Some(inner) = ty
        .strip_prefix("Collection(")
        .and_then(|t| t.strip_suffix(')'))
    {
        return format!("Collection({})", qualify(inner, aliases));
    }
    match ty.split_once('.') {
        Some((prefix, rest)) => match aliases.get(prefix) {
            Some(ns) => format!("{ns}.{rest}"),
            None => ty.to_owned(),
        },
        None => ty.to_owned(),
    }
}

impl Csdl {
    /// Parses a CSDL document.
    ///
    /// # Errors
    ///
    /// `not XML: ...` when `xml` is not a well-formed XML document (DTDs are
    /// allowed). Elements it does not know are skipped, not errors.
    pub fn parse(xml: &str) -> Result<Csdl, String> {
        let doc = roxmltree::Document::parse_with_options(
            xml,
            roxmltree::ParsingOptions {
                allow_dtd: true,
                ..Default::default()
            },
        )
        .map_err(|e| format!("not XML: {e}"))?;
        let mut csdl = Csdl::default();
        let schemas: Vec<_> = doc
            .descendants()
            .filter(|n| n.has_tag_name("Schema"))
            .collect();
        let mut aliases = HashMap::new();
        for schema in &schemas {
            let ns = schema.attribute("Namespace").unwrap_or_default().to_owned();
            if let Some(alias) = schema.attribute("Alias") {
                aliases.insert(alias.to_owned(), ns.clone());
            }
        }
        for schema in &schemas {
            let ns = schema.attribute("Namespace").unwrap_or_default();
            for node in schema.children().filter(|n| n.is_element()) {
                let name = node.attribute("Name").unwrap_or_default();
                let qname = format!("{ns}.{name}");
                let props = |tag: &str| -> Vec<Property> {
                    node.children()
                        .filter(|c| c.has_tag_name(tag))
                        .map(|c| Property {
                            name: c.attribute("Name").unwrap_or_default().to_owned(),
                            ty: qualify(c.attribute("Type").unwrap_or_default(), &aliases),
                            nullable: c.attribute("Nullable") != Some("false"),
                        })
                        .collect()
                };
                match node.tag_name().name() {
                    tag @ ("EntityType" | "ComplexType") => {
                        csdl.types.insert(
                            qname.clone(),
                            TypeDef {
                                qname,
                                entity: tag == "EntityType",
                                base: node.attribute("BaseType").map(|b| qualify(b, &aliases)),
                                is_abstract: node.attribute("Abstract") == Some("true"),
                                properties: props("Property"),
                                navigation: props("NavigationProperty"),
                            },
                        );
                    }
                    "EnumType" => {
                        csdl.enums.insert(
                            qname.clone(),
                            EnumDef {
                                qname,
                                flags: node.attribute("IsFlags") == Some("true"),
                                members: node
                                    .children()
                                    .filter(|c| c.has_tag_name("Member"))
                                    .filter_map(|c| c.attribute("Name").map(str::to_owned))
                                    .collect(),
                            },
                        );
                    }
                    tag @ ("Action" | "Function") => {
                        if node.attribute("IsBound") != Some("true") {
                            continue;
                        }
                        let mut params = props("Parameter");
                        if params.is_empty() {
                            continue;
                        }
                        let binding = params.remove(0).ty;
                        let returns = node
                            .children()
                            .find(|c| c.has_tag_name("ReturnType"))
                            .and_then(|r| r.attribute("Type"))
                            .map(|t| qualify(t, &aliases));
                        csdl.operations
                            .entry(name.to_owned())
                            .or_default()
                            .push(Operation {
                                name: name.to_owned(),
                                is_action: tag == "Action",
                                binding,
                                params,
                                returns,
                            });
                    }
                    "EntityContainer" => {
                        for set in node.children().filter(|c| c.is_element()) {
                            let (Some(set_name), Some(ty)) = (
                                set.attribute("Name"),
                                set.attribute("EntityType").or(set.attribute("Type")),
                            ) else {
                                continue;
                            };
                            csdl.roots.insert(
                                set_name.to_owned(),
                                (qualify(ty, &aliases), set.has_tag_name("EntitySet")),
                            );
                        }
                    }
                    "Annotations" => {
                        let Some(target) = node.attribute("Target") else {
                            continue;
                        };
                        for a in node.children().filter(|c| c.has_tag_name("Annotation")) {
                            if a.attribute("Term") == Some("Org.OData.Core.V1.Description")
                                && let Some(text) = a.attribute("String")
                            {
                                csdl.descriptions
                                    .insert(qualify(target, &aliases), text.to_owned());
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        Ok(csdl)
    }

    /// Adds what `other` has and this does not (types, enums, operations, roots).
    pub fn fill_from(&mut self, other: Csdl) {
        for (k, v) in other.types {
            self.types.entry(k).or_insert(v);
        }
        for (k, v) in other.enums {
            self.enums.entry(k).or_insert(v);
        }
        for (k, v) in other.operations {
            self.operations.entry(k).or_insert(v);
        }
        for (k, v) in other.roots {
            self.roots.entry(k).or_insert(v);
        }
        for (k, v) in other.descriptions {
            self.descriptions.entry(k).or_insert(v);
        }
    }

    /// The type and its ancestors, nearest first.
    #[must_use]
    pub fn lineage(&self, qname: &str) -> Vec<&TypeDef> {
        let mut out = Vec::new();
        let mut next = self.types.get(qname);
        while let Some(t) = next {
            if out.iter().any(|o: &&TypeDef| o.qname == t.qname) {
                break;
            }
            out.push(t);
            next = t.base.as_deref().and_then(|b| self.types.get(b));
        }
        out
    }

    /// A property (structural or navigation) of the type or an ancestor.
    #[must_use]
    pub fn find_property(&self, qname: &str, name: &str) -> Option<&Property> {
        self.lineage(qname).into_iter().find_map(|t| {
            t.properties
                .iter()
                .chain(&t.navigation)
                .find(|p| p.name == name)
        })
    }
}
