// The example backend (examples/backend.mjs) against the sandbox: connect a user through the
// real redirects, serve their data from tokens kept in SQLite, refresh into SQLite, and purge
// the user on enduco's deregistration webhook.

import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'

import Database from 'better-sqlite3'

import { startBackend } from '../examples/backend.mjs'
import { startSandbox, tempDir } from './helpers.mjs'

let sandbox
before(async () => {
  sandbox = await startSandbox()
})
after(() => sandbox?.stop())

const quiet = { info() {}, warn() {}, error() {} }

async function get(url, init) {
  return fetch(url, { redirect: 'manual', ...init })
}

test('example backend: connect, serve, refresh into SQLite, purge on deregistration', async (t) => {
  const dbPath = path.join(tempDir(t), 'tokens.sqlite')
  const app = await startBackend({
    dbPath,
    log: quiet,
    enduco: { clientId: 'sandbox-client', clientSecret: 'sandbox-secret', environment: sandbox.url },
  })
  t.after(() => app.close())
  const db = new Database(dbPath, { readonly: true, fileMustExist: true })
  t.after(() => db.close())
  const row = (userId) => db.prepare('SELECT tokens FROM enduco_tokens WHERE user_id = ?').get(userId)

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
  const stored = JSON.parse(row('athlete-1001').tokens)
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

  // Expired access tokens: the next call refreshes, and the rotated tokens land in SQLite.
  await sandbox.expireAccessTokens()
  const again = await Promise.all([1, 2, 3].map(() => get(`${app.url}/users/athlete-1001/zones`)))
  for (const response of again) assert.equal(response.status, 200)
  const rotated = JSON.parse(row('athlete-1001').tokens)
  assert.notEqual(rotated.refresh_token, stored.refresh_token)
  const refreshes = (await sandbox.requests()).filter((r) => r.grantType === 'refresh_token')
  assert.equal(refreshes.length, 1)

  // A plan-changed webhook is acknowledged and changes nothing.
  const hook = `${app.url}/webhooks/enduco`
  await sandbox.control('POST', '/webhooks/config', { deregisterUrl: hook, planChangedUrl: hook })
  const changed = await sandbox.control('POST', '/webhooks/send', { type: 'plan.changed', userId: 'athlete-1001' })
  assert.deepEqual(changed, { delivered: true, status: 204 })
  assert.ok(row('athlete-1001'))

  // Unreadable webhooks are acknowledged too.
  const junk = await fetch(hook, { method: 'POST', body: 'not json' })
  assert.equal(junk.status, 204)

  // Deregistration: enduco says the user left; their tokens are deleted.
  const gone = await sandbox.control('POST', '/webhooks/send', { type: 'user.deregistered', userId: 'athlete-1001' })
  assert.deepEqual(gone, { delivered: true, status: 204 })
  assert.equal(row('athlete-1001'), undefined)
  assert.equal((await get(`${app.url}/users/athlete-1001/zones`)).status, 404)

  // Connecting again works and stores a fresh row.
  const reconnect = await get(`${app.url}/connect`)
  const back = await get(await sandbox.approve(reconnect.headers.get('location')))
  assert.equal(back.status, 200)
  assert.ok(row('athlete-1001'))
})

test('example backend: a cancelled consent answers 403', async (t) => {
  const app = await startBackend({
    dbPath: path.join(tempDir(t), 'tokens.sqlite'),
    log: quiet,
    enduco: { clientId: 'sandbox-client', clientSecret: 'sandbox-secret', environment: sandbox.url },
  })
  t.after(() => app.close())
  const connect = await get(`${app.url}/connect`)
  const callback = await sandbox.cancel(connect.headers.get('location'))
  const response = await get(callback)
  assert.equal(response.status, 403)
  assert.equal((await response.json()).code, 'authorization_denied')
})
