// A minimal backend with node:http: users connect their enduco account, the server keeps one
// token set per enduco user, serves their zones and plans, and forgets a user when enduco
// confirms a deregistration. Tokens live in SQLite (better-sqlite3, the default) or in
// PostgreSQL through the SDK's `PostgresTokenStores`. Several server processes may share the
// database: both token stores implement the SDK's refresh lock.
//
//   ENDUCO_CLIENT_ID=… ENDUCO_CLIENT_SECRET=… ENDUCO_ENV=beta PORT=8080 \
//   ADMIN_TOKEN=$(openssl rand -hex 32) WEBHOOK_SECRET=$(openssl rand -hex 32) \
//   PUBLIC_URL=https://trainer.example node examples/backend.mjs [--postgres URL]
//
// Token storage: `--postgres postgres://user:password@host/db` (or
// `ENDUCO_TOKEN_STORE=postgres://…`) keeps tokens in PostgreSQL, creating the SDK's tables at
// start (`migrate()`, idempotent); otherwise SQLite. The SQLite file DB_PATH (default
// enduco-tokens.sqlite) is the app's own database either way: the list of connected users,
// and the tokens too unless they go to PostgreSQL.
//
// Routes:
//   GET  /connect                      → redirect to enduco's consent page
//   GET  /callback?code&state          → finish the authorization, store the tokens
//   POST /webhooks/enduco/<secret>     → enduco's webhooks (a confirmed deregistration purges
//                                        the user)
//   Admin API (`Authorization: Bearer <ADMIN_TOKEN>`, 401 otherwise):
//   GET  /users                        → the connected users
//   GET  /users/:id/zones              → the user's intensity zones (JSON)
//   GET  /users/:id/plans?days=7       → the user's upcoming plans (JSON)
//   POST /users/:id/disconnect         → revoke the grant and forget the user
//
// Register `${PUBLIC_URL}/callback` as the redirect URI and
// `${PUBLIC_URL}/webhooks/enduco/${WEBHOOK_SECRET}` as the deregister and plan-changed webhook
// URLs with enduco.
//
// Webhooks, safely: anyone who learns the webhook URL can POST to it, so the URL carries a
// secret segment (defence in depth: nobody can guess it, a wrong one is a plain 404), and a
// deregistration is not believed on its word: `client.clearDeregisteredUser` first refreshes
// the user's grant, and clears the tokens only if enduco answers that the grant is gone. A
// forged (or stale) event leaves the user connected and is logged. Repeats are harmless: a
// second delivery for a user already cleared finds no tokens and does nothing.
//
// The `/users` routes show and act on any user's data, and this example has no login of its
// own for end users, so they are an admin API behind a bearer token. A real app serves a
// user's zones and plans behind its own user authentication.

import { createHash, timingSafeEqual } from 'node:crypto'
import http from 'node:http'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

import Database from 'better-sqlite3'
import { EnducoClient, EnducoError, PostgresTokenStores, parseWebhook } from 'enduco'

/**
 * One user's row in `enduco_tokens`, as the SDK's token store.
 *
 * Several processes may serve the same users from one database file (a cluster of workers,
 * a CLI next to the server), so the store implements the SDK's refresh lock: a row per user in
 * `enduco_locks` with an owner and a lease. The session takes it around re-read → refresh →
 * save; a process that finds it taken waits, then uses the tokens the holder saved. Without
 * the lock two processes could present the same refresh token, and the server would keep only
 * one of the new grants (or revoke the whole grant).
 */
export class SqliteTokenStore {
  constructor(db, userId) {
    this.db = db
    this.userId = userId
  }

  load() {
    const row = this.db.prepare('SELECT tokens FROM enduco_tokens WHERE user_id = ?').get(this.userId)
    return row ? row.tokens : null // the storage JSON text; the SDK reads it
  }

  save(tokens) {
    this.db
      .prepare(
        `INSERT INTO enduco_tokens (user_id, tokens, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (user_id) DO UPDATE SET tokens = excluded.tokens, updated_at = excluded.updated_at`,
      )
      .run(this.userId, JSON.stringify(tokens.toStorageJSON()), Date.now())
  }

