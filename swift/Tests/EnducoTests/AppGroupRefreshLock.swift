import Enduco
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The README's example: the refresh lock for an app and its extensions, `flock` on a file in
/// the shared App Group container. Each process opens its own descriptor; `flock` locks conflict
/// between descriptors, in one process or several, and the OS releases them when the holder
/// dies, so the lease is not needed.
final class AppGroupRefreshLock: RefreshLock, @unchecked Sendable {
    private let path: String
    private let mutex = NSLock()
    private var held: [String: Int32] = [:] // owner → the descriptor holding the lock

    init(groupContainer: URL) {
        path = groupContainer.appendingPathComponent("enduco-refresh.lock").path
    }

    func tryLock(owner: String, leaseMs: Int64) async throws -> Bool {
        try mutex.withLock {
            if held[owner] != nil { return true }
            let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw EnducoError.Store(message: "cannot open the refresh lock file (errno \(errno))") }
            if flock(fd, LOCK_EX | LOCK_NB) == 0 {
                held[owner] = fd
                return true
            }
            let failure = errno
            close(fd)
            if failure == EWOULDBLOCK { return false }
            throw EnducoError.Store(message: "cannot take the refresh lock (errno \(failure))")
        }
    }

    func unlock(owner: String) async throws {
        mutex.withLock {
            if let fd = held.removeValue(forKey: owner) { close(fd) }
        }
    }
}
