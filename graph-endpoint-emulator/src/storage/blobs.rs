//! The bodies the storage host serves: slices of stored content, or blobs
//! generated from a seed as they are sent ([`fill_blob`]), 64 KiB a frame,
//! cut short where a fault says.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use serde_json::Value;

use crate::reply::body::CutShort;

/// Byte `offset` of the blob generated from `seed`, and the ones after it:
/// fills `out` with the content from `offset`. Deterministic, so a test can
/// check what it received without the content being stored anywhere.
///
/// ```
/// let mut a = [0u8; 16];
/// let mut b = [0u8; 8];
/// graph_endpoint_emulator::fill_blob(7, 0, &mut a);
/// graph_endpoint_emulator::fill_blob(7, 8, &mut b);
/// assert_eq!(&a[8..], &b[..]);
/// ```
pub fn fill_blob(seed: u64, offset: u64, out: &mut [u8]) {
    let mut position = offset;
    let mut written = 0;
    while written < out.len() {
        let word =
            splitmix(seed ^ (position / 8).wrapping_mul(0x9E37_79B9_7F4A_7C15)).to_le_bytes();
        let within = (position % 8) as usize;
        let take = (8 - within).min(out.len() - written);
        out[written..written + take].copy_from_slice(&word[within..within + take]);
        written += take;
        position += take as u64;
    }
}

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// What a storage answer's body is made of.
pub(super) enum Source {
    Data(Bytes),
    Blob(u64),
}

/// A body served from `pos` to `end`, 64 KiB a frame, generated or sliced,
/// failing at `cut` when the fault says so.
pub(crate) struct StorageBody {
    pub(super) source: Source,
    pub(super) pos: u64,
    pub(super) end: u64,
    pub(super) cut: Option<u64>,
}

const FRAME: u64 = 64 * 1024;

impl StorageBody {
    pub(super) fn json(value: &Value) -> StorageBody {
        let data = Bytes::from(value.to_string());
        StorageBody {
            end: data.len() as u64,
            source: Source::Data(data),
            pos: 0,
            cut: None,
        }
    }

    pub(super) fn empty() -> StorageBody {
        StorageBody {
            source: Source::Data(Bytes::new()),
            pos: 0,
            end: 0,
            cut: None,
        }
    }
}

impl Body for StorageBody {
    type Data = Bytes;
    type Error = CutShort;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, CutShort>>> {
        let this = &mut *self;
        if this.cut.is_some_and(|cut| this.pos >= cut) {
            this.cut = None;
            this.end = this.pos;
            return Poll::Ready(Some(Err(CutShort)));
        }
        if this.pos >= this.end {
            return Poll::Ready(None);
        }
        let stop = this.cut.map_or(this.end, |cut| cut.min(this.end));
        let len = (stop - this.pos).min(FRAME);
        let chunk = match &this.source {
            Source::Data(data) => data.slice(this.pos as usize..(this.pos + len) as usize),
            Source::Blob(seed) => {
                let mut out = vec![0u8; len as usize];
                fill_blob(*seed, this.pos, &mut out);
                Bytes::from(out)
            }
        };
        this.pos += len;
        Poll::Ready(Some(Ok(Frame::data(chunk))))
    }

    fn is_end_stream(&self) -> bool {
        self.cut.is_none() && self.pos >= self.end
    }

    fn size_hint(&self) -> SizeHint {
        if self.cut.is_some() {
            return SizeHint::default();
        }
        SizeHint::with_exact(self.end - self.pos)
    }
}
