//! OData query options (`$select`, `$filter`, `$top`, ...) for any GET, and
//! filter expressions whose string literals are quoted correctly.

use std::fmt::{self, Write as _};

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Values are encoded like path values: everything but the RFC 3986 unreserved
/// characters, so `&`, `=`, `#`, `+` and spaces can never change the query's shape.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The OData query options of one GET: `$select`, `$filter`, `$expand`, `$top`,
/// `$skip`, `$orderby`, `$count` and `$search`.
///
/// Values are percent-encoded when the request is built. `$search` and `$count`
/// (and filters that use `ne`, `not` or `endsWith`) need the header
/// `ConsistencyLevel: eventual` on directory objects; it is added for them.
///
/// Per call, on any declared GET: [`Call::query`](crate::Call::query).
/// On a list: the same methods on [`Paged`](crate::Paged).
///
/// ```
/// use graph_endpoint::{Filter, QueryOptions};
///
/// let options = QueryOptions::new()
///     .select(["id", "displayName"])
///     .filter(Filter::starts_with("displayName", "O'Neil"))
///     .top(100)
///     .count();
/// assert_eq!(
///     options.to_query_string(),
///     "$select=id%2CdisplayName&$filter=startswith%28displayName%2C%27O%27%27Neil%27%29&$top=100&$count=true"
/// );
/// assert!(options.needs_eventual_consistency());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueryOptions {
    select: Vec<String>,
    filter: Option<String>,
    expand: Vec<String>,
    top: Option<u32>,
    skip: Option<u32>,
    orderby: Vec<String>,
    count: bool,
    search: Option<String>,
    eventual: bool,
}

impl QueryOptions {
    /// No options.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// `$select`: only these properties come back.
    #[must_use]
    pub fn select<I, S>(mut self, properties: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.select.extend(properties.into_iter().map(Into::into));
        self
    }

    /// `$filter`: a [`Filter`], or an expression written by hand (`String`/`&str`,
    /// sent as is: quote its literals with [`literal`]).
    #[must_use]
    pub fn filter(mut self, filter: impl Into<Filter>) -> Self {
        let filter = filter.into();
        self.eventual |= filter.needs_eventual;
        self.filter = Some(filter.expression);
        self
    }

    /// `$expand`: related entities to include.
    #[must_use]
    pub fn expand<I, S>(mut self, relations: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.expand.extend(relations.into_iter().map(Into::into));
        self
    }

    /// `$top`: the page size to ask for.
    #[must_use]
    pub fn top(mut self, top: u32) -> Self {
        self.top = Some(top);
        self
    }

    /// `$skip`: items to skip.
    #[must_use]
    pub fn skip(mut self, skip: u32) -> Self {
        self.skip = Some(skip);
        self
    }

    /// `$orderby`: a property, optionally followed by ` asc` or ` desc`.
    #[must_use]
    pub fn orderby(mut self, order: impl Into<String>) -> Self {
        self.orderby.push(order.into());
        self
    }

    /// `$count=true`: the total comes back as `@odata.count` on the first page.
    #[must_use]
    pub fn count(mut self) -> Self {
        self.count = true;
        self.eventual = true;
        self
    }

    /// `$search`: sent as `"terms"` (double quotes added when missing).
    #[must_use]
    pub fn search(mut self, terms: impl Into<String>) -> Self {
        let terms = terms.into();
        self.search = Some(if terms.starts_with('"') {
            terms
        } else {
            format!("\"{}\"", terms.replace('"', "\\\""))
        });
        self.eventual = true;
        self
    }

    /// Sends `ConsistencyLevel: eventual` even when no option needs it.
    #[must_use]
    pub fn eventual_consistency(mut self) -> Self {
        self.eventual = true;
        self
    }

    /// Whether the request needs `ConsistencyLevel: eventual`.
    #[must_use]
    pub fn needs_eventual_consistency(&self) -> bool {
        self.eventual
    }

    /// Whether no option is set.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        // One list of the options: the encoding's.
        self.to_query_string().is_empty()
    }

    /// These options with every option set in `later` replacing this one's.
    pub(crate) fn overlay(mut self, later: QueryOptions) -> QueryOptions {
        if !later.select.is_empty() {
            self.select = later.select;
        }
        if later.filter.is_some() {
            self.filter = later.filter;
        }
        if !later.expand.is_empty() {
            self.expand = later.expand;
        }
        self.top = later.top.or(self.top);
        self.skip = later.skip.or(self.skip);
        if !later.orderby.is_empty() {
            self.orderby = later.orderby;
        }
        if later.search.is_some() {
            self.search = later.search;
        }
        self.count |= later.count;
        self.eventual |= later.eventual;
        self
    }

    /// The encoded query string, without `?`.
    #[must_use]
    pub fn to_query_string(&self) -> String {
        let mut out = String::new();
        let mut push = |name: &str, value: &str| {
            if !out.is_empty() {
                out.push('&');
            }
            out.push_str(name);
            out.push('=');
            out.extend(utf8_percent_encode(value, QUERY_VALUE));
        };
        if !self.select.is_empty() {
            push("$select", &self.select.join(","));
        }
        if let Some(filter) = &self.filter {
            push("$filter", filter);
        }
        if !self.expand.is_empty() {
            push("$expand", &self.expand.join(","));
        }
        if let Some(top) = self.top {
            push("$top", &top.to_string());
        }
        if let Some(skip) = self.skip {
            push("$skip", &skip.to_string());
        }
        if !self.orderby.is_empty() {
            push("$orderby", &self.orderby.join(","));
        }
        if self.count {
            push("$count", "true");
        }
        if let Some(search) = &self.search {
            push("$search", search);
        }
        out
    }

    /// Merges these options into an encoded query: an option set here replaces
    /// a parameter of the same name already there (Graph refuses duplicates).
    pub(crate) fn merge_into(&self, query: &str) -> String {
        let ours = self.to_query_string();
        // The names of our options, read off our own encoded query.
        let names: Vec<&str> = ours
            .split('&')
            .filter_map(|pair| pair.split_once('=').map(|(name, _)| name))
            .collect();
        let mut merged = String::with_capacity(query.len() + ours.len() + 1);
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let name = pair.split_once('=').map_or(pair, |(n, _)| n);
            if names.contains(&name) {
                continue;
            }
            if !merged.is_empty() {
                merged.push('&');
            }
            merged.push_str(pair);
        }
        if !ours.is_empty() {
            if !merged.is_empty() {
                merged.push('&');
            }
            merged.push_str(&ours);
        }
        merged
    }
}

