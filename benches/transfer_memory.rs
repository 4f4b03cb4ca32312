//! Peak memory of streaming 1 GiB down and up through the stand-in: a
//! download from the storage host (generated content, never stored) to a
//! writer that hashes it, and an upload session of 1 GiB read from a
//! generating reader, chunk by chunk (10 MiB chunks). Each is checked by
//! SHA-256 against the content.
//!
//! The stand-in runs in a process of its own; each transfer runs in a fresh
//! client process that reports its own peak resident set (`VmHWM` from
//! `/proc/self/status`), so the figure is the client's alone. Run with:
//!
//! ```text
//! cargo bench --bench transfer_memory
//! TRANSFER_BYTES=268435456 cargo bench --bench transfer_memory   # another size
//! ```
//!
//! Linux only (it reads `/proc/self/status`).

use std::io::{BufRead, BufReader};
use std::pin::Pin;
use std::process::{Command, Stdio};
use std::task::{Context, Poll};
use std::time::Instant;

use aws_lc_rs::digest;
use graph_endpoint::{Error, Graph, GraphClient, UploadSession, graph_action};
use graph_endpoint_emulator::{Emulator, fill_blob};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// OneDrive's `createUploadSession`, declared here as any endpoint is.
pub trait DriveUploads: Graph {
    #[graph_action(
        POST,
        "/drives/<drive_id>/items/<parent_id>:/<file_name>:/createUploadSession",
        expect = 200
    )]
    async fn create_upload_session(
        &self,
        drive_id: &str,
        parent_id: &str,
        file_name: &str,
    ) -> Result<UploadSession, Error>;
}

impl DriveUploads for GraphClient {}

const ROLE: &str = "GRAPH_ENDPOINT_BENCH_ROLE";
const SEED: u64 = 0x1_6B;
const GIB: u64 = 1 << 30;

