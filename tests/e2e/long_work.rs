//! Long and large work over HTTP on 127.0.0.1: report export jobs waited
//! for and downloaded from the storage host, `202 Accepted` operations,
//! streamed results and bodies, and upload sessions with faults. Each test
//! asserts the requests that arrived, on Graph and on the storage host.

use std::io::Read as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::clock::{HeldClock, finished, settle, wait_for};

use aws_lc_rs::digest;
use graph_endpoint::{
    BodyStream, Error, Graph, GraphClient, Progress, Response, RetryPolicy, StreamBody,
    UPLOAD_CHUNK_MULTIPLE, UploadSession, Wait, check_transfer_url, graph_action,
};
use graph_endpoint_device_management::{
    ExportFormat, ExportJobRequest, ExportJobStatus, ExportJobs,
};
use graph_endpoint_emulator::{
    DEFAULT_TOKEN, Emulator, EmulatorBuilder, RecordedRequest, StorageFault, fill_blob,
};
use proptest::prelude::*;
use serde_json::{Value, json};

fn client(emulator: &Emulator) -> GraphClient {
    GraphClient::builder()
        .base_url(emulator.base_url())
        .token(emulator.token())
        .retry(
            RetryPolicy::default()
                .base_delay(Duration::from_millis(10))
                .max_jitter(Duration::from_millis(5)),
        )
        .attempt_timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

async fn start(builder: EmulatorBuilder) -> (Emulator, GraphClient) {
    let emulator = builder.start().await.unwrap();
    let graph = client(&emulator);
    (emulator, graph)
}

/// No request that reached the storage host carried a credential or any
/// of Graph's headers.
fn assert_no_credentials(requests: &[RecordedRequest]) {
    assert!(!requests.is_empty());
    for request in requests {
        for name in ["authorization", "client-request-id", "sdkversion", "cookie"] {
            assert_eq!(
                request.header(name),
                None,
                "{name} reached the storage host: {request:?}"
            );
        }
        for (name, value) in &request.headers {
            assert!(!value.contains(DEFAULT_TOKEN), "the token in {name}");
        }
    }
}

fn graph_polls(emulator: &Emulator) -> Vec<RecordedRequest> {
    emulator
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path.contains("exportJobs('"))
        .collect()
}

