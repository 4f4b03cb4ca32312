//! A URL as an error may show it: scheme, host, port and path, never the
//! query, the fragment or credentials. A storage URL's query is its
//! signature (`?sig=...`), and a Graph URL's query can hold user data, so
//! neither is ever printed.

/// `url` without its query, fragment and credentials.
pub(crate) fn shown(url: &reqwest::Url) -> String {
    let mut shown = url.clone();
    strip(&mut shown);
    shown.into()
}

/// Text that may be a URL, for an error message: parsed, as [`shown`];
/// otherwise cut before its first `?` or `#`, and before any `@` of
/// credentials in what is left.
pub(crate) fn shown_text(text: &str) -> String {
    if let Ok(url) = reqwest::Url::parse(text) {
        return shown(&url);
    }
    let cut = text.split(['?', '#']).next().unwrap_or_default();
    match cut.split_once("://") {
        Some((scheme, rest)) => {
            let after_credentials = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
            format!("{scheme}://{after_credentials}")
        }
        None => cut.to_owned(),
    }
}

/// The error of the HTTP stack with its URL's query, fragment and
/// credentials removed: reqwest keeps the whole URL and prints it in the
/// error's `Display` and `Debug`.
pub(crate) fn quiet(mut error: reqwest::Error) -> reqwest::Error {
    if let Some(url) = error.url_mut() {
        strip(url);
    }
    error
}

fn strip(url: &mut reqwest::Url) {
    url.set_query(None);
    url.set_fragment(None);
    // Only URLs with a host have credentials to remove; the others refuse both.
    let _ = url.set_username("");
    let _ = url.set_password(None);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_fragments_and_credentials_never_show() {
        let url =
            reqwest::Url::parse("https://user:pw@storage.example/r.zip?sig=SECRET#frag").unwrap();
        assert_eq!(shown(&url), "https://storage.example/r.zip");
        for (text, expected) in [
            (
                "https://storage.example/a?sig=SECRET",
                "https://storage.example/a",
            ),
            ("not a url?sig=SECRET", "not a url"),
            ("http://u:SECRET@[bad/x?sig=SECRET", "http://[bad/x"),
            ("/relative/op?sig=SECRET#f", "/relative/op"),
        ] {
            assert_eq!(shown_text(text), expected, "{text}");
        }
    }
}
