//! The OData query options the stand-in understands on a collection:
//! `$top`, `$skip`, `$skiptoken`, `$select`, `$filter` (`eq`, `ne`,
//! `startswith`, `not`, `and`, `or`, parentheses; on a collection of the
//! surface also `lt`, `le`, `gt`, `ge` and `in`, on any primitive or enum
//! property, literals read as the property's type), `$orderby`, `$count` and
//! `$search`; and `$select` on one entity. What a query may name is its
//! [`Vocabulary`]: the seed's three properties, or a type of the surface.
//!
//! No option is parsed recursively. A `$filter`'s nesting is capped at
//! [`MAX_FILTER_DEPTH`] and its text at [`MAX_FILTER_LENGTH`], so a hostile or
//! machine-built filter is answered 400 instead of overflowing the stack of
//! the test process that hosts the stand-in (the matcher does recurse over
//! the parsed tree, whose height the cap bounds).

use percent_encoding::{NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use serde_json::{Map, Value};

use super::profiles::is_property;
use super::surface::surface;
use crate::reply::Failure;

/// The properties the seed's collection lets a filter, search or order name.
const FILTERABLE: &[&str] = &["id", "displayName", "description"];

/// The largest page a client may ask for.
pub const MAX_TOP: usize = 999;

/// How many levels a `$filter` may nest. Each parenthesis, each `not(` and
/// each switch between `and` and `or` in a chain opens a level (a chain of
/// one operator stays one level however long). 100 is far beyond a written
/// filter, and keeps the matcher and drop, which recurse over the parsed
/// tree, well within a 256 KiB thread stack even in a debug build.
pub const MAX_FILTER_DEPTH: usize = 100;

/// The longest `$filter` accepted, in bytes after percent-decoding: it bounds
/// the work of parsing and of matching every profile against the filter.
pub const MAX_FILTER_LENGTH: usize = 16 * 1024;

/// What a collection's query options may name.
#[derive(Debug, Clone, Copy)]
pub enum Vocabulary {
    /// The seed's collection: `id`, `displayName` and `description`, with
    /// `eq`, `ne` and `startswith`.
    Seed,
    /// A collection of a type of the surface: its primitive and enum
    /// properties (inherited ones included), every comparison.
    Typed(&'static str),
    /// A collection of a type the surface does not know: any property, as text.
    Untyped,
}

/// What a property holds, for comparing it with a literal.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Text,
    Boolean,
    Number,
    DateTimeOffset,
    Guid,
    /// `Edm.Date`, `Edm.TimeOfDay`, `Edm.Duration`: ordered as written.
    Ordered,
    /// An enum's members, in the order of their values.
    Enum(&'static [String]),
}

/// A literal of a filter, read as the property's kind.
#[derive(Debug, Clone)]
pub enum Literal {
    Null,
    Text(String),
    Number(f64),
    Bool(bool),
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    /// OData's name of the operator kind, as Graph's errors spell it.
    fn kind_name(self) -> &'static str {
        match self {
            CmpOp::Eq => "Equal",
            CmpOp::Ne => "NotEqual",
            CmpOp::Lt => "LessThan",
            CmpOp::Le => "LessThanOrEqual",
            CmpOp::Gt => "GreaterThan",
            CmpOp::Ge => "GreaterThanOrEqual",
        }
    }
}

impl Vocabulary {
    /// The kind of a property a filter or an order names (and its type's
    /// name), or the 400 Graph answers.
    fn comparable(self, property: &str) -> Result<(Kind, &'static str), Failure> {
        match self {
            Vocabulary::Seed => check_property(property).map(|()| (Kind::Text, "Edm.String")),
            Vocabulary::Untyped => Ok((Kind::Text, "Edm.String")),
            Vocabulary::Typed(ty) => {
                let s = surface();
                let Some((_, declared, _)) = s.property(ty, property) else {
                    return Err(bad(format!(
                        "Could not find a property named '{property}' on type '{ty}'."
                    )));
                };
                let kind = match declared.as_str() {
                    "Edm.String" | "Edm.Binary" => Kind::Text,
                    "Edm.Boolean" => Kind::Boolean,
                    "Edm.Byte" | "Edm.SByte" | "Edm.Int16" | "Edm.Int32" | "Edm.Int64"
                    | "Edm.Single" | "Edm.Double" | "Edm.Decimal" => Kind::Number,
                    "Edm.DateTimeOffset" => Kind::DateTimeOffset,
                    "Edm.Guid" => Kind::Guid,
                    "Edm.Date" | "Edm.TimeOfDay" | "Edm.Duration" => Kind::Ordered,
                    other => match s.enum_info(other) {
                        Some(e) if !e.flags => Kind::Enum(&e.members),
                        _ => {
                            return Err(bad(format!(
                                "The property '{property}' of type '{other}' on '{ty}' cannot be compared: $filter and $orderby take primitive and enum properties."
                            )));
                        }
                    },
                };
                Ok((kind, declared.as_str()))
            }
        }
    }

    /// Whether `$select` may name `property`.
    pub fn selectable(self, property: &str) -> bool {
        match self {
            Vocabulary::Seed => is_property(property),
            Vocabulary::Untyped => true,
            Vocabulary::Typed(ty) => surface().has_member(ty, property),
        }
    }

    /// The type named in errors.
    fn type_name(self) -> &'static str {
        match self {
            Vocabulary::Seed => "microsoft.graph.androidForWorkEnrollmentProfile",
            Vocabulary::Untyped => "microsoft.graph.entity",
            Vocabulary::Typed(ty) => ty,
        }
    }
}

