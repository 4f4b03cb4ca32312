//! The stand-in answers in the shapes Graph's documentation shows
//! (`tests/fixtures/graph/`): the error envelope, the page envelope with
//! `$skiptoken` and `@odata.count`, the batch envelope with its items' 424,
//! 429 and base64 bodies, the 429 with `Retry-After` (injected, and from a
//! service family's limit, on a request and on a `$batch` item), and report export jobs'
//! states. A shape is the set of members and the JSON type of each, member
//! by member; values are the stand-in's own.

use serde_json::{Value, json};

use std::time::Duration;

use graph_endpoint_emulator::{
    Emulator, FamilyLimit, Fault, Injection, RetryAfter, RetryAfterHint,
};

use crate::fixtures;

const COLLECTION: &str = "/beta/deviceManagement/androidForWorkEnrollmentProfiles";

/// The JSON type of a value, as a word.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Every member of `documented` is in `actual`, of the same JSON type, all
/// the way down (arrays compared by their first elements); `actual` may
/// have more. The mismatches, by path.
fn mismatches(documented: &Value, actual: &Value, path: &str) -> Vec<String> {
    match (documented, actual) {
        // Which headers an item carries is the answering service's business.
        (Value::Object(_), Value::Object(_)) if path.ends_with("/headers") => Vec::new(),
        (Value::Object(expected), Value::Object(got)) => expected
            .iter()
            .flat_map(|(key, value)| match got.get(key) {
                None => vec![format!("{path}/{key}: missing")],
                Some(other) => mismatches(value, other, &format!("{path}/{key}")),
            })
            .collect(),
        (Value::Array(expected), Value::Array(got)) => match (expected.first(), got.first()) {
            (Some(e), Some(g)) => mismatches(e, g, &format!("{path}/0")),
            _ => Vec::new(),
        },
        (e, g) if kind(e) == kind(g) => Vec::new(),
        (e, g) => vec![format!("{path}: {} where Graph has {}", kind(g), kind(e))],
    }
}

fn assert_shaped_like(documented: &Value, actual: &Value, what: &str) {
    let found = mismatches(documented, actual, "");
    assert!(
        found.is_empty(),
        "{what} differs from Graph's documented shape: {found:?}\nstand-in: {actual}"
    );
}

/// A raw request to the stand-in, as any HTTP client would make it.
async fn send(
    emulator: &Emulator,
    method: reqwest::Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut request = reqwest::Client::new()
        .request(method, format!("{}{path}", emulator.base_url()))
        .bearer_auth(emulator.token());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.unwrap();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{path}: {e}"))
    };
    (status, headers, body)
}

async fn get(emulator: &Emulator, path: &str, headers: &[(&str, &str)]) -> (u16, Value) {
    let (status, _, body) = send(emulator, reqwest::Method::GET, path, headers, None).await;
    (status, body)
}

