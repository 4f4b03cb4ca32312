//! The authorization code flow with PKCE (RFC 7636, S256) for a public
//! client: the browser signs the user in and comes back to a listener on
//! 127.0.0.1 with the code, which is exchanged for tokens with the verifier.

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use tokio::net::{TcpListener, TcpStream};

use crate::auth::delegated::{Context, Interactive, Session, Settings, SignInFuture, encode};
use crate::auth::secret::{AccessToken, SecretString};
use crate::auth::{TokenFuture, TokenSource};
use crate::error::identity::IdentityError;
use crate::http_stack::HttpStack;

/// How long the browser has by default to come back with a code.
///
/// ```
/// assert_eq!(graph_endpoint::DEFAULT_AUTHORIZATION_WAIT.as_secs(), 300);
/// ```
pub const DEFAULT_AUTHORIZATION_WAIT: Duration = Duration::from_secs(300);
/// The largest request head read from the browser.
const MAX_REDIRECT_HEAD_BYTES: usize = 8 * 1024;
/// How long one connection to the listener may take to send its request.
const REDIRECT_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// The host of the loopback redirect URI. The listener is on 127.0.0.1 (and
/// on ::1 where this machine has IPv6, on the same port) either way.
///
/// ```
/// use graph_endpoint::{AuthorizationCode, RedirectHost};
/// let sign_in = AuthorizationCode::new("contoso", "app-id").redirect_host(RedirectHost::LoopbackIp);
/// # drop(sign_in);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum RedirectHost {
    /// `http://localhost:PORT`, as app registrations usually list it.
    #[default]
    Localhost,
    /// `http://127.0.0.1:PORT`.
    LoopbackIp,
}

type Opener = Arc<dyn Fn(&str) + Send + Sync>;

/// Signs a user in through their browser: the authorization code flow with
/// PKCE, for a public client (no secret), redirected to a listener on this
/// machine.
///
/// ```
/// use graph_endpoint::{AuthorizationCode, GraphClient};
///
/// let sign_in = AuthorizationCode::new("contoso.onmicrosoft.com", "app-id")
///     .scopes(["DeviceManagementConfiguration.Read.All"])
///     .on_open(|url| eprintln!("Open this address to sign in: {url}"));
/// let graph = GraphClient::builder().token_source(sign_in).build().unwrap();
/// # drop(graph);
/// ```
///
/// An interactive sign-in:
/// 1. a listener is bound on `127.0.0.1` and, where this machine has IPv6,
///    on `::1` with the same port (an ephemeral port unless
///    [`port`](Self::port) says otherwise), so that a browser reaches it
///    whichever address `localhost` gives first; the redirect URI is
///    `http://localhost:PORT` (or `http://127.0.0.1:PORT`, see
///    [`redirect_host`](Self::redirect_host));
/// 2. a random PKCE verifier (32 bytes), its S256 challenge and a random
///    `state` (16 bytes) are made, and the authorize URL
///    (`{authority}/{tenant}/oauth2/v2.0/authorize?client_id=...&response_type=code&redirect_uri=...&scope=...&state=...&code_challenge=...&code_challenge_method=S256`)
///    is handed to the [`on_open`](Self::on_open) callback (by default
///    printed on standard error; open it in a browser);
/// 3. the listener waits, at most [`wait_timeout`](Self::wait_timeout)
///    (default 5 minutes), for `GET /?code=...&state=...`, serving each
///    connection in a task of its own (10 s and 8 KiB each at most, so an
///    idle connection holds up no other): a redirect whose `state` is not
///    the one sent (a stale tab, a forged request) is answered 400 and
///    waited past, an `error` with the right `state` (such as
///    `access_denied` when consent was declined) fails the sign-in with that
///    error, other requests are answered 404 or 400 and waited past;
/// 4. the code is exchanged at the token endpoint with `grant_type=authorization_code`,
///    `client_id`, `code`, `redirect_uri` and `code_verifier`.
///
/// Refresh, rotation, the cache and the fallback to an interactive sign-in
/// work as for [`DeviceCode`](crate::DeviceCode). The code, the verifier and
/// the refresh token are redacted in `Debug` and never logged.
pub struct AuthorizationCode {
    session: Session,
    open: Opener,
    redirect_host: RedirectHost,
    port: u16,
    wait_timeout: Duration,
}

