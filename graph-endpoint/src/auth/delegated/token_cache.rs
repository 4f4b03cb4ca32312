//! A token cache that outlives the process: one file per tenant and account,
//! written atomically with owner-only permissions, and trusted only when it
//! is intact, private and for the sign-in that reads it.

use std::fmt;
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::auth::secret::{AccessToken, SecretString};

/// The largest cache file read: an entry is a few KB.
const MAX_CACHE_FILE_BYTES: u64 = 64 * 1024;

/// What the file says it is, so that another file put at its path is not
/// mistaken for one.
const FORMAT: &str = "graph-endpoint token cache";
/// Version 2 records the authority; a version 1 entry, which does not, is never used.
const VERSION: u32 = 2;

/// Where delegated sign-ins ([`DeviceCode`](crate::DeviceCode),
/// [`AuthorizationCode`](crate::AuthorizationCode)) keep their tokens between
/// runs, so that a command-line tool signs the administrator in once, not on
/// every run.
///
/// ```
/// use graph_endpoint::TokenCache;
///
/// let cache = TokenCache::new("/home/admin/.cache/graph-endpoint");
/// assert_eq!(
///     cache.path_for("contoso.onmicrosoft.com", "admin@contoso.com"),
///     std::path::Path::new("/home/admin/.cache/graph-endpoint/contoso.onmicrosoft.com_admin@contoso.com.json"),
/// );
/// ```
///
/// The rules it keeps:
/// - one file per tenant and account, `{tenant}_{account}.json` in the
///   cache's directory (characters other than letters, digits, `.`, `-` and
///   `@` are written `%XX`, so no name escapes the directory);
/// - a file is written whole or not at all: to a new file in the same
///   directory, created with mode `0600` (the directory, when it is created,
///   `0700`), flushed to disk, then renamed over the old one;
/// - an entry records the authority its tokens came from (scheme, host,
///   port and path), and is used only by a sign-in at that authority: a
///   refresh token never goes to another one;
/// - the directory must belong to the current user, and others must not be
///   able to write in it, or nothing is read or written there;
/// - a file is opened without following a link and without blocking (a FIFO
///   cannot hang the sign-in), and read only when it is a regular file of
///   the current user, at most 64 KiB, readable by its owner alone (no group
///   or other bits), parses as a cache entry, and names the authority,
///   tenant, account, client id and scopes of the sign-in reading it. Any
///   other file is ignored with a warning (`tracing::warn!`, naming the path
///   and the reason, never the content) and replaced at the next sign-in: it
///   is never trusted;
/// - the tokens it holds (the access token and the refresh token) are
///   redacted in every `Debug` and never logged; they are in clear in the
///   file, which only its owner can read, as the Azure CLI and MSAL keep theirs;
/// - on Windows (any platform but Unix) nothing is persisted: this crate has
///   no way to restrict a file to the current user there, so each load and
///   save is refused with a warning naming why.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenCache {
    dir: PathBuf,
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCache")
            .field("dir", &self.dir)
            .finish()
    }
}

/// A cached sign-in as read back: the access token, when it expires
/// (seconds since the Unix epoch), and the refresh token.
#[derive(Debug, Clone)]
pub(crate) struct CachedSignIn {
    pub(crate) access_token: AccessToken,
    pub(crate) expires_at: u64,
    pub(crate) refresh_token: Option<SecretString>,
}

/// Whose sign-in a file holds, and where its tokens came from.
pub(crate) struct Owner<'a> {
    /// The authority the tokens were issued by (origin and path): a refresh
    /// token goes back to that authority only.
    pub(crate) authority: &'a str,
    pub(crate) tenant: &'a str,
    pub(crate) account: &'a str,
    pub(crate) client_id: &'a str,
    pub(crate) scope: &'a str,
}

#[derive(Serialize, Deserialize)]
struct CacheFile {
    format: String,
    version: u32,
    // Absent from version 1 entries, which the version check then refuses.
    #[serde(default)]
    authority: String,
    tenant: String,
    account: String,
    client_id: String,
    scope: String,
    access_token: String,
    expires_at: u64,
    #[serde(default)]
    refresh_token: Option<String>,
}

