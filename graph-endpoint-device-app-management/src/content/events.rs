//! What an upload reports: the events it passes through
//! ([`UploadEvent`], told to
//! [`ContentUpload::on_progress`](super::ContentUpload::on_progress)) and its
//! end ([`CommittedContent`]).

use graph_endpoint::Progress;
use serde_json::Value;

use super::state::UploadState;

/// Why the storage URI is renewed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RenewReason {
    /// It has less left than [`ContentUpload::renew_before`](super::ContentUpload::renew_before) allows.
    NearExpiry,
    /// The storage host answered that it expired (`403 AuthenticationFailed`).
    Expired,
}

/// What an upload tells [`ContentUpload::on_progress`](super::ContentUpload::on_progress) as it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UploadEvent {
    /// The app was created (by [`AppContentUploads::create_win32_app`](super::AppContentUploads::create_win32_app)).
    AppCreated {
        /// Its id.
        id: String,
    },
    /// The app's new content version was created.
    ContentVersionCreated {
        /// Its id.
        id: String,
    },
    /// The content file was created.
    FileCreated {
        /// Its id.
        id: String,
    },
    /// The content file's `uploadState` as Graph reported it, each time it
    /// changed (the first included).
    State(UploadState),
    /// Bytes of the encrypted file the storage host took, of all of them.
    Uploaded(Progress),
    /// A request to the storage host failed and is sent again, alone.
    Retrying {
        /// `put_block` or `put_block_list`.
        operation: &'static str,
        /// The block's number (0 for the first), for `put_block`.
        block: Option<u32>,
        /// Failures of this request so far.
        failures: u32,
    },
    /// The storage URI is being renewed.
    Renewing(RenewReason),
    /// The app's `committedContentVersion` is set: the upload is done.
    Committed {
        /// The content version now committed.
        content_version: String,
    },
}

/// The end of an upload: the app's content is committed.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct CommittedContent {
    /// The app.
    pub app_id: String,
    /// The content version created and committed.
    pub content_version: String,
    /// The content file.
    pub file_id: String,
    /// The bytes uploaded (the encrypted file).
    pub size_encrypted: u64,
    /// The app as Graph gives it after the commit (its
    /// `committedContentVersion` the one above).
    pub app: Value,
}
