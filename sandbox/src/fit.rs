//! FIT activity files: deterministic fixtures for every language's tests, deliberate corruptions,
//! and the validator the sandbox's upload endpoint runs (a server that trusts no client), which
//! parses with the third-party `fitparser` crate (see [`FitValidator`]).
//!
//! Layout written by [`ActivityFile`] (all multi-byte values little endian):
//!
//! ```text
//! 14-byte header: size=14, protocol 0x20, profile u16, data_size u32, ".FIT", header CRC u16
//! def+data  file_id  (global 0)   type, manufacturer, product, serial_number, time_created
//! def       record   (global 20)  timestamp, heart_rate, power, cadence, distance, speed
//! data      record × N            one per second
//! def+data  lap      (global 19)
//! def+data  session  (global 18)
//! def+data  activity (global 34)
//! file CRC u16 over everything before it (header included)
//! ```
//!
//! Every message has a fixed size, so [`ActivityFile::len`] is exact without generating, and
//! [`ActivityFile::write_to`] streams in constant memory (for 100 MB upload tests).

use std::io::{self, Write};

use std::panic::{self, AssertUnwindSafe};

use crc::{CRC_16_ARC, Crc, Digest, Table};
use fitparser::de::{FitDataMessage, FitObject, FitStreamProcessor};
use fitparser::profile::MesgNum;
use fitparser::{ErrorKind, Value};

/// FIT's CRC-16 is CRC-16/ARC (poly 0x8005 reflected, init 0). Slice-by-16 because uploads and
/// fixtures of 100 MB go through it in debug builds.
static FIT_CRC: Crc<u16, Table<16>> = Crc::<u16, Table<16>>::new(&CRC_16_ARC);

/// CRC-16 as used by FIT headers and files.
pub fn fit_crc(bytes: &[u8]) -> u16 {
    FIT_CRC.checksum(bytes)
}

/// `file_id.type` of an activity file.
pub const FILE_TYPE_ACTIVITY: u8 = 4;
/// `file_id.type` of a course file (FIT profile: 5 = workout, 6 = course); what
/// [`Corruption::NotActivity`] writes.
pub const FILE_TYPE_COURSE: u8 = 6;

const HEADER_SIZE: u64 = 14;
const PROTOCOL_VERSION: u8 = 0x20; // 2.0
const PROFILE_VERSION: u16 = 2132; // 21.32
const SIGNATURE: &[u8; 4] = b".FIT";
/// Seconds between the Unix epoch and the FIT epoch (1989-12-31T00:00:00Z).
const FIT_EPOCH_UNIX: u64 = 631_065_600;
/// 2024-01-01T00:00:00Z as a FIT timestamp; fixtures start within two years of it.
const BASE_TIME: u32 = (1_704_067_200 - FIT_EPOCH_UNIX) as u32;
const DEFAULT_RECORDS: u64 = 600;

// Base types (FIT profile): the byte written in a field definition.
const ENUM: u8 = 0x00;
const UINT8: u8 = 0x02;
const UINT16: u8 = 0x84;
const UINT32: u8 = 0x86;
const UINT32Z: u8 = 0x8C;

/// One message definition: local type, global message number, (field number, size, base type).
struct MessageDef {
    local: u8,
    global: u16,
    fields: &'static [(u8, u8, u8)],
}

impl MessageDef {
    /// Bytes of the definition record (header byte included).
    const fn def_len(&self) -> u64 {
        6 + 3 * self.fields.len() as u64
    }

    /// Bytes of one data record (header byte included).
    const fn data_len(&self) -> u64 {
        let mut total = 1;
        let mut i = 0;
        while i < self.fields.len() {
            total += self.fields[i].1 as u64;
            i += 1;
        }
        total
    }

    fn write_def(&self, out: &mut Vec<u8>) {
        out.push(0x40 | self.local);
        out.push(0); // reserved
        out.push(0); // architecture: little endian
        out.extend_from_slice(&self.global.to_le_bytes());
        out.push(self.fields.len() as u8);
        for &(num, size, base) in self.fields {
            out.extend_from_slice(&[num, size, base]);
        }
    }
}

const FILE_ID: MessageDef = MessageDef {
    local: 0,
    global: 0,
    fields: &[
        (0, 1, ENUM),    // type
        (1, 2, UINT16),  // manufacturer
        (2, 2, UINT16),  // product
        (3, 4, UINT32Z), // serial_number
        (4, 4, UINT32),  // time_created
    ],
};

const RECORD: MessageDef = MessageDef {
    local: 1,
    global: 20,
    fields: &[
        (253, 4, UINT32), // timestamp
        (3, 1, UINT8),    // heart_rate, bpm
        (7, 2, UINT16),   // power, W
        (4, 1, UINT8),    // cadence, rpm
        (5, 4, UINT32),   // distance, 1/100 m
        (6, 2, UINT16),   // speed, 1/1000 m/s
    ],
};

const LAP: MessageDef = MessageDef {
    local: 2,
    global: 19,
    fields: &[
        (253, 4, UINT32), // timestamp
        (2, 4, UINT32),   // start_time
        (7, 4, UINT32),   // total_elapsed_time, ms
        (8, 4, UINT32),   // total_timer_time, ms
        (9, 4, UINT32),   // total_distance, 1/100 m
        (0, 1, ENUM),     // event = lap (9)
        (1, 1, ENUM),     // event_type = stop (1)
    ],
};

