//! The states of an app content file on Graph's side
//! (`mobileAppContentFileUploadState`), and which of them end a wait.

use std::fmt;

/// A content file's `uploadState`, as Graph reports it.
///
/// Each step of an upload moves through a pending state to a success, a
/// failure or a time-out: `azureStorageUriRequest…` (the storage URI is being
/// made), `azureStorageUriRenewal…` (it is being renewed) and `commitFile…`
/// (Intune checks and commits the uploaded file).
///
/// ```
/// use graph_endpoint_device_app_management::content::UploadState;
///
/// let state = UploadState::from_graph("commitFileFailed");
/// assert_eq!(state, UploadState::CommitFileFailed);
/// assert_eq!(state.as_str(), "commitFileFailed");
/// assert!(state.is_failure());
/// assert_eq!(UploadState::from_graph("somethingNew").as_str(), "somethingNew");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UploadState {
    /// `success`.
    Success,
    /// `transientError`.
    TransientError,
    /// `error`.
    Error,
    /// `unknown`.
    Unknown,
    /// `azureStorageUriRequestSuccess`: the storage URI is ready.
    AzureStorageUriRequestSuccess,
    /// `azureStorageUriRequestPending`.
    AzureStorageUriRequestPending,
    /// `azureStorageUriRequestFailed`.
    AzureStorageUriRequestFailed,
    /// `azureStorageUriRequestTimedOut`.
    AzureStorageUriRequestTimedOut,
    /// `azureStorageUriRenewalSuccess`: a renewed storage URI is ready.
    AzureStorageUriRenewalSuccess,
    /// `azureStorageUriRenewalPending`.
    AzureStorageUriRenewalPending,
    /// `azureStorageUriRenewalFailed`.
    AzureStorageUriRenewalFailed,
    /// `azureStorageUriRenewalTimedOut`.
    AzureStorageUriRenewalTimedOut,
    /// `commitFileSuccess`: the file is committed.
    CommitFileSuccess,
    /// `commitFilePending`.
    CommitFilePending,
    /// `commitFileFailed`: Intune refused the uploaded file (its sizes, MAC
    /// or digest do not match the encryption info, or it is incomplete).
    CommitFileFailed,
    /// `commitFileTimedOut`.
    CommitFileTimedOut,
    /// A state this version does not know, as Graph named it.
    Other(String),
}

const NAMES: [(UploadState, &str); 16] = [
    (UploadState::Success, "success"),
    (UploadState::TransientError, "transientError"),
    (UploadState::Error, "error"),
    (UploadState::Unknown, "unknown"),
    (
        UploadState::AzureStorageUriRequestSuccess,
        "azureStorageUriRequestSuccess",
    ),
    (
        UploadState::AzureStorageUriRequestPending,
        "azureStorageUriRequestPending",
    ),
    (
        UploadState::AzureStorageUriRequestFailed,
        "azureStorageUriRequestFailed",
    ),
    (
        UploadState::AzureStorageUriRequestTimedOut,
        "azureStorageUriRequestTimedOut",
    ),
    (
        UploadState::AzureStorageUriRenewalSuccess,
        "azureStorageUriRenewalSuccess",
    ),
    (
        UploadState::AzureStorageUriRenewalPending,
        "azureStorageUriRenewalPending",
    ),
    (
        UploadState::AzureStorageUriRenewalFailed,
        "azureStorageUriRenewalFailed",
    ),
    (
        UploadState::AzureStorageUriRenewalTimedOut,
        "azureStorageUriRenewalTimedOut",
    ),
    (UploadState::CommitFileSuccess, "commitFileSuccess"),
    (UploadState::CommitFilePending, "commitFilePending"),
    (UploadState::CommitFileFailed, "commitFileFailed"),
    (UploadState::CommitFileTimedOut, "commitFileTimedOut"),
];

