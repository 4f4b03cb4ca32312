//! Intune report exports: `POST /deviceManagement/reports/exportJobs`
//! starts a job Graph runs in the background; once its `status` is
//! `completed`, its `url` (a temporary storage URL on another host) gives
//! the report as a zip.

use std::fmt;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::transfer::long_running::{Said, Step, poll_until, said};
use crate::{Download, Error, Graph, GraphClient, Response, Wait, graph_action, retry_after};

/// The format of an exported report (both arrive zipped).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    /// Comma-separated values.
    Csv,
    /// JSON.
    Json,
}

/// What to export: the body of `POST /deviceManagement/reports/exportJobs`.
///
/// ```
/// use graph_endpoint::{ExportFormat, ExportJobRequest};
///
/// let request = ExportJobRequest::new("DeviceCompliance")
///     .format(ExportFormat::Csv)
///     .select(["DeviceName", "UPN", "ComplianceState"])
///     .filter("(ComplianceState eq 'Noncompliant')");
/// let json = serde_json::to_value(&request).unwrap();
/// assert_eq!(json["reportName"], "DeviceCompliance");
/// assert_eq!(json["format"], "csv");
/// assert_eq!(json["select"][2], "ComplianceState");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ExportJobRequest {
    /// The report's name (`Devices`, `DeviceCompliance`, `DeviceNonCompliance`, ...).
    pub report_name: String,
    /// The format; Graph's default is CSV.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<ExportFormat>,
    /// The columns; Graph's default is the report's own.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub select: Vec<String>,
    /// An OData filter on the report's columns.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
}

impl ExportJobRequest {
    /// An export of `report_name` with Graph's defaults.
    pub fn new(report_name: impl Into<String>) -> Self {
        ExportJobRequest {
            report_name: report_name.into(),
            format: None,
            select: Vec::new(),
            filter: None,
        }
    }

    /// Sets the format.
    #[must_use]
    pub fn format(mut self, format: ExportFormat) -> Self {
        self.format = Some(format);
        self
    }

    /// Sets the columns.
    #[must_use]
    pub fn select<I: IntoIterator<Item = S>, S: Into<String>>(mut self, columns: I) -> Self {
        self.select = columns.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the filter (OData syntax; see [`Filter`](crate::Filter) to build one).
    #[must_use]
    pub fn filter(mut self, filter: impl fmt::Display) -> Self {
        self.filter = Some(filter.to_string());
        self
    }
}

/// An export job's status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ExportJobStatus {
    /// Graph's `unknown`.
    Unknown,
    /// Queued.
    NotStarted,
    /// Running.
    InProgress,
    /// Done: `url` gives the report.
    Completed,
    /// Failed.
    Failed,
    /// A status this version does not know.
    #[serde(other)]
    Other,
}

/// An export job as Graph describes it (`deviceManagementExportJob`).
///
/// Its `url` is a signed storage URL: `Debug` shows its origin only.
///
/// ```
/// let job: graph_endpoint::ExportJob = serde_json::from_value(serde_json::json!({
///     "id": "DeviceCompliance_05e1", "reportName": "DeviceCompliance",
///     "status": "completed", "url": "https://storage.example/r.zip?sig=secret"
/// })).unwrap();
/// assert!(!format!("{job:?}").contains("secret"));
/// ```
#[derive(Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ExportJob {
    /// The job's id.
    pub id: String,
    /// The report's name.
    #[serde(default)]
    pub report_name: Option<String>,
    /// Where the job is.
    pub status: ExportJobStatus,
    /// Once completed, where to download the zip (another host, signed).
    #[serde(default)]
    pub url: Option<String>,
    /// The format.
    #[serde(default)]
    pub format: Option<ExportFormat>,
    /// The filter it was asked with.
    #[serde(default)]
    pub filter: Option<String>,
    /// The columns it was asked with.
    #[serde(default)]
    pub select: Vec<String>,
    /// When it was asked for.
    #[serde(default)]
    pub request_date_time: Option<String>,
    /// When the `url` stops working.
    #[serde(default)]
    pub expiration_date_time: Option<String>,
}

impl fmt::Debug for ExportJob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let origin = self.url.as_deref().map(|url| {
            reqwest::Url::parse(url).map_or_else(
                |_| "(unreadable)".to_owned(),
                |u| u.origin().ascii_serialization(),
            )
        });
        f.debug_struct("ExportJob")
            .field("id", &self.id)
            .field("report_name", &self.report_name)
            .field("status", &self.status)
            .field("url_origin", &origin)
            .field("format", &self.format)
            .field("expiration_date_time", &self.expiration_date_time)
            .finish_non_exhaustive()
    }
}

impl ExportJob {
    /// A streamed download of the completed job's zip (see [`Download`]),
    /// checked to be a whole zip at the end: one cut short is
    /// [`Error::Incomplete`]. A job with no `url` yet is an error.
    ///
    /// # Errors
    ///
    /// [`Error::JobFailed`] when the job has no `url` (it has not completed);
    /// [`Error::InvalidRequest`] when the `url` does not parse, is not https
    /// (plain http only to this machine) or carries credentials. Nothing is sent
    /// here: the download's own errors come when it is awaited.
    ///
    /// ```
    /// # async fn demo(graph: graph_endpoint::GraphClient, job: graph_endpoint::ExportJob) -> Result<(), graph_endpoint::Error> {
    /// let bytes = job.download(&graph)?.to_file("report.zip").await?;
    /// # Ok(()) }
    /// ```
    pub fn download<'a>(&self, graph: &'a GraphClient) -> Result<Download<'a>, Error> {
        let url = self.url.as_deref().ok_or_else(|| Error::JobFailed {
            operation: "export_report",
            status: format!("{:?}", self.status),
            detail: Some("the job has no url to download".to_owned()),
        })?;
        crate::transfer::checked_url("download", "the report's url", url)?;
        Ok(graph.download(url).expect_zip())
    }
}

