//! Declared lists as streams: pages that follow `@odata.nextLink`, items one
//! page at a time, OData options per call, and delta rounds; and
//! [`GraphClient::next_page`], one page read from a link. A page is a
//! [`Collection`] (`collection`).

pub(crate) mod collection;

use std::fmt;
use std::future::{Future, poll_fn};
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use futures_core::Stream;
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};

use crate::client::GraphClient;
use crate::endpoint::{Endpoint, Method};
use crate::error::Error;
use crate::paging::collection::Collection;
use crate::query::{Filter, QueryOptions};
use crate::request::{ClientRequestId, Request};
use crate::response::RawResponse;
use crate::transport::Graph;

static NEXT_PAGE: Endpoint = crate::endpoint::endpoint(
    "next_page",
    Method::Get,
    "<@odata.nextLink>",
    &[200],
    None,
    &[],
    &[],
);

impl GraphClient {
    /// Reads the page an `@odata.nextLink` points to, following the link
    /// verbatim. The link must start with this client's base URL: the token is
    /// never sent anywhere else.
    ///
    /// A declared list that returns [`Paged`](crate::Paged) follows the links
    /// itself, sending the list's headers again on every page.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRequest`] when the link does not parse, leads outside the
    /// base URL, names no API version or is over the URL limit (nothing is sent);
    /// [`Error::Status`], with the Graph error, for any status but 200;
    /// [`Error::Decode`] when the page is not a collection of `T`; and any call's
    /// [`Error::Token`], [`Error::Transport`], [`Error::Timeout`],
    /// [`Error::Redirect`], [`Error::Middleware`] or [`Error::BodyTooLarge`].
    pub async fn next_page<T: DeserializeOwned>(
        &self,
        next_link: &str,
    ) -> Result<Collection<T>, Error> {
        crate::call::constructors::call_json(self, Ok(Request::link(&NEXT_PAGE, next_link))).await
    }
}

type SendFuture<'a> = Pin<Box<dyn Future<Output = Result<RawResponse, Error>> + Send + 'a>>;
type SendFn<'a> = Box<dyn Fn(Request) -> SendFuture<'a> + Send + Sync + 'a>;

/// A declared list, not yet sent: add OData options, then read the
/// [`first_page`](Self::first_page), the [`pages`](Self::pages) or the
/// [`items`](Self::items).
///
/// A trait method returns it when declared `fn name(&self, ...) -> Paged<'_, T>`
/// (no `async`: nothing is sent until the pages are read). Every page goes
/// through the client's retries, limits and tracing like any call; the next
/// page is asked for only when the previous one is used up, so a stream holds
/// one page at a time; headers such as `ConsistencyLevel` are sent again on
/// every page, because the service does not carry them along `@odata.nextLink`.
///
/// ```
/// # use graph_endpoint::{graph_action, Error, Graph, GraphClient, Paged};
/// # #[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
/// # pub struct AndroidForWorkEnrollmentProfile {
/// #     #[serde(rename = "displayName", skip_serializing_if = "Option::is_none")]
/// #     pub display_name: Option<String>,
/// # }
/// # pub trait AndroidForWorkEnrollmentProfiles: Graph {
/// #     #[graph_action(
/// #         GET, "/deviceManagement/androidForWorkEnrollmentProfiles", expect = 200, version = "beta",
/// #         permissions = ["DeviceManagementConfiguration.Read.All", "DeviceManagementConfiguration.ReadWrite.All"]
/// #     )]
/// #     fn profiles(&self) -> Paged<'_, AndroidForWorkEnrollmentProfile>;
/// # }
/// # impl AndroidForWorkEnrollmentProfiles for GraphClient {}
/// # async fn demo(graph: graph_endpoint::GraphClient) -> Result<(), graph_endpoint::Error> {
/// use graph_endpoint::Filter;
///
/// // Every profile whose name starts with "Kiosk", 100 to a page, at most 500.
/// let mut profiles = graph
///     .profiles()
///     .filter(Filter::starts_with("displayName", "Kiosk"))
///     .top(100)
///     .max_items(500)
///     .items();
/// while let Some(profile) = profiles.try_next().await? {
///     println!("{:?}", profile.display_name);
/// }
/// # Ok(()) }
/// ```
///
/// The streams implement [`futures_core::Stream`], so `futures`' `StreamExt`
/// and `TryStreamExt` (`take`, `try_collect`, `buffered`, ...) work on them too.
#[must_use = "a Paged list sends nothing until its pages or items are read"]
pub struct Paged<'a, T> {
    send: SendFn<'a>,
    first: Result<Request, Error>,
    options: QueryOptions,
    resume: Option<String>,
    max_items: Option<usize>,
    max_pages: Option<usize>,
    validation: crate::validation::Validation,
    items: PhantomData<fn() -> T>,
}

