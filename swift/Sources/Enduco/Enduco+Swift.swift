// The small Swift layer over the generated bindings (Generated/Enduco.swift).

import Foundation

extension EnducoError {
    /// The stable name of this case, the same string in every enduco SDK: `invalid_input`,
    /// `authorization_denied`, `state_mismatch`, `reauthorization_required`,
    /// `insufficient_scope`, `rate_limited`, `server`, `api`, `network`, `timeout`,
    /// `invalid_response`, `store` or `internal` (a bug in the SDK). Each case's documentation
    /// says how the app should react.
    public var code: String { errorCode() }
}

// The refresh lock is optional in the core's store contract. UniFFI foreign protocols cannot
// have optional requirements, so it is a second protocol, `RefreshLock`, that a store shared by
// several processes also adopts (or that the app passes as a separate object). The generated
// `session(store:lock:)` and `connect(store:tokens:lock:)` take it explicitly; these overloads
// pick it up from the store itself, so `client.session(store: store)` does the right thing for
// the built-in stores (both are their own lock) and for `final class MyStore: TokenStore,
// RefreshLock`. Pass `lock: nil` explicitly for a store that is for one process only.
extension EnducoClientProtocol {
    /// A session for the user whose tokens `store` holds, with the store's own refresh lock
    /// when the store is also a `RefreshLock` (the built-in `MemoryTokenStore` and
    /// `FileTokenStore` are). Nothing is loaded until the first call.
    public func session(store: TokenStore) -> Session {
        session(store: store, lock: store as? RefreshLock)
    }

    /// Saves `tokens` into `store`, then returns the user's session; the refresh lock as in
    /// `session(store:)`.
    public func connect(store: TokenStore, tokens: TokenSet) async throws -> Session {
        try await connect(store: store, tokens: tokens, lock: store as? RefreshLock)
    }
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

// The core's plan writers (`PlannedWorkout::export`) as methods of the model. Zone targets are
// resolved with `zones` (the user's `intensityZones()`); a step the format cannot hold throws
// `EnducoError.InvalidInput` naming it.
extension PlannedWorkout {
    /// A FIT workout file (file type 5) for Garmin, Wahoo and Hammerhead head units.
    public func toFitWorkout(zones: IntensityZones? = nil) throws -> Data {
        try exportPlan(plan: self, format: .fit, zones: zones)
    }

    /// A Zwift workout (`.zwo` XML), power relative to the threshold in `zones`.
    public func toZwo(zones: IntensityZones? = nil) throws -> String {
        String(decoding: try exportPlan(plan: self, format: .zwo, zones: zones), as: UTF8.self)
    }

    /// An ERG file: minutes and absolute watts.
    public func toErg(zones: IntensityZones? = nil) throws -> String {
        String(decoding: try exportPlan(plan: self, format: .erg, zones: zones), as: UTF8.self)
    }

    /// An MRC file: minutes and percent of the threshold.
    public func toMrc(zones: IntensityZones? = nil) throws -> String {
        String(decoding: try exportPlan(plan: self, format: .mrc, zones: zones), as: UTF8.self)
    }
}
