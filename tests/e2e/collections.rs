//! Lists as streams, OData query options and delta rounds, over real HTTP
//! against the local stand-in on 127.0.0.1.

use crate::common;

use std::collections::HashSet;

use graph_endpoint::{Error, Filter, GraphClient, QueryOptions};
use graph_endpoint_device_management::android_for_work_profiles::{
    AndroidForWorkEnrollmentProfile, AndroidForWorkEnrollmentProfiles,
};
use graph_endpoint_emulator::{Emulator, Fault, Injection, RetryAfter};

const COLLECTION: &str = "/beta/deviceManagement/androidForWorkEnrollmentProfiles";

use common::{emulator_with, retrying_client};

fn stored_ids(emulator: &Emulator) -> HashSet<String> {
    common::stored_ids(emulator).into_iter().collect()
}

#[tokio::test]
async fn streams_2500_profiles_in_pages_of_100_and_gets_each_exactly_once() {
    let emulator = emulator_with(2500).await;
    let graph = common::client_for(&emulator);

    let mut items = graph.profiles().top(100).items();
    let mut seen = HashSet::new();
    let mut total = 0;
    while let Some(profile) = items.try_next().await.expect("every page arrives") {
        total += 1;
        assert!(
            seen.insert(profile.id().unwrap().to_owned()),
            "{:?} came twice",
            profile.id()
        );
    }
    assert_eq!(total, 2500);
    assert_eq!(seen, stored_ids(&emulator));

    let requests = emulator.requests();
    assert_eq!(requests.len(), 25, "25 pages of 100");
    assert_eq!(requests[0].path, format!("{COLLECTION}?$top=100"));
    for (n, request) in requests.iter().enumerate().skip(1) {
        // The next link, followed verbatim.
        assert_eq!(
            request.path,
            format!("{COLLECTION}?$top=100&$skiptoken={}", n * 100)
        );
        common::assert_standard_headers(request, "beta");
    }
}

#[tokio::test]
async fn the_pages_stream_gives_whole_pages_with_their_links() {
    let emulator = emulator_with(250).await;
    let graph = common::client_for(&emulator);

    let mut pages = graph.profiles().top(100).pages();
    let mut sizes = Vec::new();
    while let Some(page) = pages.try_next().await.unwrap() {
        assert_eq!(page.next_link.is_some(), sizes.len() < 2);
        sizes.push(page.value.len());
    }
    assert_eq!(sizes, [100, 100, 50]);
    assert_eq!(emulator.request_count(), 3);
}

#[tokio::test]
async fn stops_after_n_items_or_pages_without_asking_for_more() {
    let emulator = emulator_with(1000).await;
    let graph = common::client_for(&emulator);

    let mut items = graph.profiles().top(100).max_items(250).items();
    let mut count = 0;
    while items.try_next().await.unwrap().is_some() {
        count += 1;
    }
    assert_eq!(count, 250);
    assert_eq!(emulator.request_count(), 3, "pages 1-3 hold items 1-250");

    emulator.clear_requests();
    let mut items = graph.profiles().top(100).max_items(200).items();
    let mut count = 0;
    while items.try_next().await.unwrap().is_some() {
        count += 1;
    }
    assert_eq!(count, 200);
    assert_eq!(
        emulator.request_count(),
        2,
        "no third page for an exact fit"
    );

    emulator.clear_requests();
    let mut pages = graph.profiles().top(50).max_pages(3).pages();
    let mut count = 0;
    while let Some(page) = pages.try_next().await.unwrap() {
        count += page.value.len();
    }
    assert_eq!(count, 150);
    assert_eq!(emulator.request_count(), 3);
}

#[tokio::test]
async fn the_first_page_alone_needs_one_request() {
    let emulator = emulator_with(30).await;
    let graph = common::client_for(&emulator);

    let page = graph.profiles().top(10).first_page().await.unwrap();
    assert_eq!(page.value.len(), 10);
    assert!(page.next_link.is_some());
    assert_eq!(emulator.request_count(), 1);
}

