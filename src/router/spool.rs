//! Bodies on their way to go: metadata buffered in memory, zips spooled — memory up to a
//! threshold (per body, and for all bodies together), then an unlinked temp file — and served
//! only once complete, with an exact `Content-Length` (router-facts §2.6, §10.8–9, §11.7).
//!
//! A complete body ([`Spooled`]) is shared: the bytes, or the spool file read at offsets
//! (never through a shared file position), so any number of responses and the hash check read
//! it at once.

use std::fs::File;
use std::future::Future;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use tokio::io::AsyncWriteExt;
use tokio::task::JoinHandle;

/// Largest zip go accepts: `codehost.MaxZipFile` (500 MiB); go reads one byte more to notice.
pub const MAX_ZIP: u64 = 500 << 20;
/// Largest metadata body (list, info, mod, lookup, tile) the router buffers.
pub const MAX_METADATA: u64 = 16 << 20;
/// One zip stays in memory up to this size.
const MEMORY_PER_BODY: usize = 4 << 20;
/// All zips together stay in memory up to this size; past it new bytes go to disk.
const MEMORY_TOTAL: usize = 16 << 20;
/// The end of a zip kept for the end-of-central-directory check (64 KiB comment + 22).
pub const TAIL: usize = 65_557;
/// A spooled file is served in reads of this size.
const FILE_CHUNK: u64 = 256 << 10;

static IN_MEMORY: AtomicUsize = AtomicUsize::new(0);

/// A zip body being received.
#[derive(Debug)]
pub struct Spool {
    dir: PathBuf,
    memory: Vec<u8>,
    /// Bytes of `memory` counted in [`IN_MEMORY`].
    counted: usize,
    file: Option<tokio::fs::File>,
    len: u64,
    head: Vec<u8>,
    tail: Vec<u8>,
}

/// A complete body; clones share it.
#[derive(Debug, Clone)]
pub enum Spooled {
    Memory(Bytes),
    /// A spool file (unlinked) or a file of the module cache, read at offsets.
    File {
        file: Arc<File>,
        len: u64,
    },
}

impl Spooled {
    /// A reader of the whole body from its start, with a position of its own.
    pub fn reader(&self) -> Reader {
        match self {
            Spooled::Memory(b) => Reader::Memory(io::Cursor::new(b.clone())),
            Spooled::File { file, len } => Reader::File {
                file: Arc::clone(file),
                pos: 0,
                len: *len,
            },
        }
    }
}

/// [`Spooled::reader`]: `Read + Seek` over a shared body.
#[derive(Debug)]
pub enum Reader {
    Memory(io::Cursor<Bytes>),
    File { file: Arc<File>, pos: u64, len: u64 },
}

impl Read for Reader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Reader::Memory(c) => c.read(buf),
            Reader::File { file, pos, len } => {
                let left = len.saturating_sub(*pos);
                let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
                if want == 0 {
                    return Ok(0);
                }
                let n = read_at(file, &mut buf[..want], *pos)?;
                *pos += n as u64;
                Ok(n)
            }
        }
    }
}

impl Seek for Reader {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        match self {
            Reader::Memory(c) => c.seek(to),
            Reader::File { pos, len, .. } => {
                let target = match to {
                    SeekFrom::Start(n) => Some(n),
                    SeekFrom::End(d) => len.checked_add_signed(d),
                    SeekFrom::Current(d) => pos.checked_add_signed(d),
                };
                *pos = target.ok_or_else(|| {
                    io::Error::new(io::ErrorKind::InvalidInput, "seek before the start")
                })?;
                Ok(*pos)
            }
        }
    }
}

/// One read at `offset`, leaving any file position alone.
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    #[cfg(unix)]
    {
        std::os::unix::fs::FileExt::read_at(file, buf, offset)
    }
    #[cfg(windows)]
    {
        std::os::windows::fs::FileExt::seek_read(file, buf, offset)
    }
}