impl fmt::Debug for AuthorizationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizationCode")
            .field("settings", &self.session.settings)
            .field("redirect_host", &self.redirect_host)
            .field("port", &self.port)
            .field("wait_timeout", &self.wait_timeout)
            .finish_non_exhaustive()
    }
}

impl AuthorizationCode {
    /// Signs in to `tenant` with the public client app `client_id`, on the
    /// global cloud.
    ///
    /// ```
    /// use graph_endpoint::AuthorizationCode;
    /// let sign_in = AuthorizationCode::new("contoso", "app-id");
    /// assert_eq!(sign_in.authorize_url(), "https://login.microsoftonline.com/contoso/oauth2/v2.0/authorize");
    /// ```
    pub fn new(tenant: impl Into<String>, client_id: impl Into<String>) -> Self {
        AuthorizationCode {
            session: Session::new(Settings::new(tenant.into(), client_id.into())),
            open: Arc::new(|url: &str| {
                eprintln!("To sign in, open this address in a browser:\n{url}");
            }),
            redirect_host: RedirectHost::Localhost,
            port: 0,
            wait_timeout: DEFAULT_AUTHORIZATION_WAIT,
        }
    }

    /// Takes the user to the authorize URL (default: printed on standard
    /// error). Called once per interactive sign-in, once the listener is up.
    ///
    /// ```
    /// use graph_endpoint::AuthorizationCode;
    /// let sign_in = AuthorizationCode::new("contoso", "app-id")
    ///     .on_open(|url| println!("Sign in at {url}"));
    /// # drop(sign_in);
    /// ```
    #[must_use]
    pub fn on_open(mut self, open: impl Fn(&str) + Send + Sync + 'static) -> Self {
        self.open = Arc::new(open);
        self
    }

    /// The host named in the redirect URI (default `localhost`).
    ///
    /// ```
    /// use graph_endpoint::{AuthorizationCode, RedirectHost};
    /// let sign_in = AuthorizationCode::new("contoso", "app-id").redirect_host(RedirectHost::Localhost);
    /// # drop(sign_in);
    /// ```
    #[must_use]
    pub fn redirect_host(mut self, host: RedirectHost) -> Self {
        self.redirect_host = host;
        self
    }

    /// The port of the listener on 127.0.0.1 (default 0: an ephemeral port).
    ///
    /// ```
    /// use graph_endpoint::AuthorizationCode;
    /// let sign_in = AuthorizationCode::new("contoso", "app-id").port(8400);
    /// # drop(sign_in);
    /// ```
    #[must_use]
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// How long the browser has to come back with a code (default
    /// [`DEFAULT_AUTHORIZATION_WAIT`]); then the sign-in fails with `timeout`.
    ///
    /// ```
    /// use graph_endpoint::AuthorizationCode;
    /// let sign_in = AuthorizationCode::new("contoso", "app-id")
    ///     .wait_timeout(std::time::Duration::from_secs(120));
    /// # drop(sign_in);
    /// ```
    #[must_use]
    pub fn wait_timeout(mut self, timeout: Duration) -> Self {
        self.wait_timeout = timeout;
        self
    }

    /// The authorization endpoint (without the query the sign-in adds).
    ///
    /// ```
    /// use graph_endpoint::{AuthorizationCode, Cloud};
    /// let sign_in = AuthorizationCode::new("contoso", "app-id").cloud(Cloud::China);
    /// assert_eq!(sign_in.authorize_url(), "https://login.chinacloudapi.cn/contoso/oauth2/v2.0/authorize");
    /// ```
    pub fn authorize_url(&self) -> String {
        format!(
            "{}/{}/oauth2/v2.0/authorize",
            self.session.settings.authority(),
            self.session.settings.tenant
        )
    }
}

crate::auth::delegated::delegated_settings!(AuthorizationCode);

/// `n` random bytes, base64url without padding.
fn random_b64(n: usize) -> Result<String, Box<IdentityError>> {
    let mut bytes = vec![0u8; n];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| {
        Box::new(IdentityError::undescribed(
            "client_error",
            "the system's random number generator failed".to_owned(),
            0,
        ))
    })?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// The S256 challenge of a PKCE verifier: base64url(SHA-256(verifier)).
fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        verifier.as_bytes(),
    ))
}

fn client_error(what: &str, error: &io::Error) -> Box<IdentityError> {
    Box::new(IdentityError::undescribed(
        "client_error",
        format!("{what}: {error}"),
        0,
    ))
}

struct Flow<'a> {
    open: &'a Opener,
    redirect_host: RedirectHost,
    port: u16,
    wait_timeout: Duration,
}

impl Interactive for Flow<'_> {
    fn sign_in<'a>(&'a self, context: &'a Context<'a>) -> SignInFuture<'a> {
        Box::pin(async move {
            let settings = context.settings;
            let mut authorize = settings.url("authorize")?;
            let token_url = settings.url("token")?;
            let verifier = SecretString::new(random_b64(32)?);
            let state = random_b64(16)?;
            let listeners = Listeners::bind(self.port).await?;
            let port = listeners.port;
            let host = match self.redirect_host {
                RedirectHost::Localhost => "localhost",
                RedirectHost::LoopbackIp => "127.0.0.1",
            };
            let redirect_uri = format!("http://{host}:{port}");
            let scope = settings.scope();
            authorize
                .query_pairs_mut()
                .append_pair("client_id", &settings.client_id)
                .append_pair("response_type", "code")
                .append_pair("redirect_uri", &redirect_uri)
                .append_pair("response_mode", "query")
                .append_pair("scope", &scope)
                .append_pair("state", &state)
                .append_pair("code_challenge", &challenge(verifier.expose()))
                .append_pair("code_challenge_method", "S256");
            (self.open)(authorize.as_str());
            let code = tokio::time::timeout(self.wait_timeout, listeners.wait_for_code(&state))
                .await
                .map_err(|_| {
                    Box::new(IdentityError::undescribed(
                        "timeout",
                        format!(
                            "the browser did not come back to {redirect_uri} within {} s; sign in again",
                            self.wait_timeout.as_secs()
                        ),
                        0,
                    ))
                })??;
            drop(listeners);
            let form = format!(
                "grant_type=authorization_code&client_id={}&code={}&redirect_uri={}&code_verifier={}&scope={}",
                encode(&settings.client_id),
                encode(code.expose()),
                encode(&redirect_uri),
                encode(verifier.expose()),
                encode(&scope)
            );
            context.token(&token_url, &form).await
        })
    }
}

/// What a request to the listener carried.
enum Redirect {
    /// The code, with the right state.
    Code(SecretString),
    /// Not a redirect of this sign-in's answer: waited past.
    Other,
}

/// How many connections to the listener are served at once; more wait to
/// be accepted until one ends (each ends within [`REDIRECT_READ_TIMEOUT`]).
const MAX_REDIRECT_CONNECTIONS: usize = 32;

/// How many times an ephemeral port is drawn again when `::1` has it taken.
const PORT_DRAWS: usize = 8;

/// The redirect listener: `127.0.0.1` and, where this machine has IPv6,
/// `::1`, on the same port, so that `http://localhost:PORT` reaches it
/// whichever address the browser tries first.
struct Listeners {
    v4: TcpListener,
    v6: Option<TcpListener>,
    port: u16,
}

impl Listeners {
    async fn bind(port: u16) -> Result<Listeners, Box<IdentityError>> {
        let mut draws = 0;
        loop {
            let v4 = TcpListener::bind((Ipv4Addr::LOCALHOST, port))
                .await
                .map_err(|e| client_error("the redirect listener could not be bound", &e))?;
            let bound = v4
                .local_addr()
                .map_err(|e| client_error("the redirect listener has no address", &e))?
                .port();
            match TcpListener::bind((Ipv6Addr::LOCALHOST, bound)).await {
                Ok(v6) => {
                    return Ok(Listeners {
                        v4,
                        v6: Some(v6),
                        port: bound,
                    });
                }
                // Another program holds ::1 on this port: a browser trying
                // ::1 first would hand it the code. Another port, if it was
                // drawn; else the sign-in cannot go on safely.
                Err(e) if e.kind() == io::ErrorKind::AddrInUse => {
                    draws += 1;
                    if port != 0 || draws >= PORT_DRAWS {
                        return Err(client_error(
                            &format!(
                                "the redirect listener could not have port {bound} on ::1 as well as on 127.0.0.1"
                            ),
                            &e,
                        ));
                    }
                }
                // No IPv6 on this machine: localhost is 127.0.0.1 alone.
                Err(e) => {
                    tracing::debug!(
                        "the redirect listener listens on 127.0.0.1 only: ::1 is not available ({e})"
                    );
                    return Ok(Listeners {
                        v4,
                        v6: None,
                        port: bound,
                    });
                }
            }
        }
    }

