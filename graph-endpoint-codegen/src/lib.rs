#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Deserialize;

pub mod csdl;
pub mod naming;
pub mod standin;
pub mod typed;

pub use naming::snake_case;
use naming::{pascal_case, safe_ident};

/// The documented permissions of an endpoint, least privileged first.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Permissions {
    /// Delegated, work or school account.
    #[serde(default)]
    pub delegated: Vec<String>,
    /// Delegated, personal Microsoft account.
    #[serde(default)]
    pub personal: Vec<String>,
    /// Application.
    #[serde(default)]
    pub application: Vec<String>,
}

/// One endpoint of the input list.
#[derive(Debug, Clone, Deserialize)]
pub struct EndpointSpec {
    /// `GET`, `POST`, `PUT`, `PATCH` or `DELETE`.
    pub method: String,
    /// The path with `{name}` placeholders.
    pub path: String,
    /// The documented success status.
    pub expect: u16,
    /// Whether the request has a body.
    #[serde(default)]
    pub has_body: bool,
    /// Whether the response has a body.
    #[serde(default)]
    pub returns_body: bool,
    /// `get`, `list`, `create`, `update`, `delete`, `action` or `function`.
    pub kind: String,
    /// `beta` or `v1.0`.
    pub version: String,
    /// The documentation page's title.
    #[serde(default)]
    pub title: Option<String>,
    /// The documentation page.
    #[serde(default)]
    pub doc: Option<String>,
    /// The documented permissions.
    #[serde(default)]
    pub permissions: Option<Permissions>,
}

/// Options of [`generate`].
#[derive(Debug, Clone)]
pub struct Options {
    /// Emit `impl Trait for ::graph_endpoint::GraphClient {}` for each trait (default true).
    pub implement_for_client: bool,
    /// Also emit `samples`: a function that calls every `sample_every`th endpoint
    /// with made-up arguments, for tests (default: none).
    pub sample_every: Option<usize>,
    /// Also emit `instantiated`: one plain `async fn` per endpoint that calls
    /// it on `GraphClient`, so its code is generated in this crate rather than
    /// where it is first used (for build-cost comparisons; default false).
    pub instantiate: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            implement_for_client: true,
            sample_every: None,
            instantiate: false,
        }
    }
}

/// Generates the typed surface: `(file name, text)` of each file of
/// `src/generated/`, from the CSDL (`beta`, completed by `fallback`, such as
/// v1.0) and the endpoint list; with the figures of the surface.
///
/// # Errors
///
/// The message of [`Csdl::parse`](csdl::Csdl::parse) when `beta` or
/// `fallback` is not well-formed XML.
pub fn generate_typed(
    beta: &str,
    fallback: Option<&str>,
    endpoints: &[EndpointSpec],
) -> Result<(Vec<(String, String)>, typed::Figures), String> {
    let mut metadata = csdl::Csdl::parse(beta)?;
    if let Some(fallback) = fallback {
        metadata.fill_from(csdl::Csdl::parse(fallback)?);
    }
    let surface = typed::Surface::new(&metadata, endpoints);
    Ok((surface.files(), surface.figures()))
}

/// [`generate_typed`] for a crate of another [`typed::Layout`]
/// ([`typed::DEVICE_APP_MANAGEMENT`]: its areas and which endpoint is in
/// which).
///
/// # Errors
///
/// As [`generate_typed`].
pub fn generate_typed_for(
    layout: typed::Layout,
    beta: &str,
    fallback: Option<&str>,
    endpoints: &[EndpointSpec],
) -> Result<(Vec<(String, String)>, typed::Figures), String> {
    let mut metadata = csdl::Csdl::parse(beta)?;
    if let Some(fallback) = fallback {
        metadata.fill_from(csdl::Csdl::parse(fallback)?);
    }
    let surface = typed::Surface::with_layout(&metadata, endpoints, layout);
    Ok((surface.files(), surface.figures()))
}

/// Reads an endpoint list.
///
/// # Errors
///
/// The [`serde_json::Error`] when `json` is not a JSON array of endpoints, or
/// an endpoint lacks a required field (`method`, `path`, `expect`, `kind`,
/// `version`) or has one of the wrong type.
pub fn parse(json: &str) -> Result<Vec<EndpointSpec>, serde_json::Error> {
    serde_json::from_str(json)
}