#[derive(Debug)]
pub struct ListQuery {
    pub vocabulary: Vocabulary,
    pub top: Option<usize>,
    /// Where this page starts: `$skip` on the first request, `$skiptoken` after.
    pub offset: usize,
    pub select: Vec<String>,
    pub filter: Option<Expr>,
    /// The filter as the client sent it (decoded), carried into next links.
    pub filter_text: Option<String>,
    /// `$orderby`'s keys in order: property, kind, descending.
    pub orderby: Vec<(String, Kind, bool)>,
    pub count: bool,
    pub search: Option<String>,
    /// `$deltatoken` of a delta link.
    pub delta_token: Option<String>,
    /// `$skiptoken` as sent (delta pages carry their own form).
    pub skip_token: Option<String>,
}

#[derive(Debug)]
pub enum Expr {
    Compare(String, Kind, CmpOp, Literal),
    /// `property in (a, b, ...)`: equal to one of them.
    In(String, Kind, Vec<Literal>),
    StartsWith(String, String),
    /// A chain of `and`: every operand holds.
    All(Vec<Expr>),
    /// A chain of `or`: some operand holds.
    Any(Vec<Expr>),
    Not(Box<Expr>),
}

fn unsupported(message: impl Into<String>) -> Failure {
    Failure::bad_request("Request_UnsupportedQuery", message)
}

fn bad(message: impl Into<String>) -> Failure {
    Failure::bad_request("BadRequest", message)
}

/// An item of a list: an object as Graph stores one, or whatever a test
/// planted (kept and listed as it is).
pub trait Item {
    fn object(&self) -> Option<&Map<String, Value>>;
    fn to_value(&self) -> Value;
}

impl Item for Map<String, Value> {
    fn object(&self) -> Option<&Map<String, Value>> {
        Some(self)
    }
    fn to_value(&self) -> Value {
        Value::Object(self.clone())
    }
}

impl Item for Value {
    fn object(&self) -> Option<&Map<String, Value>> {
        self.as_object()
    }
    fn to_value(&self) -> Value {
        self.clone()
    }
}

impl ListQuery {
    /// The items that match, in `$orderby`'s order when there is one, and the
    /// page of them from `offset`, at most `top`, projected by `$select`: the
    /// page, whether more follow, and how many matched in all.
    pub fn sorted_page<'a, T: Item + 'a>(
        &self,
        items: impl Iterator<Item = &'a T>,
        offset: usize,
        top: usize,
    ) -> (Vec<Value>, bool, usize) {
        let mut matching: Vec<&T> = items.filter(|item| self.matches(*item)).collect();
        if !self.orderby.is_empty() {
            matching.sort_by(|a, b| {
                self.orderby
                    .iter()
                    .map(|(property, kind, descending)| {
                        let order = order_values(*kind, field(*a, property), field(*b, property));
                        if *descending { order.reverse() } else { order }
                    })
                    .find(|o| o.is_ne())
                    .unwrap_or(std::cmp::Ordering::Equal)
            });
        }
        let page: Vec<Value> = matching
            .iter()
            .skip(offset)
            .take(top)
            .map(|item| self.project(*item))
            .collect();
        let more = offset + page.len() < matching.len();
        (page, more, matching.len())
    }

    /// Reads the query string of a request for the seed's collection.
    pub fn parse(query: &str) -> Result<ListQuery, Failure> {
        ListQuery::parse_for(query, Vocabulary::Seed)
    }