const SESSION: MessageDef = MessageDef {
    local: 3,
    global: 18,
    fields: &[
        (253, 4, UINT32), // timestamp
        (2, 4, UINT32),   // start_time
        (7, 4, UINT32),   // total_elapsed_time, ms
        (8, 4, UINT32),   // total_timer_time, ms
        (9, 4, UINT32),   // total_distance, 1/100 m
        (5, 1, ENUM),     // sport = cycling (2)
        (6, 1, ENUM),     // sub_sport = generic (0)
        (16, 1, UINT8),   // avg_heart_rate
        (20, 2, UINT16),  // avg_power
        (0, 1, ENUM),     // event = session (8)
        (1, 1, ENUM),     // event_type = stop (1)
    ],
};

const ACTIVITY: MessageDef = MessageDef {
    local: 4,
    global: 34,
    fields: &[
        (253, 4, UINT32), // timestamp
        (0, 4, UINT32),   // total_timer_time, ms
        (1, 2, UINT16),   // num_sessions
        (2, 1, ENUM),     // type = manual (0)
        (3, 1, ENUM),     // event = activity (26)
        (4, 1, ENUM),     // event_type = stop (1)
        (5, 4, UINT32),   // local_timestamp
    ],
};

/// Bytes of a file with zero records: header, all definitions, the fixed data messages, file CRC.
const FIXED_LEN: u64 = HEADER_SIZE
    + FILE_ID.def_len()
    + FILE_ID.data_len()
    + RECORD.def_len()
    + LAP.def_len()
    + LAP.data_len()
    + SESSION.def_len()
    + SESSION.data_len()
    + ACTIVITY.def_len()
    + ACTIVITY.data_len()
    + 2;
const RECORD_LEN: u64 = RECORD.data_len();
/// data_size is a u32, which caps the record count (a file of about 4 GiB).
const MAX_RECORDS: u64 = (u32::MAX as u64 - (FIXED_LEN - HEADER_SIZE - 2)) / RECORD_LEN;

/// splitmix64: tiny, deterministic, good enough to make fixtures differ by seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A synthetic cycling activity in FIT format, fully determined by its seed and options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityFile {
    seed: u64,
    records: u64,
    file_type: u8,
}

impl ActivityFile {
    /// 600 one-second records (10 minutes), file type 4 (activity).
    pub fn new(seed: u64) -> Self {
        ActivityFile {
            seed,
            records: DEFAULT_RECORDS,
            file_type: FILE_TYPE_ACTIVITY,
        }
    }

    /// Number of `record` messages (capped so data_size fits in a u32).
    pub fn records(mut self, n: u64) -> Self {
        self.records = n.min(MAX_RECORDS);
        self
    }

    /// Picks the record count so the file is `bytes` long, give or take half a record
    /// (a record is 14 bytes); never fewer than zero records (about 140 bytes).
    pub fn target_size(self, bytes: u64) -> Self {
        let n = (bytes.saturating_sub(FIXED_LEN) + RECORD_LEN / 2) / RECORD_LEN;
        self.records(n)
    }

    /// `file_id.type`; anything but 4 makes the file fail [`validate`].
    pub fn file_type(mut self, t: u8) -> Self {
        self.file_type = t;
        self
    }

    /// Exact size in bytes of what [`write_to`](Self::write_to) produces.
    pub fn len(&self) -> u64 {
        FIXED_LEN + self.records * RECORD_LEN
    }

    /// Always false: even zero records leave the header and summary messages.
    pub fn is_empty(&self) -> bool {
        false
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.len() as usize);
        self.write_to(&mut out)
            .expect("writing to a Vec cannot fail");
        out
    }

    /// Streams the file into `w` in constant memory; returns the bytes written (= `len()`).
    pub fn write_to<W: Write>(&self, w: W) -> io::Result<u64> {
        let mut out = CrcWriter::new(w);
        let mut rng = Rng(self.seed);
        let start = BASE_TIME + rng.below(2 * 365 * 86_400) as u32;
        let serial = 1_000_000 + rng.below(9_000_000) as u32;
        let data_size = (self.len() - HEADER_SIZE - 2) as u32;

        let mut header = Vec::with_capacity(HEADER_SIZE as usize);
        header.push(HEADER_SIZE as u8);
        header.push(PROTOCOL_VERSION);
        header.extend_from_slice(&PROFILE_VERSION.to_le_bytes());
        header.extend_from_slice(&data_size.to_le_bytes());
        header.extend_from_slice(SIGNATURE);
        let header_crc = fit_crc(&header);
        header.extend_from_slice(&header_crc.to_le_bytes());
        out.put(&header)?;

        let mut buf = Vec::with_capacity(256);
        FILE_ID.write_def(&mut buf);
        buf.push(FILE_ID.local);
        buf.push(self.file_type);
        buf.extend_from_slice(&255u16.to_le_bytes()); // manufacturer: development
        buf.extend_from_slice(&1u16.to_le_bytes()); // product
        buf.extend_from_slice(&serial.to_le_bytes());
        buf.extend_from_slice(&start.to_le_bytes());
        RECORD.write_def(&mut buf);
        out.put(&buf)?;

        // A gentle random walk so the values look like a ride and differ by seed.
        let mut heart_rate: u64 = 110 + rng.below(20);
        let mut power: u64 = 170 + rng.below(60);
        let mut distance_cm: u64 = 0;
        let (mut hr_sum, mut power_sum) = (0u64, 0u64);
        let mut rec = [0u8; RECORD_LEN as usize];
        for i in 0..self.records {
            heart_rate = (heart_rate + rng.below(5)).saturating_sub(2).clamp(95, 185);
            power = (power + rng.below(21)).saturating_sub(10).clamp(80, 400);
            let cadence = 80 + rng.below(16);
            let speed_mm_s = 7_000 + power * 10 + rng.below(500);
            distance_cm += speed_mm_s / 10;
            hr_sum += heart_rate;
            power_sum += power;

            rec[0] = RECORD.local;
            rec[1..5].copy_from_slice(&(start.wrapping_add(i as u32)).to_le_bytes());
            rec[5] = heart_rate as u8;
            rec[6..8].copy_from_slice(&(power as u16).to_le_bytes());
            rec[8] = cadence as u8;
            rec[9..13].copy_from_slice(&(distance_cm as u32).to_le_bytes());
            rec[13..15].copy_from_slice(&(speed_mm_s as u16).to_le_bytes());
            out.put(&rec)?;
        }

        let n = self.records.max(1);
        let end = start.wrapping_add(self.records as u32);
        let elapsed_ms = (self.records as u32).saturating_mul(1000);
        let distance = distance_cm as u32;
        buf.clear();
        LAP.write_def(&mut buf);
        buf.push(LAP.local);
        for v in [end, start, elapsed_ms, elapsed_ms, distance] {
            buf.extend_from_slice(&v.to_le_bytes());
        }
        buf.extend_from_slice(&[9, 1]);
        SESSION.write_def(&mut buf);
        buf.push(SESSION.local);
        for v in [end, start, elapsed_ms, elapsed_ms, distance] {
            buf.extend_from_slice(&v.to_le_bytes());
        }
        buf.extend_from_slice(&[2, 0, (hr_sum / n) as u8]);
        buf.extend_from_slice(&((power_sum / n) as u16).to_le_bytes());
        buf.extend_from_slice(&[8, 1]);
        ACTIVITY.write_def(&mut buf);
        buf.push(ACTIVITY.local);
        buf.extend_from_slice(&end.to_le_bytes());
        buf.extend_from_slice(&elapsed_ms.to_le_bytes());
        buf.extend_from_slice(&1u16.to_le_bytes());
        buf.extend_from_slice(&[0, 26, 1]);
        buf.extend_from_slice(&end.wrapping_add(3600).to_le_bytes()); // local time, UTC+1
        out.put(&buf)?;

        out.finish()
    }
}