/// A declared endpoint, as generated.
#[derive(Debug, Clone)]
pub struct Declared {
    /// The trait it belongs to.
    pub trait_name: String,
    /// The method's name.
    pub method_name: String,
    /// The path template in `#[graph_action]` form.
    pub template: String,
    /// The argument names bound by placeholders, in path order.
    pub placeholders: Vec<String>,
    /// The input it came from.
    pub spec: EndpointSpec,
}

impl Declared {
    /// The name of the body argument: `body`, or `request_body` when a
    /// placeholder is already called `body`.
    #[must_use]
    pub fn body_argument(&self) -> &'static str {
        body_name(&self.placeholders)
    }

    /// The result type [`generate`] declares: `()` for no body,
    /// `::serde_json::Value` for a body, `::core::option::Option<::serde_json::Value>`
    /// where the documented status and body disagree.
    #[must_use]
    pub fn untyped_result(&self) -> &'static str {
        result_type(&self.spec)
    }

    /// Whether it is declared in the `v1` module (a v1.0 endpoint; beta is
    /// the default, at the top).
    #[must_use]
    pub fn in_v1(&self) -> bool {
        self.spec.version == "v1.0"
    }

    /// The path of its trait from where the traits are declared:
    /// `ManagedDevices`, or `v1::ManagedDevices` for a v1.0 endpoint.
    #[must_use]
    pub fn trait_path(&self) -> String {
        if self.in_v1() {
            format!("v1::{}", self.trait_name)
        } else {
            self.trait_name.clone()
        }
    }
}

/// Works out traits, names and templates for every endpoint.
#[must_use]
pub fn declare(endpoints: &[EndpointSpec]) -> Vec<Declared> {
    let keys: Vec<(&str, &str, &str)> = endpoints
        .iter()
        .map(|e| (e.path.as_str(), e.kind.as_str(), e.version.as_str()))
        .collect();
    let names = naming::method_names(&keys);
    endpoints
        .iter()
        .zip(names)
        .map(|(spec, method_name)| {
            let (template, placeholders) = template(&spec.path);
            let trait_name = trait_name(&spec.path);
            Declared {
                trait_name,
                method_name,
                template,
                placeholders,
                spec: spec.clone(),
            }
        })
        .collect()
}

/// Generates the Rust source: one trait per resource, beta endpoints at the
/// top and v1.0 endpoints in a module `v1` under the same names.
#[must_use]
pub fn generate(endpoints: &[EndpointSpec], options: &Options) -> String {
    let declared = declare(endpoints);
    let mut out = String::new();
    out.push_str("// Generated by graph-endpoint-codegen. Do not edit by hand.\n\n");
    write_traits(&mut out, declared.iter().filter(|d| !d.in_v1()), options);
    if declared.iter().any(Declared::in_v1) {
        out.push_str(
            "/// The v1.0 endpoints, under the same names as the beta ones.\npub mod v1 {\n#[allow(unused_imports)]\nuse super::*;\n\n",
        );
        write_traits(&mut out, declared.iter().filter(|d| d.in_v1()), options);
        out.push_str("}\n\n");
    }
    if let Some(every) = options.sample_every {
        write_samples(&mut out, &declared, every.max(1));
    }
    if options.instantiate {
        write_instantiated(&mut out, &declared);
    }
    out
}

fn write_traits<'a>(
    out: &mut String,
    declared: impl Iterator<Item = &'a Declared>,
    options: &Options,
) {
    let mut traits: BTreeMap<&str, Vec<&Declared>> = BTreeMap::new();
    for d in declared {
        traits.entry(d.trait_name.as_str()).or_default().push(d);
    }
    for (name, methods) in &traits {
        let _ = writeln!(
            out,
            "/// Endpoints under `{}`.",
            resource_root(&methods[0].spec.path)
        );
        let _ = writeln!(out, "pub trait {name}: ::graph_endpoint::Graph {{");
        for d in methods {
            write_method(out, d);
        }
        out.push_str("}\n\n");
        if options.implement_for_client {
            let _ = writeln!(out, "impl {name} for ::graph_endpoint::GraphClient {{}}\n");
        }
    }
}