#[tokio::test]
async fn errors_come_in_the_documented_envelope() {
    let documented = fixtures::load("unsupported-query");
    let emulator = Emulator::start().await.unwrap();
    let (status, body) = get(&emulator, &format!("{COLLECTION}/no-such-id"), &[]).await;
    assert_eq!(status, 404);
    assert_shaped_like(&documented.body, &body, "a 404");
    // The advanced-query refusal, on a directory object's collection: the
    // documented code, in the documented envelope.
    let emulator = Emulator::builder()
        .entity_sets(&[("/users", "microsoft.graph.user")])
        .start()
        .await
        .unwrap();
    let (status, body) = get(&emulator, "/v1.0/users?$search=%22displayName:Jane%22", &[]).await;
    assert_eq!(status, documented.status);
    assert_eq!(body["error"]["code"], documented.body["error"]["code"]);
    assert_shaped_like(&documented.body, &body, "an advanced query refused");
    let (status, _) = get(
        &emulator,
        "/v1.0/users?$search=%22displayName:Jane%22",
        &[("ConsistencyLevel", "eventual")],
    )
    .await;
    assert_eq!(status, 200);
    // On an Intune collection it is no advanced query: no header needed.
    let emulator = Emulator::start().await.unwrap();
    let (status, _) = get(
        &emulator,
        &format!("{COLLECTION}?$search=%22kiosk%22&$count=true"),
        &[],
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn pages_come_in_the_documented_envelope() {
    let with_link = fixtures::load("page-with-skiptoken");
    let with_count = fixtures::load("page-with-count");
    let emulator = Emulator::builder().profiles(3).start().await.unwrap();
    let (status, first) = get(&emulator, &format!("{COLLECTION}?$top=1&$count=true"), &[]).await;
    assert_eq!(status, 200);
    let mut documented = with_link.body.clone();
    documented["@odata.count"] = with_count.body["@odata.count"].clone();
    documented["value"] = json!([]);
    assert_shaped_like(&documented, &first, "a first page");
    let next = first["@odata.nextLink"].as_str().unwrap();
    assert!(next.contains("$skiptoken="), "{next}");
    // @odata.count comes on the first page only (Graph's paging page).
    let (_, second) = get(&emulator, next.trim_start_matches(emulator.base_url()), &[]).await;
    assert!(second.get("@odata.count").is_none(), "{second}");
}

#[tokio::test]
async fn batches_come_in_the_documented_envelope() {
    let documented = fixtures::load("batch-errors-with-headers");
    let throttled = fixtures::load("batch-throttled-and-failed-dependency");
    let binary = fixtures::load("batch-binary-body");
    let emulator = Emulator::builder().profiles(1).start().await.unwrap();
    let id = emulator.profiles()[0]["id"].as_str().unwrap().to_owned();
    // The item of the missing profile: an error item; item 2 depends on it.
    emulator.inject(
        Injection::once(Fault::Throttle(Some(RetryAfter::FractionalSeconds(2.128))))
            .on_path("throttled-profile"),
    );
    emulator.inject(Injection::once(Fault::HtmlError { status: 502 }).on_path("html-profile"));
    let (status, _, answer) = send(
        &emulator,
        reqwest::Method::POST,
        "/beta/$batch",
        &[],
        Some(json!({"requests": [
            {"id": "0", "method": "GET", "url": format!("/deviceManagement/androidForWorkEnrollmentProfiles/{id}")},
            {"id": "1", "method": "GET", "url": "/deviceManagement/androidForWorkEnrollmentProfiles/missing"},
            {"id": "2", "method": "GET", "url": format!("/deviceManagement/androidForWorkEnrollmentProfiles/{id}"), "dependsOn": ["1"]},
            {"id": "3", "method": "GET", "url": "/deviceManagement/androidForWorkEnrollmentProfiles/throttled-profile"},
            {"id": "4", "method": "GET", "url": "/deviceManagement/androidForWorkEnrollmentProfiles/html-profile"}
        ]})),
    )
    .await;
    assert_eq!(status, 200);
    let envelope = json!({"responses": []});
    assert_shaped_like(&envelope, &answer, "a batch answer");
    let item = |wanted: &str| {
        answer["responses"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == wanted)
            .unwrap_or_else(|| panic!("no item {wanted}: {answer}"))
            .clone()
    };
    assert_eq!(item("0")["status"], 200);
    let missing = item("1");
    assert_eq!(missing["status"], 404);
    assert_shaped_like(&documented.body["responses"][0], &missing, "an error item");
    assert!(
        missing["headers"]
            .as_object()
            .unwrap()
            .keys()
            .any(|name| name.eq_ignore_ascii_case("content-type")),
        "an item says its Content-Type, as the documented ones do: {missing}"
    );
    let dependent = item("2");
    assert_eq!(dependent["status"], 424);
    assert_shaped_like(&throttled.body["responses"][0], &dependent, "a 424 item");
    let limited = item("3");
    assert_eq!(limited["status"], 429);
    assert_shaped_like(
        &throttled.body["responses"][1],
        &limited,
        "a throttled item",
    );
    let retry_after = limited["headers"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("retry-after"))
        .map(|(_, value)| value.clone());
    assert_eq!(retry_after, Some(json!("2.128")));
    // Not JSON: a base64 string, with the item's Content-Type.
    let html = item("4");
    assert_shaped_like(&binary.body["responses"][0], &html, "a non-JSON item");
    let content_type = html["headers"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-type"))
        .map(|(_, value)| value.as_str().unwrap().to_owned())
        .unwrap();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    use base64::Engine as _;
    let page = base64::engine::general_purpose::STANDARD
        .decode(html["body"].as_str().unwrap())
        .unwrap();
    assert!(
        String::from_utf8(page).unwrap().contains("<html"),
        "HTML, whole"
    );
}

#[tokio::test]
async fn throttling_comes_as_documented() {
    let documented = fixtures::load("throttled");
    let emulator = Emulator::start().await.unwrap();
    emulator.inject(Injection::once(Fault::Throttle(Some(
        RetryAfter::FractionalSeconds(2.128),
    ))));
    let (status, headers, body) =
        send(&emulator, reqwest::Method::GET, COLLECTION, &[], None).await;
    assert_eq!(status, documented.status);
    assert_eq!(
        headers["retry-after"].to_str().unwrap(),
        documented.header("Retry-After").unwrap()
    );
    assert_eq!(body["error"]["code"], documented.body["error"]["code"]);
    assert_shaped_like(&documented.body, &body, "a 429");
}

/// The 429s of a service family's limit, on a request and on a `$batch`
/// item, come in the documented envelope with the documented headers.
#[tokio::test]
async fn family_limits_throttle_as_documented() {
    let documented = fixtures::load("throttled");
    let documented_item = fixtures::load("batch-throttled-and-failed-dependency");
    let emulator = Emulator::builder()
        .limit(
            FamilyLimit::new(
                "profiles",
                ["/deviceManagement/androidForWorkEnrollmentProfiles"],
            )
            .any(1, Duration::from_secs(60))
            .retry_after(RetryAfterHint::WholeSeconds),
        )
        .start()
        .await
        .unwrap();
    let (first, _) = get(&emulator, COLLECTION, &[]).await;
    assert_eq!(first, 200, "the family's one request is admitted");
    let (status, headers, body) =
        send(&emulator, reqwest::Method::GET, COLLECTION, &[], None).await;
    assert_eq!(status, documented.status);
    let seconds: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&seconds), "Retry-After: {seconds}");
    assert_eq!(body["error"]["code"], documented.body["error"]["code"]);
    assert_shaped_like(&documented.body, &body, "a family's 429");

    // Each $batch item counts on its own; the $batch itself is not in the family.
    let (status, _, answer) = send(
        &emulator,
        reqwest::Method::POST,
        "/beta/$batch",
        &[],
        Some(json!({"requests": [
            {"id": "1", "method": "GET", "url": "/deviceManagement/androidForWorkEnrollmentProfiles"}
        ]})),
    )
    .await;
    assert_eq!(status, 200);
    let limited = &answer["responses"][0];
    assert_eq!(limited["status"], 429);
    assert_shaped_like(
        &documented_item.body["responses"][1],
        limited,
        "a family's throttled item",
    );
    assert!(
        limited["headers"]
            .as_object()
            .unwrap()
            .keys()
            .any(|name| name.eq_ignore_ascii_case("retry-after")),
        "{limited}"
    );
}

#[tokio::test]
async fn export_jobs_go_through_the_documented_states() {
    let created = fixtures::load("export-job-created");
    let completed = fixtures::load("export-job-completed");
    let emulator = Emulator::builder()
        .export_job_polls(2)
        .start()
        .await
        .unwrap();
    let (status, _, job) = send(
        &emulator,
        reqwest::Method::POST,
        "/beta/deviceManagement/reports/exportJobs",
        &[],
        Some(json!({"reportName": "Devices", "filter": "(OwnerType eq '1')", "select": ["DeviceName", "UPN"]})),
    )
    .await;
    assert_eq!(status, created.status);
    assert_shaped_like(&created.body, &job, "a created export job");
    for (member, value) in [
        ("status", json!("notStarted")),
        ("url", Value::Null),
        ("expirationDateTime", json!("0001-01-01T00:00:00Z")),
        (
            "localizationType",
            json!("LocalizedValuesAsAdditionalColumn"),
        ),
    ] {
        assert_eq!(job[member], value, "{member} of a new job");
        assert_eq!(created.body[member], value, "{member} as documented");
    }
    let poll = format!(
        "/beta/deviceManagement/reports/exportJobs('{}')",
        job["id"].as_str().unwrap()
    );
    let documented_states = ["notStarted", "inProgress", "completed", "failed"];
    let (_, running) = get(&emulator, &poll, &[]).await;
    assert!(documented_states.contains(&running["status"].as_str().unwrap()));
    let (status, done) = get(&emulator, &poll, &[]).await;
    assert_eq!(status, completed.status);
    assert_eq!(done["status"], "completed");
    assert_shaped_like(&completed.body, &done, "a completed export job");
    assert_ne!(done["expirationDateTime"], "0001-01-01T00:00:00Z");
}
