package app.enduco.sdk

import app.enduco.sdk.model.*
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.buffer
import kotlinx.coroutines.flow.channelFlow

/**
 * Uploads a finished workout (a FIT file in memory), reporting progress to [onProgress]
 * (bytes sent so far, file size; monotonic, the last call has `sent == total`). The callback
 * runs on an SDK thread: hop to the main thread yourself.
 */
suspend fun Session.uploadWorkout(
    fit: ByteArray,
    fileName: String? = null,
    onProgress: (sent: Long, total: Long) -> Unit,
): UploadResult = uploadWorkout(fit, fileName, progressOf(onProgress))

/** [Session.uploadWorkoutFile] with a progress lambda, as [uploadWorkout]. */
suspend fun Session.uploadWorkoutFile(
    path: String,
    fileName: String? = null,
    onProgress: (sent: Long, total: Long) -> Unit,
): UploadResult = uploadWorkoutFile(path, fileName, progressOf(onProgress))

/** What [uploadWorkoutFlow] emits: progress while the file goes out, then the result. */
sealed interface UploadEvent {
    data class Progress(val sent: Long, val total: Long) : UploadEvent
    data class Done(val result: UploadResult) : UploadEvent
}

/**
 * The upload as a cold [Flow]: collecting it uploads the file, emitting [UploadEvent.Progress]
 * events and finally [UploadEvent.Done]; a failure is thrown to the collector as the
 * [EnducoException] it is.
 */
fun Session.uploadWorkoutFlow(fit: ByteArray, fileName: String? = null): Flow<UploadEvent> =
    channelFlow {
        val result = uploadWorkout(fit, fileName) { sent, total ->
            trySend(UploadEvent.Progress(sent, total))
        }
        send(UploadEvent.Done(result))
    }.buffer(Channel.UNLIMITED)

private fun progressOf(onProgress: (Long, Long) -> Unit): UploadProgress =
    object : UploadProgress {
        override fun onProgress(sent: Long, total: Long) = onProgress(sent, total)
    }