  clear() {
    this.db.prepare('DELETE FROM enduco_tokens WHERE user_id = ?').run(this.userId)
  }

  /**
   * Takes the refresh lock unless another owner holds an unexpired lease; never waits (the
   * SDK retries). One upsert decides atomically: a missing row is inserted, a row whose lease
   * ran out (or that is already ours: renewal) is taken over, a live row of another owner is
   * left alone. Reading the owner back in the same transaction tells which happened.
   */
  tryLock(owner, leaseMs) {
    return this.db.transaction(() => {
      const now = Date.now()
      this.db
        .prepare(
          `INSERT INTO enduco_locks (user_id, owner, expires_at) VALUES (?, ?, ?)
           ON CONFLICT (user_id) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
           WHERE enduco_locks.expires_at <= ? OR enduco_locks.owner = excluded.owner`,
        )
        .run(this.userId, owner, now + leaseMs, now)
      const row = this.db.prepare('SELECT owner FROM enduco_locks WHERE user_id = ?').get(this.userId)
      return row?.owner === owner
    }).immediate()
  }

  /** Releases the lock only if `owner` still holds it (a successor's lock stays). */
  unlock(owner) {
    this.db.prepare('DELETE FROM enduco_locks WHERE user_id = ? AND owner = ?').run(this.userId, owner)
  }
}

/**
 * Stores `tokens` as `userId`'s row unless the row exists (processes starting together may
 * all import the same initial tokens; the first wins, nobody overwrites a refreshed row).
 */
export function importTokens(db, userId, tokens) {
  db.prepare('INSERT OR IGNORE INTO enduco_tokens (user_id, tokens, updated_at) VALUES (?, ?, ?)').run(
    userId,
    JSON.stringify(tokens.toStorageJSON()),
    Date.now(),
  )
}

/** How long a process waits for another one's write to the database before SQLITE_BUSY: a
 * few seconds, below the SDK's store timeout (10 s by default), so a database that stays
 * locked fails the call with its own error rather than the timeout. */
const BUSY_TIMEOUT_MS = 5_000

/** Switches the file to WAL. The switch needs the database to itself, and SQLite answers
 * SQLITE_BUSY at once rather than waiting when another process is opening the same new file at
 * that moment, so it is retried within the busy timeout. */
function useWal(db) {
  const giveUp = Date.now() + BUSY_TIMEOUT_MS
  for (;;) {
    try {
      db.pragma('journal_mode = WAL')
      return
    } catch (error) {
      if (error?.code !== 'SQLITE_BUSY' || Date.now() > giveUp) throw error
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20)
    }
  }
}

export function openDatabase(path) {
  // better-sqlite3's `timeout` is SQLite's busy timeout: processes sharing the file wait for
  // each other's short write transactions instead of failing with SQLITE_BUSY.
  const db = new Database(path, { timeout: BUSY_TIMEOUT_MS })
  useWal(db)
  db.exec(`CREATE TABLE IF NOT EXISTS enduco_tokens (
    user_id TEXT PRIMARY KEY,
    tokens TEXT NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE TABLE IF NOT EXISTS enduco_locks (
    user_id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    expires_at INTEGER NOT NULL -- unix milliseconds
  );
  CREATE TABLE IF NOT EXISTS connected_users (
    user_id TEXT PRIMARY KEY,
    connected_at INTEGER NOT NULL -- unix milliseconds
  )`)
  return db
}

/**
 * Where the backend keeps tokens: `forUser(userId)` gives a user's token store.
 *
 * - PostgreSQL (`postgresUrl`): the SDK's `PostgresTokenStores`, one connection pool for the
 *   whole app shared by every user's session, its lock a lease row per user. `migrate()` creates
 *   the SDK's tables if they are missing; it is idempotent and safe when several processes
 *   start at once (a real deployment may run it once at deploy instead, e.g. `enduco migrate`).
 * - SQLite (`dbPath`): the store above.
 */