/// An OData string literal: `'` doubled, then wrapped in single quotes.
///
/// ```
/// assert_eq!(graph_endpoint::literal("O'Neil"), "'O''Neil'");
/// ```
#[must_use]
pub fn literal(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        if c == '\'' {
            out.push('\'');
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// A `$filter` expression with its string literals quoted for you.
///
/// ```
/// use graph_endpoint::Filter;
///
/// let filter = Filter::eq("displayName", "Kiosk 'A'").or(Filter::starts_with("displayName", "Lab"));
/// assert_eq!(filter.to_string(), "(displayName eq 'Kiosk ''A''') or (startswith(displayName,'Lab'))");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    expression: String,
    needs_eventual: bool,
}

impl Filter {
    /// An expression written by hand, sent as is.
    pub fn raw(expression: impl Into<String>) -> Filter {
        Filter {
            expression: expression.into(),
            needs_eventual: false,
        }
    }

    /// `property eq 'value'`.
    #[must_use]
    pub fn eq(property: &str, value: &str) -> Filter {
        Filter::raw(format!("{property} eq {}", literal(value)))
    }

    /// `property ne 'value'` (an advanced query: `ConsistencyLevel: eventual` is sent).
    #[must_use]
    pub fn ne(property: &str, value: &str) -> Filter {
        Filter {
            needs_eventual: true,
            ..Filter::raw(format!("{property} ne {}", literal(value)))
        }
    }

    /// `startswith(property,'value')`.
    #[must_use]
    pub fn starts_with(property: &str, value: &str) -> Filter {
        Filter::raw(format!("startswith({property},{})", literal(value)))
    }

    /// `endswith(property,'value')` (an advanced query: `ConsistencyLevel: eventual` is sent).
    #[must_use]
    pub fn ends_with(property: &str, value: &str) -> Filter {
        Filter {
            needs_eventual: true,
            ..Filter::raw(format!("endswith({property},{})", literal(value)))
        }
    }

    /// Both expressions.
    #[must_use]
    pub fn and(self, other: Filter) -> Filter {
        self.join("and", other)
    }

    /// Either expression.
    #[must_use]
    pub fn or(self, other: Filter) -> Filter {
        self.join("or", other)
    }

    /// `not(expression)` (an advanced query: `ConsistencyLevel: eventual` is sent).
    // Named as OData names it, beside `and` and `or`; `!filter` would hide
    // that it makes the query an advanced one.
    #[allow(clippy::should_implement_trait)]
    #[must_use]
    pub fn not(self) -> Filter {
        Filter {
            expression: format!("not({})", self.expression),
            needs_eventual: true,
        }
    }

    fn join(self, operator: &str, other: Filter) -> Filter {
        let mut expression =
            String::with_capacity(self.expression.len() + other.expression.len() + 10);
        let _ = write!(
            expression,
            "({}) {operator} ({})",
            self.expression, other.expression
        );
        Filter {
            expression,
            needs_eventual: self.needs_eventual || other.needs_eventual,
        }
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.expression)
    }
}

impl From<&str> for Filter {
    fn from(expression: &str) -> Filter {
        Filter::raw(expression)
    }
}

impl From<String> for Filter {
    fn from(expression: String) -> Filter {
        Filter::raw(expression)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_double_single_quotes() {
        assert_eq!(literal(""), "''");
        assert_eq!(literal("''"), "''''''");
        assert_eq!(
            Filter::eq("displayName", "a'b").to_string(),
            "displayName eq 'a''b'"
        );
    }

    #[test]
    fn values_cannot_break_out_of_the_query() {
        let q = QueryOptions::new().filter("a&$top=1#x").to_query_string();
        assert_eq!(q, "$filter=a%26%24top%3D1%23x");
    }

    #[test]
    fn merge_replaces_declared_parameters_of_the_same_name() {
        let options = QueryOptions::new().top(5).select(["id"]);
        assert_eq!(options.merge_into("$top=100&x=1"), "x=1&$select=id&$top=5");
        assert_eq!(QueryOptions::new().merge_into("$top=1"), "$top=1");
    }

    #[test]
    fn search_and_count_need_eventual_consistency() {
        assert!(!QueryOptions::new().top(1).needs_eventual_consistency());
        assert!(
            QueryOptions::new()
                .search("kiosk")
                .needs_eventual_consistency()
        );
        assert!(QueryOptions::new().count().needs_eventual_consistency());
        assert!(
            QueryOptions::new()
                .filter(Filter::ne("displayName", "x"))
                .needs_eventual_consistency()
        );
        assert_eq!(
            QueryOptions::new().search("kiosk").to_query_string(),
            "$search=%22kiosk%22"
        );
    }
}
