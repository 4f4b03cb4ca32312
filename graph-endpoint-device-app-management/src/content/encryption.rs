//! The encryption of app content, as Intune's package format has it
//! (`ProfileVersion1`): a fresh 32-byte AES key, 32-byte MAC key and 16-byte
//! IV; the content encrypted with AES-256-CBC and PKCS7 padding; an
//! HMAC-SHA256 over IV ‖ ciphertext; the file laid out as
//! `HMAC ‖ IV ‖ ciphertext`; and `fileDigest` the SHA-256 of the plain
//! content. Encryption runs as a stream: any length, constant memory.

use std::fmt;
use std::io::Read;

use aes::Aes256;
use aes::cipher::array::Array;
use aes::cipher::{BlockModeEncrypt, KeyIvInit};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// Bytes of the AES-256 key.
pub const KEY_BYTES: usize = 32;
/// Bytes of the HMAC-SHA256 key.
pub const MAC_KEY_BYTES: usize = 32;
/// Bytes of the CBC initialization vector (one AES block).
pub const IV_BYTES: usize = 16;
/// Bytes of the HMAC-SHA256 at the head of an encrypted file.
pub const MAC_BYTES: usize = 32;
/// Bytes before the ciphertext in an encrypted file: the MAC, then the IV.
pub const HEAD_BYTES: u64 = (MAC_BYTES + IV_BYTES) as u64;
/// The format's `profileIdentifier`.
pub const PROFILE_IDENTIFIER: &str = "ProfileVersion1";
/// The format's `fileDigestAlgorithm`.
pub const DIGEST_ALGORITHM: &str = "SHA256";

const AES_BLOCK: usize = 16;

/// The length of the encrypted file for `plain_len` bytes of content: the
/// 48-byte head, and the content padded (PKCS7 always adds 1 to 16 bytes).
///
/// ```
/// use graph_endpoint_device_app_management::content::encrypted_len;
/// assert_eq!(encrypted_len(0), 48 + 16);
/// assert_eq!(encrypted_len(15), 48 + 16);
/// assert_eq!(encrypted_len(16), 48 + 32);
/// ```
#[must_use]
pub const fn encrypted_len(plain_len: u64) -> u64 {
    HEAD_BYTES + (plain_len / AES_BLOCK as u64 + 1) * AES_BLOCK as u64
}

/// What Intune needs to decrypt and check a file: Graph's
/// `fileEncryptionInfo`, sent with the commit. A `.intunewin` package carries
/// it in `Detection.xml`; a LOB app's uploader makes it.
///
/// The two keys are secrets: `Debug` shows their lengths only.
///
/// ```
/// use graph_endpoint_device_app_management::content::FileEncryptionInfo;
///
/// let info = FileEncryptionInfo {
///     encryption_key: vec![1; 32],
///     mac_key: vec![2; 32],
///     initialization_vector: vec![3; 16],
///     mac: vec![4; 32],
///     profile_identifier: "ProfileVersion1".into(),
///     file_digest: vec![5; 32],
///     file_digest_algorithm: "SHA256".into(),
/// };
/// let json = info.to_graph_json();
/// assert_eq!(json["macKey"], "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=");
/// assert!(!format!("{info:?}").contains("AgICAgIC"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct FileEncryptionInfo {
    /// The AES-256 key (`encryptionKey`).
    pub encryption_key: Vec<u8>,
    /// The HMAC-SHA256 key (`macKey`).
    pub mac_key: Vec<u8>,
    /// The CBC initialization vector (`initializationVector`).
    pub initialization_vector: Vec<u8>,
    /// HMAC-SHA256(macKey, IV ‖ ciphertext) (`mac`).
    pub mac: Vec<u8>,
    /// `ProfileVersion1`.
    pub profile_identifier: String,
    /// The digest of the plain content (`fileDigest`).
    pub file_digest: Vec<u8>,
    /// `SHA256`.
    pub file_digest_algorithm: String,
}

impl FileEncryptionInfo {
    /// The `fileEncryptionInfo` object of Graph's commit body: binary fields
    /// in base64.
    #[must_use]
    pub fn to_graph_json(&self) -> Value {
        json!({
            "@odata.type": "#microsoft.graph.fileEncryptionInfo",
            "encryptionKey": BASE64.encode(&self.encryption_key),
            "macKey": BASE64.encode(&self.mac_key),
            "initializationVector": BASE64.encode(&self.initialization_vector),
            "mac": BASE64.encode(&self.mac),
            "profileIdentifier": self.profile_identifier,
            "fileDigest": BASE64.encode(&self.file_digest),
            "fileDigestAlgorithm": self.file_digest_algorithm,
        })
    }
}

