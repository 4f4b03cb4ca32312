//! The `.intunewin` package, as Microsoft's Win32 Content Prep Tool makes
//! it: a zip holding `IntuneWinPackage/Metadata/Detection.xml` (the setup
//! file, the content's size before encryption, and the encryption info) and
//! `IntuneWinPackage/Contents/IntunePackage.intunewin` (the encrypted
//! content: `HMAC ‖ IV ‖ ciphertext` of a zip of the setup folder). The
//! encrypted file is what Intune takes, as it is; it is read from the zip as
//! a stream, never whole.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::encryption::{
    DIGEST_ALGORITHM, Encryptor, FileEncryptionInfo, Keys, PROFILE_IDENTIFIER, encrypted_len,
};
use super::error::{ContentError, clipped};

/// The name of the encrypted file inside a package, as the Content Prep
/// Tool writes it.
pub const ENCRYPTED_FILE_NAME: &str = "IntunePackage.intunewin";
/// The path of the metadata inside a package.
pub const DETECTION_XML: &str = "IntuneWinPackage/Metadata/Detection.xml";
/// The folder of the encrypted file inside a package.
pub const CONTENTS_FOLDER: &str = "IntuneWinPackage/Contents/";

/// The most of `Detection.xml` read: it is a few hundred bytes.
const MAX_DETECTION_XML: u64 = 1024 * 1024;

/// A `.intunewin` package, opened: what its `Detection.xml` says and where
/// its encrypted file lies in the zip. Opening reads the zip's directory and
/// `Detection.xml` only.
///
/// The encryption info holds the keys: `Debug` shows them redacted.
///
/// ```no_run
/// use graph_endpoint_device_app_management::content::IntuneWinPackage;
///
/// let package = IntuneWinPackage::open("Firefox.intunewin")?;
/// println!("{} runs {}, {} bytes encrypted", package.file_name(), package.setup_file(), package.encrypted_size());
/// # Ok::<(), graph_endpoint_device_app_management::content::ContentError>(())
/// ```
#[derive(Debug, Clone)]
pub struct IntuneWinPackage {
    path: PathBuf,
    file_name: String,
    name: String,
    setup_file: String,
    unencrypted_size: u64,
    encryption_info: FileEncryptionInfo,
    content: EntryData,
}

/// Where the encrypted file's bytes are in the zip, and how to check them.
#[derive(Debug, Clone)]
struct EntryData {
    start: u64,
    end: u64,
    deflated: bool,
    size: u64,
    crc32: u32,
}

impl IntuneWinPackage {
    /// Opens the package at `path`: finds `Detection.xml` and the encrypted
    /// file it names (entry names are compared without regard to case, `\`
    /// read as `/`), and reads the metadata. The encrypted file may be
    /// stored or deflated in the zip.
    ///
    /// # Errors
    ///
    /// [`ContentError::Io`] when the file cannot be opened or read;
    /// [`ContentError::Package`] when it is not a zip, lacks `Detection.xml`
    /// or the encrypted file, when `Detection.xml` is not the expected XML
    /// (a field missing, not a number, not base64), or when the encrypted
    /// file is shorter than the sizes in `Detection.xml` allow.
    pub fn open(path: impl AsRef<Path>) -> Result<IntuneWinPackage, ContentError> {
        let path = path.as_ref();
        let file =
            File::open(path).map_err(|e| ContentError::io(path, "opening the package", e))?;
        let not_a_zip =
            |e: rawzip::Error| ContentError::package(path, format!("not a readable zip: {e}"));
        let mut buffer = vec![0u8; rawzip::RECOMMENDED_BUFFER_SIZE];
        let archive = rawzip::ZipArchive::from_file(file, &mut buffer).map_err(not_a_zip)?;
        let mut found = Vec::new();
        {
            let mut entries = archive.entries(&mut buffer);
            while let Some(entry) = entries.next_entry().map_err(not_a_zip)? {
                if entry.is_dir() {
                    continue;
                }
                let name = String::from_utf8_lossy(entry.file_path().as_ref()).replace('\\', "/");
                let method = entry.compression_method();
                found.push((name, entry.wayfinder(), method, entry.crc32()));
            }
        }
        let find = |wanted: &str| {
            found
                .iter()
                .find(|(name, ..)| name.trim_start_matches('/').eq_ignore_ascii_case(wanted))
        };
        let (_, detection, method, crc) = find(DETECTION_XML)
            .ok_or_else(|| ContentError::package(path, format!("no {DETECTION_XML} in the zip")))?;
        let detection_entry = archive.get_entry(*detection).map_err(not_a_zip)?;
        let (start, end) = detection_entry.compressed_data_range();
        let xml = read_entry(
            path,
            EntryData {
                start,
                end,
                deflated: deflated(path, *method)?,
                size: detection.uncompressed_size_hint(),
                crc32: *crc,
            },
            MAX_DETECTION_XML,
        )?;
        let detection = Detection::parse(path, &xml)?;
        let wanted = format!("{CONTENTS_FOLDER}{}", detection.file_name);
        let (_, content, method, crc) = find(&wanted)
            .ok_or_else(|| ContentError::package(path, format!("no {wanted} in the zip")))?;
        let (start, end) = archive
            .get_entry(*content)
            .map_err(not_a_zip)?
            .compressed_data_range();
        let content = EntryData {
            start,
            end,
            deflated: deflated(path, *method)?,
            size: content.uncompressed_size_hint(),
            crc32: *crc,
        };
        if content.size < encrypted_len(0) {
            return Err(ContentError::package(
                path,
                format!(
                    "the encrypted file holds {} bytes: too few for a MAC, an IV and one block",
                    content.size
                ),
            ));
        }
        let file_name = path.file_name().map_or_else(
            || "package.intunewin".to_owned(),
            |n| n.to_string_lossy().into_owned(),
        );
        Ok(IntuneWinPackage {
            path: path.to_owned(),
            file_name,
            name: detection.name,
            setup_file: detection.setup_file,
            unencrypted_size: detection.unencrypted_size,
            encryption_info: detection.encryption_info,
            content,
        })
    }

