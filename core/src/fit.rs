//! FIT pre-flight: checks a workout file before a single byte is uploaded.
//!
//! Uploading a broken file costs the user a slow upload and yields an opaque server error; a
//! local check can say exactly what is wrong ("truncated", "not an activity", "CRC mismatch").
//! The check is structural, not semantic: header, sizes, both CRCs, record framing, and that
//! the file starts with a `file_id` message of type 4 (activity).
//!
//! [`FitCheck`] works on a stream in constant memory whatever the file size; [`check`] and
//! [`check_file`] are thin wrappers over it, so there is one code path. The input is treated as
//! hostile: nothing is allocated from a declared size and nothing panics.
//!
//! FIT layout: a 12- or 14-byte header (`header_size`, protocol version, profile version u16 LE,
//! `data_size` u32 LE, `".FIT"`, and for 14 bytes a header CRC u16 LE where 0 means "not
//! computed"), then `data_size` bytes of records, then a CRC u16 LE over everything before it.
//! The CRC is CRC-16/ARC.

use std::fmt;
use std::path::Path;

use crc::{CRC_16_ARC, Crc, Digest, Table};

use crate::error::{Error, Result};

/// FIT's CRC-16 is CRC-16/ARC (polynomial 0x8005 reflected, initial value 0).
// Slice-by-16 tables: the CRC runs over whole files before upload, and the byte-at-a-time
// table made it most of the pre-flight's cost (bench/rust/examples/preflight.rs).
static FIT_CRC: Crc<u16, Table<16>> = Crc::<u16, Table<16>>::new(&CRC_16_ARC);

/// FIT's CRC of `bytes`: the one implementation, shared with the workout writer in `export`.
pub(crate) fn crc(bytes: &[u8]) -> u16 {
    FIT_CRC.checksum(bytes)
}

/// Global message number of `file_id`.
const FILE_ID: u16 = 0;
/// `file_id.type` for an activity, the only kind enduco accepts.
const ACTIVITY: u8 = 4;
/// `file_id` field numbers.
const FILE_ID_TYPE_FIELD: u8 = 0;
const FILE_ID_TIME_CREATED_FIELD: u8 = 4;
/// The read size of [`check_file`].
const READ_CHUNK: usize = 256 * 1024;

/// What the pre-flight learned about a valid file.
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FitSummary {
    /// 12 or 14.
    pub header_size: u8,
    /// Bytes of records, as declared by the header (and verified).
    pub data_size: u32,
    /// Bytes in the whole file.
    #[cfg_attr(feature = "typescript", ts(type = "number"))]
    pub file_size: u64,
    /// `file_id.type`; always 4 (activity) for a file that passed.
    pub file_type: u8,
    /// `file_id.time_created` in FIT time (seconds since 1989-12-31T00:00:00Z), when present.
    pub time_created: Option<u32>,
    /// The file CRC (its last two bytes): with the sizes, what tells this file from another.
    pub file_crc: u16,
}

/// Checks a whole FIT file held in memory.
pub fn check(bytes: &[u8]) -> Result<FitSummary> {
    let mut check = FitCheck::new();
    check.update(bytes)?;
    check.finish()
}

/// Checks a FIT file on disk, reading it in 256 KiB chunks.
///
/// Performance (issue 15): the whole read runs as one blocking task with `std::fs`. Through
/// `tokio::fs`, every 64 KiB read was its own trip to the blocking pool and back; the profile
/// of the 100 MB upload row showed the pre-flight at ~120 ms against ~65 ms for the same
/// check over the bytes in memory.
pub async fn check_file(path: &Path) -> Result<FitSummary> {
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || check_file_blocking(&path))
        .await
        .map_err(Error::from_task_failure)?
}

fn check_file_blocking(path: &Path) -> Result<FitSummary> {
    use std::io::Read;

    let unreadable =
        |e: std::io::Error| Error::invalid_input(format!("cannot read {}: {e}", path.display()));
    let mut file = std::fs::File::open(path).map_err(unreadable)?;
    let mut buf = vec![0u8; READ_CHUNK];
    let mut check = FitCheck::new();
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(unreadable(e)),
        };
        check.update(&buf[..n])?;
    }
    check.finish()
}

/// Streaming FIT pre-flight: feed the file with [`update`](Self::update) in chunks of any size,
/// then call [`finish`](Self::finish). Memory use is constant.
///
/// `update` fails early on a header defect (bad signature or header size, header CRC); every
/// other defect is reported by `finish`, in order of how much it explains: sizes first, then the
/// file CRC (a corrupt file would otherwise surface as a confusing record error), then records.
#[derive(Clone)]
pub struct FitCheck {
    /// Bytes seen so far.
    total: u64,
    header: [u8; 14],
    header_len: usize,
    /// Known once the first 12 bytes passed the signature and size checks.
    header_size: Option<u8>,
    data_size: u32,
    /// CRC over every byte but the last two seen (those might be the file CRC).
    crc: Digest<'static, u16, Table<16>>,
    committed: u64,
    tail: [u8; 2],
    tail_len: usize,
    /// CRC over the header and the declared data, i.e. what the CRC at the declared position
    /// must match.
    crc_at_data_end: Option<u16>,
    /// The two bytes at the declared CRC position.
    stored_crc: [u8; 2],
    stored_crc_len: usize,
    /// The first bytes after the declared CRC, to recognise chained FIT files.
    trailing: [u8; 12],
    trailing_len: usize,
    records: Records,
    failed: Option<Error>,
}