fn sha256(bytes: &[u8]) -> String {
    digest::digest(&digest::SHA256, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn blob(seed: u64, len: usize) -> Vec<u8> {
    let mut out = vec![0; len];
    fill_blob(seed, 0, &mut out);
    out
}

#[tokio::test]
async fn a_report_export_is_waited_for_then_downloaded_from_storage_without_the_token() {
    let (emulator, graph) = start(
        Emulator::builder()
            .export_job_polls(3)
            .export_job_retry_after(Duration::from_millis(200))
            .export_rows(500),
    )
    .await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let statuses = seen.clone();
    let request = ExportJobRequest::new("DeviceCompliance")
        .format(ExportFormat::Csv)
        .select(["DeviceName", "UPN", "ComplianceState"])
        .filter("(ComplianceState eq 'Noncompliant')");
    let wait = Wait::default()
        .deadline(Duration::from_secs(10))
        .min_interval(Duration::from_millis(100))
        .on_poll(move |poll| statuses.lock().unwrap().push(poll.status.to_owned()));
    let job = graph.export_report(&request, &wait).await.unwrap();
    assert_eq!(job.status, ExportJobStatus::Completed);
    assert_eq!(*seen.lock().unwrap(), ["inProgress", "inProgress"]);

    // On Graph: the POST with the four properties, then three polls at the
    // interval Graph asked for, each with the token.
    let requests = emulator.requests();
    let create = &requests[0];
    assert_eq!(
        (create.method.as_str(), create.path.as_str()),
        ("POST", "/beta/deviceManagement/reports/exportJobs")
    );
    assert_eq!(
        create.json().unwrap(),
        json!({"reportName": "DeviceCompliance", "format": "csv",
               "select": ["DeviceName", "UPN", "ComplianceState"],
               "filter": "(ComplianceState eq 'Noncompliant')"})
    );
    let polls = graph_polls(&emulator);
    assert_eq!(polls.len(), 3);
    for poll in &polls {
        assert_eq!(
            poll.path,
            format!("/beta/deviceManagement/reports/exportJobs('{}')", job.id)
        );
        assert_eq!(poll.header("authorization"), Some("Bearer emulator-token"));
    }

    // The zip, streamed to a file from the storage host.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.zip");
    let progress = Arc::new(Mutex::new(Vec::<Progress>::new()));
    let told = progress.clone();
    let written = job
        .download(&graph)
        .unwrap()
        .on_progress(move |p| told.lock().unwrap().push(p))
        .to_file(&path)
        .await
        .unwrap();
    let file = std::fs::read(&path).unwrap();
    assert_eq!(written, file.len() as u64);
    assert_eq!(progress.lock().unwrap().last().unwrap().done, written);
    let csv = file_in_zip(&file, "DeviceCompliance.csv");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "DeviceName,UPN,ComplianceState");
    assert_eq!(lines.len(), 501);
    assert!(lines[1].starts_with("DEVICE-00000,user"));

    let storage = emulator.storage_requests();
    assert_eq!(storage.len(), 1);
    assert_eq!(storage[0].method, "GET");
    assert!(
        storage[0]
            .path
            .starts_with(&format!("/reports/{}.zip?", job.id))
    );
    assert_eq!(storage[0].header("range"), None);
    assert_no_credentials(&storage);
}

#[tokio::test(start_paused = true)]
async fn polls_keep_retry_after_else_back_off() {
    let clock = HeldClock::hold();
    let (emulator, graph) = start(
        Emulator::builder()
            .export_job_polls(3)
            .export_job_retry_after(Duration::from_millis(300)),
    )
    .await;
    let asked = Arc::new(Mutex::new(Vec::new()));
    let recorded = asked.clone();
    let wait = Wait::default()
        .min_interval(Duration::from_millis(100))
        .on_poll(move |poll| {
            recorded
                .lock()
                .unwrap()
                .push((poll.elapsed, poll.next_poll_in));
        });
    let exporting = graph.clone();
    let export = tokio::spawn(async move {
        exporting
            .export_report(&ExportJobRequest::new("Devices"), &wait)
            .await
    });
    // Each poll comes 300 ms after the last, as Retry-After asked (not at
    // the 1 s default backoff), and not a millisecond sooner.
    for polled in 1..=2 {
        // Seen by `on_poll` just before the wait it announces begins.
        wait_for("a poll", || asked.lock().unwrap().len() == polled).await;
        clock.advance(Duration::from_millis(299)).await;
        settle().await;
        assert_eq!(graph_polls(&emulator).len(), polled, "polled early");
        clock.advance(Duration::from_millis(1)).await;
    }
    finished(export).await.unwrap();
    assert_eq!(graph_polls(&emulator).len(), 3);
    let ms = Duration::from_millis;
    assert_eq!(
        *asked.lock().unwrap(),
        [(ms(0), ms(300)), (ms(300), ms(300))]
    );

    // Without Retry-After: 50 ms, then 100 ms, then 200 ms (capped there).
    let (emulator, graph) = start(Emulator::builder().export_job_polls(5)).await;
    let times = Arc::new(Mutex::new(Vec::new()));
    let recorded = times.clone();
    let wait = Wait::default()
        .interval(Duration::from_millis(50), Duration::from_millis(200))
        .on_poll(move |poll| recorded.lock().unwrap().push(poll.next_poll_in));
    let export = tokio::spawn(async move {
        graph
            .export_report(&ExportJobRequest::new("Devices"), &wait)
            .await
    });
    let announced = times.clone();
    for (polled, wait) in [50, 100, 200, 200].into_iter().enumerate() {
        wait_for("a poll", || announced.lock().unwrap().len() == polled + 1).await;
        clock.advance(Duration::from_millis(wait)).await;
    }
    finished(export).await.unwrap();
    assert_eq!(
        *times.lock().unwrap(),
        [50, 100, 200, 200].map(Duration::from_millis)
    );
    assert_eq!(graph_polls(&emulator).len(), 5);
}

pub trait AsyncExports: Graph {
    #[graph_action(
        POST,
        "/deviceManagement/reports/exportJobs",
        expect = 202,
        version = "beta",
        headers("Prefer" = "respond-async")
    )]
    async fn start_export(&self, #[body] job: &Value) -> Result<Response<()>, Error>;
}

impl AsyncExports for GraphClient {}

