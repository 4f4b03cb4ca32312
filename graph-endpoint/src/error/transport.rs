//! What a failed HTTP exchange is called in an error message: what happened
//! (connection refused, reset, a name that does not resolve, a body cut
//! short), and with which host and port, read from the HTTP stack's error
//! and the operating system's error beneath it.

use std::error::Error as _;
use std::io;

use crate::error::quoted::Clipped;

/// "connection refused by 127.0.0.1:9", "the response body broke off
/// (from graph.microsoft.com:443): connection reset", ...
///
/// Never the URL's path or query, which can hold user data; the full
/// error stays reachable through the error's `source()`.
pub(crate) fn describe(error: &reqwest::Error) -> String {
    let peer = error.url().and_then(|url| {
        let host = url.host_str()?;
        let port = url.port_or_known_default()?;
        Some(format!("{host}:{port}"))
    });
    let cause = root_cause(error);
    let what = if error.is_timeout() && error.is_connect() {
        "connecting timed out".to_owned()
    } else if error.is_timeout() {
        "the exchange timed out".to_owned()
    } else if error.is_connect() {
        match cause.io_kind {
            Some(io::ErrorKind::ConnectionRefused) => "connection refused".to_owned(),
            Some(io::ErrorKind::TimedOut) => "connecting timed out".to_owned(),
            Some(io::ErrorKind::AddrNotAvailable) => "no route to the address".to_owned(),
            _ if cause.text.contains("dns error") || cause.text.contains("lookup") => {
                format!("the host name did not resolve ({})", Clipped(&cause.text))
            }
            _ => format!(
                "the connection could not be opened ({})",
                Clipped(&cause.text)
            ),
        }
    } else if error.is_body() || error.is_decode() {
        format!("the response body broke off ({})", Clipped(&cause.text))
    } else {
        match cause.io_kind {
            Some(io::ErrorKind::ConnectionReset) => "the connection was reset".to_owned(),
            Some(io::ErrorKind::BrokenPipe) => "the connection was closed while sending".to_owned(),
            _ => format!("the exchange failed ({})", Clipped(&cause.text)),
        }
    };
    match peer {
        Some(peer) if error.is_connect() && what.starts_with("connection refused") => {
            format!("{what} by {peer}")
        }
        Some(peer) => format!("{what}, with {peer}"),
        None => what,
    }
}

/// The innermost error of the chain, and the operating system's error kind
/// if one is in the chain.
struct RootCause {
    text: String,
    io_kind: Option<io::ErrorKind>,
}

fn root_cause(error: &reqwest::Error) -> RootCause {
    let mut io_kind = None;
    let mut innermost: &(dyn std::error::Error + 'static) = error;
    let mut next = error.source();
    while let Some(source) = next {
        if let Some(io) = source.downcast_ref::<io::Error>() {
            io_kind = Some(io.kind());
        }
        innermost = source;
        next = source.source();
    }
    RootCause {
        // reqwest's own message names the whole URL: only a cause below it is quoted.
        text: if std::ptr::addr_eq(innermost, error as &dyn std::error::Error) {
            "no further detail".to_owned()
        } else {
            innermost.to_string()
        },
        io_kind,
    }
}