    /// Writes a package of one setup file to `out`, as the Content Prep
    /// Tool makes one of a folder holding only that file: the file zipped,
    /// the zip encrypted with fresh keys, and both the encrypted file and
    /// `Detection.xml` zipped into the package. The setup file is read
    /// twice (once for the MAC at the head of the encrypted file, once to
    /// write it), one chunk at a time, so any size fits in constant memory.
    ///
    /// # Errors
    ///
    /// [`ContentError::Io`] when the setup file cannot be read or the
    /// package written; [`ContentError::Package`] when the setup file has no
    /// file name, or changed between the two readings.
    ///
    /// ```no_run
    /// use graph_endpoint_device_app_management::content::IntuneWinPackage;
    ///
    /// let package = IntuneWinPackage::create("setup.exe", "setup.intunewin")?;
    /// assert_eq!(package.setup_file(), "setup.exe");
    /// # Ok::<(), graph_endpoint_device_app_management::content::ContentError>(())
    /// ```
    pub fn create(
        setup_file: impl AsRef<Path>,
        out: impl AsRef<Path>,
    ) -> Result<IntuneWinPackage, ContentError> {
        let setup_file = setup_file.as_ref();
        let out = out.as_ref();
        let setup_name = setup_file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| ContentError::package(setup_file, "the setup file has no file name"))?;
        let keys = Keys::generate().map_err(|e| ContentError::io(setup_file, "making keys", e))?;
        // First reading: the MAC and digest of the encrypted inner zip.
        let mut measure = EncryptingWriter::new(std::io::sink(), keys.clone());
        write_inner_zip(setup_file, &setup_name, &mut measure)?;
        let (measured, _) = measure
            .finish()
            .map_err(|e| ContentError::io(out, "encrypting", e))?;
        // Second reading: the package, its encrypted file headed by that MAC.
        let written =
            File::create(out).map_err(|e| ContentError::io(out, "creating the package", e))?;
        let write_error = |e: rawzip::Error| {
            ContentError::io(
                out,
                "writing the package",
                std::io::Error::other(e.to_string()),
            )
        };
        let mut archive = rawzip::ZipArchiveWriter::new(BufWriter::new(written));
        let (mut entry, config) = archive
            .new_file(&format!("{CONTENTS_FOLDER}{ENCRYPTED_FILE_NAME}") as &str)
            .start()
            .map_err(write_error)?;
        let mut data = config.wrap(&mut entry);
        data.write_all(&measured.mac)
            .and_then(|()| data.write_all(&measured.initialization_vector))
            .map_err(|e| ContentError::io(out, "writing the package", e))?;
        let mut encrypting = EncryptingWriter::new(&mut data, keys);
        write_inner_zip(setup_file, &setup_name, &mut encrypting)?;
        let (info, unencrypted_size) = encrypting
            .finish()
            .map_err(|e| ContentError::io(out, "writing the package", e))?;
        if info != measured {
            return Err(ContentError::package(
                setup_file,
                "the setup file changed while the package was written",
            ));
        }
        let (_, descriptor) = data.finish().map_err(write_error)?;
        entry.finish(descriptor).map_err(write_error)?;
        let xml = Detection {
            name: setup_name.clone(),
            setup_file: setup_name.clone(),
            file_name: ENCRYPTED_FILE_NAME.to_owned(),
            unencrypted_size,
            encryption_info: info,
        }
        .to_xml();
        let (mut entry, config) = archive
            .new_file(DETECTION_XML)
            .start()
            .map_err(write_error)?;
        let mut data = config.wrap(&mut entry);
        data.write_all(xml.as_bytes())
            .map_err(|e| ContentError::io(out, "writing the package", e))?;
        let (_, descriptor) = data.finish().map_err(write_error)?;
        entry.finish(descriptor).map_err(write_error)?;
        let mut file = archive.finish().map_err(write_error)?;
        file.flush()
            .map_err(|e| ContentError::io(out, "writing the package", e))?;
        let file = file
            .into_inner()
            .map_err(|e| ContentError::io(out, "writing the package", e.into_error()))?;
        file.sync_all()
            .map_err(|e| ContentError::io(out, "syncing the package", e))?;
        IntuneWinPackage::open(out)
    }

    /// The package's path.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The package's file name: the content file's `name` in Graph.
    #[must_use]
    pub fn file_name(&self) -> &str {
        &self.file_name
    }

    /// `Name` in `Detection.xml` (the setup file's, or the app's name).
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `SetupFile` in `Detection.xml`: what the install command runs.
    #[must_use]
    pub fn setup_file(&self) -> &str {
        &self.setup_file
    }

    /// `UnencryptedContentSize`: the content file's `size` in Graph.
    #[must_use]
    pub fn unencrypted_size(&self) -> u64 {
        self.unencrypted_size
    }

    /// The encrypted file's length: the content file's `sizeEncrypted`.
    #[must_use]
    pub fn encrypted_size(&self) -> u64 {
        self.content.size
    }

    /// `EncryptionInfo` in `Detection.xml`: sent with the commit.
    #[must_use]
    pub fn encryption_info(&self) -> &FileEncryptionInfo {
        &self.encryption_info
    }

    /// A reader of the encrypted file, from its first byte: inflated when
    /// the zip deflated it, and checked against the zip's length and CRC-32
    /// when it ends (a mismatch is an `InvalidData` error).
    pub(crate) fn encrypted_reader(&self) -> Result<Box<dyn Read + Send>, ContentError> {
        open_entry(&self.path, &self.content)
    }
}