/// A list whose result is [`Paged`]: the first request, not yet sent. What
/// `#[graph_action]` generates for a list.
#[doc(hidden)]
pub fn paged<'a, G: Graph + ?Sized, T: DeserializeOwned + 'a>(
    graph: &'a G,
    request: Result<Request, Error>,
) -> Paged<'a, T> {
    Paged::new(graph, request)
}

impl<T> fmt::Debug for Paged<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Paged")
            .field("first", &self.first)
            .field("options", &self.options)
            .field("resume", &self.resume.is_some())
            .field("max_items", &self.max_items)
            .field("max_pages", &self.max_pages)
            .finish_non_exhaustive()
    }
}

impl<'a, T> Paged<'a, T> {
    /// A list whose first request is `request`, sent through `graph`.
    pub fn new<G: Graph + ?Sized>(graph: &'a G, request: Result<Request, Error>) -> Self {
        Paged {
            send: Box::new(move |request| Box::pin(graph.send(request))),
            first: request,
            options: QueryOptions::new(),
            resume: None,
            max_items: None,
            max_pages: None,
            validation: graph.validation(),
            items: PhantomData,
        }
    }

    /// What decoding this list's pages does with a value the metadata does
    /// not declare, instead of the client's setting ([`crate::Validation`]).
    pub fn validation(mut self, validation: crate::validation::Validation) -> Self {
        self.validation = validation;
        self
    }

    /// Adds OData query options (they replace declared query parameters of the same name).
    pub fn query(self, options: QueryOptions) -> Self {
        // Options given later win, one by one.
        self.with(|earlier| earlier.overlay(options))
    }

    /// `$select`: only these properties come back.
    pub fn select<I, S>(self, properties: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.with(|o| o.select(properties))
    }

    /// `$filter`: a [`Filter`], or an expression written by hand.
    pub fn filter(self, filter: impl Into<Filter>) -> Self {
        self.with(|o| o.filter(filter))
    }

    /// `$expand`: related entities to include.
    pub fn expand<I, S>(self, relations: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.with(|o| o.expand(relations))
    }

    /// `$top`: the page size to ask for.
    pub fn top(self, top: u32) -> Self {
        self.with(|o| o.top(top))
    }

    /// `$skip`: items to skip.
    pub fn skip(self, skip: u32) -> Self {
        self.with(|o| o.skip(skip))
    }

    /// `$orderby`: a property, optionally followed by ` asc` or ` desc`.
    pub fn orderby(self, order: impl Into<String>) -> Self {
        self.with(|o| o.orderby(order))
    }

    /// `$count=true`: the total is then [`Pages::count`] (and `ConsistencyLevel: eventual` is sent).
    pub fn count(self) -> Self {
        self.with(QueryOptions::count)
    }

    /// `$search` (and `ConsistencyLevel: eventual`).
    pub fn search(self, terms: impl Into<String>) -> Self {
        self.with(|o| o.search(terms))
    }

    /// Stops after `n` items: the stream ends there and no further page is asked for.
    pub fn max_items(mut self, n: usize) -> Self {
        self.max_items = Some(n);
        self
    }

    /// Stops after `n` pages.
    pub fn max_pages(mut self, n: usize) -> Self {
        self.max_pages = Some(n);
        self
    }

