//! go's `h1:` hash of a module zip computed while the zip's bytes arrive, so that checking a
//! download costs little more than receiving it: Go's `archive/zip` reader (`reader.go`: local
//! file headers, data descriptors, the end record and the central directory's headers) and
//! x/mod `sumdb/dirhash` `HashZip`, for the zips module proxies serve.
//!
//! Entries are read in the order they arrive: each local file header, then its data (stored,
//! or deflated — a deflate stream ends itself, so an entry with a data descriptor can be read
//! too), hashed as it is inflated. The central directory arrives last; [`ZipStream::finish`]
//! then checks that it describes exactly the entries that were read (same offsets, names,
//! methods, sizes and CRC-32s) — go reads entries through the central directory, so only then
//! are the streamed digests the ones go computes — and makes [`super::dirhash`]'s checks on
//! the names.
//!
//! Anything this reader does not follow (a stored entry with a data descriptor, whose end only
//! the central directory tells; zip64; encryption; other methods; bytes between entries; a
//! central directory that disagrees with the entries; names go refuses) ends the stream with a
//! [`Fallback`]: the caller then hashes the complete zip with [`super::dirhash::hash_zip`],
//! which decides, with go's errors. A result of this reader is therefore only ever a hash
//! `hash_zip` computes too.
//!
//! ```
//! use std::io::{Cursor, Write};
//! use goshim::goenv::{dirhash, zipstream::ZipStream};
//!
//! # let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
//! # w.start_file("example.com/m@v1.0.0/go.mod", zip::write::SimpleFileOptions::default())
//! #     .unwrap();
//! # w.write_all(b"module example.com/m\n").unwrap();
//! # let zip = w.finish().unwrap().into_inner();
//! let mut stream = ZipStream::new("example.com/m", "v1.0.0");
//! for chunk in zip.chunks(7) {
//!     stream.update(chunk);
//! }
//! let h1 = stream.finish().unwrap();
//! assert_eq!(h1, dirhash::hash_zip(Cursor::new(&zip), "example.com/m", "v1.0.0").unwrap());
//! ```

use flate2::{Decompress, FlushDecompress, Status};
use sha2::{Digest, Sha256};

use super::dirhash::{MAX_ZIP_FILE, summary_hash};

const LOCAL_SIG: u32 = 0x0403_4b50;
const CENTRAL_SIG: u32 = 0x0201_4b50;
const END_SIG: u32 = 0x0605_4b50;
const DESCRIPTOR_SIG: u32 = 0x0807_4b50;
/// `fileHeaderLen`, `directoryHeaderLen`, `directoryEndLen` in `archive/zip/struct.go`.
const LOCAL_LEN: usize = 30;
const CENTRAL_LEN: usize = 46;
const END_LEN: usize = 22;
/// A data descriptor after its optional signature: CRC-32 and two 32-bit sizes.
const DESCRIPTOR_LEN: usize = 12;
/// The most of the zip's end (central directory, end record, comment) kept in memory; a
/// module zip's central directory is a few hundred KB even with tens of thousands of files.
const MAX_TAIL: usize = 32 << 20;
/// Inflated bytes produced per call.
const OUT: usize = 64 << 10;
/// 0xFFFFFFFF in a size or offset: the value is in a zip64 extra field.
const ZIP64: u32 = u32::MAX;

