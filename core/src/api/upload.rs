//! Uploading a finished workout: FIT pre-flight, a streamed multipart body with progress, and
//! 409 read as "already uploaded" rather than as an error.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use futures::stream::{self, StreamExt};
use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::fit;
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
                    let body = file_body(&source, progress.clone())?;
                    let part = Part::stream_with_length(body, total)
                        .file_name(file_name.clone())
                        .mime_str(FIT_MIME)
                        .expect("a valid MIME type");
                    Ok(request.multipart(Form::new().part("file", part)))
                },
            )
            .await?;
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

/// A fresh body stream for one attempt, counting bytes as they are handed to the connection.
fn file_body(source: &WorkoutSource, progress: Arc<Progress>) -> Result<reqwest::Body> {
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
            let stream = reader.map(move |chunk| {
                if let Ok(chunk) = &chunk {
                    count(chunk);
                }
                chunk
            });
            Ok(reqwest::Body::wrap_stream(stream))
        }
    }
}
