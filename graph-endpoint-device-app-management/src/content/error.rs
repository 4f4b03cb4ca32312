//! What can go wrong uploading app content, each case with what the caller
//! needs: the upload state Graph reported, the Graph error, the storage
//! host's status and error code, or the package and what is wrong with it.

use std::path::PathBuf;
use std::time::Duration;

use http::StatusCode;

use super::state::UploadState;

/// The longest quote of text that came from elsewhere (a storage host's
/// message, a value of a package) in an error.
const QUOTED: usize = 300;

/// An error of an app content upload.
///
/// ```
/// use graph_endpoint_device_app_management::content::{ContentError, UploadState};
///
/// let error = ContentError::FailedState { state: UploadState::CommitFileFailed, file_id: "f1".into() };
/// assert!(error.to_string().starts_with("commitFileFailed"));
/// assert_eq!(error.state(), Some(&UploadState::CommitFileFailed));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ContentError {
    /// Graph put the content file in a state that ends the upload:
    /// `azureStorageUriRequestFailed`, `azureStorageUriRenewalFailed`,
    /// `commitFileFailed`, one of their `…TimedOut` states, or `error`.
    #[error("{state}: {} (content file {file_id})", state.meaning())]
    FailedState {
        /// The state Graph reported.
        state: UploadState,
        /// The content file's id.
        file_id: String,
    },
    /// The content file did not reach the state waited for within the
    /// deadline of the upload's [`Wait`](graph_endpoint::Wait).
    #[error(
        "gave up waiting for {awaited} after {} s ({polls} polls): the content file stayed in `{}`",
        deadline.as_secs_f64(),
        last_state.as_deref().unwrap_or("an unknown state")
    )]
    StateDeadline {
        /// The state waited for (`azureStorageUriRequestSuccess`,
        /// `azureStorageUriRenewalSuccess`, `commitFileSuccess`).
        awaited: UploadState,
        /// The last state Graph reported.
        last_state: Option<String>,
        /// The polls made.
        polls: u32,
        /// The deadline that passed.
        deadline: Duration,
    },
    /// A Graph call failed: the status, Graph error code and `request-id`
    /// are in the runtime's error.
    #[error(transparent)]
    Graph(#[from] graph_endpoint::Error),
    /// The storage host refused a request (after retries, for the failures
    /// worth retrying), or a request to it failed.
    #[error("the storage host refused {operation}: {status}{}{}",
        code.as_deref().map(|c| format!(" {c}")).unwrap_or_default(),
        message.as_deref().map(|m| format!(": {m}")).unwrap_or_default())]
    Storage {
        /// `put_block` or `put_block_list`.
        operation: &'static str,
        /// The status it answered.
        status: StatusCode,
        /// Azure Storage's error code (`InvalidBlockList`, `AuthenticationFailed`, ...).
        code: Option<String>,
        /// Its message, cut at 300 bytes.
        message: Option<String>,
        /// Its `x-ms-request-id`.
        request_id: Option<String>,
    },
    /// The package or file to upload cannot be used as it is.
    #[error("{}: {reason}", path.display())]
    Package {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// Reading the package or file failed.
    #[error("{}: {what}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What was being done.
        what: &'static str,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
}

impl ContentError {
    /// The upload state that ended the upload, or the last one seen when
    /// waiting timed out, when Graph reported one.
    #[must_use]
    pub fn state(&self) -> Option<&UploadState> {
        match self {
            ContentError::FailedState { state, .. } => Some(state),
            _ => None,
        }
    }

    pub(crate) fn package(path: impl Into<PathBuf>, reason: impl Into<String>) -> ContentError {
        ContentError::Package {
            path: path.into(),
            reason: reason.into(),
        }
    }

    pub(crate) fn io(
        path: impl Into<PathBuf>,
        what: &'static str,
        source: std::io::Error,
    ) -> ContentError {
        ContentError::Io {
            path: path.into(),
            what,
            source,
        }
    }
}

/// `text` cut at 300 bytes (on a character boundary), marked when cut.
pub(crate) fn clipped(text: &str) -> String {
    if text.len() <= QUOTED {
        return text.to_owned();
    }
    let mut end = QUOTED;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}