impl fmt::Debug for FitCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FitCheck")
            .field("bytes_seen", &self.total)
            .field("header_size", &self.header_size)
            .field("data_size", &self.data_size)
            .field("failed", &self.failed)
            .finish_non_exhaustive()
    }
}

impl Default for FitCheck {
    fn default() -> Self {
        Self::new()
    }
}

impl FitCheck {
    pub fn new() -> Self {
        FitCheck {
            total: 0,
            header: [0; 14],
            header_len: 0,
            header_size: None,
            data_size: 0,
            crc: FIT_CRC.digest(),
            committed: 0,
            tail: [0; 2],
            tail_len: 0,
            crc_at_data_end: None,
            stored_crc: [0; 2],
            stored_crc_len: 0,
            trailing: [0; 12],
            trailing_len: 0,
            records: Records::new(),
            failed: None,
        }
    }

    /// Feeds the next chunk. Once it has failed, every later call returns the same error.
    pub fn update(&mut self, chunk: &[u8]) -> Result<()> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let result = self.feed(chunk);
        if let Err(e) = &result {
            self.failed = Some(e.clone());
        }
        result
    }

    /// Ends the stream and reports the first defect, or what the valid file holds.
    pub fn finish(self) -> Result<FitSummary> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        let total = self.total;
        if total == 0 {
            return Err(invalid("FIT file is empty".into()));
        }
        let hs = match self.header_size {
            Some(hs) if self.header_len == usize::from(hs) => hs,
            _ => {
                return Err(invalid(format!(
                    "FIT file is too short for a header ({total} bytes)"
                )));
            }
        };
        self.check_sizes(hs)?;
        let stored = u16::from_le_bytes(self.stored_crc);
        let computed = self.crc_at_data_end.unwrap_or_default();
        if stored != computed {
            return Err(invalid(format!(
                "FIT CRC mismatch: expected {}, computed {}",
                hex(stored),
                hex(computed)
            )));
        }
        let file_type = self.records.finish()?;
        Ok(FitSummary {
            header_size: hs,
            data_size: self.data_size,
            file_size: total,
            file_type,
            time_created: self.records.file_id.and_then(|f| f.time_created),
            file_crc: stored,
        })
    }

    /// The file must be exactly header + data + 2-byte CRC. When it is not, the CRCs tell a
    /// truncated file apart from a wrong `data_size` or from bytes appended after a valid file.
    fn check_sizes(&self, hs: u8) -> Result<()> {
        let total = self.total;
        let declared = u64::from(self.data_size);
        let expected = u64::from(hs) + declared + 2;
        if total == expected {
            return Ok(());
        }
        let after_header = total - u64::from(hs);
        // The last two bytes are a valid CRC of everything before them: the file is intact and
        // the header's data_size is what is wrong.
        let whole_file_crc_ok = self.tail_len == 2
            && after_header >= 2
            && self.crc.clone().finalize() == u16::from_le_bytes(self.tail);
        let size_mismatch = || {
            invalid(format!(
                "FIT data size mismatch: header declares {declared} data bytes, but the file \
                 holds {} (plus 2-byte CRC)",
                after_header - 2
            ))
        };
        if total < expected {
            if whole_file_crc_ok {
                return Err(size_mismatch());
            }
            return Err(invalid(format!(
                "FIT file is truncated: header declares {declared} data bytes (plus 2-byte CRC), \
                 file has {after_header} after the header"
            )));
        }
        let extra = total - expected;
        let valid_before_extra = self.crc_at_data_end == Some(u16::from_le_bytes(self.stored_crc));
        if valid_before_extra {
            let chained = self.trailing_len == 12
                && matches!(self.trailing[0], 12 | 14)
                && &self.trailing[8..12] == b".FIT";
            return Err(invalid(if chained {
                format!(
                    "FIT file has {extra} trailing bytes after the CRC: it holds several chained \
                     FIT files, which enduco does not accept; upload each one separately"
                )
            } else {
                format!("FIT file has {extra} trailing bytes after the CRC")
            }));
        }
        if whole_file_crc_ok {
            return Err(size_mismatch());
        }
        Err(invalid(format!(
            "FIT file size does not match its header: header declares {declared} data bytes \
             (plus 2-byte CRC), file has {after_header} after the header"
        )))
    }

    fn feed(&mut self, chunk: &[u8]) -> Result<()> {
        let mut rest = chunk;
        while !rest.is_empty() {
            let pos = self.total;
            let n = match self.header_size {
                None => {
                    let n = (12 - self.header_len).min(rest.len());
                    self.buffer_header(&rest[..n]);
                    if self.header_len == 12 {
                        self.read_header_start()?;
                    }
                    n
                }
                Some(hs) if self.header_len < usize::from(hs) => {
                    let n = (usize::from(hs) - self.header_len).min(rest.len());
                    self.buffer_header(&rest[..n]);
                    if self.header_len == usize::from(hs) {
                        self.check_header_crc()?;
                    }
                    n
                }
                Some(hs) => {
                    let data_end = u64::from(hs) + u64::from(self.data_size);
                    if pos < data_end {
                        let n = clamp(data_end - pos, rest.len());
                        self.records.feed(&rest[..n], pos);
                        n
                    } else if pos < data_end + 2 {
                        let n = clamp(data_end + 2 - pos, rest.len());
                        for &b in &rest[..n] {
                            self.stored_crc[self.stored_crc_len] = b;
                            self.stored_crc_len += 1;
                        }
                        n
                    } else {
                        let keep = (12 - self.trailing_len).min(rest.len());
                        self.trailing[self.trailing_len..self.trailing_len + keep]
                            .copy_from_slice(&rest[..keep]);
                        self.trailing_len += keep;
                        rest.len()
                    }
                }
            };
            self.crc_feed(&rest[..n]);
            self.total += n as u64;
            rest = &rest[n..];
        }
        Ok(())
    }

    fn buffer_header(&mut self, bytes: &[u8]) {
        self.header[self.header_len..self.header_len + bytes.len()].copy_from_slice(bytes);
        self.header_len += bytes.len();
    }

    /// The first 12 bytes: signature first (so a random file is called "not a FIT file" rather
    /// than "bad header size"), then the header size.
    fn read_header_start(&mut self) -> Result<()> {
        let signature = &self.header[8..12];
        if signature != b".FIT" {
            return Err(invalid(format!(
                "not a FIT file: signature is {}, expected \".FIT\"",
                quoted(signature)
            )));
        }
        let hs = self.header[0];
        if hs != 12 && hs != 14 {
            return Err(invalid(format!(
                "FIT header size {hs} is invalid (expected 12 or 14)"
            )));
        }
        self.data_size = u32::from_le_bytes([
            self.header[4],
            self.header[5],
            self.header[6],
            self.header[7],
        ]);
        self.header_size = Some(hs);
        Ok(())
    }

    fn check_header_crc(&self) -> Result<()> {
        if self.header_len != 14 {
            return Ok(());
        }
        let stored = u16::from_le_bytes([self.header[12], self.header[13]]);
        if stored == 0 {
            return Ok(()); // "not computed"
        }
        let computed = FIT_CRC.checksum(&self.header[..12]);
        if stored != computed {
            return Err(invalid(format!(
                "FIT header CRC mismatch: expected {}, computed {}",
                hex(stored),
                hex(computed)
            )));
        }
        Ok(())
    }

    /// Keeps the running CRC two bytes behind the stream, and snapshots it at the declared CRC
    /// position.
    fn crc_feed(&mut self, piece: &[u8]) {
        let available = self.tail_len + piece.len();
        if available <= 2 {
            self.tail[self.tail_len..available].copy_from_slice(piece);
            self.tail_len = available;
            return;
        }
        let commit = available - 2;
        let old_tail = self.tail;
        let from_tail = self.tail_len.min(commit);
        self.crc_commit(&old_tail[..from_tail]);
        let from_piece = commit - from_tail;
        self.crc_commit(&piece[..from_piece]);
        // The new tail: what is left of the old tail, then the end of the piece (2 bytes in all).
        let mut tail = [0u8; 2];
        let left_of_old = &old_tail[from_tail..self.tail_len];
        tail[..left_of_old.len()].copy_from_slice(left_of_old);
        tail[left_of_old.len()..].copy_from_slice(&piece[from_piece..]);
        self.tail = tail;
        self.tail_len = 2;
    }

    fn crc_commit(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        let start = self.committed;
        let end = start + bytes.len() as u64;
        let data_end = self
            .header_size
            .map(|hs| u64::from(hs) + u64::from(self.data_size));
        match data_end {
            Some(p) if self.crc_at_data_end.is_none() && (start..=end).contains(&p) => {
                let split = (p - start) as usize;
                self.crc.update(&bytes[..split]);
                self.crc_at_data_end = Some(self.crc.clone().finalize());
                self.crc.update(&bytes[split..]);
            }
            _ => self.crc.update(bytes),
        }
        self.committed = end;
    }
}

