//! App content uploads against the stand-in: Graph's side (content
//! versions, files and their states, renewals, the commit's checks) and the
//! storage host's (Azure Blob blocks, signatures and expiry), with the
//! exact requests that arrived at each.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aes::Aes256;
use aes::cipher::block_padding::Pkcs7;
use aes::cipher::{BlockModeDecrypt, KeyIvInit};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use graph_endpoint::{Error, Graph, GraphClient, RetryPolicy, Wait, graph_action};
use graph_endpoint_device_app_management::content::{
    AppContentUploads, AppType, ContentError, IntuneWinPackage, RenewReason, UploadEvent,
    UploadState, encrypted_len,
};
use graph_endpoint_emulator::{BlockFault, Emulator, RecordedRequest};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::common::client_for;

/// Polls 5 ms apart: the stand-in's states move on their poll count, not on time.
fn quick_wait() -> Wait {
    Wait::default().interval(Duration::from_millis(5), Duration::from_millis(5))
}

/// Retries 1 ms apart.
fn quick_retries() -> RetryPolicy {
    RetryPolicy::default()
        .base_delay(Duration::from_millis(1))
        .max_jitter(Duration::ZERO)
}

const BLOCK: u64 = 64 * 1024;

/// A setup file of `len` bytes (content that does not repeat).
fn setup_file(dir: &Path, name: &str, len: usize) -> PathBuf {
    let path = dir.join(name);
    let content: Vec<u8> = (0..len)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(&path, content).unwrap();
    path
}

pub(crate) fn package(dir: &Path, len: usize) -> IntuneWinPackage {
    let setup = setup_file(dir, "setup.exe", len);
    IntuneWinPackage::create(setup, dir.join("setup.intunewin")).expect("a package is written")
}

/// `METHOD /path` of each request (the query left out).
fn lines(requests: &[RecordedRequest]) -> Vec<String> {
    requests
        .iter()
        .map(|r| {
            format!(
                "{} {}",
                r.method,
                r.path.split('?').next().unwrap_or_default()
            )
        })
        .collect()
}

fn query(request: &RecordedRequest, name: &str) -> Option<String> {
    let url = graph_endpoint::reqwest::Url::parse(&format!("http://h{}", request.path)).ok()?;
    url.query_pairs()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.into_owned())
}

fn block_id(index: u32) -> String {
    BASE64.encode(format!("{index:06}"))
}

/// What each storage request did: `block N` or `blocklist`.
fn storage_steps(requests: &[RecordedRequest]) -> Vec<String> {
    requests
        .iter()
        .map(|r| match query(r, "comp").as_deref() {
            Some("block") => {
                let id = query(r, "blockid").unwrap_or_default();
                let index = String::from_utf8(BASE64.decode(id).unwrap()).unwrap();
                format!("block {}", index.parse::<u32>().unwrap())
            }
            Some(other) => other.to_owned(),
            None => "?".to_owned(),
        })
        .collect()
}

fn assert_no_authorization(requests: &[RecordedRequest]) {
    assert!(!requests.is_empty());
    for request in requests {
        assert_eq!(request.header("authorization"), None, "{}", request.path);
    }
}

/// Collects the upload's events.
fn recorder() -> (
    Arc<Mutex<Vec<UploadEvent>>>,
    impl FnMut(&UploadEvent) + Send + 'static,
) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    (events, move |event: &UploadEvent| {
        sink.lock().unwrap().push(event.clone())
    })
}

fn states(events: &[UploadEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            UploadEvent::State(state) => Some(state.to_string()),
            _ => None,
        })
        .collect()
}

/// An app of the given type, created through Graph as a test would.
pub trait TestApps: Graph {
    #[graph_action(
        POST,
        "/deviceAppManagement/mobileApps",
        expect = 201,
        version = "beta"
    )]
    async fn create_app(&self, #[body] app: &Value) -> Result<Value, Error>;
}

impl TestApps for GraphClient {}

