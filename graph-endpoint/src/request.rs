//! The description of one call: what `#[graph_action]` builds and a transport sends.

use std::fmt::{self, Display, Write as _};

use bytes::Bytes;
use http::{HeaderName, HeaderValue};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Serialize;

use crate::endpoint::Endpoint;
use crate::error::Error;
use crate::query::QueryOptions;

/// Everything but the unreserved characters of RFC 3986 is encoded, so a value
/// can never leave its path segment (`/ ? # %` and spaces included).
const PATH_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Query parameter names keep `$` readable (`$top`, `$filter`).
const QUERY_NAME: &AsciiSet = &PATH_VALUE.remove(b'$');

/// One call of a declared endpoint, ready to send: the filled and encoded path,
/// the query, the per-call headers, the JSON body and the `client-request-id`.
///
/// A [`Graph`](crate::Graph) transport receives it; test doubles can inspect it.
///
/// ```
/// # async fn demo() -> Result<(), graph_endpoint::Error> {
/// use graph_endpoint::{Graph, RawResponse, Request, Error};
///
/// /// A transport that answers every call with 204, to test code offline.
/// struct AlwaysNoContent;
///
/// impl Graph for AlwaysNoContent {
///     async fn send(&self, request: Request) -> Result<RawResponse, Error> {
///         assert!(request.path().starts_with("/deviceManagement/"));
///         Ok(RawResponse::new(graph_endpoint::http::StatusCode::NO_CONTENT, Default::default(), Default::default()))
///     }
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Request {
    endpoint: &'static Endpoint,
    path: String,
    query: String,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Option<Bytes>,
    client_request_id: ClientRequestId,
    /// Set when `path` holds a whole URL to follow verbatim (`@odata.nextLink`).
    link: bool,
    /// A body streamed from a reader, sent once (`#[body] StreamBody`).
    stream: Option<crate::body::StreamSlot>,
}

impl Request {
    /// A request whose path and query are already encoded, sent as they are.
    pub(crate) fn verbatim(
        endpoint: &'static Endpoint,
        path: String,
        query: String,
        body: Option<Bytes>,
    ) -> Request {
        Request {
            endpoint,
            path,
            query,
            headers: Vec::new(),
            body,
            client_request_id: ClientRequestId::new(),
            link: false,
            stream: None,
        }
    }

    /// The request for a link the service handed out (`@odata.nextLink`,
    /// `@odata.deltaLink`): same endpoint and headers, the link verbatim, a
    /// fresh `client-request-id`. Headers such as `ConsistencyLevel` are not
    /// carried by the service from page to page, so they are sent again.
    pub(crate) fn follow(&self, link: &str) -> Request {
        Request {
            headers: self.headers.clone(),
            ..Request::link(self.endpoint, link)
        }
    }

    /// A request that follows `link` verbatim for `endpoint`, without headers of its own.
    pub(crate) fn link(endpoint: &'static Endpoint, link: &str) -> Request {
        Request {
            endpoint,
            path: link.to_owned(),
            query: String::new(),
            headers: Vec::new(),
            body: None,
            client_request_id: ClientRequestId::new(),
            link: true,
            stream: None,
        }
    }

    /// Adds OData query options: merged into the query (an option replaces a
    /// declared parameter of the same name), plus `ConsistencyLevel: eventual`
    /// when an option needs it. A followed link already carries its options,
    /// so it only gets the header.
    pub(crate) fn apply_query(&mut self, options: &QueryOptions) -> Result<(), Error> {
        if self.endpoint.method() != crate::endpoint::Method::Get && !options.is_empty() {
            return Err(Error::InvalidRequest {
                endpoint: self.endpoint.name(),
                reason: format!(
                    "OData query options apply to GET; `{}` is {}",
                    self.endpoint.name(),
                    self.endpoint.method()
                ),
            });
        }
        if !self.link {
            self.query = options.merge_into(&self.query);
        }
        if options.needs_eventual_consistency()
            && !self
                .headers
                .iter()
                .any(|(name, _)| name.as_str().eq_ignore_ascii_case("consistencylevel"))
        {
            self.headers.push((
                HeaderName::from_static("consistencylevel"),
                HeaderValue::from_static("eventual"),
            ));
        }
        Ok(())
    }

