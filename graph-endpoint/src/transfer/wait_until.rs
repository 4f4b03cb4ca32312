//! Waiting on a state of your own: the polling that export jobs and `202`
//! operations use (a deadline, backoff, a floor between polls, each poll's
//! `Retry-After`, `on_poll`), for any resource whose state is read by a
//! call, such as an app content file's `uploadState`.

use std::future::Future;
use std::time::Duration;

use crate::error::Error;
use crate::transfer::long_running::Wait;
use crate::transfer::long_running::{Step, poll_until};

/// What one poll of [`Wait::until`] found.
///
/// ```
/// use graph_endpoint::PollStep;
///
/// let running: PollStep<()> = PollStep::running("commitFilePending");
/// assert!(matches!(running, PollStep::Running { ref status, retry_after: None } if status == "commitFilePending"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PollStep<T> {
    /// Not there yet: the state seen, and the wait the service asked for
    /// (a `Retry-After`), if any.
    Running {
        /// The state as the service named it; [`Wait::on_poll`] is told of
        /// it, and [`Error::JobDeadline`] names the last one.
        status: String,
        /// The wait the service asked for; kept above [`Wait::min_interval`].
        retry_after: Option<Duration>,
    },
    /// There: the wait ends with this value.
    Done(T),
}

impl<T> PollStep<T> {
    /// Still running in `status`, with no wait asked for.
    #[must_use]
    pub fn running(status: impl Into<String>) -> Self {
        PollStep::Running {
            status: status.into(),
            retry_after: None,
        }
    }
}

impl Wait {
    /// Polls until `poll` answers [`PollStep::Done`], as every wait of this
    /// crate polls: the first poll at once, then after each poll's
    /// `retry_after` or the backoff ([`interval`](Self::interval)), never
    /// sooner than [`min_interval`](Self::min_interval) after the last,
    /// telling [`on_poll`](Self::on_poll) of each poll that found it still
    /// running, all within the [`deadline`](Self::deadline). A poll that
    /// fails ends the wait with its error (a state that means failure is the
    /// poll's to turn into one). Dropping the future stops polling.
    /// `operation` names the wait in errors.
    ///
    /// # Errors
    ///
    /// [`Error::JobDeadline`] (with the polls made and the last status seen)
    /// when the deadline passes first, the pending poll included; and the
    /// first error a poll returns.
    ///
    /// ```
    /// use std::time::Duration;
    /// use graph_endpoint::{PollStep, Wait};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), graph_endpoint::Error> {
    /// let mut polls = 0;
    /// let state = Wait::default()
    ///     .interval(Duration::from_millis(1), Duration::from_millis(1))
    ///     .until("upload_state", || {
    ///         polls += 1;
    ///         let seen = if polls < 3 { "commitFilePending" } else { "commitFileSuccess" };
    ///         async move {
    ///             Ok(if seen.ends_with("Pending") { PollStep::running(seen) } else { PollStep::Done(seen) })
    ///         }
    ///     })
    ///     .await?;
    /// assert_eq!(state, "commitFileSuccess");
    /// # Ok(()) }
    /// ```
    pub async fn until<T, F, Fut>(&self, operation: &'static str, mut poll: F) -> Result<T, Error>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<PollStep<T>, Error>>,
    {
        poll_until(operation, self, None, || {
            let polled = poll();
            async move {
                Ok(match polled.await? {
                    PollStep::Running {
                        status,
                        retry_after,
                    } => Step::Running {
                        status,
                        retry_after,
                    },
                    PollStep::Done(value) => Step::Done(value),
                })
            }
        })
        .await
    }
}
