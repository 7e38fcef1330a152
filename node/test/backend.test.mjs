// The example backend (examples/backend.mjs) against the sandbox, with its tokens in SQLite and
// in PostgreSQL (tests/db-servers, started once for this file): connect a user through the real
// redirects, serve their data from the stored tokens, refresh into the store, ignore a forged
// deregistration webhook (the grant still works) and purge the user on a real one (enduco
// revoked the grant); its webhook path carries a secret and its admin routes a bearer token.

import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import path from 'node:path'
import { createInterface } from 'node:readline'

import Database from 'better-sqlite3'

import { MemoryTokenStore, PostgresTokenStores, TokenSet } from '../index.mjs'
import { startBackend } from '../examples/backend.mjs'
import { ROOT, startDbServers, startSandbox, tempDir } from './helpers.mjs'

let sandbox
let servers
before(async () => {
  sandbox = await startSandbox()
  servers = await startDbServers()
})
after(async () => {
  sandbox?.stop()
  await servers?.down()
})

const ADMIN_TOKEN = randomBytes(24).toString('hex')
const WEBHOOK_SECRET = randomBytes(24).toString('hex')
const admin = { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }
const secrets = { adminToken: ADMIN_TOKEN, webhookSecret: WEBHOOK_SECRET }

/** A logger that keeps what the backend logged: `[level, message]` pairs. */
function recordingLog() {
  const lines = []
  const at = (level) => (message) => lines.push([level, String(message)])
  return { lines, info: at('info'), warn: at('warn'), error: at('error') }
}

/**
 * The two ways the backend keeps tokens. `start(t)` starts the backend and resolves with it,
 * its log, and `stored(userId)`: the user's stored tokens in the storage form, read the way
 * another process would (a second SQLite connection, a second PostgreSQL pool), or null.
 */
const storages = {
  sqlite: async (t) => {
    const dbPath = path.join(tempDir(t), 'tokens.sqlite')
    const log = recordingLog()
    const app = await startBackend({ dbPath, log, enduco: enducoOptions(), ...secrets })
    t.after(() => app.close())
    const db = new Database(dbPath, { readonly: true, fileMustExist: true })
    t.after(() => db.close())
    const stored = async (userId) => {
      const row = db.prepare('SELECT tokens FROM enduco_tokens WHERE user_id = ?').get(userId)
      return row ? JSON.parse(row.tokens) : null
    }
    return { app, log, stored }
  },
  postgres: async (t) => {
    const reader = new PostgresTokenStores(servers.postgresUrl)
    await reader.migrate()
    await reader.forUser('athlete-1001').clear() // a clean slate for this test
    const log = recordingLog()
    const dbPath = path.join(tempDir(t), 'app.sqlite') // the app's own list of users
    const app = await startBackend({ postgresUrl: servers.postgresUrl, dbPath, log, enduco: enducoOptions(), ...secrets })
    t.after(() => app.close())
    assert.equal(app.storage.kind, 'postgres')
    const stored = async (userId) => (await reader.forUser(userId).load())?.toStorageJSON() ?? null
    return { app, log, stored }
  },
}

function enducoOptions() {
  return { clientId: 'sandbox-client', clientSecret: 'sandbox-secret', environment: sandbox.url }
}

async function get(url, init) {
  return fetch(url, { redirect: 'manual', ...init })
}

