//! Hosts beside Graph that misbehave on purpose (an upload host that never
//! takes the data, a storage host that stalls, an operation that asks to be
//! polled at once for ever, a list whose next link loops, an object that
//! changes under a download): every wait stays bounded and every secret
//! stays out of what errors print. The identity platform and Graph itself
//! are `hostile_graph_and_identity`'s. Each test speaks HTTP to a server on
//! 127.0.0.1 and asserts what arrived.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use graph_endpoint::http::{HeaderMap, StatusCode};
use graph_endpoint::{
    Error, Graph, GraphClient, Paged, RawResponse, RetryPolicy, TimeoutKind, UploadSession, Wait,
    graph_action,
};
use graph_endpoint_emulator::{Emulator, StorageFault};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const SECRET: &str = "SECRET-sig-3f9a";

/// A request as it arrived.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    target: String,
    headers: HashMap<String, String>,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
}

/// What the server does with one request.
enum Reply {
    /// These bytes, then the connection is closed.
    Bytes(Vec<u8>),
    /// These bytes, then nothing more, the connection held open.
    ThenStall(Vec<u8>),
}

fn answer(status: &str, headers: &str, body: &str) -> Reply {
    Reply::Bytes(
        format!(
            "HTTP/1.1 {status}\r\n{headers}content-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    )
}

/// A server on 127.0.0.1 answering request `n` (from 0) with `script(n, request)`.
struct Host {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Host {
    async fn start(script: impl Fn(usize, &Seen) -> Reply + Send + Sync + 'static) -> Host {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (recorded, script) = (seen.clone(), Arc::new(script));
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (recorded, script) = (recorded.clone(), script.clone());
                tokio::spawn(async move { serve(stream, &recorded, &*script).await });
            }
        });
        Host { addr, seen }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

async fn serve(
    mut stream: TcpStream,
    recorded: &Mutex<Vec<Seen>>,
    script: &(dyn Fn(usize, &Seen) -> Reply + Send + Sync),
) {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut words = lines.next().unwrap_or_default().split(' ');
    let (method, target) = (
        words.next().unwrap_or_default().to_owned(),
        words.next().unwrap_or_default().to_owned(),
    );
    let headers: HashMap<String, String> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .get("content-length")
        .and_then(|l| l.parse().ok())
        .unwrap_or(0);
    let mut body = buffer.len() - head_end - 4;
    while body < length {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => body += n,
        }
    }
    let request = Seen {
        method,
        target,
        headers,
    };
    let n = {
        let mut seen = recorded.lock().unwrap();
        seen.push(request.clone());
        seen.len() - 1
    };
    match script(n, &request) {
        Reply::Bytes(bytes) => {
            let _ = stream.write_all(&bytes).await;
            let _ = stream.shutdown().await;
        }
        Reply::ThenStall(bytes) => {
            let _ = stream.write_all(&bytes).await;
            tokio::time::sleep(Duration::from_secs(600)).await;
        }
    }
}

fn client(attempt_timeout: Duration) -> GraphClient {
    GraphClient::builder()
        .base_url("http://127.0.0.1:9")
        .token("graph-token")
        .attempt_timeout(attempt_timeout)
        .retry(
            RetryPolicy::default()
                .base_delay(Duration::from_millis(5))
                .max_jitter(Duration::from_millis(1)),
        )
        .build()
        .unwrap()
}

fn session(url: String) -> UploadSession {
    serde_json::from_value(serde_json::json!({
        "uploadUrl": url, "nextExpectedRanges": ["0-"]
    }))
    .unwrap()
}

/// Runs `work`, failing the test (instead of hanging it) when it does not end
/// within a minute: the code under test bounds each wait far below that.
async fn ends<T>(work: impl std::future::IntoFuture<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(60), work.into_future())
        .await
        .expect("bounded, yet still waiting after a minute")
}

/// Every text an error prints, down its `source()` chain.
fn printed(error: &Error) -> String {
    let mut text = format!("{error}\n{error:?}");
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(&format!("\n{cause}\n{cause:?}"));
        source = cause.source();
    }
    text
}

// ---------------------------------------------------------------------------
// Uploads make progress or stop
// ---------------------------------------------------------------------------

