//! Uploading a finished workout: FIT pre-flight, a streamed multipart body with progress, and
//! 409 read as "already uploaded" rather than as an error.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures::stream::{self, StreamExt};
use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::fit::{self, FitCheck, FitSummary};
use crate::internal::http::RetryMode;
use crate::oauth::Scope;
use crate::session::Session;

const CHUNK: usize = 64 * 1024;
const FIT_MIME: &str = "application/vnd.ant.fit";

/// What to upload.
#[derive(Debug, Clone)]
pub enum WorkoutSource {
    /// A FIT file already in memory.
    Bytes(Bytes),
    /// A FIT file on disk, streamed: memory use stays flat whatever its size.
    Path(PathBuf),
}

impl From<Vec<u8>> for WorkoutSource {
    fn from(bytes: Vec<u8>) -> Self {
        WorkoutSource::Bytes(bytes.into())
    }
}
impl From<Bytes> for WorkoutSource {
    fn from(bytes: Bytes) -> Self {
        WorkoutSource::Bytes(bytes)
    }
}
impl From<PathBuf> for WorkoutSource {
    fn from(path: PathBuf) -> Self {
        WorkoutSource::Path(path)
    }
}
impl From<&Path> for WorkoutSource {
    fn from(path: &Path) -> Self {
        WorkoutSource::Path(path.to_path_buf())
    }
}

/// Receives upload progress: bytes of the file sent so far and the file's size. Calls are
/// monotonic and the last one has `sent == total`.
pub trait UploadProgress: Send + Sync {
    fn on_progress(&self, sent: u64, total: u64);
}

impl<F: Fn(u64, u64) + Send + Sync> UploadProgress for F {
    fn on_progress(&self, sent: u64, total: u64) {
        self(sent, total)
    }
}

/// Options for [`Session::upload_workout`].
#[derive(Clone, Default)]
pub struct UploadOptions {
    /// The file name enduco sees; defaults to the path's name, or `workout.fit`.
    pub file_name: Option<String>,
    pub progress: Option<Arc<dyn UploadProgress>>,
}

impl std::fmt::Debug for UploadOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UploadOptions")
            .field("file_name", &self.file_name)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

/// enduco's answer to an upload.
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[cfg_attr(feature = "python-models", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadResult {
    /// enduco's id of the workout (the earlier one for a duplicate).
    pub id: String,
    /// enduco's processing status, e.g. `processing`; `duplicate` for a repeat.
    pub status: String,
    /// The same file was uploaded before (enduco answered 409). Not an error.
    pub duplicate: bool,
}

#[derive(Deserialize)]
struct UploadAnswer {
    id: String,
    status: Option<String>,
}

/// Reports progress monotonically across attempts: a retried upload restarts its stream,
/// but the caller's bar never goes backwards.
struct Progress {
    sink: Option<Arc<dyn UploadProgress>>,
    total: u64,
    reported: AtomicU64,
}

impl Progress {
    fn report(&self, sent: u64) {
        let Some(sink) = &self.sink else { return };
        let previous = self.reported.fetch_max(sent, Ordering::AcqRel);
        if sent > previous || (sent == 0 && previous == 0) {
            sink.on_progress(sent, self.total);
        }
    }
}

impl Session {
    /// **Uploads** a finished workout. The FIT file is checked first (header, signature,
    /// sizes, CRCs, activity type) and nothing is sent if it is defective
    /// (`invalid_input` naming the defect). Needs `workouts_write`.
    ///
    /// The upload is retried only when the request provably never reached enduco. A file
    /// enduco already has comes back with `duplicate: true`.
    pub async fn upload_workout(
        &self,
        source: impl Into<WorkoutSource>,
        options: UploadOptions,
    ) -> Result<UploadResult> {
        let source = source.into();
        let summary = match &source {
            WorkoutSource::Bytes(bytes) => fit::check(bytes)?,
            WorkoutSource::Path(path) => fit::check_file(path).await?,
        };
        // A file on disk is read twice (checked, then streamed): the stream is checked again
        // as it goes, and must be the file that passed.
        let changed: Arc<Mutex<Option<String>>> = Arc::default();
        let total = summary.file_size;
        let file_name = options.file_name.clone().unwrap_or_else(|| match &source {
            WorkoutSource::Path(path) => path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "workout.fit".into()),
            WorkoutSource::Bytes(_) => "workout.fit".into(),
        });
        let progress = Arc::new(Progress {
            sink: options.progress.clone(),
            total,
            reported: AtomicU64::new(0),
        });
        progress.report(0);
        let path = self.inner.client.config.endpoints.workouts.clone();
        let reply = self
            .send_to(
                Some(Scope::WorkoutsWrite),
                RetryMode::UnsentOnly,
                Method::POST,
                &path,
                |request| {
                    let body = file_body(&source, &summary, &changed, progress.clone())?;
                    let part = Part::stream_with_length(body, total)
                        .file_name(file_name.clone())
                        .mime_str(FIT_MIME)
                        .expect("a valid MIME type");
                    Ok(request.multipart(Form::new().part("file", part)))
                },
            )
            .await;
        if let Some(why) = changed.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let WorkoutSource::Path(path) = &source else {
                unreachable!("bytes cannot change")
            };
            return Err(Error::invalid_input(format!(
                "{} changed while it was being uploaded ({why}); the upload was cut off, so \
                 enduco stored nothing: upload it again once it is written",
                path.display()
            )));
        }
        let reply = reply?;
        let duplicate = reply.status.as_u16() == 409;
        if !reply.is_success() && !duplicate {
            return Err(reply.error());
        }
        let answer: UploadAnswer = reply.json()?;
        progress.report(total);
        let status = match (duplicate, answer.status) {
            (true, _) => "duplicate".to_owned(),
            (false, Some(status)) => status,
            (false, None) => "accepted".to_owned(),
        };
        tracing::info!(bytes = total, duplicate, "workout uploaded");
        Ok(UploadResult {
            id: answer.id,
            status,
            duplicate,
        })
    }
}