#[tokio::test]
async fn a_202_with_location_is_awaited_through_one_helper() {
    let (emulator, graph) = start(
        Emulator::builder()
            .export_job_polls(2)
            .export_job_retry_after(Duration::from_millis(150)),
    )
    .await;
    let accepted = graph
        .start_export(&json!({"reportName": "Devices"}))
        .await
        .unwrap();
    assert_eq!(accepted.status(), 202);
    let location = accepted.location().unwrap().to_owned();
    assert!(location.starts_with(&format!(
        "{}/beta/deviceManagement/reports/exportJobs('Devices_",
        emulator.base_url()
    )));
    let started = Instant::now();
    let done = graph
        .wait_for_operation(&accepted, &Wait::default())
        .await
        .unwrap();
    // The first poll waits for the 202's Retry-After, the second the poll's.
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );
    let job: Value = done.json().unwrap();
    assert_eq!(job["status"], "completed");
    assert!(
        job["url"]
            .as_str()
            .unwrap()
            .starts_with(emulator.storage_url())
    );
    let polls = graph_polls(&emulator);
    assert_eq!(polls.len(), 2);
    for poll in polls {
        assert_eq!(format!("{}{}", emulator.base_url(), poll.path), location);
        assert_eq!(poll.header("authorization"), Some("Bearer emulator-token"));
    }
    let create = &emulator.requests()[0];
    assert_eq!(create.header("prefer"), Some("respond-async"));

    // A 202 without Location cannot be waited for.
    let bare = Response::new(
        graph_endpoint::http::StatusCode::ACCEPTED,
        Default::default(),
        (),
    );
    let error = graph
        .wait_for_operation(&bare, &Wait::default())
        .await
        .unwrap_err();
    assert!(error.to_string().contains("no Location"), "{error}");

    // A failed operation is a typed error.
    let (_failing, graph) = start(
        Emulator::builder()
            .export_jobs_fail(true)
            .export_job_polls(1),
    )
    .await;
    let accepted = graph
        .start_export(&json!({"reportName": "Devices"}))
        .await
        .unwrap();
    let error = graph
        .wait_for_operation(&accepted, &Wait::default())
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::JobFailed { status, .. } if status == "failed"),
        "{error}"
    );
}

#[tokio::test]
async fn a_failed_job_is_a_clear_error() {
    let (emulator, graph) = start(
        Emulator::builder()
            .export_jobs_fail(true)
            .export_job_polls(2),
    )
    .await;
    let error = graph
        .export_report(
            &ExportJobRequest::new("Devices"),
            &Wait::default().interval(Duration::from_millis(20), Duration::from_millis(20)),
        )
        .await
        .unwrap_err();
    match &error {
        Error::JobFailed {
            operation, status, ..
        } => {
            assert_eq!((*operation, status.as_str()), ("export_report", "failed"));
        }
        other => panic!("{other}"),
    }
    assert!(error.to_string().contains("`failed`"), "{error}");
    assert_eq!(graph_polls(&emulator).len(), 2);
    assert!(emulator.storage_requests().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_job_that_never_completes_ends_at_the_deadline() {
    let clock = HeldClock::hold();
    let (emulator, graph) = start(
        Emulator::builder()
            .export_job_polls(1_000_000)
            .export_job_retry_after(Duration::from_millis(50)),
    )
    .await;
    let started = tokio::time::Instant::now();
    let exporting = graph.clone();
    let announced = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = announced.clone();
    let wait = Wait::default()
        .deadline(Duration::from_millis(500))
        .min_interval(Duration::from_millis(10))
        .on_poll(move |_| {
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        });
    let export = tokio::spawn(async move {
        exporting
            .export_report(&ExportJobRequest::new("Devices"), &wait)
            .await
    });
    // Polls at 0, 50, ..., 450 ms; the next would be at the deadline.
    for polled in 1..=10 {
        wait_for("a poll", || {
            announced.load(std::sync::atomic::Ordering::SeqCst) == polled
        })
        .await;
        clock.advance(Duration::from_millis(50)).await;
    }
    let error = finished(export).await.unwrap_err();
    assert_eq!(clock.since(started), Duration::from_millis(500));
    match &error {
        Error::JobDeadline {
            polls, last_status, ..
        } => {
            assert_eq!(*polls, 10);
            assert_eq!(last_status.as_deref(), Some("inProgress"));
        }
        other => panic!("{other}"),
    }
    assert_eq!(graph_polls(&emulator).len(), 10);
    assert!(
        error.to_string().contains("did not complete within 0.5 s"),
        "{error}"
    );
}

/// A job-like resource of one's own, declared untyped: the runtime's
/// waiting and URL check work on it as they do on export jobs.
pub trait UntypedJobs: Graph {
    #[graph_action(
        POST,
        "/deviceManagement/reports/exportJobs",
        expect = 201,
        version = "beta"
    )]
    async fn start_job(&self, #[body] job: &Value) -> Result<Value, Error>;

    #[graph_action(
        GET,
        "/deviceManagement/reports/exportJobs('<id>')",
        expect = 200,
        version = "beta"
    )]
    async fn read_job(&self, id: &str) -> Result<Response<Value>, Error>;
}

