//! Signing in as a user against the stand-in's identity endpoints, over
//! HTTP on 127.0.0.1: the device code flow, the authorization code flow with
//! PKCE through the loopback listener, refresh tokens and their rotation,
//! the token cache across processes, and what bad input gets.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use graph_endpoint::{
    AuthorizationCode, DEVICE_CODE_GRANT, DeviceCode, DeviceCodePrompt, Error, GraphClient,
    IdentityError, RedirectHost, TokenCache, TokenSource,
};
use graph_endpoint_device_management::android_for_work_profiles::AndroidForWorkEnrollmentProfiles;
use graph_endpoint_emulator::{Emulator, EmulatorBuilder, RecordedRequest};

const TENANT: &str = "contoso";
const CLIENT: &str = "intune-cli";
const SCOPE: &str =
    "https://graph.microsoft.com/DeviceManagementConfiguration.ReadWrite.All offline_access";

fn stand_in() -> EmulatorBuilder {
    Emulator::builder()
        .public_client(TENANT, CLIENT)
        .public_client("fabrikam", CLIENT)
        .device_code_interval(Duration::from_secs(1))
        .profiles(1)
}

fn client(emulator: &Emulator, source: impl TokenSource) -> GraphClient {
    GraphClient::builder()
        .base_url(emulator.base_url())
        .token_source(source)
        .no_retry()
        .build()
        .unwrap()
}

fn device_code(emulator: &Emulator) -> DeviceCode {
    DeviceCode::new(TENANT, CLIENT)
        .authority(emulator.base_url())
        .scopes(["DeviceManagementConfiguration.ReadWrite.All"])
        .on_prompt(|_| {})
}

/// The form of a request, decoded, in the order sent.
fn form(request: &RecordedRequest) -> Vec<(String, String)> {
    let body = String::from_utf8(request.body.to_vec()).unwrap();
    reqwest::Url::parse(&format!("http://x/?{body}"))
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn value<'a>(form: &'a [(String, String)], name: &str) -> &'a str {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no {name} in {form:?}"))
}

/// The requests to one identity endpoint (`token`, `devicecode`, `authorize`).
fn to(emulator: &Emulator, endpoint: &str) -> Vec<RecordedRequest> {
    let path = format!("/oauth2/v2.0/{endpoint}");
    emulator
        .requests()
        .into_iter()
        .filter(|r| r.path.split('?').next().unwrap().ends_with(&path))
        .collect()
}

fn identity(err: &Error) -> &IdentityError {
    err.identity_error()
        .unwrap_or_else(|| panic!("an identity error: {err:?}"))
}

fn bearer_of_last_call(emulator: &Emulator) -> String {
    emulator
        .requests()
        .iter()
        .rev()
        .find(|r| r.path.starts_with("/beta/"))
        .and_then(|r| r.header("authorization").map(str::to_owned))
        .expect("a Graph call")
}

/// A directory of its own under the system's temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "graph-endpoint-{name}-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

mod device_code_flow {
    use super::*;

    #[tokio::test]
    async fn sends_the_exact_forms_and_polls_at_the_interval() {
        // Approved once polled twice: polls at 1 s, 2 s and 3 s.
        let emulator = stand_in()
            .approve_device_codes_after(2)
            .start()
            .await
            .unwrap();
        let prompts = Arc::new(Mutex::new(Vec::<(DeviceCodePrompt, Instant)>::new()));
        let seen = prompts.clone();
        let sign_in = device_code(&emulator)
            .on_prompt(move |prompt| seen.lock().unwrap().push((prompt.clone(), Instant::now())));
        let graph = client(&emulator, sign_in);
        assert_eq!(graph.list_profiles(None).await.unwrap().value.len(), 1);
        let polled = prompts.lock().unwrap()[0].1.elapsed();

        let prompt = prompts.lock().unwrap()[0].0.clone();
        assert_eq!(prompt.user_code.len(), 9);
        assert_eq!(
            prompt.verification_uri,
            format!("{}/devicelogin", emulator.base_url())
        );
        assert!(prompt.message.contains(&prompt.user_code));

        let authorization = to(&emulator, "devicecode");
        assert_eq!(authorization.len(), 1);
        assert_eq!(
            form(&authorization[0]),
            pairs(&[("client_id", CLIENT), ("scope", SCOPE)])
        );
        let polls = to(&emulator, "token");
        assert_eq!(polls.len(), 3, "two pending polls, then the tokens");
        let device_code = value(&form(&polls[0]), "device_code").to_owned();
        assert!(device_code.starts_with("emulator-device-"));
        for poll in &polls {
            assert_eq!(
                form(poll),
                pairs(&[
                    ("grant_type", DEVICE_CODE_GRANT),
                    ("client_id", CLIENT),
                    ("device_code", &device_code),
                ]),
                "a public client sends no secret"
            );
        }
        // Three intervals of 1 s passed before the third poll; the machine
        // may be slow, never faster.
        // (Exact intervals, on a held clock: `sign_in_timing`.)
        assert!(polled >= Duration::from_secs(3), "{polled:?}");
        assert!(bearer_of_last_call(&emulator).starts_with("Bearer emulator-issued-"));
    }

