//! HTTPS end to end: a TLS listener on 127.0.0.1, with a certificate made
//! here for `localhost` and `127.0.0.1`, in front of the stand-in and of its
//! storage host; the client trusts it through its own root configuration (a
//! `reqwest::Client` given with `add_root_certificate`). Calls, a sign-in
//! and a download go over it; a client that does not trust the certificate
//! gets nothing through.

use std::net::SocketAddr;
use std::sync::Arc;

use graph_endpoint::{ClientCredentials, Error, GraphClient, reqwest};
use graph_endpoint_device_management::android_for_work_profiles::{
    AndroidForWorkEnrollmentProfile, AndroidForWorkEnrollmentProfiles,
};
use graph_endpoint_emulator::{Emulator, fill_blob};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

const SECRET: &str = "tls-app-secret";

/// A certificate for this machine's names, made for the test.
struct Certificate {
    pem: String,
    der: CertificateDer<'static>,
    key: PrivatePkcs8KeyDer<'static>,
}

fn certificate() -> Certificate {
    let made =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .unwrap();
    Certificate {
        pem: made.cert.pem(),
        der: made.cert.der().clone(),
        key: PrivatePkcs8KeyDer::from(made.signing_key.serialize_der()),
    }
}

/// Accepts TLS on 127.0.0.1 and relays each connection, decrypted, to `target`.
struct TlsFront {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl TlsFront {
    async fn start(certificate: &Certificate, target: SocketAddr) -> TlsFront {
        let config = ServerConfig::builder_with_provider(Arc::new(
            tokio_rustls::rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![certificate.der.clone()],
            PrivateKeyDer::Pkcs8(certificate.key.clone_key()),
        )
        .unwrap();
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    // A client that does not trust the certificate ends here.
                    let Ok(mut tls) = acceptor.accept(stream).await else {
                        return;
                    };
                    let Ok(mut plain) = TcpStream::connect(target).await else {
                        return;
                    };
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                });
            }
        });
        TlsFront { addr, task }
    }

    fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.addr.port())
    }
}

impl Drop for TlsFront {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A client trusting `certificate` besides the system's roots.
fn trusting(certificate: &Certificate) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .add_root_certificate(reqwest::Certificate::from_pem(certificate.pem.as_bytes()).unwrap())
        .build()
        .unwrap()
}

fn storage_addr(emulator: &Emulator) -> SocketAddr {
    emulator
        .storage_url()
        .trim_start_matches("http://")
        .parse()
        .unwrap()
}

#[tokio::test]
async fn calls_and_sign_in_go_over_tls_to_a_certificate_trusted_by_the_client() {
    let certificate = certificate();
    let emulator = Emulator::builder()
        .app("contoso", "app-id", SECRET)
        .start()
        .await
        .unwrap();
    let front = TlsFront::start(&certificate, emulator.addr()).await;
    let graph = GraphClient::builder()
        .base_url(front.url())
        .http_client(trusting(&certificate))
        .token_source(ClientCredentials::new("contoso", "app-id", SECRET).authority(front.url()))
        .no_retry()
        .build()
        .unwrap();
    let created = graph
        .create_profile(&AndroidForWorkEnrollmentProfile::named("Over TLS"))
        .await
        .unwrap();
    let id = created.id().unwrap().to_owned();
    graph.create_token(&id, 3600).await.unwrap();
    assert!(graph.get_profile(&id).await.unwrap().has_token());
    graph.revoke_token(&id).await.unwrap();

    // Everything the stand-in received came through the TLS listener (it
    // has no other way in here): the sign-in, then the four calls with the
    // token it issued.
    let requests = emulator.requests();
    let paths: Vec<&str> = requests.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(paths[0], "/contoso/oauth2/v2.0/token");
    assert!(
        String::from_utf8_lossy(&requests[0].body).contains("client_secret="),
        "a client-secret sign-in"
    );
    assert_eq!(requests.len(), 5);
    for request in &requests[1..] {
        assert!(
            request
                .header("authorization")
                .is_some_and(|a| a.starts_with("Bearer emulator-issued-")),
            "{request:?}"
        );
    }
    assert!(
        paths[4].ends_with(&format!("/{id}/revokeToken")),
        "{paths:?}"
    );
}

#[tokio::test]
async fn a_download_goes_over_tls_without_the_token() {
    let certificate = certificate();
    let emulator = Emulator::start().await.unwrap();
    let storage = TlsFront::start(&certificate, storage_addr(&emulator)).await;
    let graph = GraphClient::builder()
        .base_url(emulator.base_url())
        .token(emulator.token())
        .http_client(trusting(&certificate))
        .build()
        .unwrap();
    let size = 300 * 1024;
    let plain = emulator.storage_blob("report.zip", size, 7);
    let url = plain.replacen(emulator.storage_url(), &storage.url(), 1);
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    let mut downloaded = Vec::new();
    let written = graph
        .download(&url)
        .to_writer(&mut downloaded)
        .await
        .unwrap();
    assert_eq!(written, size);
    let mut expected = vec![0; size as usize];
    fill_blob(7, 0, &mut expected);
    assert!(downloaded == expected, "the bytes differ");
    let arrived = emulator.storage_requests();
    assert_eq!(arrived.len(), 1);
    assert_eq!(arrived[0].header("authorization"), None);
}

#[tokio::test]
async fn a_client_that_does_not_trust_the_certificate_gets_nothing_through() {
    let certificate = certificate();
    let emulator = Emulator::start().await.unwrap();
    let front = TlsFront::start(&certificate, emulator.addr()).await;
    // The client's own default stack: the system's roots only.
    let graph = GraphClient::builder()
        .base_url(front.url())
        .token(emulator.token())
        .no_retry()
        .build()
        .unwrap();
    let err = graph.list_profiles(None).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert_eq!(emulator.request_count(), 0, "nothing reached the stand-in");

    // Trusting another certificate is no better.
    let stranger = certificate_pem_of_another();
    let graph = GraphClient::builder()
        .base_url(front.url())
        .token(emulator.token())
        .http_client(
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .add_root_certificate(reqwest::Certificate::from_pem(stranger.as_bytes()).unwrap())
                .build()
                .unwrap(),
        )
        .no_retry()
        .build()
        .unwrap();
    assert!(matches!(
        graph.list_profiles(None).await.unwrap_err(),
        Error::Transport { .. }
    ));
    assert_eq!(emulator.request_count(), 0);
}

fn certificate_pem_of_another() -> String {
    certificate().pem
}
