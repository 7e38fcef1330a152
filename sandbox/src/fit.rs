//! FIT activity files: deterministic fixtures for every language's tests, deliberate corruptions,
//! and the validator the sandbox's upload endpoint runs (a server that trusts no client).
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

use crc::{CRC_16_ARC, Crc, Digest, Table};

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

/// Absolute offset of the `file_id.type` byte, found by walking the records.
fn file_type_offset(bytes: &[u8]) -> Option<usize> {
    let mut v = FitValidator::new();
    let _ = v.update(bytes); // a non-activity type is reported after its offset is known
    v.walker.file_type_at.map(|at| at as usize)
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

/// Incremental validator: feed chunks in order with [`update`](Self::update), then
/// [`finish`](Self::finish). Memory stays bounded (at most one message is buffered).
///
/// Checks, in the order they can fail: header size (12 or 14), signature, protocol version,
/// header CRC (when non-zero); record structure (definitions before use, architecture), first
/// data message is file_id with type 4 — as soon as the bytes arrive; then at the end: length
/// against data_size (short → "truncated", long → "data size mismatch"), file CRC, and that the
/// last record is complete.
pub struct FitValidator {
    header: Vec<u8>,
    data_size: u64,
    data_seen: u64,
    trailer: Vec<u8>,
    extra: u64,
    total: u64,
    digest: Digest<'static, u16, Table<16>>,
    walker: RecordWalker,
    error: Option<String>,
}

impl Default for FitValidator {
    fn default() -> Self {
        Self::new()
    }
}

impl FitValidator {
    pub fn new() -> Self {
        FitValidator {
            header: Vec::with_capacity(14),
            data_size: 0,
            data_seen: 0,
            trailer: Vec::with_capacity(2),
            extra: 0,
            total: 0,
            digest: FIT_CRC.digest(),
            walker: RecordWalker::new(),
            error: None,
        }
    }

    /// Feeds the next chunk. An `Err` is final: later calls return it again, and
    /// [`finish`](Self::finish) reports it too.
    pub fn update(&mut self, chunk: &[u8]) -> Result<(), String> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        let result = self.feed(chunk);
        if let Err(e) = &result {
            self.error = Some(e.clone());
        }
        result
    }

    fn header_size(&self) -> usize {
        self.header.first().map_or(usize::MAX, |&h| h as usize)
    }

    fn header_done(&self) -> bool {
        self.header.len() == self.header_size()
    }

    fn feed(&mut self, mut rest: &[u8]) -> Result<(), String> {
        self.total += rest.len() as u64;
        while !rest.is_empty() && !self.header_done() {
            if self.header.is_empty() {
                let size = rest[0];
                if size != 12 && size != 14 {
                    return Err(format!(
                        "unsupported FIT header size {size} (expected 12 or 14)"
                    ));
                }
                self.header.push(size);
                rest = &rest[1..];
            }
            let take = (self.header_size() - self.header.len()).min(rest.len());
            self.header.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if self.header_done() {
                self.check_header()?;
            }
        }
        if rest.is_empty() {
            return Ok(());
        }

        let take = ((self.data_size - self.data_seen) as usize).min(rest.len());
        if take > 0 {
            let data = &rest[..take];
            self.digest.update(data);
            self.walker
                .feed(data, self.header.len() as u64, &mut self.data_seen)?;
            rest = &rest[take..];
        }
        let take = (2 - self.trailer.len()).min(rest.len());
        self.trailer.extend_from_slice(&rest[..take]);
        self.extra += (rest.len() - take) as u64;
        Ok(())
    }

    fn check_header(&mut self) -> Result<(), String> {
        let h = &self.header;
        if &h[8..12] != SIGNATURE {
            return Err(format!(
                "missing \".FIT\" signature (bytes 8..12 are {:?})",
                String::from_utf8_lossy(&h[8..12])
            ));
        }
        if h[1] >> 4 > 2 {
            return Err(format!(
                "unsupported FIT protocol version {}.{}",
                h[1] >> 4,
                h[1] & 0x0F
            ));
        }
        self.data_size = u32::from_le_bytes([h[4], h[5], h[6], h[7]]) as u64;
        if h.len() == 14 {
            let stored = u16::from_le_bytes([h[12], h[13]]);
            let computed = fit_crc(&h[..12]);
            // A zero header CRC means "not computed" in the FIT protocol.
            if stored != 0 && stored != computed {
                return Err(format!(
                    "header CRC mismatch (stored 0x{stored:04X}, computed 0x{computed:04X})"
                ));
            }
        }
        self.digest.update(&self.header);
        Ok(())
    }

    /// Final checks once the whole body has been fed.
    pub fn finish(self) -> Result<FitSummary, String> {
        if let Some(e) = self.error {
            return Err(e);
        }
        if self.total == 0 {
            return Err("empty file".into());
        }
        if !self.header_done() {
            return Err(format!(
                "truncated: {} bytes is shorter than the {}-byte FIT header",
                self.total,
                self.header_size()
            ));
        }
        let header_len = self.header.len() as u64;
        let expected = header_len + self.data_size + 2;
        if self.total < expected {
            return Err(format!(
                "truncated: the header declares {} data bytes ({expected} bytes in all) but the file has only {} bytes",
                self.data_size, self.total
            ));
        }
        if self.extra > 0 {
            return Err(format!(
                "data size mismatch: the header declares {} data bytes but {} bytes follow the header before the file CRC",
                self.data_size,
                self.total - header_len - 2
            ));
        }
        let stored = u16::from_le_bytes([self.trailer[0], self.trailer[1]]);
        let computed = self.digest.finalize();
        if stored != computed {
            return Err(format!(
                "file CRC mismatch (stored 0x{stored:04X}, computed 0x{computed:04X})"
            ));
        }
        let data_messages = self.walker.finish(header_len)?;
        Ok(FitSummary {
            size: self.total,
            data_messages,
        })
    }
}