impl UntypedJobs for GraphClient {}

fn job_status(job: &Value) -> String {
    job["status"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn any_job_like_resource_is_waited_for_by_its_status_and_its_url_checked() {
    let (emulator, graph) = start(
        Emulator::builder()
            .export_job_polls(3)
            .export_job_retry_after(Duration::from_millis(200)),
    )
    .await;
    let started = graph
        .start_job(&json!({"reportName": "Devices"}))
        .await
        .unwrap();
    let id = started["id"].as_str().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let statuses = seen.clone();
    let wait = Wait::default()
        .min_interval(Duration::from_millis(100))
        .on_poll(move |poll| {
            let told = (poll.status.to_owned(), poll.next_poll_in);
            statuses.lock().unwrap().push(told);
        });
    let job = wait
        .until_done("untyped_job", || graph.read_job(id), job_status)
        .await
        .unwrap();
    assert_eq!(job["status"], "completed");
    // Three polls, the two waits between them the Retry-After Graph gave.
    let in_progress = ("inProgress".to_owned(), Duration::from_millis(200));
    assert_eq!(*seen.lock().unwrap(), [in_progress.clone(), in_progress]);
    let polls = graph_polls(&emulator);
    assert_eq!(polls.len(), 3);
    for poll in &polls {
        assert_eq!(
            poll.path,
            format!("/beta/deviceManagement/reports/exportJobs('{id}')")
        );
    }
    let url =
        check_transfer_url("untyped_job", "the job's url", job["url"].as_str().unwrap()).unwrap();
    assert_eq!(
        url.origin(),
        graph_endpoint::reqwest::Url::parse(emulator.storage_url())
            .unwrap()
            .origin()
    );
    let refused = check_transfer_url(
        "untyped_job",
        "the job's url",
        "http://storage.example.com/r.zip",
    )
    .unwrap_err();
    assert!(
        matches!(
            refused,
            Error::InvalidRequest {
                endpoint: "untyped_job",
                ..
            }
        ),
        "{refused}"
    );
    assert!(emulator.storage_requests().is_empty());

    // A status that says failed ends the wait, named as the caller named it.
    let (emulator, graph) = start(
        Emulator::builder()
            .export_jobs_fail(true)
            .export_job_polls(2),
    )
    .await;
    let started = graph
        .start_job(&json!({"reportName": "Devices"}))
        .await
        .unwrap();
    let id = started["id"].as_str().unwrap();
    let error = Wait::default()
        .interval(Duration::from_millis(20), Duration::from_millis(20))
        .until_done("untyped_job", || graph.read_job(id), job_status)
        .await
        .unwrap_err();
    assert!(
        matches!(
            &error,
            Error::JobFailed { operation: "untyped_job", status, detail: None } if status == "failed"
        ),
        "{error}"
    );
    assert_eq!(graph_polls(&emulator).len(), 2);
}

#[tokio::test]
async fn dropping_the_wait_stops_the_polling() {
    let (emulator, graph) = start(
        Emulator::builder()
            .export_job_polls(1_000_000)
            .export_job_retry_after(Duration::from_millis(40)),
    )
    .await;
    let (request, wait) = (ExportJobRequest::new("Devices"), Wait::default());
    let mut waiting = Box::pin(graph.export_report(&request, &wait));
    // Drive the wait until it has polled three times, however slow the machine.
    let deadline = Instant::now() + Duration::from_secs(30);
    while graph_polls(&emulator).len() < 3 {
        assert!(Instant::now() < deadline, "the wait did not poll");
        let step = tokio::time::timeout(Duration::from_millis(50), &mut waiting).await;
        assert!(step.is_err(), "the job cannot complete");
    }
    drop(waiting);
    let polls = graph_polls(&emulator).len();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(graph_polls(&emulator).len(), polls);
}

#[tokio::test]
async fn a_report_url_that_is_not_https_outside_loopback_is_refused() {
    let (emulator, graph) = start(
        Emulator::builder()
            .export_job_polls(1)
            .export_url_base("http://storage.example.com"),
    )
    .await;
    let error = graph
        .export_report(&ExportJobRequest::new("Devices"), &Wait::default())
        .await
        .unwrap_err();
    assert!(matches!(error, Error::InvalidRequest { .. }), "{error}");
    assert!(
        error
            .to_string()
            .contains("plain http on a non-loopback host"),
        "{error}"
    );
    for url in [
        "http://storage.example.com/r.zip",
        "ftp://127.0.0.1/r.zip",
        "https://user:pw@storage.example.com/r.zip",
        "not a url",
    ] {
        let error = graph
            .download(url)
            .to_writer(&mut Vec::new())
            .await
            .unwrap_err();
        assert!(
            matches!(
                error,
                Error::InvalidRequest {
                    endpoint: "download",
                    ..
                }
            ),
            "{url}: {error}"
        );
    }
    assert!(emulator.storage_requests().is_empty());
}

#[tokio::test]
async fn a_zip_cut_short_is_detected() {
    let (emulator, graph) = start(Emulator::builder().export_job_polls(1).export_rows(2_000)).await;
    let job = graph
        .export_report(&ExportJobRequest::new("Devices"), &Wait::default())
        .await
        .unwrap();
    emulator.inject_storage(StorageFault::TruncatedZip);
    let mut out = Vec::new();
    let error = job
        .download(&graph)
        .unwrap()
        .to_writer(&mut out)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Incomplete { .. }), "{error}");
    assert!(error.to_string().contains("zip is cut short"), "{error}");
    // The same job downloads whole the next time.
    let mut whole = Vec::new();
    job.download(&graph)
        .unwrap()
        .to_writer(&mut whole)
        .await
        .unwrap();
    assert_eq!(out.len(), whole.len() / 2);
    assert_eq!(file_in_zip(&whole, "Devices.csv").lines().count(), 2_001);
    assert_no_credentials(&emulator.storage_requests());
}

