//! Rules the README states that no other module shows, each over HTTP on
//! 127.0.0.1: spans never carry a filled path; PUT and DELETE are repeated
//! after a broken exchange; a body that cannot serialize is refused before
//! anything is sent; an upload answered `416` goes on from where the
//! session says.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use graph_endpoint::{
    Error, Graph, GraphClient, Response, RetryPolicy, UPLOAD_CHUNK_MULTIPLE, graph_action,
};
use graph_endpoint_device_management::android_for_work_profiles::{
    AndroidForWorkEnrollmentProfile, AndroidForWorkEnrollmentProfiles,
};
use graph_endpoint_emulator::{Emulator, Fault, Injection, fill_blob};
use serde::Serialize;

use crate::common;
use crate::long_work::DriveUploads;

pub trait Rules: Graph {
    #[graph_action(
        PUT,
        "/deviceManagement/androidForWorkEnrollmentProfiles/<id>/settings",
        expect = 204,
        version = "beta"
    )]
    async fn put_settings(
        &self,
        id: &str,
        #[body] settings: &serde_json::Value,
    ) -> Result<Response<()>, Error>;

    #[graph_action(
        DELETE,
        "/deviceManagement/androidForWorkEnrollmentProfiles/<id>",
        expect = 204,
        version = "beta"
    )]
    async fn delete_with_attempts(&self, id: &str) -> Result<Response<()>, Error>;

    #[graph_action(
        POST,
        "/deviceManagement/androidForWorkEnrollmentProfiles",
        expect = 201,
        version = "beta"
    )]
    async fn create_from(&self, #[body] body: &Unserializable) -> Result<serde_json::Value, Error>;
}

impl Rules for GraphClient {}

/// A body whose serialization fails, as a map with non-string keys does.
pub struct Unserializable(BTreeMap<(u8, u8), u8>);

