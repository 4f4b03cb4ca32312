//! The stand-in runs inside its users' test processes, so hostile or careless
//! input must be answered, never crash or spin that process: deeply nested
//! filters, oversized and empty bodies, and running out of file descriptors.
//!
//! Every test speaks raw HTTP/1.1 to 127.0.0.1 and checks the status, the
//! error body, and what the store holds afterwards.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use graph_endpoint::{Filter, GraphClient};
use graph_endpoint_device_management::android_for_work_profiles::AndroidForWorkEnrollmentProfiles;
use graph_endpoint_emulator::{DEFAULT_TOKEN, Emulator, EmulatorBuilder};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use proptest::prelude::*;
use serde_json::{Value, json};

const COLLECTION: &str = "/beta/deviceManagement/androidForWorkEnrollmentProfiles";
/// A stack small enough that the unbounded recursive filter parser overflowed
/// it with 400 levels, and large enough for everything the stand-in does.
const SMALL_STACK: usize = 256 * 1024;
const FIVE_MB: usize = 5 * 1000 * 1000;
const MAX_BODY: usize = 4 * 1024 * 1024;

/// A stand-in served by a runtime on a thread of its own with a small stack,
/// so a stack overflow in the stand-in would abort this test process.
struct Hosted {
    emulator: Arc<Emulator>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Hosted {
    fn start() -> Hosted {
        Hosted::with(Emulator::builder())
    }

    fn with(builder: EmulatorBuilder) -> Hosted {
        let (started, on_start) = std::sync::mpsc::channel();
        let (stop, on_stop) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("stand-in".into())
            .stack_size(SMALL_STACK)
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a runtime builds");
                runtime.block_on(async move {
                    let emulator = Arc::new(builder.start().await.expect("the stand-in starts"));
                    started.send(emulator.clone()).expect("the test waits");
                    let _ = on_stop.await;
                });
            })
            .expect("the stand-in's thread starts");
        let emulator = on_start.recv().expect("the stand-in started");
        Hosted {
            emulator,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    fn addr(&self) -> SocketAddr {
        self.emulator.addr()
    }
}

impl Drop for Hosted {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// An answer as read off the wire.
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "the body is JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// The `error` of Graph's envelope, checked to be complete.
    fn graph_error(&self) -> (String, String) {
        let body = self.json();
        let error = &body["error"];
        let inner = &error["innerError"];
        assert_eq!(
            inner["request-id"].as_str(),
            self.header("request-id"),
            "innerError names the request: {body}"
        );
        assert!(inner["date"].is_string(), "innerError has a date: {body}");
        (
            error["code"].as_str().expect("error.code").to_owned(),
            error["message"].as_str().expect("error.message").to_owned(),
        )
    }
}

fn connect(addr: SocketAddr) -> TcpStream {
    assert!(addr.ip().is_loopback(), "tests talk to 127.0.0.1 only");
    let stream = TcpStream::connect(addr).expect("the stand-in accepts");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    stream
        .set_write_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    stream
}

/// Writes a request with `Content-Length` and the default bearer token.
fn write_request(
    stream: &mut TcpStream,
    method: &str,
    target: &str,
    content_type: Option<&str>,
    body: &[u8],
) {
    let mut head = format!(
        "{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {DEFAULT_TOKEN}\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(content_type) = content_type {
        head.push_str(&format!("Content-Type: {content_type}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).expect("the head is sent");
    stream.write_all(body).expect("the body is sent");
}

/// Reads one answer (with `Content-Length`, as the stand-in always sends).
fn read_answer(stream: &mut TcpStream) -> Answer {
    let mut reader = BufReader::new(stream);
    let mut status_line = String::new();
    reader
        .read_line(&mut status_line)
        .expect("a status line arrives");
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("a status line: {status_line:?}"));
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).expect("a header line arrives");
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').expect("a header");
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .map_or(0, |(_, v)| v.parse().expect("a length"));
    let mut body = vec![0; length];
    reader.read_exact(&mut body).expect("the body arrives");
    Answer {
        status,
        headers,
        body,
    }
}

fn send(
    addr: SocketAddr,
    method: &str,
    target: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> Answer {
    let mut stream = connect(addr);
    write_request(&mut stream, method, target, content_type, body);
    read_answer(&mut stream)
}

fn get(addr: SocketAddr, target: &str) -> Answer {
    send(addr, "GET", target, None, b"")
}

/// The collection with this `$filter`, percent-encoded.
fn filtered(filter: &str) -> String {
    format!(
        "{COLLECTION}?$filter={}",
        utf8_percent_encode(filter, NON_ALPHANUMERIC)
    )
}

fn too_deep_message() -> String {
    "The $filter nests more than 100 levels deep (each parenthesis, not() and switch between and/or is a level).".to_owned()
}

// ---- 11: nested filters ----------------------------------------------------

#[test]
fn deeply_nested_filter_is_refused_not_a_stack_overflow() {
    let hosted = Hosted::with(Emulator::builder().profiles(3));
    let leaf = "displayName eq 'Kiosk'";
    let deep = [
        format!("{}{leaf}{}", "(".repeat(400), ")".repeat(400)),
        format!("{}{leaf}{}", "not(".repeat(400), ")".repeat(400)),
        // The left fold Filter::or writes: ((a) or (b)) or (c) ...
        (0..400).fold(leaf.to_owned(), |acc, i| {
            format!("({acc}) or (displayName eq 'p{i}')")
        }),
    ];
    for filter in &deep {
        let answer = get(hosted.addr(), &filtered(filter));
        assert_eq!(
            answer.status,
            400,
            "{}",
            String::from_utf8_lossy(&answer.body)
        );
        assert_eq!(
            answer.graph_error(),
            ("BadRequest".to_owned(), too_deep_message())
        );
    }
    // The stand-in is still there, and the store untouched.
    assert_eq!(get(hosted.addr(), COLLECTION).status, 200);
    assert_eq!(hosted.emulator.profiles().len(), 3);
}

#[test]
fn filter_at_the_depth_limit_is_answered() {
    let hosted = Hosted::start();
    let created = send(
        hosted.addr(),
        "POST",
        COLLECTION,
        Some("application/json"),
        br#"{"displayName":"Kiosk"}"#,
    );
    assert_eq!(created.status, 201);
    let leaf = "displayName eq 'Kiosk'";
    let at_limit = [
        format!("{}{leaf}{}", "(".repeat(100), ")".repeat(100)),
        (0..100).fold(leaf.to_owned(), |acc, i| {
            format!("({acc}) or (displayName eq 'p{i}')")
        }),
        // A flat chain stays one level however long.
        (0..500).fold(leaf.to_owned(), |acc, i| {
            format!("{acc} or displayName eq 'q{i}'")
        }),
    ];
    for filter in &at_limit {
        let answer = get(hosted.addr(), &filtered(filter));
        assert_eq!(
            answer.status,
            200,
            "{}",
            String::from_utf8_lossy(&answer.body)
        );
        let names: Vec<_> = answer.json()["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["displayName"].clone())
            .collect();
        assert_eq!(names, [json!("Kiosk")]);
    }
    let one_more = format!("{}{leaf}{}", "(".repeat(101), ")".repeat(101));
    let answer = get(hosted.addr(), &filtered(&one_more));
    assert_eq!(answer.status, 400);
    assert_eq!(
        answer.graph_error(),
        ("BadRequest".to_owned(), too_deep_message())
    );
}

#[test]
fn deeply_nested_filter_built_with_filter_combinators_is_refused() {
    let hosted = Hosted::start();
    let ored = (0..400).fold(Filter::eq("displayName", "a"), |acc, i| {
        acc.or(Filter::eq("displayName", &format!("p{i}")))
    });
    let negated = (0..400).fold(Filter::eq("displayName", "a"), |acc, _| acc.not());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // The 400-term filter makes a URL of about 20 KB: over the client's
    // default limit, so the limit is raised for the stand-in to see it.
    let graph = GraphClient::builder()
        .base_url(hosted.emulator.base_url())
        .token(hosted.emulator.token())
        .max_url_bytes(60_000)
        .no_retry()
        .build()
        .unwrap();
    for filter in [ored.clone(), negated] {
        let err = runtime
            .block_on(graph.profiles().filter(filter).first_page())
            .expect_err("a 400-deep filter is refused");
        assert_eq!(err.status().map(|s| s.as_u16()), Some(400), "{err}");
        assert_eq!(err.graph_code(), Some("BadRequest"), "{err}");
    }
    // The same filter, sent raw: the exact envelope.
    let answer = get(hosted.addr(), &filtered(&ored.to_string()));
    assert_eq!(answer.status, 400);
    assert_eq!(
        answer.graph_error(),
        ("BadRequest".to_owned(), too_deep_message())
    );
}

#[test]
fn overlong_filter_is_refused() {
    let hosted = Hosted::start();
    // A flat chain: shallow, but longer than 16 KiB.
    let long = (0..1000).fold("displayName eq 'a'".to_owned(), |acc, i| {
        format!("{acc} or displayName eq 'p{i}'")
    });
    assert!(long.len() > 16 * 1024);
    let answer = get(hosted.addr(), &filtered(&long));
    assert_eq!(answer.status, 400);
    assert_eq!(
        answer.graph_error(),
        (
            "BadRequest".to_owned(),
            format!(
                "The $filter is {} bytes long; the limit is 16384.",
                long.len()
            )
        )
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Any text in any query option is answered 200 or 400 (never a crash,
    /// a hang or another status) by a stand-in on a small stack.
    #[test]
    fn arbitrary_query_options_are_answered_over_http(
        option in prop::sample::select(vec!["$filter", "$orderby", "$select", "$search", "$top", "$skip"]),
        text in prop_oneof![
            ".{0,200}",
            "[()a-z' ]{0,300}",
            (1usize..600).prop_map(|n| format!("{}id eq 'a'{}", "not(".repeat(n), ")".repeat(n))),
        ],
    ) {
        let hosted = shared_stand_in();
        let target = format!(
            "{COLLECTION}?{option}={}",
            utf8_percent_encode(&text, NON_ALPHANUMERIC)
        );
        let mut stream = connect(hosted);
        let request = format!(
            "GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {DEFAULT_TOKEN}\r\nConsistencyLevel: eventual\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).unwrap();
        let answer = read_answer(&mut stream);
        prop_assert!(
            answer.status == 200 || answer.status == 400,
            "{} for {target}",
            answer.status
        );
        if answer.status == 400 {
            let (code, _) = answer.graph_error();
            prop_assert!(code == "BadRequest" || code == "Request_UnsupportedQuery", "{code}");
        }
    }
}

/// One small-stack stand-in for all cases of the property test.
fn shared_stand_in() -> SocketAddr {
    static HOSTED: std::sync::OnceLock<SocketAddr> = std::sync::OnceLock::new();
    *HOSTED.get_or_init(|| {
        let hosted = Hosted::with(Emulator::builder().profiles(5).record_requests(false));
        let addr = hosted.addr();
        // It serves until the test process ends.
        std::mem::forget(hosted);
        addr
    })
}

// ---- 12: bodies ------------------------------------------------------------

fn too_large_message() -> String {
    format!("The request body is larger than the limit of {MAX_BODY} bytes.")
}

/// A JSON object of exactly `size` bytes: a display name padded out.
fn json_of_size(size: usize) -> Vec<u8> {
    let mut body = br#"{"displayName":""#.to_vec();
    body.resize(size - 2, b'x');
    body.extend_from_slice(br#""}"#);
    assert_eq!(body.len(), size);
    body
}

#[test]
fn oversized_post_is_413_and_creates_nothing() {
    let hosted = Hosted::start();
    let answer = send(
        hosted.addr(),
        "POST",
        COLLECTION,
        Some("application/json"),
        &json_of_size(FIVE_MB),
    );
    assert_eq!(answer.status, 413);
    assert_eq!(
        answer.graph_error(),
        ("RequestEntityTooLarge".to_owned(), too_large_message())
    );
    assert!(hosted.emulator.profiles().is_empty(), "nothing was created");
    // The request is still recorded, without the body it refused to keep.
    let recorded = hosted.emulator.last_request().unwrap();
    assert_eq!((recorded.method.as_str(), recorded.body.len()), ("POST", 0));
}

#[test]
fn oversized_chunked_post_is_413_and_creates_nothing() {
    let hosted = Hosted::start();
    let mut stream = connect(hosted.addr());
    let head = format!(
        "POST {COLLECTION} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {DEFAULT_TOKEN}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).unwrap();
    for chunk in json_of_size(FIVE_MB).chunks(64 * 1024) {
        stream
            .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
            .unwrap();
        stream.write_all(chunk).unwrap();
        stream.write_all(b"\r\n").unwrap();
    }
    stream.write_all(b"0\r\n\r\n").unwrap();
    let answer = read_answer(&mut stream);
    assert_eq!(answer.status, 413);
    assert_eq!(
        answer.graph_error(),
        ("RequestEntityTooLarge".to_owned(), too_large_message())
    );
    assert!(hosted.emulator.profiles().is_empty(), "nothing was created");
    // The refused body was read to its end, so the connection goes on.
    write_request(&mut stream, "GET", COLLECTION, None, b"");
    assert_eq!(read_answer(&mut stream).status, 200);
}

#[test]
fn oversized_post_expecting_continue_is_refused_before_its_body() {
    let hosted = Hosted::start();
    let mut stream = connect(hosted.addr());
    let head = format!(
        "POST {COLLECTION} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {DEFAULT_TOKEN}\r\nContent-Type: application/json\r\nContent-Length: {FIVE_MB}\r\nExpect: 100-continue\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).unwrap();
    // No body is sent: the answer comes on the head alone.
    let answer = read_answer(&mut stream);
    assert_eq!(answer.status, 413);
    assert_eq!(answer.graph_error().0, "RequestEntityTooLarge");
    assert!(hosted.emulator.profiles().is_empty());
}

#[test]
fn body_of_exactly_the_limit_is_accepted() {
    let hosted = Hosted::start();
    let answer = send(
        hosted.addr(),
        "POST",
        COLLECTION,
        Some("application/json"),
        &json_of_size(MAX_BODY),
    );
    assert_eq!(
        answer.status,
        201,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    let profiles = hosted.emulator.profiles();
    assert_eq!(profiles.len(), 1);
    assert_eq!(
        profiles[0]["displayName"].as_str().map(str::len),
        Some(MAX_BODY - br#"{"displayName":""}"#.len())
    );
}

#[test]
fn oversized_patch_is_413_and_changes_nothing() {
    let hosted = Hosted::start();
    let created = send(
        hosted.addr(),
        "POST",
        COLLECTION,
        Some("application/json"),
        br#"{"displayName":"Kiosk","description":"before"}"#,
    );
    assert_eq!(created.status, 201);
    let id = created.json()["id"].as_str().unwrap().to_owned();
    let before = hosted.emulator.profile(&id).unwrap();

    let answer = send(
        hosted.addr(),
        "PATCH",
        &format!("{COLLECTION}/{id}"),
        Some("application/json"),
        &json_of_size(FIVE_MB),
    );
    assert_eq!(answer.status, 413);
    assert_eq!(
        answer.graph_error(),
        ("RequestEntityTooLarge".to_owned(), too_large_message())
    );
    assert_eq!(
        hosted.emulator.profile(&id).unwrap(),
        before,
        "nothing changed, not even lastModifiedDateTime"
    );
}

#[test]
fn empty_post_is_400_and_creates_nothing() {
    let hosted = Hosted::start();
    for content_type in [Some("application/json"), None] {
        let answer = send(hosted.addr(), "POST", COLLECTION, content_type, b"");
        assert_eq!(answer.status, 400);
        assert_eq!(
            answer.graph_error(),
            (
                "BadRequest".to_owned(),
                "Empty Payload. JSON content expected.".to_owned()
            )
        );
    }
    assert!(hosted.emulator.profiles().is_empty(), "nothing was created");
}

#[test]
fn oversized_batch_and_token_requests_are_413() {
    let hosted = Hosted::with(Emulator::builder().app("contoso", "app", "secret"));
    let mut batch = br#"{"requests":[{"id":"1","method":"POST","url":"/deviceManagement/androidForWorkEnrollmentProfiles","headers":{"Content-Type":"application/json"},"body":{"displayName":""#.to_vec();
    batch.resize(FIVE_MB, b'x');
    batch.extend_from_slice(br#""}}]}"#);
    let answer = send(
        hosted.addr(),
        "POST",
        "/beta/$batch",
        Some("application/json"),
        &batch,
    );
    assert_eq!(answer.status, 413);
    assert_eq!(
        answer.graph_error(),
        ("RequestEntityTooLarge".to_owned(), too_large_message())
    );
    assert!(hosted.emulator.profiles().is_empty(), "nothing was created");

    let mut form = b"grant_type=client_credentials&client_id=app&client_secret=secret&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default&padding=".to_vec();
    form.resize(FIVE_MB, b'x');
    let answer = send(
        hosted.addr(),
        "POST",
        "/contoso/oauth2/v2.0/token",
        Some("application/x-www-form-urlencoded"),
        &form,
    );
    assert_eq!(answer.status, 413);
    assert_eq!(
        answer.graph_error(),
        ("RequestEntityTooLarge".to_owned(), too_large_message())
    );
    // The same sign-in within the limit succeeds: the 413 was for the size.
    form.truncate(form.len() - (FIVE_MB - 1000));
    let answer = send(
        hosted.addr(),
        "POST",
        "/contoso/oauth2/v2.0/token",
        Some("application/x-www-form-urlencoded"),
        &form,
    );
    assert_eq!(
        answer.status,
        200,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
}

#[test]
fn empty_batch_and_token_bodies_are_400() {
    let hosted = Hosted::with(Emulator::builder().app("contoso", "app", "secret"));
    let answer = send(
        hosted.addr(),
        "POST",
        "/beta/$batch",
        Some("application/json"),
        b"",
    );
    assert_eq!(answer.status, 400);
    assert_eq!(answer.graph_error().0, "BadRequest");
    let answer = send(
        hosted.addr(),
        "POST",
        "/contoso/oauth2/v2.0/token",
        Some("application/x-www-form-urlencoded"),
        b"",
    );
    assert_eq!(answer.status, 400);
    assert_eq!(answer.json()["error"], "unsupported_grant_type");
    assert!(hosted.emulator.profiles().is_empty());
}

// ---- 13: out of file descriptors ------------------------------------------

/// The stand-in in a child process with a low descriptor limit, killed when
/// the test ends however it ends.
struct ChildStandIn {
    child: Child,
    addr: SocketAddr,
}

impl ChildStandIn {
    fn start(fd_limit: u32) -> ChildStandIn {
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(format!("ulimit -n {fd_limit} && exec \"$0\""))
            .arg(env!("CARGO_BIN_EXE_serve-emulator"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the stand-in's process starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .expect("the stand-in prints its address");
        let addr = line
            .trim()
            .strip_prefix("http://")
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("an address: {line:?}"));
        ChildStandIn { child, addr }
    }

    /// The CPU time the process has used so far (user and system).
    fn cpu_time(&self) -> Duration {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id()))
            .expect("the process is alive");
        // The fields after the parenthesised name: state is the first, utime
        // and stime the 12th and 13th, in clock ticks of 1/100 s on Linux.
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .unwrap()
            .1
            .split_whitespace()
            .collect();
        let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
        Duration::from_millis(ticks * 10)
    }

    fn open_descriptors(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.child.id()))
            .map(|dir| dir.count())
            .unwrap_or(0)
    }
}

impl Drop for ChildStandIn {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn accept_backs_off_when_out_of_file_descriptors() {
    const LIMIT: u32 = 64;
    let stand_in = ChildStandIn::start(LIMIT);
    // Twice as many connections as descriptors: the kernel queues them all
    // (its accept queue holds over a hundred), the stand-in can accept only
    // some, and every further accept fails with EMFILE while the rest wait.
    let mut held: Vec<TcpStream> = (0..2 * LIMIT).map(|_| connect(stand_in.addr)).collect();
    let full = Instant::now();
    while stand_in.open_descriptors() < LIMIT as usize - 1 {
        assert!(
            full.elapsed() < Duration::from_secs(20),
            "the descriptor table fills: {} open",
            stand_in.open_descriptors()
        );
        std::thread::sleep(Duration::from_millis(20));
    }

    // Out of descriptors, it stays almost idle: a loop retrying accept at
    // once used a whole core. Measured over 2 s; a busy machine only makes
    // the number smaller, so the bound is safe from noise.
    let (cpu_before, wall_before) = (stand_in.cpu_time(), Instant::now());
    std::thread::sleep(Duration::from_secs(2));
    let (cpu, wall) = (stand_in.cpu_time() - cpu_before, wall_before.elapsed());
    assert!(
        cpu.as_secs_f64() < 0.25 * wall.as_secs_f64(),
        "{cpu:?} of CPU in {wall:?} while out of descriptors"
    );

    // The connections it holds are still served.
    let first = &mut held[0];
    write_request(first, "GET", COLLECTION, None, b"");
    assert_eq!(read_answer(first).status, 200);

    // Once connections are released, new ones are accepted and answered.
    held.clear();
    let answer = get(stand_in.addr, COLLECTION);
    assert_eq!(answer.status, 200);
    assert_eq!(answer.json()["value"], json!([]));
}