impl TokenCache {
    /// A cache in `dir` (created, with mode `0700`, on the first save).
    ///
    /// ```
    /// use graph_endpoint::TokenCache;
    /// let cache = TokenCache::new(std::env::temp_dir().join("graph-endpoint-doc"));
    /// assert!(cache.dir().ends_with("graph-endpoint-doc"));
    /// ```
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        TokenCache { dir: dir.into() }
    }

    /// The platform's cache directory, `graph-endpoint` in it:
    /// `$XDG_CACHE_HOME/graph-endpoint`, else `$HOME/.cache/graph-endpoint`
    /// (on Windows `%LOCALAPPDATA%\graph-endpoint`). `None` when none of these
    /// variables holds an absolute path.
    ///
    /// ```
    /// use graph_endpoint::TokenCache;
    /// if let Some(cache) = TokenCache::in_default_location() {
    ///     assert!(cache.dir().ends_with("graph-endpoint"));
    /// }
    /// ```
    #[must_use]
    pub fn in_default_location() -> Option<TokenCache> {
        let absolute = |name: &str| {
            std::env::var_os(name)
                .map(PathBuf::from)
                .filter(|p| p.is_absolute())
        };
        let base = if cfg!(windows) {
            absolute("LOCALAPPDATA")?
        } else {
            absolute("XDG_CACHE_HOME").or_else(|| absolute("HOME").map(|h| h.join(".cache")))?
        };
        Some(TokenCache::new(base.join("graph-endpoint")))
    }

    /// The directory the files are in.
    ///
    /// ```
    /// use graph_endpoint::TokenCache;
    /// assert_eq!(TokenCache::new("/tmp/c").dir(), std::path::Path::new("/tmp/c"));
    /// ```
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file of one tenant and account.
    ///
    /// ```
    /// use graph_endpoint::TokenCache;
    /// let cache = TokenCache::new("/c");
    /// // Nothing in a tenant or account name can leave the directory.
    /// assert_eq!(cache.path_for("../x", "a/b"), std::path::Path::new("/c/..%2Fx_a%2Fb.json"));
    /// ```
    #[must_use]
    pub fn path_for(&self, tenant: &str, account: &str) -> PathBuf {
        self.dir
            .join(format!("{}_{}.json", file_safe(tenant), file_safe(account)))
    }

    /// Forgets the sign-in of one tenant and account (signing out on this
    /// machine). Removing a file that is not there is not an error.
    ///
    /// # Errors
    ///
    /// The [`io::Error`] of removing the file, for any cause but
    /// [`NotFound`](io::ErrorKind::NotFound), such as a denied permission or a
    /// directory at that path.
    ///
    /// ```
    /// use graph_endpoint::TokenCache;
    /// let cache = TokenCache::new(std::env::temp_dir().join("graph-endpoint-doc-none"));
    /// cache.remove("contoso", "admin").unwrap();
    /// ```
    pub fn remove(&self, tenant: &str, account: &str) -> io::Result<()> {
        match fs::remove_file(self.path_for(tenant, account)) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }

    /// Reads the sign-in of `owner`, if its file is there and can be trusted;
    /// warns and returns `None` when it is there and cannot.
    pub(crate) fn load(&self, owner: &Owner<'_>) -> Option<CachedSignIn> {
        let path = self.path_for(owner.tenant, owner.account);
        match read_trusted(&path, owner) {
            Ok(found) => found,
            Err(reason) => {
                tracing::warn!(
                    path = %path.display(),
                    "ignoring the token cache file: {reason}; signing in again"
                );
                None
            }
        }
    }

    /// Writes the sign-in of `owner`, atomically, readable by the owner only.
    pub(crate) fn save(&self, owner: &Owner<'_>, sign_in: &CachedSignIn) -> io::Result<()> {
        let file = CacheFile {
            format: FORMAT.to_owned(),
            version: VERSION,
            authority: owner.authority.to_owned(),
            tenant: owner.tenant.to_owned(),
            account: owner.account.to_owned(),
            client_id: owner.client_id.to_owned(),
            scope: owner.scope.to_owned(),
            access_token: sign_in.access_token.secret().to_owned(),
            expires_at: sign_in.expires_at,
            refresh_token: sign_in
                .refresh_token
                .as_ref()
                .map(|r| r.expose().to_owned()),
        };
        let bytes = serde_json::to_vec_pretty(&file).map_err(io::Error::other)?;
        create_private_dir(&self.dir)?;
        private::check_dir(&self.dir).map_err(|reason| {
            io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!("the cache directory is refused: {reason}"),
            )
        })?;
        let path = self.path_for(owner.tenant, owner.account);
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let temp = self.dir.join(format!(".{name}.{}.tmp", random_hex()));
        let written = write_private(&temp, &bytes).and_then(|()| fs::rename(&temp, &path));
        if written.is_err() {
            let _ = fs::remove_file(&temp);
        }
        written?;
        // The rename itself reaches the disk with the directory.
        if let Ok(dir) = fs::File::open(&self.dir) {
            let _ = dir.sync_all();
        }
        Ok(())
    }
}

