//! Where a call's request goes: the API version and the URL, worked out
//! once per call from the client's parsed base URL, and the rules a followed
//! link (`@odata.nextLink`, a `Location`) must meet to receive the token.

use http::HeaderValue;

use crate::client::GraphClient;
use crate::endpoint::ApiVersion;
use crate::error::Error;
use crate::request::Request;

/// What every attempt of one call shares, worked out once per call.
pub(crate) struct Prepared {
    pub(crate) version: ApiVersion,
    pub(crate) url: reqwest::Url,
    pub(crate) client_request_id: HeaderValue,
}

/// The room, in bytes, that a call's URL template leaves for the path and
/// query after the base URL: most Graph URLs fit in it.
pub(crate) const URL_ROOM: usize = 192;

impl GraphClient {
    /// What every attempt of a request shares: the version, the URL, and the
    /// `client-request-id` as a header value.
    pub(crate) fn prepare(&self, request: &Request) -> Result<Prepared, Error> {
        let (version, url) = self.target(request)?;
        let client_request_id =
            HeaderValue::from_str(request.client_request_id()).map_err(|_| {
                invalid_request(
                    request,
                    "the client-request-id is not a valid header value".to_owned(),
                )
            })?;
        Ok(Prepared {
            version,
            url,
            client_request_id,
        })
    }

    /// The API version a request goes to. A followed link names its own, and
    /// is accepted only under this client's base URL: the token is never sent
    /// anywhere else.
    pub(crate) fn version_for(&self, request: &Request) -> Result<ApiVersion, Error> {
        match request.followed_link() {
            None => Ok(request.endpoint().version().unwrap_or(self.inner.version)),
            Some(link) => self
                .link_target(link)
                .map(|(version, _, _)| version)
                .map_err(|reason| invalid_request(request, reason)),
        }
    }

    /// A followed link, parsed: its version, its URL, and its path and query
    /// after the version root (what a `$batch` item names). It is judged as
    /// the HTTP stack will send it, after normalisation: it must stay on the
    /// client's origin and under its base path, so `..` in a link cannot
    /// reach past them.
    pub(crate) fn link_target(
        &self,
        link: &str,
    ) -> Result<(ApiVersion, reqwest::Url, String), String> {
        let inner = &*self.inner;
        let root = &inner.root;
        let refused = || {
            format!(
                "the link does not lead under the client's base URL {root}: the token is not sent elsewhere"
            )
        };
        let url = reqwest::Url::parse(link).map_err(|e| format!("the link does not parse: {e}"))?;
        if url.origin() != inner.url_template.origin() {
            return Err(refused());
        }
        let rest = url
            .path()
            .strip_prefix(inner.base_path.as_str())
            .filter(|rest| rest.starts_with('/'))
            .ok_or_else(refused)?;
        let (version, relative) = if let Some(relative) = rest.strip_prefix("/beta/") {
            (ApiVersion::Beta, relative)
        } else if let Some(relative) = rest.strip_prefix("/v1.0/") {
            (ApiVersion::V1, relative)
        } else {
            return Err("the link names no API version".to_owned());
        };
        let relative = match url.query() {
            Some(query) => format!("/{relative}?{query}"),
            None => format!("/{relative}"),
        };
        Ok((version, url, relative))
    }

    /// Whether `url` is on the client's origin and under its base path,
    /// judged on the parsed URL (after normalisation), never on its text:
    /// where the bearer token may go.
    pub(crate) fn is_under_base(&self, url: &reqwest::Url) -> bool {
        let inner = &*self.inner;
        url.origin() == inner.url_template.origin()
            && url
                .path()
                .strip_prefix(inner.base_path.as_str())
                .is_some_and(|rest| rest.starts_with('/'))
    }

    /// The version and the URL of a request. The URL is the client's parsed
    /// base with the call's path and query set: only they are parsed, not
    /// the scheme and host again (about a third of what parsing the whole
    /// URL costs). A followed link is parsed whole.
    fn target(&self, request: &Request) -> Result<(ApiVersion, reqwest::Url), Error> {
        let inner = &*self.inner;
        if let Some(link) = request.followed_link() {
            let (version, url, _) = self
                .link_target(link)
                .map_err(|reason| invalid_request(request, reason))?;
            return self.within_url_limit(request, version, url);
        }
        let version = self.version_for(request)?;
        let mut path = String::with_capacity(inner.base_path.len() + 6 + request.path().len());
        path.push_str(&inner.base_path);
        path.push('/');
        path.push_str(version.as_str());
        path.push_str(request.path());
        // The clone is as long as the template, so setting a path and query
        // up to that length rewrites the text in place instead of growing
        // it (a realloc or two, which cost more than the copy).
        let mut url = inner.url_template.clone();
        url.set_path(&path);
        if !request.query().is_empty() {
            url.set_query(Some(request.query()));
        }
        self.within_url_limit(request, version, url)
    }

    /// Refuses a URL longer than the client's limit before anything is sent:
    /// the service would refuse it anyway, after the bytes travelled.
    fn within_url_limit(
        &self,
        request: &Request,
        version: ApiVersion,
        url: reqwest::Url,
    ) -> Result<(ApiVersion, reqwest::Url), Error> {
        let (length, limit) = (url.as_str().len(), self.inner.max_url_bytes);
        if length > limit {
            return Err(invalid_request(
                request,
                format!(
                    "the URL would be {length} bytes long; the limit is {limit} bytes (`max_url_bytes`): a value this long belongs in a request body"
                ),
            ));
        }
        Ok((version, url))
    }
}

/// A request this client refuses to send, and why.
pub(crate) fn invalid_request(request: &Request, reason: String) -> Error {
    Error::InvalidRequest {
        endpoint: request.endpoint().name(),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::endpoint::{Endpoint, Method};
    use crate::request::RequestBuilder;

    static GET_USER: Endpoint = crate::endpoint::endpoint(
        "get_user",
        Method::Get,
        "/users/<id>",
        &[200],
        Some(ApiVersion::Beta),
        &[],
        &[],
    );

    #[test]
    fn the_url_goes_under_the_base_path_with_its_query() {
        let graph = GraphClient::builder()
            .base_url("http://127.0.0.1:9/graph/")
            .token("t0ken")
            .build()
            .unwrap();
        let mut request = RequestBuilder::new(&GET_USER);
        request.literal("/users/");
        request.value("id", &"a/b?c#d é");
        request.query("$select", &"id,displayName");
        let request = request.finish().unwrap();
        let prepared = graph.prepare(&request).unwrap();
        // The same URL parsing the whole text gives: the base's path kept,
        // the value still one segment, the query after it.
        let expected =
            "http://127.0.0.1:9/graph/beta/users/a%2Fb%3Fc%23d%20%C3%A9?$select=id%2CdisplayName";
        assert_eq!(prepared.url.as_str(), expected);
        assert_eq!(prepared.url, reqwest::Url::parse(expected).unwrap());
    }
}
