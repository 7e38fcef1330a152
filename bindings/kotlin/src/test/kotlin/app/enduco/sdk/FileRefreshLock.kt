package app.enduco.sdk

import java.nio.channels.FileChannel
import java.nio.channels.FileLock
import java.nio.channels.OverlappingFileLockException
import java.nio.file.Path
import java.nio.file.StandardOpenOption
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext

/**
 * The README's example: a refresh lock for the processes of one app on one device (the app and
 * a `:sync` service process, several JVM workers on one host), an OS file lock next to the
 * tokens. The OS releases it when its process dies, so the lease is not needed. Keep one
 * instance per file per process: on POSIX systems, closing any channel to a file drops every
 * lock the process holds on it.
 */
class FileRefreshLock(path: Path) : RefreshLock {
    private val channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE)
    private var holder: Pair<String, FileLock>? = null

    override suspend fun tryLock(owner: String, leaseMs: Long): Boolean = withContext(Dispatchers.IO) {
        synchronized(this@FileRefreshLock) {
            holder?.let { (heldBy, _) -> return@withContext heldBy == owner }
            val lock = try {
                channel.tryLock()
            } catch (e: OverlappingFileLockException) {
                null // another FileRefreshLock on this file in this JVM holds it
            } ?: return@withContext false
            holder = owner to lock
            true
        }
    }

    override suspend fun unlock(owner: String) = withContext(Dispatchers.IO) {
        synchronized(this@FileRefreshLock) {
            holder?.takeIf { it.first == owner }?.let { (_, lock) ->
                lock.release()
                holder = null
            }
        }
        Unit
    }
}