fn write_instantiated(out: &mut String, declared: &[Declared]) {
    out.push_str("/// Every endpoint as a plain function on `GraphClient`.\npub mod instantiated {\n    use super::*;\n\n");
    let mut seen = std::collections::HashSet::new();
    for d in declared {
        let version = if d.in_v1() { "v1_" } else { "" };
        let mut name = format!("{version}{}_{}", snake_case(&d.trait_name), d.method_name);
        while !seen.insert(name.clone()) {
            name.push('_');
        }
        let mut params = vec!["graph: &::graph_endpoint::GraphClient".to_owned()];
        let mut args = vec!["graph".to_owned()];
        for p in &d.placeholders {
            params.push(format!("{p}: &str"));
            args.push(p.clone());
        }
        if d.spec.has_body {
            let body = body_name(&d.placeholders);
            params.push(format!("{body}: &::serde_json::Value"));
            args.push(body.to_owned());
        }
        let _ = writeln!(
            out,
            "    pub async fn {name}({}) -> ::core::result::Result<{}, ::graph_endpoint::Error> {{\n        \
             <::graph_endpoint::GraphClient as {}>::{}({}).await\n    }}\n",
            params.join(", "),
            result_type(&d.spec),
            d.trait_path(),
            d.method_name,
            args.join(", ")
        );
    }
    out.push_str("}\n");
}

fn write_method(out: &mut String, d: &Declared) {
    let spec = &d.spec;
    if let Some(title) = &spec.title {
        let _ = writeln!(out, "    /// {}", title.replace('\n', " "));
    }
    if let Some(doc) = &spec.doc {
        let _ = writeln!(out, "    ///\n    /// Documented in `{doc}`.");
    }
    let _ = writeln!(
        out,
        "    #[graph_action({}, {:?}, expect = {}, version = {:?})]",
        spec.method, d.template, spec.expect, spec.version
    );
    let mut args = vec!["&self".to_owned()];
    args.extend(d.placeholders.iter().map(|p| format!("{p}: &str")));
    if spec.has_body {
        args.push(format!(
            "#[body] {}: &::serde_json::Value",
            body_name(&d.placeholders)
        ));
    }
    let _ = writeln!(
        out,
        "    async fn {}({}) -> ::core::result::Result<{}, ::graph_endpoint::Error>;",
        d.method_name,
        args.join(", "),
        result_type(spec)
    );
}

/// `()` for no body, `Value` for a body, `Option<Value>` where the status and body disagree.
pub(crate) fn result_type(spec: &EndpointSpec) -> &'static str {
    let bodyless_status = matches!(spec.expect, 204 | 205 | 304);
    let content_status = matches!(spec.expect, 200 | 201 | 203 | 206);
    match (spec.returns_body, bodyless_status, content_status) {
        (true, false, _) => "::serde_json::Value",
        (false, _, false) => "()",
        _ => "::core::option::Option<::serde_json::Value>",
    }
}

pub(crate) fn body_name(placeholders: &[String]) -> &'static str {
    if placeholders.iter().any(|p| p == "body") {
        "request_body"
    } else {
        "body"
    }
}

fn write_samples(out: &mut String, declared: &[Declared], every: usize) {
    out.push_str(
        "/// Calls of every sampled endpoint with made-up arguments (`v0`, `v1`, ...) and\n\
         /// an empty JSON object as body, for tests: the endpoint, the path expected on the\n\
         /// wire after the version, and the call's result with the body dropped.\n\
         #[doc(hidden)]\n\
         pub mod samples {\n    #[allow(unused_imports)]\n    use super::*;\n\n",
    );
    out.push_str("    /// How many endpoints are sampled.\n");
    let sampled: Vec<(usize, &Declared)> = declared
        .iter()
        .enumerate()
        .filter(|(i, _)| i % every == 0)
        .collect();
    let _ = writeln!(out, "    pub const COUNT: usize = {};\n", sampled.len());
    out.push_str(
        "    /// Calls sample `n` (0-based).\n    pub async fn call(graph: &::graph_endpoint::GraphClient, n: usize) -> \
         (&'static ::graph_endpoint::Endpoint, &'static str, ::core::result::Result<(), ::graph_endpoint::Error>) {\n        match n {\n",
    );
    for (n, (_, d)) in sampled.iter().enumerate() {
        let mut args: Vec<String> = (0..d.placeholders.len())
            .map(|k| format!("\"v{k}\""))
            .collect();
        if d.spec.has_body {
            args.push("&::serde_json::json!({})".to_owned());
        }
        let mut wire = d.template.clone();
        for (k, p) in d.placeholders.iter().enumerate() {
            wire = wire.replace(&format!("<{p}>"), &format!("v{k}"));
        }
        let _ = writeln!(
            out,
            "            {n} => (<::graph_endpoint::GraphClient as {t}>::{c}, {wire:?}, {t}::{m}(graph, {a}).await.map(drop)),",
            t = d.trait_path(),
            c = d.method_name.to_uppercase(),
            m = d.method_name,
            a = args.join(", "),
        );
    }
    out.push_str(
        "            _ => panic!(\"no sample {n}: there are {COUNT}\"),\n        }\n    }\n}\n",
    );
}