fn deflated(path: &Path, method: rawzip::CompressionMethod) -> Result<bool, ContentError> {
    if method == rawzip::CompressionMethod::STORE {
        Ok(false)
    } else if method == rawzip::CompressionMethod::DEFLATE {
        Ok(true)
    } else {
        Err(ContentError::package(
            path,
            format!(
                "an entry is compressed with method {method:?}: only stored and deflated entries are read"
            ),
        ))
    }
}

fn open_entry(path: &Path, data: &EntryData) -> Result<Box<dyn Read + Send>, ContentError> {
    let mut file =
        File::open(path).map_err(|e| ContentError::io(path, "opening the package", e))?;
    file.seek(SeekFrom::Start(data.start))
        .map_err(|e| ContentError::io(path, "reading the package", e))?;
    let raw = BufReader::with_capacity(64 * 1024, file.take(data.end - data.start));
    let inner: Box<dyn Read + Send> = if data.deflated {
        Box::new(flate2::bufread::DeflateDecoder::new(raw))
    } else {
        Box::new(raw)
    };
    Ok(Box::new(Checked {
        inner,
        crc: rawzip::Crc32::new(),
        read: 0,
        size: data.size,
        crc32: data.crc32,
    }))
}

fn read_entry(path: &Path, data: EntryData, limit: u64) -> Result<Vec<u8>, ContentError> {
    if data.size > limit {
        return Err(ContentError::package(
            path,
            format!(
                "Detection.xml holds {} bytes, more than the {limit} read",
                data.size
            ),
        ));
    }
    let mut bytes = Vec::new();
    open_entry(path, &data)?
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| ContentError::io(path, "reading Detection.xml", e))?;
    Ok(bytes)
}