    #[tokio::test]
    async fn slow_down_widens_the_interval_by_five_seconds() {
        let emulator = stand_in()
            .approve_device_codes_after(0)
            .start()
            .await
            .unwrap();
        emulator.slow_down_next_polls(1);
        let started = Instant::now();
        let graph = client(&emulator, device_code(&emulator));
        graph.list_profiles(None).await.unwrap();
        let took = started.elapsed();
        assert_eq!(
            to(&emulator, "token").len(),
            2,
            "slow_down, then the tokens"
        );
        // 1 s before the first poll, 1 + 5 s before the second.
        assert!(took >= Duration::from_secs(7), "{took:?}");
    }

    #[tokio::test]
    async fn a_declined_sign_in_is_access_denied() {
        let emulator = Arc::new(stand_in().start().await.unwrap());
        let handle = emulator.clone();
        let sign_in = device_code(&emulator).on_prompt(move |prompt| {
            assert!(handle.deny_device_code(&prompt.user_code));
        });
        let err = client(&emulator, sign_in)
            .list_profiles(None)
            .await
            .unwrap_err();
        let identity = identity(&err);
        assert_eq!(identity.error, "access_denied", "{err}");
        assert!(identity.error_description.contains("declined"), "{err}");
        assert_eq!(to(&emulator, "token").len(), 1);
        assert_eq!(emulator.request_count(), 2, "nothing reached Graph");
    }

    #[tokio::test]
    async fn an_expired_device_code_is_expired_token() {
        // Expired on the stand-in's side: its answer ends the polling.
        let emulator = Arc::new(stand_in().start().await.unwrap());
        let handle = emulator.clone();
        let sign_in = device_code(&emulator).on_prompt(move |_| handle.expire_device_codes());
        let err = client(&emulator, sign_in)
            .list_profiles(None)
            .await
            .unwrap_err();
        assert_eq!(identity(&err).error, "expired_token", "{err}");
        assert_eq!(identity(&err).error_codes, [70020]);
        assert_eq!(to(&emulator, "token").len(), 1);

        // Expired by its own `expires_in`: polling stops without asking.
        let emulator = stand_in()
            .device_code_lifetime(Duration::from_secs(1))
            .start()
            .await
            .unwrap();
        let err = client(&emulator, device_code(&emulator))
            .list_profiles(None)
            .await
            .unwrap_err();
        let identity = identity(&err);
        assert_eq!(identity.error, "expired_token", "{err}");
        assert!(
            identity.error_description.contains("expired after 1 s"),
            "{err}"
        );
        assert_eq!(to(&emulator, "token").len(), 0);
    }

    #[tokio::test]
    async fn refresh_tokens_are_redeemed_once_and_rotated() {
        let emulator = stand_in()
            .approve_device_codes_after(0)
            .start()
            .await
            .unwrap();
        // Every token is inside the refresh margin: each call refreshes.
        let sign_in = device_code(&emulator).refresh_ahead(Duration::from_secs(7200));
        let graph = client(&emulator, sign_in);
        for _ in 0..3 {
            graph.list_profiles(None).await.unwrap();
        }
        assert_eq!(
            to(&emulator, "devicecode").len(),
            1,
            "one interactive sign-in"
        );
        let refreshes: Vec<_> = to(&emulator, "token")
            .iter()
            .map(form)
            .filter(|f| value(f, "grant_type") == "refresh_token")
            .collect();
        assert_eq!(refreshes.len(), 2);
        let sent: Vec<&str> = refreshes
            .iter()
            .map(|f| value(f, "refresh_token"))
            .collect();
        for (refresh, token) in refreshes.iter().zip(&sent) {
            assert_eq!(
                refresh,
                &pairs(&[
                    ("grant_type", "refresh_token"),
                    ("client_id", CLIENT),
                    ("refresh_token", token),
                    ("scope", SCOPE),
                ])
            );
        }
        // The stand-in honours a refresh token once: the second refresh
        // succeeded only because it sent the one the first brought back.
        assert_ne!(sent[0], sent[1]);
        assert!(sent.iter().all(|t| t.starts_with("emulator-refresh-")));
    }