#[tokio::test]
async fn a_broken_download_resumes_with_range() {
    let (emulator, graph) = start(Emulator::builder()).await;
    let size = 3 * 1024 * 1024 + 17;
    let url = emulator.storage_blob("big.bin", size, 9);
    let cut = 1024 * 1024 + 123;
    emulator.inject_storage(StorageFault::CutDownloadAt(cut));
    let mut out = Vec::new();
    let written = graph.download(&url).to_writer(&mut out).await.unwrap();
    assert_eq!(written, size);
    assert_eq!(sha256(&out), sha256(&blob(9, size as usize)));
    let storage = emulator.storage_requests();
    assert_eq!(storage.len(), 2);
    assert_eq!(storage[0].header("range"), None);
    // Resumed from the last byte written, at or before the cut.
    let resumed_from: u64 = storage[1]
        .header("range")
        .and_then(|r| r.strip_prefix("bytes="))
        .and_then(|r| r.strip_suffix('-'))
        .and_then(|r| r.parse().ok())
        .unwrap();
    assert!(resumed_from > 0 && resumed_from <= cut, "{resumed_from}");
    assert_no_credentials(&storage);

    // A server that does not honour Range: the download fails, clearly.
    let (emulator, graph) = start(Emulator::builder().storage_ranges(false)).await;
    let url = emulator.storage_blob("big.bin", size, 9);
    emulator.inject_storage(StorageFault::CutDownloadAt(cut));
    let error = graph
        .download(&url)
        .to_writer(&mut Vec::new())
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::Incomplete { received, .. } if received > 0 && received <= cut),
        "{error}"
    );
    assert!(
        error.to_string().contains("does not honour Range"),
        "{error}"
    );
    assert_eq!(emulator.storage_requests().len(), 1);
}

pub trait ReportStreams: Graph {
    #[graph_action(
        POST,
        "/deviceManagement/reports/getDeviceNonComplianceReport",
        expect = 200,
        version = "beta"
    )]
    async fn non_compliance_report(&self, #[body] request: &Value) -> Result<BodyStream, Error>;

    #[graph_action(PUT, "/drives/<drive>/items/<parent>:/<name>:/content", expect = [200, 201])]
    async fn put_content(
        &self,
        drive: &str,
        parent: &str,
        name: &str,
        #[body] content: StreamBody,
    ) -> Result<Value, Error>;
}

impl ReportStreams for GraphClient {}

/// A transport of one's own that buffers: the default `send_streamed`.
struct Buffering(GraphClient);

