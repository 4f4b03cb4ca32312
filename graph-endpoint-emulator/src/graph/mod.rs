//! The Graph resources the stand-in serves, a module each: the seed's
//! resource ([`seed`], its data in [`profiles`]), entity collections served
//! generically ([`entities`]), a fleet of managed devices and their remote
//! action ([`devices`]), report export jobs and report functions
//! ([`reports`]), drive uploads ([`uploads`]), mobile apps and their content
//! ([`app_content`], the commit's checks of an uploaded file in
//! [`content_check`]); the OData query options their lists understand
//! ([`query`]); and [`GraphState`], what their routes share.

pub(crate) mod app_content;
pub(crate) mod content_check;
pub(crate) mod devices;
pub(crate) mod entities;
pub(crate) mod operations;
pub(crate) mod profiles;
pub(crate) mod query;
pub(crate) mod reports;
pub(crate) mod seed;
pub(crate) mod surface;
pub(crate) mod uploads;

use std::sync::{Arc, Mutex};

use crate::storage::Storage;

/// What the Graph routes read and change.
pub(crate) struct GraphState {
    /// Where the stand-in listens: the root of the links answers carry.
    pub base_url: String,
    /// The page size of lists asked without `$top`.
    pub page_size: usize,
    /// The seed's resource.
    pub profiles: Mutex<profiles::Profiles>,
    /// The entity collections served generically.
    pub entities: Mutex<entities::Entities>,
    /// Report export jobs.
    pub jobs: reports::Jobs,
    /// The storage host, where report zips and upload sessions live.
    pub storage: Arc<Storage>,
    /// The syncs each managed device received.
    pub device_syncs: devices::Syncs,
    /// Mobile apps and their content.
    pub app_content: app_content::AppContent,
}