/// An entry's content, checked at its end against the zip's length and
/// CRC-32: a package cut short or altered is refused before anything is
/// committed.
struct Checked {
    inner: Box<dyn Read + Send>,
    crc: rawzip::Crc32,
    read: u64,
    size: u64,
    crc32: u32,
}

impl Read for Checked {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let room = (self.size - self.read).min(buf.len() as u64) as usize;
        let n = if room == 0 {
            0
        } else {
            self.inner.read(&mut buf[..room])?
        };
        self.crc.update(&buf[..n]);
        self.read += n as u64;
        if n == 0 || self.read == self.size {
            if self.read != self.size {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!(
                        "the zip entry ends at {} of the {} bytes its directory gives",
                        self.read, self.size
                    ),
                ));
            }
            if self.crc.checksum() != self.crc32 {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "the zip entry's CRC-32 does not match its directory: the package is damaged",
                ));
            }
        }
        Ok(n)
    }
}

/// What `Detection.xml` says.
/// The element `name` (case ignored) among `parent`'s children.
fn child<'a, 'input>(
    parent: roxmltree::Node<'a, 'input>,
    name: &str,
) -> Option<roxmltree::Node<'a, 'input>> {
    parent
        .children()
        .find(|n| n.is_element() && n.tag_name().name().eq_ignore_ascii_case(name))
}

struct Detection {
    name: String,
    setup_file: String,
    file_name: String,
    unencrypted_size: u64,
    encryption_info: FileEncryptionInfo,
}

impl Detection {
    fn parse(path: &Path, xml: &[u8]) -> Result<Detection, ContentError> {
        let invalid =
            |reason: String| ContentError::package(path, format!("Detection.xml: {reason}"));
        let text = std::str::from_utf8(xml)
            .map_err(|_| invalid("not UTF-8 text".to_owned()))?
            .trim_start_matches('\u{feff}');
        let document = roxmltree::Document::parse(text).map_err(|e| invalid(e.to_string()))?;
        let root = document.root_element();
        if !root.has_tag_name("ApplicationInfo") {
            return Err(invalid(format!(
                "the root element is `{}`, not ApplicationInfo",
                clipped(root.tag_name().name())
            )));
        }
        let text_of =
            |parent: roxmltree::Node<'_, '_>, name: &str| -> Result<String, ContentError> {
                child(parent, name)
                    .and_then(|n| n.text())
                    .map(|t| t.trim().to_owned())
                    .filter(|t| !t.is_empty())
                    .ok_or_else(|| invalid(format!("no {name}")))
            };
        let info =
            child(root, "EncryptionInfo").ok_or_else(|| invalid("no EncryptionInfo".to_owned()))?;
        let bytes_of = |name: &str| -> Result<Vec<u8>, ContentError> {
            BASE64
                .decode(text_of(info, name)?)
                .map_err(|_| invalid(format!("{name} is not base64")))
        };
        let size = text_of(root, "UnencryptedContentSize")?;
        let unencrypted_size = size.parse().map_err(|_| {
            invalid(format!(
                "UnencryptedContentSize `{}` is not a number",
                clipped(&size)
            ))
        })?;
        let setup_file = text_of(root, "SetupFile")?;
        let file_name = text_of(root, "FileName")?;
        if file_name.contains(['/', '\\']) {
            return Err(invalid(format!(
                "FileName `{}` is not a file name",
                clipped(&file_name)
            )));
        }
        Ok(Detection {
            name: text_of(root, "Name").unwrap_or_else(|_| setup_file.clone()),
            setup_file,
            file_name,
            unencrypted_size,
            encryption_info: FileEncryptionInfo {
                encryption_key: bytes_of("EncryptionKey")?,
                mac_key: bytes_of("MacKey")?,
                initialization_vector: bytes_of("InitializationVector")?,
                mac: bytes_of("Mac")?,
                profile_identifier: text_of(info, "ProfileIdentifier")?,
                file_digest: bytes_of("FileDigest")?,
                file_digest_algorithm: text_of(info, "FileDigestAlgorithm")?,
            },
        })
    }

