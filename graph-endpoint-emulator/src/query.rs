//! The OData query options the stand-in understands on the collection:
//! `$top`, `$skip`, `$skiptoken`, `$select`, `$filter` (`eq`, `ne`,
//! `startswith`, `and`, `or`, parentheses), `$orderby`, `$count` and `$search`.

use percent_encoding::{NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use serde_json::{Map, Value};

use crate::envelope::Failure;

/// The properties a filter, search or order may name.
const FILTERABLE: &[&str] = &["id", "displayName", "description"];

/// The largest page a client may ask for.
pub const MAX_TOP: usize = 999;

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
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
}

fn unsupported(message: impl Into<String>) -> Failure {
    Failure::bad_request("Request_UnsupportedQuery", message)
}

fn bad(message: impl Into<String>) -> Failure {
    Failure::bad_request("BadRequest", message)
}

impl ListQuery {
    /// Reads the query string of a collection request.
    pub fn parse(query: &str) -> Result<ListQuery, Failure> {
        let mut parsed = ListQuery::default();
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
                        parsed.select.push(property.to_owned());
                    }
                }
                "$filter" => {
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
            Expr::And(a, b) => a.matches(profile) && b.matches(profile),
            Expr::Or(a, b) => a.matches(profile) || b.matches(profile),
            Expr::Not(e) => !e.matches(profile),
        }
    }

    fn is_advanced(&self) -> bool {
        match self {
            Expr::Ne(..) | Expr::Not(_) => true,
            Expr::Eq(..) | Expr::StartsWith(..) => false,
            Expr::And(a, b) | Expr::Or(a, b) => a.is_advanced() || b.is_advanced(),
        }
    }
}

/// A small recursive-descent parser for the filters the stand-in supports.
struct Parser<'a> {
    rest: &'a str,
    whole: &'a str,
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

    fn parse(mut self) -> Result<Expr, Failure> {
        let expr = self.expr()?;
        if !self.rest.trim().is_empty() {
            return Err(self.invalid());
        }
        Ok(expr)
    }

    fn expr(&mut self) -> Result<Expr, Failure> {
        let mut left = self.term()?;
        loop {
            if self.keyword("and") {
                left = Expr::And(Box::new(left), Box::new(self.term()?));
            } else if self.keyword("or") {
                left = Expr::Or(Box::new(left), Box::new(self.term()?));
            } else {
                return Ok(left);
            }
        }
    }

    fn term(&mut self) -> Result<Expr, Failure> {
        self.skip_spaces();
        if self.eat("(") {
            let inner = self.expr()?;
            self.skip_spaces();
            return if self.eat(")") {
                Ok(inner)
            } else {
                Err(self.invalid())
            };
        }
        if self.eat("not(") {
            let inner = self.expr()?;
            self.skip_spaces();
            return if self.eat(")") {
                Ok(Expr::Not(Box::new(inner)))
            } else {
                Err(self.invalid())
            };
        }
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
}