#[tokio::test]
async fn an_upload_host_that_never_takes_the_data_ends_the_upload() {
    let host = Host::start(|_, request| {
        let status = if request.method == "PUT" {
            "202 Accepted"
        } else {
            "200 OK"
        };
        answer(
            status,
            "content-type: application/json\r\n",
            r#"{"nextExpectedRanges":["0-"]}"#,
        )
    })
    .await;
    let graph = client(Duration::from_secs(5));
    let content = vec![7u8; 1000];
    let error = ends(
        graph
            .upload(&session(host.url("/up/1?sig=x")), &content[..], 1000)
            .max_retries(3),
    )
    .await
    .unwrap_err();
    match &error {
        Error::UploadNotAccepted { received, attempts } => {
            assert_eq!((received, attempts), (&0, &4));
        }
        other => panic!("{other:?}"),
    }
    assert!(
        error.to_string().contains("not accepting the data"),
        "{error}"
    );
    let seen = host.seen();
    let puts = seen.iter().filter(|r| r.method == "PUT").count();
    let statuses = seen.iter().filter(|r| r.method == "GET").count();
    // One chunk and three retries, each retry after asking where to go on.
    assert_eq!((puts, statuses), (4, 3), "{seen:?}");
    for put in seen.iter().filter(|r| r.method == "PUT") {
        assert_eq!(put.header("content-range"), Some("bytes 0-999/1000"));
    }
}

