//! Reading the files goshim reads and go does not (`.gomodrc`, goshim's own configuration, the
//! trust store, the verdict cache, `.netrc`, certificate files, `$GOROOT/VERSION`): any of them
//! may be planted by a cloned repository or broken by a full disk, and none may hang or exhaust
//! goshim.
//!
//! - Only regular files are read. A FIFO, a device (`/dev/zero`, `/dev/stdin`), a socket or a
//!   directory is refused with a clear error, checked before opening and again on the open file
//!   (so a file swapped in between is caught), and opened without blocking.
//! - At most a given number of bytes is read; a larger file is an error, never a partial read.
//! - The lock files and logs goshim writes beside its caches are opened the same way
//!   ([`open_for_write`]), and a lock is only ever waited on for a bound ([`lock_within`]).
//! - goshim's own files (caches, the trust store) are replaced whole, never half-written
//!   ([`write_atomically`]).

use std::fmt;
use std::fs::{File, Metadata};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// Why a file could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// It does not exist (callers usually treat this as "no file").
    NotFound,
    /// It is not a regular file: what it is instead.
    NotRegular(&'static str),
    /// It is larger than the limit (bytes).
    TooLarge(u64),
    /// Another I/O error.
    Io(io::Error),
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::NotFound => write!(f, "no such file"),
            ReadError::NotRegular(kind) => write!(f, "not a regular file ({kind})"),
            ReadError::TooLarge(limit) => {
                write!(f, "larger than {}, the most goshim reads", human(*limit))
            }
            ReadError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ReadError {}

impl From<ReadError> for io::Error {
    fn from(e: ReadError) -> io::Error {
        match e {
            ReadError::NotFound => io::ErrorKind::NotFound.into(),
            ReadError::Io(e) => e,
            other => io::Error::other(other.to_string()),
        }
    }
}

/// The most goshim reads of a file go reads too (`go.mod`, `go.work`, `vendor/modules.txt`):
/// far beyond any real one, so only a FIFO, a device or a runaway file is refused.
pub const MAX_GO_FILE_BYTES: u64 = 64 << 20;

/// A [`ReadError`] with the path it is about: `path: what`.
#[derive(Debug, thiserror::Error)]
#[error("{}: {err}", .path.display())]
pub struct FileError {
    pub path: PathBuf,
    pub err: ReadError,
}

fn human(bytes: u64) -> String {
    if bytes >= 1 << 20 && bytes.is_multiple_of(1 << 20) {
        format!("{} MiB", bytes >> 20)
    } else if bytes >= 1 << 10 && bytes.is_multiple_of(1 << 10) {
        format!("{} KiB", bytes >> 10)
    } else {
        format!("{bytes} bytes")
    }
}

/// What a non-regular file is, in words.
fn kind(meta: &Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    "not a file"
}

fn io_error(e: io::Error) -> ReadError {
    // A path through a file (`file/.gomodrc`) does not exist either.
    if matches!(
        e.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
    ) {
        ReadError::NotFound
    } else {
        ReadError::Io(e)
    }
}

/// Opens a regular file for reading without blocking on FIFOs or devices.
fn open_regular(path: &Path) -> Result<(File, Metadata), ReadError> {
    let before = std::fs::metadata(path).map_err(io_error)?;
    if !before.is_file() {
        return Err(ReadError::NotRegular(kind(&before)));
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    let file = options.open(path).map_err(io_error)?;
    let meta = file.metadata().map_err(ReadError::Io)?;
    if !meta.is_file() {
        return Err(ReadError::NotRegular(kind(&meta)));
    }
    Ok((file, meta))
}

/// The file's bytes, if it is a regular file of at most `limit` bytes.
pub fn read(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    read_with_metadata(path, limit).map(|(bytes, _)| bytes)
}

/// [`read`], with the metadata of the file that was read (after following symlinks): its
/// owner, for files whose owner decides whether they apply.
pub fn read_with_metadata(path: &Path, limit: u64) -> Result<(Vec<u8>, Metadata), ReadError> {
    let (file, meta) = open_regular(path)?;
    if meta.len() > limit {
        return Err(ReadError::TooLarge(limit));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    // The file may grow after the size check: never read past the limit.
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge(limit));
    }
    Ok((bytes, meta))
}

/// Opens `path` for writing (creating it when missing; appending when `append`), without
/// blocking on a FIFO or device planted in its place and refusing anything but a regular
/// file: the lock files and logs goshim keeps in its own directories.
pub fn open_for_write(path: &Path, append: bool) -> io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true);
    if append {
        options.append(true);
    } else {
        options.write(true).truncate(false);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    let file = options.open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::other(format!(
            "{}: not a regular file ({})",
            path.display(),
            kind(&meta)
        )));
    }
    Ok(file)
}

