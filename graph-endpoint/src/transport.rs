//! The trait every endpoint trait builds on: something that sends a [`Request`].

use std::future::Future;
use std::pin::Pin;

use crate::body::BodyStream;
use crate::error::Error;
use crate::request::Request;
use crate::response::RawResponse;

/// Sends the requests of declared endpoints.
///
/// Every trait whose methods carry `#[graph_action]` names `Graph` as its
/// supertrait. [`GraphClient`](crate::GraphClient) implements it over HTTP, so
/// one line gives it every endpoint of the trait:
///
/// ```
/// use graph_endpoint::{graph_action, Error, Graph, GraphClient};
///
/// pub trait DeviceManagement: Graph {
///     #[graph_action(DELETE, "/deviceManagement/managedDevices/<id>", expect = 204)]
///     async fn delete_managed_device(&self, id: &str) -> Result<(), Error>;
/// }
///
/// impl DeviceManagement for GraphClient {}
/// ```
///
/// A test double can implement the endpoint trait with bodies of its own,
/// each answering a [`Call`](crate::Call). It implements `Graph` with an
/// empty block; any endpoint it does not override then fails with
/// [`Error::NotImplemented`]:
///
/// ```
/// # use graph_endpoint::{graph_action, Call, Error, Graph};
/// # pub trait DeviceManagement: Graph {
/// #     #[graph_action(DELETE, "/deviceManagement/managedDevices/<id>", expect = 204)]
/// #     async fn delete_managed_device(&self, id: &str) -> Result<(), Error>;
/// # }
/// struct FakeDevices;
///
/// impl Graph for FakeDevices {}
///
/// impl DeviceManagement for FakeDevices {
///     fn delete_managed_device(&self, id: &str) -> Call<'_, ()> {
///         assert!(!id.is_empty());
///         Call::ready(Ok(()))
///     }
/// }
/// ```
///
/// A transport that answers with canned responses implements [`Graph::send`];
/// the declared methods then run their real status checks and decoding on top.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot send the requests of declared Graph endpoints",
    label = "`{Self}` does not implement `graph_endpoint::Graph`",
    note = "an endpoint trait must name `graph_endpoint::Graph` as its supertrait: `pub trait MyEndpoints: graph_endpoint::Graph {{ ... }}`"
)]
pub trait Graph: Send + Sync {
    /// Sends one request and returns the response, whatever its status; the
    /// declared method checks the status against the endpoint's `expect`.
    ///
    /// The default answers [`Error::NotImplemented`], for test doubles that
    /// override the endpoint methods themselves.
    fn send(&self, request: Request) -> impl Future<Output = Result<RawResponse, Error>> + Send {
        let endpoint = request.endpoint().name();
        async move { Err(Error::NotImplemented { endpoint }) }
    }

    /// Sends one request whose success body is read as a stream (an endpoint
    /// declared `-> Result<BodyStream, Error>`): the body of an expected
    /// status stays on the connection, any other is read whole for the error.
    ///
    /// The default sends through [`send`](Graph::send) and streams the body
    /// it buffered, so a transport of one's own (and a test double) works
    /// unchanged; [`GraphClient`](crate::GraphClient) streams for real.
    fn send_streamed(
        &self,
        request: Request,
    ) -> impl Future<Output = Result<BodyStream, Error>> + Send {
        let response = self.send(request);
        async move { response.await.map(BodyStream::from_response) }
    }

    /// What decoding the answers of this transport's calls does with a value
    /// the metadata does not declare ([`Validation`](crate::Validation));
    /// strict unless the transport says otherwise (a
    /// [`GraphClient`](crate::GraphClient): its builder's setting).
    fn validation(&self) -> crate::validation::Validation {
        crate::validation::Validation::Strict
    }
}

impl<G: Graph + ?Sized> Graph for &G {
    fn send(&self, request: Request) -> impl Future<Output = Result<RawResponse, Error>> + Send {
        (**self).send(request)
    }

    fn send_streamed(
        &self,
        request: Request,
    ) -> impl Future<Output = Result<BodyStream, Error>> + Send {
        (**self).send_streamed(request)
    }

    fn validation(&self) -> crate::validation::Validation {
        (**self).validation()
    }
}

impl<G: Graph + ?Sized> Graph for std::sync::Arc<G> {
    fn send(&self, request: Request) -> impl Future<Output = Result<RawResponse, Error>> + Send {
        (**self).send(request)
    }

    fn send_streamed(
        &self,
        request: Request,
    ) -> impl Future<Output = Result<BodyStream, Error>> + Send {
        (**self).send_streamed(request)
    }

    fn validation(&self) -> crate::validation::Validation {
        (**self).validation()
    }
}

/// [`Graph`] with its future boxed, so that a [`Call`](crate::Call) can hold
/// any transport without naming its type: one allocation a call, made when
/// the call is sent.
pub(crate) trait SendBoxed: Send + Sync {
    fn send_boxed(
        &self,
        request: Request,
    ) -> Pin<Box<dyn Future<Output = Result<RawResponse, Error>> + Send + '_>>;

    fn send_streamed_boxed(
        &self,
        request: Request,
    ) -> Pin<Box<dyn Future<Output = Result<BodyStream, Error>> + Send + '_>>;

    fn validation_of(&self) -> crate::validation::Validation;
}

impl<G: Graph> SendBoxed for G {
    fn send_boxed(
        &self,
        request: Request,
    ) -> Pin<Box<dyn Future<Output = Result<RawResponse, Error>> + Send + '_>> {
        Box::pin(self.send(request))
    }

    fn send_streamed_boxed(
        &self,
        request: Request,
    ) -> Pin<Box<dyn Future<Output = Result<BodyStream, Error>> + Send + '_>> {
        Box::pin(self.send_streamed(request))
    }

    fn validation_of(&self) -> crate::validation::Validation {
        self.validation()
    }
}