fn size() -> u64 {
    std::env::var("TRANSFER_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(GIB)
}

fn main() {
    match std::env::var(ROLE).as_deref() {
        Ok("stand-in") => stand_in(),
        Ok(mode) => measure(mode),
        Err(_) => orchestrate(),
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

/// The stand-in: prints its Graph URL and the blob's URL, serves until stdin closes.
fn stand_in() {
    runtime().block_on(async {
        let emulator = Emulator::builder()
            .record_requests(false)
            .start()
            .await
            .expect("the stand-in starts");
        let blob = emulator.storage_blob("big.bin", size(), SEED);
        println!("{} {blob}", emulator.base_url());
        tokio::task::spawn_blocking(|| {
            let mut line = String::new();
            let _ = std::io::stdin().read_line(&mut line);
        })
        .await
        .ok();
        drop(emulator);
    });
}

fn peak_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("Linux /proc");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/self/status")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The content's SHA-256, generated in 1 MiB pieces.
fn expected_sha256(size: u64) -> String {
    let mut context = digest::Context::new(&digest::SHA256);
    let mut piece = vec![0u8; 1 << 20];
    let mut offset = 0;
    while offset < size {
        let len = (size - offset).min(piece.len() as u64) as usize;
        fill_blob(SEED, offset, &mut piece[..len]);
        context.update(&piece[..len]);
        offset += len as u64;
    }
    hex(context.finish().as_ref())
}

/// A writer that hashes what it is given and keeps nothing.
struct Hashing(digest::Context);

impl AsyncWrite for Hashing {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.0.update(buf);
        Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// A reader of the generated content, hashing what it hands out.
struct Generating {
    offset: u64,
    size: u64,
    hash: digest::Context,
}

impl AsyncRead for Generating {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = &mut *self;
        let len = (this.size - this.offset).min(buf.remaining() as u64) as usize;
        let out = buf.initialize_unfilled_to(len);
        fill_blob(SEED, this.offset, out);
        this.hash.update(out);
        buf.advance(len);
        this.offset += len as u64;
        Poll::Ready(Ok(()))
    }
}

/// Runs one transfer and prints `bytes seconds peak_kib sha_ok`.
fn measure(mode: &str) {
    let base_url = std::env::var("GRAPH_ENDPOINT_BENCH_URL").expect("the stand-in's URL");
    let blob_url = std::env::var("GRAPH_ENDPOINT_BENCH_BLOB").expect("the blob's URL");
    let size = size();
    let (bytes, seconds, same) = runtime().block_on(async {
        let graph = GraphClient::builder()
            .base_url(base_url)
            .token(graph_endpoint_emulator::DEFAULT_TOKEN)
            .build()
            .expect("a client");
        let started = Instant::now();
        match mode {
            "download" => {
                let mut sink = Hashing(digest::Context::new(&digest::SHA256));
                let bytes = graph
                    .download(&blob_url)
                    .to_writer(&mut sink)
                    .await
                    .expect("the download");
                let seconds = started.elapsed().as_secs_f64();
                let got = hex(sink.0.finish().as_ref());
                (bytes, seconds, got == expected_sha256(size))
            }
            "upload" => {
                let session = graph
                    .create_upload_session("b!bench", "root", "big.bin")
                    .await
                    .expect("a session");
                let mut source = Generating {
                    offset: 0,
                    size,
                    hash: digest::Context::new(&digest::SHA256),
                };
                let created = graph
                    .upload(&session, &mut source, size)
                    .await
                    .expect("the upload");
                let seconds = started.elapsed().as_secs_f64();
                let item: serde_json::Value =
                    serde_json::from_slice(created.body()).expect("the created item");
                let stored = item["file"]["hashes"]["sha256Hash"]
                    .as_str()
                    .unwrap_or_default()
                    .to_ascii_lowercase();
                let sent = hex(source.hash.finish().as_ref());
                (size, seconds, stored == sent && item["size"] == size)
            }
            other => panic!("unknown mode {other}"),
        }
    });
    println!("{bytes} {seconds:.2} {} {same}", peak_kib());
}

fn orchestrate() {
    let me = std::env::current_exe().expect("the bench binary");
    let mut stand_in = Command::new(&me)
        .env(ROLE, "stand-in")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the stand-in process starts");
    let mut line = String::new();
    BufReader::new(stand_in.stdout.take().expect("piped"))
        .read_line(&mut line)
        .expect("the stand-in prints its URLs");
    let mut urls = line.split_whitespace();
    let (base, blob) = (
        urls.next().expect("the Graph URL").to_owned(),
        urls.next().expect("the blob URL").to_owned(),
    );
    println!(
        "transfer_memory: {} MiB each way, the client in a fresh process, the stand-in in another",
        size() >> 20
    );
    println!(
        "{:<10} {:>12} {:>9} {:>10} {:>15} {:>9}",
        "transfer", "bytes", "seconds", "MiB/s", "peak RSS (KiB)", "sha256"
    );
    for mode in ["download", "upload"] {
        let output = Command::new(&me)
            .env(ROLE, mode)
            .env("GRAPH_ENDPOINT_BENCH_URL", &base)
            .env("GRAPH_ENDPOINT_BENCH_BLOB", &blob)
            .output()
            .expect("the measuring process runs");
        assert!(
            output.status.success(),
            "{mode}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let text = String::from_utf8_lossy(&output.stdout);
        let fields: Vec<&str> = text.split_whitespace().collect();
        let (bytes, seconds, peak, same): (u64, f64, u64, bool) = (
            fields[0].parse().expect("bytes"),
            fields[1].parse().expect("seconds"),
            fields[2].parse().expect("peak"),
            fields[3] == "true",
        );
        println!(
            "{mode:<10} {bytes:>12} {seconds:>9.2} {:>10.0} {peak:>15} {:>9}",
            bytes as f64 / (1 << 20) as f64 / seconds,
            if same { "same" } else { "DIFFERS" }
        );
        assert!(same, "{mode}: the content differs");
    }
    drop(stand_in.stdin.take());
    let _ = stand_in.wait();
}