/// The local definition of a message type, reduced to what the check needs.
#[derive(Debug, Clone, Copy, Default)]
struct Definition {
    global: u16,
    /// Bytes of a data message's content (fields plus developer fields).
    size: u32,
    big_endian: bool,
    /// (offset, size) of `file_id.type` and `file_id.time_created`.
    type_field: Option<(u32, u8)>,
    time_field: Option<(u32, u8)>,
}

#[derive(Debug, Clone, Copy, Default)]
struct FileId {
    type_field_size: Option<u8>,
    file_type: Option<u8>,
    time_created: Option<u32>,
}

/// Where the record parser is, with the file offset of the record being read.
#[derive(Debug, Clone, Copy)]
enum State {
    RecordHeader,
    DefinitionFixed {
        start: u64,
        local: u8,
        developer: bool,
        buf: [u8; 5],
        got: u8,
    },
    Fields {
        start: u64,
        local: u8,
        developer: bool,
        def: Definition,
        left: u8,
        buf: [u8; 3],
        got: u8,
    },
    DeveloperCount {
        start: u64,
        local: u8,
        def: Definition,
    },
    DeveloperFields {
        start: u64,
        local: u8,
        def: Definition,
        left: u8,
        buf: [u8; 3],
        got: u8,
    },
    Data {
        start: u64,
        size: u32,
        at: u32,
    },
}