/// A message definition as the walker needs it.
#[derive(Debug, Clone, Copy)]
struct Definition {
    global: u16,
    /// Bytes of the data message payload (without its header byte).
    size: usize,
    /// (offset, size) of field 0 inside the payload: `file_id.type` when global is 0.
    field0: Option<(usize, u8)>,
}

/// What the walker reads next; it waits until `need` bytes are buffered.
#[derive(Debug, Clone, Copy)]
enum Want {
    RecordHeader,
    DefinitionFixed { local: u8, dev: bool },
    DefinitionFields { local: u8, dev: bool, global: u16 },
    DeveloperCount { local: u8, def: Definition },
    DeveloperFields { local: u8, def: Definition },
    Data { def: Definition },
}

/// Walks the record stream of the data section, chunk by chunk.
struct RecordWalker {
    want: Want,
    need: usize,
    buf: Vec<u8>,
    defs: [Option<Definition>; 16],
    /// Data offset (from the end of the header) where the current record started.
    record_start: u64,
    data_messages: u64,
    /// Absolute offset of `file_id.type`, once the first data message was seen.
    file_type_at: Option<u64>,
}

impl RecordWalker {
    fn new() -> Self {
        RecordWalker {
            want: Want::RecordHeader,
            need: 1,
            buf: Vec::with_capacity(64),
            defs: [None; 16],
            record_start: 0,
            data_messages: 0,
            file_type_at: None,
        }
    }

    /// `pos` counts the data bytes consumed so far and is advanced here.
    fn feed(&mut self, mut input: &[u8], header_len: u64, pos: &mut u64) -> Result<(), String> {
        while !input.is_empty() {
            let take = (self.need - self.buf.len()).min(input.len());
            self.buf.extend_from_slice(&input[..take]);
            input = &input[take..];
            *pos += take as u64;
            // A step can ask for zero bytes (an empty message), so loop until it waits.
            while self.buf.len() == self.need {
                self.step(header_len, *pos)?;
            }
        }
        Ok(())
    }

    fn next_record(&mut self, pos: u64) {
        self.want = Want::RecordHeader;
        self.need = 1;
        self.record_start = pos;
    }

