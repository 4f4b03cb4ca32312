//! Intune report exports, declared by hand: `POST
//! /deviceManagement/reports/exportJobs` starts a job Graph runs in the
//! background; once its `status` is `completed`, its `url` (a temporary
//! storage URL on another host) gives the report as a zip. The waiting and
//! the download are the runtime's ([`Wait::until_done`],
//! [`GraphClient::download`]).

use std::fmt;
use std::future::Future;

use graph_endpoint::{
    Download, Error, Graph, GraphClient, Response, Wait, check_transfer_url, graph_action,
};
use serde::{Deserialize, Serialize};

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
/// use graph_endpoint_device_management::{ExportFormat, ExportJobRequest};
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

    /// Sets the filter (OData syntax; see [`Filter`](graph_endpoint::Filter) to build one).
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
/// let job: graph_endpoint_device_management::ExportJob = serde_json::from_value(serde_json::json!({
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
            graph_endpoint::reqwest::Url::parse(url).map_or_else(
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
    /// # async fn demo(graph: graph_endpoint::GraphClient, job: graph_endpoint_device_management::ExportJob) -> Result<(), graph_endpoint::Error> {
    /// let bytes = job.download(&graph)?.to_file("report.zip").await?;
    /// # Ok(()) }
    /// ```
    pub fn download<'a>(&self, graph: &'a GraphClient) -> Result<Download<'a>, Error> {
        let url = self.url.as_deref().ok_or_else(|| Error::JobFailed {
            operation: "export_report",
            status: format!("{:?}", self.status),
            detail: Some("the job has no url to download".to_owned()),
        })?;
        check_transfer_url("download", "the report's url", url)?;
        Ok(graph.download(url).expect_zip())
    }
}

/// Intune's report export endpoints, implemented for [`GraphClient`], and
/// the waiting for a job they start.
///
/// ```
/// # async fn demo(graph: graph_endpoint::GraphClient) -> Result<(), graph_endpoint::Error> {
/// use graph_endpoint_device_management::{ExportJobRequest, ExportJobs};
///
/// let job = graph.create_export_job(&ExportJobRequest::new("Devices")).await?;
/// let now = graph.get_export_job(&job.id).await?;
/// println!("{:?}", now.body().status);
/// # Ok(()) }
/// ```
pub trait ExportJobs: Graph {
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
    /// Those of [`create_export_job`](Self::create_export_job) ([`Error::Status`]
    /// with the Graph error when the service does not answer 201, [`Error::Decode`],
    /// and any call's transport, timeout and token errors), then those of
    /// [`wait_for_export_job`](Self::wait_for_export_job).
    ///
    /// ```
    /// # async fn demo(graph: graph_endpoint::GraphClient) -> Result<(), graph_endpoint::Error> {
    /// use std::time::Duration;
    /// use graph_endpoint::Wait;
    /// use graph_endpoint_device_management::{ExportJobRequest, ExportJobs};
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
    fn export_report<'a>(
        &'a self,
        request: &'a ExportJobRequest,
        wait: &'a Wait,
    ) -> impl Future<Output = Result<ExportJob, Error>> + Send + 'a
    where
        Self: Sized,
    {
        async move {
            let job = self.create_export_job(request).await?;
            self.wait_for_export_job(&job.id, wait).await
        }
    }

    /// Waits for an export job started earlier (see [`export_report`](Self::export_report)).
    ///
    /// # Errors
    ///
    /// [`Error::JobFailed`] when the job ends `failed`, or completes without a
    /// `url`; [`Error::JobDeadline`] when `wait`'s deadline passes first;
    /// [`Error::InvalidRequest`] when the completed job's `url` does not parse,
    /// is not https (plain http only to this machine) or carries credentials;
    /// and a poll's errors, those of [`get_export_job`](Self::get_export_job)
    /// ([`Error::Status`] for a status other than 200, [`Error::Decode`],
    /// [`Error::Transport`], ...).
    fn wait_for_export_job<'a>(
        &'a self,
        id: &'a str,
        wait: &'a Wait,
    ) -> impl Future<Output = Result<ExportJob, Error>> + Send + 'a
    where
        Self: Sized,
    {
        async move {
            let job = wait
                .until_done("export_report", || self.get_export_job(id), status_name)
                .await?;
            match job.url.as_deref() {
                Some(url) => {
                    check_transfer_url("export_report", "the report's url", url)?;
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
}

impl ExportJobs for GraphClient {}

/// A job's status as Graph writes it (`notStarted`, `completed`, ...).
fn status_name(job: &ExportJob) -> String {
    serde_json::to_value(&job.status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "other".to_owned())
}