/// Record framing: definitions are parsed (16 local slots, fixed size), data messages skipped,
/// except the first one, which must be `file_id` and is read for its type.
#[derive(Debug, Clone)]
struct Records {
    defs: [Option<Definition>; 16],
    state: State,
    seen_data: bool,
    /// Set while the first data message (a `file_id`) is being read.
    capture: Option<(Definition, FileId, [u8; 4])>,
    file_id: Option<FileId>,
    error: Option<String>,
}

impl Records {
    fn new() -> Self {
        Records {
            defs: [None; 16],
            state: State::RecordHeader,
            seen_data: false,
            capture: None,
            file_id: None,
            error: None,
        }
    }

    fn feed(&mut self, bytes: &[u8], pos: u64) {
        let mut i = 0;
        while i < bytes.len() && self.error.is_none() {
            match self.state {
                // The bulk of a file: skip data messages without looking at each byte.
                State::Data { start, size, at } if self.capture.is_none() => {
                    let n = clamp(u64::from(size - at), bytes.len() - i);
                    let at = at + n as u32;
                    i += n;
                    self.state = State::Data { start, size, at };
                    if at == size {
                        self.data_done();
                    }
                }
                _ => {
                    self.byte(bytes[i], pos + i as u64);
                    i += 1;
                }
            }
        }
    }

    fn byte(&mut self, b: u8, pos: u64) {
        match self.state {
            State::RecordHeader => {
                if b & 0x80 != 0 {
                    // Compressed timestamp header: a data message, local type in bits 5-6.
                    self.start_data((b >> 5) & 0x03, pos);
                } else if b & 0x40 != 0 {
                    self.state = State::DefinitionFixed {
                        start: pos,
                        local: b & 0x0F,
                        developer: b & 0x20 != 0,
                        buf: [0; 5],
                        got: 0,
                    };
                } else {
                    self.start_data(b & 0x0F, pos);
                }
            }
            State::DefinitionFixed {
                start,
                local,
                developer,
                mut buf,
                got,
            } => {
                buf[usize::from(got)] = b;
                let got = got + 1;
                if got < 5 {
                    self.state = State::DefinitionFixed {
                        start,
                        local,
                        developer,
                        buf,
                        got,
                    };
                    return;
                }
                // reserved, architecture, global message number (2), field count
                let big_endian = match buf[1] {
                    0 => false,
                    1 => true,
                    arch => {
                        self.fail(format!(
                            "FIT definition message at offset {start} has invalid architecture \
                             {arch} (expected 0 or 1)"
                        ));
                        return;
                    }
                };
                let global = if big_endian {
                    u16::from_be_bytes([buf[2], buf[3]])
                } else {
                    u16::from_le_bytes([buf[2], buf[3]])
                };
                let def = Definition {
                    global,
                    big_endian,
                    ..Definition::default()
                };
                if buf[4] == 0 {
                    self.fields_done(start, local, developer, def);
                } else {
                    self.state = State::Fields {
                        start,
                        local,
                        developer,
                        def,
                        left: buf[4],
                        buf: [0; 3],
                        got: 0,
                    };
                }
            }
            State::Fields {
                start,
                local,
                developer,
                mut def,
                left,
                mut buf,
                got,
            } => {
                buf[usize::from(got)] = b;
                let got = got + 1;
                if got < 3 {
                    self.state = State::Fields {
                        start,
                        local,
                        developer,
                        def,
                        left,
                        buf,
                        got,
                    };
                    return;
                }
                let (number, size) = (buf[0], buf[1]);
                if def.global == FILE_ID {
                    if number == FILE_ID_TYPE_FIELD && def.type_field.is_none() {
                        def.type_field = Some((def.size, size));
                    } else if number == FILE_ID_TIME_CREATED_FIELD && def.time_field.is_none() {
                        def.time_field = Some((def.size, size));
                    }
                }
                def.size += u32::from(size);
                if left == 1 {
                    self.fields_done(start, local, developer, def);
                } else {
                    self.state = State::Fields {
                        start,
                        local,
                        developer,
                        def,
                        left: left - 1,
                        buf: [0; 3],
                        got: 0,
                    };
                }
            }
            State::DeveloperCount { start, local, def } => {
                if b == 0 {
                    self.define(local, def);
                } else {
                    self.state = State::DeveloperFields {
                        start,
                        local,
                        def,
                        left: b,
                        buf: [0; 3],
                        got: 0,
                    };
                }
            }
            State::DeveloperFields {
                start,
                local,
                mut def,
                left,
                mut buf,
                got,
            } => {
                buf[usize::from(got)] = b;
                let got = got + 1;
                if got < 3 {
                    self.state = State::DeveloperFields {
                        start,
                        local,
                        def,
                        left,
                        buf,
                        got,
                    };
                    return;
                }
                // field number, size, developer data index
                def.size += u32::from(buf[1]);
                if left == 1 {
                    self.define(local, def);
                } else {
                    self.state = State::DeveloperFields {
                        start,
                        local,
                        def,
                        left: left - 1,
                        buf: [0; 3],
                        got: 0,
                    };
                }
            }
            State::Data { start, size, at } => {
                if let Some((def, file_id, time)) = &mut self.capture {
                    if let Some((offset, field_size)) = def.type_field
                        && at == offset
                        && field_size >= 1
                    {
                        file_id.file_type = Some(b);
                    }
                    if let Some((offset, 4)) = def.time_field
                        && (offset..offset + 4).contains(&at)
                    {
                        time[(at - offset) as usize] = b;
                    }
                }
                let at = at + 1;
                self.state = State::Data { start, size, at };
                if at == size {
                    self.data_done();
                }
            }
        }
    }