/// Buffers writes, feeds them to the file CRC, and appends the CRC at the end.
struct CrcWriter<W: Write> {
    inner: W,
    buf: Vec<u8>,
    digest: Digest<'static, u16, Table<16>>,
    written: u64,
}

impl<W: Write> CrcWriter<W> {
    const CAPACITY: usize = 64 * 1024;

    fn new(inner: W) -> Self {
        CrcWriter {
            inner,
            buf: Vec::with_capacity(Self::CAPACITY),
            digest: FIT_CRC.digest(),
            written: 0,
        }
    }

    fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.digest.update(bytes);
        self.buf.extend_from_slice(bytes);
        if self.buf.len() >= Self::CAPACITY {
            self.flush_buf()?;
        }
        Ok(())
    }

    fn flush_buf(&mut self) -> io::Result<()> {
        self.inner.write_all(&self.buf)?;
        self.written += self.buf.len() as u64;
        self.buf.clear();
        Ok(())
    }

    fn finish(mut self) -> io::Result<u64> {
        let crc = self.digest.clone().finalize();
        self.buf.extend_from_slice(&crc.to_le_bytes());
        self.flush_buf()?;
        self.inner.flush()?;
        Ok(self.written)
    }
}

/// Ways [`corrupt`] damages a valid file. Each one trips exactly one check of [`validate`]:
/// every other header and CRC field is recomputed so the intended defect is the only one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Corruption {
    /// Zero bytes. → "empty file"
    Empty,
    /// The first half of the file. → "truncated: …"
    Truncated,
    /// ".FIT" replaced by ".TIF". → "missing \".FIT\" signature …"
    WrongSignature,
    /// Wrong (non-zero) header CRC. → "header CRC mismatch …"
    BadHeaderCrc,
    /// Wrong file CRC. → "file CRC mismatch …"
    BadFileCrc,
    /// `file_id.type` = 6 (course). → "not an activity file: …"
    NotActivity,
    /// Header data_size one less than the actual data. → "data size mismatch: …"
    DataSizeMismatch,
}

impl Corruption {
    pub const ALL: [Corruption; 7] = [
        Corruption::Empty,
        Corruption::Truncated,
        Corruption::WrongSignature,
        Corruption::BadHeaderCrc,
        Corruption::BadFileCrc,
        Corruption::NotActivity,
        Corruption::DataSizeMismatch,
    ];

    /// The start of the message [`validate`] returns for a file damaged this way.
    pub fn error_prefix(self) -> &'static str {
        match self {
            Corruption::Empty => "empty file",
            Corruption::Truncated => "truncated",
            Corruption::WrongSignature => "missing \".FIT\" signature",
            Corruption::BadHeaderCrc => "header CRC mismatch",
            Corruption::BadFileCrc => "file CRC mismatch",
            Corruption::NotActivity => "not an activity file",
            Corruption::DataSizeMismatch => "data size mismatch",
        }
    }
}

