// The example backend (examples/backend.mjs) against the sandbox, with its tokens in SQLite and
// in PostgreSQL (tests/db-servers, started once for this file): connect a user through the real
// redirects, serve their data from the stored tokens, refresh into the store, and purge the
// user on enduco's deregistration webhook.

import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import path from 'node:path'
import { createInterface } from 'node:readline'

import Database from 'better-sqlite3'

import { PostgresTokenStores } from '../index.mjs'
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

const quiet = { info() {}, warn() {}, error() {} }

/**
 * The two ways the backend keeps tokens. `start(t)` starts the backend and resolves with it
 * and `stored(userId)`: the user's stored tokens in the storage form, read the way another
 * process would (a second SQLite connection, a second PostgreSQL pool), or null.
 */
const storages = {
  sqlite: async (t) => {
    const dbPath = path.join(tempDir(t), 'tokens.sqlite')
    const app = await startBackend({ dbPath, log: quiet, enduco: enducoOptions() })
    t.after(() => app.close())
    const db = new Database(dbPath, { readonly: true, fileMustExist: true })
    t.after(() => db.close())
    const stored = async (userId) => {
      const row = db.prepare('SELECT tokens FROM enduco_tokens WHERE user_id = ?').get(userId)
      return row ? JSON.parse(row.tokens) : null
    }
    return { app, stored }
  },
  postgres: async (t) => {
    const reader = new PostgresTokenStores(servers.postgresUrl)
    await reader.migrate()
    await reader.forUser('athlete-1001').clear() // a clean slate for this test
    const app = await startBackend({ postgresUrl: servers.postgresUrl, log: quiet, enduco: enducoOptions() })
    t.after(() => app.close())
    assert.equal(app.storage.kind, 'postgres')
    const stored = async (userId) => (await reader.forUser(userId).load())?.toStorageJSON() ?? null
    return { app, stored }
  },
}

function enducoOptions() {
  return { clientId: 'sandbox-client', clientSecret: 'sandbox-secret', environment: sandbox.url }
}

async function get(url, init) {
  return fetch(url, { redirect: 'manual', ...init })
}

for (const [kind, start] of Object.entries(storages)) {
  test(`example backend on ${kind}: connect, serve, refresh into the store, purge on deregistration`, async (t) => {
    const { app, stored: row } = await start(t)

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

    const zones = await get(`${app.url}/users/athlete-1001/zones`)
    assert.equal(zones.status, 200)
    assert.equal((await zones.json()).userId, 'athlete-1001')
    const plans = await get(`${app.url}/users/athlete-1001/plans?days=3`)
    assert.equal(plans.status, 200)
    assert.ok(Array.isArray(await plans.json()))
    assert.equal((await get(`${app.url}/users/athlete-1001/plans?days=30`)).status, 400)
    assert.equal((await get(`${app.url}/users/nobody/zones`)).status, 404)

    // Expired access tokens: the next call refreshes, and the rotated tokens land in the store.
    await sandbox.clearRequests()
    await sandbox.expireAccessTokens()
    const again = await Promise.all([1, 2, 3].map(() => get(`${app.url}/users/athlete-1001/zones`)))
    for (const response of again) assert.equal(response.status, 200)
    const rotated = await row('athlete-1001')
    assert.notEqual(rotated.refresh_token, stored.refresh_token)
    const refreshes = (await sandbox.requests()).filter((r) => r.grantType === 'refresh_token')
    assert.equal(refreshes.length, 1)

    // A plan-changed webhook is acknowledged and changes nothing.
    const hook = `${app.url}/webhooks/enduco`
    await sandbox.control('POST', '/webhooks/config', { deregisterUrl: hook, planChangedUrl: hook })
    const changed = await sandbox.control('POST', '/webhooks/send', { type: 'plan.changed', userId: 'athlete-1001' })
    assert.deepEqual(changed, { delivered: true, status: 204 })
    assert.ok(await row('athlete-1001'))

    // Unreadable webhooks are acknowledged too.
    const junk = await fetch(hook, { method: 'POST', body: 'not json' })
    assert.equal(junk.status, 204)

    // Deregistration: enduco says the user left; their tokens are deleted.
    const gone = await sandbox.control('POST', '/webhooks/send', { type: 'user.deregistered', userId: 'athlete-1001' })
    assert.deepEqual(gone, { delivered: true, status: 204 })
    assert.equal(await row('athlete-1001'), null)
    assert.equal((await get(`${app.url}/users/athlete-1001/zones`)).status, 404)

    // Connecting again works and stores a fresh row.
    const reconnect = await get(`${app.url}/connect`)
    const back = await get(await sandbox.approve(reconnect.headers.get('location')))
    assert.equal(back.status, 200)
    assert.ok(await row('athlete-1001'))
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

test('example backend as a program: --postgres URL keeps the tokens in PostgreSQL', async (t) => {
  const child = spawn(process.execPath, [path.join(ROOT, 'node', 'examples', 'backend.mjs'), '--postgres', servers.postgresUrl], {
    env: { ...process.env, PORT: '0', ENDUCO_CLIENT_ID: 'sandbox-client', ENDUCO_CLIENT_SECRET: 'sandbox-secret', ENDUCO_ENV: sandbox.url },
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
  const connect = await get(`${match[1]}/connect`)
  const connected = await get(await sandbox.approve(connect.headers.get('location')))
  assert.equal(connected.status, 200, await connected.clone().text())
  const stored = await new PostgresTokenStores(servers.postgresUrl).forUser('athlete-1001').load()
  assert.ok(stored, 'the tokens are in PostgreSQL')
  assert.equal((await get(`${match[1]}/users/athlete-1001/zones`)).status, 200)
})
