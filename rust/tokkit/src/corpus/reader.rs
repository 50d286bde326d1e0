//! Reading training text in chunks: plain text, gzip, and JSON Lines (one JSON object per
//! line, text in a named field), so a corpus of any size streams through bounded memory.
//!
//! Plain text is cut into chunks of about `CHUNK_BYTES` at line ends; each chunk is then
//! pre-tokenized on its own, so a pre-token never spans two chunks (as HF's trainers,
//! which read a line at a time, never let one span two lines). The cut points depend only
//! on the file, never on the number of threads. Each JSON Lines record is a document.

use crate::error::{Error, Result};
use flate2::read::MultiGzDecoder;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// About this many bytes of text per chunk.
pub const CHUNK_BYTES: usize = 4 << 20;

/// What to do with bytes that are not UTF-8.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Utf8Errors {
    /// Fail, naming the file and the byte offset.
    Strict,
    /// Decode them as U+FFFD.
    Replace,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    /// JSON Lines with the text in this field.
    JsonLines(String),
}

/// A file of a corpus and how to read it (gzip is recognised by its magic bytes).
#[derive(Clone, Debug)]
pub struct CorpusFile {
    pub path: PathBuf,
    pub format: Format,
}

/// Reads one corpus file chunk by chunk.
pub struct ChunkReader {
    path: PathBuf,
    format: Format,
    errors: Utf8Errors,
    reader: Box<dyn BufRead + Send>,
    /// Bytes of decompressed text consumed so far (for error offsets).
    offset: u64,
    /// Lines consumed so far (for JSON Lines errors).
    line: u64,
    raw_bytes: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

fn io_error(path: &Path, e: std::io::Error) -> Error {
    Error::Io(format!("cannot read {}: {e}", path.display()))
}

impl ChunkReader {
    pub fn open(file: &CorpusFile, errors: Utf8Errors) -> Result<ChunkReader> {
        let path = file.path.clone();
        let mut probe = File::open(&path).map_err(|e| io_error(&path, e))?;
        let mut magic = [0u8; 2];
        let gzip = probe.read(&mut magic).map_err(|e| io_error(&path, e))? == 2 && magic == [0x1f, 0x8b];
        let handle = File::open(&path).map_err(|e| io_error(&path, e))?;
        let raw_bytes = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let counted = ProgressReader { inner: handle, total: raw_bytes.clone() };
        let reader: Box<dyn BufRead + Send> = if gzip {
            Box::new(BufReader::with_capacity(1 << 20, MultiGzDecoder::new(counted)))
        } else {
            Box::new(BufReader::with_capacity(1 << 20, counted))
        };
        Ok(ChunkReader { path, format: file.format.clone(), errors, reader, offset: 0, line: 0, raw_bytes })
    }