impl Serialize for Unserializable {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

fn retrying(emulator: &Emulator) -> GraphClient {
    common::retrying_client(emulator)
}

// ---------------------------------------------------------------------------
// Tracing
// ---------------------------------------------------------------------------

/// Everything traced on this thread, spans (with their fields) included.
#[derive(Clone, Default)]
struct Traced(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Traced {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Traced {
    type Writer = Traced;
    fn make_writer(&'a self) -> Traced {
        self.clone()
    }
}

#[tokio::test]
async fn spans_carry_the_path_template_never_the_values_in_it() {
    let traced = Traced::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(traced.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::FULL)
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let emulator = Emulator::start().await.unwrap();
    let graph = retrying(&emulator);
    // An id as personal as a user principal name.
    let id = "jane.doe@contoso.com";
    // A success, a retried throttling, an error: spans open, record and close.
    emulator.inject(Injection::once(Fault::json(
        200,
        serde_json::json!({"id": id}),
    )));
    graph.get_profile(id).await.unwrap();
    emulator.inject(Injection::once(Fault::Throttle(None)));
    graph.get_profile(id).await.unwrap_err();
    graph.revoke_token(id).await.unwrap_err();

    let text = String::from_utf8_lossy(&traced.0.lock().unwrap()).into_owned();
    let spans: Vec<&str> = text.lines().filter(|l| l.contains("graph.call")).collect();
    assert!(
        spans.iter().any(|l| l.contains(
            r#"path="/deviceManagement/androidForWorkEnrollmentProfiles/<id>/revokeToken""#
        )),
        "{text}"
    );
    assert!(spans.iter().any(|l| l.contains("close")), "{text}");
    for (line, form) in text
        .lines()
        .flat_map(|l| [(l, id), (l, "jane.doe%40contoso.com")])
    {
        assert!(!line.contains(form), "the id's value was traced: {line}");
    }
    // The calls did reach the service with the id filled in.
    assert_eq!(
        emulator.last_request().unwrap().path,
        "/beta/deviceManagement/androidForWorkEnrollmentProfiles/jane.doe%40contoso.com/revokeToken"
    );
}

// ---------------------------------------------------------------------------
// Transport retries of PUT and DELETE
// ---------------------------------------------------------------------------

#[tokio::test]
async fn put_and_delete_are_repeated_after_a_broken_exchange() {
    let emulator = common::emulator_with(1).await;
    let id = common::stored_ids(&emulator)[0].clone();
    let graph = retrying(&emulator);

    // PUT replaces: sending it twice leaves what sending it once does.
    emulator.inject(Injection::once(Fault::DropConnection).on_method("PUT"));
    emulator.inject(
        Injection::once(Fault::Respond {
            status: 204,
            headers: Vec::new(),
            body: Default::default(),
        })
        .on_method("PUT"),
    );
    let settings = serde_json::json!({"kiosk": true});
    let put = graph.put_settings(&id, &settings).await.unwrap();
    assert_eq!(put.failed_attempts().len(), 1);
    let requests = emulator.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].body, requests[1].body, "the body is sent again");
    assert_eq!(requests[1].json().unwrap(), settings);

    // DELETE too: the second try deletes.
    emulator.clear_requests();
    emulator.inject(Injection::once(Fault::DropConnection).on_method("DELETE"));
    let deleted = graph.delete_with_attempts(&id).await.unwrap();
    assert_eq!(deleted.failed_attempts().len(), 1);
    assert_eq!(emulator.request_count(), 2);
    assert!(emulator.profile(&id).is_none());

    // A POST is not repeated (it may have taken effect).
    emulator.clear_requests();
    emulator.inject(Injection::once(Fault::DropConnection).on_method("POST"));
    let err = graph
        .create_profile(&AndroidForWorkEnrollmentProfile::named("once"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert_eq!(emulator.request_count(), 1);
}

// ---------------------------------------------------------------------------
// Bodies that cannot serialize
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_body_that_cannot_serialize_is_refused_before_anything_is_sent() {
    let emulator = Emulator::start().await.unwrap();
    let graph = retrying(&emulator);
    let body = Unserializable([((1, 2), 3)].into_iter().collect());
    let err = graph.create_from(&body).await.unwrap_err();
    match &err {
        Error::InvalidRequest { endpoint, reason } => {
            assert_eq!(*endpoint, "create_from");
            assert!(reason.contains("key must be a string"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(emulator.request_count(), 0);
}

// ---------------------------------------------------------------------------
// An upload answered 416
// ---------------------------------------------------------------------------

#[tokio::test]
async fn an_upload_answered_416_goes_on_from_the_sessions_next_expected_range() {
    let emulator = Emulator::start().await.unwrap();
    let graph = GraphClient::builder()
        .base_url(emulator.base_url())
        .token(emulator.token())
        .retry(RetryPolicy::default().base_delay(std::time::Duration::from_millis(1)))
        .build()
        .unwrap();
    let session = graph
        .create_upload_session("b!drive", "root", "disk.img")
        .await
        .unwrap();
    let chunk = UPLOAD_CHUNK_MULTIPLE;
    let total = 3 * chunk + 1_000;
    let mut content = vec![0; total as usize];
    fill_blob(416, 0, &mut content);

    // Another process already stored the first chunk: this one starts at 0.
    let first = reqwest::Client::new()
        .put(&session.upload_url)
        .header("content-range", format!("bytes 0-{}/{total}", chunk - 1))
        .body(content[..chunk as usize].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 202);
    emulator.clear_storage_requests();

    graph
        .upload(&session, &content[..], total)
        .chunk_size(chunk)
        .await
        .unwrap();
    let storage: Vec<(String, String)> = emulator
        .storage_requests()
        .into_iter()
        .map(|r| {
            (
                r.method.clone(),
                r.header("content-range").unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let range = |from: u64, to: u64| format!("bytes {from}-{to}/{total}");
    assert_eq!(
        storage,
        [
            ("PUT".to_owned(), range(0, chunk - 1)),
            ("GET".to_owned(), String::new()),
            ("PUT".to_owned(), range(chunk, 2 * chunk - 1)),
            ("PUT".to_owned(), range(2 * chunk, 3 * chunk - 1)),
            ("PUT".to_owned(), range(3 * chunk, total - 1)),
        ],
        "416, the session asked, then on from its next expected range"
    );
    let stored = &emulator.stored_files()[0];
    assert_eq!(stored.size, total);
    let digest: String = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &content)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(stored.sha256, digest);
}
