//! The HTTP stack is the caller's to shape: proxies from the environment, a
//! reqwest client of one's own, `tower` middleware around each attempt, and
//! gzip. Each test asserts what arrived over HTTP on 127.0.0.1.

use crate::common;

use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use graph_endpoint::tower::util::MapRequestLayer;
use graph_endpoint::tower::{Layer, Service};
use graph_endpoint::{BoxError, ClientCredentials, Error, GraphClient, RetryPolicy, reqwest};
use graph_endpoint_device_management::android_for_work_profiles::AndroidForWorkEnrollmentProfiles;
use graph_endpoint_emulator::{Emulator, Fault, Injection};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const SECRET: &str = "app-secret-for-the-stack";

async fn emulator_with_profile() -> (Emulator, String) {
    let emulator = Emulator::builder()
        .app("contoso", "app-id", SECRET)
        .profiles(1)
        .start()
        .await
        .unwrap();
    let id = emulator.profiles()[0]["id"].as_str().unwrap().to_owned();
    (emulator, id)
}

fn revoke_path(id: &str) -> String {
    format!("/beta/deviceManagement/androidForWorkEnrollmentProfiles/{id}/revokeToken")
}

// ---------------------------------------------------------------------------
// Proxies
// ---------------------------------------------------------------------------

/// A forward proxy on 127.0.0.1: records each request line as it arrived
/// (absolute form), forwards the request to its origin and relays the answer.
struct ForwardProxy {
    port: u16,
    seen: Arc<Mutex<Vec<String>>>,
}

impl ForwardProxy {
    async fn start() -> ForwardProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let recorded = seen.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let recorded = recorded.clone();
                tokio::spawn(async move {
                    let _ = relay(client, &recorded).await;
                });
            }
        });
        ForwardProxy { port, seen }
    }
}

/// One request a connection: the head is read, its absolute URL turned into
/// an origin-form request to the origin (which closes after answering), and
/// the answer copied back until the origin closes.
async fn relay(mut client: TcpStream, seen: &Mutex<Vec<String>>) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if client.read(&mut byte).await? == 0 {
            return Ok(());
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).to_string();
    let (request_line, rest) = head.split_once("\r\n").unwrap_or((&head, ""));
    seen.lock().unwrap().push(request_line.to_owned());
    let mut parts = request_line.splitn(3, ' ');
    let (method, target, version) = (
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
    );
    let Some(after_scheme) = target.strip_prefix("http://") else {
        return client
            .write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
            .await;
    };
    let (authority, path) = after_scheme
        .split_once('/')
        .map_or((after_scheme, "/".to_owned()), |(a, p)| {
            (a, format!("/{p}"))
        });
    let length: usize = rest
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.trim()
                .eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    client.read_exact(&mut body).await?;
    let mut origin = TcpStream::connect(authority).await?;
    let forwarded_headers: String = rest
        .lines()
        .filter(|l| {
            let name = l
                .split(':')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            !l.is_empty() && name != "connection" && name != "proxy-connection"
        })
        .map(|l| format!("{l}\r\n"))
        .collect();
    origin
        .write_all(
            format!("{method} {path} {version}\r\n{forwarded_headers}connection: close\r\n\r\n")
                .as_bytes(),
        )
        .await?;
    origin.write_all(&body).await?;
    let mut answer = Vec::new();
    origin.read_to_end(&mut answer).await?;
    client.write_all(&answer).await?;
    client.shutdown().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proxy_named_in_the_environment_is_used() {
    let (emulator, id) = emulator_with_profile().await;
    let proxy = ForwardProxy::start().await;
    // A process of its own: the environment is read when the client is built.
    let run = |base: &str, variable: &'static str| {
        let base = base.to_owned();
        let token = emulator.token();
        let id = id.clone();
        let port = proxy.port;
        tokio::task::spawn_blocking(move || {
            Command::new(env!("CARGO_BIN_EXE_graph-call"))
                .args([base, token, id])
                .env(variable, format!("http://127.0.0.1:{port}"))
                .env_remove("NO_PROXY")
                .env_remove("no_proxy")
                .output()
                .unwrap()
        })
    };
    // An https target goes through HTTPS_PROXY: a tunnel is asked for (the
    // proxy refuses it, so the call fails; what counts is where it went).
    let output = run("https://graph.microsoft.com", "HTTPS_PROXY")
        .await
        .unwrap();
    assert_ne!(String::from_utf8_lossy(&output.stdout).trim(), "ok");
    assert_eq!(
        proxy.seen.lock().unwrap().as_slice(),
        ["CONNECT graph.microsoft.com:443 HTTP/1.1"],
        "the call went through the proxy"
    );

    // Plain http to this machine never goes through a proxy, not even one
    // on this machine: the call goes direct.
    let output = run(emulator.base_url(), "HTTP_PROXY").await.unwrap();
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        "ok",
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(proxy.seen.lock().unwrap().len(), 1);
    let arrived = emulator.last_request().unwrap();
    assert_eq!(arrived.path, revoke_path(&id));
    common::assert_standard_headers(&arrived, "beta");
}