    fn to_xml(&self) -> String {
        let info = &self.encryption_info;
        format!(
            "<ApplicationInfo xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\r\n\
             \x20 <Name>{}</Name>\r\n\
             \x20 <UnencryptedContentSize>{}</UnencryptedContentSize>\r\n\
             \x20 <FileName>{}</FileName>\r\n\
             \x20 <SetupFile>{}</SetupFile>\r\n\
             \x20 <EncryptionInfo>\r\n\
             \x20   <EncryptionKey>{}</EncryptionKey>\r\n\
             \x20   <MacKey>{}</MacKey>\r\n\
             \x20   <InitializationVector>{}</InitializationVector>\r\n\
             \x20   <Mac>{}</Mac>\r\n\
             \x20   <ProfileIdentifier>{PROFILE_IDENTIFIER}</ProfileIdentifier>\r\n\
             \x20   <FileDigest>{}</FileDigest>\r\n\
             \x20   <FileDigestAlgorithm>{DIGEST_ALGORITHM}</FileDigestAlgorithm>\r\n\
             \x20 </EncryptionInfo>\r\n\
             </ApplicationInfo>",
            escape(&self.name),
            self.unencrypted_size,
            escape(&self.file_name),
            escape(&self.setup_file),
            BASE64.encode(&info.encryption_key),
            BASE64.encode(&info.mac_key),
            BASE64.encode(&info.initialization_vector),
            BASE64.encode(&info.mac),
            BASE64.encode(&info.file_digest),
        )
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The zip of the setup folder that the package encrypts: here one entry,
/// stored, with no timestamp, so that writing it twice gives the same bytes.
fn write_inner_zip<W: Write>(
    setup_file: &Path,
    name: &str,
    out: &mut W,
) -> Result<(), ContentError> {
    let read_error = |e| ContentError::io(setup_file, "reading the setup file", e);
    let zip_error = |e: rawzip::Error| {
        ContentError::io(
            setup_file,
            "zipping the setup file",
            std::io::Error::other(e.to_string()),
        )
    };
    let mut source = File::open(setup_file).map_err(read_error)?;
    let mut archive = rawzip::ZipArchiveWriter::new(out);
    let (mut entry, config) = archive.new_file(name).start().map_err(zip_error)?;
    let mut data = config.wrap(&mut entry);
    std::io::copy(&mut source, &mut data).map_err(read_error)?;
    let (_, descriptor) = data.finish().map_err(zip_error)?;
    entry.finish(descriptor).map_err(zip_error)?;
    archive.finish().map_err(zip_error)?;
    Ok(())
}

/// A writer that encrypts what it is given into `out`.
struct EncryptingWriter<W> {
    out: W,
    encryptor: Encryptor,
    scratch: Vec<u8>,
}

impl<W: Write> EncryptingWriter<W> {
    fn new(out: W, keys: Keys) -> Self {
        EncryptingWriter {
            out,
            encryptor: Encryptor::new(keys),
            scratch: Vec::with_capacity(64 * 1024 + 16),
        }
    }

    fn finish(mut self) -> std::io::Result<(FileEncryptionInfo, u64)> {
        self.scratch.clear();
        let done = self.encryptor.finish(&mut self.scratch);
        self.out.write_all(&self.scratch)?;
        self.out.flush()?;
        Ok(done)
    }
}

impl<W: Write> Write for EncryptingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let take = buf.len().min(64 * 1024);
        self.scratch.clear();
        self.encryptor.update(&buf[..take], &mut self.scratch);
        self.out.write_all(&self.scratch)?;
        Ok(take)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aes::Aes256;
    use aes::cipher::block_padding::Pkcs7;
    use aes::cipher::{BlockModeDecrypt, KeyIvInit};
    use hmac::{Hmac, KeyInit, Mac};
    use sha2::{Digest, Sha256};

    #[test]
    fn a_created_package_opens_and_its_content_decrypts_to_the_inner_zip() {
        let dir = tempfile::tempdir().unwrap();
        let setup = dir.path().join("setup.exe");
        let content: Vec<u8> = (0..200_000u32).map(|i| (i % 253) as u8).collect();
        std::fs::write(&setup, &content).unwrap();
        let out = dir.path().join("setup.intunewin");
        let package = IntuneWinPackage::create(&setup, &out).unwrap();
        assert_eq!(package.setup_file(), "setup.exe");
        assert_eq!(package.file_name(), "setup.intunewin");
        assert_eq!(
            package.encrypted_size(),
            encrypted_len(package.unencrypted_size())
        );

        let mut encrypted = Vec::new();
        package
            .encrypted_reader()
            .unwrap()
            .read_to_end(&mut encrypted)
            .unwrap();
        assert_eq!(encrypted.len() as u64, package.encrypted_size());
        let info = package.encryption_info();
        assert_eq!(&encrypted[..32], &info.mac[..]);
        assert_eq!(&encrypted[32..48], &info.initialization_vector[..]);
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&info.mac_key).unwrap();
        mac.update(&encrypted[32..]);
        mac.verify_slice(&info.mac)
            .expect("the MAC covers IV and ciphertext");
        let mut ciphertext = encrypted[48..].to_vec();
        let plain = cbc::Decryptor::<Aes256>::new_from_slices(
            &info.encryption_key,
            &info.initialization_vector,
        )
        .unwrap()
        .decrypt_padded::<Pkcs7>(&mut ciphertext)
        .unwrap()
        .to_vec();
        assert_eq!(plain.len() as u64, package.unencrypted_size());
        assert_eq!(Sha256::digest(&plain).to_vec(), info.file_digest);
        // The plain content is a zip holding the setup file.
        let inner = rawzip::ZipArchive::from_slice(&plain).unwrap();
        let mut entries = inner.entries();
        let entry = entries.next_entry().unwrap().unwrap();
        assert_eq!(entry.file_path().as_ref(), b"setup.exe");
        let data = inner.get_entry(entry.wayfinder()).unwrap().data().to_vec();
        assert_eq!(data, content);
    }