    /// Reads the query string of a collection request.
    pub fn parse_for(query: &str, vocabulary: Vocabulary) -> Result<ListQuery, Failure> {
        let mut parsed = ListQuery {
            vocabulary,
            top: None,
            offset: 0,
            select: Vec::new(),
            filter: None,
            filter_text: None,
            orderby: Vec::new(),
            count: false,
            search: None,
            delta_token: None,
            skip_token: None,
        };
        let mut selected = std::collections::HashSet::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let name = percent_decode_str(name).decode_utf8_lossy();
            let value = percent_decode_str(value).decode_utf8_lossy().into_owned();
            match name.as_ref() {
                "$top" => {
                    parsed.top = Some(
                        value
                            .parse()
                            .ok()
                            .filter(|t| (1..=MAX_TOP).contains(t))
                            .ok_or_else(|| {
                                bad(format!(
                                    "Invalid value '{value}' for $top: use a number from 1 to {MAX_TOP}."
                                ))
                            })?,
                    );
                }
                "$skip" => {
                    parsed.offset = value
                        .parse()
                        .map_err(|_| bad(format!("Invalid value '{value}' for $skip.")))?;
                }
                "$skiptoken" => parsed.skip_token = Some(value),
                "$deltatoken" => parsed.delta_token = Some(value),
                "$select" => {
                    for property in value.split(',').map(str::trim) {
                        if property.is_empty() {
                            return Err(bad("Empty property in $select."));
                        }
                        // Repeats are dropped: each selected name costs work on
                        // every profile of a page, so a long list of one name
                        // must not multiply it.
                        if selected.insert(property.to_owned()) {
                            parsed.select.push(property.to_owned());
                        }
                    }
                }
                "$filter" => {
                    if value.len() > MAX_FILTER_LENGTH {
                        return Err(bad(format!(
                            "The $filter is {} bytes long; the limit is {MAX_FILTER_LENGTH}.",
                            value.len()
                        )));
                    }
                    parsed.filter = Some(Parser::new(&value, vocabulary).parse()?);
                    parsed.filter_text = Some(value);
                }
                "$orderby" => {
                    parsed.orderby.clear();
                    for key in value.split(',') {
                        let mut words = key.split_whitespace();
                        let property = words.next().unwrap_or_default();
                        let (kind, _) = vocabulary.comparable(property)?;
                        let descending = match words.next() {
                            None | Some("asc") => false,
                            Some("desc") => true,
                            Some(other) => {
                                return Err(bad(format!("Invalid order '{other}' in $orderby.")));
                            }
                        };
                        if words.next().is_some() {
                            return Err(bad(format!("Invalid $orderby key '{key}'.")));
                        }
                        parsed.orderby.push((property.to_owned(), kind, descending));
                    }
                }
                "$count" => {
                    parsed.count = match value.as_str() {
                        "true" => true,
                        "false" => false,
                        other => return Err(bad(format!("Invalid value '{other}' for $count."))),
                    }
                }
                "$search" => {
                    let terms = value.trim();
                    let terms = terms
                        .strip_prefix('"')
                        .and_then(|t| t.strip_suffix('"'))
                        .ok_or_else(|| {
                            bad("$search terms must be enclosed in double quotes: $search=\"kiosk\".")
                        })?;
                    parsed.search = Some(terms.to_owned());
                }
                other if other.starts_with('$') => {
                    let collection = vocabulary
                        .type_name()
                        .trim_start_matches("microsoft.graph.");
                    return Err(unsupported(format!(
                        "Query option '{other}' is not supported on '{collection}'."
                    )));
                }
                _ => {}
            }
        }
        Ok(parsed)
    }

    /// Whether the request needs `ConsistencyLevel: eventual` (advanced queries).
    pub fn is_advanced(&self) -> bool {
        self.count || self.search.is_some() || self.filter.as_ref().is_some_and(Expr::is_advanced)
    }

    pub fn matches(&self, item: &impl Item) -> bool {
        let Some(profile) = item.object() else {
            // What is not an object has no property to filter or search on.
            return self.filter.is_none() && self.search.is_none();
        };
        let filtered = self.filter.as_ref().is_none_or(|f| f.matches(profile));
        let searched = self.search.as_ref().is_none_or(|terms| {
            let terms = terms.to_lowercase();
            ["displayName", "description"]
                .iter()
                .any(|p| text(profile, p).is_some_and(|v| v.to_lowercase().contains(&terms)))
        });
        filtered && searched
    }

    /// The item with only the selected properties (and `id`, `@odata.type`).
    pub fn project(&self, item: &impl Item) -> Value {
        let Some(profile) = item.object().filter(|_| !self.select.is_empty()) else {
            return item.to_value();
        };
        let mut out = Map::new();
        for key in ["@odata.type", "id"] {
            if let Some(v) = profile.get(key) {
                out.insert(key.to_owned(), v.clone());
            }
        }
        for key in &self.select {
            if let Some(v) = profile.get(key) {
                out.insert(key.clone(), v.clone());
            }
        }
        Value::Object(out)
    }

    /// Refuses an advanced query (`$count`, `$search`, `ne`, `not`) asked
    /// without `ConsistencyLevel: eventual`, as Graph does.
    pub fn check_consistency(&self, eventual: bool) -> Result<(), Failure> {
        if self.is_advanced() && !eventual {
            return Err(unsupported(
                "$count, $search, ne and not are advanced queries: they need the header 'ConsistencyLevel: eventual'.",
            ));
        }
        Ok(())
    }

    /// Where the page starts: the offset a `$skiptoken` carries, or `$skip`.
    pub fn start(&self) -> Result<usize, Failure> {
        match &self.skip_token {
            Some(token) => token
                .parse()
                .map_err(|_| bad(format!("Invalid value '{token}' for $skiptoken."))),
            None => Ok(self.offset),
        }
    }

    /// Checks every `$select`ed property exists on the resource.
    pub fn check_select(&self) -> Result<(), Failure> {
        for property in &self.select {
            if !self.vocabulary.selectable(property) {
                return Err(bad(format!(
                    "Could not find a property named '{property}' on type '{}'.",
                    self.vocabulary.type_name()
                )));
            }
        }
        Ok(())
    }

    /// The query of the next page: the same options, the new position.
    pub fn next_query(&self, top: usize, skip_token: &str) -> String {
        let encode = |v: &str| utf8_percent_encode(v, NON_ALPHANUMERIC).to_string();
        let mut parts = vec![format!("$top={top}")];
        if !self.select.is_empty() {
            parts.push(format!("$select={}", encode(&self.select.join(","))));
        }
        if let Some(filter) = &self.filter_text {
            parts.push(format!("$filter={}", encode(filter)));
        }
        if !self.orderby.is_empty() {
            let keys: Vec<String> = self
                .orderby
                .iter()
                .map(|(property, _, descending)| {
                    let order = if *descending { " desc" } else { "" };
                    format!("{property}{order}")
                })
                .collect();
            parts.push(format!("$orderby={}", encode(&keys.join(","))));
        }
        if let Some(search) = &self.search {
            parts.push(format!("$search={}", encode(&format!("\"{search}\""))));
        }
        parts.push(format!("$skiptoken={}", encode(skip_token)));
        parts.join("&")
    }
}