#[tokio::test]
async fn headers_are_sent_again_on_every_page() {
    let emulator = emulator_with(300).await;
    let graph = common::client_for(&emulator);

    // `$search` and `ConsistencyLevel` travel with every page (Graph asks
    // for the header again on each page of a directory object's list).
    let mut items = graph.profiles().search("Seeded").top(100).count().items();
    let mut count = 0;
    while items
        .try_next()
        .await
        .expect("every page is accepted")
        .is_some()
    {
        count += 1;
    }
    assert_eq!(count, 300);
    assert_eq!(items.count(), Some(300), "@odata.count of the first page");

    let requests = emulator.requests();
    assert_eq!(requests.len(), 3);
    for request in &requests {
        assert_eq!(
            request.header("consistencylevel"),
            Some("eventual"),
            "{}",
            request.path
        );
        assert!(
            request.path.contains("$search=%22Seeded%22"),
            "{}",
            request.path
        );
        common::assert_standard_headers(request, "beta");
    }
    // Each page has a client-request-id of its own.
    let ids: HashSet<&str> = requests
        .iter()
        .map(|r| r.header("client-request-id").unwrap())
        .collect();
    assert_eq!(ids.len(), 3);
}

#[tokio::test]
async fn a_page_throttled_mid_stream_is_retried_and_the_stream_goes_on() {
    let emulator = emulator_with(500).await;
    let graph = retrying_client(&emulator);
    emulator.inject(
        Injection::once(Fault::Throttle(Some(RetryAfter::FractionalSeconds(0.05))))
            .on_path("$skiptoken=200"),
    );

    let mut items = graph.profiles().top(100).items();
    let mut seen = HashSet::new();
    while let Some(profile) = items
        .try_next()
        .await
        .expect("the throttled page is retried")
    {
        assert!(seen.insert(profile.id().unwrap().to_owned()));
    }
    assert_eq!(seen, stored_ids(&emulator));
    assert_eq!(emulator.faults_injected(), 1);

    let requests = emulator.requests();
    assert_eq!(requests.len(), 6, "5 pages and one retry");
    let third: Vec<_> = requests
        .iter()
        .filter(|r| r.path.contains("$skiptoken=200"))
        .collect();
    assert_eq!(third.len(), 2);
    assert_eq!(third[0].header("retry-attempt"), None);
    assert_eq!(third[1].header("retry-attempt"), Some("1"));
    // A retry repeats the page's client-request-id.
    assert_eq!(
        third[0].header("client-request-id"),
        third[1].header("client-request-id")
    );
}

#[tokio::test]
async fn an_error_mid_stream_ends_it_with_the_typed_error() {
    let emulator = emulator_with(300).await;
    let graph = common::client_for(&emulator);
    emulator.inject(
        Injection::once(Fault::graph_error(403, "Forbidden", "Access denied."))
            .on_path("$skiptoken=100"),
    );

    let mut items = graph.profiles().top(100).items();
    let mut count = 0;
    let error = loop {
        match items.try_next().await {
            Ok(Some(_)) => count += 1,
            Ok(None) => panic!("the stream ended without the error"),
            Err(error) => break error,
        }
    };
    assert_eq!(count, 100);
    assert!(error.is_forbidden(), "{error}");
    assert_eq!(error.graph_code(), Some("Forbidden"));
    assert!(error.request_id().is_some());
    assert_eq!(
        error.permissions(),
        <GraphClient as AndroidForWorkEnrollmentProfiles>::PROFILES.permissions()
    );
    assert!(
        items.try_next().await.unwrap().is_none(),
        "nothing after an error"
    );
    assert_eq!(emulator.request_count(), 2);
}