    async fn accept(&self) -> io::Result<TcpStream> {
        match &self.v6 {
            None => self.v4.accept().await.map(|(stream, _)| stream),
            Some(v6) => tokio::select! {
                accepted = self.v4.accept() => accepted.map(|(stream, _)| stream),
                accepted = v6.accept() => accepted.map(|(stream, _)| stream),
            },
        }
    }

    /// Serves the listeners until the redirect with the code (or the
    /// identity platform's error, with the right state) arrives. Each
    /// connection is served in a task of its own, within
    /// [`REDIRECT_READ_TIMEOUT`], so one idle connection holds up no other;
    /// every task ends when this returns.
    async fn wait_for_code(&self, state: &str) -> Result<SecretString, Box<IdentityError>> {
        let (outcome_tx, mut outcome_rx) = tokio::sync::mpsc::channel(1);
        let mut connections = tokio::task::JoinSet::new();
        let state: Arc<str> = Arc::from(state);
        loop {
            let room = connections.len() < MAX_REDIRECT_CONNECTIONS;
            tokio::select! {
                Some(outcome) = outcome_rx.recv() => return outcome,
                accepted = self.accept(), if room => match accepted {
                    Ok(stream) => {
                        connections.spawn(serve_redirect(stream, state.clone(), outcome_tx.clone()));
                    }
                    Err(e) => {
                        tracing::debug!("the redirect listener could not accept a connection: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                },
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
            }
        }
    }
}

/// One connection to the listener: its request read (at most 8 KiB, within
/// [`REDIRECT_READ_TIMEOUT`]), judged and answered; the code or a final
/// error is handed on.
async fn serve_redirect(
    stream: TcpStream,
    state: Arc<str>,
    outcome: tokio::sync::mpsc::Sender<Result<SecretString, Box<IdentityError>>>,
) {
    let Ok(Some(head)) = tokio::time::timeout(REDIRECT_READ_TIMEOUT, read_head(&stream)).await
    else {
        return;
    };
    let (status, page, judged) = judge(&head, &state);
    let _ = tokio::time::timeout(REDIRECT_READ_TIMEOUT, respond(&stream, status, page)).await;
    match judged {
        Ok(Redirect::Other) => {}
        Ok(Redirect::Code(code)) => {
            let _ = outcome.send(Ok(code)).await;
        }
        Err(error) => {
            let _ = outcome.send(Err(error)).await;
        }
    }
}

/// What a request head means, and what the browser is told.
fn judge(
    head: &str,
    state: &str,
) -> (
    &'static str,
    &'static str,
    Result<Redirect, Box<IdentityError>>,
) {
    let mut words = head.lines().next().unwrap_or_default().split(' ');
    let (method, target) = (
        words.next().unwrap_or_default(),
        words.next().unwrap_or("/"),
    );
    let Ok(url) = reqwest::Url::parse(&format!("http://localhost{target}")) else {
        return (
            "400 Bad Request",
            "Not a sign-in answer.",
            Ok(Redirect::Other),
        );
    };
    if method != "GET" || url.path() != "/" {
        return ("404 Not Found", "Not found.", Ok(Redirect::Other));
    }
    let params: HashMap<String, String> = url.query_pairs().into_owned().collect();
    let failed = "Sign-in failed. You can close this window and return to the command line.";
    let state_ok = params.get("state").map(String::as_str) == Some(state);
    if params.contains_key("error") || params.contains_key("code") {
        // Not the answer to this sign-in (a stale tab, or a forged request
        // from another page or program): refused, and the real one awaited.
        if !state_ok {
            tracing::warn!(
                "the sign-in listener refused a redirect whose state is not the one sent; still waiting for the browser"
            );
            return (
                "400 Bad Request",
                "This is not the answer to the sign-in in progress (its state does not match). Finish the sign-in in the window it opened.",
                Ok(Redirect::Other),
            );
        }
        if let Some(error) = params.get("error") {
            let mut identity = IdentityError::undescribed(
                error,
                params.get("error_description").cloned().unwrap_or_default(),
                0,
            );
            identity.attempts = 1;
            return ("200 OK", failed, Err(Box::new(identity)));
        }
        if let Some(code) = params.get("code").filter(|c| !c.is_empty()) {
            return (
                "200 OK",
                "Signed in. You can close this window and return to the command line.",
                Ok(Redirect::Code(SecretString::new(code.clone()))),
            );
        }
    }
    (
        "400 Bad Request",
        "Not a sign-in answer.",
        Ok(Redirect::Other),
    )
}

/// The request line and headers, up to the blank line; `None` when the
/// connection ends first or sends more than 8 KiB.
async fn read_head(stream: &TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut chunk = [0u8; 2048];
    loop {
        stream.readable().await.ok()?;
        match stream.try_read(&mut chunk) {
            Ok(0) => return None,
            Ok(n) => {
                head.extend_from_slice(&chunk[..n]);
                if let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
                    // The limit holds for the head itself, even when the
                    // read that brought its end went past the limit.
                    return (end + 4 <= MAX_REDIRECT_HEAD_BYTES)
                        .then(|| String::from_utf8_lossy(&head).into_owned());
                }
                if head.len() > MAX_REDIRECT_HEAD_BYTES {
                    return None;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(_) => return None,
        }
    }
}

async fn respond(stream: &TcpStream, status: &str, text: &str) -> io::Result<()> {
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Sign-in</title></head><body><p>{text}</p></body></html>"
    );
    let message = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut rest = message.as_bytes();
    while !rest.is_empty() {
        stream.writable().await?;
        match stream.try_write(rest) {
            Ok(n) => rest = &rest[n..],
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

impl TokenSource for AuthorizationCode {
    fn token(&self) -> TokenFuture<'_> {
        Box::pin(async move {
            let flow = Flow {
                open: &self.open,
                redirect_host: self.redirect_host,
                port: self.port,
                wait_timeout: self.wait_timeout,
            };
            self.session.token(&flow).await
        })
    }

    fn invalidate(&self, token: &AccessToken) {
        self.session.invalidate(token);
    }

    fn attach(&self, stack: &HttpStack) {
        self.session.attach(stack);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_challenge_is_rfc_7636s_example() {
        // RFC 7636, appendix B.
        assert_eq!(
            challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn only_a_redirect_with_the_state_sent_is_believed() {
        let (_, _, outcome) = judge("GET /?code=abc&state=s1 HTTP/1.1\r\n\r\n", "s1");
        assert!(matches!(outcome, Ok(Redirect::Code(code)) if code.expose() == "abc"));
        // A redirect of another state, or none, is refused and waited past.
        for forged in [
            "GET /?code=abc&state=s2 HTTP/1.1\r\n\r\n",
            "GET /?code=abc HTTP/1.1\r\n\r\n",
            "GET /?error=access_denied&state=s2 HTTP/1.1\r\n\r\n",
        ] {
            let (status, _, outcome) = judge(forged, "s1");
            assert_eq!(status, "400 Bad Request");
            assert!(matches!(outcome, Ok(Redirect::Other)), "{forged:?}");
        }
        let (_, _, outcome) = judge(
            "GET /?error=access_denied&error_description=AADSTS65004&state=s1 HTTP/1.1\r\n\r\n",
            "s1",
        );
        let error = outcome.err().unwrap();
        assert_eq!(
            (error.error.as_str(), error.error_description.as_str()),
            ("access_denied", "AADSTS65004")
        );
        for other in [
            "GET /favicon.ico HTTP/1.1\r\n\r\n",
            "POST /?code=abc&state=s1 HTTP/1.1\r\n\r\n",
            "GET / HTTP/1.1\r\n\r\n",
            "garbage",
            "",
        ] {
            assert!(
                matches!(judge(other, "s1").2, Ok(Redirect::Other)),
                "{other:?}"
            );
        }
    }
}
