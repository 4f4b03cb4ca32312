//! The token cache's rules that its documentation states, over real sign-ins
//! against the stand-in on 127.0.0.1: a symbolic link is neither read nor
//! written through; a file over 64 KiB is not read; a file must name the
//! client id, scopes and account of the sign-in reading it; a file is
//! replaced whole (a new file renamed over it), never rewritten in place.
//! Sign-ins run on a held clock, so the device code's 1 s wait costs nothing.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use graph_endpoint::{DeviceCode, GraphClient, TokenCache};
use graph_endpoint_device_management::android_for_work_profiles::AndroidForWorkEnrollmentProfiles;
use graph_endpoint_emulator::Emulator;

use crate::clock::{HeldClock, finished, wait_for};

const TENANT: &str = "contoso";
const CLIENT: &str = "intune-cli";
const OTHER_CLIENT: &str = "other-cli";
const ACCOUNT: &str = "admin@contoso.com";
const READ_WRITE: &str = "DeviceManagementConfiguration.ReadWrite.All";

async fn stand_in() -> Emulator {
    Emulator::builder()
        .public_client(TENANT, CLIENT)
        .public_client(TENANT, OTHER_CLIENT)
        // Answered `"interval": 0`: polled after 1 s, approved at once.
        .device_code_interval(Duration::ZERO)
        .approve_device_codes_after(0)
        .profiles(1)
        .start()
        .await
        .unwrap()
}

/// A temporary directory for one test.
fn scratch() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// The sign-in a run of a command-line tool would make.
fn sign_in(emulator: &Emulator, cache: &TokenCache) -> DeviceCode {
    DeviceCode::new(TENANT, CLIENT)
        .authority(emulator.base_url())
        .scopes([READ_WRITE])
        .account(ACCOUNT)
        .cache(cache.clone())
}

/// What one run did: whether the user was asked to sign in, and the
/// warnings logged.
struct Run {
    prompted: bool,
    warnings: String,
}

/// Lists the profiles through `source` as one run of a tool: signs in if
/// the cache does not serve (moving the clock past the poll interval).
async fn run(clock: &HeldClock, emulator: &Emulator, source: DeviceCode) -> Run {
    let prompts = Arc::new(AtomicUsize::new(0));
    let seen = prompts.clone();
    let source = source.on_prompt(move |_| {
        seen.fetch_add(1, Ordering::SeqCst);
    });
    let graph = GraphClient::builder()
        .base_url(emulator.base_url())
        .token_source(source)
        .no_retry()
        .build()
        .unwrap();
    let (warnings, guard) = Warnings::capture();
    let call = tokio::spawn(async move { graph.list_profiles(None).await });
    wait_for("the call or a prompt", || {
        call.is_finished() || prompts.load(Ordering::SeqCst) > 0
    })
    .await;
    let prompted = prompts.load(Ordering::SeqCst) > 0;
    if prompted {
        clock.advance(Duration::from_secs(1)).await;
    }
    assert_eq!(finished(call).await.unwrap().value.len(), 1);
    drop(guard);
    Run {
        prompted,
        warnings: warnings.text(),
    }
}

