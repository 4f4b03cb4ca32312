//! A call of a declared endpoint as a value: the request, the statuses it
//! expects and how to decode the answer, sent when awaited. The calls the
//! generated code makes come from `constructors`; an answer becomes the
//! call's result in `decode`.

pub(crate) mod constructors;
pub(crate) mod decode;

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::body::BodyStream;
use crate::endpoint::Endpoint;
use crate::error::Error;
use crate::query::QueryOptions;
use crate::request::{ClientRequestId, Request};
use crate::response::RawResponse;
use crate::transport::SendBoxed;
use decode::Finish;

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One call of a declared endpoint, not sent yet: what a method declared
/// `async fn name(&self, ...) -> Result<T, Error>` returns.
///
/// It is a description, not a running future. It holds the request (built
/// when the method is called, so the call borrows the client but not its
/// arguments), the statuses the endpoint expects and how to decode the
/// answer. `.await` sends it ([`IntoFuture`]); before that it can be given
/// OData options with [`query`](Self::query), or queued in a JSON batch with
/// [`Batch::add`](crate::Batch::add).
///
/// ```
/// # use graph_endpoint::{graph_action, Error, Graph, GraphClient};
/// # #[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
/// # pub struct AndroidForWorkEnrollmentProfile {
/// #     #[serde(rename = "displayName", skip_serializing_if = "Option::is_none")]
/// #     pub display_name: Option<String>,
/// # }
/// # pub trait AndroidForWorkEnrollmentProfiles: Graph {
/// #     #[graph_action(
/// #         GET, "/deviceManagement/androidForWorkEnrollmentProfiles/<id>", expect = 200, version = "beta",
/// #         permissions = ["DeviceManagementConfiguration.Read.All", "DeviceManagementConfiguration.ReadWrite.All"]
/// #     )]
/// #     async fn get_profile(&self, id: &str) -> Result<AndroidForWorkEnrollmentProfile, Error>;
/// #     #[graph_action(
/// #         POST, "/deviceManagement/androidForWorkEnrollmentProfiles/<id>/revokeToken", expect = 204,
/// #         version = "beta", permissions = ["DeviceManagementConfiguration.ReadWrite.All"]
/// #     )]
/// #     async fn revoke_token(&self, id: &str) -> Result<(), Error>;
/// # }
/// # impl AndroidForWorkEnrollmentProfiles for GraphClient {}
/// # async fn demo(graph: graph_endpoint::GraphClient) -> Result<(), graph_endpoint::Error> {
/// use graph_endpoint::{Call, QueryOptions};
///
/// let ids = vec!["a".to_owned(), "b".to_owned()];
/// // Calls of the same result type collect into one Vec.
/// let calls: Vec<Call<'_, ()>> = ids.iter().map(|id| graph.revoke_token(id)).collect();
/// drop(ids); // the calls do not borrow their arguments
/// for call in calls {
///     call.await?;
/// }
///
/// // Query options for any declared GET, per call.
/// let profile = graph
///     .get_profile("6a6b1c0e-9b0e-4f3c-a2e8-0d8c5f1e7a11")
///     .query(QueryOptions::new().select(["id", "displayName"]))
///     .await?;
/// # Ok(()) }
/// ```
///
/// A test double that overrides an endpoint method answers with
/// [`Call::ready`] or [`Call::new`].
#[must_use = "a call sends nothing until it is awaited"]
pub struct Call<'a, T> {
    kind: Kind<'a, T>,
}

enum Kind<'a, T> {
    /// A request of a declared endpoint (or why one could not be built).
    Request {
        graph: &'a dyn SendBoxed,
        request: Result<Request, Error>,
        finish: Finish<T>,
        /// The call's own choice, over the transport's.
        validation: Option<crate::validation::Validation>,
    },
    /// An answer of its own, from a test double.
    Answer(BoxFuture<'a, Result<T, Error>>),
    /// A request whose success body is read as a stream ([`BodyStream`]).
    Streamed {
        graph: &'a dyn SendBoxed,
        request: Result<Request, Error>,
        finish: fn(BodyStream) -> T,
    },
}