// ---------------------------------------------------------------------------
// A reqwest client of one's own
// ---------------------------------------------------------------------------

fn own_client(policy: reqwest::redirect::Policy) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("x-fleet", "lab-7".parse().unwrap());
    reqwest::Client::builder()
        .default_headers(headers)
        .redirect(policy)
        .build()
        .unwrap()
}

/// The stand-in's URL by 0.0.0.0: this machine, yet not a loopback address,
/// so that plain http to it goes through the client given to `http_client`
/// (plain http to a loopback address goes through the runtime's own client
/// without proxies).
fn unlooped(emulator: &Emulator) -> String {
    emulator.base_url().replace("127.0.0.1", "0.0.0.0")
}

#[tokio::test]
async fn a_client_of_ones_own_carries_calls_and_sign_in() {
    let (emulator, id) = emulator_with_profile().await;
    let graph = GraphClient::builder()
        .base_url(unlooped(&emulator))
        .allow_insecure_http(true)
        .http_client(own_client(reqwest::redirect::Policy::none()))
        .token_source(
            ClientCredentials::new("contoso", "app-id", SECRET)
                .authority(unlooped(&emulator))
                .allow_insecure_http(true),
        )
        .no_retry()
        .build()
        .unwrap();
    graph.revoke_token(&id).await.unwrap();
    let requests = emulator.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].path, "/contoso/oauth2/v2.0/token");
    assert_eq!(requests[1].path, revoke_path(&id));
    for request in &requests {
        assert_eq!(request.header("x-fleet"), Some("lab-7"), "{}", request.path);
    }
    // The client's own headers still go with each call.
    assert_eq!(requests[1].header("accept"), Some("application/json"));
    assert!(requests[1].header("client-request-id").is_some());
}

#[tokio::test]
async fn a_client_that_follows_redirects_by_itself_is_caught() {
    let (emulator, id) = emulator_with_profile().await;
    let graph = GraphClient::builder()
        .base_url(unlooped(&emulator))
        .allow_insecure_http(true)
        .token(emulator.token())
        .http_client(own_client(reqwest::redirect::Policy::limited(3)))
        .no_retry()
        .build()
        .unwrap();
    let target = format!("/beta/deviceManagement/androidForWorkEnrollmentProfiles/{id}?$select=id");
    emulator.inject(Injection::once(Fault::Respond {
        status: 307,
        headers: vec![("location".into(), target)],
        body: Default::default(),
    }));
    let err = graph.get_profile(&id).await.unwrap_err();
    assert!(matches!(err, Error::Redirect { .. }), "{err:?}");
    assert!(err.to_string().contains("Policy::none()"), "{err}");
}

// ---------------------------------------------------------------------------
// Middleware
// ---------------------------------------------------------------------------

/// Counts the attempts that pass through it.
#[derive(Clone)]
struct Counting<S> {
    inner: S,
    count: Arc<AtomicUsize>,
}

impl<S> Service<reqwest::Request> for Counting<S>
where
    S: Service<reqwest::Request, Response = reqwest::Response, Error = BoxError>,
{
    type Response = reqwest::Response;
    type Error = BoxError;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: reqwest::Request) -> S::Future {
        self.count.fetch_add(1, Ordering::SeqCst);
        self.inner.call(request)
    }
}

struct CountingLayer(Arc<AtomicUsize>);

impl<S> Layer<S> for CountingLayer {
    type Service = Counting<S>;

    fn layer(&self, inner: S) -> Counting<S> {
        Counting {
            inner,
            count: self.0.clone(),
        }
    }
}