impl Graph for Buffering {
    async fn send(
        &self,
        request: graph_endpoint::Request,
    ) -> Result<graph_endpoint::RawResponse, Error> {
        self.0.send(request).await
    }
}

impl ReportStreams for Buffering {}

#[tokio::test]
async fn an_edm_stream_answer_is_read_in_chunks_and_a_body_streams_from_a_reader() {
    let (emulator, graph) = start(Emulator::builder()).await;
    let mut body = graph
        .non_compliance_report(&json!({"select": ["DeviceName", "ComplianceState"], "top": 20_000}))
        .await
        .unwrap();
    assert_eq!(body.status(), 200);
    assert_eq!(
        body.header("content-type"),
        Some("application/octet-stream")
    );
    let announced = body.content_length().unwrap();
    let mut chunks = 0;
    let mut all = Vec::new();
    while let Some(chunk) = body.chunk().await.unwrap() {
        chunks += 1;
        all.extend_from_slice(&chunk);
    }
    assert!(chunks > 1, "{chunks} chunks");
    assert_eq!(all.len() as u64, announced);
    let report: Value = serde_json::from_slice(&all).unwrap();
    assert_eq!(report["TotalRowCount"], 20_000);
    let request = emulator.last_request().unwrap();
    assert_eq!(
        request.header("authorization"),
        Some("Bearer emulator-token")
    );
    assert_eq!(request.json().unwrap()["top"], 20_000);

    // Through a transport that buffers, the same declaration still works.
    let buffered = Buffering(graph.clone())
        .non_compliance_report(&json!({"top": 3}))
        .await
        .unwrap();
    let mut out = Vec::new();
    buffered.write_to(&mut out).await.unwrap();
    assert_eq!(
        serde_json::from_slice::<Value>(&out).unwrap()["TotalRowCount"],
        3
    );

    // An unexpected status is the usual error, its body read.
    let error = graph.non_compliance_report(&json!(null)).await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(400));

    // A body streamed from a reader, of a known length.
    let content = blob(3, 700_000);
    let reader = std::io::Cursor::new(content.clone());
    let body = StreamBody::from_reader(reader, content.len() as u64).content_type("text/csv");
    let item = graph
        .put_content("d1", "root", "devices.csv", body)
        .await
        .unwrap();
    assert_eq!(item["size"], 700_000);
    let put = emulator.last_request().unwrap();
    assert_eq!(put.method, "PUT");
    assert_eq!(put.path, "/v1.0/drives/d1/items/root:/devices.csv:/content");
    assert_eq!(put.header("content-length"), Some("700000"));
    assert_eq!(put.header("content-type"), Some("text/csv"));
    assert_eq!(put.header("authorization"), Some("Bearer emulator-token"));
    assert_eq!(emulator.stored_files()[0].sha256, sha256(&content));

    // A stream shorter than its declared length is not sent as if whole.
    let short = StreamBody::from_reader(std::io::Cursor::new(vec![1u8; 10]), 20);
    let error = graph
        .put_content("d1", "root", "short.bin", short)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Transport { .. }), "{error}");
    assert_eq!(emulator.stored_files().len(), 1);
}

/// OneDrive's `createUploadSession` for a file in a drive, declared as a
/// user declares a resource's upload session: the runtime only sends the
/// content ([`GraphClient::upload`]).
pub trait DriveUploads: Graph {
    #[graph_action(
        POST,
        "/drives/<drive_id>/items/<parent_id>:/<file_name>:/createUploadSession",
        expect = 200,
        permissions = ["Files.ReadWrite.All"]
    )]
    async fn create_upload_session(
        &self,
        drive_id: &str,
        parent_id: &str,
        file_name: &str,
    ) -> Result<UploadSession, Error>;
}

impl DriveUploads for GraphClient {}

async fn new_session(graph: &GraphClient, name: &str) -> UploadSession {
    graph
        .create_upload_session("b!drive", "root", name)
        .await
        .unwrap()
}

