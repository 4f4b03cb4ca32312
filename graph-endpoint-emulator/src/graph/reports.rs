//! Intune's report export jobs: `POST /{version}/deviceManagement/reports/exportJobs`
//! creates a job (`201`, or `202` with `Location` when asked
//! `Prefer: respond-async`), `GET .../exportJobs('{id}')` tells its status,
//! which goes `notStarted` → `inProgress` → `completed` (or `failed`) after a
//! number of polls or a time; a completed job's `url` is on the storage host
//! and gives a zip of CSV rows generated from a seed. Report functions
//! (`POST .../reports/get...Report`) answer their rows at once, as JSON.

use std::collections::HashMap;
use std::io::Write as _;
use std::sync::Mutex;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Method};
use percent_encoding::percent_decode_str;
use serde_json::{Value, json};
use tokio::time::Instant;

use super::GraphState;
use crate::lock::lock;
use crate::reply::{Failure, ReplyBody, json_body, json_response};

/// How export jobs behave.
#[derive(Debug, Clone)]
pub(crate) struct ExportConfig {
    pub polls: u32,
    pub duration: Option<Duration>,
    pub retry_after: Option<Duration>,
    pub fail: bool,
    pub rows: usize,
    pub url_base: Option<String>,
}

impl Default for ExportConfig {
    fn default() -> Self {
        ExportConfig {
            polls: 2,
            duration: None,
            retry_after: None,
            fail: false,
            rows: 100,
            url_base: None,
        }
    }
}

pub(crate) struct Job {
    pub value: Value,
    pub created: Instant,
    pub polls: u32,
}

pub(crate) struct Jobs {
    pub config: ExportConfig,
    pub jobs: Mutex<HashMap<String, Job>>,
    pub seed: u64,
}

const COLUMNS: &[&str] = &[
    "DeviceId",
    "DeviceName",
    "UPN",
    "OS",
    "OSVersion",
    "ComplianceState",
    "LastContact",
];

