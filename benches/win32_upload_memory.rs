//! Peak memory of uploading a large Win32 app package: the
//! `upload_win32_app` example, in a fresh process of its own, uploads a
//! package of 300 MiB (by default) to the local stand-in it starts in the
//! same process; so the figure is the whole upload's, client and stand-in
//! (Graph's side, and the storage host spooling blocks to files and checking
//! the MAC and digest at commit) together.
//!
//! ```text
//! cargo bench --bench win32_upload_memory
//! WIN32_UPLOAD_BYTES=1073741824 cargo bench --bench win32_upload_memory   # another size
//! ```
//!
//! The bench writes a setup file of that size (generated content), makes it
//! a `.intunewin` package (`IntuneWinPackage::create`), builds the example in
//! release mode, runs it on the package, and reads the example process's
//! peak resident set (`VmHWM` in `/proc/PID/status`, a high-water mark) every
//! 10 ms until it exits. The files go to the system's temporary folder, or
//! to `WIN32_UPLOAD_DIR` (about three times the size is needed: the package,
//! and the stand-in's copy of it). Linux only.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use graph_endpoint_device_app_management::content::IntuneWinPackage;
use graph_endpoint_emulator::fill_blob;

const MIB: u64 = 1024 * 1024;

fn size() -> u64 {
    std::env::var("WIN32_UPLOAD_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300 * MIB)
}

fn main() {
    let size = size();
    let parent =
        std::env::var_os("WIN32_UPLOAD_DIR").map_or_else(std::env::temp_dir, PathBuf::from);
    let dir = tempfile::tempdir_in(parent).expect("a temporary folder");

    let setup = dir.path().join("setup.exe");
    write_setup(&setup, size);
    let started = Instant::now();
    let package =
        IntuneWinPackage::create(&setup, dir.path().join("large.intunewin")).expect("the package");
    let packed = started.elapsed();
    std::fs::remove_file(&setup).expect("the setup file is removed");

    let example = build_example();
    let started = Instant::now();
    let mut child = Command::new(&example)
        .arg(package.path())
        .env_remove("GRAPH_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the example starts");
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak_kib = 0;
    let status = loop {
        if let Some(kib) = vm_hwm(&status_path) {
            peak_kib = peak_kib.max(kib);
        }
        if let Some(status) = child.try_wait().expect("the example runs") {
            break status;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let elapsed = started.elapsed();
    let output = child.wait_with_output().expect("the example's output");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        status.success() && stdout.contains("state: commitFileSuccess"),
        "the upload failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let blocks = stdout.matches("  uploaded ").count();
    println!(
        "package {} bytes ({} encrypted, made in {:.1} s), {blocks} blocks",
        size,
        package.encrypted_size(),
        packed.as_secs_f64()
    );
    println!(
        "| upload | bytes | seconds | MiB/s | peak RSS of the example process (stand-in included) |"
    );
    println!("|---|---:|---:|---:|---:|");
    println!(
        "| .intunewin, {} MiB | {} | {:.2} | {:.0} | **{:.1} MiB** ({peak_kib} KiB) |",
        size / MIB,
        package.encrypted_size(),
        elapsed.as_secs_f64(),
        package.encrypted_size() as f64 / MIB as f64 / elapsed.as_secs_f64(),
        peak_kib as f64 / 1024.0
    );
}

/// `size` bytes of generated content, written 1 MiB at a time.
fn write_setup(path: &Path, size: u64) {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).expect("the setup file"));
    let mut chunk = vec![0u8; MIB as usize];
    let mut offset = 0;
    while offset < size {
        let take = (size - offset).min(MIB) as usize;
        fill_blob(0x5E70F, offset, &mut chunk[..take]);
        file.write_all(&chunk[..take])
            .expect("writing the setup file");
        offset += take as u64;
    }
    file.flush().expect("writing the setup file");
}

/// The example built in release mode, beside this bench's own binary.
fn build_example() -> PathBuf {
    let built = Command::new(env!("CARGO"))
        .args(["build", "--release", "--example", "upload_win32_app"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .expect("cargo runs");
    assert!(built.success(), "the example builds");
    // target/release/deps/win32_upload_memory-<hash> -> target/release/examples/
    std::env::current_exe()
        .expect("the bench's path")
        .parent()
        .and_then(Path::parent)
        .map(|release| release.join("examples").join("upload_win32_app"))
        .expect("the target folder")
}

/// `VmHWM` of a process, in KiB, while it runs.
fn vm_hwm(status_path: &str) -> Option<u64> {
    std::fs::read_to_string(status_path)
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}