/// Why the streamed hash cannot be used; the complete zip must be hashed instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the zip cannot be hashed while it streams: {0}")]
pub struct Fallback(pub &'static str);

/// A module zip being hashed as it arrives (see the module documentation).
pub struct ZipStream {
    /// `<path>@<version>/`: every entry name must start with it.
    prefix: Vec<u8>,
    /// Bytes received so far: the offset of the next byte.
    offset: u64,
    phase: Phase,
    /// A local header or data descriptor being assembled, and the offset it starts at.
    head: Vec<u8>,
    head_start: u64,
    /// The entry being read.
    current: Option<Current>,
    /// Entries read, in archive order.
    entries: Vec<Entry>,
    /// Everything from the central directory on, and where it started.
    tail: Vec<u8>,
    tail_start: u64,
    /// Uncompressed bytes hashed, every entry together.
    contents: u64,
    out: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// A local file header, or the central directory's first bytes.
    Header,
    /// The current entry's data.
    Data,
    /// Compressed bytes after the end of a deflate stream, up to the entry's compressed size.
    Skip(u64),
    /// The data descriptor after a deflated entry.
    Descriptor,
    /// The central directory and what follows it.
    Tail,
    /// Given up: [`ZipStream::finish`] returns the reason.
    Stopped(Fallback),
}

/// An entry read from its local header and data.
struct Entry {
    offset: u64,
    name: Vec<u8>,
    method: u16,
    crc: u32,
    compressed: u64,
    size: u64,
    digest: [u8; 32],
}

struct Current {
    offset: u64,
    name: Vec<u8>,
    method: u16,
    /// Sizes and CRC-32 come in a data descriptor after the data.
    descriptor: bool,
    /// From the local header (without a descriptor).
    header_crc: u32,
    header_compressed: u64,
    header_size: u64,
    sha: Sha256,
    crc: crc32fast::Hasher,
    consumed: u64,
    produced: u64,
    inflater: Option<Box<Decompress>>,
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

impl ZipStream {
    /// A stream for the zip of `path@version`.
    pub fn new(path: &str, version: &str) -> ZipStream {
        ZipStream {
            prefix: format!("{path}@{version}/").into_bytes(),
            offset: 0,
            phase: Phase::Header,
            head: Vec::new(),
            head_start: 0,
            current: None,
            entries: Vec::new(),
            tail: Vec::new(),
            tail_start: 0,
            contents: 0,
            out: vec![0; OUT],
        }
    }

    /// Whether the stream has given up (the rest of the zip need not be fed).
    pub fn stopped(&self) -> bool {
        matches!(self.phase, Phase::Stopped(_))
    }

    fn stop(&mut self, why: &'static str) {
        self.phase = Phase::Stopped(Fallback(why));
        self.current = None;
        self.tail = Vec::new();
        self.head = Vec::new();
    }

    /// The next bytes of the zip.
    pub fn update(&mut self, mut data: &[u8]) {
        if self.offset.saturating_add(data.len() as u64) > MAX_ZIP_FILE {
            self.stop("larger than go accepts");
        }
        while !data.is_empty() {
            let used = match self.phase {
                Phase::Stopped(_) => return,
                Phase::Header => self.header(data),
                Phase::Data => self.data(data),
                Phase::Skip(left) => {
                    let n = usize::try_from(left).map_or(data.len(), |l| l.min(data.len()));
                    let left = left - n as u64;
                    if left == 0 {
                        self.end_entry(None);
                    } else {
                        self.phase = Phase::Skip(left);
                    }
                    n
                }
                Phase::Descriptor => self.descriptor(data),
                Phase::Tail => {
                    if self.tail.len() + data.len() > MAX_TAIL {
                        self.stop("its central directory is too large");
                        return;
                    }
                    self.tail.extend_from_slice(data);
                    data.len()
                }
            };
            self.offset += used as u64;
            data = &data[used..];
        }
    }

    /// Assembles a local file header; returns the bytes used.
    fn header(&mut self, data: &[u8]) -> usize {
        if self.head.is_empty() {
            self.head_start = self.offset;
        }
        let need = if self.head.len() < LOCAL_LEN {
            LOCAL_LEN
        } else {
            LOCAL_LEN + usize::from(u16_at(&self.head, 26)) + usize::from(u16_at(&self.head, 28))
        };
        let take = (need - self.head.len()).min(data.len());
        self.head.extend_from_slice(&data[..take]);
        if self.head.len() >= 4 && u32_at(&self.head, 0) != LOCAL_SIG {
            // The central directory (or something go finds only through it): kept for
            // finish.
            self.tail_start = self.head_start;
            self.tail = std::mem::take(&mut self.head);
            self.phase = Phase::Tail;
            return take;
        }
        let variable = self.head.len() >= LOCAL_LEN
            && (u16_at(&self.head, 26) != 0 || u16_at(&self.head, 28) != 0);
        if self.head.len() < need || (need == LOCAL_LEN && variable) {
            return take;
        }
        self.start_entry();
        take
    }

    fn start_entry(&mut self) {
        let h = std::mem::take(&mut self.head);
        let flags = u16_at(&h, 6);
        let method = u16_at(&h, 8);
        let (crc, compressed, size) = (u32_at(&h, 14), u32_at(&h, 18), u32_at(&h, 22));
        let name_len = usize::from(u16_at(&h, 26));
        let descriptor = flags & 0x8 != 0;
        if flags & 0x1 != 0 {
            return self.stop("an entry is encrypted");
        }
        if method != 0 && method != 8 {
            return self.stop("an entry is neither stored nor deflated");
        }
        if method == 0 && descriptor {
            return self.stop("a stored entry has a data descriptor");
        }
        if !descriptor && (compressed == ZIP64 || size == ZIP64) {
            return self.stop("an entry has zip64 sizes");
        }
        if method == 0 && compressed != size {
            return self.stop("a stored entry's sizes differ");
        }
        self.current = Some(Current {
            offset: self.head_start,
            name: h[LOCAL_LEN..LOCAL_LEN + name_len].to_vec(),
            method,
            descriptor,
            header_crc: crc,
            header_compressed: u64::from(compressed),
            header_size: u64::from(size),
            sha: Sha256::new(),
            crc: crc32fast::Hasher::new(),
            consumed: 0,
            produced: 0,
            inflater: (method == 8).then(|| Box::new(Decompress::new(false))),
        });
        self.phase = Phase::Data;
        if method == 0 && compressed == 0 {
            self.end_entry(None);
        }
    }

    /// Hashes entry data; returns the bytes used.
    fn data(&mut self, data: &[u8]) -> usize {
        let Some(cur) = self.current.as_mut() else {
            self.stop("no entry");
            return data.len();
        };
        if cur.method == 0 {
            let left = cur.header_compressed - cur.consumed;
            let n = usize::try_from(left).map_or(data.len(), |l| l.min(data.len()));
            cur.sha.update(&data[..n]);
            cur.crc.update(&data[..n]);
            cur.consumed += n as u64;
            cur.produced += n as u64;
            self.contents += n as u64;
            if self.contents > MAX_ZIP_FILE {
                self.stop("its contents are larger than go extracts");
                return n;
            }
            if cur.consumed == cur.header_compressed {
                self.end_entry(None);
            }
            return n;
        }
        let mut input = if cur.descriptor {
            data
        } else {
            let left = cur.header_compressed - cur.consumed;
            &data[..usize::try_from(left).map_or(data.len(), |l| l.min(data.len()))]
        };
        let mut used = 0;
        let mut ended = false;
        let Some(inflater) = cur.inflater.as_mut() else {
            self.stop("no inflater");
            return data.len();
        };
        loop {
            let (before_in, before_out) = (inflater.total_in(), inflater.total_out());
            let status = inflater.decompress(input, &mut self.out, FlushDecompress::None);
            let n_in = (inflater.total_in() - before_in) as usize;
            let n_out = (inflater.total_out() - before_out) as usize;
            cur.sha.update(&self.out[..n_out]);
            cur.crc.update(&self.out[..n_out]);
            cur.consumed += n_in as u64;
            cur.produced += n_out as u64;
            self.contents += n_out as u64;
            used += n_in;
            input = &input[n_in..];
            match status {
                Err(_) => {
                    self.stop("an entry's deflate data is invalid");
                    return data.len();
                }
                Ok(Status::StreamEnd) => {
                    ended = true;
                    break;
                }
                Ok(_) => {}
            }
            if self.contents > MAX_ZIP_FILE {
                self.stop("its contents are larger than go extracts");
                return data.len();
            }
            if (n_in == 0 && n_out == 0) || (input.is_empty() && n_out < self.out.len()) {
                break;
            }
        }
        if ended {
            if cur.descriptor {
                self.phase = Phase::Descriptor;
            } else {
                let left = cur.header_compressed - cur.consumed;
                if left == 0 {
                    self.end_entry(None);
                } else {
                    // go reads a deflated entry to the end of its stream and ignores the rest.
                    self.phase = Phase::Skip(left);
                }
            }
        } else if !cur.descriptor && cur.consumed == cur.header_compressed {
            self.stop("an entry's deflate stream is cut short");
            return data.len();
        }
        used
    }

    /// Assembles a data descriptor (`readDataDescriptor`: an optional signature, then CRC-32
    /// and the two sizes); returns the bytes used.
    fn descriptor(&mut self, data: &[u8]) -> usize {
        let signed = self.head.len() >= 4 && u32_at(&self.head, 0) == DESCRIPTOR_SIG;
        let need = match (self.head.len() < 4, signed) {
            (true, _) => 4,
            (false, true) => 4 + DESCRIPTOR_LEN,
            (false, false) => DESCRIPTOR_LEN,
        };
        let take = (need - self.head.len()).min(data.len());
        self.head.extend_from_slice(&data[..take]);
        if self.head.len() < need || need == 4 {
            return take;
        }
        let d = std::mem::take(&mut self.head);
        let at = if signed { 4 } else { 0 };
        self.end_entry(Some((
            u32_at(&d, at),
            u64::from(u32_at(&d, at + 4)),
            u64::from(u32_at(&d, at + 8)),
        )));
        take
    }

    /// The current entry is complete: its CRC-32 and sizes must be the ones announced (in the
    /// local header, or in `descriptor`: CRC-32, compressed and uncompressed size).
    fn end_entry(&mut self, descriptor: Option<(u32, u64, u64)>) {
        let Some(cur) = self.current.take() else {
            return self.stop("no entry");
        };
        let crc = cur.crc.finalize();
        let (want_crc, want_compressed, want_size) =
            descriptor.unwrap_or((cur.header_crc, cur.header_compressed, cur.header_size));
        if crc != want_crc || cur.consumed != want_compressed || cur.produced != want_size {
            return self.stop("an entry's CRC-32 or sizes do not match its data");
        }
        self.entries.push(Entry {
            offset: cur.offset,
            name: cur.name,
            method: cur.method,
            crc,
            compressed: cur.consumed,
            size: cur.produced,
            digest: cur.sha.finalize().into(),
        });
        self.phase = Phase::Header;
    }

    /// The zip's `h1:` hash, once every byte was fed; a [`Fallback`] when the complete zip
    /// must be hashed to know it.
    pub fn finish(self) -> Result<String, Fallback> {
        match self.phase {
            Phase::Stopped(why) => return Err(why),
            Phase::Tail => {}
            _ => return Err(Fallback("the zip ended inside an entry")),
        }
        let tail = &self.tail;
        let end = find_end(tail).ok_or(Fallback("no end of central directory"))?;
        let e = &tail[end..];
        let (records, dir_size, dir_offset) = (u16_at(e, 10), u32_at(e, 12), u32_at(e, 16));
        if records == u16::MAX || dir_size == ZIP64 || dir_offset == ZIP64 {
            return Err(Fallback("zip64 end record"));
        }
        if u16_at(e, 4) != 0 || u16_at(e, 6) != 0 || u16_at(e, 8) != records {
            return Err(Fallback("a multi-disk end record"));
        }
        if u64::from(dir_offset) != self.tail_start {
            return Err(Fallback(
                "the central directory is not where the entries end",
            ));
        }
        // The directory's headers, read as go reads them: one after another while the
        // signature is a directory header's.
        let mut at = 0;
        let mut seen = vec![false; self.entries.len()];
        let mut names: Vec<(&[u8], [u8; 32])> = Vec::with_capacity(self.entries.len());
        while at + 4 <= end && u32_at(tail, at) == CENTRAL_SIG {
            if at + CENTRAL_LEN > end {
                return Err(Fallback("a truncated central directory header"));
            }
            let h = &tail[at..];
            let (flags, method) = (u16_at(h, 8), u16_at(h, 10));
            let (crc, compressed, size) = (u32_at(h, 16), u32_at(h, 20), u32_at(h, 24));
            let (name_len, extra_len, comment_len) = (
                usize::from(u16_at(h, 28)),
                usize::from(u16_at(h, 30)),
                usize::from(u16_at(h, 32)),
            );
            let offset = u32_at(h, 42);
            let next = at + CENTRAL_LEN + name_len + extra_len + comment_len;
            if next > end {
                return Err(Fallback("a truncated central directory header"));
            }
            if compressed == ZIP64
                || size == ZIP64
                || offset == ZIP64
                || flags & 0x1 != 0
                || u16_at(h, 34) != 0
            {
                return Err(Fallback("a zip64 or encrypted directory entry"));
            }
            let name = &h[CENTRAL_LEN..CENTRAL_LEN + name_len];
            let i = self
                .entries
                .binary_search_by_key(&u64::from(offset), |e| e.offset)
                .map_err(|_| Fallback("a directory entry points at no entry read"))?;
            let entry = &self.entries[i];
            if seen[i]
                || entry.name != name
                || entry.method != method
                || entry.crc != crc
                || entry.compressed != u64::from(compressed)
                || entry.size != u64::from(size)
            {
                return Err(Fallback("the central directory disagrees with the entries"));
            }
            seen[i] = true;
            if !name.starts_with(&self.prefix) {
                return Err(Fallback("an entry is outside the module's directory"));
            }
            if name.ends_with(b"/") && entry.size != 0 {
                return Err(Fallback("a directory entry holds data"));
            }
            names.push((name, entry.digest));
            at = next;
        }
        if names.len() != self.entries.len() || names.len() != usize::from(records) {
            return Err(Fallback("the central directory does not list every entry"));
        }
        let mut sorted: Vec<&[u8]> = names.iter().map(|(n, _)| *n).collect();
        sorted.sort_unstable();
        if sorted.windows(2).any(|w| w[0] == w[1]) {
            return Err(Fallback("two entries have the same name"));
        }
        summary_hash(names).map_err(|_| Fallback("a name has a newline"))
    }
}

/// `findSignatureInBlock`: the last end record whose comment fits in `b`, searching backwards.
fn find_end(b: &[u8]) -> Option<usize> {
    let last = b.len().checked_sub(END_LEN)?;
    for i in (0..=last).rev() {
        if u32_at(b, i) == END_SIG {
            let comment = usize::from(u16_at(b, i + END_LEN - 2));
            return (i + END_LEN + comment <= b.len()).then_some(i);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Write};

    use zip::CompressionMethod;
    use zip::write::{SimpleFileOptions, ZipWriter};

    use super::*;
    use crate::goenv::dirhash::hash_zip;

    const PATH: &str = "example.com/m";
    const VERSION: &str = "v1.0.0";

    fn files() -> Vec<(String, Vec<u8>)> {
        let text: Vec<u8> = (0..200_000u32)
            .flat_map(|i| format!("line {i} of some Go source\n").into_bytes())
            .take(300_000)
            .collect();
        let noise: Vec<u8> = (0..70_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        vec![
            (
                "go.mod".into(),
                b"module example.com/m\n\ngo 1.21\n".to_vec(),
            ),
            ("m.go".into(), b"package m\n".to_vec()),
            ("empty.txt".into(), Vec::new()),
            ("big/text.go".into(), text),
            ("big/noise.bin".into(), noise),
        ]
    }

    fn build<W: Write + std::io::Seek>(mut w: ZipWriter<W>, method: CompressionMethod) -> W {
        let options = SimpleFileOptions::default().compression_method(method);
        w.add_directory(format!("{PATH}@{VERSION}/dir/"), options)
            .unwrap();
        for (name, data) in files() {
            w.start_file(format!("{PATH}@{VERSION}/{name}"), options)
                .unwrap();
            w.write_all(&data).unwrap();
        }
        w.finish().unwrap()
    }

    fn seekable(method: CompressionMethod) -> Vec<u8> {
        build(ZipWriter::new(Cursor::new(Vec::new())), method).into_inner()
    }

    /// Written to a stream: every entry has a data descriptor (as Go's archive/zip writes).
    fn streamed(method: CompressionMethod) -> Vec<u8> {
        let mut w = ZipWriter::new_stream(Vec::new());
        let options = SimpleFileOptions::default().compression_method(method);
        for (name, data) in files() {
            w.start_file(format!("{PATH}@{VERSION}/{name}"), options)
                .unwrap();
            w.write_all(&data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    fn stream(zip: &[u8], chunk: usize) -> Result<String, Fallback> {
        let mut s = ZipStream::new(PATH, VERSION);
        for c in zip.chunks(chunk.max(1)) {
            s.update(c);
        }
        s.finish()
    }

    fn reference(zip: &[u8]) -> Option<String> {
        hash_zip(Cursor::new(zip), PATH, VERSION).ok()
    }

    #[test]
    fn zips_proxies_serve_hash_while_they_stream() {
        for zip in [
            seekable(CompressionMethod::Stored),
            seekable(CompressionMethod::Deflated),
            streamed(CompressionMethod::Deflated),
        ] {
            let want = reference(&zip).unwrap();
            for chunk in [1, 7, 4096, 65_536, zip.len()] {
                assert_eq!(stream(&zip, chunk), Ok(want.clone()), "chunks of {chunk}");
            }
        }
        let empty = ZipWriter::new(Cursor::new(Vec::new()))
            .finish()
            .unwrap()
            .into_inner();
        assert_eq!(stream(&empty, 5), Ok(reference(&empty).unwrap()));
    }

    #[test]
    fn what_it_cannot_follow_falls_back() {
        // A stored entry with a data descriptor: its end is only known from the directory.
        assert!(stream(&streamed(CompressionMethod::Stored), 4096).is_err());
        let zip = seekable(CompressionMethod::Deflated);
        // Cut short, anywhere.
        for cut in [10, zip.len() / 2, zip.len() - 1] {
            assert!(stream(&zip[..cut], 1000).is_err(), "cut at {cut}");
        }
        // Another module's zip: names outside `path@version/`.
        let mut s = ZipStream::new(PATH, "v2.0.0");
        s.update(&zip);
        assert_eq!(
            s.finish(),
            Err(Fallback("an entry is outside the module's directory"))
        );
    }

    /// Every single-byte change either gives the reference hash (the byte did not matter to
    /// go) or falls back: the streamed hash is never one `hash_zip` would not compute.
    #[test]
    fn a_changed_byte_never_gives_another_hash() {
        let small = |method: CompressionMethod, stream: bool| {
            let options = SimpleFileOptions::default().compression_method(method);
            let add = |w: &mut dyn FnMut(String, &[u8])| {
                for (name, data) in files().into_iter().take(3) {
                    w(format!("{PATH}@{VERSION}/{name}"), &data);
                }
            };
            if stream {
                let mut w = ZipWriter::new_stream(Vec::new());
                add(&mut |n, d| {
                    w.start_file(n, options).unwrap();
                    w.write_all(d).unwrap();
                });
                w.finish().unwrap().into_inner()
            } else {
                let mut w = ZipWriter::new(Cursor::new(Vec::new()));
                add(&mut |n, d| {
                    w.start_file(n, options).unwrap();
                    w.write_all(d).unwrap();
                });
                w.finish().unwrap().into_inner()
            }
        };
        for base in [
            small(CompressionMethod::Stored, false),
            small(CompressionMethod::Deflated, false),
            small(CompressionMethod::Deflated, true),
        ] {
            assert!(stream(&base, 333).is_ok());
            for i in 0..base.len() {
                for flip in [0x01, 0x5a, 0xff] {
                    let mut changed = base.clone();
                    changed[i] ^= flip;
                    if let Ok(h) = stream(&changed, 333) {
                        assert_eq!(
                            Some(h),
                            reference(&changed),
                            "byte {i}: {:?}",
                            hash_zip(Cursor::new(&changed), PATH, VERSION)
                        );
                    }
                }
            }
        }
    }
}