async fn new_app(graph: &GraphClient, odata_type: &str) -> String {
    let app = graph
        .create_app(&json!({"@odata.type": odata_type, "displayName": "Test app"}))
        .await
        .unwrap();
    app["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_win32_package_goes_through_every_state_and_no_token_reaches_the_storage_host() {
    let emulator = Emulator::builder()
        .app_content_pending_polls(1)
        .start()
        .await
        .unwrap();
    let graph = client_for(&emulator);
    let dir = tempfile::tempdir().unwrap();
    // Three blocks: two whole, one short.
    let package = package(dir.path(), 150_000);
    assert!(package.encrypted_size() > 2 * BLOCK && package.encrypted_size() < 3 * BLOCK);
    let (events, on_event) = recorder();
    let done = graph
        .create_win32_app(
            &package,
            json!({"displayName": "Sample", "publisher": "Contoso", "installCommandLine": "setup.exe /quiet"}),
        )
        .wait(quick_wait())
        .block_size(BLOCK)
        .on_progress(on_event)
        .await
        .expect("the upload is committed");

    let app = &done.app_id;
    let file = &done.file_id;
    assert_eq!(done.content_version, "1");
    let version = format!(
        "/beta/deviceAppManagement/mobileApps/{app}/microsoft.graph.win32LobApp/contentVersions"
    );
    let file_path = format!("{version}/1/files/{file}");
    assert_eq!(
        lines(&emulator.requests()),
        [
            "POST /beta/deviceAppManagement/mobileApps".to_owned(),
            format!("POST {version}"),
            format!("POST {version}/1/files"),
            format!("GET {file_path}"),
            format!("GET {file_path}"),
            format!("POST {file_path}/commit"),
            format!("GET {file_path}"),
            format!("GET {file_path}"),
            format!("PATCH /beta/deviceAppManagement/mobileApps/{app}"),
            format!("GET /beta/deviceAppManagement/mobileApps/{app}"),
        ]
    );
    let requests = emulator.requests();
    let created = requests[0].json().unwrap();
    assert_eq!(created["@odata.type"], "#microsoft.graph.win32LobApp");
    assert_eq!(created["fileName"], "setup.intunewin");
    assert_eq!(created["setupFilePath"], "setup.exe");
    assert_eq!(created["publisher"], "Contoso");
    let file_body = requests[2].json().unwrap();
    assert_eq!(file_body["name"], "setup.intunewin");
    assert_eq!(file_body["size"], package.unencrypted_size());
    assert_eq!(file_body["sizeEncrypted"], package.encrypted_size());
    assert_eq!(file_body["isDependency"], false);
    let commit = requests[5].json().unwrap();
    let info = &commit["fileEncryptionInfo"];
    let expected = package.encryption_info();
    assert_eq!(info["mac"], BASE64.encode(&expected.mac));
    assert_eq!(info["macKey"], BASE64.encode(&expected.mac_key));
    assert_eq!(
        info["encryptionKey"],
        BASE64.encode(&expected.encryption_key)
    );
    assert_eq!(info["fileDigest"], BASE64.encode(&expected.file_digest));
    assert_eq!(info["profileIdentifier"], "ProfileVersion1");
    assert_eq!(info["fileDigestAlgorithm"], "SHA256");
    assert_eq!(
        requests[8].json().unwrap(),
        json!({"@odata.type": "#microsoft.graph.win32LobApp", "committedContentVersion": "1"})
    );
    for request in &requests {
        assert_eq!(
            request.header("authorization"),
            Some("Bearer emulator-token")
        );
    }

    let storage = emulator.storage_requests();
    assert_eq!(
        storage_steps(&storage),
        ["block 0", "block 1", "block 2", "blocklist"]
    );
    assert_no_authorization(&storage);
    assert!(storage.iter().all(|r| r.method == "PUT"));
    let sig = query(&storage[0], "sig").unwrap();
    assert!(
        storage
            .iter()
            .all(|r| query(r, "sig").as_deref() == Some(&sig))
    );

    assert_eq!(
        emulator.app_content_blob(file).unwrap().len() as u64,
        package.encrypted_size()
    );
    assert_eq!(
        emulator.app_content_files()[0].upload_state,
        "commitFileSuccess"
    );
    assert_eq!(emulator.mobile_apps()[0]["committedContentVersion"], "1");
    assert_eq!(done.app["committedContentVersion"], "1");

    let events = events.lock().unwrap().clone();
    assert_eq!(
        states(&events),
        [
            "azureStorageUriRequestPending",
            "azureStorageUriRequestSuccess",
            "commitFilePending",
            "commitFileSuccess"
        ]
    );
    let uploaded: Vec<u64> = events
        .iter()
        .filter_map(|e| match e {
            UploadEvent::Uploaded(p) => {
                assert_eq!(p.total, Some(package.encrypted_size()));
                Some(p.done)
            }
            _ => None,
        })
        .collect();
    assert_eq!(uploaded, [BLOCK, 2 * BLOCK, package.encrypted_size()]);
    assert!(matches!(events.first(), Some(UploadEvent::AppCreated { id }) if id == app));
    assert_eq!(
        events.last(),
        Some(&UploadEvent::Committed {
            content_version: "1".into()
        })
    );
}

#[tokio::test]
async fn a_uri_the_storage_host_says_expired_is_renewed_and_the_upload_goes_on() {
    let emulator = Arc::new(Emulator::start().await.unwrap());
    let graph = client_for(&emulator);
    let dir = tempfile::tempdir().unwrap();
    let package = package(dir.path(), 200_000);
    let app = new_app(&graph, "#microsoft.graph.win32LobApp").await;
    let (events, mut record) = recorder();
    let stand_in = emulator.clone();
    emulator.clear_requests();
    graph
        .upload_win32_app_content(&app, &package)
        .wait(quick_wait())
        .block_size(BLOCK)
        .on_progress(move |event| {
            // The URI expires once two blocks are in.
            if let UploadEvent::Uploaded(progress) = event
                && progress.done == 2 * BLOCK
            {
                stand_in.expire_app_content_uris();
            }
            record(event);
        })
        .await
        .expect("the upload goes on with the renewed URI");

    let storage = emulator.storage_requests();
    assert_eq!(
        storage_steps(&storage),
        [
            "block 0",
            "block 1",
            "block 2",
            "block 2",
            "block 3",
            "blocklist"
        ]
    );
    assert_no_authorization(&storage);
    let sigs: Vec<String> = storage.iter().map(|r| query(r, "sig").unwrap()).collect();
    assert_eq!(sigs[0], sigs[2], "the refused request used the first URI");
    assert_ne!(
        sigs[2], sigs[3],
        "the block went again with the renewed URI"
    );
    assert_eq!(sigs[3], sigs[5]);

    let graph_lines = lines(&emulator.requests());
    let renew = graph_lines
        .iter()
        .position(|l| l.ends_with("/renewUpload"))
        .expect("renewUpload was called");
    assert!(graph_lines[renew].starts_with("POST "));
    // Then polled until azureStorageUriRenewalSuccess (one poll pending).
    assert!(
        graph_lines[renew + 1].starts_with("GET ") && graph_lines[renew + 2].starts_with("GET ")
    );
    assert!(graph_lines[renew + 3].ends_with("/commit"));
    assert_eq!(
        graph_lines
            .iter()
            .filter(|l| l.ends_with("/renewUpload"))
            .count(),
        1
    );

    let events = events.lock().unwrap().clone();
    assert!(events.contains(&UploadEvent::Renewing(RenewReason::Expired)));
    assert_eq!(
        states(&events),
        [
            "azureStorageUriRequestPending",
            "azureStorageUriRequestSuccess",
            "azureStorageUriRenewalPending",
            "azureStorageUriRenewalSuccess",
            "commitFilePending",
            "commitFileSuccess"
        ]
    );
    assert_eq!(
        emulator.app_content_files()[0].upload_state,
        "commitFileSuccess"
    );
}

#[tokio::test]
async fn a_uri_near_its_expiry_is_renewed_before_the_next_block() {
    // URIs good for a minute, renewed when less than 90 s are left: before every block.
    let emulator = Emulator::builder()
        .app_content_uri_lifetime(Duration::from_secs(60))
        .app_content_pending_polls(0)
        .start()
        .await
        .unwrap();
    let graph = client_for(&emulator);
    let dir = tempfile::tempdir().unwrap();
    let package = package(dir.path(), 100_000);
    let app = new_app(&graph, "#microsoft.graph.win32LobApp").await;
    let (events, record) = recorder();
    emulator.clear_requests();
    graph
        .upload_win32_app_content(&app, &package)
        .wait(quick_wait())
        .block_size(BLOCK)
        .renew_before(Duration::from_secs(90))
        .on_progress(record)
        .await
        .unwrap();

    let storage = emulator.storage_requests();
    assert_eq!(storage_steps(&storage), ["block 0", "block 1", "blocklist"]);
    // Never refused: each request went with a URI renewed just before it.
    let sigs: Vec<String> = storage.iter().map(|r| query(r, "sig").unwrap()).collect();
    assert_ne!(sigs[0], sigs[1]);
    assert_ne!(sigs[1], sigs[2]);
    let graph_lines: Vec<String> = lines(&emulator.requests())
        .into_iter()
        .map(|l| l.rsplit('/').next().unwrap().to_owned())
        .collect();
    let file = emulator.app_content_files()[0].id.clone();
    let get = file.as_str();
    assert_eq!(
        graph_lines,
        [
            "contentVersions",
            "files",
            get,
            "renewUpload",
            get,
            "renewUpload",
            get,
            "renewUpload",
            get,
            "commit",
            get,
            app.as_str(),
            app.as_str()
        ]
    );
    let events = events.lock().unwrap().clone();
    assert_eq!(
        events
            .iter()
            .filter(|e| **e == UploadEvent::Renewing(RenewReason::NearExpiry))
            .count(),
        3
    );
}

#[tokio::test]
async fn a_block_that_fails_is_sent_again_alone() {
    let emulator = Emulator::start().await.unwrap();
    let graph = client_for(&emulator);
    let dir = tempfile::tempdir().unwrap();
    let package = package(dir.path(), 300_000);
    let app = new_app(&graph, "#microsoft.graph.win32LobApp").await;
    emulator.inject_block_fault(BlockFault::Reject {
        block_id: block_id(1),
    });
    emulator.inject_block_fault(BlockFault::Drop {
        block_id: block_id(3),
    });
    let (events, record) = recorder();
    graph
        .upload_win32_app_content(&app, &package)
        .wait(quick_wait())
        .block_size(BLOCK)
        .block_retries(quick_retries())
        .on_progress(record)
        .await
        .expect("the upload succeeds after the retries");
    let storage = emulator.storage_requests();
    assert_eq!(
        storage_steps(&storage),
        [
            "block 0",
            "block 1",
            "block 1",
            "block 2",
            "block 3",
            "block 3",
            "block 4",
            "blocklist"
        ]
    );
    assert_no_authorization(&storage);
    let events = events.lock().unwrap().clone();
    let retries: Vec<&UploadEvent> = events
        .iter()
        .filter(|e| matches!(e, UploadEvent::Retrying { .. }))
        .collect();
    assert_eq!(
        retries,
        [
            &UploadEvent::Retrying {
                operation: "put_block",
                block: Some(1),
                failures: 1
            },
            &UploadEvent::Retrying {
                operation: "put_block",
                block: Some(3),
                failures: 1
            }
        ]
    );
    assert_eq!(
        emulator.app_content_files()[0].upload_state,
        "commitFileSuccess"
    );
}

/// A package whose `Detection.xml` is `detection_from`'s and whose
/// encrypted file is `content_from`'s: a zip that is whole, with the wrong
/// encryption info.
pub(crate) fn mismatched_package(detection_from: &Path, content_from: &Path, out: &Path) {
    let entry = |path: &Path, name: &str| -> Vec<u8> {
        let bytes = std::fs::read(path).unwrap();
        let archive = rawzip::ZipArchive::from_slice(&bytes).unwrap();
        let mut entries = archive.entries();
        while let Some(entry) = entries.next_entry().unwrap() {
            if entry.file_path().as_ref() == name.as_bytes() {
                return archive
                    .get_entry(entry.wayfinder())
                    .unwrap()
                    .data()
                    .to_vec();
            }
        }
        panic!("no {name} in {}", path.display());
    };
    let xml = entry(detection_from, "IntuneWinPackage/Metadata/Detection.xml");
    let encrypted = entry(
        content_from,
        "IntuneWinPackage/Contents/IntunePackage.intunewin",
    );
    write_package(out, &xml, &encrypted);
}

fn write_package(out: &Path, xml: &[u8], encrypted: &[u8]) {
    use std::io::Write;
    let mut archive = rawzip::ZipArchiveWriter::new(std::fs::File::create(out).unwrap());
    for (name, data) in [
        (
            "IntuneWinPackage/Contents/IntunePackage.intunewin",
            encrypted,
        ),
        ("IntuneWinPackage/Metadata/Detection.xml", xml),
    ] {
        let (mut entry, config) = archive.new_file(name).start().unwrap();
        let mut writer = config.wrap(&mut entry);
        writer.write_all(data).unwrap();
        let (_, descriptor) = writer.finish().unwrap();
        entry.finish(descriptor).unwrap();
    }
    archive.finish().unwrap();
}

#[tokio::test]
async fn a_package_whose_file_does_not_match_its_encryption_info_is_refused_at_commit() {
    let emulator = Emulator::start().await.unwrap();
    let graph = client_for(&emulator);
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first");
    let second = dir.path().join("second");
    std::fs::create_dir_all(&first).unwrap();
    std::fs::create_dir_all(&second).unwrap();
    let a = package(&first, 50_000);
    let b = package(&second, 50_000);
    assert_eq!(a.encrypted_size(), b.encrypted_size());
    let tampered = dir.path().join("tampered.intunewin");
    mismatched_package(a.path(), b.path(), &tampered);
    let tampered = IntuneWinPackage::open(&tampered).unwrap();
    let app = new_app(&graph, "#microsoft.graph.win32LobApp").await;
    let (events, record) = recorder();
    let error = graph
        .upload_win32_app_content(&app, &tampered)
        .wait(quick_wait())
        .on_progress(record)
        .await
        .expect_err("the commit is refused");
    assert!(
        matches!(
            &error,
            ContentError::FailedState {
                state: UploadState::CommitFileFailed,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(error.state(), Some(&UploadState::CommitFileFailed));
    assert!(
        error.to_string().starts_with("commitFileFailed: "),
        "{error}"
    );
    let file = &emulator.app_content_files()[0];
    assert_eq!(file.upload_state, "commitFileFailed");
    assert!(
        file.commit_failure.as_deref().unwrap().contains("HMAC"),
        "{:?}",
        file.commit_failure
    );
    // The app keeps no committed content, and no PATCH was sent.
    assert!(emulator.mobile_apps()[0]["committedContentVersion"].is_null());
    assert!(!emulator.requests().iter().any(|r| r.method == "PATCH"));
    let events = events.lock().unwrap().clone();
    assert_eq!(
        states(&events).last().map(String::as_str),
        Some("commitFileFailed")
    );
}

#[tokio::test]
async fn a_digest_that_does_not_match_the_content_fails_the_commit() {
    let emulator = Emulator::start().await.unwrap();
    let graph = client_for(&emulator);
    let dir = tempfile::tempdir().unwrap();
    let good = package(dir.path(), 30_000);
    // Same encrypted file and keys, another fileDigest.
    let bytes = std::fs::read(good.path()).unwrap();
    let archive = rawzip::ZipArchive::from_slice(&bytes).unwrap();
    let mut found = Vec::new();
    let mut entries = archive.entries();
    while let Some(entry) = entries.next_entry().unwrap() {
        found.push(
            archive
                .get_entry(entry.wayfinder())
                .unwrap()
                .data()
                .to_vec(),
        );
    }
    let xml = String::from_utf8(found[1].clone()).unwrap();
    let digest = BASE64.encode(&good.encryption_info().file_digest);
    let wrong = BASE64.encode(Sha256::digest(b"something else"));
    let tampered = dir.path().join("digest.intunewin");
    write_package(
        &tampered,
        xml.replace(&digest, &wrong).as_bytes(),
        &found[0],
    );
    let tampered = IntuneWinPackage::open(&tampered).unwrap();
    let app = new_app(&graph, "#microsoft.graph.win32LobApp").await;
    let error = graph
        .upload_win32_app_content(&app, &tampered)
        .wait(quick_wait())
        .await
        .unwrap_err();
    assert_eq!(error.state(), Some(&UploadState::CommitFileFailed));
    assert!(
        emulator.app_content_files()[0]
            .commit_failure
            .as_deref()
            .unwrap()
            .contains("fileDigest")
    );
}

#[tokio::test]
async fn a_lob_file_is_encrypted_as_the_package_format_says() {
    let emulator = Emulator::start().await.unwrap();
    let graph = client_for(&emulator);
    let dir = tempfile::tempdir().unwrap();
    let plain_len = 100_000;
    let msi = setup_file(dir.path(), "agent.msi", plain_len);
    let plain = std::fs::read(&msi).unwrap();
    let app = new_app(&graph, "#microsoft.graph.windowsMobileMSI").await;
    emulator.clear_requests();
    let done = graph
        .upload_lob_app_content(&app, AppType::for_file(&msi).unwrap(), &msi)
        .wait(quick_wait())
        .block_size(32 * 1024)
        .manifest(&b"<MobileMsiData MsiExecutionContext=\"System\"/>"[..])
        .await
        .expect("the LOB file is committed");
    let size_encrypted = encrypted_len(plain_len as u64);
    assert_eq!(done.size_encrypted, size_encrypted);

    let requests = emulator.requests();
    assert!(
        requests[0]
            .path
            .ends_with("/microsoft.graph.windowsMobileMSI/contentVersions")
    );
    let file_body = requests[1].json().unwrap();
    assert_eq!(file_body["name"], "agent.msi");
    assert_eq!(file_body["size"], plain_len);
    assert_eq!(file_body["sizeEncrypted"], size_encrypted);
    assert_eq!(
        file_body["manifest"],
        BASE64.encode("<MobileMsiData MsiExecutionContext=\"System\"/>")
    );
    let commit = requests
        .iter()
        .find(|r| r.path.ends_with("/commit"))
        .unwrap()
        .json()
        .unwrap();
    let info = &commit["fileEncryptionInfo"];
    let field = |name: &str| BASE64.decode(info[name].as_str().unwrap()).unwrap();
    let (key, mac_key, iv, mac) = (
        field("encryptionKey"),
        field("macKey"),
        field("initializationVector"),
        field("mac"),
    );
    assert_eq!(
        (key.len(), mac_key.len(), iv.len(), mac.len()),
        (32, 32, 16, 32)
    );
    assert_ne!(key, mac_key);
    assert_eq!(info["profileIdentifier"], "ProfileVersion1");
    assert_eq!(info["fileDigestAlgorithm"], "SHA256");
    assert_eq!(field("fileDigest"), Sha256::digest(&plain).to_vec());

    // Ciphertext blocks first, the 48-byte head (block 0) last, listed first.
    let storage = emulator.storage_requests();
    assert_eq!(
        storage_steps(&storage),
        [
            "block 1",
            "block 2",
            "block 3",
            "block 4",
            "block 0",
            "blocklist"
        ]
    );
    assert_no_authorization(&storage);

    // The blob is HMAC ‖ IV ‖ AES-256-CBC(PKCS7): it decrypts to the file.
    let blob = emulator.app_content_blob(&done.file_id).unwrap();
    assert_eq!(blob.len() as u64, size_encrypted);
    assert_eq!(blob[..32], mac[..]);
    assert_eq!(blob[32..48], iv[..]);
    let mut check = <Hmac<Sha256> as KeyInit>::new_from_slice(&mac_key).unwrap();
    check.update(&blob[32..]);
    check
        .verify_slice(&mac)
        .expect("the MAC covers IV ‖ ciphertext");
    let mut ciphertext = blob[48..].to_vec();
    let decrypted = cbc::Decryptor::<Aes256>::new_from_slices(&key, &iv)
        .unwrap()
        .decrypt_padded::<Pkcs7>(&mut ciphertext)
        .unwrap();
    assert_eq!(decrypted, &plain[..]);
    assert_eq!(
        emulator.mobile_apps()[0]["committedContentVersion"],
        done.content_version
    );

    // Fresh keys on every upload.
    let again = graph
        .upload_lob_app_content(&app, AppType::WINDOWS_MOBILE_MSI, &msi)
        .wait(quick_wait())
        .await
        .unwrap();
    assert_eq!(again.content_version, "2");
    let commits: Vec<Value> = emulator
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/commit"))
        .map(|r| r.json().unwrap())
        .collect();
    assert_eq!(commits.len(), 2);
    for name in ["encryptionKey", "macKey", "initializationVector"] {
        assert_ne!(
            commits[0]["fileEncryptionInfo"][name],
            commits[1]["fileEncryptionInfo"][name]
        );
    }
}

#[tokio::test]
async fn failed_and_late_states_end_the_upload_naming_the_state() {
    let emulator = Emulator::start().await.unwrap();
    let graph = client_for(&emulator);
    let dir = tempfile::tempdir().unwrap();
    let package = package(dir.path(), 10_000);
    let app = new_app(&graph, "#microsoft.graph.win32LobApp").await;

    emulator.app_content_outcome("azureStorageUriRequestFailed");
    let error = graph
        .upload_win32_app_content(&app, &package)
        .wait(quick_wait())
        .await
        .unwrap_err();
    assert_eq!(
        error.state(),
        Some(&UploadState::AzureStorageUriRequestFailed)
    );
    assert!(
        error
            .to_string()
            .starts_with("azureStorageUriRequestFailed: ")
    );
    assert!(emulator.storage_requests().is_empty());

    emulator.app_content_outcome("commitFileTimedOut");
    let error = graph
        .upload_win32_app_content(&app, &package)
        .wait(quick_wait())
        .await
        .unwrap_err();
    assert_eq!(error.state(), Some(&UploadState::CommitFileTimedOut));

    // A renewal that fails.
    emulator.app_content_outcome("azureStorageUriRenewalFailed");
    let error = graph
        .upload_win32_app_content(&app, &package)
        .wait(quick_wait())
        .renew_before(Duration::from_secs(3600))
        .await
        .unwrap_err();
    assert_eq!(
        error.state(),
        Some(&UploadState::AzureStorageUriRenewalFailed)
    );
}

#[tokio::test]
async fn a_state_that_stays_pending_past_the_deadline_is_named() {
    let emulator = Emulator::builder()
        .app_content_pending_polls(1_000_000)
        .start()
        .await
        .unwrap();
    let graph = client_for(&emulator);
    let dir = tempfile::tempdir().unwrap();
    let package = package(dir.path(), 10_000);
    let app = new_app(&graph, "#microsoft.graph.win32LobApp").await;
    let error = graph
        .upload_win32_app_content(&app, &package)
        .wait(quick_wait().deadline(Duration::from_millis(60)))
        .await
        .unwrap_err();
    match &error {
        ContentError::StateDeadline {
            awaited,
            last_state,
            polls,
            ..
        } => {
            assert_eq!(*awaited, UploadState::AzureStorageUriRequestSuccess);
            assert_eq!(last_state.as_deref(), Some("azureStorageUriRequestPending"));
            assert!(*polls >= 1);
        }
        other => panic!("{other:?}"),
    }
    assert!(
        error.to_string().contains("azureStorageUriRequestPending"),
        "{error}"
    );
}

/// The stand-in's storage host, spoken to directly: Azure's block
/// semantics, signatures and errors.
#[tokio::test]
async fn the_storage_host_keeps_azure_block_semantics() {
    let emulator = Emulator::builder()
        .app_content_pending_polls(0)
        .start()
        .await
        .unwrap();
    let graph = client_for(&emulator);
    let app = new_app(&graph, "#microsoft.graph.win32LobApp").await;
    let http = graph_endpoint::reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap();
    let base = format!(
        "{}/beta/deviceAppManagement/mobileApps/{app}/microsoft.graph.win32LobApp/contentVersions",
        emulator.base_url()
    );
    let auth = format!("Bearer {}", emulator.token());
    let call = |method: &str, url: String, body: Option<Value>| {
        let request = http
            .request(method.parse().unwrap(), url)
            .header("authorization", &auth)
            .header("content-type", "application/json");
        let request = match body {
            Some(body) => request.body(body.to_string()),
            None => request,
        };
        async move {
            let text = request.send().await.unwrap().text().await.unwrap();
            serde_json::from_str::<Value>(&text).unwrap()
        }
    };
    let version = call("POST", base.clone(), Some(json!({}))).await;
    let files = format!("{base}/{}/files", version["id"].as_str().unwrap());
    let file = call(
        "POST",
        files.clone(),
        Some(json!({"name": "x.intunewin", "size": 10, "sizeEncrypted": 64})),
    )
    .await;
    assert_eq!(file["uploadState"], "azureStorageUriRequestPending");
    let file = call(
        "GET",
        format!("{files}/{}", file["id"].as_str().unwrap()),
        None,
    )
    .await;
    assert_eq!(file["uploadState"], "azureStorageUriRequestSuccess");
    let uri = file["azureStorageUri"].as_str().unwrap().to_owned();
    assert!(uri.starts_with(emulator.storage_url()));
    assert!(file["azureStorageUriExpirationDateTime"].is_string());

    let put = |url: String, body: &'static str| {
        let http = http.clone();
        async move {
            let answer = http.put(url).body(body).send().await.unwrap();
            let status = answer.status().as_u16();
            let code = answer
                .headers()
                .get("x-ms-error-code")
                .map(|v| v.to_str().unwrap().to_owned());
            let body = answer.text().await.unwrap();
            (status, code, body)
        }
    };
    let block = |id: &str| format!("{uri}&comp=block&blockid={}", id.replace('=', "%3D"));

    assert_eq!(put(block("QUFB"), "first").await.0, 201);
    // Ids of another length in the same blob.
    let (status, code, body) = put(block("QUFBQUFB"), "x").await;
    assert_eq!((status, code.as_deref()), (400, Some("InvalidBlobOrBlock")));
    assert!(body.contains("<Code>InvalidBlobOrBlock</Code>"), "{body}");
    // Not base64.
    let (status, code, _) = put(block("@@@@"), "x").await;
    assert_eq!((status, code.as_deref()), (400, Some("InvalidBlockId")));
    // A list naming a block never put.
    let list = format!("{uri}&comp=blocklist");
    let (status, code, body) = put(
        list.clone(),
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList><Latest>QUFB</Latest><Latest>QkJC</Latest></BlockList>",
    )
    .await;
    assert_eq!((status, code.as_deref()), (400, Some("InvalidBlockList")));
    assert!(body.starts_with('\u{feff}') && body.contains("<Error><Code>InvalidBlockList</Code>"));
    assert_eq!(
        put(list.clone(), "<BlockList><Latest>QUFB</Latest></BlockList>")
            .await
            .0,
        201
    );
    // The signature is checked: missing, altered, its expiry altered.
    let unsigned = uri.split("&sig=").next().unwrap().to_owned();
    let (status, code, _) = put(format!("{unsigned}&comp=block&blockid=QUFB"), "x").await;
    assert_eq!(
        (status, code.as_deref()),
        (403, Some("AuthenticationFailed"))
    );
    let altered = uri.replace("&sig=", "&sig=0");
    assert_eq!(
        put(format!("{altered}&comp=block&blockid=QUFB"), "x")
            .await
            .0,
        403
    );
    let later = uri.replacen("se=20", "se=21", 1);
    assert_ne!(later, uri);
    assert_eq!(
        put(format!("{later}&comp=block&blockid=QUFB"), "x").await.0,
        403
    );
    // And so is its expiry.
    emulator.expire_app_content_uris();
    let (status, code, body) = put(block("QUFB"), "x").await;
    assert_eq!(
        (status, code.as_deref()),
        (403, Some("AuthenticationFailed"))
    );
    assert!(
        body.contains("Signature not valid in the specified time frame"),
        "{body}"
    );
    // A token is refused outright.
    let answer = http
        .put(block("QUFB"))
        .header("authorization", &auth)
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 401);
}

/// The runtime's building block for hosts beside Graph, as the upload uses it.
#[tokio::test]
async fn send_beside_graph_never_carries_the_token_and_hands_back_any_answer() {
    use graph_endpoint::reqwest::{Method, Request, Url};
    let emulator = Emulator::start().await.unwrap();
    let graph = client_for(&emulator);
    // An answer of another status comes back whole, for the caller to read.
    let url = Url::parse(&format!(
        "{}/content/none?comp=block&blockid=QUFB",
        emulator.storage_url()
    ))
    .unwrap();
    let mut put = Request::new(Method::PUT, url.clone());
    *put.body_mut() = Some("data".into());
    let answer = graph
        .send_beside_graph("put_block", put, 1024)
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 403);
    assert_eq!(
        answer.header("x-ms-error-code"),
        Some("AuthenticationFailed")
    );
    assert!(String::from_utf8_lossy(answer.body()).contains("<Code>AuthenticationFailed</Code>"));
    let arrived = emulator.storage_requests();
    assert_eq!(arrived.len(), 1);
    assert_eq!(arrived[0].header("authorization"), None);
    assert_eq!(arrived[0].header("sdkversion"), None);
    assert_eq!(arrived[0].header("client-request-id"), None);

    // A request that carries a token of its own is refused before sending.
    let mut leaking = Request::new(Method::PUT, url);
    leaking
        .headers_mut()
        .insert("authorization", "Bearer emulator-token".parse().unwrap());
    let error = graph
        .send_beside_graph("put_block", leaking, 1024)
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::InvalidRequest {
                endpoint: "put_block",
                ..
            }
        ),
        "{error:?}"
    );
    // So is plain http to another machine.
    let far = Request::new(
        Method::PUT,
        Url::parse("http://192.0.2.1/blob?sig=k3yMaterial").unwrap(),
    );
    let error = graph
        .send_beside_graph("put_block", far, 1024)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::InvalidRequest { .. }), "{error:?}");
    assert!(!error.to_string().contains("k3yMaterial"), "{error}");
    assert_eq!(
        emulator.storage_requests().len(),
        1,
        "nothing more was sent"
    );
}
