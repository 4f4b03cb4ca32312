//! The OData query options the stand-in understands on a collection:
//! `$top`, `$skip`, `$skiptoken`, `$select`, `$filter` (`eq`, `ne`,
//! `startswith`, `not`, `and`, `or`, parentheses), `$orderby`, `$count` and
//! `$search` (which need `ConsistencyLevel: eventual`); and `$select` on
//! one entity.
//!
//! No option is parsed recursively. A `$filter`'s nesting is capped at
//! [`MAX_FILTER_DEPTH`] and its text at [`MAX_FILTER_LENGTH`], so a hostile or
//! machine-built filter is answered 400 instead of overflowing the stack of
//! the test process that hosts the stand-in (the matcher does recurse over
//! the parsed tree, whose height the cap bounds).

use percent_encoding::{NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use serde_json::{Map, Value};

use crate::reply::Failure;

/// The properties a filter, search or order may name.
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

#[derive(Debug, Default)]
pub struct ListQuery {
    pub top: Option<usize>,
    /// Where this page starts: `$skip` on the first request, `$skiptoken` after.
    pub offset: usize,
    pub select: Vec<String>,
    pub filter: Option<Expr>,
    /// The filter as the client sent it (decoded), carried into next links.
    pub filter_text: Option<String>,
    pub orderby: Option<(String, bool)>,
    pub count: bool,
    pub search: Option<String>,
    /// `$deltatoken` of a delta link.
    pub delta_token: Option<String>,
    /// `$skiptoken` as sent (delta pages carry their own form).
    pub skip_token: Option<String>,
}

#[derive(Debug)]
pub enum Expr {
    Eq(String, String),
    Ne(String, String),
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

impl ListQuery {
    /// The items that match, in `$orderby`'s order (by the property's text)
    /// when there is one, and the page of them from `offset`, at most `top`,
    /// projected by `$select`: the page, whether more follow, and how many
    /// matched in all.
    pub fn sorted_page<'a>(
        &self,
        items: impl Iterator<Item = &'a Map<String, Value>>,
        offset: usize,
        top: usize,
    ) -> (Vec<Value>, bool, usize) {
        let mut matching: Vec<&Map<String, Value>> =
            items.filter(|item| self.matches(item)).collect();
        if let Some((property, descending)) = &self.orderby {
            let text = |item: &Map<String, Value>| {
                item.get(property)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            };
            matching.sort_by_key(|item| text(item));
            if *descending {
                matching.reverse();
            }
        }
        let page: Vec<Value> = matching
            .iter()
            .skip(offset)
            .take(top)
            .map(|item| self.project(item))
            .collect();
        let more = offset + page.len() < matching.len();
        (page, more, matching.len())
    }

    /// Reads the query string of a collection request.
    pub fn parse(query: &str) -> Result<ListQuery, Failure> {
        let mut parsed = ListQuery::default();
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
                    parsed.filter = Some(Parser::new(&value).parse()?);
                    parsed.filter_text = Some(value);
                }
                "$orderby" => {
                    let mut words = value.split_whitespace();
                    let property = words.next().unwrap_or_default();
                    check_property(property)?;
                    let descending = match words.next() {
                        None | Some("asc") => false,
                        Some("desc") => true,
                        Some(other) => {
                            return Err(bad(format!("Invalid order '{other}' in $orderby.")));
                        }
                    };
                    parsed.orderby = Some((property.to_owned(), descending));
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
                    return Err(unsupported(format!(
                        "Query option '{other}' is not supported on 'androidForWorkEnrollmentProfiles'."
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

    pub fn matches(&self, profile: &Map<String, Value>) -> bool {
        let filtered = self.filter.as_ref().is_none_or(|f| f.matches(profile));
        let searched = self.search.as_ref().is_none_or(|terms| {
            let terms = terms.to_lowercase();
            ["displayName", "description"]
                .iter()
                .any(|p| text(profile, p).is_some_and(|v| v.to_lowercase().contains(&terms)))
        });
        filtered && searched
    }

    /// The profile with only the selected properties (and `id`, `@odata.type`).
    pub fn project(&self, profile: &Map<String, Value>) -> Value {
        if self.select.is_empty() {
            return Value::Object(profile.clone());
        }
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
    pub fn check_select(&self, is_property: fn(&str) -> bool) -> Result<(), Failure> {
        for property in &self.select {
            if !is_property(property) {
                return Err(bad(format!(
                    "Could not find a property named '{property}' on type 'microsoft.graph.androidForWorkEnrollmentProfile'."
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
        if let Some((property, descending)) = &self.orderby {
            let order = if *descending { " desc" } else { "" };
            parts.push(format!(
                "$orderby={}",
                encode(&format!("{property}{order}"))
            ));
        }
        if let Some(search) = &self.search {
            parts.push(format!("$search={}", encode(&format!("\"{search}\""))));
        }
        parts.push(format!("$skiptoken={}", encode(skip_token)));
        parts.join("&")
    }
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

impl Expr {
    fn matches(&self, profile: &Map<String, Value>) -> bool {
        match self {
            Expr::Eq(p, v) => text(profile, p) == Some(v.as_str()),
            Expr::Ne(p, v) => text(profile, p) != Some(v.as_str()),
            Expr::StartsWith(p, v) => text(profile, p).is_some_and(|t| t.starts_with(v.as_str())),
            Expr::All(operands) => operands.iter().all(|e| e.matches(profile)),
            Expr::Any(operands) => operands.iter().any(|e| e.matches(profile)),
            Expr::Not(e) => !e.matches(profile),
        }
    }

    fn is_advanced(&self) -> bool {
        match self {
            Expr::Ne(..) | Expr::Not(_) => true,
            Expr::Eq(..) | Expr::StartsWith(..) => false,
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
    fn new(text: &'a str) -> Self {
        Parser {
            rest: text,
            whole: text,
        }
    }

    fn invalid(&self) -> Failure {
        bad(format!(
            "Invalid filter clause: '{}'. The stand-in understands eq, ne, startswith, not, and, or and parentheses on {}.",
            self.whole,
            FILTERABLE.join(", ")
        ))
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
            } else if self.eat("not(") {
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

    /// `startswith(property,'value')`, `property eq 'value'` or `property ne 'value'`.
    fn comparison(&mut self) -> Result<Expr, Failure> {
        if self.eat("startswith(") {
            let property = self.identifier()?;
            self.skip_spaces();
            if !self.eat(",") {
                return Err(self.invalid());
            }
            self.skip_spaces();
            let value = self.literal()?;
            self.skip_spaces();
            if !self.eat(")") {
                return Err(self.invalid());
            }
            return Ok(Expr::StartsWith(property, value));
        }
        let property = self.identifier()?;
        if self.keyword("eq") {
            self.skip_spaces();
            Ok(Expr::Eq(property, self.literal()?))
        } else if self.keyword("ne") {
            self.skip_spaces();
            Ok(Expr::Ne(property, self.literal()?))
        } else {
            Err(self.invalid())
        }
    }

    fn identifier(&mut self) -> Result<String, Failure> {
        self.skip_spaces();
        let end = self
            .rest
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(self.rest.len());
        let (name, rest) = self.rest.split_at(end);
        if name.is_empty() {
            return Err(self.invalid());
        }
        check_property(name)?;
        self.rest = rest;
        Ok(name.to_owned())
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
    is_property: fn(&str) -> bool,
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
    let select = ListQuery::parse(query)?;
    select.check_select(is_property)?;
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