/// Damages a copy of `valid` (a file that passes [`validate`]) the way `how` says.
pub fn corrupt(valid: &[u8], how: Corruption) -> Vec<u8> {
    let mut b = valid.to_vec();
    let header_size = b.first().map_or(0, |&h| h as usize);
    let has_header = b.len() >= header_size + 2 && (header_size == 12 || header_size == 14);
    match how {
        Corruption::Empty => return Vec::new(),
        Corruption::Truncated => {
            b.truncate(valid.len() / 2);
            return b;
        }
        _ if !has_header => return b,
        Corruption::WrongSignature => {
            b[8..12].copy_from_slice(b".TIF");
            fix_header_crc(&mut b);
        }
        Corruption::BadHeaderCrc => {
            if header_size == 14 {
                let good = fit_crc(&b[..12]);
                let bad = if good ^ 0xA5A5 != 0 {
                    good ^ 0xA5A5
                } else {
                    good ^ 0x5A5A
                };
                b[12..14].copy_from_slice(&bad.to_le_bytes());
            }
        }
        Corruption::BadFileCrc => {
            let n = b.len();
            b[n - 2] ^= 0xFF;
            return b;
        }
        Corruption::NotActivity => {
            if let Some(at) = file_type_offset(&b) {
                b[at] = FILE_TYPE_COURSE;
            }
        }
        Corruption::DataSizeMismatch => {
            let declared = u32::from_le_bytes([b[4], b[5], b[6], b[7]]);
            let wrong = declared.checked_sub(1).unwrap_or(1);
            b[4..8].copy_from_slice(&wrong.to_le_bytes());
            fix_header_crc(&mut b);
        }
    }
    fix_file_crc(&mut b);
    b
}

fn fix_header_crc(b: &mut [u8]) {
    if b[0] == 14 {
        let crc = fit_crc(&b[..12]);
        b[12..14].copy_from_slice(&crc.to_le_bytes());
    }
}

fn fix_file_crc(b: &mut [u8]) {
    let n = b.len();
    let crc = fit_crc(&b[..n - 2]);
    b[n - 2..].copy_from_slice(&crc.to_le_bytes());
}

/// Absolute offset of the `file_id.type` byte in a file laid out as [`ActivityFile`] writes it
/// (the file_id definition right after the header, `type` its first field); `None` for any
/// other layout.
fn file_type_offset(bytes: &[u8]) -> Option<usize> {
    let header = *bytes.first()? as usize;
    let mut def = Vec::new();
    FILE_ID.write_def(&mut def);
    let data = header + def.len();
    (bytes.get(header..data)? == def.as_slice() && bytes.get(data) == Some(&FILE_ID.local))
        .then_some(data + 1)
}

/// The server's check of an uploaded file; `Err` says what is wrong, in words an API error
/// description can carry. Same result as feeding [`FitValidator`] the whole file at once.
pub fn validate(bytes: &[u8]) -> Result<(), String> {
    let mut v = FitValidator::new();
    v.update(bytes)?;
    v.finish().map(|_| ())
}

/// What a successful validation saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FitSummary {
    /// Total bytes, header and CRC included.
    pub size: u64,
    /// Data messages (file_id, records, lap, …).
    pub data_messages: u64,
}

/// The upload check: feed chunks in order with [`update`](Self::update), then
/// [`finish`](Self::finish).
///
/// The FIT structure is parsed by the third-party `fitparser` crate, not by code of this
/// repository, so the sandbox is an oracle independent of the core's pre-flight
/// (`enduco::fit`): a defective file both accept would have to fool two unrelated parsers.
/// fitparser checks the `.FIT` signature, the header CRC (when non-zero), the framing of every
/// definition and data message (a data message needs an earlier definition of its local type,
/// developer fields need their field_description), and the file CRC, read where the header's
/// data_size says the data ends. Its errors are reworded below into the reasons the API gives.
///
/// What fitparser leaves to its caller is checked here by hand, each in a few lines:
/// - an empty body: fitparser parses zero bytes as zero FIT files without complaint;
/// - the header size byte must be 12 or 14: fitparser reads 12 bytes plus a CRC whatever the
///   byte says (and its "bytes needed" arithmetic underflows on a size smaller than the input);
/// - protocol major version at most 2 and architecture 0 or 1 in definitions: fitparser reads
///   any version, and any architecture other than 1 as little endian;
/// - every message must end within data_size: fitparser only compares positions for equality,
///   so a message running past the declared end makes it look for a chained file's header;
/// - nothing after the file CRC: fitparser reads further bytes as chained FIT files, which
///   enduco does not take (one activity per upload);
/// - the first data message is file_id with type 4 (activity): a server policy, not FIT
///   validity, so no parser checks it;
/// - a file that stops early: fitparser only says it needs more bytes, which a stream cannot
///   tell from the end of the body until [`finish`](Self::finish).
///
/// Memory: fitparser's `FitStreamProcessor` parses one object (header, message, CRC) at a time
/// from a slice and answers `UnexpectedEof` when the slice ends inside one, so the validator
/// keeps only the unfinished object's bytes (a FIT message is at most about 130 KB) next to
/// the chunk being fed. A 512 MiB upload is never held in memory and needs no temporary file;
/// fitparser's whole-file entry points (`from_bytes`, `from_reader`) would read the entire file
/// and return every decoded record, several times its size in heap.
pub struct FitValidator {
    processor: FitStreamProcessor,
    /// Bytes received but not consumed by fitparser yet: an unfinished header or message.
    pending: Vec<u8>,
    /// Absolute offset of `pending[0]`.
    offset: u64,
    total: u64,
    header: Option<Header>,
    data_messages: u64,
    /// The file CRC has been read: later bytes are only counted.
    crc_read: bool,
    /// fitparser's file CRC mismatch, reported by `finish` unless bytes follow the CRC (then the
    /// data size is the defect: the CRC was read at the wrong place).
    crc_error: Option<String>,
    error: Option<String>,
}