/// Intune's report export endpoints, implemented for [`GraphClient`].
///
/// ```
/// # async fn demo(graph: graph_endpoint::GraphClient) -> Result<(), graph_endpoint::Error> {
/// use graph_endpoint::{ExportJobRequest, Reports};
///
/// let job = graph.create_export_job(&ExportJobRequest::new("Devices")).await?;
/// let now = graph.get_export_job(&job.id).await?;
/// println!("{:?}", now.body().status);
/// # Ok(()) }
/// ```
pub trait Reports: Graph {
    /// Starts an export job; it answers `201` with the job, `notStarted`.
    #[graph_action(
        POST,
        "/deviceManagement/reports/exportJobs",
        expect = 201,
        version = "beta",
        permissions = [
            "DeviceManagementManagedDevices.Read.All",
            "DeviceManagementConfiguration.Read.All"
        ]
    )]
    async fn create_export_job(&self, #[body] job: &ExportJobRequest) -> Result<ExportJob, Error>;

    /// Reads an export job (with the answer's headers, for `Retry-After`).
    #[graph_action(
        GET,
        "/deviceManagement/reports/exportJobs('<id>')",
        expect = 200,
        version = "beta",
        permissions = [
            "DeviceManagementManagedDevices.Read.All",
            "DeviceManagementConfiguration.Read.All"
        ]
    )]
    async fn get_export_job(&self, id: &str) -> Result<Response<ExportJob>, Error>;
}

impl Reports for GraphClient {}

impl GraphClient {
    /// Exports a report: starts the job, then waits for it as `wait` says
    /// (each poll's `Retry-After`, else backoff; the deadline), and returns
    /// the completed job, whose [`download`](ExportJob::download) gives the
    /// zip. A job that fails is [`Error::JobFailed`], one that outlasts the
    /// deadline [`Error::JobDeadline`]; a completed job whose `url` is not
    /// https (or http on this machine) is refused. Dropping the future stops
    /// the polling.
    ///
    /// # Errors
    ///
    /// Those of [`create_export_job`](Reports::create_export_job) ([`Error::Status`]
    /// with the Graph error when the service does not answer 201, [`Error::Decode`],
    /// and any call's transport, timeout and token errors), then those of
    /// [`wait_for_export_job`](Self::wait_for_export_job).
    ///
    /// ```
    /// # async fn demo(graph: graph_endpoint::GraphClient) -> Result<(), graph_endpoint::Error> {
    /// use std::time::Duration;
    /// use graph_endpoint::{ExportJobRequest, Wait};
    ///
    /// let job = graph
    ///     .export_report(
    ///         &ExportJobRequest::new("DeviceCompliance").select(["DeviceName", "ComplianceState"]),
    ///         &Wait::default().deadline(Duration::from_secs(300)),
    ///     )
    ///     .await?;
    /// job.download(&graph)?.to_file("DeviceCompliance.zip").await?;
    /// # Ok(()) }
    /// ```
    pub async fn export_report(
        &self,
        request: &ExportJobRequest,
        wait: &Wait,
    ) -> Result<ExportJob, Error> {
        let job = self.create_export_job(request).await?;
        self.wait_for_export_job(&job.id, wait).await
    }

    /// Waits for an export job started earlier (see [`export_report`](Self::export_report)).
    ///
    /// # Errors
    ///
    /// [`Error::JobFailed`] when the job ends `failed`, or completes without a
    /// `url`; [`Error::JobDeadline`] when `wait`'s deadline passes first;
    /// [`Error::InvalidRequest`] when the completed job's `url` does not parse,
    /// is not https (plain http only to this machine) or carries credentials;
    /// and a poll's errors, those of [`get_export_job`](Reports::get_export_job)
    /// ([`Error::Status`] for a status other than 200, [`Error::Decode`],
    /// [`Error::Transport`], ...).
    pub async fn wait_for_export_job(&self, id: &str, wait: &Wait) -> Result<ExportJob, Error> {
        let job = poll_until("export_report", wait, None, || async {
            let response = self.get_export_job(id).await?;
            let asked = retry_after(response.headers(), SystemTime::now());
            let job = response.into_body();
            let status = serde_json::to_value(&job.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_else(|| "other".to_owned());
            match said(&status) {
                Said::Done => Ok(Step::Done(job)),
                Said::Failed => Err(Error::JobFailed {
                    operation: "export_report",
                    status,
                    detail: None,
                }),
                Said::Running => Ok(Step::Running {
                    status,
                    retry_after: asked,
                }),
            }
        })
        .await?;
        match job.url.as_deref() {
            Some(url) => {
                crate::transfer::checked_url("export_report", "the report's url", url)?;
                Ok(job)
            }
            None => Err(Error::JobFailed {
                operation: "export_report",
                status: "completed".to_owned(),
                detail: Some("the completed job has no url".to_owned()),
            }),
        }
    }
}
