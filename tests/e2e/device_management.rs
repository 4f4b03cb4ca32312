//! All 2,294 documented /deviceManagement endpoints compile through the real
//! macro with their typed bodies and results (the
//! `graph-endpoint-device-management` crate), and a sample of them, one in
//! ten, is called over real HTTP: method, path, status handling, and a reply
//! of the shape the typed result decodes from.

use crate::common;

use graph_endpoint::Error;
use graph_endpoint_device_management::samples;
use graph_endpoint_emulator::{Emulator, Fault, Injection};

fn answer(status: u16, n: usize) -> Fault {
    Fault::Respond {
        status,
        headers: vec![("content-type".into(), "application/json".into())],
        body: if status == 204 {
            "".into()
        } else {
            samples::reply(n).into()
        },
    }
}

#[tokio::test]
async fn a_sample_of_the_surface_over_http() {
    let emulator = Emulator::start().await.unwrap();
    let graph = common::client_for(&emulator);
    const { assert!(samples::COUNT == 230, "one in ten of 2,294") };
    let mut methods = std::collections::BTreeSet::new();
    for n in 0..samples::COUNT {
        let endpoint = samples::call(&graph, n).await.0;
        let expected = endpoint.expect()[0];

        // The documented status: success, and the request is the declared one.
        emulator.inject(Injection::once(answer(expected, n)));
        let (_, wire, result) = samples::call(&graph, n).await;
        result.unwrap_or_else(|e| panic!("{endpoint}: {e}"));
        let request = emulator.last_request().unwrap();
        let version = endpoint
            .version()
            .expect("every generated endpoint pins its version");
        assert_eq!(request.method, endpoint.method().as_str(), "{endpoint}");
        assert_eq!(request.path, format!("/{version}{wire}"), "{endpoint}");
        common::assert_standard_headers(&request, version.as_str());
        let has_body =
            matches!(request.method.as_str(), "POST" | "PATCH" | "PUT") && !request.body.is_empty();
        assert_eq!(
            request.header("content-type").is_some(),
            has_body,
            "{endpoint}"
        );

        // Another success status is an error naming the expected one.
        let other = if expected == 204 { 200 } else { 204 };
        emulator.inject(Injection::once(answer(other, n)));
        let err = samples::call(&graph, n).await.2.unwrap_err();
        assert!(matches!(err, Error::Status(_)), "{endpoint}: {err:?}");
        assert_eq!(err.status().map(|s| s.as_u16()), Some(other));

        // A Graph error comes back typed.
        emulator.inject(Injection::once(Fault::graph_error(
            404,
            "itemNotFound",
            "nope",
        )));
        let err = samples::call(&graph, n).await.2.unwrap_err();
        assert_eq!(err.graph_code(), Some("itemNotFound"), "{endpoint}");
        methods.insert(endpoint.method().as_str());
    }
    assert_eq!(
        methods.len(),
        4,
        "GET, POST, PATCH and DELETE are all sampled: {methods:?}"
    );
}
