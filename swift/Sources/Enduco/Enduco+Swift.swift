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

    /// Saves `tokens` into `store`, then returns the user's session. `lock` is the refresh
    /// lock of a store that several processes share (`nil`: the store is for one process only).
    public func connect(store: TokenStore, tokens: TokenSet, lock: RefreshLock?) async throws -> Session {
        try await withCancelToken { try await connectCancellable(store: store, tokens: tokens, lock: lock, cancel: $0) }
    }

    /// Finishes an authorization from the URL enduco redirected the browser to: checks the
    /// state, turns `error=` into a typed error, exchanges the code. Store the tokens, e.g. with
    /// `connect(store:tokens:)`.
    public func completeAuthorization(pending: AuthorizationRequest, callbackUrl: String) async throws -> TokenSet {
        try await withCancelToken {
            try await completeAuthorizationCancellable(pending: pending, callbackUrl: callbackUrl, cancel: $0)
        }
    }

    /// Exchanges a code the app received itself. Pass the PKCE verifier of the request that
    /// produced the code, if it had one.
    public func exchangeCode(code: String, codeVerifier: String? = nil) async throws -> TokenSet {
        try await withCancelToken { try await exchangeCodeCancellable(code: code, codeVerifier: codeVerifier, cancel: $0) }
    }
}

// Task cancellation. UniFFI 0.32's Swift does not pass a Task's cancellation into Rust (its
// `uniffiRustCallAsync` has no cancellation handler and frees the Rust future only once it
// completed), so every async method of the Rust side takes a `CancelToken`
// (bindings/src/cancel.rs) and the generated methods are renamed `…Cancellable`
// (bindings/uniffi.toml). The methods below are the public API under the natural names: each
// runs its call through `withCancelToken`.

/// Runs `call` with a fresh `CancelToken` that the current Task's cancellation cancels. A
/// cancelled call stops in Rust at once (its HTTP request with it) and this throws
/// `CancellationError`; a call that finished before the cancellation reached it returns
/// its result.
func withCancelToken<T>(_ call: (CancelToken) async throws -> T) async throws -> T {
    let token = CancelToken()
    do {
        return try await withTaskCancellationHandler {
            try await call(token)
        } onCancel: {
            token.cancel()
        }
    } catch {
        // The Rust side's error for a cancelled token (or whatever the call ended with once
        // the Task was cancelled) is not the app's concern: the Task was cancelled.
        if token.isCancelled() { throw CancellationError() }
        throw error
    }
}

/// Every network call of a session: `async throws`, honouring Task cancellation (`task.cancel()`
/// ends the call with `CancellationError` and stops its work; an upload cancelled mid-body
/// leaves nothing stored on enduco). A token refresh already under way still finishes and is
/// saved.
extension SessionProtocol {
    /// The user's intensity zones per sport and metric. Needs `user_read`.
    public func intensityZones() async throws -> IntensityZones {
        try await withCancelToken { try await intensityZonesCancellable(cancel: $0) }
    }

    /// Planned workouts from `from` to `to` (inclusive, `YYYY-MM-DD`), the athlete's local
    /// calendar dates. At most 7 days; a longer or reversed window fails with
    /// `EnducoError.InvalidInput` before any request. Needs `plans_read`.
    public func trainingPlans(from: PlanDate, to: PlanDate) async throws -> [PlannedWorkout] {
        try await withCancelToken { try await trainingPlansCancellable(from: from, to: to, cancel: $0) }
    }

    /// The next `days` days (1 to 7) of plans, starting today in the athlete's time zone.
    /// Needs `plans_read`.
    public func upcomingPlans(days: Int32) async throws -> [PlannedWorkout] {
        try await withCancelToken { try await upcomingPlansCancellable(days: days, cancel: $0) }
    }

    /// Uploads a finished workout (a FIT file in memory). The file is checked first and nothing
    /// is sent if it is defective (`EnducoError.InvalidInput`). A file enduco already has comes
    /// back with `duplicate == true`. Needs `workouts_write`.
    public func uploadWorkout(fit: Data, fileName: String? = nil, progress: UploadProgress? = nil) async throws -> UploadResult {
        try await withCancelToken {
            try await uploadWorkoutCancellable(fit: fit, fileName: fileName, progress: progress, cancel: $0)
        }
    }

    /// `uploadWorkout(fit:)` for a FIT file on disk, streamed: memory use stays flat whatever
    /// its size. The file name enduco sees defaults to the path's.
    public func uploadWorkoutFile(path: String, fileName: String? = nil, progress: UploadProgress? = nil) async throws -> UploadResult {
        try await withCancelToken {
            try await uploadWorkoutFileCancellable(path: path, fileName: fileName, progress: progress, cancel: $0)
        }
    }

    /// Any enduco endpoint the typed calls lack, with authentication, refresh and retries
    /// applied. `path` starts with `/`; `jsonBody` is JSON text. A non-2xx answer is thrown as
    /// the error it means.
    public func request(method: String, path: String, query: [QueryParam] = [], jsonBody: String? = nil) async throws -> RawResponse {
        try await withCancelToken {
            try await requestCancellable(method: method, path: path, query: query, jsonBody: jsonBody, cancel: $0)
        }
    }

    /// Refreshes now, whatever the expiry, and saves the new tokens. Cancelling stops the wait;
    /// a refresh already sent still finishes and is saved (no rotated token is lost).
    public func refresh() async throws -> TokenSet {
        try await withCancelToken { try await refreshCancellable(cancel: $0) }
    }

    /// Revokes the grant at enduco, then clears the store. Use when the user disconnects
    /// enduco; afterwards every call fails with `EnducoError.ReauthorizationRequired`.
    public func revoke() async throws {
        try await withCancelToken { try await revokeCancellable(cancel: $0) }
    }

    /// The scopes the user granted. Loads the store if needed; makes no request.
    public func grantedScopes() async throws -> [String] {
        try await withCancelToken { try await grantedScopesCancellable(cancel: $0) }
    }

    /// enduco's id for this user (the access token's `sub`). Makes no request.
    public func userId() async throws -> String {
        try await withCancelToken { try await userIdCancellable(cancel: $0) }
    }

    /// The current tokens as stored (without refreshing).
    public func tokens() async throws -> TokenSet {
        try await withCancelToken { try await tokensCancellable(cancel: $0) }
    }
}

/// Adapts a closure to `UploadProgress`.
private final class ProgressClosure: UploadProgress, @unchecked Sendable {
    let body: @Sendable (Int64, Int64) -> Void
    init(_ body: @escaping @Sendable (Int64, Int64) -> Void) { self.body = body }
    func onProgress(sent: Int64, total: Int64) throws { body(sent, total) }
}

extension SessionProtocol {
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
