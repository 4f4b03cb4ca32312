//! The runtime's own redirect policy, as Graph's SDKs have it: 301, 302, 303,
//! 307 and 308 with a `Location` are followed, at most five times; a 303
//! becomes a GET without body; the token never goes to another origin, and
//! https never falls back to http.

use http::StatusCode;
use reqwest::Url;

/// Redirects followed at the most.
pub const MAX_REDIRECTS: usize = 5;

/// Where to go next, and how.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Hop {
    pub url: Url,
    /// 303: the next request is a GET without body.
    pub becomes_get: bool,
    /// False once the redirect leaves the origin (scheme, host and port) it came from.
    pub same_origin: bool,
}

pub(crate) fn is_redirect(status: StatusCode) -> bool {
    matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
}

/// Decides the next hop of a redirect, or why it is refused.
pub(crate) fn next_hop(
    current: &Url,
    location: &str,
    status: StatusCode,
    followed: usize,
) -> Result<Hop, String> {
    let next = current.join(location).map_err(|e| {
        format!(
            "the Location `{}` does not parse: {e}",
            crate::error::shown_url::shown_text(location)
        )
    })?;
    if followed >= MAX_REDIRECTS {
        return Err(format!(
            "more than {MAX_REDIRECTS} redirects (a loop?); the last pointed to {}",
            next.origin().ascii_serialization()
        ));
    }
    if current.scheme() == "https" && next.scheme() != "https" {
        return Err(format!(
            "refused a redirect from https to {}",
            next.scheme()
        ));
    }
    if !matches!(next.scheme(), "http" | "https") {
        return Err(format!(
            "refused a redirect to the scheme {}",
            next.scheme()
        ));
    }
    Ok(Hop {
        same_origin: next.origin() == current.origin(),
        becomes_get: status == StatusCode::SEE_OTHER,
        url: next,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn relative_and_absolute_locations() {
        let here = url("https://graph.microsoft.com/v1.0/reports/x");
        let hop = next_hop(&here, "/v1.0/reports/y", StatusCode::FOUND, 0).unwrap();
        assert_eq!(
            hop.url.as_str(),
            "https://graph.microsoft.com/v1.0/reports/y"
        );
        assert!(hop.same_origin && !hop.becomes_get);
        let hop = next_hop(
            &here,
            "https://files.example.net/r.csv",
            StatusCode::SEE_OTHER,
            0,
        )
        .unwrap();
        assert!(!hop.same_origin && hop.becomes_get);
    }

    #[test]
    fn origin_includes_scheme_and_port() {
        let here = url("http://127.0.0.1:8000/a");
        assert!(
            !next_hop(
                &here,
                "http://127.0.0.1:8001/a",
                StatusCode::TEMPORARY_REDIRECT,
                0
            )
            .unwrap()
            .same_origin
        );
        assert!(
            !next_hop(
                &here,
                "http://localhost:8000/a",
                StatusCode::TEMPORARY_REDIRECT,
                0
            )
            .unwrap()
            .same_origin
        );
    }

    #[test]
    fn refusals() {
        let secure = url("https://graph.microsoft.com/v1.0/x");
        assert!(
            next_hop(
                &secure,
                "http://graph.microsoft.com/v1.0/x",
                StatusCode::MOVED_PERMANENTLY,
                0
            )
            .unwrap_err()
            .contains("https to http")
        );
        assert!(next_hop(&secure, "file:///etc/passwd", StatusCode::FOUND, 0).is_err());
        assert!(
            next_hop(&secure, "/y", StatusCode::FOUND, MAX_REDIRECTS)
                .unwrap_err()
                .contains("more than 5")
        );
        assert!(next_hop(&secure, "/y", StatusCode::FOUND, MAX_REDIRECTS - 1).is_ok());
    }
}
