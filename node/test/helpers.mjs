// Test helpers: a real sandbox process per test file, spoken to over loopback HTTP.

import { spawn, execFile, execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import assert from 'node:assert/strict'

import { EnducoClient, MemoryTokenStore, TokenSet } from '../index.mjs'

const here = path.dirname(fileURLToPath(import.meta.url))
export const ROOT = path.resolve(here, '..', '..')
export const SANDBOX_BIN = process.env.ENDUCO_SANDBOX_BIN ?? path.join(ROOT, 'target', 'debug', 'enduco-sandbox')
export const ALL_SCOPES = ['user_read', 'plans_read', 'workouts_write']
export const CLIENT = {
  clientId: 'sandbox-client',
  clientSecret: 'sandbox-secret',
  redirectUri: 'https://app.example/callback',
}

/** Starts `enduco-sandbox --port 0` and resolves once it printed its address. */
export async function startSandbox(args = []) {
  const child = spawn(SANDBOX_BIN, ['--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-8000)
  })
  const lines = createInterface({ input: child.stdout })
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sandbox did not start in 20 s: ${stderr}`)), 20_000)
    child.once('error', (e) => {
      clearTimeout(timer)
      reject(e)
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`sandbox exited with ${code}: ${stderr}`))
    })
    lines.once('line', (line) => {
      clearTimeout(timer)
      const match = /^listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(line.trim())
      if (match) resolve(match[1])
      else reject(new Error(`unexpected first line from the sandbox: ${line}`))
    })
  })
  lines.on('line', () => {}) // keep draining stdout
  return new Sandbox(url, child)
}

export class Sandbox {
  constructor(url, child) {
    this.url = url
    this.child = child
  }

  /** A client for this sandbox; `options` override the defaults. */
  client(options = {}) {
    return new EnducoClient({ ...CLIENT, environment: this.url, ...options })
  }

  async control(method, route, body) {
    const response = await fetch(`${this.url}/_sandbox${route}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await response.text()
    assert.ok(response.ok, `control ${method} ${route} answered ${response.status}: ${text}`)
    return text ? JSON.parse(text) : null
  }

  fault(fault) {
    return this.control('POST', '/faults', { count: 1, ...fault })
  }
  expireAccessTokens() {
    return this.control('POST', '/expire-access-tokens', {})
  }
  requests() {
    return this.control('GET', '/requests')
  }
  /** The token endpoint's entries of the request log (`grantType` tells which grant). */
  async tokenRequests() {
    return (await this.control('GET', '/requests?path=/oauth2/token')).filter((r) => r.path === '/oauth2/token')
  }
  /** The refresh-token reuse policy: `strict`, `overlap` (the default) or `family-revoke`. */
  refreshReuse(policy) {
    return this.control('POST', '/refresh-reuse', { policy })
  }
  clearRequests() {
    return this.control('DELETE', '/requests')
  }
  reset() {
    return this.control('POST', '/reset', {})
  }

  /** GET the authorization URL like a browser would (auto-approve) and return the redirect. */
  async approve(authorizationUrl) {
    const response = await fetch(authorizationUrl, { redirect: 'manual' })
    assert.equal(response.status, 302, `authorize answered ${response.status}: ${await response.text()}`)
    return response.headers.get('location')
  }

  /** The user presses "cancel" on the consent page. */
  async cancel(authorizationUrl) {
    const query = new URL(authorizationUrl).search.slice(1)
    const response = await fetch(`${this.url}/oauth2/authorize/decision`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `${query}&decision=cancel`,
    })
    assert.equal(response.status, 302, `decision answered ${response.status}: ${await response.text()}`)
    return response.headers.get('location')
  }

  /** The whole authorization flow; resolves with a fresh TokenSet. */
  async authorize(client, scopes = ALL_SCOPES) {
    const request = client.authorizationRequest(scopes)
    const callback = await this.approve(request.url)
    return client.completeAuthorization(request, callback)
  }

  /** Authorizes and opens a session over a MemoryTokenStore (or `store`). */
  async session(client, { scopes = ALL_SCOPES, store } = {}) {
    const tokens = await this.authorize(client, scopes)
    const target = store ?? new MemoryTokenStore()
    const session = await client.connect(target, tokens)
    return { session, store: target, tokens }
  }

  stop() {
    if (this.child.exitCode === null) this.child.kill('SIGTERM')
  }
}

/** Writes a FIT fixture with the sandbox's generator and returns its path. */
export function fitFixture(dir, name, args = []) {
  const out = path.join(dir, name)
  execFileSync(SANDBOX_BIN, ['fit', '--out', out, ...args], { stdio: 'pipe' })
  return out
}