    /// The link this request follows verbatim, when it follows one
    /// (`@odata.nextLink` or `@odata.deltaLink`); then [`path`](Self::path) is the same URL.
    pub fn followed_link(&self) -> Option<&str> {
        self.link.then_some(self.path.as_str())
    }

    /// The endpoint being called.
    pub fn endpoint(&self) -> &'static Endpoint {
        self.endpoint
    }

    /// The path after the version segment, placeholders filled and
    /// percent-encoded; for a followed link, the whole link.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The encoded query string, without `?` (empty when there is none).
    pub fn query(&self) -> &str {
        &self.query
    }

    /// Headers of this call: the endpoint's static headers, then the arguments marked `#[header]`.
    pub fn headers(&self) -> &[(HeaderName, HeaderValue)] {
        &self.headers
    }

    /// The JSON body, if the call has one.
    pub fn body(&self) -> Option<&Bytes> {
        self.body.as_ref()
    }

    /// Whether the body is streamed (`#[body] StreamBody`) rather than JSON.
    pub fn has_streamed_body(&self) -> bool {
        self.stream.is_some()
    }

    /// The streamed body's slot, which the first attempt empties.
    pub(crate) fn stream(&self) -> Option<&crate::body::StreamSlot> {
        self.stream.as_ref()
    }

    /// The `client-request-id` of this call (a fresh GUID, kept across retries).
    pub fn client_request_id(&self) -> &str {
        self.client_request_id.as_str()
    }

    /// The `client-request-id`, as a value a call can keep without allocating.
    pub(crate) fn client_request_id_value(&self) -> ClientRequestId {
        self.client_request_id
    }
}

/// A `client-request-id`: a fresh GUID as its 36 characters, held inline, so
/// a call can keep it for its error paths without allocating a string it
/// almost never needs.
#[derive(Clone, Copy)]
pub(crate) struct ClientRequestId([u8; 36]);

impl ClientRequestId {
    fn new() -> Self {
        let mut text = [0; 36];
        uuid::Uuid::new_v4().hyphenated().encode_lower(&mut text);
        ClientRequestId(text)
    }

    pub(crate) fn as_str(&self) -> &str {
        // `encode_lower` wrote ASCII, so this never falls back.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("endpoint", &self.endpoint.name())
            .field("method", &self.endpoint.method())
            .field("path", &self.path)
            .field("query", &self.query)
            .field("headers", &self.headers)
            .field("body_len", &self.body.as_ref().map(Bytes::len))
            .field("streamed_body", &self.stream.is_some())
            .field("client_request_id", &self.client_request_id.as_str())
            .finish()
    }
}

/// Builds a [`Request`] step by step; the code `#[graph_action]` generates calls it.
#[doc(hidden)]
pub struct RequestBuilder {
    endpoint: &'static Endpoint,
    path: String,
    query: String,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Option<Bytes>,
    stream: Option<crate::body::StreamSlot>,
    params: serde_json::Map<String, serde_json::Value>,
    /// Where the segment being built starts, once a value went into it: it
    /// is checked when it ends (see `segment_that_moves`).
    open_segment: Option<usize>,
    /// The first segment a value made empty, `.` or `..`.
    moved_segment: Option<(usize, usize)>,
    error: Option<String>,
}

impl RequestBuilder {
    /// Starts a request for `endpoint`.
    #[must_use]
    pub fn new(endpoint: &'static Endpoint) -> Self {
        let mut headers = Vec::with_capacity(endpoint.headers().len());
        let mut error = None;
        for (name, value) in endpoint.headers() {
            match (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(value),
            ) {
                (Ok(name), Ok(value)) => headers.push((name, value)),
                _ => error = Some(format!("static header `{name}` is not a valid header")),
            }
        }
        RequestBuilder {
            endpoint,
            path: String::with_capacity(endpoint.path().len() + 40),
            query: String::new(),
            headers,
            body: None,
            stream: None,
            params: serde_json::Map::new(),
            open_segment: None,
            moved_segment: None,
            error,
        }
    }