export async function openTokenStorage({ dbPath, postgresUrl }) {
  // The app's own database (the connected users; the tokens too, unless PostgreSQL has them).
  const db = openDatabase(dbPath)
  const users = {
    add: (userId) => db.prepare('INSERT OR IGNORE INTO connected_users (user_id, connected_at) VALUES (?, ?)').run(userId, Date.now()),
    remove: (userId) => db.prepare('DELETE FROM connected_users WHERE user_id = ?').run(userId),
    list: () => db.prepare('SELECT user_id FROM connected_users ORDER BY user_id').all().map((row) => row.user_id),
  }
  if (postgresUrl) {
    const stores = new PostgresTokenStores(postgresUrl)
    await stores.migrate()
    return { kind: 'postgres', db, users, stores, forUser: (userId) => stores.forUser(userId), close: () => db.close() }
  }
  return { kind: 'sqlite', db, users, forUser: (userId) => new SqliteTokenStore(db, userId), close: () => db.close() }
}

/** Secrets shorter than this are refused: the webhook path and the admin token must be
 * unguessable (e.g. `openssl rand -hex 32`). */
const MIN_SECRET_LENGTH = 24

/** `value` if it is a usable secret: long enough, and of characters a URL path segment and an
 * `Authorization` header carry as they are (letters, digits, `-`, `_`). */
function requireSecret(name, value) {
  if (typeof value !== 'string' || value.length < MIN_SECRET_LENGTH || !/^[A-Za-z0-9_-]+$/.test(value)) {
    throw new Error(`${name} must be a random string of at least ${MIN_SECRET_LENGTH} letters, digits, '-' or '_' (e.g. openssl rand -hex 32)`)
  }
  return value
}

/** Compares a presented secret with the expected one in constant time (whatever the lengths). */
function sameSecret(presented, expected) {
  const digest = (value) => createHash('sha256').update(value).digest()
  return typeof presented === 'string' && timingSafeEqual(digest(presented), digest(expected))
}

const PENDING_TTL_MS = 10 * 60 * 1000

/**
 * Starts the backend. Tokens go to PostgreSQL when `postgresUrl` is given, otherwise to the
 * SQLite file `dbPath` (which holds the list of connected users either way). `enduco` holds
 * the client options except `redirectUri`, which is `${publicUrl}/callback` (default: the
 * server's own loopback address). `webhookSecret` is the last segment of the webhook path and
 * `adminToken` the bearer token of the `/users` routes: both required, both unguessable.
 */