#[derive(Debug, Clone, Copy)]
struct Header {
    len: u64,
    data_size: u64,
}

impl Header {
    /// Absolute offset where the data ends and the file CRC starts.
    fn data_end(&self) -> u64 {
        self.len + self.data_size
    }
}

impl Default for FitValidator {
    fn default() -> Self {
        Self::new()
    }
}

impl FitValidator {
    pub fn new() -> Self {
        FitValidator {
            processor: FitStreamProcessor::new(),
            pending: Vec::new(),
            offset: 0,
            total: 0,
            header: None,
            data_messages: 0,
            crc_read: false,
            crc_error: None,
            error: None,
        }
    }

    /// Feeds the next chunk. An `Err` is final: later calls return it again, and
    /// [`finish`](Self::finish) reports it too.
    pub fn update(&mut self, chunk: &[u8]) -> Result<(), String> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        self.total += chunk.len() as u64;
        if self.crc_read {
            return Ok(()); // trailing bytes: counted, reported by finish()
        }
        self.pending.extend_from_slice(chunk);
        let result = self.parse();
        if let Err(e) = &result {
            self.error = Some(e.clone());
            self.pending = Vec::new();
        }
        result
    }

    /// Hands fitparser every complete object in `pending`, then drops the bytes it consumed.
    fn parse(&mut self) -> Result<(), String> {
        let mut used = 0;
        let result = loop {
            if self.crc_read || used == self.pending.len() {
                break Ok(());
            }
            let at = self.offset + used as u64;
            let input = &self.pending[used..];
            if self.header.is_none() {
                let size = input[0];
                if size != 12 && size != 14 {
                    break Err(format!(
                        "unsupported FIT header size {size} (expected 12 or 14)"
                    ));
                }
                if input.len() < size as usize {
                    break Ok(()); // wait for the rest of the header
                }
            }
            // fitparser reads the file CRC with a `complete` parser, so a CRC split across two
            // chunks would be a parse error rather than "needs more bytes": wait for both.
            if self.header.is_some_and(|h| at == h.data_end()) && input.len() < 2 {
                break Ok(());
            }
            // Bytes 1 and 2 of the object: the header's protocol version, a definition
            // message's architecture.
            let head = [input.get(1).copied(), input.get(2).copied()];
            let processor = &mut self.processor;
            // fitparser can panic on hostile input (its own docs say so of field sizes that
            // are not a multiple of the base type; developer fields are not checked for that).
            // A panic is a refusal here, not a dropped connection.
            let step = panic::catch_unwind(AssertUnwindSafe(|| processor.deserialize_next(input)));
            match step {
                Err(_) => {
                    break Err(format!(
                        "the FIT parser (fitparser) failed on the data at byte {at}"
                    ));
                }
                Ok(Ok((rest, object))) => {
                    let len = (input.len() - rest.len()) as u64;
                    used += len as usize;
                    if let Err(e) = self.accept(object, at, len, head) {
                        break Err(e);
                    }
                }
                Ok(Err(e)) => match *e {
                    ErrorKind::UnexpectedEof(_) => break Ok(()), // the object is unfinished
                    ErrorKind::InvalidCrc((_, FitObject::Crc(_), stored, computed)) => {
                        used += 2;
                        self.crc_read = true;
                        self.crc_error = Some(format!(
                            "file CRC mismatch (stored 0x{stored:04X}, computed 0x{computed:04X})"
                        ));
                    }
                    e => break Err(self.describe(e, at, input)),
                },
            }
        };
        self.offset += used as u64;
        self.pending.drain(..used);
        result
    }

    /// Checks what fitparser does not about one object it parsed (`len` bytes at `at`).
    fn accept(
        &mut self,
        object: FitObject,
        at: u64,
        len: u64,
        head: [Option<u8>; 2],
    ) -> Result<(), String> {
        let object = match (object, self.header) {
            (FitObject::Header(h), _) => {
                let protocol = head[0].unwrap_or_default();
                if protocol >> 4 > 2 {
                    return Err(format!(
                        "unsupported FIT protocol version {}.{}",
                        protocol >> 4,
                        protocol & 0x0F
                    ));
                }
                self.header = Some(Header {
                    len,
                    data_size: h.data_size() as u64,
                });
                return Ok(());
            }
            (FitObject::Crc(_), _) => {
                self.crc_read = true;
                return Ok(());
            }
            (object, Some(header)) => {
                if at + len > header.data_end() {
                    return Err(format!(
                        "data size mismatch: the header declares {} data bytes (ending at byte \
                         {}) but the message at byte {at} runs to byte {}",
                        header.data_size,
                        header.data_end(),
                        at + len
                    ));
                }
                object
            }
            (_, None) => unreachable!("fitparser reads the header first"),
        };
        match object {
            FitObject::DefinitionMessage(_) => match head[1] {
                Some(0 | 1) => Ok(()),
                other => Err(format!(
                    "definition message at byte {at} has unknown architecture {}",
                    other.unwrap_or_default()
                )),
            },
            FitObject::DataMessage(message) => {
                if self.data_messages == 0 {
                    check_file_id(&message, at)?;
                }
                self.data_messages += 1;
                if message.global_message_number() == MesgNum::FieldDescription.as_u16() {
                    // Decoding a field_description teaches fitparser the developer field it
                    // describes; without it later messages carrying that field do not parse.
                    let processor = &mut self.processor;
                    let decoded =
                        panic::catch_unwind(AssertUnwindSafe(|| processor.decode_message(message)));
                    match decoded {
                        Ok(Ok(_)) => {}
                        Ok(Err(e)) => {
                            return Err(format!(
                                "field_description message at byte {at} does not decode: {e}"
                            ));
                        }
                        Err(_) => {
                            return Err(format!(
                                "the FIT parser (fitparser) failed on the field_description \
                                 message at byte {at}"
                            ));
                        }
                    }
                }
                Ok(())
            }
            FitObject::Header(_) | FitObject::Crc(_) => Ok(()),
        }
    }

    /// Words for a fitparser error on the object starting at `at` (`input` starts there too).
    fn describe(&self, error: ErrorKind, at: u64, input: &[u8]) -> String {
        match error {
            ErrorKind::InvalidCrc((_, FitObject::Header(_), stored, computed)) => {
                format!("header CRC mismatch (stored 0x{stored:04X}, computed 0x{computed:04X})")
            }
            // With the size byte checked and the whole header at hand, the signature is the
            // only part of the header fitparser can fail to parse.
            ErrorKind::ParseError(..) if self.header.is_none() => {
                format!(
                    "missing \".FIT\" signature (bytes 8..12 are {:?})",
                    String::from_utf8_lossy(input.get(8..12).unwrap_or_default())
                )
            }
            ErrorKind::MissingDefinitionMessage(local, _) => format!(
                "data message at byte {at} uses local message type {local}, which has no definition"
            ),
            other => format!("malformed FIT data at byte {at}: {other}"),
        }
    }

    /// Final checks once the whole body has been fed.
    pub fn finish(self) -> Result<FitSummary, String> {
        if let Some(e) = self.error {
            return Err(e);
        }
        if self.total == 0 {
            return Err("empty file".into());
        }
        let Some(header) = self.header else {
            return Err(format!(
                "truncated: {} bytes is shorter than the {}-byte FIT header",
                self.total, self.pending[0]
            ));
        };
        let expected = header.data_end() + 2;
        if !self.crc_read {
            if self.total < expected {
                return Err(format!(
                    "truncated: the header declares {} data bytes ({expected} bytes in all) but \
                     the file has only {} bytes",
                    header.data_size, self.total
                ));
            }
            // Enough bytes, yet fitparser still waits inside the message at `offset`: it runs
            // past the end of the data.
            return Err(format!(
                "the message at byte {} is cut off by the end of the data (byte {})",
                self.offset,
                header.data_end()
            ));
        }
        if self.total > expected {
            return Err(format!(
                "data size mismatch: the header declares {} data bytes but {} more bytes follow \
                 the file CRC",
                header.data_size,
                self.total - expected
            ));
        }
        if let Some(e) = self.crc_error {
            return Err(e);
        }
        if self.data_messages == 0 {
            return Err("no file_id message: the file contains no data messages".into());
        }
        Ok(FitSummary {
            size: self.total,
            data_messages: self.data_messages,
        })
    }
}