/// The warnings logged on this thread.
#[derive(Clone, Default)]
struct Warnings(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Warnings {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Warnings {
    type Writer = Warnings;
    fn make_writer(&'a self) -> Warnings {
        self.clone()
    }
}

impl Warnings {
    fn capture() -> (Warnings, tracing::subscriber::DefaultGuard) {
        let warnings = Warnings::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(warnings.clone())
            .with_max_level(tracing::Level::WARN)
            .with_ansi(false)
            .finish();
        (warnings, tracing::subscriber::set_default(subscriber))
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

fn access_token(path: &Path) -> String {
    let file: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    file["access_token"].as_str().unwrap().to_owned()
}

/// Asserts that a run ignored the file with `reason`, signed in again and
/// wrote a good file.
fn assert_ignored(run: &Run, reason: &str, path: &Path) {
    assert!(run.prompted, "the user signs in again");
    assert!(
        run.warnings.contains("ignoring the token cache file") && run.warnings.contains(reason),
        "{}",
        run.warnings
    );
    let meta = std::fs::symlink_metadata(path).unwrap();
    assert!(meta.file_type().is_file(), "a regular file again");
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
}

#[tokio::test(start_paused = true)]
async fn a_good_file_serves_the_next_run_without_signing_in() {
    let clock = HeldClock::hold();
    let emulator = stand_in().await;
    let dir = scratch();
    let cache = TokenCache::new(dir.path());
    assert!(
        run(&clock, &emulator, sign_in(&emulator, &cache))
            .await
            .prompted
    );
    let again = run(&clock, &emulator, sign_in(&emulator, &cache)).await;
    assert!(!again.prompted);
    assert_eq!(again.warnings, "");
}

#[tokio::test(start_paused = true)]
async fn a_symbolic_link_is_neither_read_nor_written_through() {
    let clock = HeldClock::hold();
    let emulator = stand_in().await;
    let dir = scratch();
    let cache = TokenCache::new(dir.path().join("cache"));
    run(&clock, &emulator, sign_in(&emulator, &cache)).await;
    let path = cache.path_for(TENANT, ACCOUNT);
    // The good file moved elsewhere, a link to it in its place.
    let elsewhere = dir.path().join("elsewhere.json");
    std::fs::rename(&path, &elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &path).unwrap();
    let linked = std::fs::read(&elsewhere).unwrap();

    let second = run(&clock, &emulator, sign_in(&emulator, &cache)).await;
    assert_ignored(&second, "it is a symbolic link", &path);
    // The new sign-in replaced the link, not the file it pointed to.
    assert_eq!(std::fs::read(&elsewhere).unwrap(), linked);
    assert_ne!(access_token(&path), access_token(&elsewhere));
}

/// The file at `path`, re-written with trailing spaces to `size` bytes.
fn padded_to(path: &Path, size: usize) {
    let mut text = std::fs::read(path).unwrap();
    assert!(text.len() < size);
    text.resize(size, b' ');
    std::fs::write(path, text).unwrap();
    assert_eq!(std::fs::metadata(path).unwrap().len(), size as u64);
}

#[tokio::test(start_paused = true)]
async fn a_file_over_64_kib_is_not_read() {
    let clock = HeldClock::hold();
    let emulator = stand_in().await;
    let dir = scratch();
    let cache = TokenCache::new(dir.path());
    run(&clock, &emulator, sign_in(&emulator, &cache)).await;
    let path = cache.path_for(TENANT, ACCOUNT);

    // 64 KiB exactly is read...
    padded_to(&path, 64 * 1024);
    let at_limit = run(&clock, &emulator, sign_in(&emulator, &cache)).await;
    assert!(!at_limit.prompted, "{}", at_limit.warnings);

    // ...one byte more is not.
    padded_to(&path, 64 * 1024 + 1);
    let over = run(&clock, &emulator, sign_in(&emulator, &cache)).await;
    assert_ignored(&over, "it is larger than 65536 bytes", &path);
}

#[tokio::test(start_paused = true)]
async fn a_file_serves_only_its_own_client_id_scopes_and_account() {
    let clock = HeldClock::hold();
    let emulator = stand_in().await;
    let dir = scratch();
    let cache = TokenCache::new(dir.path());
    run(&clock, &emulator, sign_in(&emulator, &cache)).await;
    let path = cache.path_for(TENANT, ACCOUNT);
    let original = std::fs::read(&path).unwrap();

    // Another app of the same tenant and account.
    let other_app = DeviceCode::new(TENANT, OTHER_CLIENT)
        .authority(emulator.base_url())
        .scopes([READ_WRITE])
        .account(ACCOUNT)
        .cache(cache.clone());
    let run_of_other_app = run(&clock, &emulator, other_app).await;
    assert_ignored(
        &run_of_other_app,
        &format!("it is for client id `{CLIENT}`, not `{OTHER_CLIENT}`"),
        &path,
    );

    // The same app asking for other scopes.
    std::fs::write(&path, &original).unwrap();
    let fewer_scopes =
        sign_in(&emulator, &cache).scopes(["DeviceManagementConfiguration.Read.All"]);
    let run_with_fewer = run(&clock, &emulator, fewer_scopes).await;
    assert_ignored(&run_with_fewer, "it is for scopes `", &path);

    // Another account's file put at this account's path.
    std::fs::write(&path, &original).unwrap();
    let other_account = "helpdesk@contoso.com";
    let copied = cache.path_for(TENANT, other_account);
    std::fs::copy(&path, &copied).unwrap();
    std::fs::set_permissions(&copied, std::fs::Permissions::from_mode(0o600)).unwrap();
    let run_of_other_account = run(
        &clock,
        &emulator,
        sign_in(&emulator, &cache).account(other_account),
    )
    .await;
    assert_ignored(
        &run_of_other_account,
        &format!("it is for account `{ACCOUNT}`, not `{other_account}`"),
        &copied,
    );
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

#[tokio::test(start_paused = true)]
async fn a_file_is_replaced_whole_never_rewritten_in_place() {
    let clock = HeldClock::hold();
    let emulator = stand_in().await;
    let dir = scratch();
    let cache = TokenCache::new(dir.path());
    run(&clock, &emulator, sign_in(&emulator, &cache)).await;
    let path = cache.path_for(TENANT, ACCOUNT);
    // A second name for the file as it is: writing in place would change
    // what it shows too.
    let before: PathBuf = dir.path().join("before.link");
    std::fs::hard_link(&path, &before).unwrap();
    let old_text = std::fs::read(&before).unwrap();
    let old_inode = std::fs::metadata(&path).unwrap().ino();

    // The next run refreshes at once (its margin is longer than the token's
    // life) and saves the tokens the refresh brought.
    let refreshing = sign_in(&emulator, &cache).refresh_ahead(Duration::from_secs(7200));
    let refreshed = run(&clock, &emulator, refreshing).await;
    assert!(!refreshed.prompted, "the refresh token served");
    assert_ne!(
        access_token(&path),
        access_token(&before),
        "new tokens saved"
    );
    assert_eq!(
        std::fs::read(&before).unwrap(),
        old_text,
        "the old file untouched"
    );
    assert_ne!(
        std::fs::metadata(&path).unwrap().ino(),
        old_inode,
        "a new file"
    );
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    // No temporary file is left beside it.
    assert_eq!(
        names_in(dir.path()),
        ["before.link", "contoso_admin@contoso.com.json"]
    );
}
