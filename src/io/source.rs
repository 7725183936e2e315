//! Bytes read by position, so that each thread reading a part of a CSV file reads its own
//! range (the copy out of the page cache happens in parallel, not before the parse starts).

use std::fs::File;
use std::io::Read;
use std::ops::Range;

/// Something whose bytes can be read at any offset, from several threads at once.
pub(super) trait Source: Sync {
    /// Its length in bytes.
    fn len(&self) -> u64;
    /// Fills `buf` with the bytes from `offset` on (the caller keeps within the length).
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<()>;
}

impl Source for [u8] {
    fn len(&self) -> u64 {
        <[u8]>::len(self) as u64
    }
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
        let start = usize::try_from(offset).unwrap_or(usize::MAX);
        let bytes = start
            .checked_add(buf.len())
            .and_then(|end| self.get(start..end))
            .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::UnexpectedEof))?;
        buf.copy_from_slice(bytes);
        Ok(())
    }
}

/// A file and the length it had when opened (a file that shrinks under the reader gives an
/// I/O error, not a short read taken for its end).
pub(super) struct FileSource {
    file: File,
    len: u64,
    /// Where positioned reads do not exist, reads seek a shared handle in turn.
    #[cfg(not(unix))]
    lock: std::sync::Mutex<()>,
}

impl FileSource {
    pub(super) fn new(file: File) -> std::io::Result<FileSource> {
        let len = file.metadata()?.len();
        Ok(FileSource {
            file,
            len,
            #[cfg(not(unix))]
            lock: std::sync::Mutex::new(()),
        })
    }
}

impl Source for FileSource {
    fn len(&self) -> u64 {
        self.len
    }
    #[cfg(unix)]
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
        std::os::unix::fs::FileExt::read_exact_at(&self.file, buf, offset)
    }
    #[cfg(not(unix))]
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
        use std::io::{Seek, SeekFrom};
        let _turn = self
            .lock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut file = &self.file;
        file.seek(SeekFrom::Start(offset))?;
        file.read_exact(buf)
    }
}

/// A [`Source`] read from start to end (for the csv crate's reader).
pub(super) struct Sequential<'a, S: Source + ?Sized> {
    source: &'a S,
    at: u64,
}

impl<'a, S: Source + ?Sized> Sequential<'a, S> {
    pub(super) fn new(source: &'a S) -> Self {
        Sequential { source, at: 0 }
    }
}

impl<S: Source + ?Sized> Read for Sequential<'_, S> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let left = self.source.len().saturating_sub(self.at);
        let n = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        if let Some(buf) = buf.get_mut(..n) {
            self.source.read_exact_at(buf, self.at)?;
        }
        self.at += n as u64;
        Ok(n)
    }
}

/// Bytes read at a time while looking for a line's end.
const STEP: usize = 64 << 10;

/// The first line of `source`, with its `\n` (the whole source when it has none).
pub(super) fn first_line<S: Source + ?Sized>(source: &S) -> std::io::Result<Vec<u8>> {
    let mut line = Vec::new();
    extend_to_line_end(source, &mut line, 0)?;
    Ok(line)
}

/// The lines of `source` that start in `range` (a line starts at `first`, the first byte
/// after the header, or just after a `\n`), as a buffer and the offset in it where they
/// begin. Read from one byte before the range (to see whether a line starts at its first
/// byte) to the end of the line that holds its last byte. Lines that start in no range's
/// first byte belong to the range holding their start, so the ranges' lines tile the text.
pub(super) fn lines_starting_in<S: Source + ?Sized>(
    source: &S,
    range: Range<u64>,
    first: u64,
) -> std::io::Result<(Vec<u8>, usize)> {
    let at_first = range.start <= first;
    let from = if at_first { first } else { range.start - 1 };
    let mut buf = vec![0; usize::try_from(range.end.saturating_sub(from)).unwrap_or(0)];
    source.read_exact_at(&mut buf, from)?;
    let skip = if at_first {
        0
    } else {
        match buf.iter().position(|&b| b == b'\n') {
            Some(i) => i + 1,
            // No line starts here: the one going on belongs to an earlier range.
            None => return Ok((Vec::new(), 0)),
        }
    };
    if skip == buf.len() {
        // The only line start is the range's end: the next range's.
        return Ok((Vec::new(), 0));
    }
    if buf.last() != Some(&b'\n') {
        extend_to_line_end(source, &mut buf, range.end)?;
    }
    Ok((buf, skip))
}

/// Appends to `buf` the bytes of `source` from `at` up to and including the next `\n` (or to
/// the end).
fn extend_to_line_end<S: Source + ?Sized>(
    source: &S,
    buf: &mut Vec<u8>,
    mut at: u64,
) -> std::io::Result<()> {
    while at < source.len() {
        let n = usize::try_from(source.len() - at).map_or(STEP, |left| left.min(STEP));
        let old = buf.len();
        buf.resize(old + n, 0);
        source.read_exact_at(&mut buf[old..], at)?;
        at += n as u64;
        if let Some(i) = buf[old..].iter().position(|&b| b == b'\n') {
            buf.truncate(old + i + 1);
            break;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ranges of every size tile the text into its lines, each line once, in order.
    #[test]
    fn the_ranges_lines_tile_the_text() {
        let mut text = b"head,er\n".to_vec();
        for r in 0..200usize {
            text.extend(std::iter::repeat_n(b'x', r * 37 % 150));
            text.push(b'\n');
        }
        text.extend_from_slice(b"last line without an end");
        let first = 8u64;
        let len = text.len() as u64;
        for step in [1u64, 2, 7, 64, 100, 149, 150, 151, 1000, len] {
            let mut joined = Vec::new();
            let mut start = first;
            while start < len {
                let end = (start + step).min(len);
                let (buf, skip) = lines_starting_in(&text[..], start..end, first)
                    .unwrap_or_else(|e| panic!("{e}"));
                joined.extend_from_slice(&buf[skip..]);
                start = end;
            }
            assert_eq!(joined, text[8..], "step {step}");
        }
        assert_eq!(first_line(&text[..]).ok(), Some(b"head,er\n".to_vec()));
        assert_eq!(first_line(&b"no end"[..]).ok(), Some(b"no end".to_vec()));
        let mut all = Vec::new();
        Sequential::new(&text[..])
            .read_to_end(&mut all)
            .unwrap_or_default();
        assert_eq!(all, text);
    }
}