/// Takes `lock` exclusively, retrying for at most `wait`: false when another process still
/// holds it then (a lock is never waited on without a bound). A file system without locks
/// counts as locked: callers write atomically anyway.
pub fn lock_within(lock: &File, wait: std::time::Duration) -> bool {
    let started = std::time::Instant::now();
    loop {
        match lock.try_lock() {
            Ok(()) | Err(std::fs::TryLockError::Error(_)) => return true,
            Err(std::fs::TryLockError::WouldBlock) if started.elapsed() < wait => {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            Err(std::fs::TryLockError::WouldBlock) => return false,
        }
    }
}

/// Replaces `path` with `bytes` atomically: a temporary file in the same directory (created if
/// missing), renamed over it; the temporary file is removed when the rename fails.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// [`read`], with a missing file as `Ok(None)` and other errors carrying the path.
pub fn read_optional(path: &Path, limit: u64) -> Result<Option<Vec<u8>>, FileError> {
    match read(path, limit) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(ReadError::NotFound) => Ok(None),
        Err(err) => Err(FileError {
            path: path.to_path_buf(),
            err,
        }),
    }
}

/// [`read`] as text (invalid UTF-8 replaced), any failure as `None`: for files whose absence
/// or damage only means "nothing from this file" (caches, `.netrc`, `VERSION`).
pub fn read_text_lossy(path: &Path, limit: u64) -> Option<String> {
    read(path, limit)
        .ok()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn regular_files_within_the_limit_are_read_whole() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("f");
        std::fs::write(&f, b"0123456789").unwrap();
        assert_eq!(read(&f, 10).unwrap(), b"0123456789");
        assert!(matches!(read(&f, 9), Err(ReadError::TooLarge(9))));
        assert!(matches!(
            read(&dir.path().join("missing"), 10),
            Err(ReadError::NotFound)
        ));
        assert_eq!(
            read_optional(&dir.path().join("missing"), 10).unwrap(),
            None
        );
    }

    #[test]
    fn fifos_devices_and_directories_are_refused_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let link = dir.path().join("stdin");
        std::os::unix::fs::symlink("/dev/stdin", &link).unwrap();
        let started = Instant::now();
        for (path, what) in [
            (fifo.as_path(), "a FIFO"),
            (Path::new("/dev/zero"), "a character device"),
            (dir.path(), "a directory"),
        ] {
            match read(path, 1 << 20) {
                Err(ReadError::NotRegular(kind)) => assert_eq!(kind, what, "{}", path.display()),
                other => panic!("{}: {other:?}", path.display()),
            }
        }
        assert!(matches!(
            read(&link, 1 << 20),
            Err(ReadError::NotRegular(_))
        ));
        assert!(started.elapsed() < Duration::from_secs(5));
        let err = read_optional(&fifo, 1 << 20).unwrap_err().to_string();
        assert_eq!(
            err,
            format!("{}: not a regular file (a FIFO)", fifo.display())
        );
        let big = dir.path().join("big");
        std::fs::write(&big, vec![b'x'; 2 << 20]).unwrap();
        assert_eq!(
            read_optional(&big, 1 << 20).unwrap_err().to_string(),
            format!(
                "{}: larger than 1 MiB, the most goshim reads",
                big.display()
            )
        );
    }
}