fn field<'a, T: Item>(item: &'a T, property: &str) -> Option<&'a Value> {
    item.object().and_then(|o| o.get(property))
}

fn text<'a>(profile: &'a Map<String, Value>, property: &str) -> Option<&'a str> {
    profile.get(property).and_then(Value::as_str)
}

fn check_property(property: &str) -> Result<(), Failure> {
    if FILTERABLE.contains(&property) {
        Ok(())
    } else {
        Err(unsupported(format!(
            "Property '{property}' cannot be used in a query here: use one of {}.",
            FILTERABLE.join(", ")
        )))
    }
}

/// A stored value as a number: a JSON number, or a number written as text
/// (Int64 and Decimal under `IEEE754Compatible`).
fn number(value: &Value) -> Option<f64> {
    value
        .as_f64()
        .or_else(|| value.as_str().and_then(|t| t.parse().ok()))
}

fn instant(text: &str) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()
}

/// How a stored value compares with a literal; `None` when they cannot be
/// compared (absent, `null` against a value, or a value of another type,
/// such as one planted malformed).
fn compare(kind: Kind, value: Option<&Value>, literal: &Literal) -> Option<std::cmp::Ordering> {
    let value = value.filter(|v| !v.is_null());
    match (value, literal) {
        (None, Literal::Null) => Some(std::cmp::Ordering::Equal),
        (None, _) | (_, Literal::Null) => None,
        (Some(v), Literal::Text(t)) => {
            let v = v.as_str()?;
            match kind {
                Kind::DateTimeOffset => Some(instant(v)?.cmp(&instant(t)?)),
                Kind::Guid => Some(v.to_ascii_lowercase().cmp(&t.to_ascii_lowercase())),
                Kind::Enum(members) => {
                    let at = |m: &str| members.iter().position(|x| x == m);
                    match (at(v), at(t)) {
                        (Some(a), Some(b)) => Some(a.cmp(&b)),
                        _ => Some(v.cmp(t.as_str())),
                    }
                }
                _ => Some(v.cmp(t.as_str())),
            }
        }
        (Some(v), Literal::Number(n)) => number(v)?.partial_cmp(n),
        (Some(v), Literal::Bool(b)) => Some(v.as_bool()?.cmp(b)),
    }
}

/// The order of two stored values of a property: absent and `null` first,
/// then by the property's kind; values that cannot be compared keep their
/// order.
fn order_values(kind: Kind, a: Option<&Value>, b: Option<&Value>) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let a = a.filter(|v| !v.is_null());
    let b = b.filter(|v| !v.is_null());
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(a), Some(b)) => {
            let literal = match (kind, b) {
                (Kind::Number, b) => number(b).map(Literal::Number),
                (Kind::Boolean, Value::Bool(b)) => Some(Literal::Bool(*b)),
                (_, Value::String(s)) => Some(Literal::Text(s.clone())),
                _ => None,
            };
            literal
                .and_then(|l| compare(kind, Some(a), &l))
                .unwrap_or(Ordering::Equal)
        }
    }
}

impl Expr {
    fn matches(&self, profile: &Map<String, Value>) -> bool {
        use std::cmp::Ordering;
        match self {
            Expr::Compare(p, kind, op, literal) => {
                let order = compare(*kind, profile.get(p), literal);
                match op {
                    CmpOp::Eq => order == Some(Ordering::Equal),
                    CmpOp::Ne => order != Some(Ordering::Equal),
                    CmpOp::Lt => order == Some(Ordering::Less),
                    CmpOp::Le => matches!(order, Some(Ordering::Less | Ordering::Equal)),
                    CmpOp::Gt => order == Some(Ordering::Greater),
                    CmpOp::Ge => matches!(order, Some(Ordering::Greater | Ordering::Equal)),
                }
            }
            Expr::In(p, kind, literals) => literals
                .iter()
                .any(|l| compare(*kind, profile.get(p), l) == Some(Ordering::Equal)),
            Expr::StartsWith(p, v) => text(profile, p).is_some_and(|t| t.starts_with(v.as_str())),
            Expr::All(operands) => operands.iter().all(|e| e.matches(profile)),
            Expr::Any(operands) => operands.iter().any(|e| e.matches(profile)),
            Expr::Not(e) => !e.matches(profile),
        }
    }

    fn is_advanced(&self) -> bool {
        match self {
            Expr::Compare(_, _, CmpOp::Ne, _) | Expr::Not(_) => true,
            Expr::Compare(..) | Expr::In(..) | Expr::StartsWith(..) => false,
            Expr::All(operands) | Expr::Any(operands) => operands.iter().any(Expr::is_advanced),
        }
    }
}

/// The parser of the filters the stand-in supports.
///
/// It keeps the parentheses and `not(` it is inside on a heap stack of its
/// own instead of recursing: in a debug build each level of a recursive
/// descent took about 6 KB of thread stack, so a few hundred levels crashed
/// the process hosting the stand-in. Nesting is still refused past
/// [`MAX_FILTER_DEPTH`], which bounds the height of the tree that `matches`,
/// `is_advanced` and drop walk recursively.
struct Parser<'a> {
    rest: &'a str,
    whole: &'a str,
    vocabulary: Vocabulary,
}