export async function startBackend({ dbPath, postgresUrl, enduco, webhookSecret, adminToken, port = 0, host = '127.0.0.1', publicUrl, log = console }) {
  requireSecret('webhookSecret', webhookSecret)
  requireSecret('adminToken', adminToken)
  const storage = await openTokenStorage({ dbPath, postgresUrl })
  const server = http.createServer()
  await new Promise((resolve) => server.listen(port, host, resolve))
  const base = publicUrl ?? `http://${host}:${server.address().port}`
  const client = new EnducoClient({ ...enduco, redirectUri: `${base}/callback` })

  /** Started authorizations by state (a real app keeps them in its session store). */
  const pending = new Map()
  /** One Session per user, so concurrent requests share one refresh. */
  const sessions = new Map()

  // The users the backend knows are those whose tokens are stored: one lookup of the user's
  // row (the SDK's `enduco_tokens` table in PostgreSQL, ours in SQLite).
  const knownUser = async (userId) => (await storage.forUser(userId).load()) != null
  const webhookPath = `/webhooks/enduco/${webhookSecret}`
  const sessionFor = (userId) => {
    let session = sessions.get(userId)
    if (!session) {
      session = client.session(storage.forUser(userId))
      sessions.set(userId, session)
    }
    return session
  }
  const forgotten = (userId) => {
    sessions.delete(userId)
    storage.users.remove(userId)
  }

  const routes = {
    'GET /connect': async () => {
      const request = client.authorizationRequest(['user_read', 'plans_read', 'workouts_write'])
      pending.set(request.state, { request, expires: Date.now() + PENDING_TTL_MS })
      return { status: 302, headers: { location: request.url } }
    },

    'GET /callback': async (url) => {
      const state = url.searchParams.get('state') ?? ''
      const started = pending.get(state)
      pending.delete(state)
      if (!started || started.expires < Date.now()) {
        return json(400, { error: 'unknown or expired authorization; start again at /connect' })
      }
      const tokens = await client.completeAuthorization(started.request, url.href)
      const userId = tokens.userId
      if (!userId) return json(502, { error: 'enduco sent no user id' })
      sessions.set(userId, await client.connect(storage.forUser(userId), tokens))
      storage.users.add(userId)
      log.info?.(`enduco user ${userId} connected`)
      return json(200, { userId, scopes: tokens.scopes })
    },

    'GET /users': async () => json(200, { users: storage.users.list() }),

    'POST /users/:id/disconnect': async (url, userId) => {
      if (!(await knownUser(userId))) return json(404, { error: 'unknown user' })
      await sessionFor(userId).revoke() // revokes the grant at enduco, then clears the store
      forgotten(userId)
      log.info?.(`enduco user ${userId} disconnected`)
      return json(200, { disconnected: userId })
    },

    'GET /users/:id/zones': async (url, userId) => {
      if (!(await knownUser(userId))) return json(404, { error: 'unknown user' })
      return json(200, await sessionFor(userId).intensityZones())
    },

    'GET /users/:id/plans': async (url, userId) => {
      if (!(await knownUser(userId))) return json(404, { error: 'unknown user' })
      const days = Number(url.searchParams.get('days') ?? 7)
      return json(200, await sessionFor(userId).upcomingPlans(days))
    },

    'POST /webhooks/enduco/:secret': async (url, _id, body) => {
      const event = parseWebhook(body)
      if (event.type === 'user.deregistered') {
        const userId = event.userId
        if (!(await knownUser(userId))) {
          // Not ours, or already cleared (enduco delivering again): nothing to do.
          log.info?.(`deregistration webhook for ${userId}, who has no tokens here: nothing to do`)
          return { status: 204 }
        }
        // Anyone can POST here: believe it only once enduco refuses the user's grant. A
        // network or store failure rejects (answered 5xx below): enduco delivers it again.
        const cleared = await client.clearDeregisteredUser(event, storage.forUser(userId))
        if (cleared) {
          forgotten(userId)
          log.info?.(`enduco user ${userId} deregistered; tokens deleted`)
        } else {
          log.warn?.(`deregistration webhook for ${userId} ignored: enduco still honours the grant (forged or stale); nothing deleted`)
        }
      } else if (event.type === 'plan.changed') {
        log.info?.(`plans of ${event.userId} changed (${event.from ?? '…'} to ${event.to ?? '…'})`)
      } else {
        log.warn?.('unreadable enduco webhook ignored')
      }
      return { status: 204 } // 2xx for what we cannot read: enduco must not retry it
    },
  }

  /** The route for a request: `[key, userId]`, or `[]` when none matches. */
  const routeOf = (method, pathname) => {
    const user = /^\/users\/([^/]+)\/(zones|plans|disconnect)$/.exec(pathname)
    if (user) return [`${method} /users/:id/${user[2]}`, decodeURIComponent(user[1])]
    if (pathname.startsWith('/webhooks/enduco/')) {
      // A wrong secret looks exactly like a path that does not exist.
      return sameSecret(pathname, webhookPath) ? [`${method} /webhooks/enduco/:secret`] : []
    }
    return [`${method} ${pathname}`]
  }
  const isAdminRoute = (pathname) => pathname === '/users' || pathname.startsWith('/users/')

  server.on('request', async (req, res) => {
    try {
      const url = new URL(req.url, base)
      if (isAdminRoute(url.pathname)) {
        const presented = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1]
        if (!sameSecret(presented, adminToken)) {
          return send(res, { ...json(401, { error: 'admin token required' }), headers: { 'content-type': 'application/json', 'www-authenticate': 'Bearer' } })
        }
      }
      const [key, userId] = routeOf(req.method, url.pathname)
      const route = key && routes[key]
      if (!route) return send(res, json(404, { error: 'not found' }))
      const body = req.method === 'POST' ? await readBody(req) : undefined
      send(res, await route(url, userId, body))
    } catch (error) {
      send(res, errorResponse(error, log))
    }
  })

  return {
    url: base,
    /** The URL to register with enduco for both webhooks. */
    webhookUrl: `${base}${webhookPath}`,
    server,
    storage,
    client,
    async close() {
      await new Promise((resolve) => server.close(resolve))
      storage.close()
    },
  }
}