    fn fields_done(&mut self, start: u64, local: u8, developer: bool, def: Definition) {
        if developer {
            self.state = State::DeveloperCount { start, local, def };
        } else {
            self.define(local, def);
        }
    }

    fn define(&mut self, local: u8, def: Definition) {
        self.defs[usize::from(local)] = Some(def);
        self.state = State::RecordHeader;
    }

    fn start_data(&mut self, local: u8, pos: u64) {
        let Some(def) = self.defs[usize::from(local)] else {
            self.fail(format!(
                "FIT data message at offset {pos} uses local message type {local}, which has no \
                 definition"
            ));
            return;
        };
        if !self.seen_data {
            self.seen_data = true;
            if def.global != FILE_ID {
                self.fail(format!(
                    "FIT file has no file_id message (the first data message, at offset {pos}, \
                     is global message {})",
                    def.global
                ));
                return;
            }
            let file_id = FileId {
                type_field_size: def.type_field.map(|(_, size)| size),
                ..FileId::default()
            };
            self.capture = Some((def, file_id, [0; 4]));
        }
        self.state = State::Data {
            start: pos,
            size: def.size,
            at: 0,
        };
        if def.size == 0 {
            self.data_done();
        }
    }

    fn data_done(&mut self) {
        self.state = State::RecordHeader;
        if let Some((def, mut file_id, time)) = self.capture.take() {
            if matches!(def.time_field, Some((_, 4))) {
                let value = if def.big_endian {
                    u32::from_be_bytes(time)
                } else {
                    u32::from_le_bytes(time)
                };
                file_id.time_created = (value != u32::MAX).then_some(value);
            }
            self.file_id = Some(file_id);
        }
    }

    fn fail(&mut self, message: String) {
        if self.error.is_none() {
            self.error = Some(message);
        }
    }

    /// The framing verdict at the end of the data: the `file_id` type when all is well.
    fn finish(&self) -> Result<u8> {
        if let Some(message) = &self.error {
            return Err(invalid(message.clone()));
        }
        let incomplete_at = match self.state {
            State::RecordHeader => None,
            State::DefinitionFixed { start, .. }
            | State::Fields { start, .. }
            | State::DeveloperCount { start, .. }
            | State::DeveloperFields { start, .. }
            | State::Data { start, .. } => Some(start),
        };
        if let Some(start) = incomplete_at {
            return Err(invalid(format!(
                "FIT data ends in the middle of the record at offset {start}"
            )));
        }
        let Some(file_id) = self.file_id else {
            return Err(invalid("FIT file has no file_id message".into()));
        };
        match (file_id.type_field_size, file_id.file_type) {
            (None, _) => Err(invalid("FIT file_id message has no type field".into())),
            (Some(size), _) if size != 1 => Err(invalid(format!(
                "FIT file_id type field has size {size} (expected 1)"
            ))),
            (_, Some(ACTIVITY)) => Ok(ACTIVITY),
            (_, Some(other)) => Err(invalid(format!(
                "FIT file type is {other} ({}), expected {ACTIVITY} (activity)",
                file_type_name(other)
            ))),
            (_, None) => Err(invalid("FIT file_id message has no type field".into())),
        }
    }
}