    /// Bytes of the file read so far (compressed bytes for gzip).
    pub fn raw_bytes_read(&self) -> u64 {
        self.raw_bytes.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The next chunk's documents, or None at the end of the file.
    pub fn next_chunk(&mut self) -> Result<Option<Vec<String>>> {
        match self.format.clone() {
            Format::Text => self.next_text_chunk().map(|c| c.map(|text| vec![text])),
            Format::JsonLines(field) => self.next_json_chunk(&field),
        }
    }

    fn next_text_chunk(&mut self) -> Result<Option<String>> {
        let mut bytes = Vec::with_capacity(CHUNK_BYTES + 4096);
        let path = self.path.clone();
        (&mut self.reader)
            .take(CHUNK_BYTES as u64)
            .read_to_end(&mut bytes)
            .map_err(|e| io_error(&path, e))?;
        if bytes.is_empty() {
            return Ok(None);
        }
        if bytes.last() != Some(&b'\n') {
            self.reader.read_until(b'\n', &mut bytes).map_err(|e| io_error(&path, e))?;
        }
        let start = self.offset;
        self.offset += bytes.len() as u64;
        self.decode(bytes, start).map(Some)
    }

    fn decode(&self, bytes: Vec<u8>, start: u64) -> Result<String> {
        match String::from_utf8(bytes) {
            Ok(text) => Ok(text),
            Err(e) if self.errors == Utf8Errors::Replace => Ok(String::from_utf8_lossy(e.as_bytes()).into_owned()),
            Err(e) => Err(Error::InvalidUtf8 {
                path: self.path.display().to_string(),
                offset: start + e.utf8_error().valid_up_to() as u64,
            }),
        }
    }

    fn next_json_chunk(&mut self, field: &str) -> Result<Option<Vec<String>>> {
        let mut documents = Vec::new();
        let mut size = 0;
        let mut line = Vec::new();
        while size < CHUNK_BYTES {
            line.clear();
            let path = self.path.clone();
            let n = self.reader.read_until(b'\n', &mut line).map_err(|e| io_error(&path, e))?;
            if n == 0 {
                break;
            }
            self.line += 1;
            let start = self.offset;
            self.offset += n as u64;
            let text = self.decode(std::mem::take(&mut line), start)?;
            if text.trim().is_empty() {
                continue;
            }
            let record: serde_json::Value = serde_json::from_str(&text).map_err(|e| Error::BadFileLine {
                source_name: self.path.display().to_string(),
                line: self.line as usize,
                reason: format!("not a JSON object ({e})"),
            })?;
            let value = record.get(field).and_then(|v| v.as_str()).ok_or_else(|| Error::BadFileLine {
                source_name: self.path.display().to_string(),
                line: self.line as usize,
                reason: format!("no string field {field:?}; pass the field that holds the text"),
            })?;
            size += value.len();
            documents.push(value.to_string());
        }
        Ok(if documents.is_empty() { None } else { Some(documents) })
    }
}

/// A reader that adds the bytes it reads to a shared total.
struct ProgressReader<R> {
    inner: R,
    total: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl<R: Read> Read for ProgressReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.total.fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn temp_file(name: &str, contents: &[u8]) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("tokkit-corpus-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::File::create(&path).unwrap().write_all(contents).unwrap();
        path
    }

    fn read_all(path: PathBuf, format: Format, errors: Utf8Errors) -> Result<Vec<String>> {
        let mut reader = ChunkReader::open(&CorpusFile { path, format }, errors)?;
        let mut out = Vec::new();
        while let Some(chunk) = reader.next_chunk()? {
            out.extend(chunk);
        }
        Ok(out)
    }

    #[test]
    fn reads_text_gzip_and_json_lines() {
        let text = temp_file("a.txt", b"one line\ntwo lines\n");
        assert_eq!(read_all(text, Format::Text, Utf8Errors::Strict).unwrap().concat(), "one line\ntwo lines\n");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"zipped text\n").unwrap();
        let gz = temp_file("b.txt.gz", &gz.finish().unwrap());
        assert_eq!(read_all(gz, Format::Text, Utf8Errors::Strict).unwrap().concat(), "zipped text\n");
        let jsonl = temp_file("c.jsonl", b"{\"text\": \"first\"}\n\n{\"text\": \"second\", \"id\": 2}\n");
        assert_eq!(read_all(jsonl, Format::JsonLines("text".into()), Utf8Errors::Strict).unwrap(), ["first", "second"]);
    }

    #[test]
    fn invalid_utf8_names_the_file_and_offset_unless_replaced() {
        let path = temp_file("bad.txt", b"fine\nbro\xffken\n");
        let err = read_all(path.clone(), Format::Text, Utf8Errors::Strict).unwrap_err();
        assert!(matches!(err, Error::InvalidUtf8 { offset: 8, .. }), "{err}");
        let text = read_all(path, Format::Text, Utf8Errors::Replace).unwrap().concat();
        assert_eq!(text, "fine\nbro\u{fffd}ken\n");
    }

    #[test]
    fn json_lines_without_the_field_name_the_line() {
        let path = temp_file("d.jsonl", b"{\"text\": \"ok\"}\n{\"body\": \"no\"}\n");
        let err = read_all(path, Format::JsonLines("text".into()), Utf8Errors::Strict).unwrap_err();
        assert!(err.to_string().contains("line 2"), "{err}");
    }

    #[test]
    fn chunks_end_at_line_ends() {
        let line = "x".repeat(1000) + "\n";
        let text = line.repeat(CHUNK_BYTES / 1000 * 2 + 7);
        let path = temp_file("big.txt", text.as_bytes());
        let chunks = read_all(path, Format::Text, Utf8Errors::Strict).unwrap();
        assert!(chunks.len() >= 2);
        assert!(chunks.iter().all(|c| c.ends_with('\n')));
        assert_eq!(chunks.concat(), text);
    }
}
