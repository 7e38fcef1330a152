//! `POST /api/v1/workouts` (scope `workouts_write`): multipart part `file`, a FIT activity.
//!
//! The part is streamed chunk by chunk into SHA-256 and the FIT validator (fitparser, see
//! [`FitValidator`]), so a 100 MB upload never sits in memory. The whole body is always read
//! before answering, even after the FIT check failed, so clients get the 400 rather than a
//! broken pipe.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::extract::multipart::{Multipart, MultipartError, MultipartRejection};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::json;
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::fit::FitValidator;
use crate::state::{AppState, random_token};
use crate::util::{bad_request, json_error};

const FIT_CONTENT_TYPE: &str = "application/vnd.ant.fit";

/// What reading the `file` part produced.
struct Received {
    sha256: [u8; 32],
    fit: Result<(), String>,
}

/// Chunks queued for the checking thread; the upload waits (backpressure) beyond that.
const CHUNKS_IN_FLIGHT: usize = 8;

/// Hashes and checks one `file` part on a blocking thread. fitparser in a debug build (every
/// test's sandbox) parses a few MB per second, about thirty times slower than the checker it
/// replaced: run between polls it would hold up the server's runtime, which tests share with
/// their client and often run on one thread. The bounded channel keeps memory flat.
struct FileCheck {
    chunks: mpsc::Sender<Bytes>,
    task: JoinHandle<Received>,
}

impl FileCheck {
    fn start() -> Self {
        let (chunks, mut rx) = mpsc::channel::<Bytes>(CHUNKS_IN_FLIGHT);
        let task = tokio::task::spawn_blocking(move || {
            let mut hasher = Sha256::new();
            let mut validator = FitValidator::new();
            while let Some(chunk) = rx.blocking_recv() {
                hasher.update(&chunk);
                // A failure is remembered by the validator and reported by finish().
                let _ = validator.update(&chunk);
            }
            Received {
                sha256: hasher.finalize().into(),
                fit: validator.finish().map(|_| ()),
            }
        });
        FileCheck { chunks, task }
    }

    async fn feed(&self, chunk: Bytes) {
        // The receiver only goes away if the thread panicked; finish() reports that.
        let _ = self.chunks.send(chunk).await;
    }

    async fn finish(self) -> Received {
        drop(self.chunks);
        self.task.await.unwrap_or_else(|e| Received {
            sha256: [0; 32],
            fit: Err(format!("the FIT check failed unexpectedly: {e}")),
        })
    }
}

pub(crate) async fn upload(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let caller = match super::authenticate(&app, &headers, "workouts_write") {
        Ok(c) => c,
        Err(response) => {
            // Read the upload before refusing it, as servers behind a buffering proxy do: a
            // client still writing its body would otherwise see a broken pipe instead of the
            // 401 it must react to.
            if let Ok(mut multipart) = multipart {
                while let Ok(Some(mut field)) = multipart.next_field().await {
                    while let Ok(Some(_)) = field.chunk().await {}
                }
            }
            return response;
        }
    };
    let mut multipart = match multipart {
        Ok(m) => m,
        Err(rejection) => {
            return bad_request(&format!(
                "Expected a multipart/form-data body: {}",
                rejection.body_text()
            ));
        }
    };

    let mut received: Option<Received> = None;
    let mut problem: Option<String> = None;
    loop {
        let mut field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => return multipart_error(e),
        };
        let is_file = field.name() == Some("file");
        if is_file && received.is_some() {
            problem.get_or_insert_with(|| "More than one part named file.".into());
        }
        if is_file && problem.is_none() {
            let content_type = field.content_type().map(|c| {
                c.split(';')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_ascii_lowercase()
            });
            if content_type.as_deref() != Some(FIT_CONTENT_TYPE) {
                problem = Some(format!(
                    "The file part must have Content-Type {FIT_CONTENT_TYPE}, got {}.",
                    content_type.as_deref().unwrap_or("none")
                ));
            }
        }
        // Read every part to the end; only a well-formed `file` part is checked.
        let check = (is_file && problem.is_none()).then(FileCheck::start);
        loop {
            match field.chunk().await {
                Ok(Some(chunk)) => {
                    if let Some(check) = &check {
                        check.feed(chunk).await;
                    }
                }
                Ok(None) => break,
                Err(e) => return multipart_error(e),
            }
        }
        if let Some(check) = check {
            received = Some(check.finish().await);
        }
    }

    if let Some(problem) = problem {
        return bad_request(&problem);
    }
    let Some(received) = received else {
        return bad_request("The multipart body has no part named file.");
    };
    if let Err(what) = received.fit {
        return json_error(StatusCode::BAD_REQUEST, "invalid_fit", &what);
    }

    let mut inner = app.lock();
    let key = (caller.user, received.sha256);
    if let Some(id) = inner.uploads.get(&key) {
        return (StatusCode::CONFLICT, Json(json!({ "id": id }))).into_response();
    }
    let id = format!("wo_{}", random_token(12));
    inner.uploads.insert(key, id.clone());
    (
        StatusCode::CREATED,
        Json(json!({ "id": id, "status": "processing" })),
    )
        .into_response()
}

fn multipart_error(e: MultipartError) -> Response {
    let status = e.status();
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        return json_error(
            status,
            "payload_too_large",
            &format!(
                "The upload exceeds {} MiB.",
                super::MAX_UPLOAD_BYTES / (1024 * 1024)
            ),
        );
    }
    json_error(
        status,
        "invalid_request",
        &format!("Malformed multipart body: {}", e.body_text()),
    )
}