    /// Appends a literal part of the path template.
    pub fn literal(&mut self, part: &str) {
        if let Some(start) = self.open_segment
            && let Some(slash) = part.find('/')
        {
            self.close_segment(start, self.path.len() + slash, part);
        }
        self.path.push_str(part);
    }

    /// Checks the segment from `start` to `end` that a value went into; the
    /// part of `literal` before `end` is not pushed yet.
    fn close_segment(&mut self, start: usize, end: usize, literal: &str) {
        self.open_segment = None;
        let pushed = &self.path[start..];
        let rest = &literal[..end - self.path.len()];
        let moves = if rest.is_empty() {
            segment_moves(pushed)
        } else {
            segment_moves(&format!("{pushed}{rest}"))
        };
        if moves && self.moved_segment.is_none() {
            self.moved_segment = Some((start, end));
        }
    }

    /// Appends a placeholder's value, percent-encoded.
    pub fn value(&mut self, placeholder: &'static str, value: &dyn Display) {
        self.push_value(placeholder, value, false);
    }

    /// Appends a placeholder's value that stands inside an OData string literal
    /// (`'<name>'`): `'` is doubled, then the value is percent-encoded.
    pub fn quoted_value(&mut self, placeholder: &'static str, value: &dyn Display) {
        self.push_value(placeholder, value, true);
    }

    fn push_value(&mut self, placeholder: &'static str, value: &dyn Display, quoted: bool) {
        if self.open_segment.is_none() {
            self.open_segment = Some(self.path.rfind('/').map_or(0, |i| i + 1));
        }
        let mut encoder = SegmentEncoder {
            out: &mut self.path,
            quoted,
        };
        // Writing into a String cannot fail; a Display impl that fails is a bug of that type.
        if write!(encoder, "{value}").is_err() {
            self.error = Some(format!("the value of `<{placeholder}>` failed to format"));
        }
    }

    /// Adds a query parameter (`name=value`, both encoded).
    pub fn query(&mut self, name: &'static str, value: &dyn Display) {
        if !self.query.is_empty() {
            self.query.push('&');
        }
        self.query.extend(utf8_percent_encode(name, QUERY_NAME));
        self.query.push('=');
        let mut encoder = SegmentEncoder {
            out: &mut self.query,
            quoted: false,
        };
        if write!(encoder, "{value}").is_err() {
            self.error = Some(format!("the query parameter `{name}` failed to format"));
        }
    }

    /// Adds a header whose value comes from an argument.
    pub fn header(&mut self, name: &'static str, value: &dyn Display) {
        let value = value.to_string();
        match (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            (Ok(name), Ok(value)) => self.headers.push((name, value)),
            (Err(_), _) => self.error = Some(format!("`{name}` is not a valid header name")),
            (_, Err(_)) => {
                self.error = Some(format!(
                    "the value of header `{name}` is not a valid header value (line breaks or control characters)"
                ))
            }
        }
    }

    /// Adds one action parameter to the JSON object that becomes the body.
    pub fn param<T: Serialize + ?Sized>(&mut self, name: &'static str, value: &T) {
        match serde_json::to_value(value) {
            Ok(value) => {
                self.params.insert(name.to_owned(), value);
            }
            Err(e) => self.error = Some(format!("parameter `{name}` does not serialize: {e}")),
        }
    }

    /// Sets the JSON body.
    pub fn body<T: Serialize + ?Sized>(&mut self, value: &T) {
        match serde_json::to_vec(value) {
            Ok(bytes) => self.body = Some(Bytes::from(bytes)),
            Err(e) => self.error = Some(format!("the body does not serialize: {e}")),
        }
    }