    /// Starts from a link the service handed out, such as the
    /// `@odata.deltaLink` of the previous delta round, instead of the first
    /// request. The link already carries the query options; the declared
    /// headers are sent with it.
    pub fn resume_from(mut self, link: impl Into<String>) -> Self {
        self.resume = Some(link.into());
        self
    }

    fn with(mut self, f: impl FnOnce(QueryOptions) -> QueryOptions) -> Self {
        self.options = f(std::mem::take(&mut self.options));
        self
    }

    /// The stream of pages (each a [`Collection`], with its `@odata.count`
    /// and `@odata.deltaLink`).
    pub fn pages(self) -> Pages<'a, T> {
        let first = self.first.and_then(|mut request| {
            request.apply_query(&self.options)?;
            Ok(request)
        });
        let mut followed = Followed::default();
        let (template, next) = match first {
            Ok(request) => match &self.resume {
                Some(link) => {
                    followed.first_time(link);
                    (Some(request.clone()), Some(Ok(request.follow(link))))
                }
                None => (Some(request.clone()), Some(Ok(request))),
            },
            Err(error) => (None, Some(Err(error))),
        };
        Pages {
            send: self.send,
            template,
            next,
            in_flight: None,
            pages_left: self.max_pages,
            items_left: self.max_items,
            count: None,
            delta_link: None,
            followed,
            validation: self.validation,
            items: PhantomData,
        }
    }

    /// The stream of items, page after page; only the current page is held.
    pub fn items(self) -> Items<'a, T> {
        let items_left = self.max_items;
        Items {
            pages: self.pages(),
            current: Vec::new().into_iter(),
            items_left,
        }
    }
}

impl<T: DeserializeOwned> Paged<'_, T> {
    /// Sends the first request only and returns its page.
    ///
    /// # Errors
    ///
    /// The errors of [`Pages::try_next`], and [`Error::InvalidRequest`] when
    /// [`max_items(0)`](Self::max_items) leaves no page to ask for.
    pub async fn first_page(self) -> Result<Collection<T>, Error> {
        let mut pages = self.max_pages(1).pages();
        match pages.try_next().await? {
            Some(page) => Ok(page),
            None => Err(Error::InvalidRequest {
                endpoint: pages.endpoint_name(),
                reason: "`max_items(0)` or `max_pages(0)` asks for no page".to_owned(),
            }),
        }
    }
}

/// The pages of a declared list, as a [`Stream`]. Ends after the last page
/// (no `@odata.nextLink`), after an error, or at a limit set on [`Paged`].
#[must_use = "streams do nothing unless polled"]
pub struct Pages<'a, T> {
    send: SendFn<'a>,
    /// The first request: every next page repeats its endpoint and headers.
    template: Option<Request>,
    next: Option<Result<Request, Error>>,
    in_flight: Option<(&'static Endpoint, ClientRequestId, SendFuture<'a>)>,
    pages_left: Option<usize>,
    /// With `max_items`: a page is asked for only while items are wanted.
    items_left: Option<usize>,
    count: Option<i64>,
    delta_link: Option<String>,
    /// The links this stream followed: one met again ends it.
    followed: Followed,
    validation: crate::validation::Validation,
    items: PhantomData<fn() -> T>,
}

/// The `@odata.nextLink`s a stream followed, as 64-bit hashes: eight bytes a
/// page however long the links, so that a list of a million pages can still
/// tell a loop.
#[derive(Default)]
struct Followed {
    /// Pages read so far, for the error.
    pages_read: usize,
    hashes: std::collections::HashSet<u64>,
    hasher: std::hash::RandomState,
}

impl Followed {
    /// Notes `link`; false when it was followed before.
    fn first_time(&mut self, link: &str) -> bool {
        use std::hash::BuildHasher;
        self.hashes.insert(self.hasher.hash_one(link))
    }
}

impl<T> fmt::Debug for Pages<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pages")
            .field("endpoint", &self.endpoint_name())
            .field("in_flight", &self.in_flight.is_some())
            .field("count", &self.count)
            .field("delta_link", &self.delta_link.is_some())
            .finish_non_exhaustive()
    }
}