    #[test]
    fn a_damaged_entry_is_refused_at_its_end() {
        let dir = tempfile::tempdir().unwrap();
        let setup = dir.path().join("setup.exe");
        std::fs::write(&setup, vec![1u8; 5000]).unwrap();
        let out = dir.path().join("p.intunewin");
        let package = IntuneWinPackage::create(&setup, &out).unwrap();
        let mut bytes = std::fs::read(&out).unwrap();
        let at = package.content.start as usize + 100;
        bytes[at] ^= 0xff;
        std::fs::write(&out, &bytes).unwrap();
        let error = package
            .encrypted_reader()
            .unwrap()
            .read_to_end(&mut Vec::new())
            .unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::InvalidData);
        assert!(error.to_string().contains("CRC-32"), "{error}");
    }

    #[test]
    fn detection_xml_is_read_with_its_fields_and_refused_without_them() {
        let xml = Detection {
            name: "A & B".into(),
            setup_file: "install.cmd".into(),
            file_name: ENCRYPTED_FILE_NAME.into(),
            unencrypted_size: 42,
            encryption_info: FileEncryptionInfo {
                encryption_key: vec![1; 32],
                mac_key: vec![2; 32],
                initialization_vector: vec![3; 16],
                mac: vec![4; 32],
                profile_identifier: PROFILE_IDENTIFIER.into(),
                file_digest: vec![5; 32],
                file_digest_algorithm: DIGEST_ALGORITHM.into(),
            },
        }
        .to_xml();
        let read = Detection::parse(Path::new("p"), xml.as_bytes()).unwrap();
        assert_eq!(read.name, "A & B");
        assert_eq!(read.unencrypted_size, 42);
        assert_eq!(read.encryption_info.mac_key, vec![2; 32]);
        let without = xml
            .replace("<Mac>", "<Other>")
            .replace("</Mac>", "</Other>");
        let error = Detection::parse(Path::new("p"), without.as_bytes())
            .err()
            .unwrap();
        assert!(error.to_string().contains("no Mac"), "{error}");
        let not_number = xml.replace(">42<", ">lots<");
        let error = Detection::parse(Path::new("p"), not_number.as_bytes())
            .err()
            .unwrap();
        assert!(error.to_string().contains("not a number"), "{error}");
        let doctype = format!("<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>{xml}");
        assert!(Detection::parse(Path::new("p"), doctype.as_bytes()).is_err());
    }
}