export function tempDir(t) {
  const dir = mkdtempSync(path.join(tmpdir(), 'enduco-node-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** A copy of `tokens` whose access token counts as expired (the JSON form's `expires_at`). */
export function expired(tokens) {
  const json = tokens.toStorageJSON()
  json.expires_at = Math.floor(Date.now() / 1000) - 3600
  return TokenSet.fromJSON(json)
}

/** A token store implemented by the app: plain object methods, counts its calls. */
export class RecordingStore {
  constructor(tokens = null, { async = true } = {}) {
    this.tokens = tokens
    this.async = async
    this.loads = 0
    this.saves = 0
    this.clears = 0
  }
  load() {
    this.loads += 1
    return this.async ? Promise.resolve(this.tokens) : this.tokens
  }
  save(tokens) {
    this.saves += 1
    this.tokens = tokens
    return this.async ? new Promise((resolve) => setImmediate(resolve)) : undefined
  }
  clear() {
    this.clears += 1
    this.tokens = null
    return this.async ? Promise.resolve() : undefined
  }
}

/** Requests in the sandbox log that match `filter`. */
export async function countRequests(sandbox, filter) {
  return (await sandbox.requests()).filter(filter).length
}

/**
 * Polls `check` (sync or async) until it returns a truthy value, which it resolves with;
 * rejects naming `what` once `timeoutMs` passed. For state another process changes.
 */
export async function waitFor(check, { what = 'the condition', timeoutMs = 20_000, intervalMs = 20 } = {}) {
  const give = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value) return value
    if (Date.now() > give) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}

/** A RecordingStore with the refresh lock (a lease in memory), counting lock calls. */
export class LockingStore extends RecordingStore {
  constructor(tokens = null, options) {
    super(tokens, options)
    this.holder = null
    this.tryLocks = 0
    this.unlocks = 0
  }
  tryLock(owner, leaseMs) {
    this.tryLocks += 1
    const now = Date.now()
    let taken = false
    if (!this.holder || this.holder.owner === owner || this.holder.until <= now) {
      this.holder = { owner, until: now + leaseMs }
      taken = true
    }
    return this.async ? Promise.resolve(taken) : taken
  }
  unlock(owner) {
    this.unlocks += 1
    if (this.holder?.owner === owner) this.holder = null
    return this.async ? Promise.resolve() : undefined
  }
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL and Redis (tests/db-servers): throwaway servers on loopback, one pair per test file

const DB_SERVERS = path.join(ROOT, 'tests', 'db-servers')

function dbServers(args) {
  return new Promise((resolve, reject) => {
    execFile(DB_SERVERS, args, { timeout: 120_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`tests/db-servers ${args.join(' ')} failed: ${error.message}\n${stderr}`))
      else resolve(stdout)
    })
  })
}

/**
 * Starts PostgreSQL and Redis (`tests/db-servers up`) in a temp folder; resolves with their
 * URLs and `stop(which)`/`start(which)` (same port; Redis keeps its data) and `down()`.
 * Register `down()` with `after` right away: it is safe to call more than once.
 */
export async function startDbServers() {
  const dir = mkdtempSync(path.join(tmpdir(), 'enduco-node-db-'))
  let down = false
  const servers = {
    dir,
    postgresUrl: undefined,
    redisUrl: undefined,
    stop: (which) => dbServers(['stop', which, dir]),
    start: (which) => dbServers(['start', which, dir]),
    async down() {
      if (down) return
      down = true
      try {
        await dbServers(['down', dir])
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    },
  }
  try {
    const out = await dbServers(['up', dir])
    const url = (name) => {
      const line = out.split('\n').find((l) => l.startsWith(`${name}=`))
      assert.ok(line, `tests/db-servers printed no ${name}: ${out}`)
      return line.slice(name.length + 1).trim()
    }
    servers.postgresUrl = url('POSTGRES_URL')
    servers.redisUrl = url('REDIS_URL')
  } catch (error) {
    await servers.down().catch(() => {})
    throw error
  }
  return servers
}

/** Authorizes `userId` (the sandbox's `login_hint`) with every scope; resolves with a TokenSet. */
export async function authorizeAs(sandbox, client, userId, scopes = ALL_SCOPES) {
  const request = client.authorizationRequest(scopes)
  const callback = await sandbox.approve(`${request.url}&login_hint=${encodeURIComponent(userId)}`)
  return client.completeAuthorization(request, callback)
}

// ---------------------------------------------------------------------------------------------
// Child processes (scripts in this folder)

/** Starts `node script args…`; lines of its stdout arrive through `next()`. */
export function startChild(script, args) {
  const child = spawn(process.execPath, [path.join(here, script), ...args], { stdio: ['pipe', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d) => {
    stderr = (stderr + d).slice(-8000)
  })
  const queue = []
  const waiting = []
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (waiting.length) waiting.shift().resolve(line)
    else queue.push(line)
  })
  child.on('exit', (code) => {
    for (const w of waiting.splice(0)) w.reject(new Error(`${script} exited with ${code}: ${stderr}`))
  })
  return {
    child,
    stderr: () => stderr,
    next(timeoutMs = 60_000) {
      if (queue.length) return Promise.resolve(queue.shift())
      if (child.exitCode !== null) return Promise.reject(new Error(`${script} exited with ${child.exitCode}: ${stderr}`))
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${script}: no line within ${timeoutMs} ms: ${stderr}`)), timeoutMs)
        waiting.push({
          resolve: (line) => {
            clearTimeout(timer)
            resolve(line)
          },
          reject: (e) => {
            clearTimeout(timer)
            reject(e)
          },
        })
      })
    },
  }
}

/** Runs a child to its end; resolves with its exit code and output. */
export function runChild(script, args, timeoutMs = 120_000) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(here, script), ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${script} did not finish within ${timeoutMs} ms:\n${stderr}`))
    }, timeoutMs)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}