impl<T> Pages<'_, T> {
    /// `@odata.count`, once the first page has arrived (when `$count` was asked).
    pub fn count(&self) -> Option<i64> {
        self.count
    }

    /// `@odata.deltaLink`, once the last page of a delta round has arrived:
    /// keep it and pass it to [`Paged::resume_from`] for the next round.
    pub fn delta_link(&self) -> Option<&str> {
        self.delta_link.as_deref()
    }

    fn endpoint_name(&self) -> &'static str {
        match (&self.template, &self.next) {
            (Some(request), _) | (None, Some(Ok(request))) => request.endpoint().name(),
            _ => "list",
        }
    }
}

impl<T: DeserializeOwned> Pages<'_, T> {
    /// The next page, or `None` after the last.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRequest`] when the list's arguments or options could not
    /// form a request, or a link to follow leads outside the client's base URL;
    /// [`Error::Status`] (with the Graph error) for a status the list does not
    /// expect; [`Error::Decode`] when a page is not a collection of `T`; and what
    /// sending fails with ([`Error::Transport`], [`Error::Timeout`], [`Error::Token`],
    /// ... for a [`GraphClient`](crate::GraphClient)). An error ends the stream.
    pub async fn try_next(&mut self) -> Result<Option<Collection<T>>, Error> {
        poll_fn(|cx| Pin::new(&mut *self).poll_next(cx))
            .await
            .transpose()
    }
}

impl<T: DeserializeOwned> Stream for Pages<'_, T> {
    type Item = Result<Collection<T>, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if let Some((endpoint, client_request_id, future)) = &mut this.in_flight {
                let outcome = ready!(future.as_mut().poll(cx));
                let (endpoint, client_request_id) = (*endpoint, *client_request_id);
                this.in_flight = None;
                let page = outcome
                    .and_then(|response| {
                        crate::call::decode::check_status(endpoint, client_request_id, response)
                    })
                    .and_then(|response| {
                        this.validation.scope(|| {
                            crate::call::decode::decode_body::<Collection<T>>(
                                endpoint,
                                client_request_id,
                                &response,
                            )
                        })
                    });
                return Poll::Ready(Some(match page {
                    Ok(page) => {
                        this.followed.pages_read += 1;
                        if this.count.is_none() {
                            this.count = page.count;
                        }
                        if page.delta_link.is_some() {
                            this.delta_link.clone_from(&page.delta_link);
                        }
                        if let Some(left) = &mut this.items_left {
                            *left = left.saturating_sub(page.value.len());
                        }
                        this.next = match (&page.next_link, &this.template) {
                            (Some(link), Some(_)) if !this.followed.first_time(link) => {
                                Some(Err(Error::PagingLoop {
                                    endpoint: endpoint.name(),
                                    pages: this.followed.pages_read,
                                }))
                            }
                            (Some(link), Some(template)) => Some(Ok(template.follow(link))),
                            _ => None,
                        };
                        Ok(page)
                    }
                    Err(error) => {
                        // An error ends the stream: the call already had its retries.
                        this.next = None;
                        Err(error)
                    }
                }));
            }
            if this.pages_left == Some(0) || this.items_left == Some(0) {
                return Poll::Ready(None);
            }
            match this.next.take() {
                None => return Poll::Ready(None),
                Some(Err(error)) => return Poll::Ready(Some(Err(error))),
                Some(Ok(request)) => {
                    if let Some(left) = &mut this.pages_left {
                        *left -= 1;
                    }
                    let endpoint = request.endpoint();
                    let client_request_id = request.client_request_id_value();
                    this.in_flight = Some((endpoint, client_request_id, (this.send)(request)));
                }
            }
        }
    }
}

/// The items of a declared list, as a [`Stream`], one page held at a time.
#[must_use = "streams do nothing unless polled"]
pub struct Items<'a, T> {
    pages: Pages<'a, T>,
    current: std::vec::IntoIter<T>,
    items_left: Option<usize>,
}