impl fmt::Debug for FileEncryptionInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |bytes: &[u8]| format!("<{} bytes, redacted>", bytes.len());
        f.debug_struct("FileEncryptionInfo")
            .field("encryption_key", &redacted(&self.encryption_key))
            .field("mac_key", &redacted(&self.mac_key))
            .field(
                "initialization_vector",
                &BASE64.encode(&self.initialization_vector),
            )
            .field("mac", &BASE64.encode(&self.mac))
            .field("profile_identifier", &self.profile_identifier)
            .field("file_digest", &BASE64.encode(&self.file_digest))
            .field("file_digest_algorithm", &self.file_digest_algorithm)
            .finish()
    }
}

/// Fresh keys and IV for one file, from the operating system's generator.
#[derive(Clone)]
pub(crate) struct Keys {
    pub(crate) encryption_key: [u8; KEY_BYTES],
    pub(crate) mac_key: [u8; MAC_KEY_BYTES],
    pub(crate) iv: [u8; IV_BYTES],
}

impl Keys {
    pub(crate) fn generate() -> std::io::Result<Keys> {
        let mut keys = Keys {
            encryption_key: [0; KEY_BYTES],
            mac_key: [0; MAC_KEY_BYTES],
            iv: [0; IV_BYTES],
        };
        for part in [
            &mut keys.encryption_key[..],
            &mut keys.mac_key[..],
            &mut keys.iv[..],
        ] {
            getrandom::fill(part).map_err(|e| {
                std::io::Error::other(format!("the operating system's random generator: {e}"))
            })?;
        }
        Ok(keys)
    }
}

/// Encrypts content as it comes, keeping the MAC and the digest up to
/// date; at most 15 bytes of content wait for the next call.
pub(crate) struct Encryptor {
    keys: Keys,
    cbc: cbc::Encryptor<Aes256>,
    mac: Hmac<Sha256>,
    digest: Sha256,
    held: Vec<u8>,
    plain_len: u64,
}

impl Encryptor {
    pub(crate) fn new(keys: Keys) -> Encryptor {
        let cbc = cbc::Encryptor::<Aes256>::new(&keys.encryption_key.into(), &keys.iv.into());
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&keys.mac_key)
            .expect("HMAC takes a key of any length");
        mac.update(&keys.iv);
        Encryptor {
            keys,
            cbc,
            mac,
            digest: Sha256::new(),
            held: Vec::with_capacity(AES_BLOCK),
            plain_len: 0,
        }
    }

    /// Encrypts `plain`, appending the ciphertext of every whole block to `out`.
    pub(crate) fn update(&mut self, mut plain: &[u8], out: &mut Vec<u8>) {
        self.digest.update(plain);
        self.plain_len += plain.len() as u64;
        if !self.held.is_empty() {
            let take = (AES_BLOCK - self.held.len()).min(plain.len());
            self.held.extend_from_slice(&plain[..take]);
            plain = &plain[take..];
            if self.held.len() == AES_BLOCK {
                let block = std::mem::take(&mut self.held);
                self.encrypt_whole(&block, out);
                self.held = block;
                self.held.clear();
            }
        }
        let whole = plain.len() - plain.len() % AES_BLOCK;
        self.encrypt_whole(&plain[..whole], out);
        self.held.extend_from_slice(&plain[whole..]);
    }

    /// The last block, padded (PKCS7), appended to `out`; the file's
    /// encryption info and the length of the content encrypted.
    pub(crate) fn finish(mut self, out: &mut Vec<u8>) -> (FileEncryptionInfo, u64) {
        let pad = AES_BLOCK - self.held.len();
        let mut last = std::mem::take(&mut self.held);
        last.resize(AES_BLOCK, pad as u8);
        self.encrypt_whole(&last, out);
        let info = FileEncryptionInfo {
            encryption_key: self.keys.encryption_key.to_vec(),
            mac_key: self.keys.mac_key.to_vec(),
            initialization_vector: self.keys.iv.to_vec(),
            mac: self.mac.finalize().into_bytes().to_vec(),
            profile_identifier: PROFILE_IDENTIFIER.to_owned(),
            file_digest: self.digest.finalize().to_vec(),
            file_digest_algorithm: DIGEST_ALGORITHM.to_owned(),
        };
        (info, self.plain_len)
    }

    fn encrypt_whole(&mut self, plain: &[u8], out: &mut Vec<u8>) {
        debug_assert!(plain.len().is_multiple_of(AES_BLOCK));
        let start = out.len();
        out.extend_from_slice(plain);
        let (blocks, rest) = Array::slice_as_chunks_mut(&mut out[start..]);
        debug_assert!(rest.is_empty());
        self.cbc.encrypt_blocks(blocks);
        self.mac.update(&out[start..]);
    }
}