    #[tokio::test]
    async fn a_revoked_refresh_token_falls_back_to_signing_in_only_when_allowed() {
        let emulator = stand_in()
            .approve_device_codes_after(0)
            .start()
            .await
            .unwrap();
        let dir = TempDir::new("revoked");
        let cache = TokenCache::new(&dir.0);
        let interactive = client(
            &emulator,
            device_code(&emulator)
                .cache(cache.clone())
                .refresh_ahead(Duration::from_secs(7200)),
        );
        interactive.list_profiles(None).await.unwrap();
        assert_eq!(emulator.revoke_refresh_tokens(), 1);

        // Unattended: the cached refresh token is refused, and that is the error.
        let unattended = client(
            &emulator,
            device_code(&emulator)
                .cache(cache.clone())
                .refresh_ahead(Duration::from_secs(7200))
                .interactive(false),
        );
        let err = unattended.list_profiles(None).await.unwrap_err();
        let identity = identity(&err);
        assert_eq!(identity.error, "invalid_grant", "{err}");
        assert_eq!(identity.error_codes, [70008]);
        assert_eq!(
            to(&emulator, "devicecode").len(),
            1,
            "no interactive sign-in"
        );

        // Interactive: the user is asked again, and the call succeeds.
        interactive.list_profiles(None).await.unwrap();
        assert_eq!(to(&emulator, "devicecode").len(), 2);

        // Unattended with nothing cached: no request at all.
        let empty = TempDir::new("empty");
        let before = emulator.request_count();
        let err = client(
            &emulator,
            device_code(&emulator)
                .cache(TokenCache::new(&empty.0))
                .interactive(false),
        )
        .list_profiles(None)
        .await
        .unwrap_err();
        assert_eq!(super::identity(&err).error, "interaction_required", "{err}");
        assert_eq!(emulator.request_count(), before);
    }

    #[tokio::test]
    async fn a_confidential_app_or_unknown_client_is_refused() {
        let emulator = stand_in()
            .app(TENANT, "daemon-app", "secret")
            .start()
            .await
            .unwrap();
        let err = client(
            &emulator,
            DeviceCode::new(TENANT, "daemon-app").authority(emulator.base_url()),
        )
        .list_profiles(None)
        .await
        .unwrap_err();
        assert_eq!(identity(&err).error, "unauthorized_client", "{err}");
        assert_eq!(identity(&err).error_codes, [700016]);
    }
}

mod authorization_code_flow {
    use super::*;

    /// What the browser did: the authorize URL it was given, the redirect
    /// it followed, and what the listener answered it.
    #[derive(Default, Debug, Clone)]
    struct Browsed {
        authorize: String,
        location: String,
        status: u16,
        page: String,
    }

    /// Plays the browser: fetches the authorize URL without following the
    /// redirect, then takes the redirect (changed by `tamper`) to the listener.
    fn browser(
        tamper: fn(String) -> String,
    ) -> (impl Fn(&str) + Send + Sync + 'static, Arc<Mutex<Browsed>>) {
        let browsed = Arc::new(Mutex::new(Browsed::default()));
        let record = browsed.clone();
        let open = move |url: &str| {
            let url = url.to_owned();
            let record = record.clone();
            tokio::spawn(async move {
                let browser = reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .unwrap();
                let answer = browser.get(&url).send().await.unwrap();
                assert_eq!(answer.status(), 302, "{:?}", answer.text().await);
                let location = answer.headers()["location"].to_str().unwrap().to_owned();
                let back = browser.get(tamper(location.clone())).send().await.unwrap();
                let status = back.status().as_u16();
                let page = back.text().await.unwrap();
                *record.lock().unwrap() = Browsed {
                    authorize: url,
                    location,
                    status,
                    page,
                };
            });
        };
        (open, browsed)
    }

    fn query(url: &str) -> Vec<(String, String)> {
        reqwest::Url::parse(url)
            .unwrap()
            .query_pairs()
            .into_owned()
            .collect()
    }

    fn auth_code(emulator: &Emulator) -> AuthorizationCode {
        AuthorizationCode::new(TENANT, CLIENT)
            .authority(emulator.base_url())
            .scopes(["DeviceManagementConfiguration.ReadWrite.All"])
            .wait_timeout(Duration::from_secs(10))
    }

    #[tokio::test]
    async fn signs_in_with_pkce_through_the_loopback_listener() {
        let emulator = stand_in().start().await.unwrap();
        let (open, browsed) = browser(|location| location);
        let graph = client(&emulator, auth_code(&emulator).on_open(open));
        assert_eq!(graph.list_profiles(None).await.unwrap().value.len(), 1);
        let browsed = browsed.lock().unwrap().clone();

        let authorize = query(&browsed.authorize);
        let redirect_uri = value(&authorize, "redirect_uri").to_owned();
        let port = redirect_uri
            .strip_prefix("http://localhost:")
            .expect("a loopback redirect URI");
        assert!(port.parse::<u16>().unwrap() > 0);
        let state = value(&authorize, "state");
        let challenge = value(&authorize, "code_challenge");
        assert_eq!(value(&authorize, "client_id"), CLIENT);
        assert_eq!(value(&authorize, "response_type"), "code");
        assert_eq!(value(&authorize, "scope"), SCOPE);
        assert_eq!(value(&authorize, "code_challenge_method"), "S256");
        assert_eq!(state.len(), 22, "16 random bytes");
        assert!(browsed.authorize.starts_with(&format!(
            "{}/{TENANT}/oauth2/v2.0/authorize?",
            emulator.base_url()
        )));

        let redirect = query(&browsed.location);
        assert_eq!(value(&redirect, "state"), state);
        let code = value(&redirect, "code");
        assert_eq!(
            (browsed.status, browsed.page.contains("Signed in")),
            (200, true)
        );

        let exchanges = to(&emulator, "token");
        assert_eq!(exchanges.len(), 1);
        let exchange = form(&exchanges[0]);
        let verifier = value(&exchange, "code_verifier").to_owned();
        assert_eq!(
            exchange,
            pairs(&[
                ("grant_type", "authorization_code"),
                ("client_id", CLIENT),
                ("code", code),
                ("redirect_uri", &redirect_uri),
                ("code_verifier", &verifier),
                ("scope", SCOPE),
            ]),
            "no client_secret from a public client"
        );
        assert_eq!(verifier.len(), 43, "32 random bytes");
        let s256 = URL_SAFE_NO_PAD.encode(aws_lc_rs::digest::digest(
            &aws_lc_rs::digest::SHA256,
            verifier.as_bytes(),
        ));
        assert_eq!(s256, challenge, "the verifier is the challenge's");
        assert!(bearer_of_last_call(&emulator).starts_with("Bearer emulator-issued-"));
    }