    /// Sets a streamed body (`#[body] StreamBody`).
    pub fn stream_body(&mut self, body: crate::body::StreamBody) {
        self.stream = Some(crate::body::StreamSlot::new(body));
    }

    /// Finishes the request, or reports the first argument that could not be used.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRequest`], naming the argument, when a path value would
    /// make its segment empty, `.` or `..`; a header name or value is not valid
    /// (line breaks, control characters); a value fails to format; or the body
    /// or an action parameter does not serialize.
    pub fn finish(mut self) -> Result<Request, Error> {
        let endpoint = self.endpoint.name();
        if let Some(reason) = self.error {
            return Err(Error::InvalidRequest { endpoint, reason });
        }
        if let Some(start) = self.open_segment {
            let end = self.path.len();
            self.close_segment(start, end, "");
        }
        if let Some((start, end)) = self.moved_segment {
            return Err(Error::InvalidRequest {
                endpoint,
                reason: moved_segment_reason(self.endpoint.path(), &self.path, start, end),
            });
        }
        if !self.params.is_empty() {
            let bytes = serde_json::to_vec(&self.params).map_err(|e| Error::InvalidRequest {
                endpoint,
                reason: format!("the parameters do not serialize: {e}"),
            })?;
            self.body = Some(Bytes::from(bytes));
        }
        Ok(Request {
            endpoint: self.endpoint,
            path: self.path,
            query: self.query,
            headers: self.headers,
            body: self.body,
            client_request_id: ClientRequestId::new(),
            link: false,
            stream: self.stream,
        })
    }
}

/// Whether a complete segment would not stay the segment it is once the
/// URL is sent: empty (dropped by many servers), or `.` or `..` spelled
/// plainly or percent-encoded (`%2e`, `%2E%2e`, ...), which normalisation
/// removes or climbs with.
///
/// Only segments a value went into are checked, however many values and
/// literals they were assembled from (`<a><b>` with `.` and `.`, `.<a>` with
/// an empty value): the attribute refuses such segments in the literal text of
/// a template at compile time, and a value cannot add segments (its `/` is
/// encoded).
fn segment_moves(segment: &str) -> bool {
    segment.is_empty() || is_dot_segment(segment)
}

/// The error of a segment that moves: the template segment it was built
/// from (segment `i` of the path comes from segment `i` of the template) and
/// what it became.
fn moved_segment_reason(template: &str, path: &str, start: usize, end: usize) -> String {
    let index = path[..start].matches('/').count();
    let declared = template.split('/').nth(index).unwrap_or(template);
    let built = &path[start..end];
    let problem = if built.is_empty() {
        "empty"
    } else {
        "a dot segment"
    };
    format!(
        "the path segment `{declared}` would be {problem} (`{}`): it would name another resource; pass a value that is not empty, `.` or `..`",
        crate::error::quoted::Clipped(built)
    )
}

/// `.` or `..`, each dot written plainly or as `%2e`/`%2E`.
fn is_dot_segment(segment: &str) -> bool {
    let mut rest = segment.as_bytes();
    let mut dots = 0;
    while !rest.is_empty() {
        if rest[0] == b'.' {
            rest = &rest[1..];
        } else if rest.len() >= 3 && rest[..3].eq_ignore_ascii_case(b"%2e") {
            rest = &rest[3..];
        } else {
            return false;
        }
        dots += 1;
    }
    matches!(dots, 1 | 2)
}

/// Percent-encodes what a `Display` impl writes, as it writes it (no temporary string).
struct SegmentEncoder<'a> {
    out: &'a mut String,
    quoted: bool,
}

