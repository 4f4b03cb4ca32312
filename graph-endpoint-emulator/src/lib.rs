#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod batch;
mod builder;
mod emulator;
mod faults;
mod graph;
mod identity;
mod lock;
mod recorded;
mod reply;
mod router;
mod server;
mod state;
mod storage;
mod throttling;

pub use builder::{DEFAULT_TOKEN, EmulatorBuilder};
pub use emulator::Emulator;
pub use faults::{Fault, Injection, RetryAfter};
pub use graph::app_content::AppContentFile;
pub use recorded::RecordedRequest;
pub use storage::{BlockFault, StorageFault, StoredFile, fill_blob};
pub use throttling::{FamilyLimit, LimitCounts, RetryAfterHint};