/// Names of the FIT profile's `file` enum, for error messages.
fn file_type_name(value: u8) -> &'static str {
    match value {
        1 => "device",
        2 => "settings",
        3 => "sport",
        4 => "activity",
        5 => "workout",
        6 => "course",
        7 => "schedules",
        9 => "weight",
        10 => "totals",
        11 => "goals",
        14 => "blood_pressure",
        15 => "monitoring_a",
        20 => "activity_summary",
        28 => "monitoring_daily",
        32 => "monitoring_b",
        34 => "segment",
        35 => "segment_list",
        40 => "exd_configuration",
        0xF7..=0xFE => "manufacturer-specific",
        0xFF => "invalid",
        _ => "unknown",
    }
}

fn invalid(message: String) -> Error {
    Error::invalid_input(message)
}

/// `0x1A2B`: the form FIT tools print CRCs in.
fn hex(value: u16) -> String {
    format!("0x{value:04X}")
}

/// Bytes as a quoted string, non-printable bytes escaped (`"\x00FIT"`).
fn quoted(bytes: &[u8]) -> String {
    let mut out = String::from("\"");
    for &b in bytes {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7E => out.push(char::from(b)),
            _ => out.push_str(&format!("\\x{b:02X}")),
        }
    }
    out.push('"');
    out
}