impl fmt::Write for SegmentEncoder<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        // Most values (ids, GUIDs, names) need no encoding: copied whole,
        // not byte by byte through the encoder.
        if s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
        {
            self.out.push_str(s);
            return Ok(());
        }
        if self.quoted {
            for (i, piece) in s.split('\'').enumerate() {
                if i > 0 {
                    // `'` doubled for OData, then encoded.
                    self.out.push_str("%27%27");
                }
                self.out.extend(utf8_percent_encode(piece, PATH_VALUE));
            }
        } else {
            self.out.extend(utf8_percent_encode(s, PATH_VALUE));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::endpoint::{Method, endpoint};

    static ENDPOINT: Endpoint = endpoint(
        "get_user",
        Method::Get,
        "/users/<id>",
        &[200],
        None,
        &[],
        &[],
    );

    fn build(f: impl FnOnce(&mut RequestBuilder)) -> Result<Request, Error> {
        let mut builder = RequestBuilder::new(&ENDPOINT);
        f(&mut builder);
        builder.finish()
    }

    #[test]
    fn values_cannot_leave_their_segment() {
        let request = build(|b| {
            b.literal("/users/");
            b.value("id", &"a/b?c#d%e f");
        })
        .unwrap();
        assert_eq!(request.path(), "/users/a%2Fb%3Fc%23d%25e%20f");
    }

    #[test]
    fn quoted_values_double_single_quotes() {
        let request = build(|b| {
            b.literal("/users('");
            b.quoted_value("id", &"o'neil@x.com");
            b.literal("')");
        })
        .unwrap();
        assert_eq!(request.path(), "/users('o%27%27neil%40x.com')");
    }

    #[test]
    fn dot_and_empty_segments_are_refused() {
        for bad in ["", ".", ".."] {
            let err = build(|b| {
                b.literal("/users/");
                b.value("id", &bad);
                b.literal("/manager");
            })
            .unwrap_err();
            assert!(matches!(err, Error::InvalidRequest { .. }), "{bad:?}");
        }
        // Inside a segment they are harmless.
        let ok = build(|b| {
            b.literal("/users/x");
            b.value("id", &"..");
        })
        .unwrap();
        assert_eq!(ok.path(), "/users/x..");
    }

    #[test]
    fn dot_segments_assembled_from_several_pieces_are_refused() {
        let cases: &[(&[&str], &[&str])] = &[
            (&["/things/", "", "", "/child"], &[".", "."]),
            (&["/things/.", "", "/child"], &["."]),
            (&["/things/.", "", "/child"], &[""]),
            (&["/things/", ".", "/child"], &[""]),
            (&["/things/%2e", "", "/child"], &[""]),
            (&["/things/%2E", "%2e"], &[""]),
            (&["/things/", "/child"], &[""]),
        ];
        for (literals, values) in cases {
            let err = build(|b| {
                for (i, literal) in literals.iter().enumerate() {
                    b.literal(literal);
                    if let Some(value) = values.get(i) {
                        b.value("v", value);
                    }
                }
            })
            .unwrap_err();
            assert!(
                err.to_string().contains("would name another resource"),
                "{literals:?} {values:?}: {err}"
            );
        }
        for segment in [".", "..", "%2e", "%2E%2e", ".%2E"] {
            assert!(is_dot_segment(segment), "{segment}");
        }
        for segment in ["...", "a.", "%2e%2e%2e", "%2", "%2f", "%252e"] {
            assert!(!is_dot_segment(segment), "{segment}");
        }
    }

    #[test]
    fn query_and_params() {
        let request = build(|b| {
            b.literal("/users");
            b.query("$top", &5);
            b.query("$filter", &"displayName eq 'a b'");
            b.param("tokenValidityInSeconds", &3600);
        })
        .unwrap();
        assert_eq!(
            request.query(),
            "$top=5&$filter=displayName%20eq%20%27a%20b%27"
        );
        assert_eq!(
            request.body().unwrap().as_ref(),
            br#"{"tokenValidityInSeconds":3600}"#
        );
    }

    #[test]
    fn header_values_with_line_breaks_are_refused() {
        let err = build(|b| b.header("x-custom", &"a\r\nInjected: 1")).unwrap_err();
        assert!(err.to_string().contains("x-custom"), "{err}");
    }
}
