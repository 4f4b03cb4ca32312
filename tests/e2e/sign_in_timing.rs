//! The timing rules of signing a user in, on a held clock (`clock`): the
//! device code flow's interval bounds (1 to 60 s), its 30-minute cap and
//! repeated `slow_down`; the loopback listener's limits on the size of a
//! request head and on the time a connection may take to send it. Each
//! test speaks HTTP to the stand-in on 127.0.0.1 and moves the clock itself.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use graph_endpoint::{AuthorizationCode, DeviceCode, DeviceCodePrompt, GraphClient, TokenSource};
use graph_endpoint_device_management::android_for_work_profiles::AndroidForWorkEnrollmentProfiles;
use graph_endpoint_emulator::{Emulator, EmulatorBuilder};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::clock::{HeldClock, finished, settle, wait_for};

const TENANT: &str = "contoso";
const CLIENT: &str = "intune-cli";

fn stand_in(interval: Duration, lifetime: Duration) -> EmulatorBuilder {
    Emulator::builder()
        .public_client(TENANT, CLIENT)
        .device_code_interval(interval)
        .device_code_lifetime(lifetime)
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

/// The polls of the token endpoint so far.
fn polls(emulator: &Emulator) -> usize {
    emulator
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/oauth2/v2.0/token"))
        .count()
}

/// A device code sign-in whose prompts are kept: the prompt is shown just
/// before the first wait, so once it is seen that wait has begun.
fn prompting(emulator: &Emulator) -> (DeviceCode, Arc<Mutex<Vec<DeviceCodePrompt>>>) {
    let prompts = Arc::new(Mutex::new(Vec::new()));
    let seen = prompts.clone();
    let source = DeviceCode::new(TENANT, CLIENT)
        .authority(emulator.base_url())
        .scopes(["DeviceManagementConfiguration.Read.All"])
        .on_prompt(move |prompt| seen.lock().unwrap().push(prompt.clone()));
    (source, prompts)
}

/// The debug events of the thread's tasks that say a `slow_down` was
/// heeded; each comes just before the wait it sets begins.
#[derive(Clone, Default)]
struct Logged(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Logged {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Logged {
    type Writer = Logged;
    fn make_writer(&'a self) -> Logged {
        self.clone()
    }
}

impl Logged {
    fn capture() -> (Logged, tracing::subscriber::DefaultGuard) {
        let logged = Logged::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(logged.clone())
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(false)
            .finish();
        (logged, tracing::subscriber::set_default(subscriber))
    }

    /// The intervals (in seconds) of the `slow_down`s heeded so far.
    fn slowed_to(&self) -> Vec<u64> {
        String::from_utf8_lossy(&self.0.lock().unwrap())
            .lines()
            .filter(|l| l.contains("asked to poll more slowly"))
            .map(|l| {
                let after = l.split("interval_s=").nth(1).expect("the interval");
                after
                    .split(|c: char| !c.is_ascii_digit())
                    .next()
                    .unwrap()
                    .parse()
                    .unwrap()
            })
            .collect()
    }
}

/// Moves the clock by `wait`, asserting that the next poll comes at its
/// end and not a millisecond before.
async fn next_poll_after(clock: &HeldClock, emulator: &Emulator, wait: Duration) {
    let before = polls(emulator);
    clock.advance(wait - Duration::from_millis(1)).await;
    settle().await;
    assert_eq!(polls(emulator), before, "a poll came before {wait:?}");
    clock.advance(Duration::from_millis(1)).await;
    wait_for("the next poll", || polls(emulator) == before + 1).await;
}

#[tokio::test(start_paused = true)]
async fn a_device_code_interval_under_a_second_is_raised_to_one() {
    let clock = HeldClock::hold();
    let emulator = stand_in(Duration::ZERO, Duration::from_secs(900))
        .approve_device_codes_after(0)
        .start()
        .await
        .unwrap();
    let (source, prompts) = prompting(&emulator);
    let graph = client(&emulator, source);
    let call = tokio::spawn(async move { graph.list_profiles(None).await });
    wait_for("the prompt", || !prompts.lock().unwrap().is_empty()).await;
    // The identity platform asked for `"interval": 0`: polling that often
    // would hammer it; the wait is 1 s.
    next_poll_after(&clock, &emulator, Duration::from_secs(1)).await;
    assert_eq!(finished(call).await.unwrap().value.len(), 1);
    assert_eq!(polls(&emulator), 1);
}

#[tokio::test(start_paused = true)]
async fn a_long_interval_and_lifetime_are_capped_and_slow_down_stays_under_a_minute() {
    let clock = HeldClock::hold();
    let (logged, _guard) = Logged::capture();
    // Asked to poll every hour for two hours, and told to slow down every time.
    let emulator = stand_in(Duration::from_secs(3600), Duration::from_secs(7200))
        .start()
        .await
        .unwrap();
    emulator.slow_down_next_polls(1000);
    let (source, prompts) = prompting(&emulator);
    let graph = client(&emulator, source);
    let started = tokio::time::Instant::now();
    let call = tokio::spawn(async move { graph.list_profiles(None).await });
    wait_for("the prompt", || !prompts.lock().unwrap().is_empty()).await;
    assert_eq!(
        prompts.lock().unwrap()[0].expires_in,
        Duration::from_secs(1800),
        "the user is told the 30 minutes the code is waited for"
    );
    // Every 60 s (the longest interval kept), however often slow_down
    // comes: 29 polls, at 60 s ... 1740 s.
    for poll in 1..=29 {
        next_poll_after(&clock, &emulator, Duration::from_secs(60)).await;
        wait_for("the slow_down to be heeded", || {
            logged.slowed_to().len() == poll
        })
        .await;
    }
    assert!(
        logged.slowed_to().iter().all(|&s| s == 60),
        "{:?}",
        logged.slowed_to()
    );
    // At 30 minutes polling stops, without asking again.
    clock.advance(Duration::from_secs(60)).await;
    let err = finished(call).await.unwrap_err();
    let identity = err.identity_error().expect("the sign-in's error");
    assert_eq!(identity.error, "expired_token", "{err}");
    assert!(
        identity.error_description.contains("expired after 1800 s"),
        "{err}"
    );
    assert_eq!(clock.since(started), Duration::from_secs(1800));
    assert_eq!(polls(&emulator), 29);
}

#[tokio::test(start_paused = true)]
async fn each_slow_down_adds_five_seconds_for_good() {
    let clock = HeldClock::hold();
    let (logged, _guard) = Logged::capture();
    let emulator = stand_in(Duration::from_secs(1), Duration::from_secs(900))
        .start()
        .await
        .unwrap();
    emulator.slow_down_next_polls(3);
    let (source, prompts) = prompting(&emulator);
    let graph = client(&emulator, source);
    let call = tokio::spawn(async move { graph.list_profiles(None).await });
    wait_for("the prompt", || !prompts.lock().unwrap().is_empty()).await;
    // Polls at 1 s, then 6, 11 and 16 s apart.
    next_poll_after(&clock, &emulator, Duration::from_secs(1)).await;
    for (slowed, wait) in [(1, 6), (2, 11)] {
        wait_for("the slow_down", || logged.slowed_to().len() == slowed).await;
        next_poll_after(&clock, &emulator, Duration::from_secs(wait)).await;
    }
    wait_for("the third slow_down", || logged.slowed_to().len() == 3).await;
    let user_code = prompts.lock().unwrap()[0].user_code.clone();
    assert!(emulator.approve_device_code(&user_code));
    next_poll_after(&clock, &emulator, Duration::from_secs(16)).await;
    assert_eq!(finished(call).await.unwrap().value.len(), 1);
    assert_eq!(logged.slowed_to(), [6, 11, 16]);
    assert_eq!(polls(&emulator), 4);
}

// ---------------------------------------------------------------------------
// The loopback listener of the authorization code flow
// ---------------------------------------------------------------------------

/// An authorization code sign-in whose authorize URL is kept when opened.
fn opening(emulator: &Emulator) -> (AuthorizationCode, Arc<Mutex<Option<String>>>) {
    let opened = Arc::new(Mutex::new(None));
    let keep = opened.clone();
    let source = AuthorizationCode::new(TENANT, CLIENT)
        .authority(emulator.base_url())
        .scopes(["DeviceManagementConfiguration.Read.All"])
        .wait_timeout(Duration::from_secs(600))
        .on_open(move |url| *keep.lock().unwrap() = Some(url.to_owned()));
    (source, opened)
}

/// The listener's port, from the authorize URL's `redirect_uri`.
fn listener_port(authorize: &str) -> u16 {
    let url = reqwest::Url::parse(authorize).unwrap();
    let redirect = url
        .query_pairs()
        .find(|(k, _)| k == "redirect_uri")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    reqwest::Url::parse(&redirect).unwrap().port().unwrap()
}

/// Plays the browser: the authorize page redirects to the listener, which
/// answers with a page; returns its status and text.
async fn browse(authorize: String) -> (u16, String) {
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let answer = browser.get(&authorize).send().await.unwrap();
    assert_eq!(answer.status(), 302);
    let location = answer.headers()["location"].to_str().unwrap().to_owned();
    // To 127.0.0.1, where the listener is, whatever `localhost` resolves to.
    let location = location.replacen("://localhost:", "://127.0.0.1:", 1);
    let back = browser.get(location).send().await.unwrap();
    (back.status().as_u16(), back.text().await.unwrap())
}

#[tokio::test]
async fn the_listener_drops_a_request_head_over_8_kib_and_goes_on() {
    let emulator = stand_in(Duration::from_secs(1), Duration::from_secs(900))
        .start()
        .await
        .unwrap();
    let (source, opened) = opening(&emulator);
    let graph = client(&emulator, source);
    let call = tokio::spawn(async move { graph.list_profiles(None).await });
    wait_for("the authorize URL", || opened.lock().unwrap().is_some()).await;
    let authorize = opened.lock().unwrap().clone().unwrap();
    let port = listener_port(&authorize);

    // A declined consent with the right state, in a head over 8 KiB: not
    // read to its end, never answered, and so not taken as the answer.
    let state = reqwest::Url::parse(&authorize)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    let mut oversized = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let declined = format!("GET /?error=access_denied&state={state} HTTP/1.1\r\nHost: x\r\n");
    // One byte over: 8,193 bytes up to and including the blank line.
    let pad = 8 * 1024 + 1 - declined.len() - "X-Pad: \r\n\r\n".len();
    let head = format!("{declined}X-Pad: {}\r\n\r\n", "a".repeat(pad));
    assert_eq!(head.len(), 8 * 1024 + 1);
    // The listener may close before all of it is written.
    let _ = oversized.write_all(head.as_bytes()).await;
    let mut answer = Vec::new();
    let _ = oversized.read_to_end(&mut answer).await;
    assert!(answer.is_empty(), "{}", String::from_utf8_lossy(&answer));

    // The browser's redirect, after it, signs in.
    let (status, page) = browse(authorize).await;
    assert_eq!(status, 200);
    assert!(page.contains("Signed in"), "{page}");
    assert_eq!(finished(call).await.unwrap().value.len(), 1);
}

#[tokio::test(start_paused = true)]
async fn the_listener_gives_a_silent_connection_ten_seconds() {
    let clock = HeldClock::hold();
    let emulator = stand_in(Duration::from_secs(1), Duration::from_secs(900))
        .start()
        .await
        .unwrap();
    let (source, opened) = opening(&emulator);
    let graph = client(&emulator, source);
    let call = tokio::spawn(async move { graph.list_profiles(None).await });
    wait_for("the authorize URL", || opened.lock().unwrap().is_some()).await;
    let authorize = opened.lock().unwrap().clone().unwrap();
    let port = listener_port(&authorize);

    // A connection that sends half a request line, then nothing.
    let mut silent = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    silent.write_all(b"GET /?code=").await.unwrap();
    let closed = |stream: &tokio::net::TcpStream| {
        let mut byte = [0u8; 1];
        matches!(stream.try_read(&mut byte), Ok(0) | Err(_))
            && !matches!(
                stream.try_read(&mut byte),
                Err(ref e) if e.kind() == std::io::ErrorKind::WouldBlock
            )
    };
    // Second by second until the listener lets it go: not before 10 s (later
    // only if the listener took it up late), and not never.
    let mut waited = 0;
    while !closed(&silent) {
        assert!(
            waited < 60,
            "the listener never let the silent connection go"
        );
        clock.advance(Duration::from_secs(1)).await;
        waited += 1;
        settle().await;
    }
    assert!(waited >= 10, "let go after {waited} s");
    let mut rest = Vec::new();
    let _ = silent.read_to_end(&mut rest).await;
    assert!(
        rest.is_empty(),
        "no answer: {}",
        String::from_utf8_lossy(&rest)
    );

    // The sign-in goes on with the browser's redirect.
    let (status, page) = browse(authorize).await;
    assert_eq!(status, 200);
    assert!(page.contains("Signed in"), "{page}");
    assert_eq!(finished(call).await.unwrap().value.len(), 1);
}