#[tokio::test]
async fn filter_select_and_count_are_encoded_and_answered() {
    let emulator = emulator_with(20).await;
    let graph = common::client_for(&emulator);
    for name in ["O'Neil kiosk", "O'Neil lab", "Lab 1", "Lab 2", "Lab 3"] {
        graph
            .create_profile(&AndroidForWorkEnrollmentProfile::named(name))
            .await
            .unwrap();
    }
    emulator.clear_requests();

    let page = graph
        .profiles()
        .filter(Filter::eq("displayName", "O'Neil kiosk"))
        .select(["displayName"])
        .count()
        .first_page()
        .await
        .unwrap();
    assert_eq!(page.count, Some(1));
    assert_eq!(page.value.len(), 1);
    let profile = &page.value[0];
    assert_eq!(profile.display_name(), Some("O'Neil kiosk"));
    assert!(profile.id().is_some());
    assert_eq!(profile.description(), None, "not selected");
    let request = emulator.last_request().unwrap();
    assert_eq!(
        request.path,
        format!(
            "{COLLECTION}?$select=displayName&$filter=displayName%20eq%20%27O%27%27Neil%20kiosk%27&$count=true"
        )
    );
    assert_eq!(request.header("consistencylevel"), Some("eventual"));

    // startswith, or, and a page size, without eventual consistency.
    let mut names = Vec::new();
    let mut items = graph
        .profiles()
        .filter(
            Filter::starts_with("displayName", "Lab").or(Filter::starts_with("displayName", "O'")),
        )
        .top(2)
        .items();
    while let Some(profile) = items.try_next().await.unwrap() {
        names.push(profile.display_name().unwrap().to_owned());
    }
    names.sort();
    assert_eq!(
        names,
        ["Lab 1", "Lab 2", "Lab 3", "O'Neil kiosk", "O'Neil lab"]
    );
    let requests = emulator.requests();
    assert_eq!(requests.len(), 1 + 3, "one page of 1, then 3 pages of 2");
    assert_eq!(requests[1].header("consistencylevel"), None);

    // $orderby and $skip.
    let page = graph
        .profiles()
        .filter(Filter::starts_with("displayName", "Lab"))
        .orderby("displayName desc")
        .skip(1)
        .first_page()
        .await
        .unwrap();
    let names: Vec<_> = page
        .value
        .iter()
        .map(|p| p.display_name().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["Lab 2", "Lab 1"]);
}

#[tokio::test]
async fn query_options_go_on_any_declared_get_without_a_new_declaration() {
    let emulator = emulator_with(3).await;
    let graph = common::client_for(&emulator);
    let id = emulator.profiles()[0]["id"].as_str().unwrap().to_owned();

    let profile = graph
        .get_profile(&id)
        .query(QueryOptions::new().select(["displayName", "enrolledDeviceCount"]))
        .await
        .unwrap();
    assert_eq!(profile.id(), Some(id.as_str()));
    assert!(profile.display_name().is_some());
    assert_eq!(profile.enrolled_device_count(), Some(0));
    assert_eq!(profile.account_id(), None, "not selected");
    let request = emulator.last_request().unwrap();
    assert_eq!(
        request.path,
        format!("{COLLECTION}/{id}?$select=displayName%2CenrolledDeviceCount")
    );

    // An option replaces the declared query parameter of the same name.
    let page = graph
        .list_profiles(Some(1))
        .query(QueryOptions::new().top(2))
        .await
        .unwrap();
    assert_eq!(page.value.len(), 2);
    assert_eq!(
        emulator.last_request().unwrap().path,
        format!("{COLLECTION}?$top=2")
    );

    // Query options on a write are refused before anything is sent.
    emulator.clear_requests();
    let error = graph
        .delete_profile(&id)
        .query(QueryOptions::new().select(["id"]))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::InvalidRequest { .. }), "{error}");
    assert!(error.to_string().contains("GET"), "{error}");
    assert_eq!(emulator.request_count(), 0);
}

#[tokio::test]
async fn the_seed_collection_has_no_delta_function() {
    // Graph's metadata binds no delta function to
    // androidForWorkEnrollmentProfile: `delta` names no profile, and a
    // $deltatoken is no query option of the collection. (The client's delta
    // rounds are tested against Graph's documented pages in
    // documented_answers.)
    let emulator = emulator_with(3).await;
    let graph = common::client_for(&emulator);
    let error = graph
        .profile_changes()
        .items()
        .try_next()
        .await
        .unwrap_err();
    assert!(error.is_not_found(), "{error}");
    let error = graph
        .profile_changes()
        .resume_from(format!(
            "{}/beta/deviceManagement/androidForWorkEnrollmentProfiles?$deltatoken=1",
            emulator.base_url()
        ))
        .items()
        .try_next()
        .await
        .unwrap_err();
    assert_eq!(
        error.graph_code(),
        Some("Request_UnsupportedQuery"),
        "{error}"
    );
}

#[tokio::test]
async fn a_link_to_another_host_is_refused_before_sending() {
    let emulator = emulator_with(3).await;
    let graph = common::client_for(&emulator);
    let mut items = graph
        .profile_changes()
        .resume_from("https://attacker.example/beta/deviceManagement/androidForWorkEnrollmentProfiles/delta?$deltatoken=1")
        .items();
    let error = items.try_next().await.unwrap_err();
    assert!(matches!(error, Error::InvalidRequest { .. }), "{error}");
    assert!(error.to_string().contains("base URL"), "{error}");
    assert_eq!(emulator.request_count(), 0);
}
