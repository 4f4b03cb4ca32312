//! App content: a Win32 app's `.intunewin` package or a line-of-business
//! app's file (`.msi`, `.apk`, `.ipa`, `.appx`, ...) uploaded as an app's new
//! content in one call.
//!
//! - [`package`]: the `.intunewin` package (reading `Detection.xml` and the
//!   encrypted file as a stream; writing one from a setup file).
//! - [`encryption`]: the package format's encryption (AES-256-CBC, PKCS7,
//!   HMAC-SHA256 over IV ‖ ciphertext, SHA-256 digest), used for LOB files.
//! - `blocks`: Azure Storage's block upload to the URI Graph hands out.
//! - [`state`]: the content file's states on Graph's side.
//! - [`upload`]: the whole sequence, from the content version to the app's
//!   `committedContentVersion`.
//!
//! The Graph endpoints it calls are declared in a private module of their
//! own (`endpoints`).

mod blocks;
pub mod encryption;
mod endpoints;
mod error;
mod events;
pub mod package;
pub mod state;
pub mod upload;

pub use encryption::{FileEncryptionInfo, encrypted_len};
pub use error::ContentError;
pub use package::IntuneWinPackage;
pub use state::UploadState;
pub use upload::{
    AppContentUploads, AppType, CommittedContent, ContentUpload, DEFAULT_BLOCK_SIZE,
    DEFAULT_RENEW_BEFORE, RenewReason, UploadEvent,
};
