package app.enduco.sdk

// The refresh lock is optional in the core's store contract. UniFFI foreign interfaces cannot
// have optional methods, so it is a second interface, [RefreshLock], that a store shared by
// several processes also implements (or that the app passes as a separate object). The
// generated `session(store, lock)` and `connect(store, tokens, lock)` take it explicitly; these
// overloads pick it up from the store itself, so `client.session(store)` does the right thing
// for the built-in stores (both are their own lock) and for `class MyStore : TokenStore,
// RefreshLock`. Pass `lock = null` explicitly for a store that is for one process only.

/**
 * A session for the user whose tokens [store] holds, with the store's own refresh lock when
 * the store is also a [RefreshLock] (the built-in [MemoryTokenStore] and [FileTokenStore] are).
 * Nothing is loaded until the first call.
 */
fun EnducoClientInterface.session(store: TokenStore): Session = session(store, store as? RefreshLock)

/**
 * Saves [tokens] into [store], then returns the user's session; the refresh lock as in
 * [session].
 */
suspend fun EnducoClientInterface.connect(store: TokenStore, tokens: TokenSet): Session =
    connect(store, tokens, store as? RefreshLock)