impl UploadState {
    /// The state Graph named (case as Graph writes it; unknown names are kept).
    #[must_use]
    pub fn from_graph(name: &str) -> UploadState {
        NAMES
            .iter()
            .find(|(_, known)| *known == name)
            .map_or_else(|| UploadState::Other(name.to_owned()), |(s, _)| s.clone())
    }

    /// The name Graph uses.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            UploadState::Other(name) => name,
            known => NAMES
                .iter()
                .find(|(state, _)| state == known)
                .map_or("unknown", |(_, name)| name),
        }
    }

    /// Whether the state ends an upload in failure: a `…Failed` or
    /// `…TimedOut` state, or `error`.
    #[must_use]
    pub fn is_failure(&self) -> bool {
        matches!(
            self,
            UploadState::Error
                | UploadState::AzureStorageUriRequestFailed
                | UploadState::AzureStorageUriRequestTimedOut
                | UploadState::AzureStorageUriRenewalFailed
                | UploadState::AzureStorageUriRenewalTimedOut
                | UploadState::CommitFileFailed
                | UploadState::CommitFileTimedOut
        )
    }

    /// What the state means for the upload, in a few words.
    #[must_use]
    pub fn meaning(&self) -> &'static str {
        match self {
            UploadState::AzureStorageUriRequestFailed => {
                "Intune could not make a storage URI for the content file"
            }
            UploadState::AzureStorageUriRequestTimedOut => {
                "Intune timed out making a storage URI for the content file"
            }
            UploadState::AzureStorageUriRenewalFailed => {
                "Intune could not renew the content file's storage URI"
            }
            UploadState::AzureStorageUriRenewalTimedOut => {
                "Intune timed out renewing the content file's storage URI"
            }
            UploadState::CommitFileFailed => {
                "Intune refused to commit the uploaded file (its size, MAC or digest does not match the encryption info)"
            }
            UploadState::CommitFileTimedOut => "Intune timed out committing the uploaded file",
            UploadState::Error => "Intune reported an error with the content file",
            _ => "the content file is in this state",
        }
    }
}

impl fmt::Display for UploadState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A step of the upload that waits on Graph: each has its pending, success,
/// failure and time-out states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    UriRequest,
    UriRenewal,
    Commit,
}

/// What a state seen while waiting on a stage says.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Seen {
    Reached,
    Failed,
    Waiting,
}

impl Stage {
    pub(crate) fn success(self) -> UploadState {
        match self {
            Stage::UriRequest => UploadState::AzureStorageUriRequestSuccess,
            Stage::UriRenewal => UploadState::AzureStorageUriRenewalSuccess,
            Stage::Commit => UploadState::CommitFileSuccess,
        }
    }

    /// The stage's success is reached; any failure state ends it (a state
    /// of another stage that failed means the file is unusable too); every
    /// other state, pending or left over from the step before, is waited out.
    pub(crate) fn judge(self, state: &UploadState) -> Seen {
        if *state == self.success() {
            Seen::Reached
        } else if state.is_failure() {
            Seen::Failed
        } else {
            Seen::Waiting
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_reads_back() {
        for (state, name) in &NAMES {
            assert_eq!(&UploadState::from_graph(name), state);
            assert_eq!(state.as_str(), *name);
        }
    }

    #[test]
    fn stages_end_on_their_success_or_any_failure() {
        assert_eq!(
            Stage::Commit.judge(&UploadState::CommitFilePending),
            Seen::Waiting
        );
        assert_eq!(
            Stage::Commit.judge(&UploadState::AzureStorageUriRequestSuccess),
            Seen::Waiting
        );
        assert_eq!(
            Stage::Commit.judge(&UploadState::CommitFileSuccess),
            Seen::Reached
        );
        assert_eq!(
            Stage::Commit.judge(&UploadState::CommitFileTimedOut),
            Seen::Failed
        );
        assert_eq!(
            Stage::UriRenewal.judge(&UploadState::AzureStorageUriRenewalFailed),
            Seen::Failed
        );
        assert_eq!(
            Stage::UriRequest.judge(&UploadState::Other("new".into())),
            Seen::Waiting
        );
    }
}