/// Reads exactly `buf.len()` bytes at `offset`.
fn read_exact_at(file: &File, mut buf: &mut [u8], mut offset: u64) -> io::Result<()> {
    while !buf.is_empty() {
        match read_at(file, buf, offset) {
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "spooled file ended early",
                ));
            }
            Ok(n) => {
                buf = &mut buf[n..];
                offset += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

impl Spool {
    /// A spool whose temp file, if it needs one, is created (unlinked) in `dir`.
    pub fn new(dir: &Path) -> Spool {
        Spool {
            dir: dir.to_path_buf(),
            memory: Vec::new(),
            counted: 0,
            file: None,
            len: 0,
            head: Vec::new(),
            tail: Vec::new(),
        }
    }

    /// Appends a chunk; fails past [`MAX_ZIP`] or when the temp file cannot be written.
    pub async fn push(&mut self, chunk: &[u8]) -> io::Result<()> {
        self.len += chunk.len() as u64;
        if self.len > MAX_ZIP {
            return Err(io::Error::other("zip larger than go's 500 MiB limit"));
        }
        if self.head.len() < 4 {
            let need = 4 - self.head.len();
            self.head.extend_from_slice(&chunk[..need.min(chunk.len())]);
        }
        self.tail.extend_from_slice(chunk);
        if self.tail.len() > 2 * TAIL {
            self.tail.drain(..self.tail.len() - TAIL);
        }
        if self.file.is_none() {
            let want = self.memory.len() + chunk.len();
            let total = IN_MEMORY.fetch_add(chunk.len(), Ordering::SeqCst) + chunk.len();
            self.counted += chunk.len();
            if want <= MEMORY_PER_BODY && total <= MEMORY_TOTAL {
                self.memory.extend_from_slice(chunk);
                return Ok(());
            }
            self.spill().await?;
        }
        match &mut self.file {
            Some(f) => f.write_all(chunk).await,
            None => Err(io::Error::other("spool file missing")),
        }
    }

    /// Moves the body to an unlinked temp file; everything after goes there too.
    async fn spill(&mut self) -> io::Result<()> {
        let std_file = tempfile::tempfile_in(&self.dir)?;
        let mut file = tokio::fs::File::from_std(std_file);
        file.write_all(&self.memory).await?;
        self.memory = Vec::new();
        self.release();
        self.file = Some(file);
        Ok(())
    }

    fn release(&mut self) {
        IN_MEMORY.fetch_sub(self.counted, Ordering::SeqCst);
        self.counted = 0;
    }

    /// The first bytes and the last [`TAIL`] bytes, for [`super::policy::check_zip`].
    pub fn ends(&self) -> (&[u8], &[u8]) {
        let tail = &self.tail[self.tail.len().saturating_sub(TAIL)..];
        (&self.head, tail)
    }

    /// The complete body, ready to serve from its start.
    pub async fn finish(mut self) -> io::Result<Spooled> {
        match self.file.take() {
            None => Ok(Spooled::Memory(Bytes::from(std::mem::take(
                &mut self.memory,
            )))),
            Some(mut file) => {
                file.flush().await?;
                Ok(Spooled::File {
                    file: Arc::new(file.into_std().await),
                    len: self.len,
                })
            }
        }
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        self.release();
    }
}

/// A response body: bytes in memory, or a spooled file read in chunks at offsets (each read on
/// the blocking pool). Its size hint is exact, so hyper sends that `Content-Length` and aborts
/// the connection if the file came up short.
#[derive(Debug)]
pub enum ResponseBody {
    Full(Option<Bytes>),
    File {
        file: Arc<File>,
        offset: u64,
        remaining: u64,
        reading: Option<JoinHandle<io::Result<Bytes>>>,
    },
}

impl ResponseBody {
    pub fn len(&self) -> u64 {
        match self {
            ResponseBody::Full(b) => b.as_ref().map_or(0, |b| b.len() as u64),
            ResponseBody::File { remaining, .. } => *remaining,
        }
    }
}

impl From<Spooled> for ResponseBody {
    fn from(s: Spooled) -> ResponseBody {
        match s {
            Spooled::Memory(b) => ResponseBody::Full(Some(b)),
            Spooled::File { file, len } => ResponseBody::File {
                file,
                offset: 0,
                remaining: len,
                reading: None,
            },
        }
    }
}

impl Body for ResponseBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        match self.get_mut() {
            ResponseBody::Full(b) => Poll::Ready(b.take().map(|b| Ok(Frame::data(b)))),
            ResponseBody::File {
                file,
                offset,
                remaining,
                reading,
            } => {
                if *remaining == 0 {
                    return Poll::Ready(None);
                }
                let task = reading.get_or_insert_with(|| {
                    let (file, at) = (Arc::clone(file), *offset);
                    let n = (*remaining).min(FILE_CHUNK) as usize;
                    tokio::task::spawn_blocking(move || {
                        let mut buf = vec![0u8; n];
                        read_exact_at(&file, &mut buf, at)?;
                        Ok(Bytes::from(buf))
                    })
                });
                match Pin::new(task).poll(cx) {
                    Poll::Pending => Poll::Pending,
                    Poll::Ready(done) => {
                        *reading = None;
                        match done.map_err(io::Error::other).and_then(|r| r) {
                            Ok(data) => {
                                *offset += data.len() as u64;
                                *remaining -= data.len() as u64;
                                Poll::Ready(Some(Ok(Frame::data(data))))
                            }
                            Err(e) => {
                                *remaining = 0;
                                Poll::Ready(Some(Err(e)))
                            }
                        }
                    }
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.len() == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.len())
    }
}

/// Reads a spooled body back whole.
#[cfg(test)]
pub async fn read_all(s: Spooled) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    s.reader().read_to_end(&mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn small_bodies_stay_in_memory_large_ones_go_to_disk() {
        let dir = tempfile::tempdir().unwrap();
        let mut small = Spool::new(dir.path());
        small.push(b"PK\x03\x04abc").await.unwrap();
        assert_eq!(small.ends().0, b"PK\x03\x04");
        let s = small.finish().await.unwrap();
        assert!(matches!(s, Spooled::Memory(_)));

        let mut big = Spool::new(dir.path());
        let chunk = vec![7u8; 1 << 20];
        for _ in 0..6 {
            big.push(&chunk).await.unwrap();
        }
        big.push(b"END").await.unwrap();
        assert_eq!(big.len, 6 * (1 << 20) + 3);
        assert!(big.ends().1.ends_with(b"END"));
        assert_eq!(big.ends().1.len(), TAIL);
        let s = big.finish().await.unwrap();
        assert!(matches!(s, Spooled::File { .. }));
        let all = read_all(s).await.unwrap();
        assert_eq!(all.len(), 6 * (1 << 20) + 3);
        assert!(all.ends_with(b"\x07END"));
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "the temp file is unlinked"
        );
    }

    #[tokio::test]
    async fn a_spooled_file_is_served_to_many_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut spool = Spool::new(dir.path());
        let data: Vec<u8> = (0..(6u32 << 20)).map(|i| (i % 251) as u8).collect();
        for chunk in data.chunks(100_000) {
            spool.push(chunk).await.unwrap();
        }
        let body = spool.finish().await.unwrap();
        assert!(matches!(body, Spooled::File { .. }));
        let read = |b: Spooled| async move {
            use http_body_util::BodyExt;
            ResponseBody::from(b).collect().await.unwrap().to_bytes()
        };
        let (a, b) = tokio::join!(read(body.clone()), read(body.clone()));
        assert_eq!(a.as_ref(), data.as_slice());
        assert_eq!(b.as_ref(), data.as_slice());
    }
}
