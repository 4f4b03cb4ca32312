//! The lock every part of the stand-in takes on its state.

use std::sync::{Mutex, MutexGuard};

/// Locks `mutex`, taking the data of a poisoned one as it is.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking test thread must not take the stand-in down with it.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