/// Seconds since the Unix epoch.
pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// A name part that stays one path component, and maps distinct names to
/// distinct files.
fn file_safe(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'-' | b'@') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn random_hex() -> String {
    let mut bytes = [0u8; 8];
    // Uniqueness is what matters here; the process id and time stand in
    // should the system's generator fail.
    if aws_lc_rs::rand::fill(&mut bytes).is_err() {
        let fallback = u64::from(std::process::id()) << 32
            ^ SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.subsec_nanos() as u64)
                .unwrap_or_default();
        bytes = fallback.to_be_bytes();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> io::Result<()> {
    fs::create_dir_all(dir)
}

/// A new file with mode 0600, written and flushed to disk.
fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = private::create_new(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Who may read and write the cache: on Unix, the files and the directory
/// must be the current user's, the files private to them, the directory not
/// writable by others; files are opened without following a link and
/// without blocking (a FIFO put at the path cannot hang the sign-in).
#[cfg(unix)]
mod private {
    use std::fs;
    use std::io;
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
    use std::path::Path;

    use rustix::fs::OFlags;

    /// Flags of every open: no link followed, no wait on a FIFO or a device.
    fn flags() -> i32 {
        (OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC)
            .bits()
            .cast_signed()
    }

    fn current_user() -> u32 {
        rustix::process::geteuid().as_raw()
    }

    /// The cache file at `path`, opened and checked: `Ok(None)` when there is
    /// none, `Err` with the reason when the one there is not to be trusted.
    pub(super) fn open(path: &Path) -> Result<Option<fs::File>, String> {
        if let Some(dir) = path.parent() {
            match check_dir(dir) {
                Ok(()) => {}
                Err(_) if !dir.exists() => return Ok(None),
                Err(reason) => return Err(format!("its directory is refused: {reason}")),
            }
        }
        let file = match fs::OpenOptions::new()
            .read(true)
            .custom_flags(flags())
            .open(path)
        {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) if e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) => {
                return Err("it is a symbolic link, not a regular file".to_owned());
            }
            Err(e) => return Err(format!("it cannot be opened: {e}")),
        };
        // Checked on the file opened, not on the path: nothing can be
        // swapped in between.
        let meta = file
            .metadata()
            .map_err(|e| format!("it cannot be read: {e}"))?;
        if !meta.file_type().is_file() {
            return Err("it is not a regular file (a FIFO, a device or a directory)".to_owned());
        }
        if meta.uid() != current_user() {
            return Err(format!(
                "it belongs to user {}, not to the current user {}",
                meta.uid(),
                current_user()
            ));
        }
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(format!(
                "its permissions {mode:03o} let group or others read it; a token cache must be 600"
            ));
        }
        Ok(Some(file))
    }

    /// A new file at `path`, mode 0600, never through a link.
    pub(super) fn create_new(path: &Path) -> io::Result<fs::File> {
        fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(flags())
            .open(path)
    }

    /// Refuses a directory that is not the current user's, or that others may write to.
    pub(crate) fn check_dir(dir: &Path) -> Result<(), String> {
        let meta = fs::metadata(dir).map_err(|e| format!("it cannot be read: {e}"))?;
        if !meta.is_dir() {
            return Err("it is not a directory".to_owned());
        }
        if meta.uid() != current_user() {
            return Err(format!(
                "{} belongs to user {}, not to the current user {}",
                dir.display(),
                meta.uid(),
                current_user()
            ));
        }
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o002 != 0 {
            return Err(format!(
                "{} has permissions {mode:03o}: others can write in it (and swap the files)",
                dir.display()
            ));
        }
        Ok(())
    }
}