/// A literal as written, before the property's kind reads it.
enum Raw {
    Quoted(String),
    /// `type'member'`.
    Enum(String, String),
    Bare(String),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    And,
    Or,
}

/// What an open level is: the whole filter, a parenthesis, or `not(`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Level {
    Top,
    Paren,
    Not,
}

/// A chain of terms joined by `and`/`or` being read on one level.
///
/// The chain is read left to right with one precedence, as the stand-in has
/// always read it: `a or b and c` is `(a or b) and c`. A run of one
/// operator becomes one n-ary node, so a long `or` list stays one level.
struct Chain {
    level: Level,
    /// The expression so far and the height of its tree (a comparison is 0;
    /// each `not` and each chain node above it adds 1).
    left: Option<(Expr, usize)>,
    /// The operator of the n-ary node `left` is, when this chain built it.
    op: Option<Op>,
    /// The operator read after `left`, waiting for its right-hand term.
    pending: Option<Op>,
}

impl Chain {
    fn new(level: Level) -> Chain {
        Chain {
            level,
            left: None,
            op: None,
            pending: None,
        }
    }

    /// Adds a term to the chain; returns the new height.
    fn push(&mut self, (right, right_height): (Expr, usize)) -> usize {
        let (left, height) = match (self.left.take(), self.pending.take()) {
            (Some((Expr::All(mut operands), height)), Some(Op::And))
                if self.op == Some(Op::And) =>
            {
                operands.push(right);
                (Expr::All(operands), height.max(right_height + 1))
            }
            (Some((Expr::Any(mut operands), height)), Some(Op::Or)) if self.op == Some(Op::Or) => {
                operands.push(right);
                (Expr::Any(operands), height.max(right_height + 1))
            }
            (Some((left, height)), Some(op)) => {
                self.op = Some(op);
                let height = height.max(right_height) + 1;
                match op {
                    Op::And => (Expr::All(vec![left, right]), height),
                    Op::Or => (Expr::Any(vec![left, right]), height),
                }
            }
            // The parser reads an operator only after a term, so a chain
            // without `left` has no operator pending either.
            (None, _) | (Some(_), None) => (right, right_height),
        };
        self.left = Some((left, height));
        height
    }
}

impl<'a> Parser<'a> {
    fn new(text: &'a str, vocabulary: Vocabulary) -> Self {
        Parser {
            rest: text,
            whole: text,
            vocabulary,
        }
    }

    fn invalid(&self) -> Failure {
        match self.vocabulary {
            Vocabulary::Seed => bad(format!(
                "Invalid filter clause: '{}'. The stand-in understands eq, ne, startswith, not, and, or and parentheses on {}.",
                self.whole,
                FILTERABLE.join(", ")
            )),
            _ => bad(format!(
                "Invalid filter clause: '{}'. The stand-in understands eq, ne, lt, le, gt, ge, in, startswith, not, and, or and parentheses.",
                self.whole
            )),
        }
    }

    fn too_deep(&self) -> Failure {
        bad(format!(
            "The $filter nests more than {MAX_FILTER_DEPTH} levels deep (each parenthesis, not() and switch between and/or is a level)."
        ))
    }

    fn parse(mut self) -> Result<Expr, Failure> {
        // The levels open around the current position, the whole filter first.
        let mut levels = vec![Chain::new(Level::Top)];
        loop {
            // A term is expected: open levels until a comparison.
            self.skip_spaces();
            let opened = if self.eat("(") {
                Level::Paren
            } else if self.eat_not() {
                Level::Not
            } else {
                Level::Top
            };
            if opened != Level::Top {
                if levels.len() > MAX_FILTER_DEPTH {
                    return Err(self.too_deep());
                }
                levels.push(Chain::new(opened));
                continue;
            }
            let mut term = (self.comparison()?, 0);
            // After a term: an operator goes on with the chain; otherwise
            // the chain ends, and with it its level, which is a term of the
            // level around it.
            loop {
                let Some(chain) = levels.last_mut() else {
                    return Err(self.invalid());
                };
                if chain.push(term) > MAX_FILTER_DEPTH {
                    return Err(self.too_deep());
                }
                if self.keyword("and") {
                    chain.pending = Some(Op::And);
                    break;
                }
                if self.keyword("or") {
                    chain.pending = Some(Op::Or);
                    break;
                }
                let Some(Chain {
                    level,
                    left: Some((expr, height)),
                    ..
                }) = levels.pop()
                else {
                    return Err(self.invalid());
                };
                if level == Level::Top {
                    return if self.rest.trim().is_empty() {
                        Ok(expr)
                    } else {
                        Err(self.invalid())
                    };
                }
                self.skip_spaces();
                if !self.eat(")") {
                    return Err(self.invalid());
                }
                term = if level == Level::Not {
                    (Expr::Not(Box::new(expr)), height + 1)
                } else {
                    (expr, height)
                };
            }
        }
    }

