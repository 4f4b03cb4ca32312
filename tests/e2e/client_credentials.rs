//! Client credentials against the stand-in's token endpoint: sign-in, one
//! token request for many concurrent calls, the identity platform's errors,
//! refresh ahead of expiry and after Graph says the token expired.

use graph_endpoint::{ClientCredentials, GraphClient};
use graph_endpoint_device_management::android_for_work_profiles::AndroidForWorkEnrollmentProfiles;
use graph_endpoint_emulator::Emulator;

const SECRET: &str = "app-secret-Xy9~q";

async fn emulator() -> Emulator {
    Emulator::builder()
        .app("contoso", "app-id", SECRET)
        .profiles(2)
        .start()
        .await
        .unwrap()
}

fn client(emulator: &Emulator, credentials: ClientCredentials) -> GraphClient {
    GraphClient::builder()
        .base_url(emulator.base_url())
        .token_source(credentials.authority(emulator.base_url()))
        .no_retry()
        .build()
        .unwrap()
}

#[tokio::test]
async fn signs_in_with_a_client_secret() {
    let emulator = emulator().await;
    let graph = client(
        &emulator,
        ClientCredentials::new("contoso", "app-id", SECRET),
    );
    assert_eq!(graph.list_profiles(None).await.unwrap().value.len(), 2);
    assert_eq!(emulator.token_requests(), 1);
    let requests = emulator.requests();
    let sign_in = &requests[0];
    assert_eq!(
        (sign_in.method.as_str(), sign_in.path.as_str()),
        ("POST", "/contoso/oauth2/v2.0/token")
    );
    assert_eq!(
        sign_in.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    let form = String::from_utf8(sign_in.body.to_vec()).unwrap();
    assert!(
        form.starts_with("grant_type=client_credentials&client_id=app%2Did&"),
        "{form}"
    );
    assert!(
        form.contains("scope=https%3A%2F%2Fgraph%2Emicrosoft%2Ecom%2F%2Edefault"),
        "{form}"
    );
    let call = &requests[1];
    assert!(
        call.header("authorization")
            .unwrap()
            .starts_with("Bearer emulator-issued-")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_calls_make_one_token_request() {
    let emulator = emulator().await;
    let graph = client(
        &emulator,
        ClientCredentials::new("contoso", "app-id", SECRET),
    );
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..200 {
        let graph = graph.clone();
        tasks.spawn(async move { graph.list_profiles(Some(1)).await.map(drop) });
    }
    while let Some(result) = tasks.join_next().await {
        result.unwrap().unwrap();
    }
    assert_eq!(emulator.token_requests(), 1);
    assert_eq!(emulator.request_count(), 201);
}

#[tokio::test]
async fn a_wrong_secret_gives_the_identity_platform_error() {
    let emulator = emulator().await;
    let credentials = ClientCredentials::new("contoso", "app-id", "wrong-secret");
    assert!(!format!("{credentials:?}").contains("wrong-secret"));
    let graph = client(&emulator, credentials);
    let err = graph.list_profiles(None).await.unwrap_err();
    let identity = err.identity_error().expect("the identity platform's error");
    assert_eq!(identity.error, "invalid_client");
    assert_eq!(identity.error_codes, [7000215]);
    assert_eq!(identity.status, 401);
    assert!(identity.error_description.starts_with("AADSTS7000215"));
    assert!(identity.trace_id.is_some() && identity.correlation_id.is_some());
    assert!(!format!("{err:?} {err}").contains("wrong-secret"));
    // Nothing reached Graph.
    assert_eq!(emulator.request_count(), 1);

    let unknown = client(
        &emulator,
        ClientCredentials::new("contoso", "other-app", SECRET),
    );
    let err = unknown.list_profiles(None).await.unwrap_err();
    assert_eq!(err.identity_error().unwrap().error_codes, [700016]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_token_endpoint_is_not_asked_in_a_loop() {
    let emulator = emulator().await;
    let graph = client(
        &emulator,
        ClientCredentials::new("contoso", "app-id", "wrong"),
    );
    for _ in 0..5 {
        assert!(
            graph
                .list_profiles(None)
                .await
                .unwrap_err()
                .identity_error()
                .is_some()
        );
    }
    assert_eq!(
        emulator.token_requests(),
        5,
        "one sign-in attempt per call, no retries"
    );
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let graph = graph.clone();
        tasks.spawn(async move { graph.list_profiles(None).await.unwrap_err() });
    }
    while let Some(err) = tasks.join_next().await {
        assert!(err.unwrap().identity_error().is_some());
    }
    let asked = emulator.token_requests() - 5;
    assert!(asked <= 50, "at most one per call: {asked}");
}

#[tokio::test]
async fn tokens_are_refreshed_ahead_of_expiry() {
    // Tokens live 10 minutes; refreshed when less than 5 remain: reused.
    let lasting = Emulator::builder()
        .app("contoso", "app-id", SECRET)
        .token_lifetime(std::time::Duration::from_secs(600))
        .start()
        .await
        .unwrap();
    let graph = client(
        &lasting,
        ClientCredentials::new("contoso", "app-id", SECRET),
    );
    for _ in 0..3 {
        graph.list_profiles(None).await.unwrap();
    }
    assert_eq!(lasting.token_requests(), 1);

    // Tokens live 4 minutes: always inside the 5-minute margin, so each call refreshes.
    let short = Emulator::builder()
        .app("contoso", "app-id", SECRET)
        .token_lifetime(std::time::Duration::from_secs(240))
        .start()
        .await
        .unwrap();
    let graph = client(&short, ClientCredentials::new("contoso", "app-id", SECRET));
    for _ in 0..3 {
        graph.list_profiles(None).await.unwrap();
    }
    assert_eq!(short.token_requests(), 3);
}

#[tokio::test]
async fn an_expired_token_is_refreshed_once_and_the_call_succeeds() {
    let emulator = emulator().await;
    let graph = client(
        &emulator,
        ClientCredentials::new("contoso", "app-id", SECRET),
    );
    graph.list_profiles(None).await.unwrap();
    emulator.expire_issued_tokens();
    emulator.clear_requests();
    graph.list_profiles(None).await.unwrap();
    assert_eq!(emulator.token_requests(), 2);
    let paths: Vec<_> = emulator.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(
        paths,
        [
            "/beta/deviceManagement/androidForWorkEnrollmentProfiles",
            "/contoso/oauth2/v2.0/token",
            "/beta/deviceManagement/androidForWorkEnrollmentProfiles"
        ]
    );

    // A token Graph keeps refusing as expired is refreshed once, then the 401 is returned.
    let stubborn = Emulator::builder()
        .app("contoso", "app-id", SECRET)
        .token_lifetime(std::time::Duration::ZERO)
        .start()
        .await
        .unwrap();
    let graph = client(
        &stubborn,
        ClientCredentials::new("contoso", "app-id", SECRET)
            .refresh_ahead(std::time::Duration::ZERO),
    );
    let err = graph.list_profiles(None).await.unwrap_err();
    assert!(err.is_unauthorized());
    assert_eq!(stubborn.token_requests(), 2);
    assert_eq!(
        stubborn.request_count(),
        4,
        "token, call, token, call: never more"
    );
}

mod certificate {
    use super::*;
    use aws_lc_rs::encoding::AsDer;
    use aws_lc_rs::rsa::KeySize;
    use aws_lc_rs::signature::{KeyPair, RsaKeyPair};
    use graph_endpoint::ClientCertificate;

    const THUMBPRINT: [u8; 20] = [7; 20];

    fn key() -> (Vec<u8>, Vec<u8>) {
        let key = RsaKeyPair::generate(KeySize::Rsa2048).unwrap();
        let pkcs8 = AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&key)
            .unwrap()
            .as_ref()
            .to_vec();
        (pkcs8, key.public_key().as_ref().to_vec())
    }

    #[tokio::test]
    async fn signs_in_with_a_certificate() {
        let (private, public) = key();
        let emulator = Emulator::builder()
            .app_with_certificate("contoso", "cert-app", public, THUMBPRINT)
            .profiles(1)
            .start()
            .await
            .unwrap();
        let certificate = ClientCertificate::from_key_and_thumbprint(&private, THUMBPRINT).unwrap();
        assert!(format!("{certificate:?}").contains("<redacted>"));
        let graph = client(
            &emulator,
            ClientCredentials::with_certificate("contoso", "cert-app", certificate),
        );
        assert_eq!(graph.list_profiles(None).await.unwrap().value.len(), 1);
        assert_eq!(emulator.token_requests(), 1);
        let form = String::from_utf8(emulator.requests()[0].body.to_vec()).unwrap();
        assert!(form.contains("client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient%2Dassertion%2Dtype%3Ajwt%2Dbearer"), "{form}");
        assert!(!form.contains("client_secret"), "{form}");
    }

    #[tokio::test]
    async fn an_assertion_signed_by_another_key_is_refused() {
        let (_, public) = key();
        let (other_private, _) = key();
        let emulator = Emulator::builder()
            .app_with_certificate("contoso", "cert-app", public, THUMBPRINT)
            .start()
            .await
            .unwrap();
        let certificate =
            ClientCertificate::from_key_and_thumbprint(&other_private, THUMBPRINT).unwrap();
        let graph = client(
            &emulator,
            ClientCredentials::with_certificate("contoso", "cert-app", certificate),
        );
        let err = graph.list_profiles(None).await.unwrap_err();
        let identity = err.identity_error().unwrap();
        assert_eq!(
            (identity.error.as_str(), identity.error_codes.as_slice()),
            ("invalid_client", &[700027][..])
        );

        // The right key with another certificate's thumbprint is refused too.
        let (private, public) = key();
        let emulator = Emulator::builder()
            .app_with_certificate("contoso", "cert-app", public, THUMBPRINT)
            .start()
            .await
            .unwrap();
        let certificate = ClientCertificate::from_key_and_thumbprint(&private, [9; 20]).unwrap();
        let graph = client(
            &emulator,
            ClientCredentials::with_certificate("contoso", "cert-app", certificate),
        );
        assert_eq!(
            graph
                .list_profiles(None)
                .await
                .unwrap_err()
                .identity_error()
                .unwrap()
                .error_codes,
            [700027]
        );
    }

    #[test]
    fn keys_and_pem_are_checked() {
        assert!(ClientCertificate::from_key_and_thumbprint(b"not a key", THUMBPRINT).is_err());
        assert!(ClientCertificate::from_pem("no pem here", "nor here").is_err());
        let (private, _) = key();
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD.encode(&private);
        let key_pem = format!("-----BEGIN PRIVATE KEY-----\n{b64}\n-----END PRIVATE KEY-----\n");
        let cert_pem = "-----BEGIN CERTIFICATE-----\nAAECAw==\n-----END CERTIFICATE-----\n";
        let certificate = ClientCertificate::from_pem(&key_pem, cert_pem).unwrap();
        // The thumbprint is SHA-1 of the certificate's DER bytes (here 00 01 02 03).
        assert!(
            format!("{certificate:?}").contains("x5t oCoFsCW5KMA5zxrn6O4E58GQwNs"),
            "{certificate:?}"
        );
    }
}

#[tokio::test]
async fn a_missing_environment_token_is_a_token_error() {
    let emulator = Emulator::start().await.unwrap();
    // A variable that is not set (setting one needs `unsafe` in this edition;
    // the set case runs in a child process, in tests/examples.rs).
    let graph = GraphClient::builder()
        .base_url(emulator.base_url())
        .token_source(graph_endpoint::EnvToken::new(
            "GRAPH_ENDPOINT_TEST_TOKEN_NEVER_SET",
        ))
        .no_retry()
        .build()
        .unwrap();
    let err = graph.list_profiles(None).await.unwrap_err();
    assert!(matches!(err, graph_endpoint::Error::Token(_)), "{err:?}");
    assert!(
        err.to_string()
            .contains("GRAPH_ENDPOINT_TEST_TOKEN_NEVER_SET"),
        "{err}"
    );
    assert_eq!(emulator.request_count(), 0);
}

/// A source given no cloud of its own signs in to its client's: the token
/// request asks for that cloud's Graph scope.
#[tokio::test]
async fn a_source_without_a_cloud_signs_in_for_the_clients_cloud() {
    let emulator = emulator().await;
    let graph = GraphClient::builder()
        .cloud(graph_endpoint::Cloud::UsGovL4)
        .base_url(emulator.base_url())
        .token_source(
            ClientCredentials::new("contoso", "app-id", SECRET).authority(emulator.base_url()),
        )
        .no_retry()
        .build()
        .unwrap();
    graph.list_profiles(None).await.unwrap();
    let token_request = emulator
        .requests()
        .into_iter()
        .find(|r| r.path == "/contoso/oauth2/v2.0/token")
        .expect("a token request arrived");
    let form = String::from_utf8_lossy(&token_request.body).into_owned();
    assert!(
        form.contains("scope=https%3A%2F%2Fgraph%2Emicrosoft%2Eus%2F%2Edefault"),
        "{form}"
    );
}

/// The authority follows the client's cloud too, unless the source names a
/// cloud (or an authority) of its own; delegated sources alike.
#[test]
fn the_sources_own_cloud_wins_over_the_clients() {
    use graph_endpoint::{Cloud, DeviceCode};
    use std::sync::Arc;

    let build = |cloud: Cloud, source: Arc<dyn graph_endpoint::TokenSource>| {
        GraphClient::builder()
            .cloud(cloud)
            .token_source(source)
            .build()
            .unwrap()
    };
    let follows = Arc::new(ClientCredentials::new("contoso", "app-id", SECRET));
    let _graph = build(Cloud::UsGovL4, follows.clone());
    assert_eq!(
        follows.token_url(),
        "https://login.microsoftonline.us/contoso/oauth2/v2.0/token"
    );

    let own = Arc::new(ClientCredentials::new("contoso", "app-id", SECRET).cloud(Cloud::Global));
    let _graph = build(Cloud::UsGovL4, own.clone());
    assert_eq!(
        own.token_url(),
        "https://login.microsoftonline.com/contoso/oauth2/v2.0/token"
    );

    let device = Arc::new(DeviceCode::new("contoso", "app-id"));
    let _graph = build(Cloud::China, device.clone());
    assert!(
        device
            .token_url()
            .starts_with("https://login.chinacloudapi.cn/contoso/"),
        "{}",
        device.token_url()
    );
    assert!(
        device
            .scope_parameter()
            .starts_with("https://microsoftgraph.chinacloudapi.cn/"),
        "{}",
        device.scope_parameter()
    );
}