/// Elsewhere (Windows), this crate has no way to keep a file to the current
/// user alone: nothing is written or read, and each attempt says why.
#[cfg(not(unix))]
mod private {
    use std::fs;
    use std::io;
    use std::path::Path;

    const UNSUPPORTED: &str = "a token cache is kept on Unix only: on this platform its file could not be restricted to the current user, so tokens are not persisted";

    pub(super) fn open(_path: &Path) -> Result<Option<fs::File>, String> {
        Err(UNSUPPORTED.to_owned())
    }

    pub(super) fn create_new(_path: &Path) -> io::Result<fs::File> {
        Err(io::Error::new(io::ErrorKind::Unsupported, UNSUPPORTED))
    }

    pub(crate) fn check_dir(_dir: &Path) -> Result<(), String> {
        Err(UNSUPPORTED.to_owned())
    }
}

/// The cached sign-in in `path`: `Ok(None)` when there is no file, `Err`
/// with the reason when there is one that is not to be trusted.
fn read_trusted(path: &Path, owner: &Owner<'_>) -> Result<Option<CachedSignIn>, String> {
    let Some(file) = private::open(path)? else {
        return Ok(None);
    };
    let mut bytes = Vec::new();
    file.take(MAX_CACHE_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("it cannot be read: {e}"))?;
    if bytes.len() as u64 > MAX_CACHE_FILE_BYTES {
        return Err(format!(
            "it is larger than {MAX_CACHE_FILE_BYTES} bytes; an entry is a few KB"
        ));
    }
    let parsed: CacheFile = serde_json::from_slice(&bytes).map_err(|e| {
        format!(
            "it is corrupt: {}",
            crate::auth::token_endpoint::describe_json_error(&e)
        )
    })?;
    if parsed.format != FORMAT || parsed.version != VERSION {
        return Err(format!(
            "it is not a version {VERSION} graph-endpoint token cache"
        ));
    }
    let mismatch = |what: &str, found: &str, wanted: &str| {
        format!(
            "it is for {what} `{}`, not `{}`",
            crate::error::quoted::Clipped(found),
            crate::error::quoted::Clipped(wanted)
        )
    };
    if parsed.authority != owner.authority {
        return Err(mismatch("authority", &parsed.authority, owner.authority));
    }
    if parsed.tenant != owner.tenant {
        return Err(mismatch("tenant", &parsed.tenant, owner.tenant));
    }
    if parsed.account != owner.account {
        return Err(mismatch("account", &parsed.account, owner.account));
    }
    if parsed.client_id != owner.client_id {
        return Err(mismatch("client id", &parsed.client_id, owner.client_id));
    }
    if parsed.scope != owner.scope {
        return Err(mismatch("scopes", &parsed.scope, owner.scope));
    }
    if parsed.access_token.is_empty() {
        return Err("it is corrupt: it holds an empty access token".to_owned());
    }
    Ok(Some(CachedSignIn {
        access_token: AccessToken::new(parsed.access_token),
        expires_at: parsed.expires_at,
        refresh_token: parsed
            .refresh_token
            .filter(|r| !r.is_empty())
            .map(SecretString::new),
    }))
}