    #[tokio::test]
    async fn each_sign_in_has_its_own_verifier_and_state() {
        let emulator = stand_in().start().await.unwrap();
        let mut seen = HashSet::new();
        for _ in 0..2 {
            let (open, browsed) = browser(|location| location);
            let graph = client(
                &emulator,
                auth_code(&emulator)
                    .redirect_host(RedirectHost::LoopbackIp)
                    .on_open(open),
            );
            graph.list_profiles(None).await.unwrap();
            let authorize = query(&browsed.lock().unwrap().authorize);
            assert!(value(&authorize, "redirect_uri").starts_with("http://127.0.0.1:"));
            assert!(seen.insert(value(&authorize, "state").to_owned()));
            assert!(seen.insert(value(&authorize, "code_challenge").to_owned()));
        }
    }

    /// Plays a browser that takes its time: `before(port)` runs first (an
    /// idle connection, a forged redirect), then the real redirect is sent to
    /// `host` (`localhost`'s place in the redirect URI).
    fn patient_browser<F, Fut>(
        host: &'static str,
        before: F,
    ) -> (impl Fn(&str) + Send + Sync + 'static, Arc<Mutex<Vec<u16>>>)
    where
        F: Fn(String) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Vec<u16>> + Send + 'static,
    {
        let statuses = Arc::new(Mutex::new(Vec::new()));
        let record = statuses.clone();
        let before = Arc::new(before);
        let open = move |url: &str| {
            let (url, record, before) = (url.to_owned(), record.clone(), before.clone());
            tokio::spawn(async move {
                let browser = reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .no_proxy()
                    .build()
                    .unwrap();
                let answer = browser.get(&url).send().await.unwrap();
                let location = answer.headers()["location"].to_str().unwrap().to_owned();
                let earlier = before(location.clone()).await;
                record.lock().unwrap().extend(earlier);
                let real = location.replace("localhost", host);
                let status = browser.get(real).send().await.unwrap().status().as_u16();
                record.lock().unwrap().push(status);
            });
        };
        (open, statuses)
    }

    #[tokio::test]
    async fn a_forged_redirect_is_refused_and_the_real_one_still_signs_in() {
        let emulator = stand_in().start().await.unwrap();
        let (open, statuses) = patient_browser("localhost", |location: String| async move {
            let forged = location.replace("state=", "state=forged");
            let status = reqwest::Client::builder()
                .no_proxy()
                .build()
                .unwrap()
                .get(forged.replace("code=", "code=stolen"))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16();
            vec![status]
        });
        let graph = client(&emulator, auth_code(&emulator).on_open(open));
        assert_eq!(graph.list_profiles(None).await.unwrap().value.len(), 1);
        assert_eq!(*statuses.lock().unwrap(), [400, 200]);
        let exchanges = to(&emulator, "token");
        assert_eq!(exchanges.len(), 1, "only the real code is redeemed");
        assert!(!value(&form(&exchanges[0]), "code").starts_with("stolen"));
    }

    #[tokio::test]
    async fn an_idle_connection_does_not_hold_up_the_real_redirect() {
        let emulator = stand_in().start().await.unwrap();
        let (open, statuses) = patient_browser("localhost", |location: String| async move {
            let port = reqwest::Url::parse(&location).unwrap().port().unwrap();
            // Opened, never written to, kept open past the sign-in.
            let idle = tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .unwrap();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_secs(30)).await;
                drop(idle);
            });
            Vec::new()
        });
        // Less than the 10 s one connection may take to send its request: a
        // listener that served connections one at a time would time out.
        let sign_in = auth_code(&emulator)
            .wait_timeout(Duration::from_secs(5))
            .on_open(open);
        let graph = client(&emulator, sign_in);
        assert_eq!(graph.list_profiles(None).await.unwrap().value.len(), 1);
        assert_eq!(*statuses.lock().unwrap(), [200]);
    }

    #[tokio::test]
    async fn the_listener_answers_on_both_loopback_addresses() {
        for host in ["127.0.0.1", "[::1]"] {
            let emulator = stand_in().start().await.unwrap();
            let (open, statuses) = patient_browser(host, |_| async { Vec::new() });
            let graph = client(&emulator, auth_code(&emulator).on_open(open));
            assert_eq!(
                graph.list_profiles(None).await.unwrap().value.len(),
                1,
                "{host}"
            );
            assert_eq!(*statuses.lock().unwrap(), [200], "{host}");
        }
    }

    #[tokio::test]
    async fn declined_consent_is_access_denied() {
        let emulator = stand_in().start().await.unwrap();
        emulator.deny_consent(true);
        let (open, _) = browser(|location| location);
        let err = client(&emulator, auth_code(&emulator).on_open(open))
            .list_profiles(None)
            .await
            .unwrap_err();
        let identity = identity(&err);
        assert_eq!(identity.error, "access_denied", "{err}");
        assert!(
            identity.error_description.starts_with("AADSTS65004"),
            "{err}"
        );
        assert_eq!(emulator.token_requests(), 0);
    }

    #[tokio::test]
    async fn a_browser_that_never_comes_back_times_out() {
        let emulator = stand_in().start().await.unwrap();
        let err = client(
            &emulator,
            auth_code(&emulator)
                .wait_timeout(Duration::from_millis(300))
                .on_open(|_| {}),
        )
        .list_profiles(None)
        .await
        .unwrap_err();
        let identity = identity(&err);
        assert_eq!(identity.error, "timeout", "{err}");
        assert!(
            identity.error_description.contains("did not come back"),
            "{err}"
        );
    }

    /// The stand-in is a strict identity platform: it checks the verifier,
    /// the redirect URI and the client, and honours a code once.
    #[tokio::test]
    async fn the_stand_in_verifies_pkce_and_redeems_a_code_once() {
        let emulator = stand_in().start().await.unwrap();
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        let authorize = |redirect_uri: &str| {
            format!(
                "{}/{TENANT}/oauth2/v2.0/authorize?client_id={CLIENT}&response_type=code&redirect_uri={redirect_uri}&scope=offline_access&state=s&code_challenge={challenge}&code_challenge_method=S256",
                emulator.base_url()
            )
        };
        let refused = http
            .get(authorize("https://evil.example/cb"))
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 400, "no redirect to a non-loopback URI");
        let answer = http
            .get(authorize("http://127.0.0.1:9"))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 302);
        let location = answer.headers()["location"].to_str().unwrap().to_owned();
        assert!(
            location.starts_with("http://127.0.0.1:9?code="),
            "{location}"
        );
        assert!(location.ends_with("&state=s"), "{location}");
        let code = value(&query(&location), "code").to_owned();
        assert!(code.starts_with("emulator-code-"), "{code}");
        let token_url = format!("{}/{TENANT}/oauth2/v2.0/token", emulator.base_url());
        let redeem = |verifier: &str, redirect_uri: &str| {
            http.post(&token_url).body(format!(
                "grant_type=authorization_code&client_id={CLIENT}&code={code}&redirect_uri={redirect_uri}&code_verifier={verifier}"
            ))
        };
        let error = |answer: reqwest::Response| async move {
            let body: serde_json::Value =
                serde_json::from_slice(&answer.bytes().await.unwrap()).unwrap();
            (
                body["error"].as_str().unwrap().to_owned(),
                body["error_codes"][0].as_u64().unwrap(),
            )
        };
        // A wrong verifier spends the code, as the identity platform does.
        let wrong = redeem(
            "another-verifier-of-forty-three-characters-x",
            "http%3A%2F%2F127.0.0.1%3A9",
        )
        .send()
        .await
        .unwrap();
        assert_eq!(wrong.status(), 400);
        assert_eq!(error(wrong).await, ("invalid_grant".to_owned(), 501481));
        let again = redeem(verifier, "http%3A%2F%2F127.0.0.1%3A9")
            .send()
            .await
            .unwrap();
        assert_eq!(error(again).await, ("invalid_grant".to_owned(), 70008));

        // A fresh code, redeemed right: tokens, and a refresh token for offline_access.
        let answer = http
            .get(authorize("http://127.0.0.1:9"))
            .send()
            .await
            .unwrap();
        let location = answer.headers()["location"].to_str().unwrap().to_owned();
        let code = value(&query(&location), "code").to_owned();
        let tokens: serde_json::Value = http
            .post(&token_url)
            .body(format!(
                "grant_type=authorization_code&client_id={CLIENT}&code={code}&redirect_uri=http%3A%2F%2F127.0.0.1%3A9&code_verifier={verifier}&client_secret=x"
            ))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .map(|body| serde_json::from_slice(&body).unwrap())
            .unwrap();
        assert_eq!(
            tokens["error_codes"][0], 700025,
            "a public client sends no secret: {tokens}"
        );
        let answer = http
            .get(authorize("http://127.0.0.1:9"))
            .send()
            .await
            .unwrap();
        let location = answer.headers()["location"].to_str().unwrap().to_owned();
        let code = value(&query(&location), "code").to_owned();
        let tokens: serde_json::Value = http
            .post(&token_url)
            .body(format!(
                "grant_type=authorization_code&client_id={CLIENT}&code={code}&redirect_uri=http%3A%2F%2F127.0.0.1%3A9&code_verifier={verifier}"
            ))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .map(|body| serde_json::from_slice(&body).unwrap())
            .unwrap();
        assert!(
            tokens["access_token"]
                .as_str()
                .unwrap()
                .starts_with("emulator-issued-")
        );
        assert!(
            tokens["refresh_token"]
                .as_str()
                .unwrap()
                .starts_with("emulator-refresh-")
        );
    }

    #[tokio::test]
    async fn a_plain_http_authority_off_loopback_is_refused_before_anything_is_sent() {
        let opened = Arc::new(Mutex::new(false));
        let flag = opened.clone();
        let sign_in = AuthorizationCode::new(TENANT, CLIENT)
            .authority("http://192.0.2.1")
            .on_open(move |_| *flag.lock().unwrap() = true);
        let err = sign_in.token().await.unwrap_err();
        let err = err.downcast_ref::<IdentityError>().unwrap();
        assert_eq!(err.error, "insecure_authority");
        assert!(
            !*opened.lock().unwrap(),
            "no browser for an insecure authority"
        );
        let err = DeviceCode::new(TENANT, CLIENT)
            .authority("http://192.0.2.1")
            .token()
            .await
            .unwrap_err();
        assert_eq!(
            err.downcast_ref::<IdentityError>().unwrap().error,
            "insecure_authority"
        );
    }
}

