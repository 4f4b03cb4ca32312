//! The future every declared call returns.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::Error;

/// The future of one call of a declared endpoint: `Send`, boxed, and named,
/// so it can be stored, collected or spawned like any value.
///
/// A method declared `async fn name(&self, ...) -> Result<T, Error>` returns
/// `Call<'_, T>`. The request is built when the method is called, so the call
/// borrows the client only, not its arguments. Nothing is sent until it is
/// awaited.
///
/// ```
/// # async fn demo(graph: graph_endpoint::GraphClient) -> Result<(), graph_endpoint::Error> {
/// use graph_endpoint::Call;
/// use graph_endpoint::models::AndroidForWorkEnrollmentProfiles;
///
/// let ids = vec!["a".to_owned(), "b".to_owned()];
/// // Calls of the same result type collect into one Vec.
/// let calls: Vec<Call<'_, ()>> = ids.iter().map(|id| graph.revoke_token(id)).collect();
/// drop(ids); // the calls do not borrow their arguments
/// for call in calls {
///     call.await?;
/// }
/// # Ok(()) }
/// ```
///
/// A test double that overrides an endpoint method answers with
/// [`Call::ready`] or [`Call::new`].
#[must_use = "a call sends nothing until it is awaited"]
pub struct Call<'a, T> {
    future: Pin<Box<dyn Future<Output = Result<T, Error>> + Send + 'a>>,
}

impl<'a, T> Call<'a, T> {
    /// A call that runs `future`.
    pub fn new(future: impl Future<Output = Result<T, Error>> + Send + 'a) -> Self {
        Call {
            future: Box::pin(future),
        }
    }

    /// A call that answers `result` at once, for test doubles.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let call = graph_endpoint::Call::ready(Ok(42));
    /// assert_eq!(call.await.unwrap(), 42);
    /// # }
    /// ```
    pub fn ready(result: Result<T, Error>) -> Self
    where
        T: Send + 'a,
    {
        Call::new(std::future::ready(result))
    }
}

impl<T> Future for Call<'_, T> {
    type Output = Result<T, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.future.as_mut().poll(cx)
    }
}

impl<T> fmt::Debug for Call<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call").finish_non_exhaustive()
    }
}