/// The first data message must be file_id with type 4: enduco takes activities only.
fn check_file_id(message: &FitDataMessage, at: u64) -> Result<(), String> {
    let global = message.global_message_number();
    if global != MesgNum::FileId.as_u16() {
        return Err(format!(
            "the first data message (byte {at}) is global message {global} ({}), not file_id (0)",
            MesgNum::from(global)
        ));
    }
    // fitparser leaves out fields holding the base type's "invalid" value (0xFF for an enum).
    let file_type = match message.fields().get(&0) {
        Some(Value::Enum(t)) => *t,
        Some(other) => return Err(format!("file_id type is not an enum: {other:?}")),
        None => return Err("file_id has no type field".into()),
    };
    if file_type != FILE_TYPE_ACTIVITY {
        return Err(format!(
            "not an activity file: file_id type is {file_type} (expected {FILE_TYPE_ACTIVITY} = \
             activity)"
        ));
    }
    Ok(())
}

/// Unix seconds of a FIT timestamp (for tests and tools).
pub fn fit_time_to_unix(t: u32) -> u64 {
    t as u64 + FIT_EPOCH_UNIX
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_file_is_valid_and_len_is_exact() {
        for records in [0, 1, 600, 5_000] {
            let file = ActivityFile::new(7).records(records);
            let bytes = file.to_bytes();
            assert_eq!(bytes.len() as u64, file.len());
            validate(&bytes).unwrap();
            let mut v = FitValidator::new();
            v.update(&bytes).unwrap();
            let summary = v.finish().unwrap();
            assert_eq!(summary.data_messages, records + 4);
        }
    }

    #[test]
    fn header_fields() {
        let bytes = ActivityFile::new(1).to_bytes();
        assert_eq!(bytes[0], 14);
        assert_eq!(bytes[1], 0x20);
        assert_eq!(&bytes[8..12], b".FIT");
        let data_size = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) as usize;
        assert_eq!(data_size, bytes.len() - 16);
        assert_eq!(
            u16::from_le_bytes([bytes[12], bytes[13]]),
            fit_crc(&bytes[..12])
        );
        let n = bytes.len();
        assert_eq!(
            u16::from_le_bytes([bytes[n - 2], bytes[n - 1]]),
            fit_crc(&bytes[..n - 2])
        );
        // The CRC of a whole FIT file, its own CRC included, is zero.
        assert_eq!(fit_crc(&bytes), 0);
    }

    #[test]
    fn deterministic_and_seed_dependent() {
        assert_eq!(
            ActivityFile::new(3).to_bytes(),
            ActivityFile::new(3).to_bytes()
        );
        assert_ne!(
            ActivityFile::new(3).to_bytes(),
            ActivityFile::new(4).to_bytes()
        );
    }

    #[test]
    fn chunked_validation_matches_whole() {
        let bytes = ActivityFile::new(9).records(300).to_bytes();
        for chunk in [1, 2, 3, 7, 13, 64, 4096] {
            let mut v = FitValidator::new();
            for c in bytes.chunks(chunk) {
                v.update(c).unwrap();
            }
            v.finish().unwrap();
        }
        for how in Corruption::ALL {
            let bad = corrupt(&bytes, how);
            let whole = validate(&bad).unwrap_err();
            let mut v = FitValidator::new();
            let streamed = bad
                .chunks(5)
                .try_for_each(|c| v.update(c))
                .and_then(|()| v.finish().map(|_| ()))
                .unwrap_err();
            assert_eq!(whole, streamed, "{how:?}");
        }
    }

    #[test]
    fn each_corruption_gives_its_error() {
        let valid = ActivityFile::new(42).to_bytes();
        for how in Corruption::ALL {
            let bad = corrupt(&valid, how);
            let err = validate(&bad).unwrap_err();
            assert!(
                err.starts_with(how.error_prefix()),
                "{how:?}: unexpected error {err:?}"
            );
        }
    }

    #[test]
    fn not_activity_changes_only_the_type() {
        let valid = ActivityFile::new(5).to_bytes();
        let bad = corrupt(&valid, Corruption::NotActivity);
        let expected = ActivityFile::new(5).file_type(FILE_TYPE_COURSE).to_bytes();
        assert!(bad == expected, "NotActivity changed more than the type");
        assert_eq!(
            validate(&bad).unwrap_err(),
            "not an activity file: file_id type is 6 (expected 4 = activity)"
        );
    }

    #[test]
    fn target_size_is_close() {
        for size in [1_000u64, 10_000, 1_000_000, 10_000_000] {
            let file = ActivityFile::new(0).target_size(size);
            assert!(file.len().abs_diff(size) <= RECORD_LEN / 2 + 1, "{size}");
        }
        assert_eq!(ActivityFile::new(0).target_size(0).len(), FIXED_LEN);
    }

    #[test]
    fn streaming_write_counts_bytes() {
        let file = ActivityFile::new(11).records(20_000);
        let mut sink = Vec::new();
        let n = file.write_to(&mut sink).unwrap();
        assert_eq!(n, file.len());
        assert_eq!(sink, file.to_bytes());
    }

    #[test]
    fn other_structural_errors() {
        // A 12-byte header (no header CRC) is accepted.
        let valid = ActivityFile::new(2).records(10).to_bytes();
        let mut short = vec![12];
        short.extend_from_slice(&valid[1..12]);
        short.extend_from_slice(&valid[14..]);
        fix_file_crc(&mut short);
        validate(&short).unwrap();

        // A zero header CRC means "not computed".
        let mut zero = valid.clone();
        zero[12..14].copy_from_slice(&[0, 0]);
        fix_file_crc(&mut zero);
        validate(&zero).unwrap();

        assert!(
            validate(&[13; 20])
                .unwrap_err()
                .starts_with("unsupported FIT header size 13")
        );
        assert!(validate(&valid[..10]).unwrap_err().starts_with("truncated"));

        // A data message before any definition.
        let mut undefined = valid[..14].to_vec();
        undefined.extend_from_slice(&[0x05, 0, 0]);
        let len = (undefined.len() - 14) as u32;
        undefined[4..8].copy_from_slice(&len.to_le_bytes());
        fix_header_crc(&mut undefined);
        undefined.extend_from_slice(&[0, 0]);
        fix_file_crc(&mut undefined);
        assert!(
            validate(&undefined)
                .unwrap_err()
                .contains("has no definition")
        );

        // First message is a record, not file_id.
        let mut buf = valid[..14].to_vec();
        RECORD.write_def(&mut buf);
        buf.push(RECORD.local);
        buf.extend_from_slice(&[0; (RECORD_LEN - 1) as usize]);
        let len = (buf.len() - 14) as u32;
        buf[4..8].copy_from_slice(&len.to_le_bytes());
        fix_header_crc(&mut buf);
        buf.extend_from_slice(&[0, 0]);
        fix_file_crc(&mut buf);
        assert!(validate(&buf).unwrap_err().contains("not file_id"));

        // Header claims more records than present, with all CRCs right: cut-off record.
        let mut cut = valid[..valid.len() - 2 - 5].to_vec();
        let len = (cut.len() - 14) as u32;
        cut[4..8].copy_from_slice(&len.to_le_bytes());
        fix_header_crc(&mut cut);
        cut.extend_from_slice(&[0, 0]);
        fix_file_crc(&mut cut);
        assert!(validate(&cut).unwrap_err().contains("cut off"));
    }
    #[test]
    fn bytes_after_the_crc_are_refused() {
        let valid = ActivityFile::new(3).records(10).to_bytes();
        let mut padded = valid.clone();
        padded.extend_from_slice(&[0; 5]);
        assert_eq!(
            validate(&padded).unwrap_err(),
            format!(
                "data size mismatch: the header declares {} data bytes but 5 more bytes follow \
                 the file CRC",
                valid.len() - 16
            )
        );
        // Two files back to back: fitparser would read the second as a chained file.
        let mut chained = valid.clone();
        chained.extend_from_slice(&valid);
        assert!(
            validate(&chained)
                .unwrap_err()
                .starts_with("data size mismatch")
        );
        // data_size short by a whole message: the "CRC" read there mismatches, but the defect
        // named is the size.
        let mut short = valid.clone();
        let declared = u32::from_le_bytes([short[4], short[5], short[6], short[7]]);
        short[4..8].copy_from_slice(&(declared - ACTIVITY.data_len() as u32).to_le_bytes());
        fix_header_crc(&mut short);
        fix_file_crc(&mut short);
        assert!(
            validate(&short)
                .unwrap_err()
                .starts_with("data size mismatch")
        );
    }

    #[test]
    fn other_header_and_definition_defects() {
        let valid = ActivityFile::new(4).records(3).to_bytes();
        let mut protocol = valid.clone();
        protocol[1] = 0x30;
        fix_header_crc(&mut protocol);
        fix_file_crc(&mut protocol);
        assert_eq!(
            validate(&protocol).unwrap_err(),
            "unsupported FIT protocol version 3.0"
        );
        let mut arch = valid.clone();
        arch[14 + 2] = 7; // the file_id definition's architecture byte
        fix_file_crc(&mut arch);
        assert_eq!(
            validate(&arch).unwrap_err(),
            "definition message at byte 14 has unknown architecture 7"
        );
        // A header with no data messages at all.
        let mut bare = valid[..14].to_vec();
        bare[4..8].copy_from_slice(&0u32.to_le_bytes());
        fix_header_crc(&mut bare);
        bare.extend_from_slice(&[0, 0]);
        fix_file_crc(&mut bare);
        assert!(
            validate(&bare)
                .unwrap_err()
                .starts_with("no file_id message")
        );
        assert!(
            validate(&valid[..9])
                .unwrap_err()
                .starts_with("truncated: 9 bytes is shorter than the 14-byte FIT header")
        );
    }

    /// A file_id, then a developer field: developer_data_id, field_description (index 0, field
    /// 0, uint16 "watts"), and a record carrying that field. Parses only because the
    /// field_description is decoded on the way.
    fn with_developer_field(dev_size: u8) -> Vec<u8> {
        let mut b = ActivityFile::new(1).records(0).to_bytes()[..14].to_vec();
        FILE_ID.write_def(&mut b);
        b.extend_from_slice(&[FILE_ID.local, FILE_TYPE_ACTIVITY]);
        b.extend_from_slice(&[255, 0, 1, 0]); // manufacturer, product
        b.extend_from_slice(&[1, 0, 0, 0, 1, 0, 0, 0]); // serial_number, time_created
        // developer_data_id (207): developer_data_index (3, uint8) = 0.
        b.extend_from_slice(&[0x45, 0, 0, 207, 0, 1, 3, 1, UINT8, 0x05, 0]);
        // field_description (206): developer_data_index (0), field_definition_number (1),
        // fit_base_type_id (2), field_name (3, string).
        b.extend_from_slice(&[
            0x46, 0, 0, 206, 0, 4, 0, 1, UINT8, 1, 1, UINT8, 2, 1, UINT8, 3, 6, 0x07,
        ]);
        b.extend_from_slice(&[0x06, 0, 0, UINT16, b'w', b'a', b't', b't', b's', 0]);
        // record (20) with timestamp and developer field (0, size dev_size, index 0).
        b.extend_from_slice(&[0x67, 0, 0, 20, 0, 1, 253, 4, UINT32, 1, 0, dev_size, 0]);
        b.push(0x07);
        b.extend_from_slice(&BASE_TIME.to_le_bytes());
        b.extend(std::iter::repeat_n(0x10, dev_size as usize));
        let len = (b.len() - 14) as u32;
        b[4..8].copy_from_slice(&len.to_le_bytes());
        fix_header_crc(&mut b);
        b.extend_from_slice(&[0, 0]);
        fix_file_crc(&mut b);
        b
    }

    #[test]
    fn developer_fields_parse_once_described() {
        let summary = {
            let mut v = FitValidator::new();
            v.update(&with_developer_field(2)).unwrap();
            v.finish().unwrap()
        };
        assert_eq!(summary.data_messages, 4);
    }

    #[test]
    fn a_panic_in_fitparser_is_a_refusal() {
        // A 255-byte developer field of base type uint16: fitparser counts the bytes it read in
        // a u8 and steps past 255 (its size check covers only regular fields), which panics in
        // a debug build; a release build wraps and reads on. Either way the file is refused and
        // nothing unwinds into the server.
        let err = validate(&with_developer_field(255)).unwrap_err();
        if cfg!(debug_assertions) {
            assert_eq!(
                err,
                "the FIT parser (fitparser) failed on the data at byte 101"
            );
        }
        // An odd size short of that: the parser reads a whole uint16 past the field's end.
        assert!(
            validate(&with_developer_field(3))
                .unwrap_err()
                .starts_with("data size mismatch")
        );
    }

    #[test]
    fn memory_stays_bounded_while_streaming() {
        let file = ActivityFile::new(8).records(50_000);
        let mut v = FitValidator::new();
        let mut peak = 0;
        struct Feed<'a>(&'a mut FitValidator, &'a mut usize);
        impl Write for Feed<'_> {
            fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
                self.0.update(buf).map_err(io::Error::other)?;
                *self.1 = (*self.1).max(self.0.pending.capacity());
                Ok(buf.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        file.write_to(Feed(&mut v, &mut peak)).unwrap();
        assert_eq!(v.finish().unwrap().size, file.len());
        // The generator writes 64 KiB at a time: the buffer holds one chunk plus at most one
        // unfinished message, never the file.
        assert!(peak <= 2 * 64 * 1024 + 1024, "{peak}");
    }
}
