//! What the per-call benchmarks share: the server (hyper, 204 to
//! everything, keep-alive, on 127.0.0.1) and the client variants.

use std::io::Write;
use std::time::Duration;

use graph_endpoint::{GraphClient, http};
use graph_endpoint_device_management::android_for_work_profiles::AndroidForWorkEnrollmentProfiles;

pub const ID: &str = "6a6b1c0e-9b0e-4f3c-a2e8-0d8c5f1e7a11";
const TOKEN: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.bench.token";
const BEARER: &str = "Bearer eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.bench.token";

/// The client variants, in the order the tables show them.
pub const VARIANTS: [&str; 4] = [
    "floor",
    "floor-preparsed-url",
    "declared",
    "declared-no-attempt-timeout",
];

// ---------------------------------------------------------------------------
// The server: hyper, 204 to everything, keep-alive, on 127.0.0.1.
// ---------------------------------------------------------------------------

pub fn serve() {
    use http_body_util::Empty;
    use hyper::body::Bytes;
    use hyper::service::service_fn;
    use hyper_util::rt::TokioIo;

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        println!("{}", listener.local_addr().unwrap());
        std::io::stdout().flush().unwrap();
        // Ends when the orchestrator closes standard input, or after ten minutes.
        let stop = tokio::task::spawn_blocking(|| {
            let _ = std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink());
        });
        let accept = async {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let _ = stream.set_nodelay(true);
                tokio::spawn(async move {
                    let service = service_fn(|_request| async {
                        Ok::<_, std::convert::Infallible>(
                            hyper::Response::builder()
                                .status(204)
                                .header("request-id", "00000000-0000-4000-8000-000000000000")
                                .body(Empty::<Bytes>::new())
                                .unwrap(),
                        )
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        };
        tokio::select! {
            _ = stop => {}
            _ = accept => {}
            _ = tokio::time::sleep(Duration::from_secs(600)) => {}
        }
    });
    std::process::exit(0);
}

// ---------------------------------------------------------------------------
// The client: one variant, `n` calls, sequential or 64 in flight.
// ---------------------------------------------------------------------------

pub enum Caller {
    /// reqwest alone, the URL made from the id on each call, as code written
    /// by hand does.
    Floor {
        http: reqwest::Client,
        base: String,
    },
    /// reqwest alone, with one URL parsed once and reused: below any client
    /// that takes the id per call.
    FloorPreparsed {
        http: reqwest::Client,
        url: reqwest::Url,
    },
    Declared(GraphClient),
}

fn floor_client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The request both floors send, and the check of its answer.
async fn floor_call(http: &reqwest::Client, url: impl reqwest::IntoUrl) {
    let response = http
        .post(url)
        .header(http::header::AUTHORIZATION, BEARER)
        .header(http::header::ACCEPT, "application/json")
        .header(http::header::CONTENT_LENGTH, "0")
        .header(
            "client-request-id",
            uuid::Uuid::new_v4().hyphenated().to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let _ = response.bytes().await.unwrap();
}

impl Caller {
    pub fn new(variant: &str, base: &str) -> Caller {
        match variant {
            "floor" => Caller::Floor {
                http: floor_client(),
                base: base.to_owned(),
            },
            "floor-preparsed-url" => Caller::FloorPreparsed {
                http: floor_client(),
                url: reqwest::Url::parse(&format!(
                    "{base}/beta/deviceManagement/androidForWorkEnrollmentProfiles/{ID}/revokeToken"
                ))
                .unwrap(),
            },
            "declared" => Caller::Declared(
                GraphClient::builder()
                    .base_url(base)
                    .token(TOKEN)
                    .build()
                    .unwrap(),
            ),
            "declared-no-attempt-timeout" => Caller::Declared(
                GraphClient::builder()
                    .base_url(base)
                    .token(TOKEN)
                    .no_attempt_timeout()
                    .build()
                    .unwrap(),
            ),
            other => panic!("unknown variant {other}"),
        }
    }

    pub async fn call(&self) {
        match self {
            Caller::Floor { http, base } => {
                let id = std::hint::black_box(ID);
                let url = format!(
                    "{base}/beta/deviceManagement/androidForWorkEnrollmentProfiles/{id}/revokeToken"
                );
                floor_call(http, url.as_str()).await;
            }
            Caller::FloorPreparsed { http, url } => floor_call(http, url.clone()).await,
            Caller::Declared(graph) => graph.revoke_token(std::hint::black_box(ID)).await.unwrap(),
        }
    }
}