/// The `select` list of a report request or job: the columns asked for.
fn selected_columns(request: &Value) -> Vec<String> {
    request
        .get("select")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// The columns of a report: those selected, or all of them.
fn report_columns(select: &[String]) -> Vec<&str> {
    if select.is_empty() {
        COLUMNS.to_vec()
    } else {
        select.iter().map(String::as_str).collect()
    }
}

/// Row `row` of a report, drawn from `seed`: one field a column (empty for
/// a column the report does not have).
fn report_row(columns: &[&str], row: usize, seed: u64) -> Vec<String> {
    const STATES: [&str; 4] = ["Compliant", "Noncompliant", "InGracePeriod", "Unknown"];
    const SYSTEMS: [(&str, &str); 3] = [
        ("Windows", "10.0.22631"),
        ("Android", "14"),
        ("iOS", "17.5"),
    ];
    let draw = crate::faults::draw(seed, row as u64);
    let bits = (draw * 1_000_000.0) as usize;
    let (os, version) = SYSTEMS[bits % SYSTEMS.len()];
    columns
        .iter()
        .map(|column| match *column {
            "DeviceId" => format!("{:08x}-0000-4000-8000-{:012x}", seed as u32, row),
            "DeviceName" => format!("DEVICE-{row:05}"),
            "UPN" => format!("user{:04}@contoso.com", bits % 5000),
            "OS" => os.to_owned(),
            "OSVersion" => version.to_owned(),
            "ComplianceState" => STATES[bits % STATES.len()].to_owned(),
            "LastContact" => format!("2025-01-{:02}T08:{:02}:00Z", 1 + bits % 28, bits % 60),
            _ => String::new(),
        })
        .collect()
}

/// The CSV of a report: a header line and `rows` rows, from `seed`.
pub(crate) fn report_csv(select: &[String], rows: usize, seed: u64) -> Vec<u8> {
    let columns = report_columns(select);
    let mut out = Vec::with_capacity(64 * (rows + 1));
    out.extend_from_slice(columns.join(",").as_bytes());
    out.extend_from_slice(b"\r\n");
    for row in 0..rows {
        out.extend_from_slice(report_row(&columns, row, seed).join(",").as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// A zip holding one CSV file, deflated.
pub(crate) fn zip_of(name: &str, csv: &[u8]) -> Bytes {
    write_zip(name, csv).map_or_else(|_| Bytes::new(), Bytes::from)
}

fn write_zip(name: &str, csv: &[u8]) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let mut output = Vec::new();
    let mut archive = rawzip::ZipArchiveWriter::new(&mut output);
    let (mut entry, config) = archive
        .new_file(name)
        .compression_method(rawzip::CompressionMethod::DEFLATE)
        .start()?;
    let encoder = flate2::write::DeflateEncoder::new(&mut entry, flate2::Compression::default());
    // The wrapper counts the bytes and the CRC the zip's data descriptor records.
    let mut writer = config.wrap(encoder);
    writer.write_all(csv)?;
    let (encoder, descriptor) = writer.finish()?;
    encoder.finish()?;
    entry.finish(descriptor)?;
    archive.finish()?;
    Ok(output)
}

/// Answers the export job routes; `None` for any other path.
pub(crate) fn answer(
    shared: &GraphState,
    parts: &http::request::Parts,
    body: &Bytes,
) -> Option<Result<hyper::Response<ReplyBody>, Failure>> {
    let path = parts.uri.path();
    let rest = path
        .strip_prefix("/beta/deviceManagement/reports/")
        .or_else(|| path.strip_prefix("/v1.0/deviceManagement/reports/"))?;
    let rest = percent_decode_str(rest).decode_utf8_lossy().into_owned();
    if rest.starts_with("get") && rest.ends_with("Report") && !rest.contains('/') {
        return Some(match parts.method {
            Method::POST => report_stream(shared, parts, body),
            _ => Err(crate::reply::not_allowed(&parts.method, "POST")),
        });
    }
    if rest == "exportJobs" {
        return Some(match parts.method {
            Method::POST => create(shared, parts, body),
            _ => Err(crate::reply::not_allowed(&parts.method, "POST")),
        });
    }
    let id = rest
        .strip_prefix("exportJobs('")
        .and_then(|r| r.strip_suffix("')"))
        .or_else(|| rest.strip_prefix("exportJobs/"))?;
    Some(match parts.method {
        Method::GET => poll(shared, id),
        _ => Err(crate::reply::not_allowed(&parts.method, "GET")),
    })
}

/// A report function (`getDeviceNonComplianceReport`, ...): an `Edm.Stream`
/// answer, JSON with the report's `Schema` and `Values`.
fn report_stream(
    shared: &GraphState,
    parts: &http::request::Parts,
    body: &Bytes,
) -> Result<hyper::Response<ReplyBody>, Failure> {
    // No body is no parameters: every parameter of the report actions is
    // nullable in the metadata. A body of JSON `null` is not an object.
    let request = if body.is_empty() {
        json!({})
    } else {
        json_body(parts, body)?
    };
    if !request.is_object() {
        return Err(Failure::bad_request(
            "BadRequest",
            "The report's parameters must be a JSON object.",
        ));
    }
    let select = selected_columns(&request);
    let rows = request
        .get("top")
        .and_then(Value::as_u64)
        .map_or(shared.jobs.config.rows, |top| top as usize);
    let columns = report_columns(&select);
    let values: Vec<Vec<String>> = (0..rows)
        .map(|row| report_row(&columns, row, shared.jobs.seed))
        .collect();
    let value = json!({
        "TotalRowCount": values.len(),
        "Schema": columns.iter().map(|c| json!({"Column": c, "PropertyType": "String"})).collect::<Vec<_>>(),
        "Values": values,
    });
    let mut response = json_response(200, &value);
    response.headers_mut().insert(
        "content-type",
        HeaderValue::from_static("application/octet-stream"),
    );
    Ok(response)
}

fn create(
    shared: &GraphState,
    parts: &http::request::Parts,
    body: &Bytes,
) -> Result<hyper::Response<ReplyBody>, Failure> {
    let request = json_body(parts, body)?;
    let Some(report) = request.get("reportName").and_then(Value::as_str) else {
        return Err(Failure::bad_request(
            "BadRequest",
            "The export job needs a 'reportName'.",
        ));
    };
    let select = selected_columns(&request);
    let format = request
        .get("format")
        .and_then(Value::as_str)
        .unwrap_or("csv")
        .to_owned();
    let id = format!("{report}_{}", uuid::Uuid::new_v4());
    let now = time::OffsetDateTime::now_utc();
    let version = if parts.uri.path().starts_with("/beta/") {
        "beta"
    } else {
        "v1.0"
    };
    // As Intune's "Export Intune reports using Graph APIs" page shows a new
    // job: `notStarted`, no `url`, `expirationDateTime` at the minimum date
    // until the export is done, `localizationType` defaulted.
    let value = json!({
        "@odata.context": format!(
            "{}/{version}/$metadata#deviceManagement/reports/exportJobs/$entity",
            shared.base_url
        ),
        "id": id,
        "reportName": report,
        "filter": request.get("filter").cloned().unwrap_or(Value::Null),
        "localizationType": request
            .get("localizationType")
            .cloned()
            .unwrap_or_else(|| json!("LocalizedValuesAsAdditionalColumn")),
        "select": select,
        "format": format,
        "snapshotId": null,
        "status": "notStarted",
        "url": null,
        "requestDateTime": now.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
        "expirationDateTime": crate::reply::MIN_DATE,
    });
    lock(&shared.jobs.jobs).insert(
        id.clone(),
        Job {
            value: value.clone(),
            created: Instant::now(),
            polls: 0,
        },
    );
    let location = format!(
        "{}/{version}/deviceManagement/reports/exportJobs('{id}')",
        shared.base_url
    );
    let respond_async = parts
        .headers
        .get("prefer")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("respond-async"));
    let mut response = if respond_async {
        crate::reply::empty_response(202)
    } else {
        json_response(201, &value)
    };
    if let Ok(location) = HeaderValue::from_str(&location) {
        response.headers_mut().insert("location", location);
    }
    if respond_async {
        add_retry_after(shared, &mut response);
    }
    Ok(response)
}

fn add_retry_after(shared: &GraphState, response: &mut hyper::Response<ReplyBody>) {
    if let Some(wait) = shared.jobs.config.retry_after
        && let Ok(value) = HeaderValue::from_str(&format!("{:.3}", wait.as_secs_f64()))
    {
        response.headers_mut().insert("retry-after", value);
    }
}

fn poll(shared: &GraphState, id: &str) -> Result<hyper::Response<ReplyBody>, Failure> {
    let config = &shared.jobs.config;
    let (value, running) = {
        let mut jobs = lock(&shared.jobs.jobs);
        let Some(job) = jobs.get_mut(id) else {
            return Err(Failure::new(
                404,
                "ResourceNotFound",
                format!("No export job '{id}'."),
            ));
        };
        job.polls += 1;
        let done = job.polls >= config.polls
            || config.duration.is_some_and(|d| job.created.elapsed() >= d);
        let finished = matches!(job.value["status"].as_str(), Some("completed" | "failed"));
        if done && !finished {
            if config.fail {
                job.value["status"] = json!("failed");
            } else {
                let select = selected_columns(&job.value);
                let report = job.value["reportName"]
                    .as_str()
                    .unwrap_or("report")
                    .to_owned();
                let csv = report_csv(&select, config.rows, shared.jobs.seed);
                let zip = zip_of(&format!("{report}.csv"), &csv);
                lock(&shared.storage.zips).insert(id.to_owned(), zip);
                let signed = shared.storage.signed_url(&format!("/reports/{id}.zip"));
                let url = match &config.url_base {
                    Some(base) => signed.replacen(shared.storage.base_url.as_str(), base, 1),
                    None => signed,
                };
                job.value["status"] = json!("completed");
                job.value["url"] = json!(url);
                // How long the download stays: an assumption (the page's
                // example shows about six hours).
                job.value["expirationDateTime"] = json!(
                    (time::OffsetDateTime::now_utc() + time::Duration::hours(6))
                        .format(&time::format_description::well_known::Rfc3339)
                        .unwrap_or_default()
                );
            }
        } else if !done {
            job.value["status"] = json!("inProgress");
        }
        let running = !matches!(job.value["status"].as_str(), Some("completed" | "failed"));
        (job.value.clone(), running)
    };
    let mut response = json_response(200, &value);
    if running {
        add_retry_after(shared, &mut response);
    }
    Ok(response)
}