#[tokio::test]
async fn layers_see_every_attempt_and_may_add_headers() {
    let (emulator, id) = emulator_with_profile().await;
    let count = Arc::new(AtomicUsize::new(0));
    let graph = GraphClient::builder()
        .base_url(emulator.base_url())
        .token(emulator.token())
        .retry(
            RetryPolicy::default()
                .base_delay(Duration::from_millis(1))
                .max_jitter(Duration::ZERO),
        )
        .layer(CountingLayer(count.clone()))
        .layer(MapRequestLayer::new(|mut request: reqwest::Request| {
            let signature = format!("{} {}", request.method(), request.url().path());
            request
                .headers_mut()
                .insert("x-signed", signature.parse().unwrap());
            request
        }))
        .build()
        .unwrap();
    emulator.inject(Injection::once(Fault::Unavailable(None)));
    graph.revoke_token(&id).await.unwrap();
    assert_eq!(
        count.load(Ordering::SeqCst),
        2,
        "the retry passed through too"
    );
    let requests = emulator.requests();
    assert_eq!(requests.len(), 2);
    for request in &requests {
        assert_eq!(
            request.header("x-signed"),
            Some(format!("POST {}", revoke_path(&id)).as_str())
        );
        // The layer sees the request whole: the token is already on it.
        common::assert_standard_headers(request, "beta");
    }
}

#[tokio::test]
async fn a_failing_layer_fails_the_call_without_sending() {
    let (emulator, id) = emulator_with_profile().await;
    #[derive(Clone)]
    struct Refuse;
    impl Service<reqwest::Request> for Refuse {
        type Response = reqwest::Response;
        type Error = BoxError;
        type Future = std::future::Ready<Result<reqwest::Response, BoxError>>;
        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
            Poll::Ready(Ok(()))
        }
        fn call(&mut self, _: reqwest::Request) -> Self::Future {
            std::future::ready(Err("the signing key is not loaded".into()))
        }
    }
    let graph = GraphClient::builder()
        .base_url(emulator.base_url())
        .token(emulator.token())
        .layer(graph_endpoint::tower::layer::layer_fn(|_inner| Refuse))
        .build()
        .unwrap();
    let err = graph.revoke_token(&id).await.unwrap_err();
    assert!(matches!(err, Error::Middleware { .. }), "{err:?}");
    assert!(err.to_string().contains("signing key"), "{err}");
    assert_eq!(err.attempts().len(), 1, "not retried");
    assert_eq!(emulator.request_count(), 0);
}

// ---------------------------------------------------------------------------
// gzip
// ---------------------------------------------------------------------------

#[cfg(feature = "gzip")]
#[tokio::test]
async fn gzip_answers_are_asked_for_and_decoded() {
    use std::io::Write;

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(String::new()));
    let recorded = seen.clone();
    tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            stream.read_exact(&mut byte).await.unwrap();
            head.push(byte[0]);
        }
        *recorded.lock().unwrap() = String::from_utf8_lossy(&head).to_ascii_lowercase();
        let json = format!(
            r#"{{"value":[{}]}}"#,
            vec![r#"{"id":"p","displayName":"Kiosk"}"#; 500].join(",")
        );
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(json.as_bytes()).unwrap();
        let body = encoder.finish().unwrap();
        let head = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-encoding: gzip\r\ncontent-length: {}\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        stream.write_all(&body).await.unwrap();
    });
    let graph = GraphClient::builder()
        .base_url(format!("http://{address}"))
        .token("t")
        .no_retry()
        .build()
        .unwrap();
    let page = graph.list_profiles(None).await.unwrap();
    assert_eq!(page.value.len(), 500);
    assert!(
        seen.lock().unwrap().contains("accept-encoding: gzip"),
        "{}",
        seen.lock().unwrap()
    );
}

/// A server that answers every request with this gzip-encoded JSON body
/// (`status`), and the compressed length.
#[cfg(feature = "gzip")]
async fn serving_gzip(status: u16, json: &str) -> (crate::scripted::Scripted, usize) {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(json.as_bytes()).unwrap();
    let body = encoder.finish().unwrap();
    let length = body.len();
    let server = crate::scripted::Scripted::start(move |_, _| {
        crate::scripted::Reply::new(status)
            .header("content-type", "application/json")
            .header("content-encoding", "gzip")
            .body(body.clone())
    })
    .await;
    (server, length)
}