    /// `startswith(property,'value')`, `property in (...)`, or `property op
    /// literal` (op `eq`, `ne`, and for a typed collection `lt`, `le`, `gt`,
    /// `ge`), the literal read as the property's kind.
    fn comparison(&mut self) -> Result<Expr, Failure> {
        if self.eat("startswith(") {
            let (property, kind, ty) = self.identifier()?;
            if !matches!(kind, Kind::Text) {
                return Err(bad(format!(
                    "startswith takes a string property; '{property}' is {ty}."
                )));
            }
            self.skip_spaces();
            if !self.eat(",") {
                return Err(self.invalid());
            }
            self.skip_spaces();
            let value = match self.raw_literal()? {
                Raw::Quoted(value) => value,
                _ => return Err(self.invalid()),
            };
            self.skip_spaces();
            if !self.eat(")") {
                return Err(self.invalid());
            }
            return Ok(Expr::StartsWith(property, value));
        }
        let (property, kind, ty) = self.identifier()?;
        let seed = matches!(self.vocabulary, Vocabulary::Seed);
        if !seed && self.keyword("in") {
            self.skip_spaces();
            if !self.eat("(") {
                return Err(self.invalid());
            }
            let mut literals = Vec::new();
            loop {
                self.skip_spaces();
                let raw = self.raw_literal()?;
                literals.push(self.typed(kind, ty, CmpOp::Eq, raw)?);
                self.skip_spaces();
                if self.eat(")") {
                    break;
                }
                if !self.eat(",") {
                    return Err(self.invalid());
                }
            }
            return Ok(Expr::In(property, kind, literals));
        }
        let ops: &[(&str, CmpOp)] = if seed {
            &[("eq", CmpOp::Eq), ("ne", CmpOp::Ne)]
        } else {
            &[
                ("eq", CmpOp::Eq),
                ("ne", CmpOp::Ne),
                ("lt", CmpOp::Lt),
                ("le", CmpOp::Le),
                ("gt", CmpOp::Gt),
                ("ge", CmpOp::Ge),
            ]
        };
        let Some(op) = ops
            .iter()
            .find(|(word, _)| self.keyword(word))
            .map(|(_, op)| *op)
        else {
            return Err(self.invalid());
        };
        self.skip_spaces();
        let raw = self.raw_literal()?;
        if seed && !matches!(raw, Raw::Quoted(_)) {
            return Err(self.invalid());
        }
        let literal = self.typed(kind, ty, op, raw)?;
        Ok(Expr::Compare(property, kind, op, literal))
    }

    /// A literal as the property's kind reads it, or Graph's 400 for
    /// operands of incompatible types.
    fn typed(&self, kind: Kind, ty: &str, op: CmpOp, raw: Raw) -> Result<Literal, Failure> {
        let incompatible = |found: &str| {
            bad(format!(
                "A binary operator with incompatible types was detected. Found operand types '{ty}' and '{found}' for operator kind '{}'.",
                op.kind_name()
            ))
        };
        match (kind, raw) {
            (_, Raw::Bare(word)) if word == "null" => Ok(Literal::Null),
            (Kind::Text | Kind::Guid | Kind::Ordered, Raw::Quoted(text)) => Ok(Literal::Text(text)),
            (Kind::Enum(members), Raw::Quoted(text) | Raw::Enum(_, text)) => {
                if members.contains(&text) {
                    Ok(Literal::Text(text))
                } else {
                    Err(bad(format!(
                        "The string '{text}' is not a valid enumeration type constant of '{ty}'."
                    )))
                }
            }
            (Kind::Boolean, Raw::Bare(word)) if word == "true" || word == "false" => {
                Ok(Literal::Bool(word == "true"))
            }
            (Kind::Number, Raw::Bare(word)) => word
                .parse()
                .map(Literal::Number)
                .map_err(|_| incompatible("Edm.String")),
            (Kind::DateTimeOffset, Raw::Bare(word)) if instant(&word).is_some() => {
                Ok(Literal::Text(word))
            }
            (Kind::Guid | Kind::Ordered, Raw::Bare(word)) => Ok(Literal::Text(word)),
            (_, Raw::Quoted(_)) => Err(incompatible("Edm.String")),
            (_, Raw::Enum(enum_type, _)) => Err(incompatible(&enum_type)),
            (_, Raw::Bare(word)) => Err(incompatible(if word == "true" || word == "false" {
                "Edm.Boolean"
            } else if word.parse::<f64>().is_ok() {
                "Edm.Double"
            } else if instant(&word).is_some() {
                "Edm.DateTimeOffset"
            } else {
                "Edm.Untyped"
            })),
        }
    }

    /// A property the vocabulary lets the filter compare: name, kind, type.
    fn identifier(&mut self) -> Result<(String, Kind, &'static str), Failure> {
        self.skip_spaces();
        let end = self
            .rest
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(self.rest.len());
        let (name, rest) = self.rest.split_at(end);
        if name.is_empty() {
            return Err(self.invalid());
        }
        let (kind, ty) = self.vocabulary.comparable(name)?;
        self.rest = rest;
        Ok((name.to_owned(), kind, ty))
    }