    fn step(&mut self, header_len: u64, pos: u64) -> Result<(), String> {
        let at = header_len + self.record_start;
        let buf = std::mem::take(&mut self.buf);
        match self.want {
            Want::RecordHeader => {
                let h = buf[0];
                if h & 0x80 != 0 {
                    // Compressed timestamp header: a data message of local type 0..=3.
                    self.begin_data((h >> 5) & 0x03, at)?;
                } else if h & 0x40 != 0 {
                    self.want = Want::DefinitionFixed {
                        local: h & 0x0F,
                        dev: h & 0x20 != 0,
                    };
                    self.need = 5;
                } else {
                    self.begin_data(h & 0x0F, at)?;
                }
            }
            Want::DefinitionFixed { local, dev } => {
                let global = match buf[1] {
                    0 => u16::from_le_bytes([buf[2], buf[3]]),
                    1 => u16::from_be_bytes([buf[2], buf[3]]),
                    other => {
                        return Err(format!(
                            "definition message at byte {at} has unknown architecture {other}"
                        ));
                    }
                };
                self.want = Want::DefinitionFields { local, dev, global };
                self.need = 3 * buf[4] as usize;
            }
            Want::DefinitionFields { local, dev, global } => {
                let mut def = Definition {
                    global,
                    size: 0,
                    field0: None,
                };
                for field in buf.chunks_exact(3) {
                    if field[0] == 0 && def.field0.is_none() && field[1] > 0 {
                        def.field0 = Some((def.size, field[1]));
                    }
                    def.size += field[1] as usize;
                }
                if dev {
                    self.want = Want::DeveloperCount { local, def };
                    self.need = 1;
                } else {
                    self.defs[local as usize] = Some(def);
                    self.next_record(pos);
                }
            }
            Want::DeveloperCount { local, def } => {
                self.want = Want::DeveloperFields { local, def };
                self.need = 3 * buf[0] as usize;
            }
            Want::DeveloperFields { local, mut def } => {
                def.size += buf.chunks_exact(3).map(|f| f[1] as usize).sum::<usize>();
                self.defs[local as usize] = Some(def);
                self.next_record(pos);
            }
            Want::Data { def } => {
                if self.data_messages == 0 {
                    check_file_id(&def, &buf, at)?;
                }
                self.data_messages += 1;
                self.next_record(pos);
            }
        }
        self.buf = buf;
        self.buf.clear();
        Ok(())
    }

    fn begin_data(&mut self, local: u8, at: u64) -> Result<(), String> {
        let Some(def) = self.defs[local as usize] else {
            return Err(format!(
                "data message at byte {at} uses local message type {local}, which has no definition"
            ));
        };
        if self.data_messages == 0
            && def.global == 0
            && let Some((offset, _)) = def.field0
        {
            self.file_type_at = Some(at + 1 + offset as u64);
        }
        self.want = Want::Data { def };
        self.need = def.size;
        Ok(())
    }

    /// Returns the number of data messages.
    fn finish(self, header_len: u64) -> Result<u64, String> {
        if !matches!(self.want, Want::RecordHeader) || !self.buf.is_empty() {
            return Err(format!(
                "the record at byte {} is cut off by the end of the data",
                header_len + self.record_start
            ));
        }
        if self.data_messages == 0 {
            return Err("no file_id message: the file contains no data messages".into());
        }
        Ok(self.data_messages)
    }
}

fn check_file_id(def: &Definition, payload: &[u8], at: u64) -> Result<(), String> {
    if def.global != 0 {
        return Err(format!(
            "the first message (byte {at}) is global message {}, not file_id (0)",
            def.global
        ));
    }
    let Some((offset, _)) = def.field0 else {
        return Err("file_id has no type field".into());
    };
    let file_type = payload[offset];
    if file_type != FILE_TYPE_ACTIVITY {
        return Err(format!(
            "not an activity file: file_id type is {file_type} (expected {FILE_TYPE_ACTIVITY} = activity)"
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
}