#[cfg(feature = "gzip")]
#[tokio::test]
async fn body_limits_count_the_decompressed_bytes() {
    // A page of 200 KiB that travels in well under 1 KiB.
    let page = format!(r#"{{"value":[],"padding":"{}"}}"#, " ".repeat(200 * 1024));
    let (server, compressed) = serving_gzip(200, &page).await;
    assert!(compressed < 1024, "{compressed}");
    let graph = |limit: usize| {
        GraphClient::builder()
            .base_url(server.url())
            .token("t")
            .no_retry()
            .max_body_bytes(limit)
            .build()
            .unwrap()
    };
    let err = graph(64 * 1024).list_profiles(None).await.unwrap_err();
    assert!(
        matches!(err, Error::BodyTooLarge { limit: 65_536, .. }),
        "{err:?}"
    );
    assert!(
        graph(256 * 1024)
            .list_profiles(None)
            .await
            .unwrap()
            .value
            .is_empty()
    );

    // An error body is kept to its limit, counted decompressed too.
    let error = format!(
        r#"{{"error":{{"code":"generalException","message":"{}"}}}}"#,
        "x".repeat(100 * 1024)
    );
    let (server, compressed) = serving_gzip(500, &error).await;
    assert!(compressed < 1024, "{compressed}");
    let graph = GraphClient::builder()
        .base_url(server.url())
        .token("t")
        .no_retry()
        .max_error_body_bytes(4096)
        .build()
        .unwrap();
    let err = graph.list_profiles(None).await.unwrap_err();
    assert_eq!(err.body().unwrap().len(), 4096);
    assert!(
        err.body()
            .unwrap()
            .starts_with(br#"{"error":{"code":"generalException""#)
    );
}

#[tokio::test]
async fn a_client_that_follows_redirects_cannot_carry_a_sign_in_elsewhere() {
    use crate::scripted::{Reply, Scripted};
    let emulator = Emulator::builder()
        .app("contoso", "app-id", SECRET)
        .profiles(1)
        .start()
        .await
        .unwrap();
    for status in [302, 307, 308] {
        // Where the redirect points: a token endpoint that would answer.
        let elsewhere = Scripted::start(|_, _| {
            Reply::json(
                200,
                &serde_json::json!({"token_type": "Bearer", "expires_in": 3600, "access_token": "emulator-token"}),
            )
        })
        .await;
        // By 0.0.0.0, so that the token requests go through the given client
        // (to loopback addresses they go through the runtime's own).
        let to = format!("{}/token", elsewhere.url().replace("127.0.0.1", "0.0.0.0"));
        let redirecting =
            Scripted::start(move |_, _| Reply::new(status).header("location", &to)).await;
        let graph = GraphClient::builder()
            .base_url(emulator.base_url())
            .http_client(own_client(reqwest::redirect::Policy::limited(3)))
            .token_source(
                ClientCredentials::new("contoso", "app-id", SECRET)
                    .authority(redirecting.url().replace("127.0.0.1", "0.0.0.0"))
                    .allow_insecure_http(true),
            )
            .no_retry()
            .build()
            .unwrap();
        let err = graph.revoke_token("p1").await.unwrap_err();
        let identity = err.identity_error().expect("the sign-in's error");
        assert_eq!(identity.error, "unexpected_redirect", "{status}: {err}");
        if status == 302 {
            // Followed by the client (as a GET, without the form): caught after.
            assert!(
                identity.error_description.contains("Policy::none()"),
                "{err}"
            );
        }
        // The form reached the authority only; the secret never went where
        // the redirect pointed, and nothing reached Graph.
        assert_eq!(redirecting.arrived().len(), 1);
        for request in elsewhere.arrived() {
            let body = String::from_utf8_lossy(&request.body);
            let form: Vec<(String, String)> = reqwest::Url::parse(&format!("http://x/?{body}"))
                .unwrap()
                .query_pairs()
                .into_owned()
                .collect();
            assert!(
                form.iter()
                    .all(|(name, value)| name != "client_secret" && value != SECRET),
                "{status}: the secret followed the redirect: {form:?}"
            );
        }
        assert_eq!(emulator.request_count(), 0, "{status}");
    }
}