/// `/deviceManagement/x/{a-b}/y/{a-b}` becomes `/deviceManagement/x/<a_b>/y/<a_b_2>`.
fn template(path: &str) -> (String, Vec<String>) {
    let mut out = String::with_capacity(path.len());
    let mut names: Vec<String> = Vec::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        let raw = &rest[start + 1..start + len];
        let base = safe_ident(&snake_case(raw));
        let mut name = base.clone();
        let mut n = 1;
        while names.contains(&name) {
            n += 1;
            name = format!("{base}_{n}");
        }
        let _ = write!(out, "<{name}>");
        names.push(name);
        rest = &rest[start + len + 1..];
    }
    out.push_str(rest);
    (out, names)
}

/// The segments that name things: no placeholders, casts reduced to their type.
fn named_segments(path: &str) -> Vec<String> {
    path.split('/')
        .filter(|s| !s.is_empty() && !s.starts_with('{'))
        .map(|s| {
            let s = s.split('(').next().unwrap_or(s);
            s.strip_prefix("microsoft.graph.").unwrap_or(s).to_owned()
        })
        .collect()
}

pub(crate) fn resource_root(path: &str) -> String {
    let segments = named_segments(path);
    match segments.len() {
        0 => "/".to_owned(),
        1 => format!("/{}", segments[0]),
        _ => format!("/{}/{}", segments[0], segments[1]),
    }
}

fn trait_name(path: &str) -> String {
    let segments = named_segments(path);
    let resource = segments
        .get(1)
        .or(segments.first())
        .map_or("Root", String::as_str);
    pascal_case(resource)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(method: &str, path: &str, kind: &str) -> EndpointSpec {
        EndpointSpec {
            method: method.into(),
            path: path.into(),
            expect: 200,
            has_body: false,
            returns_body: true,
            kind: kind.into(),
            version: "beta".into(),
            title: None,
            doc: None,
            permissions: None,
        }
    }

    #[test]
    fn repeated_placeholder_names_are_made_unique() {
        let (template, names) = template("/deviceManagement/a/{id}/b/{id}/c/{item-path}");
        assert_eq!(template, "/deviceManagement/a/<id>/b/<id_2>/c/<item_path>");
        assert_eq!(names, ["id", "id_2", "item_path"]);
    }

    #[test]
    fn traits_come_from_the_resource_and_names_from_the_rule() {
        let declared = declare(&[
            spec(
                "GET",
                "/deviceManagement/deviceCompliancePolicies/{deviceCompliancePolicyId}/assignments",
                "list",
            ),
            spec("GET", "/deviceManagement", "get"),
        ]);
        assert_eq!(declared[0].trait_name, "DeviceCompliancePolicies");
        assert_eq!(
            declared[0].method_name,
            "list_device_compliance_policy_assignments"
        );
        assert_eq!(declared[0].placeholders, ["device_compliance_policy_id"]);
        assert_eq!(declared[1].trait_name, "DeviceManagement");
        assert_eq!(declared[1].method_name, "get_device_management");
    }

    #[test]
    fn v1_endpoints_go_in_a_module_under_the_same_names() {
        let beta = spec("GET", "/deviceManagement/managedDevices", "list");
        let mut v1 = beta.clone();
        v1.version = "v1.0".into();
        let declared = declare(&[beta.clone(), v1.clone()]);
        assert_eq!(declared[0].method_name, declared[1].method_name);
        assert_eq!(declared[1].trait_path(), "v1::ManagedDevices");
        let code = generate(&[beta, v1], &Options::default());
        assert_eq!(code.matches("fn list_managed_devices(").count(), 2);
        assert!(code.contains("pub mod v1 {"));
        assert!(!code.contains("_2("));
    }

    #[test]
    fn result_types_agree_with_the_status() {
        let mut s = spec("POST", "/deviceManagement/x", "action");
        s.expect = 204;
        s.returns_body = false;
        assert_eq!(result_type(&s), "()");
        s.returns_body = true;
        assert_eq!(
            result_type(&s),
            "::core::option::Option<::serde_json::Value>"
        );
        s.expect = 200;
        assert_eq!(result_type(&s), "::serde_json::Value");
        s.returns_body = false;
        assert_eq!(
            result_type(&s),
            "::core::option::Option<::serde_json::Value>"
        );
    }
}