impl<'a, T> Call<'a, T> {
    /// A call whose answer is `future`'s, for test doubles: nothing is sent.
    pub fn new(future: impl Future<Output = Result<T, Error>> + Send + 'a) -> Self {
        Call {
            kind: Kind::Answer(Box::pin(future)),
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

    /// A call of `request` through `graph`, whose expected answer `finish`
    /// turns into the result.
    pub(crate) fn of(
        graph: &'a dyn SendBoxed,
        request: Result<Request, Error>,
        finish: Finish<T>,
    ) -> Self {
        Call {
            kind: Kind::Request {
                graph,
                request,
                finish,
                validation: None,
            },
        }
    }

    /// The request this call sends: `None` for a test double's answer, or
    /// when the arguments could not form a request (awaiting the call then
    /// gives the error). For asserting what code asks for without sending it:
    ///
    /// ```
    /// use graph_endpoint::GraphClient;
    /// # use graph_endpoint::{graph_action, Error, Graph};
    /// # pub trait AndroidForWorkEnrollmentProfiles: Graph {
    /// #     #[graph_action(
    /// #         POST, "/deviceManagement/androidForWorkEnrollmentProfiles/<id>/revokeToken", expect = 204,
    /// #         version = "beta", permissions = ["DeviceManagementConfiguration.ReadWrite.All"]
    /// #     )]
    /// #     async fn revoke_token(&self, id: &str) -> Result<(), Error>;
    /// # }
    /// # impl AndroidForWorkEnrollmentProfiles for GraphClient {}
    ///
    /// let graph = GraphClient::builder().token("t").build().unwrap();
    /// let call = graph.revoke_token("kiosk 1");
    /// let request = call.request().unwrap();
    /// assert_eq!(
    ///     request.path(),
    ///     "/deviceManagement/androidForWorkEnrollmentProfiles/kiosk%201/revokeToken"
    /// );
    /// assert!(graph.revoke_token("..").request().is_none());
    /// ```
    pub fn request(&self) -> Option<&Request> {
        match &self.kind {
            Kind::Request {
                request: Ok(request),
                ..
            }
            | Kind::Streamed {
                request: Ok(request),
                ..
            } => Some(request),
            _ => None,
        }
    }

    /// Adds OData query options (`$select`, `$filter`, `$expand`, ...) to
    /// this call, and `ConsistencyLevel: eventual` when they need it. An
    /// option replaces a declared query parameter of the same name. Only a
    /// GET takes them: on another method the call fails with
    /// [`Error::InvalidRequest`] and nothing is sent. A test double's answer
    /// is left as it is.
    pub fn query(mut self, options: QueryOptions) -> Self {
        if let Kind::Request { request, .. } | Kind::Streamed { request, .. } = &mut self.kind
            && let Ok(built) = request
            && let Err(error) = built.apply_query(&options)
        {
            *request = Err(error);
        }
        self
    }

    /// What decoding this call's answer does with a value the metadata does
    /// not declare, instead of the client's setting ([`crate::Validation`]).
    /// A test double's answer is left as it is.
    pub fn validation(mut self, validation: crate::validation::Validation) -> Self {
        if let Kind::Request {
            validation: own, ..
        } = &mut self.kind
        {
            *own = Some(validation);
        }
        self
    }

    /// What a batch queues: the request and how to finish it, or the
    /// call's own answer.
    pub(crate) fn into_parts(self) -> Parts<'a, T> {
        match self.kind {
            Kind::Request {
                request: Ok(request),
                ..
            } if request.has_streamed_body() => Parts::Request(
                Err(Error::InvalidRequest {
                    endpoint: request.endpoint().name(),
                    reason: "a streamed body cannot travel in a JSON batch: await the call alone"
                        .to_owned(),
                }),
                |_, _, _| unreachable_finish(),
                None,
            ),
            Kind::Request {
                request,
                finish,
                validation,
                ..
            } => Parts::Request(request, finish, validation),
            Kind::Answer(answer) => Parts::Answer(answer),
            Kind::Streamed { request, .. } => Parts::Request(
                request.and_then(|request| {
                    Err(Error::InvalidRequest {
                        endpoint: request.endpoint().name(),
                        reason:
                            "a streamed result cannot travel in a JSON batch: await the call alone"
                                .to_owned(),
                    })
                }),
                |_, _, _| unreachable_finish(),
                None,
            ),
        }
    }
}

impl<'a, T> Call<'a, T> {
    /// What a bulk job sends itself: the request and how to finish it. A call
    /// that cannot be taken apart (a refused request, a streamed result, a
    /// test double's answer) comes back as it is, to be awaited.
    pub(crate) fn into_request(self) -> Sendable<'a, T> {
        match self.kind {
            Kind::Request {
                request: Ok(request),
                finish,
                ..
            } => Sendable::Request(request, finish),
            kind => Sendable::Itself(Call { kind }),
        }
    }
}

/// A call as a bulk job takes it.
pub(crate) enum Sendable<'a, T> {
    /// The request, and how its answer becomes the result.
    Request(Request, Finish<T>),
    /// A call that answers for itself when awaited.
    Itself(Call<'a, T>),
}

