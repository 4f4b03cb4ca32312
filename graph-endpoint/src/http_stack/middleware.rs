//! Middleware around each attempt: `tower` layers over the HTTP exchange, as
//! reqwest's own `connector_layer` and octocrab's client are built.

use std::sync::Arc;

use tower::util::BoxCloneSyncService;
use tower::{Layer, Service};

use crate::error::BoxError;
use crate::http_stack::Clients;

/// What each attempt's HTTP exchange goes through when the client has
/// middleware: a `tower` service from a [`reqwest::Request`] (every header,
/// the bearer token and the body already set) to a [`reqwest::Response`].
///
/// A layer given to [`GraphClientBuilder::layer`](crate::GraphClientBuilder::layer)
/// wraps it. One that adds a header to every request:
///
/// ```
/// use graph_endpoint::GraphClient;
/// use graph_endpoint::tower::util::MapRequestLayer;
///
/// let graph = GraphClient::builder()
///     .token("eyJ0eXAi...")
///     .layer(MapRequestLayer::new(|mut request: graph_endpoint::reqwest::Request| {
///         request.headers_mut().insert("x-tool", "intune-inventory".parse().unwrap());
///         request
///     }))
///     .build()
///     .unwrap();
/// # drop(graph);
/// ```
pub type HttpService = BoxCloneSyncService<reqwest::Request, reqwest::Response, BoxError>;

/// A layer, type-erased, to be applied when the client is built.
pub(crate) type BoxedLayer = Arc<dyn Fn(HttpService) -> HttpService + Send + Sync>;

/// Erases a layer whose service has the shape [`HttpService`] has.
pub(crate) fn boxed_layer<L>(layer: L) -> BoxedLayer
where
    L: Layer<HttpService> + Send + Sync + 'static,
    L::Service: Service<reqwest::Request, Response = reqwest::Response, Error = BoxError>
        + Clone
        + Send
        + Sync
        + 'static,
    <L::Service as Service<reqwest::Request>>::Future: Send + 'static,
{
    Arc::new(move |inner| BoxCloneSyncService::new(layer.layer(inner)))
}

/// The service at the bottom of the stack: the client's reqwest clients
/// (the one without proxies for plain http to this machine), then the
/// `layers`, the first given the outermost.
pub(crate) fn stack(clients: &Clients, layers: &[BoxedLayer]) -> Option<HttpService> {
    if layers.is_empty() {
        // No middleware: attempts call reqwest directly, at no cost.
        return None;
    }
    let clients = clients.clone();
    let bottom = BoxCloneSyncService::new(tower::service_fn(move |request: reqwest::Request| {
        let client = clients.for_url(request.url()).cloned();
        async move {
            let client = client.map_err(|error| -> BoxError { Box::new(error) })?;
            client
                .execute(request)
                .await
                .map_err(|error| -> BoxError { Box::new(error) })
        }
    }));
    Some(
        layers
            .iter()
            .rev()
            .fold(bottom, |inner, layer| layer(inner)),
    )
}