// Nothing is pinned in place: the page in flight is boxed.
impl<T> Unpin for Items<'_, T> {}

impl<T> fmt::Debug for Items<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Items")
            .field("pages", &self.pages)
            .field("buffered", &self.current.len())
            .field("items_left", &self.items_left)
            .finish()
    }
}

impl<T> Items<'_, T> {
    /// `@odata.count`, once the first page has arrived (when `$count` was asked).
    pub fn count(&self) -> Option<i64> {
        self.pages.count()
    }

    /// `@odata.deltaLink`, once the last page of a delta round has arrived.
    pub fn delta_link(&self) -> Option<&str> {
        self.pages.delta_link()
    }
}

impl<T: DeserializeOwned> Items<'_, T> {
    /// The next item, or `None` after the last.
    ///
    /// # Errors
    ///
    /// The errors of [`Pages::try_next`], when the page an item is read from
    /// fails: [`Error::InvalidRequest`], [`Error::Status`], [`Error::Decode`]
    /// (an item that does not decode as `T` fails its whole page), or what
    /// sending fails with. An error ends the stream.
    pub async fn try_next(&mut self) -> Result<Option<T>, Error> {
        poll_fn(|cx| Pin::new(&mut *self).poll_next(cx))
            .await
            .transpose()
    }
}

impl<T: DeserializeOwned> Stream for Items<'_, T> {
    type Item = Result<T, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if this.items_left == Some(0) {
                // The rest of the page is dropped at once, not held until the stream is.
                this.current = Vec::new().into_iter();
                return Poll::Ready(None);
            }
            if let Some(item) = this.current.next() {
                if let Some(left) = &mut this.items_left {
                    *left -= 1;
                }
                return Poll::Ready(Some(Ok(item)));
            }
            match ready!(Pin::new(&mut this.pages).poll_next(cx)) {
                Some(Ok(page)) => this.current = page.value.into_iter(),
                Some(Err(error)) => return Poll::Ready(Some(Err(error))),
                None => return Poll::Ready(None),
            }
        }
    }
}

/// One item of a delta round: changed (created or updated), or removed.
///
/// ```
/// use graph_endpoint::DeltaItem;
/// use serde_json::json;
///
/// let removed: DeltaItem<serde_json::Value> =
///     serde_json::from_value(json!({"id": "42", "@removed": {"reason": "deleted"}})).unwrap();
/// assert_eq!(removed.removed_id(), Some("42"));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum DeltaItem<T> {
    /// Created or updated since the last round: the item as it is now.
    Changed(T),
    /// Deleted, or moved out of scope, since the last round (`@removed`).
    Removed(Removed),
}

/// What a delta round says of a removed item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removed {
    /// The item's id.
    pub id: String,
    /// `deleted` or `changed`, as the service put it, when it did.
    pub reason: Option<String>,
}

impl<T> DeltaItem<T> {
    /// The id of a removed item; `None` for a changed one.
    pub fn removed_id(&self) -> Option<&str> {
        match self {
            DeltaItem::Removed(removed) => Some(&removed.id),
            DeltaItem::Changed(_) => None,
        }
    }

    /// The changed item; `None` for a removed one.
    pub fn changed(&self) -> Option<&T> {
        match self {
            DeltaItem::Changed(item) => Some(item),
            DeltaItem::Removed(_) => None,
        }
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for DeltaItem<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let object = serde_json::Map::<String, serde_json::Value>::deserialize(deserializer)?;
        if let Some(removed) = object.get("@removed") {
            let id = object
                .get("id")
                .and_then(serde_json::Value::as_str)
                .ok_or_else(|| D::Error::custom("a removed item without an `id`"))?;
            let reason = removed
                .get("reason")
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned);
            return Ok(DeltaItem::Removed(Removed {
                id: id.to_owned(),
                reason,
            }));
        }
        T::deserialize(serde_json::Value::Object(object))
            .map(DeltaItem::Changed)
            .map_err(D::Error::custom)
    }
}
