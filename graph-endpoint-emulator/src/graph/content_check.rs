//! What Intune checks when a content file is committed, read from the
//! committed blocks as a stream: the encrypted file's length against
//! `sizeEncrypted`, its layout (`HMAC ‖ IV ‖ ciphertext`), the HMAC-SHA256
//! with the given MAC key against both the file's head and `mac`, the IV
//! against `initializationVector`, the AES-256-CBC decryption and its PKCS7
//! padding, the plain length against `size`, and the SHA-256 of the plain
//! content against `fileDigest`. Any mismatch is the reason the commit fails.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::PathBuf;

use aes::Aes256;
use aes::cipher::array::Array;
use aes::cipher::{BlockModeDecrypt, KeyIvInit};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

const HEAD: usize = 48;
const BLOCK: usize = 16;

/// Checks the file made of `blocks` (in order) against `info`
/// (`fileEncryptionInfo` as the commit sent it) and the declared sizes;
/// the reason for the first mismatch.
pub(crate) fn verify(
    blocks: &[PathBuf],
    info: &Map<String, Value>,
    size: u64,
    size_encrypted: u64,
) -> Result<(), String> {
    let binary = |name: &str| -> Result<Vec<u8>, String> {
        info.get(name)
            .and_then(Value::as_str)
            .ok_or_else(|| format!("fileEncryptionInfo has no {name}"))
            .and_then(|text| {
                BASE64
                    .decode(text)
                    .map_err(|_| format!("fileEncryptionInfo.{name} is not base64"))
            })
    };
    let text = |name: &str| info.get(name).and_then(Value::as_str).unwrap_or_default();
    if text("profileIdentifier") != "ProfileVersion1" {
        return Err("profileIdentifier is not ProfileVersion1".to_owned());
    }
    if !text("fileDigestAlgorithm").eq_ignore_ascii_case("SHA256") {
        return Err("fileDigestAlgorithm is not SHA256".to_owned());
    }
    let key = binary("encryptionKey")?;
    let mac_key = binary("macKey")?;
    let iv = binary("initializationVector")?;
    let mac = binary("mac")?;
    let digest = binary("fileDigest")?;
    if key.len() != 32 || iv.len() != BLOCK {
        return Err("the encryption key must be 32 bytes and the IV 16".to_owned());
    }

    let mut length: u64 = 0;
    for path in blocks {
        length += std::fs::metadata(path)
            .map_err(|e| format!("a committed block cannot be read: {e}"))?
            .len();
    }
    if length != size_encrypted {
        return Err(format!(
            "the uploaded file holds {length} bytes, sizeEncrypted says {size_encrypted}"
        ));
    }
    if length < (HEAD + BLOCK) as u64 || !(length - HEAD as u64).is_multiple_of(BLOCK as u64) {
        return Err(format!(
            "{length} bytes cannot be a MAC, an IV and whole AES blocks"
        ));
    }

    let mut reader = Blocks::new(blocks);
    let mut head = [0u8; HEAD];
    reader
        .read_exact(&mut head)
        .map_err(|e| format!("reading the uploaded file: {e}"))?;
    let mut hmac = <Hmac<Sha256> as KeyInit>::new_from_slice(&mac_key)
        .map_err(|_| "the MAC key is not usable".to_owned())?;
    hmac.update(&head[32..]);
    let mut decryptor = cbc::Decryptor::<Aes256>::new_from_slices(&key, &iv)
        .map_err(|_| "the key or IV is not usable".to_owned())?;
    let mut hasher = Sha256::new();
    let mut plain_len: u64 = 0;
    let mut remaining = length - HEAD as u64;
    let mut chunk = vec![0u8; 64 * 1024];
    // The last block holds the padding: it is decrypted apart.
    let mut last = [0u8; BLOCK];
    while remaining > 0 {
        let take = (remaining as usize).min(chunk.len());
        let data = &mut chunk[..take];
        reader
            .read_exact(data)
            .map_err(|e| format!("reading the uploaded file: {e}"))?;
        hmac.update(data);
        remaining -= take as u64;
        let whole = if remaining == 0 { take - BLOCK } else { take };
        if remaining == 0 {
            last.copy_from_slice(&data[whole..]);
        }
        let (blocks, _) = Array::slice_as_chunks_mut(&mut data[..whole]);
        decryptor.decrypt_blocks(blocks);
        hasher.update(&data[..whole]);
        plain_len += whole as u64;
    }
    let computed = hmac.finalize().into_bytes();
    if computed[..] != head[..32] {
        return Err("the HMAC of IV and ciphertext does not match the file's head".to_owned());
    }
    if computed[..] != mac[..] {
        return Err("the HMAC of IV and ciphertext does not match mac".to_owned());
    }
    if head[32..] != iv[..] {
        return Err("the IV in the file is not initializationVector".to_owned());
    }
    let mut last_block = Array::from(last);
    decryptor.decrypt_block(&mut last_block);
    let pad = last_block[BLOCK - 1] as usize;
    if pad == 0 || pad > BLOCK || last_block[BLOCK - pad..].iter().any(|b| *b as usize != pad) {
        return Err("the decrypted content's PKCS7 padding is not valid".to_owned());
    }
    hasher.update(&last_block[..BLOCK - pad]);
    plain_len += (BLOCK - pad) as u64;
    if plain_len != size {
        return Err(format!(
            "the decrypted content holds {plain_len} bytes, size says {size}"
        ));
    }
    if hasher.finalize()[..] != digest[..] {
        return Err("the SHA-256 of the decrypted content does not match fileDigest".to_owned());
    }
    Ok(())
}

/// The blocks' files read one after the other.
struct Blocks<'a> {
    paths: std::slice::Iter<'a, PathBuf>,
    current: Option<BufReader<File>>,
}

impl<'a> Blocks<'a> {
    fn new(paths: &'a [PathBuf]) -> Self {
        Blocks {
            paths: paths.iter(),
            current: None,
        }
    }
}

impl Read for Blocks<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            if let Some(current) = &mut self.current {
                let n = current.read(buf)?;
                if n > 0 || buf.is_empty() {
                    return Ok(n);
                }
            }
            match self.paths.next() {
                Some(path) => self.current = Some(BufReader::new(File::open(path)?)),
                None => return Ok(0),
            }
        }
    }
}