fn chunk_puts(emulator: &Emulator) -> Vec<String> {
    emulator
        .storage_requests()
        .into_iter()
        .filter(|r| r.method == "PUT")
        .map(|r| r.header("content-range").unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn an_upload_session_takes_chunks_of_320_kib_multiples_without_the_token() {
    let (emulator, graph) = start(Emulator::builder()).await;
    let session = new_session(&graph, "disk.img").await;
    let create = emulator.last_request().unwrap();
    assert_eq!(
        (create.method.as_str(), create.path.as_str()),
        (
            "POST",
            "/v1.0/drives/b%21drive/items/root:/disk.img:/createUploadSession"
        )
    );
    assert_eq!(
        create.header("authorization"),
        Some("Bearer emulator-token")
    );
    assert!(session.upload_url.starts_with(emulator.storage_url()));

    let chunk = 2 * UPLOAD_CHUNK_MULTIPLE;
    let total = 5 * chunk + 1_000;
    let content = blob(11, total as usize);
    let progress = Arc::new(Mutex::new(Vec::new()));
    let told = progress.clone();
    let created = graph
        .upload(&session, &content[..], total)
        .chunk_size(chunk + 1000) // rounded down to 2 × 320 KiB
        .on_progress(move |p| told.lock().unwrap().push(p.done))
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let item: Value = serde_json::from_slice(created.body()).unwrap();
    assert_eq!(item["size"], total);

    let expected: Vec<String> = (0..6)
        .map(|i| {
            let start = i * chunk;
            let end = (start + chunk).min(total) - 1;
            format!("bytes {start}-{end}/{total}")
        })
        .collect();
    assert_eq!(chunk_puts(&emulator), expected);
    for put in emulator.storage_requests() {
        let length: u64 = put.header("content-length").unwrap().parse().unwrap();
        assert!(length.is_multiple_of(UPLOAD_CHUNK_MULTIPLE) || length == 1_000);
    }
    assert_no_credentials(&emulator.storage_requests());
    assert_eq!(
        *progress.lock().unwrap(),
        [1, 2, 3, 4, 5]
            .map(|i| i * chunk)
            .into_iter()
            .chain([total])
            .collect::<Vec<_>>()
    );
    let stored = &emulator.stored_files()[0];
    assert_eq!((stored.name.as_str(), stored.size), ("disk.img", total));
    assert_eq!(stored.sha256, sha256(&content));
}

/// Uploads `chunks` chunks (and a short last one) with a fault at chunk
/// `fault_at`; the stored bytes must be the content's.
async fn interrupted_upload(fault_at: u64, drop_connection: bool, chunks: u64) {
    let (emulator, graph) = start(Emulator::builder()).await;
    let session = new_session(&graph, "resumed.bin").await;
    let chunk = UPLOAD_CHUNK_MULTIPLE;
    let total = chunks * chunk + 4_321;
    let content = blob(fault_at + 100, total as usize);
    let start = fault_at * chunk;
    emulator.inject_storage(if drop_connection {
        StorageFault::DropChunkAt(start)
    } else {
        StorageFault::RejectChunkAt(start)
    });
    graph
        .upload(&session, &content[..], total)
        .chunk_size(chunk)
        .await
        .unwrap();
    let stored = emulator.stored_files();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].size, total);
    assert_eq!(
        stored[0].sha256,
        sha256(&content),
        "the stored bytes differ"
    );
    // The failed chunk, the session's status asked, the same chunk again.
    let storage = emulator.storage_requests();
    let failed = storage
        .iter()
        .position(|r| {
            r.method == "PUT"
                && r.header("content-range")
                    .unwrap()
                    .starts_with(&format!("bytes {start}-"))
        })
        .unwrap();
    assert_eq!(storage[failed + 1].method, "GET");
    assert_eq!(storage[failed + 2].method, "PUT");
    assert_eq!(
        storage[failed + 2].header("content-range"),
        storage[failed].header("content-range")
    );
    assert_eq!(chunk_puts(&emulator).len() as u64, chunks + 2);
    assert_no_credentials(&storage);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    /// An upload interrupted at a random chunk (refused, or its connection
    /// dropped halfway) resumes, and the stored bytes are the content's.
    #[test]
    fn an_upload_interrupted_at_a_random_chunk_resumes_with_the_same_bytes(
        fault_at in 0u64..9,
        drop_connection in any::<bool>(),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(interrupted_upload(fault_at, drop_connection, 8));
    }
}

/// A reader that fails after `limit` bytes, as a disk or a pipe might.
struct FailingAfter {
    inner: std::io::Cursor<Vec<u8>>,
    limit: u64,
}

impl tokio::io::AsyncRead for FailingAfter {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let position = self.inner.position();
        if position >= self.limit {
            return std::task::Poll::Ready(Err(std::io::Error::other("the disk went away")));
        }
        let room = (self.limit - position).min(buf.remaining() as u64) as usize;
        let mut part = vec![0; room];
        let read = std::io::Read::read(&mut self.inner, &mut part)?;
        buf.put_slice(&part[..read]);
        std::task::Poll::Ready(Ok(()))
    }
}