    /// `'text'` (with `''` standing for one `'`), `type'member'` (an enum
    /// member, or `duration'P1D'`), or a bare word (`null`, `true`, a number,
    /// a date, a GUID).
    fn raw_literal(&mut self) -> Result<Raw, Failure> {
        if self.rest.starts_with('\'') {
            return self.literal().map(Raw::Quoted);
        }
        let end = self
            .rest
            .find(|c: char| c.is_whitespace() || matches!(c, ')' | ',' | '\''))
            .unwrap_or(self.rest.len());
        let (word, rest) = self.rest.split_at(end);
        if word.is_empty() {
            return Err(self.invalid());
        }
        self.rest = rest;
        if self.rest.starts_with('\'') {
            let text = self.literal()?;
            return Ok(if word == "duration" {
                Raw::Quoted(text)
            } else {
                Raw::Enum(word.to_owned(), text)
            });
        }
        Ok(Raw::Bare(word.to_owned()))
    }

    /// `'text'`, with `''` standing for one `'`.
    fn literal(&mut self) -> Result<String, Failure> {
        let Some(body) = self.rest.strip_prefix('\'') else {
            return Err(self.invalid());
        };
        let mut value = String::new();
        let mut chars = body.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c == '\'' {
                if matches!(chars.peek(), Some((_, '\''))) {
                    chars.next();
                    value.push('\'');
                    continue;
                }
                self.rest = &body[i + 1..];
                return Ok(value);
            }
            value.push(c);
        }
        Err(self.invalid())
    }

    fn keyword(&mut self, word: &str) -> bool {
        let trimmed = self.rest.trim_start();
        if trimmed.len() < self.rest.len()
            && let Some(after) = trimmed.strip_prefix(word)
            && after.starts_with(' ')
        {
            self.rest = after;
            return true;
        }
        false
    }

    fn eat(&mut self, token: &str) -> bool {
        match self.rest.strip_prefix(token) {
            Some(rest) => {
                self.rest = rest;
                true
            }
            None => false,
        }
    }

    fn skip_spaces(&mut self) {
        self.rest = self.rest.trim_start();
    }

    /// `not(` or `not (` (OData separates `not` from its operand with
    /// spaces, and services take both); a property such as `notes` is not one.
    fn eat_not(&mut self) -> bool {
        let Some(rest) = self
            .rest
            .strip_prefix("not")
            .and_then(|after| after.trim_start().strip_prefix('('))
        else {
            return false;
        };
        self.rest = rest;
        true
    }
}

/// Whether the request asks for `ConsistencyLevel: eventual`, which
/// `$count` and `$search` need.
pub(crate) fn wants_eventual_consistency(parts: &http::request::Parts) -> bool {
    parts
        .headers
        .get("consistencylevel")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("eventual"))
}