mod token_cache {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// The warnings logged while `body` runs on this thread.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
        type Writer = Captured;
        fn make_writer(&'a self) -> Captured {
            self.clone()
        }
    }

    impl Captured {
        fn text(&self) -> String {
            String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
        }
    }

    fn capture() -> (Captured, tracing::subscriber::DefaultGuard) {
        let captured = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(captured.clone())
            .with_max_level(tracing::Level::WARN)
            .finish();
        (captured, tracing::subscriber::set_default(subscriber))
    }

    fn cached(emulator: &Emulator, cache: &TokenCache, tenant: &str) -> GraphClient {
        client(
            emulator,
            DeviceCode::new(tenant, CLIENT)
                .authority(emulator.base_url())
                .scopes(["DeviceManagementConfiguration.ReadWrite.All"])
                .account("admin@contoso.com")
                .cache(cache.clone())
                .on_prompt(|_| {}),
        )
    }

    fn mode(path: &std::path::Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    fn file_token(path: &std::path::Path) -> String {
        let file: serde_json::Value =
            serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        file["access_token"].as_str().unwrap().to_owned()
    }

    #[tokio::test]
    async fn a_sign_in_is_saved_privately_and_reused() {
        let emulator = stand_in()
            .approve_device_codes_after(0)
            .start()
            .await
            .unwrap();
        let dir = TempDir::new("saved");
        let cache = TokenCache::new(dir.0.join("nested"));
        cached(&emulator, &cache, TENANT)
            .list_profiles(None)
            .await
            .unwrap();
        let path = cache.path_for(TENANT, "admin@contoso.com");
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&dir.0.join("nested")), 0o700);
        let names: Vec<_> = std::fs::read_dir(dir.0.join("nested"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(
            names,
            ["contoso_admin@contoso.com.json"],
            "no temporary file left"
        );
        let token = file_token(&path);
        assert_eq!(bearer_of_last_call(&emulator), format!("Bearer {token}"));

        // Another source, as another run would make: no sign-in, the same token.
        let (captured, _guard) = capture();
        let again = cached(&emulator, &cache, TENANT);
        again.list_profiles(None).await.unwrap();
        assert_eq!(to(&emulator, "devicecode").len(), 1);
        assert_eq!(emulator.token_requests(), 1);
        assert_eq!(bearer_of_last_call(&emulator), format!("Bearer {token}"));
        assert_eq!(captured.text(), "", "a good file gives no warning");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_second_process_reuses_the_cached_sign_in() {
        let emulator = stand_in()
            .approve_device_codes_after(0)
            .start()
            .await
            .unwrap();
        let dir = TempDir::new("process");
        let run = |emulator: &Emulator| {
            let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_sign-in"));
            command.args([
                "--tenant",
                TENANT,
                "--client-id",
                CLIENT,
                "--authority",
                emulator.base_url(),
                "--base-url",
                emulator.base_url(),
                "--cache-dir",
                dir.0.to_str().unwrap(),
            ]);
            async move {
                let output = tokio::task::spawn_blocking(move || command.output().unwrap())
                    .await
                    .unwrap();
                let (stdout, stderr) = (
                    String::from_utf8_lossy(&output.stdout).into_owned(),
                    String::from_utf8_lossy(&output.stderr).into_owned(),
                );
                assert!(output.status.success(), "{stdout}\n{stderr}");
                (stdout, stderr)
            }
        };
        let (first, prompted) = run(&emulator).await;
        assert_eq!(first.trim(), "profiles: 1");
        assert!(
            prompted.contains("/devicelogin and enter the code"),
            "{prompted}"
        );
        let first_bearer = bearer_of_last_call(&emulator);

        let (second, quiet) = run(&emulator).await;
        assert_eq!(second.trim(), "profiles: 1");
        assert!(!quiet.contains("devicelogin"), "{quiet}");
        assert_eq!(to(&emulator, "devicecode").len(), 1, "one sign-in, not two");
        assert_eq!(emulator.token_requests(), 1);
        assert_eq!(bearer_of_last_call(&emulator), first_bearer);
    }

    /// Signs in once for `tenant`, and returns the file written.
    async fn signed_in_file(emulator: &Emulator, cache: &TokenCache, tenant: &str) -> PathBuf {
        cached(emulator, cache, tenant)
            .list_profiles(None)
            .await
            .unwrap();
        cache.path_for(tenant, "admin@contoso.com")
    }

    /// A source reading `path` as the cache of contoso's admin: the file is
    /// ignored with `warning`, the user signs in again, and the file is
    /// replaced by a good one.
    async fn assert_ignored(
        emulator: &Emulator,
        cache: &TokenCache,
        untrusted_token: Option<String>,
        warning: &str,
    ) {
        let sign_ins = to(emulator, "devicecode").len();
        let (captured, guard) = capture();
        cached(emulator, cache, TENANT)
            .list_profiles(None)
            .await
            .unwrap();
        drop(guard);
        let logged = captured.text();
        assert!(logged.contains("WARN"), "{logged}");
        assert!(
            logged.contains("ignoring the token cache file: ") && logged.contains(warning),
            "{logged}"
        );
        assert_eq!(
            to(emulator, "devicecode").len(),
            sign_ins + 1,
            "a fresh sign-in"
        );
        let bearer = bearer_of_last_call(emulator);
        if let Some(untrusted) = untrusted_token {
            assert_ne!(bearer, format!("Bearer {untrusted}"), "never trusted");
            assert!(!logged.contains(&untrusted), "the token is never logged");
        }
        let path = cache.path_for(TENANT, "admin@contoso.com");
        assert_eq!(mode(&path), 0o600);
        assert_eq!(format!("Bearer {}", file_token(&path)), bearer);
    }

    #[tokio::test]
    async fn a_corrupt_file_is_ignored_with_a_warning() {
        let emulator = stand_in()
            .approve_device_codes_after(0)
            .start()
            .await
            .unwrap();
        let dir = TempDir::new("corrupt");
        let cache = TokenCache::new(&dir.0);
        let path = signed_in_file(&emulator, &cache, TENANT).await;
        let token = file_token(&path);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, &text[..text.len() / 2]).unwrap();
        assert_ignored(&emulator, &cache, Some(token), "it is corrupt: cut off").await;

        std::fs::write(&path, "{\"access_token\": 42}").unwrap();
        assert_ignored(
            &emulator,
            &cache,
            None,
            "it is corrupt: JSON of another shape",
        )
        .await;
    }

    #[tokio::test]
    async fn a_file_others_can_read_is_ignored_with_a_warning() {
        let emulator = stand_in()
            .approve_device_codes_after(0)
            .start()
            .await
            .unwrap();
        let dir = TempDir::new("wide");
        let cache = TokenCache::new(&dir.0);
        let path = signed_in_file(&emulator, &cache, TENANT).await;
        let token = file_token(&path);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_ignored(
            &emulator,
            &cache,
            Some(token),
            "its permissions 644 let group or others read it",
        )
        .await;
    }

    #[tokio::test]
    async fn a_file_of_another_tenant_is_ignored_with_a_warning() {
        let emulator = stand_in()
            .approve_device_codes_after(0)
            .start()
            .await
            .unwrap();
        let dir = TempDir::new("tenant");
        let cache = TokenCache::new(&dir.0);
        let fabrikam = signed_in_file(&emulator, &cache, "fabrikam").await;
        let token = file_token(&fabrikam);
        std::fs::copy(&fabrikam, cache.path_for(TENANT, "admin@contoso.com")).unwrap();
        assert_ignored(
            &emulator,
            &cache,
            Some(token),
            "it is for tenant `fabrikam`, not `contoso`",
        )
        .await;
    }

    #[tokio::test]
    async fn a_sign_in_at_another_authority_never_gets_the_cached_tokens() {
        let first = stand_in()
            .approve_device_codes_after(0)
            .start()
            .await
            .unwrap();
        let other = stand_in()
            .approve_device_codes_after(0)
            .start()
            .await
            .unwrap();
        let dir = TempDir::new("authority");
        let cache = TokenCache::new(&dir.0);
        let path = signed_in_file(&first, &cache, TENANT).await;
        let token = file_token(&path);
        // Same tenant, client, account and scopes; another authority.
        assert_ignored(
            &other,
            &cache,
            Some(token),
            &format!("it is for authority `{}`", first.base_url()),
        )
        .await;
        for request in to(&other, "token") {
            assert_ne!(
                value(&form(&request), "grant_type"),
                "refresh_token",
                "the refresh token went to another authority"
            );
        }
    }

    #[tokio::test]
    async fn an_entry_without_its_authority_is_not_used() {
        let emulator = stand_in()
            .approve_device_codes_after(0)
            .start()
            .await
            .unwrap();
        let dir = TempDir::new("v1");
        let cache = TokenCache::new(&dir.0);
        let path = signed_in_file(&emulator, &cache, TENANT).await;
        let token = file_token(&path);
        // As the previous version wrote them.
        let mut entry: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        entry.as_object_mut().unwrap().remove("authority");
        entry["version"] = 1.into();
        std::fs::write(&path, entry.to_string()).unwrap();
        assert_ignored(
            &emulator,
            &cache,
            Some(token),
            "it is not a version 2 graph-endpoint token cache",
        )
        .await;
    }

    #[tokio::test]
    async fn a_fifo_at_the_cache_path_cannot_hang_the_sign_in() {
        let emulator = stand_in()
            .approve_device_codes_after(0)
            .start()
            .await
            .unwrap();
        let dir = TempDir::new("fifo");
        std::fs::create_dir(&dir.0).unwrap();
        std::fs::set_permissions(&dir.0, std::fs::Permissions::from_mode(0o700)).unwrap();
        let cache = TokenCache::new(&dir.0);
        let path = cache.path_for(TENANT, "admin@contoso.com");
        let made = std::process::Command::new("mkfifo")
            .arg(&path)
            .status()
            .unwrap();
        assert!(made.success());
        // A thread and a runtime of its own: opening a FIFO the old way
        // blocks the thread, which must not take the test down with it.
        let (done, outcome) = std::sync::mpsc::channel();
        let graph = cached(&emulator, &cache, TENANT);
        let (captured, guard) = capture();
        drop(guard);
        let writer = captured.clone();
        std::thread::spawn(move || {
            let subscriber = tracing_subscriber::fmt()
                .with_writer(writer)
                .with_max_level(tracing::Level::WARN)
                .finish();
            let _guard = tracing::subscriber::set_default(subscriber);
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            let listed = runtime
                .block_on(async { graph.list_profiles(None).await })
                .map(|l| l.value.len());
            let _ = done.send(listed.map_err(|e| e.to_string()));
        });
        let listed =
            tokio::task::spawn_blocking(move || outcome.recv_timeout(Duration::from_secs(60)))
                .await
                .unwrap();
        if listed.is_err() {
            // Let the blocked open go before failing.
            let _ = std::fs::OpenOptions::new().write(true).open(&path);
        }
        assert_eq!(listed.expect("the sign-in hung on the FIFO"), Ok(1));
        let logged = captured.text();
        assert!(logged.contains("it is not a regular file"), "{logged}");
    }

    #[tokio::test]
    async fn a_cache_others_could_write_or_that_is_not_ours_is_not_used() {
        let emulator = stand_in()
            .approve_device_codes_after(0)
            .start()
            .await
            .unwrap();
        let dir = TempDir::new("shared");
        let cache = TokenCache::new(&dir.0);
        let path = signed_in_file(&emulator, &cache, TENANT).await;
        let token = file_token(&path);
        let sign_ins = to(&emulator, "devicecode").len();
        std::fs::set_permissions(&dir.0, std::fs::Permissions::from_mode(0o777)).unwrap();
        let (captured, guard) = capture();
        cached(&emulator, &cache, TENANT)
            .list_profiles(None)
            .await
            .unwrap();
        drop(guard);
        let logged = captured.text();
        assert!(logged.contains("others can write in it"), "{logged}");
        assert!(logged.contains("could not be saved"), "{logged}");
        assert_eq!(to(&emulator, "devicecode").len(), sign_ins + 1);
        assert_ne!(bearer_of_last_call(&emulator), format!("Bearer {token}"));
        assert_eq!(file_token(&path), token, "nothing written there either");

        // A file of another user (the tests run as root in CI, which may
        // give it away; elsewhere this part has nothing to check).
        std::fs::set_permissions(&dir.0, std::fs::Permissions::from_mode(0o700)).unwrap();
        if std::os::unix::fs::chown(&path, Some(65534), None).is_ok() {
            assert_ignored(&emulator, &cache, Some(token), "it belongs to user 65534").await;
        }
    }

    #[tokio::test]
    async fn secrets_stay_out_of_debug_output() {
        let emulator = stand_in()
            .approve_device_codes_after(0)
            .start()
            .await
            .unwrap();
        let dir = TempDir::new("debug");
        let cache = TokenCache::new(&dir.0);
        let source = DeviceCode::new(TENANT, CLIENT)
            .authority(emulator.base_url())
            .cache(cache.clone())
            .on_prompt(|_| {});
        let token = source.token().await.unwrap();
        let file = std::fs::read_to_string(cache.path_for(TENANT, "default")).unwrap();
        let file: serde_json::Value = serde_json::from_str(&file).unwrap();
        let refresh = file["refresh_token"].as_str().unwrap();
        let shown = format!("{source:?} {cache:?} {token:?}");
        assert!(
            !shown.contains(refresh) && !shown.contains(token.secret()),
            "{shown}"
        );
    }
}