#[tokio::test]
async fn an_upload_goes_on_from_next_expected_ranges_in_a_later_run_and_can_be_cancelled() {
    let (emulator, graph) = start(Emulator::builder()).await;
    let session = new_session(&graph, "later.bin").await;
    let chunk = UPLOAD_CHUNK_MULTIPLE;
    let total = 4 * chunk + 10;
    let content = blob(5, total as usize);
    let failing = FailingAfter {
        inner: std::io::Cursor::new(content.clone()),
        limit: 2 * chunk + 5,
    };
    let error = graph
        .upload(&session, failing, total)
        .chunk_size(chunk)
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Io {
                endpoint: "upload",
                ..
            }
        ),
        "{error}"
    );
    let status = graph.upload_status(&session).await.unwrap();
    assert_eq!(status.next_expected_ranges, [format!("{}-", 2 * chunk)]);

    // A later run, the source from its start: it skips what the session has.
    graph
        .upload(&session, &content[..], total)
        .chunk_size(chunk)
        .resume()
        .await
        .unwrap();
    assert_eq!(emulator.stored_files()[0].sha256, sha256(&content));
    let puts = chunk_puts(&emulator);
    assert_eq!(
        puts,
        [
            format!("bytes 0-{}/{total}", chunk - 1),
            format!("bytes {chunk}-{}/{total}", 2 * chunk - 1),
            format!("bytes {}-{}/{total}", 2 * chunk, 3 * chunk - 1),
            format!("bytes {}-{}/{total}", 3 * chunk, 4 * chunk - 1),
            format!("bytes {}-{}/{total}", 4 * chunk, total - 1),
        ]
    );

    // Cancel: DELETE uploadUrl, without the token; the session is gone.
    let session = new_session(&graph, "cancelled.bin").await;
    assert_eq!(emulator.open_upload_sessions(), 1);
    graph.cancel_upload(&session).await.unwrap();
    assert_eq!(emulator.open_upload_sessions(), 0);
    let delete = emulator.storage_requests().pop().unwrap();
    assert_eq!(delete.method, "DELETE");
    assert!(session.upload_url.ends_with(&delete.path));
    let error = graph
        .upload(&session, &content[..], total)
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::UploadSessionExpired { .. }),
        "{error}"
    );
    assert_no_credentials(&emulator.storage_requests());
}

#[tokio::test]
async fn an_expired_upload_session_is_a_clear_error() {
    let (emulator, graph) = start(Emulator::builder()).await;
    let session = new_session(&graph, "late.bin").await;
    let content = blob(1, 3 * UPLOAD_CHUNK_MULTIPLE as usize);
    emulator.expire_upload_sessions();
    let error = graph
        .upload(&session, &content[..], content.len() as u64)
        .chunk_size(UPLOAD_CHUNK_MULTIPLE)
        .await
        .unwrap_err();
    match &error {
        Error::UploadSessionExpired { expired_at } => {
            assert_eq!(expired_at, &session.expiration_date_time);
        }
        other => panic!("{other}"),
    }
    assert!(
        error.to_string().contains("create a new session"),
        "{error}"
    );

    // A session whose expirationDateTime has passed is refused before sending.
    let (emulator, graph) =
        start(Emulator::builder().upload_session_lifetime(Duration::ZERO)).await;
    let session = new_session(&graph, "late.bin").await;
    assert!(session.is_expired());
    let error = graph
        .upload(&session, &content[..], content.len() as u64)
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::UploadSessionExpired { .. }),
        "{error}"
    );
    assert!(emulator.storage_requests().is_empty());
}

/// The text of the file `name` in a zip, inflated and checked against its
/// recorded size and CRC.
fn file_in_zip(zip: &[u8], name: &str) -> String {
    let archive = rawzip::ZipArchive::from_slice(zip).unwrap();
    let mut entries = archive.entries();
    while let Some(entry) = entries.next_entry().unwrap() {
        if entry.file_path().try_normalize().unwrap().as_ref() != name {
            continue;
        }
        let local = archive.get_entry(entry.wayfinder()).unwrap();
        let inflate = flate2::bufread::DeflateDecoder::new(local.data());
        let mut text = String::new();
        local
            .verifying_reader(inflate)
            .read_to_string(&mut text)
            .unwrap();
        return text;
    }
    panic!("no {name} in the zip");
}