/// `$select` on one entity, of properties `is_property` knows; any other
/// query option is refused.
pub(crate) fn entity_select(
    parts: &http::request::Parts,
    vocabulary: Vocabulary,
) -> Result<Option<ListQuery>, Failure> {
    let query = parts.uri.query().unwrap_or_default();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let name = pair.split_once('=').map_or(pair, |(n, _)| n);
        let name = percent_decode_str(name).decode_utf8_lossy();
        if name.starts_with('$') && name != "$select" {
            return Err(Failure::bad_request(
                "Request_UnsupportedQuery",
                format!("Query option '{name}' is not supported here."),
            ));
        }
    }
    if query.is_empty() {
        return Ok(None);
    }
    let select = ListQuery::parse_for(query, vocabulary)?;
    select.check_select()?;
    Ok(Some(select))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn profile(name: &str) -> Map<String, Value> {
        json!({"id": "1", "displayName": name})
            .as_object()
            .unwrap()
            .clone()
    }

    #[test]
    fn filters_parse_and_match() {
        let q = ListQuery::parse("$filter=displayName%20eq%20%27O%27%27Neil%27").unwrap();
        assert!(q.matches(&profile("O'Neil")));
        assert!(!q.matches(&profile("ONeil")));
        let q = ListQuery::parse("$filter=(displayName eq 'a') or (startswith(displayName,'Lab'))")
            .unwrap();
        assert!(q.matches(&profile("a")));
        assert!(q.matches(&profile("Lab 1")));
        assert!(!q.matches(&profile("b")));
        assert!(ListQuery::parse("$filter=displayName gt 'a'").is_err());
        assert!(ListQuery::parse("$filter=secret eq 'a'").is_err());
        assert!(ListQuery::parse("$filter=displayName eq 'open").is_err());
    }

    /// A stack as small as a consumer's thread may have: a parser that
    /// recursed per level overflowed it with a few hundred levels.
    const SMALL_STACK: usize = 256 * 1024;

    /// Runs `check` on a thread with [`SMALL_STACK`]; a stack overflow there
    /// aborts the test process, so a pass means none happened.
    fn on_small_stack<T: Send + 'static>(check: impl FnOnce() -> T + Send + 'static) -> T {
        std::thread::Builder::new()
            .stack_size(SMALL_STACK)
            .spawn(check)
            .unwrap()
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    }

    /// Parses `query`, matches a profile against it, and drops it, timed.
    fn exercise(query: String) -> (Result<bool, Failure>, std::time::Duration) {
        let started = std::time::Instant::now();
        let outcome = ListQuery::parse(&query).map(|q| {
            let matched = q.matches(&profile("Kiosk"));
            let _ = q.is_advanced();
            let _ = q.next_query(10, "10");
            matched
        });
        (outcome, started.elapsed())
    }

    /// How a generated filter is wrapped, innermost first.
    #[derive(Debug, Clone, Copy)]
    enum Wrap {
        Paren,
        Not,
        /// `Filter::or`'s form: `(inner) or (leaf)`.
        OrFold,
        /// `Filter::and`'s form: `(inner) and (leaf)`.
        AndFold,
    }

    fn wrapped(wraps: &[Wrap]) -> String {
        wraps.iter().fold(
            "displayName eq 'Kiosk'".to_owned(),
            |inner, wrap| match wrap {
                Wrap::Paren => format!("({inner})"),
                Wrap::Not => format!("not({inner})"),
                Wrap::OrFold => format!("({inner}) or (id eq 'x')"),
                Wrap::AndFold => format!("({inner}) and (description ne 'y')"),
            },
        )
    }

    #[test]
    fn depth_limit_is_exact() {
        let leaf = "displayName eq 'a'";
        for (open, close) in [("(", ")"), ("not(", ")")] {
            let at = format!("$filter={}{leaf}{}", open.repeat(100), close.repeat(100));
            assert!(ListQuery::parse(&at).is_ok(), "{open} x 100");
            let over = format!("$filter={}{leaf}{}", open.repeat(101), close.repeat(101));
            let err = ListQuery::parse(&over).unwrap_err();
            assert_eq!((err.status, err.code), (400, "BadRequest"));
            assert!(
                err.message.contains("more than 100 levels"),
                "{}",
                err.message
            );
        }
        // Alternating and/or deepens the tree without any parenthesis.
        let alternating = |switches: usize| {
            (0..switches).fold(leaf.to_owned(), |acc, i| {
                let op = if i % 2 == 0 { "or" } else { "and" };
                format!("{acc} {op} {leaf}")
            })
        };
        assert!(ListQuery::parse(&format!("$filter={}", alternating(100))).is_ok());
        assert!(ListQuery::parse(&format!("$filter={}", alternating(101))).is_err());
        // One operator stays flat, however long the chain.
        let flat = (0..600).fold(leaf.to_owned(), |acc, _| format!("{acc} or {leaf}"));
        assert!(ListQuery::parse(&format!("$filter={flat}")).is_ok());
    }

    #[test]
    fn chains_keep_their_left_to_right_reading() {
        // `a or b and c` is `(a or b) and c`, as before chains were flattened.
        let q = ListQuery::parse(
            "$filter=displayName eq 'a' or displayName eq 'b' and description eq 'd'",
        )
        .unwrap();
        assert!(!q.matches(&profile("a")), "a, but no description 'd'");
        let q = ListQuery::parse(
            "$filter=displayName eq 'a' or displayName eq 'b' or displayName eq 'c' and id eq '1'",
        )
        .unwrap();
        assert!(q.matches(&profile("c")));
        assert!(q.matches(&profile("a")));
        let q = ListQuery::parse("$filter=not(displayName eq 'a') and not(displayName eq 'b')")
            .unwrap();
        assert!(q.matches(&profile("c")));
        assert!(!q.matches(&profile("b")));
        assert!(q.is_advanced());
    }

    #[test]
    fn repeated_select_is_kept_once() {
        let q = ListQuery::parse(&format!("$select={}", ["id"; 1000].join(","))).unwrap();
        assert_eq!(q.select, ["id"]);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 256,
            ..proptest::prelude::ProptestConfig::default()
        })]

        /// Any text as any query option, or as the whole query string, is
        /// parsed or refused with a 400: no panic, no overflow, quickly.
        #[test]
        fn arbitrary_query_text_never_panics(
            option in proptest::sample::select(vec![
                "$filter=", "$orderby=", "$select=", "$search=", "$top=", "$skip=", "",
            ]),
            text in proptest::prop_oneof![
                ".{0,300}",
                "[()a-zA-Z' ,%]{0,2000}",
                // Runs of openings first, so deep nesting is common.
                "(not\\(|\\(){0,300}(not\\(|\\(|\\)| and | or |displayName eq 'x'|startswith\\(id,'a'\\)){0,100}",
            ],
        ) {
            let (outcome, took) = on_small_stack(move || exercise(format!("{option}{text}")));
            if let Err(failure) = outcome {
                proptest::prop_assert_eq!(failure.status, 400);
            }
            proptest::prop_assert!(took < std::time::Duration::from_secs(2), "{took:?}");
        }

        /// Generated nestings of every kind, up to three times the limit:
        /// answered within the limit, refused past it, never overflowing.
        #[test]
        fn nested_filters_parse_within_the_depth_limit(
            wraps in proptest::collection::vec(
                proptest::sample::select(vec![Wrap::Paren, Wrap::Not, Wrap::OrFold, Wrap::AndFold]),
                0..300,
            ),
        ) {
            let depth = wraps.len();
            let filter = wrapped(&wraps);
            let (outcome, took) = on_small_stack(move || exercise(format!("$filter={filter}")));
            proptest::prop_assert!(took < std::time::Duration::from_secs(2), "{took:?}");
            match outcome {
                Ok(_) => proptest::prop_assert!(depth <= MAX_FILTER_DEPTH, "{depth} levels accepted"),
                Err(failure) => {
                    proptest::prop_assert!(depth > MAX_FILTER_DEPTH, "{depth} levels refused: {}", failure.message);
                    proptest::prop_assert_eq!((failure.status, failure.code), (400, "BadRequest"));
                }
            }
        }
    }
}