for (const [kind, start] of Object.entries(storages)) {
  test(`example backend on ${kind}: connect, serve, refresh into the store, ignore a forged deregistration, purge on a real one`, async (t) => {
    const { app, log, stored: row } = await start(t)

    // The browser: backend → enduco's consent (auto-approved) → backend callback.
    const connect = await get(`${app.url}/connect`)
    assert.equal(connect.status, 302)
    const authorize = connect.headers.get('location')
    assert.ok(authorize.startsWith(`${sandbox.url}/oauth2/authorize?`), authorize)
    const callback = await sandbox.approve(authorize)
    assert.ok(callback.startsWith(`${app.url}/callback?`), callback)
    const connected = await get(callback)
    assert.equal(connected.status, 200, await connected.clone().text())
    assert.equal((await connected.json()).userId, 'athlete-1001')

    // One token set per user, in the SDK's storage form.
    const stored = await row('athlete-1001')
    assert.equal(stored.schema_version, 1)
    assert.equal(typeof stored.refresh_token, 'string')

    // A replayed callback is refused.
    assert.equal((await get(callback)).status, 400)

    const zones = await get(`${app.url}/users/athlete-1001/zones`, admin)
    assert.equal(zones.status, 200)
    assert.equal((await zones.json()).userId, 'athlete-1001')
    const plans = await get(`${app.url}/users/athlete-1001/plans?days=3`, admin)
    assert.equal(plans.status, 200)
    assert.ok(Array.isArray(await plans.json()))
    assert.equal((await get(`${app.url}/users/athlete-1001/plans?days=30`, admin)).status, 400)
    assert.equal((await get(`${app.url}/users/nobody/zones`, admin)).status, 404)
    assert.deepEqual(await (await get(`${app.url}/users`, admin)).json(), { users: ['athlete-1001'] })

    // Expired access tokens: the next call refreshes, and the rotated tokens land in the store.
    await sandbox.clearRequests()
    await sandbox.expireAccessTokens()
    const again = await Promise.all([1, 2, 3].map(() => get(`${app.url}/users/athlete-1001/zones`, admin)))
    for (const response of again) assert.equal(response.status, 200)
    const rotated = await row('athlete-1001')
    assert.notEqual(rotated.refresh_token, stored.refresh_token)
    const refreshes = (await sandbox.requests()).filter((r) => r.grantType === 'refresh_token')
    assert.equal(refreshes.length, 1)

    // A plan-changed webhook is acknowledged and changes nothing.
    const hook = app.webhookUrl
    assert.equal(hook, `${app.url}/webhooks/enduco/${WEBHOOK_SECRET}`)
    await sandbox.control('POST', '/webhooks/config', { deregisterUrl: hook, planChangedUrl: hook })
    const changed = await sandbox.control('POST', '/webhooks/send', { type: 'plan.changed', userId: 'athlete-1001' })
    assert.deepEqual(changed, { delivered: true, status: 204 })
    assert.ok(await row('athlete-1001'))

    // Unreadable webhooks are acknowledged too.
    const junk = await fetch(hook, { method: 'POST', body: 'not json' })
    assert.equal(junk.status, 204)

    // A forged deregistration (someone who learned the URL; enduco revoked nothing): the
    // backend asks enduco with a refresh, which works, so the user stays connected with
    // working tokens, and the attempt is logged.
    await sandbox.clearRequests()
    const forged = await fetch(hook, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'user.deregistered', userId: 'athlete-1001', occurredAt: '2025-03-01T06:30:00Z' }),
    })
    assert.equal(forged.status, 204)
    const kept = await row('athlete-1001')
    assert.ok(kept, 'the forged event deleted nothing')
    assert.notEqual(kept.refresh_token, rotated.refresh_token, 'the check was a real refresh, saved')
    const checks = (await sandbox.requests()).filter((r) => r.grantType === 'refresh_token')
    assert.deepEqual(checks.map((r) => r.status), [200])
    assert.ok(
      log.lines.some(([level, line]) => level === 'warn' && /deregistration webhook for athlete-1001 ignored/.test(line) && /forged/.test(line)),
      `the forged event is logged: ${JSON.stringify(log.lines)}`,
    )
    const still = await get(`${app.url}/users/athlete-1001/zones`, admin)
    assert.equal(still.status, 200, 'the user\'s tokens still work')
    assert.equal((await still.json()).userId, 'athlete-1001')
    assert.deepEqual(await (await get(`${app.url}/users`, admin)).json(), { users: ['athlete-1001'] })

    // The real deregistration: enduco revokes the grant, then calls the webhook; the refresh
    // is refused, so the tokens are deleted.
    const gone = await sandbox.control('POST', '/webhooks/send', { type: 'user.deregistered', userId: 'athlete-1001' })
    assert.deepEqual(gone, { delivered: true, status: 204 })
    assert.equal(await row('athlete-1001'), null)
    assert.equal((await get(`${app.url}/users/athlete-1001/zones`, admin)).status, 404)
    assert.deepEqual(await (await get(`${app.url}/users`, admin)).json(), { users: [] })
    assert.ok(log.lines.some(([level, line]) => level === 'info' && /athlete-1001 deregistered; tokens deleted/.test(line)))

    // enduco delivering it again changes nothing and is still acknowledged.
    const repeat = await sandbox.control('POST', '/webhooks/send', { type: 'user.deregistered', userId: 'athlete-1001' })
    assert.deepEqual(repeat, { delivered: true, status: 204 })

    // Connecting again works and stores a fresh row.
    const reconnect = await get(`${app.url}/connect`)
    const back = await get(await sandbox.approve(reconnect.headers.get('location')))
    assert.equal(back.status, 200)
    assert.ok(await row('athlete-1001'))
    assert.equal((await get(`${app.url}/users/athlete-1001/zones`, admin)).status, 200)
  })

  test(`example backend on ${kind}: admin routes need the bearer token, the webhook path its secret; disconnect revokes`, async (t) => {
    const { app, stored: row } = await start(t)
    const connect = await get(`${app.url}/connect`)
    assert.equal((await get(await sandbox.approve(connect.headers.get('location')))).status, 200)

    // Without the admin token (or with a wrong one, or another scheme): 401, nothing done.
    const attempts = [
      {},
      { authorization: `Bearer ${ADMIN_TOKEN.slice(0, -1)}x` },
      { authorization: `Bearer ${ADMIN_TOKEN}${ADMIN_TOKEN}` },
      { authorization: `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}` },
      { authorization: ADMIN_TOKEN },
    ]
    for (const headers of attempts) {
      for (const [method, route] of [['GET', '/users'], ['POST', '/users/athlete-1001/disconnect'], ['GET', '/users/athlete-1001/zones'], ['GET', '/users/athlete-1001/plans']]) {
        const response = await get(`${app.url}${route}`, { method, headers })
        assert.equal(response.status, 401, `${method} ${route} with ${JSON.stringify(headers)}`)
        assert.equal(response.headers.get('www-authenticate'), 'Bearer')
      }
    }
    assert.ok(await row('athlete-1001'), 'nothing was disconnected')

    // The webhook only at its secret path: anything else is a plain 404 (and changes nothing).
    const body = JSON.stringify({ type: 'user.deregistered', userId: 'athlete-1001' })
    for (const hookPath of ['/webhooks/enduco', '/webhooks/enduco/', `/webhooks/enduco/${WEBHOOK_SECRET.slice(1)}`, `/webhooks/enduco/${WEBHOOK_SECRET}/x`, `/webhooks/${WEBHOOK_SECRET}`]) {
      const response = await fetch(`${app.url}${hookPath}`, { method: 'POST', body })
      assert.equal(response.status, 404, hookPath)
    }
    await sandbox.control('POST', '/webhooks/config', { deregisterUrl: `${app.url}/webhooks/enduco` })
    await sandbox.clearRequests()
    assert.deepEqual(await sandbox.control('POST', '/webhooks/send', { type: 'user.deregistered', userId: 'athlete-2002' }), { delivered: false, status: 404 })
    assert.ok(await row('athlete-1001'))

    // With the token: the list, and disconnect, which revokes the grant and forgets the user.
    assert.deepEqual(await (await get(`${app.url}/users`, admin)).json(), { users: ['athlete-1001'] })
    const before = await row('athlete-1001')
    const disconnected = await get(`${app.url}/users/athlete-1001/disconnect`, { method: 'POST', ...admin })
    assert.equal(disconnected.status, 200)
    assert.deepEqual(await disconnected.json(), { disconnected: 'athlete-1001' })
    assert.equal(await row('athlete-1001'), null)
    assert.deepEqual(await (await get(`${app.url}/users`, admin)).json(), { users: [] })
    assert.equal((await sandbox.requests()).filter((r) => r.path === '/oauth2/revoke').length, 1)
    // The revoked grant is dead at enduco: its refresh token no longer works.
    const probe = sandbox.client().session(new MemoryTokenStore(TokenSet.fromJSON(before)))
    await assert.rejects(probe.refresh(), (e) => e.code === 'reauthorization_required')
    assert.equal((await get(`${app.url}/users/athlete-1001/disconnect`, { method: 'POST', ...admin })).status, 404)
  })

  test(`example backend on ${kind}: a cancelled consent answers 403`, async (t) => {
    const { app } = await start(t)
    const connect = await get(`${app.url}/connect`)
    const callback = await sandbox.cancel(connect.headers.get('location'))
    const response = await get(callback)
    assert.equal(response.status, 403)
    assert.equal((await response.json()).code, 'authorization_denied')
  })
}

