// The small Swift layer over the generated bindings (Generated/Enduco.swift).

import Foundation

extension EnducoError {
    /// The stable name of this case, the same string in every enduco SDK: `invalid_input`,
    /// `authorization_denied`, `state_mismatch`, `reauthorization_required`,
    /// `insufficient_scope`, `rate_limited`, `server`, `api`, `network`, `timeout`,
    /// `invalid_response` or `store`. Each case's documentation says how the app should react.
    public var code: String { errorCode() }
}

/// Adapts a closure to `UploadProgress`.
private final class ProgressClosure: UploadProgress, @unchecked Sendable {
    let body: @Sendable (Int64, Int64) -> Void
    init(_ body: @escaping @Sendable (Int64, Int64) -> Void) { self.body = body }
    func onProgress(sent: Int64, total: Int64) throws { body(sent, total) }
}

extension Session {
    /// Uploads a finished workout (a FIT file in memory), reporting progress to `progress`
    /// (bytes sent so far, file size; monotonic, the last call has `sent == total`). The
    /// closure runs on an SDK thread: hop to the main actor yourself.
    public func uploadWorkout(
        fit: Data,
        fileName: String? = nil,
        progress: @escaping @Sendable (_ sent: Int64, _ total: Int64) -> Void
    ) async throws -> UploadResult {
        try await uploadWorkout(fit: fit, fileName: fileName, progress: ProgressClosure(progress))
    }

    /// `uploadWorkoutFile(path:)` with a progress closure, as `uploadWorkout(fit:progress:)`.
    public func uploadWorkoutFile(
        path: String,
        fileName: String? = nil,
        progress: @escaping @Sendable (_ sent: Int64, _ total: Int64) -> Void
    ) async throws -> UploadResult {
        try await uploadWorkoutFile(path: path, fileName: fileName, progress: ProgressClosure(progress))
    }
}