/** How an SDK error reaches the browser or API client. */
function errorResponse(error, log) {
  if (!(error instanceof EnducoError)) {
    log.error?.(error)
    return json(500, { error: 'internal error' })
  }
  switch (error.code) {
    case 'authorization_denied':
      return json(403, { error: 'you did not connect enduco', code: error.code })
    case 'state_mismatch':
    case 'invalid_input':
      return json(400, { error: error.message, code: error.code })
    case 'reauthorization_required':
      return json(401, { error: 'connect enduco again', code: error.code, connect: '/connect' })
    case 'rate_limited':
      return { ...json(503, { error: 'enduco is busy', code: error.code }), headers: { 'retry-after': String(error.retryAfter ?? 30), 'content-type': 'application/json' } }
    case 'store':
      // Our own database failed (no refresh was sent without its lock); the user's grant is
      // intact, so a retry after the database is back works.
      log.error?.(`token storage failed: ${error.message}`)
      return json(503, { error: 'token storage unavailable', code: error.code })
    default:
      log.error?.(`enduco call failed: ${error.code}: ${error.message}`)
      return json(502, { error: 'enduco is unavailable', code: error.code })
  }
}

function json(status, value) {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) }
}

function send(res, { status, headers = {}, body }) {
  res.writeHead(status, headers)
  res.end(body)
}

async function readBody(req, limit = 64 * 1024) {
  const chunks = []
  let size = 0
  for await (const chunk of req) {
    size += chunk.length
    if (size > limit) throw new Error('webhook body too large')
    chunks.push(chunk)
  }
  return Buffer.concat(chunks)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { postgres: { type: 'string' } } })
  const postgresUrl = values.postgres ?? process.env.ENDUCO_TOKEN_STORE
  if (postgresUrl !== undefined && !/^postgres(ql)?:\/\//.test(postgresUrl)) {
    console.error('--postgres / ENDUCO_TOKEN_STORE: expected a postgres:// URL')
    process.exit(2)
  }
  const secrets = {}
  for (const [option, variable] of [['webhookSecret', 'WEBHOOK_SECRET'], ['adminToken', 'ADMIN_TOKEN']]) {
    try {
      secrets[option] = requireSecret(variable, process.env[variable])
    } catch (error) {
      console.error(error.message)
      process.exit(2)
    }
  }
  const app = await startBackend({
    ...secrets,
    postgresUrl,
    dbPath: process.env.DB_PATH ?? 'enduco-tokens.sqlite',
    port: Number(process.env.PORT ?? 8080),
    host: process.env.HOST ?? '127.0.0.1',
    publicUrl: process.env.PUBLIC_URL,
    enduco: {
      clientId: process.env.ENDUCO_CLIENT_ID ?? '',
      clientSecret: process.env.ENDUCO_CLIENT_SECRET ?? '',
      environment: process.env.ENDUCO_ENV ?? 'beta',
    },
  })
  // The webhook URL carries a secret: say where it is configured rather than print it.
  console.log(`listening on ${app.url} (tokens in ${app.storage.kind}); connect a user at ${app.url}/connect; webhooks at ${app.url}/webhooks/enduco/<WEBHOOK_SECRET>`)
}
