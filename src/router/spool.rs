//! Bodies on their way to go: metadata buffered in memory, zips spooled — memory up to a
//! threshold (per body, and for all bodies together), then an unlinked temp file — and served
//! only once complete, with an exact `Content-Length` (router-facts §2.6, §10.8–9, §11.7).

use std::io::{self, SeekFrom};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use tokio::io::{AsyncRead, AsyncSeekExt, AsyncWriteExt, ReadBuf};

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

/// A complete body.
#[derive(Debug)]
pub enum Spooled {
    Memory(Bytes),
    File { file: tokio::fs::File, len: u64 },
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
                file.seek(SeekFrom::Start(0)).await?;
                Ok(Spooled::File {
                    file,
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

/// A response body: bytes in memory, or a spooled file read in chunks. Its size hint is exact,
/// so hyper sends that `Content-Length` and aborts the connection if the file came up short.
#[derive(Debug)]
pub enum ResponseBody {
    Full(Option<Bytes>),
    File {
        file: tokio::fs::File,
        remaining: u64,
        buf: Vec<u8>,
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
                remaining: len,
                buf: vec![0; 64 << 10],
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
                remaining,
                buf,
            } => {
                if *remaining == 0 {
                    return Poll::Ready(None);
                }
                let want = buf
                    .len()
                    .min(usize::try_from(*remaining).unwrap_or(usize::MAX));
                let mut rb = ReadBuf::new(&mut buf[..want]);
                match Pin::new(file).poll_read(cx, &mut rb) {
                    Poll::Pending => Poll::Pending,
                    Poll::Ready(Err(e)) => Poll::Ready(Some(Err(e))),
                    Poll::Ready(Ok(())) if rb.filled().is_empty() => Poll::Ready(Some(Err(
                        io::Error::new(io::ErrorKind::UnexpectedEof, "spool file ended early"),
                    ))),
                    Poll::Ready(Ok(())) => {
                        let data = Bytes::copy_from_slice(rb.filled());
                        *remaining -= data.len() as u64;
                        Poll::Ready(Some(Ok(Frame::data(data))))
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
    match s {
        Spooled::Memory(b) => Ok(b.to_vec()),
        Spooled::File { mut file, .. } => {
            use tokio::io::AsyncReadExt;
            let mut out = Vec::new();
            file.read_to_end(&mut out).await?;
            Ok(out)
        }
    }
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
}