/// A reader of the ciphertext of what `source` holds (without the 48-byte
/// head, which needs the MAC of all of it): content read 64 KiB at a time,
/// encrypted as it is read. Once it has given its last byte,
/// [`finish`](Self::finish) gives the encryption info.
pub(crate) struct EncryptingReader<R> {
    source: R,
    encryptor: Option<Encryptor>,
    plain: Vec<u8>,
    ready: Vec<u8>,
    given: usize,
    done: Option<(FileEncryptionInfo, u64)>,
}

const PLAIN_CHUNK: usize = 64 * 1024;

impl<R: Read> EncryptingReader<R> {
    pub(crate) fn new(source: R, keys: Keys) -> Self {
        EncryptingReader {
            source,
            encryptor: Some(Encryptor::new(keys)),
            plain: vec![0; PLAIN_CHUNK],
            ready: Vec::with_capacity(PLAIN_CHUNK + AES_BLOCK),
            given: 0,
            done: None,
        }
    }

    /// The encryption info and the plain length, once the source is read to
    /// its end and every byte of ciphertext given.
    pub(crate) fn finish(&mut self) -> Option<(FileEncryptionInfo, u64)> {
        self.done.take()
    }
}

impl<R: Read> Read for EncryptingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.given == self.ready.len() {
            let Some(encryptor) = self.encryptor.as_mut() else {
                return Ok(0);
            };
            self.ready.clear();
            self.given = 0;
            let read = loop {
                match self.source.read(&mut self.plain) {
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    other => break other?,
                }
            };
            if read == 0 {
                if let Some(encryptor) = self.encryptor.take() {
                    self.done = Some(encryptor.finish(&mut self.ready));
                }
            } else {
                encryptor.update(&self.plain[..read], &mut self.ready);
            }
        }
        let n = buf.len().min(self.ready.len() - self.given);
        buf[..n].copy_from_slice(&self.ready[self.given..self.given + n]);
        self.given += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aes::cipher::BlockModeDecrypt;
    use aes::cipher::block_padding::Pkcs7;

    fn keys() -> Keys {
        Keys {
            encryption_key: [7; 32],
            mac_key: [9; 32],
            iv: [3; 16],
        }
    }

    fn decrypt(keys: &Keys, ciphertext: &[u8]) -> Vec<u8> {
        let mut buffer = ciphertext.to_vec();
        cbc::Decryptor::<Aes256>::new(&keys.encryption_key.into(), &keys.iv.into())
            .decrypt_padded::<Pkcs7>(&mut buffer)
            .expect("valid padding")
            .to_vec()
    }

    #[test]
    fn streamed_encryption_matches_one_shot_and_decrypts() {
        for len in [0usize, 1, 15, 16, 17, 31, 32, 100_000, 65_536 * 2 + 5] {
            let plain: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
            let mut reader = EncryptingReader::new(&plain[..], keys());
            let mut ciphertext = Vec::new();
            // Odd read sizes, so blocks straddle reads.
            let mut buf = [0u8; 7_001];
            loop {
                let n = reader.read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                ciphertext.extend_from_slice(&buf[..n]);
            }
            let (info, plain_len) = reader.finish().expect("finished");
            assert_eq!(plain_len, len as u64);
            assert_eq!(
                ciphertext.len() as u64 + HEAD_BYTES,
                encrypted_len(len as u64)
            );
            let mut buffer = plain.clone();
            buffer.resize(len + 16, 0);
            let one_shot = cbc::Encryptor::<Aes256>::new(&[7; 32].into(), &[3; 16].into())
                .encrypt_padded::<Pkcs7>(&mut buffer, len)
                .unwrap();
            assert_eq!(ciphertext, one_shot, "length {len}");
            assert_eq!(decrypt(&keys(), &ciphertext), plain);
            let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&[9; 32]).unwrap();
            mac.update(&[3; 16]);
            mac.update(&ciphertext);
            assert_eq!(info.mac, mac.finalize().into_bytes().to_vec());
            assert_eq!(info.file_digest, Sha256::digest(&plain).to_vec());
            assert_eq!(info.profile_identifier, "ProfileVersion1");
        }
    }

    #[test]
    fn fresh_keys_differ_every_time() {
        let a = Keys::generate().unwrap();
        let b = Keys::generate().unwrap();
        assert_ne!(a.encryption_key, b.encryption_key);
        assert_ne!(a.mac_key, b.mac_key);
        assert_ne!(a.iv, b.iv);
        assert_ne!(a.encryption_key, a.mac_key);
    }
}