function programEnv(t, extra = {}) {
  return {
    ...process.env,
    PORT: '0',
    DB_PATH: path.join(tempDir(t), 'app.sqlite'),
    ENDUCO_CLIENT_ID: 'sandbox-client',
    ENDUCO_CLIENT_SECRET: 'sandbox-secret',
    ENDUCO_ENV: sandbox.url,
    ADMIN_TOKEN,
    WEBHOOK_SECRET,
    ...extra,
  }
}

test('example backend as a program: --postgres URL keeps the tokens in PostgreSQL', async (t) => {
  await new PostgresTokenStores(servers.postgresUrl).forUser('athlete-1001').clear()
  const child = spawn(process.execPath, [path.join(ROOT, 'node', 'examples', 'backend.mjs'), '--postgres', servers.postgresUrl], {
    env: programEnv(t),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  t.after(() => child.kill())
  let stderr = ''
  child.stderr.on('data', (d) => (stderr += d))
  const line = await new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve)
    child.once('exit', (code) => reject(new Error(`backend exited with ${code}: ${stderr}`)))
  })
  const match = /^listening on (http:\/\/127\.0\.0\.1:\d+) \(tokens in postgres\)/.exec(line)
  assert.ok(match, line)
  assert.ok(!line.includes(WEBHOOK_SECRET) && !line.includes(ADMIN_TOKEN), `the start line shows no secret: ${line}`)
  const connect = await get(`${match[1]}/connect`)
  const connected = await get(await sandbox.approve(connect.headers.get('location')))
  assert.equal(connected.status, 200, await connected.clone().text())
  const stored = await new PostgresTokenStores(servers.postgresUrl).forUser('athlete-1001').load()
  assert.ok(stored, 'the tokens are in PostgreSQL')
  assert.equal((await get(`${match[1]}/users/athlete-1001/zones`)).status, 401)
  assert.equal((await get(`${match[1]}/users/athlete-1001/zones`, admin)).status, 200)
})

test('example backend as a program: refuses to start without unguessable secrets', async (t) => {
  const script = path.join(ROOT, 'node', 'examples', 'backend.mjs')
  for (const [name, env] of [
    ['ADMIN_TOKEN', programEnv(t, { ADMIN_TOKEN: '' })],
    ['WEBHOOK_SECRET', programEnv(t, { WEBHOOK_SECRET: 'short' })],
    ['WEBHOOK_SECRET', programEnv(t, { WEBHOOK_SECRET: `${WEBHOOK_SECRET}/../x` })],
  ]) {
    const child = spawn(process.execPath, [script], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += d))
    const code = await new Promise((resolve) => child.on('exit', resolve))
    assert.equal(code, 2, stderr)
    assert.match(stderr, new RegExp(`${name} must be a random string of at least 24`))
  }
  await assert.rejects(
    startBackend({ dbPath: path.join(tempDir(t), 'x.sqlite'), enduco: enducoOptions(), adminToken: ADMIN_TOKEN, webhookSecret: 'guessable' }),
    /webhookSecret must be a random string/,
  )
})