/// Re-checks a file while it streams: the bytes sent must be the bytes the pre-flight passed.
struct SameFile {
    expected: FitSummary,
    check: Option<FitCheck>,
    seen: u64,
    changed: Arc<Mutex<Option<String>>>,
}

impl SameFile {
    fn fail(&self, why: String) -> std::io::Error {
        *self.changed.lock().unwrap_or_else(|e| e.into_inner()) = Some(why.clone());
        std::io::Error::other(why)
    }

    fn feed(&mut self, chunk: &[u8]) -> std::io::Result<()> {
        self.seen += chunk.len() as u64;
        if self.seen > self.expected.file_size {
            return Err(self.fail(format!("it grew past {} bytes", self.expected.file_size)));
        }
        if let Some(check) = &mut self.check
            && let Err(e) = check.update(chunk)
        {
            return Err(self.fail(e.to_string()));
        }
        Ok(())
    }

    fn finish(&mut self) -> std::io::Result<()> {
        let outcome = self.check.take().map(FitCheck::finish);
        match outcome {
            Some(Ok(summary)) if summary == self.expected => Ok(()),
            Some(Ok(_)) => Err(self.fail("it is another file now".into())),
            Some(Err(e)) => Err(self.fail(e.to_string())),
            None => Ok(()),
        }
    }
}

/// A fresh body stream for one attempt, counting bytes as they are handed to the connection.
fn file_body(
    source: &WorkoutSource,
    checked: &FitSummary,
    changed: &Arc<Mutex<Option<String>>>,
    progress: Arc<Progress>,
) -> Result<reqwest::Body> {
    let mut sent = 0u64;
    let mut count = move |chunk: &Bytes| {
        sent += chunk.len() as u64;
        progress.report(sent);
    };
    match source {
        WorkoutSource::Bytes(bytes) => {
            let chunks: Vec<Bytes> = (0..bytes.len())
                .step_by(CHUNK)
                .map(|start| bytes.slice(start..(start + CHUNK).min(bytes.len())))
                .collect();
            let stream = stream::iter(chunks).map(move |chunk| {
                count(&chunk);
                Ok::<_, std::io::Error>(chunk)
            });
            Ok(reqwest::Body::wrap_stream(stream))
        }
        WorkoutSource::Path(path) => {
            let file = std::fs::File::open(path).map_err(|e| {
                Error::invalid_input(format!("cannot read {}: {e}", path.display()))
            })?;
            let reader =
                tokio_util::io::ReaderStream::with_capacity(tokio::fs::File::from_std(file), CHUNK);
            let same = Arc::new(Mutex::new(SameFile {
                expected: checked.clone(),
                check: Some(FitCheck::new()),
                seen: 0,
                changed: changed.clone(),
            }));
            let at_end = same.clone();
            let stream = reader
                .map(move |chunk| {
                    let chunk = chunk?;
                    same.lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .feed(&chunk)?;
                    count(&chunk);
                    Ok(chunk)
                })
                .chain(
                    stream::once(async move {
                        at_end.lock().unwrap_or_else(|e| e.into_inner()).finish()
                    })
                    .filter_map(|end| async move { end.err().map(Err) }),
                );
            Ok(reqwest::Body::wrap_stream(stream))
        }
    }
}