/// `min(remaining, available)` without casting a possibly huge `u64` to `usize` first.
fn clamp(remaining: u64, available: usize) -> usize {
    usize::try_from(remaining).map_or(available, |r| r.min(available))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal FIT builder for unit tests: a file_id definition + message, optional extras.
    struct Builder {
        header_size: u8,
        file_type: u8,
        extra: Vec<u8>,
    }

    impl Builder {
        fn new() -> Self {
            Builder {
                header_size: 14,
                file_type: ACTIVITY,
                extra: Vec::new(),
            }
        }

        fn records(&self) -> Vec<u8> {
            #[rustfmt::skip]
            let mut r = vec![
                0x40,          // definition, local 0
                0, 0,          // reserved, little-endian
                0, 0,          // global 0: file_id
                2,             // two fields
                0, 1, 0x00,    // type: enum
                4, 4, 0x86,    // time_created: uint32
                0x00,          // data, local 0
                self.file_type,
            ];
            r.extend_from_slice(&1_000_000_000u32.to_le_bytes());
            r.extend_from_slice(&self.extra);
            r
        }

        fn build(&self) -> Vec<u8> {
            let records = self.records();
            let mut f = vec![self.header_size, 0x20];
            f.extend_from_slice(&2132u16.to_le_bytes());
            f.extend_from_slice(&(records.len() as u32).to_le_bytes());
            f.extend_from_slice(b".FIT");
            if self.header_size == 14 {
                let crc = FIT_CRC.checksum(&f);
                f.extend_from_slice(&crc.to_le_bytes());
            }
            f.extend_from_slice(&records);
            let crc = FIT_CRC.checksum(&f);
            f.extend_from_slice(&crc.to_le_bytes());
            f
        }
    }

    fn message(result: Result<FitSummary>) -> String {
        match result {
            Err(Error::InvalidInput { message }) => message,
            other => panic!("expected invalid_input, got {other:?}"),
        }
    }

    fn fix_crc(f: &mut [u8]) {
        let n = f.len() - 2;
        let crc = FIT_CRC.checksum(&f[..n]);
        f[n..].copy_from_slice(&crc.to_le_bytes());
    }

    #[test]
    fn crc_is_fit_crc16() {
        // The FIT SDK's reference: CRC of "123456789" with FIT's table is 0xBB3D (CRC-16/ARC).
        assert_eq!(FIT_CRC.checksum(b"123456789"), 0xBB3D);
    }

    #[test]
    fn valid_files_pass() {
        for header_size in [12, 14] {
            let f = Builder {
                header_size,
                ..Builder::new()
            }
            .build();
            let s = check(&f).unwrap();
            assert_eq!(s.header_size, header_size);
            assert_eq!(s.file_type, 4);
            assert_eq!(s.file_size, f.len() as u64);
            assert_eq!(s.data_size as usize, f.len() - header_size as usize - 2);
            assert_eq!(s.time_created, Some(1_000_000_000));
        }
    }

    #[test]
    fn every_chunking_gives_the_same_summary() {
        let mut b = Builder::new();
        // A record definition (global 20) with a developer field, and a few data messages.
        b.extra = vec![0x61, 0, 1, 0, 20, 1, 253, 4, 0x86, 1, 0, 2, 0];
        for i in 0..5u8 {
            b.extra.extend_from_slice(&[0x01, i, i, i, i, 7, 7]);
            b.extra.extend_from_slice(&[0xA1, 9, 9, 9, 9, 9, 9]); // compressed timestamp, local 1
        }
        let f = b.build();
        let whole = check(&f).unwrap();
        for size in 1..f.len() {
            let mut c = FitCheck::new();
            for chunk in f.chunks(size) {
                c.update(chunk).unwrap();
            }
            assert_eq!(c.finish().unwrap(), whole, "chunk size {size}");
        }
    }

    #[test]
    fn header_defects() {
        assert_eq!(message(check(&[])), "FIT file is empty");
        assert_eq!(
            message(check(&[14, 0x20, 0, 0, 0])),
            "FIT file is too short for a header (5 bytes)"
        );
        let f = Builder::new().build();
        assert_eq!(
            message(check(&f[..13])),
            "FIT file is too short for a header (13 bytes)"
        );

        let mut bad = f.clone();
        bad[0] = 10;
        assert_eq!(
            message(check(&bad)),
            "FIT header size 10 is invalid (expected 12 or 14)"
        );

        let mut bad = f.clone();
        bad[8] = b'X';
        assert_eq!(
            message(check(&bad)),
            "not a FIT file: signature is \"XFIT\", expected \".FIT\""
        );
        assert_eq!(
            message(check(b"hello, world! this is text")),
            "not a FIT file: signature is \"orld\", expected \".FIT\""
        );

        let mut bad = f.clone();
        let good = u16::from_le_bytes([bad[12], bad[13]]);
        bad[12..14].copy_from_slice(&0x1234u16.to_le_bytes());
        assert_eq!(
            message(check(&bad)),
            format!("FIT header CRC mismatch: expected 0x1234, computed 0x{good:04X}")
        );

        // 0x0000 means "not computed".
        let mut unset = f.clone();
        unset[12..14].copy_from_slice(&[0, 0]);
        fix_crc(&mut unset);
        check(&unset).unwrap();
    }

    #[test]
    fn header_defects_fail_early_in_update() {
        let mut c = FitCheck::new();
        let err = c.update(b"0123456789AB").unwrap_err();
        assert!(err.to_string().contains("not a FIT file"));
        // Sticky: later chunks and finish report the same defect.
        assert_eq!(c.update(b"more").unwrap_err().to_string(), err.to_string());
        assert_eq!(c.finish().unwrap_err().to_string(), err.to_string());
    }

    #[test]
    fn size_defects() {
        let f = Builder::new().build();
        let data = f.len() - 16;
        assert_eq!(
            message(check(&f[..f.len() - 5])),
            format!(
                "FIT file is truncated: header declares {data} data bytes (plus 2-byte CRC), \
                 file has {} after the header",
                data - 3
            )
        );

        let mut trailing = f.clone();
        trailing.extend_from_slice(&[0, 0, 0]);
        assert_eq!(
            message(check(&trailing)),
            "FIT file has 3 trailing bytes after the CRC"
        );

        let mut chained = f.clone();
        chained.extend_from_slice(&f);
        assert!(message(check(&chained)).contains(&format!(
            "FIT file has {} trailing bytes after the CRC: it holds several chained FIT files",
            f.len()
        )));

        // Header says fewer bytes than the intact file holds.
        let mut shrunk = f.clone();
        shrunk[4..8].copy_from_slice(&((data - 6) as u32).to_le_bytes());
        let crc = FIT_CRC.checksum(&shrunk[..12]);
        shrunk[12..14].copy_from_slice(&crc.to_le_bytes());
        fix_crc(&mut shrunk);
        assert_eq!(
            message(check(&shrunk)),
            format!(
                "FIT data size mismatch: header declares {} data bytes, but the file holds \
                 {data} (plus 2-byte CRC)",
                data - 6
            )
        );
        // ... and more.
        let mut grown = f.clone();
        grown[4..8].copy_from_slice(&((data + 100) as u32).to_le_bytes());
        grown[12..14].copy_from_slice(&[0, 0]);
        fix_crc(&mut grown);
        assert_eq!(
            message(check(&grown)),
            format!(
                "FIT data size mismatch: header declares {} data bytes, but the file holds \
                 {data} (plus 2-byte CRC)",
                data + 100
            )
        );
    }

    #[test]
    fn crc_and_content_defects() {
        let f = Builder::new().build();
        let mut bad = f.clone();
        let n = bad.len();
        let good = u16::from_le_bytes([bad[n - 2], bad[n - 1]]);
        bad[n - 2..].copy_from_slice(&0x1A2Bu16.to_le_bytes());
        assert_eq!(
            message(check(&bad)),
            format!("FIT CRC mismatch: expected 0x1A2B, computed 0x{good:04X}")
        );

        let workout = Builder {
            file_type: 5,
            ..Builder::new()
        }
        .build();
        assert_eq!(
            message(check(&workout)),
            "FIT file type is 5 (workout), expected 4 (activity)"
        );
        let course = Builder {
            file_type: 6,
            ..Builder::new()
        }
        .build();
        assert_eq!(
            message(check(&course)),
            "FIT file type is 6 (course), expected 4 (activity)"
        );
    }

    fn with_records(header_size: u8, records: &[u8]) -> Vec<u8> {
        let mut f = vec![header_size, 0x20, 0, 0];
        f.extend_from_slice(&(records.len() as u32).to_le_bytes());
        f.extend_from_slice(b".FIT");
        if header_size == 14 {
            f.extend_from_slice(&[0, 0]);
        }
        f.extend_from_slice(records);
        let crc = FIT_CRC.checksum(&f);
        f.extend_from_slice(&crc.to_le_bytes());
        f
    }

    #[test]
    fn record_defects() {
        assert_eq!(
            message(check(&with_records(12, &[]))),
            "FIT file has no file_id message"
        );
        // Only a definition.
        assert_eq!(
            message(check(&with_records(12, &[0x40, 0, 0, 0, 0, 1, 0, 1, 0]))),
            "FIT file has no file_id message"
        );
        // First data message is a record (global 20).
        assert_eq!(
            message(check(&with_records(
                12,
                &[0x40, 0, 0, 20, 0, 1, 253, 4, 0x86, 0x00, 1, 2, 3, 4]
            ))),
            "FIT file has no file_id message (the first data message, at offset 21, is global \
             message 20)"
        );
        assert_eq!(
            message(check(&with_records(14, &[0x03, 1, 2]))),
            "FIT data message at offset 14 uses local message type 3, which has no definition"
        );
        assert_eq!(
            message(check(&with_records(
                12,
                &[0x40, 0, 0, 0, 0, 1, 0, 1, 0, 0x00]
            ))),
            "FIT data ends in the middle of the record at offset 21"
        );
        assert_eq!(
            message(check(&with_records(12, &[0x40, 0, 7, 0, 0, 0]))),
            "FIT definition message at offset 12 has invalid architecture 7 (expected 0 or 1)"
        );
        assert_eq!(
            message(check(&with_records(
                12,
                &[0x40, 0, 0, 0, 0, 1, 3, 4, 0x86, 0, 1, 2, 3, 4]
            ))),
            "FIT file_id message has no type field"
        );
        // Big-endian file_id with time_created.
        let be = with_records(
            12,
            &[
                0x40, 0, 1, 0, 0, 2, 4, 4, 0x86, 0, 1, 0, 0x00, 0x3B, 0x9A, 0xCA, 0x00, 4,
            ],
        );
        assert_eq!(check(&be).unwrap().time_created, Some(1_000_000_000));
    }

    #[test]
    fn hostile_sizes_do_not_allocate_or_panic() {
        // Declares 4 GiB of data; only the truncation is reported.
        let mut f = vec![12, 0x20, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF];
        f.extend_from_slice(b".FIT");
        f.extend_from_slice(&[0xFF; 64]);
        assert!(
            message(check(&f)).starts_with("FIT file is truncated: header declares 4294967295")
        );
        // A definition with 255 fields of 255 bytes and 255 developer fields.
        let mut records = vec![0x60, 0, 0, 0, 0, 255];
        for _ in 0..255 {
            records.extend_from_slice(&[1, 255, 0x0D]);
        }
        records.push(255);
        for _ in 0..255 {
            records.extend_from_slice(&[1, 255, 0]);
        }
        records.push(0x00);
        assert_eq!(
            message(check(&with_records(12, &records))),
            format!(
                "FIT data ends in the middle of the record at offset {}",
                12 + records.len() - 1
            )
        );
    }

    /// Random record bytes behind a valid header and CRC: never a panic, and the verdict does not
    /// depend on how the stream is chunked.
    #[test]
    fn random_records_are_handled_the_same_in_any_chunking() {
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..500 {
            let len = (next() % 300) as usize;
            let mut records: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            if next() % 2 == 0 {
                // Start like a real file so the parser gets further.
                records.splice(0..0, [0x40, 0, 0, 0, 0, 1, 0, 1, 0, 0x00, 4]);
            }
            let f = with_records(if next() % 2 == 0 { 12 } else { 14 }, &records);
            let whole = check(&f).map_err(|e| e.to_string());
            for size in [1, 3, 64] {
                let mut c = FitCheck::new();
                let streamed = f
                    .chunks(size)
                    .try_for_each(|chunk| c.update(chunk))
                    .and_then(|()| c.finish())
                    .map_err(|e| e.to_string());
                assert_eq!(streamed, whole);
            }
        }
    }

    #[test]
    fn every_prefix_and_every_single_byte_flip_is_handled() {
        let f = Builder::new().build();
        for n in 0..f.len() {
            assert!(check(&f[..n]).is_err(), "prefix {n}");
        }
        for i in 0..f.len() {
            for bit in 0..8 {
                let mut g = f.clone();
                g[i] ^= 1 << bit;
                let _ = check(&g); // must not panic
            }
        }
    }
}