/// The finish of a call refused before it was queued: never reached, since a
/// batch answers a refused request with its error.
fn unreachable_finish<T>() -> Result<T, Error> {
    Err(Error::InvalidRequest {
        endpoint: "batch",
        reason: "this call was refused before it was queued".to_owned(),
    })
}

/// A call taken apart, for a batch.
pub(crate) enum Parts<'a, T> {
    Request(
        Result<Request, Error>,
        Finish<T>,
        Option<crate::validation::Validation>,
    ),
    Answer(BoxFuture<'a, Result<T, Error>>),
}

impl<'a, T> IntoFuture for Call<'a, T> {
    type Output = Result<T, Error>;
    type IntoFuture = CallFuture<'a, T>;

    /// Sends the call: the transport's future is made here, and runs when
    /// polled.
    fn into_future(self) -> CallFuture<'a, T> {
        let state = match self.kind {
            Kind::Request {
                graph,
                request: Ok(request),
                finish,
                validation,
            } => State::Sending {
                endpoint: request.endpoint(),
                client_request_id: request.client_request_id_value(),
                finish,
                validation: validation.unwrap_or_else(|| graph.validation_of()),
                response: graph.send_boxed(request),
            },
            Kind::Request {
                request: Err(error),
                ..
            } => State::Refused(Some(error)),
            Kind::Answer(answer) => State::Answer(answer),
            Kind::Streamed {
                graph,
                request: Ok(request),
                finish,
            } => State::Streaming {
                endpoint: request.endpoint(),
                client_request_id: request.client_request_id_value(),
                finish,
                response: graph.send_streamed_boxed(request),
            },
            Kind::Streamed {
                request: Err(error),
                ..
            } => State::Refused(Some(error)),
        };
        CallFuture { state }
    }
}

impl<T> fmt::Debug for Call<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Request { request, .. } | Kind::Streamed { request, .. } => {
                f.debug_struct("Call").field("request", request).finish()
            }
            Kind::Answer(_) => f.debug_struct("Call").finish_non_exhaustive(),
        }
    }
}

/// A [`Call`] being sent: what `.await` on a call polls.
#[must_use = "a call sends nothing until it is awaited"]
pub struct CallFuture<'a, T> {
    state: State<'a, T>,
}

enum State<'a, T> {
    Sending {
        endpoint: &'static Endpoint,
        client_request_id: ClientRequestId,
        finish: Finish<T>,
        validation: crate::validation::Validation,
        response: BoxFuture<'a, Result<RawResponse, Error>>,
    },
    Refused(Option<Error>),
    Answer(BoxFuture<'a, Result<T, Error>>),
    Streaming {
        endpoint: &'static Endpoint,
        client_request_id: ClientRequestId,
        finish: fn(BodyStream) -> T,
        response: BoxFuture<'a, Result<BodyStream, Error>>,
    },
}

// Every field that is polled is boxed; nothing is pinned in place.
impl<T> Unpin for CallFuture<'_, T> {}

impl<T> Future for CallFuture<'_, T> {
    type Output = Result<T, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.state {
            State::Sending {
                endpoint,
                client_request_id,
                finish,
                validation,
                response,
            } => {
                let response = std::task::ready!(response.as_mut().poll(cx))?;
                let response = decode::check_status(endpoint, *client_request_id, response)?;
                Poll::Ready(validation.scope(|| finish(endpoint, *client_request_id, response)))
            }
            State::Refused(error) => {
                Poll::Ready(Err(error.take().unwrap_or_else(|| Error::InvalidRequest {
                    endpoint: "call",
                    reason: "the call was polled after it completed".to_owned(),
                })))
            }
            State::Answer(answer) => answer.as_mut().poll(cx),
            State::Streaming {
                endpoint,
                client_request_id,
                finish,
                response,
            } => {
                let stream = std::task::ready!(response.as_mut().poll(cx))?;
                if endpoint.expects(stream.status().as_u16()) {
                    return Poll::Ready(Ok(finish(stream)));
                }
                // An unexpected status's body was read whole, for the error.
                let raw = stream.into_raw().unwrap_or_else(|| {
                    RawResponse::new(Default::default(), Default::default(), Default::default())
                });
                Poll::Ready(
                    decode::check_status(endpoint, *client_request_id, raw)
                        .and_then(|_| unreachable_finish()),
                )
            }
        }
    }
}

impl<T> fmt::Debug for CallFuture<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallFuture").finish_non_exhaustive()
    }
}