#[tokio::test]
async fn the_call_timeout_bounds_a_whole_upload_and_download() {
    // Every answer stalls after its head; the attempt timeout alone would
    // allow minutes of retries.
    let host = Host::start(|_, _| {
        Reply::ThenStall(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nx".to_vec())
    })
    .await;
    let graph = GraphClient::builder()
        .base_url("http://127.0.0.1:9")
        .token("graph-token")
        .attempt_timeout(Duration::from_secs(30))
        .call_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let content = [1u8; 10];
    let error = ends(graph.upload(&session(host.url("/up/2")), &content[..], 10))
        .await
        .unwrap_err();
    assert_eq!(error.timeout_kind(), Some(TimeoutKind::Call), "{error:?}");
    let mut sink = Vec::new();
    let error = ends(graph.download(&host.url("/r.zip")).to_writer(&mut sink))
        .await
        .unwrap_err();
    assert_eq!(error.timeout_kind(), Some(TimeoutKind::Call), "{error:?}");
}

// ---------------------------------------------------------------------------
// Every answer of a foreign host is bounded
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_storage_host_that_stalls_mid_answer_is_bounded_by_the_attempt_timeout() {
    // A 500 promising 100 bytes of error body, sending one.
    let host = Host::start(|_, _| {
        Reply::ThenStall(
            b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 100\r\n\r\n{".to_vec(),
        )
    })
    .await;
    let graph = client(Duration::from_millis(300));
    let mut sink = Vec::new();
    let error = ends(
        graph
            .download(&host.url("/r.zip?sig=x"))
            .to_writer(&mut sink),
    )
    .await
    .unwrap_err();
    assert_eq!(
        error.status(),
        Some(StatusCode::INTERNAL_SERVER_ERROR),
        "{error:?}"
    );
    assert_eq!(error.body().map(|b| b.as_ref()), Some(&b"{"[..]));

    // A session status (a small JSON answer) whose head comes, then nothing.
    let host = Host::start(|_, _| {
        Reply::ThenStall(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n".to_vec())
    })
    .await;
    let error = ends(graph.upload_status(&session(host.url("/up/3"))))
        .await
        .unwrap_err();
    assert_eq!(
        error.timeout_kind(),
        Some(TimeoutKind::Attempt),
        "{error:?}"
    );

    // A 202's Location on another host, whose answer stalls after its head.
    let location = host.url("/operations/1");
    let mut headers = HeaderMap::new();
    headers.insert("location", location.parse().unwrap());
    let accepted = RawResponse::new(StatusCode::ACCEPTED, headers, Default::default());
    let error = ends(graph.wait_for_operation(&accepted, &Wait::default()))
        .await
        .unwrap_err();
    assert_eq!(
        error.timeout_kind(),
        Some(TimeoutKind::Attempt),
        "{error:?}"
    );
}

// ---------------------------------------------------------------------------
// No URL query, no body value in what an error prints
// ---------------------------------------------------------------------------

#[tokio::test]
async fn errors_never_print_a_signed_query_or_a_body_value() {
    // Nothing listens on this port: the connection is refused.
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let graph = client(Duration::from_secs(5));
    let mut sink = Vec::new();
    let refused = graph
        .download(&format!(
            "http://127.0.0.1:{port}/reports/r.zip?sv=2024&sig={SECRET}"
        ))
        .max_resumes(0)
        .to_writer(&mut sink)
        .await
        .unwrap_err();
    assert!(matches!(refused, Error::Transport { .. }), "{refused:?}");
    let shown = printed(&refused);
    assert!(!shown.contains(SECRET), "{shown}");
    assert!(shown.contains(&format!("127.0.0.1:{port}")), "{shown}");

    // A URL refused before sending (plain http off this machine).
    let refused = graph
        .download(&format!("http://192.0.2.7/r.zip?sig={SECRET}"))
        .to_writer(&mut sink)
        .await
        .unwrap_err();
    assert!(
        matches!(refused, Error::InvalidRequest { .. }),
        "{refused:?}"
    );
    assert!(!printed(&refused).contains(SECRET), "{refused}");

    // A body that does not decode, holding a secret where a number belongs.
    pub trait Tokens: Graph {
        #[graph_action(GET, "/tokens/<id>", expect = 200)]
        async fn token_count(&self, id: &str) -> Result<Counted, Error>;
    }
    #[derive(Debug, serde::Deserialize)]
    pub struct Counted {
        #[allow(dead_code)]
        value: Vec<Entry>,
    }
    #[derive(Debug, serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Entry {
        #[allow(dead_code)]
        token_value: u32,
    }
    impl Tokens for GraphClient {}
    let host = Host::start(|_, _| {
        answer(
            "200 OK",
            "content-type: application/json\r\n",
            &format!(r#"{{"value":[{{"tokenValue":1}},{{"tokenValue":"{SECRET}"}}]}}"#),
        )
    })
    .await;
    let graph = GraphClient::builder()
        .base_url(host.url(""))
        .token("graph-token")
        .build()
        .unwrap();
    let undecoded = graph.token_count("1").await.unwrap_err();
    let Error::Decode(decode) = &undecoded else {
        panic!("{undecoded:?}")
    };
    assert_eq!(decode.path, "value[1].tokenValue");
    assert_eq!(decode.problem, "invalid type: string");
    assert_eq!(decode.expected.as_deref(), Some("u32"));
    let shown = printed(&undecoded);
    assert!(!shown.contains(SECRET), "{shown}");
    assert!(
        shown.contains("at `value[1].tokenValue`: invalid type: string, expected u32"),
        "{shown}"
    );
}

// ---------------------------------------------------------------------------
// Polling keeps a floor
// ---------------------------------------------------------------------------

#[tokio::test]
async fn an_operation_asking_to_be_polled_at_once_is_polled_once_a_second() {
    for retry_after in ["0", "0.001", "Sun, 06 Nov 1994 08:49:37 GMT"] {
        let host = Host::start(move |_, _| {
            answer(
                "202 Accepted",
                &format!("retry-after: {retry_after}\r\n"),
                "",
            )
        })
        .await;
        let graph = client(Duration::from_secs(5));
        let mut headers = HeaderMap::new();
        headers.insert("location", host.url("/operations/7").parse().unwrap());
        let accepted = RawResponse::new(StatusCode::ACCEPTED, headers, Default::default());
        let error = graph
            .wait_for_operation(
                &accepted,
                &Wait::default().deadline(Duration::from_millis(2500)),
            )
            .await
            .unwrap_err();
        let Error::JobDeadline { polls, .. } = error else {
            panic!("{error:?}")
        };
        // The floor keeps polls a second apart, so 2.5 s hold three at the
        // most, however fast the machine: without it, hundreds.
        let arrived = host.seen().len();
        assert!(
            (1..=3).contains(&arrived) && polls as usize >= arrived,
            "{retry_after}: {arrived} polls"
        );
    }
}

// ---------------------------------------------------------------------------
// A 202's Location is judged by its parsed origin and path
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_location_beside_the_base_path_is_polled_without_the_token() {
    let host = Host::start(|_, _| {
        answer(
            "200 OK",
            "content-type: application/json\r\n",
            r#"{"status":"succeeded"}"#,
        )
    })
    .await;
    // The base path is `/graph`; the Location is under `/graph-operations`,
    // which a string prefix would take for the base.
    let graph = GraphClient::builder()
        .base_url(host.url("/graph"))
        .token("graph-token")
        .build()
        .unwrap();
    let mut headers = HeaderMap::new();
    headers.insert("location", "/graph-operations/9".parse().unwrap());
    let accepted = RawResponse::new(StatusCode::ACCEPTED, headers, Default::default());
    let done = graph
        .wait_for_operation(&accepted, &Wait::default())
        .await
        .unwrap();
    assert_eq!(done.status, StatusCode::OK);
    let seen = host.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].target, "/graph-operations/9");
    assert_eq!(
        seen[0].header("authorization"),
        None,
        "the token stays under /graph"
    );
}

// ---------------------------------------------------------------------------
// Paging cannot loop
// ---------------------------------------------------------------------------

pub trait Things: Graph {
    #[graph_action(GET, "/things", expect = 200)]
    fn things(&self) -> Paged<'_, serde_json::Value>;
}

impl Things for GraphClient {}

#[tokio::test]
async fn a_next_link_met_again_ends_the_list_with_an_error() {
    let base: Arc<Mutex<String>> = Arc::default();
    let link_base = base.clone();
    // Page 1 links to page 2, page 2 to page 3, page 3 back to page 2.
    let host = Host::start(move |_, request| {
        let next = match request.target.as_str() {
            "/v1.0/things" => 2,
            "/v1.0/things?$skiptoken=2" => 3,
            _ => 2,
        };
        let base = link_base.lock().unwrap().clone();
        answer(
            "200 OK",
            "content-type: application/json\r\n",
            &format!(
                r#"{{"value":[{{"at":"{}"}}],"@odata.nextLink":"{base}/v1.0/things?$skiptoken={next}"}}"#,
                request.target
            ),
        )
    })
    .await;
    *base.lock().unwrap() = host.url("");
    let graph = GraphClient::builder()
        .base_url(host.url(""))
        .token("graph-token")
        .build()
        .unwrap();
    let mut pages = graph.things().max_pages(50).pages();
    let mut read = 0;
    let error = loop {
        match pages.try_next().await {
            Ok(Some(_)) => read += 1,
            Ok(None) => panic!("the list ended after {read} pages without an error"),
            Err(error) => break error,
        }
    };
    assert_eq!(read, 3);
    assert!(
        matches!(error, Error::PagingLoop { pages: 3, .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("already read"), "{error}");
    assert_eq!(host.seen().len(), 3, "the looping link is not asked for");
}

// ---------------------------------------------------------------------------
// A resumed download is the same object
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_resumed_download_names_its_object_and_never_splices_another() {
    // The stand-in: the resumed request carries If-Range with the first ETag.
    let emulator = Emulator::start().await.unwrap();
    let graph = client(Duration::from_secs(10));
    let url = emulator.storage_blob("big.bin", 3 << 20, 5);
    emulator.inject_storage(StorageFault::CutDownloadAt(1_100_000));
    let mut sink = Vec::new();
    let outcome = graph.download(&url).to_writer(&mut sink).await;
    assert!(
        outcome.is_ok(),
        "{outcome:?} {:?}",
        emulator.storage_requests()
    );
    assert_eq!(sink.len(), 3 << 20);
    let requests = emulator.storage_requests();
    assert_eq!(requests.len(), 2);
    let etag = "\"5-300000\"";
    assert!(
        requests[1]
            .header("range")
            .is_some_and(|r| r.starts_with("bytes=") && r != "bytes=0-"),
        "{:?}",
        requests[1]
    );
    assert_eq!(requests[1].header("if-range"), Some(etag));

    // The object changes while the download is cut: the stand-in answers the
    // resume with the whole new object, and the download fails.
    let emulator = Arc::new(Emulator::start().await.unwrap());
    let url = emulator.storage_blob("moving.bin", 3 << 20, 5);
    emulator.inject_storage(StorageFault::CutDownloadAt(1_100_000));
    let replacing = emulator.clone();
    let mut sink = Vec::new();
    let error = graph
        .download(&url)
        .on_progress(move |_| {
            let _ = replacing.storage_blob("moving.bin", 3 << 20, 6);
        })
        .to_writer(&mut sink)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Incomplete { .. }), "{error:?}");
    assert!(error.to_string().contains("changed"), "{error}");

    // A host that ignores If-Range and sends a part of another version (same
    // length, another ETag): refused, not spliced.
    let host = Host::start(|n, _| {
        if n == 0 {
            let mut bytes = b"HTTP/1.1 200 OK\r\ncontent-length: 1000\r\naccept-ranges: bytes\r\netag: \"v1\"\r\nconnection: close\r\n\r\n".to_vec();
            bytes.extend_from_slice(&[b'a'; 500]);
            Reply::Bytes(bytes)
        } else {
            let mut bytes = b"HTTP/1.1 206 Partial Content\r\ncontent-length: 500\r\ncontent-range: bytes 500-999/1000\r\netag: \"v2\"\r\nconnection: close\r\n\r\n".to_vec();
            bytes.extend_from_slice(&[b'b'; 500]);
            Reply::Bytes(bytes)
        }
    })
    .await;
    let mut sink = Vec::new();
    let error = graph
        .download(&host.url("/r.bin"))
        .to_writer(&mut sink)
        .await
        .unwrap_err();
    assert!(error.to_string().contains("another ETag"), "{error}");
    assert_eq!(host.seen()[1].header("if-range"), Some("\"v1\""));
    assert!(
        !sink.contains(&b'b'),
        "nothing of the other version was written"
    );
}

// ---------------------------------------------------------------------------
// The stand-in checks what a storage host checks
// ---------------------------------------------------------------------------

#[tokio::test]
async fn the_stand_ins_storage_host_checks_signatures_and_bounds_connections() {
    let emulator = Emulator::builder()
        .storage_header_read_timeout(Duration::from_millis(200))
        .storage_max_recorded_requests(3)
        .start()
        .await
        .unwrap();
    let url = emulator.storage_blob("signed.bin", 1000, 1);
    let http = graph_endpoint::reqwest::Client::new();
    let (path, query) = url.split_once('?').unwrap();
    assert!(query.contains("sig="), "{url}");
    for (tampered, why) in [
        (path.to_owned(), "no sig"),
        (format!("{url}0"), "an altered sig"),
        (url.replace("sig=", "sig=x"), "another sig"),
    ] {
        let status = http.get(&tampered).send().await.unwrap().status();
        assert_eq!(status, StatusCode::FORBIDDEN, "{why}");
    }
    assert_eq!(
        http.get(&url).send().await.unwrap().status(),
        StatusCode::OK
    );
    // The most recent three requests are kept.
    let kept = emulator.storage_requests();
    assert_eq!(kept.len(), 3);
    assert!(kept[2].path.ends_with(query), "{:?}", kept[2].path);

    // A connection that never sends its head is closed by the host.
    let mut idle = TcpStream::connect(emulator.storage_url().trim_start_matches("http://"))
        .await
        .unwrap();
    let mut byte = [0u8; 1];
    let read = ends(idle.read(&mut byte)).await;
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
}

#[tokio::test]
async fn the_stand_ins_storage_host_serves_a_bounded_number_of_connections() {
    let emulator = Emulator::builder()
        .storage_max_connections(1)
        .storage_header_read_timeout(Duration::from_secs(60))
        .start()
        .await
        .unwrap();
    let url = emulator.storage_blob("one.bin", 10, 1);
    let held = TcpStream::connect(emulator.storage_url().trim_start_matches("http://"))
        .await
        .unwrap();
    let waiting =
        tokio::spawn(async move { graph_endpoint::reqwest::get(url).await.map(|r| r.status()) });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        emulator.storage_requests().is_empty(),
        "the second connection waits while the first holds the only place"
    );
    drop(held);
    let status = ends(waiting).await.unwrap().unwrap();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(emulator.storage_requests().len(), 1);
}
