// client.clearDeregisteredUser: a deregistration webhook is acted on only once enduco confirms
// it (a refresh answered reauthorization_required); a forged one clears nothing.

import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'

import { MemoryTokenStore, parseWebhook } from '../index.mjs'
import { RecordingStore, startSandbox } from './helpers.mjs'

let sandbox
before(async () => {
  sandbox = await startSandbox()
})
after(() => sandbox?.stop())

/** A loopback receiver for the sandbox's webhooks: `next()` resolves with the next body. */
async function receiver(t) {
  const bodies = []
  const waiting = []
  const server = http.createServer(async (req, res) => {
    const chunks = []
    for await (const chunk of req) chunks.push(chunk)
    res.writeHead(204).end()
    const body = Buffer.concat(chunks)
    if (waiting.length) waiting.shift()(body)
    else bodies.push(body)
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise((resolve) => server.close(resolve)))
  return {
    url: `http://127.0.0.1:${server.address().port}/hook`,
    next: () => (bodies.length ? Promise.resolve(bodies.shift()) : new Promise((resolve) => waiting.push(resolve))),
  }
}

const refreshes = async () => (await sandbox.tokenRequests()).filter((r) => r.grantType === 'refresh_token')

test('clearDeregisteredUser: a forged event clears nothing, the real one (revoked first) clears the store', async (t) => {
  const client = sandbox.client()
  const { session, store, tokens } = await sandbox.session(client)

  // Forged: enduco still honours the grant. The check is one refresh, saved; nothing cleared.
  await sandbox.clearRequests()
  const forged = parseWebhook({ type: 'user.deregistered', userId: 'athlete-1001' })
  assert.equal(await client.clearDeregisteredUser(forged, store), null)
  const kept = await store.load()
  assert.ok(kept, 'the tokens are still there')
  assert.notEqual(kept.refreshToken, tokens.refreshToken, 'rotated by the check and saved')
  assert.deepEqual((await refreshes()).map((r) => r.status), [200])
  assert.equal((await session.intensityZones()).userId, 'athlete-1001', 'and they work')

  // Real: the sandbox revokes the user's grants, then delivers the event.
  const hook = await receiver(t)
  await sandbox.control('POST', '/webhooks/config', { deregisterUrl: hook.url })
  const sent = await sandbox.control('POST', '/webhooks/send', { type: 'user.deregistered', userId: 'athlete-1001' })
  assert.deepEqual(sent, { delivered: true, status: 204 })
  const body = await hook.next()
  // The raw body is accepted as well as the parsed event; the store may be looked up by id.
  const looked = []
  const cleared = await client.clearDeregisteredUser(body, (userId) => {
    looked.push(userId)
    return store
  })
  assert.equal(cleared, 'athlete-1001')
  assert.deepEqual(looked, ['athlete-1001'])
  assert.equal(await store.load(), null)

  // Delivered again: nothing left to clear; the result names the user again (idempotent).
  assert.equal(await client.clearDeregisteredUser(parseWebhook(body), store), 'athlete-1001')
  assert.equal(await store.load(), null)
})

test('clearDeregisteredUser: other events, unknown users and failures', async () => {
  const client = sandbox.client()
  const { store } = await sandbox.session(client, { scopes: ['user_read'] })
  await sandbox.clearRequests()

  // Other events, and a user the app does not know: null, no request.
  const recording = new RecordingStore(await store.load())
  assert.equal(await client.clearDeregisteredUser(parseWebhook({ type: 'plan.changed', userId: 'athlete-1001' }), recording), null)
  assert.equal(await client.clearDeregisteredUser(parseWebhook('not json'), recording), null)
  assert.equal(await client.clearDeregisteredUser({ type: 'user.deregistered', userId: 'athlete-1001' }, () => null), null)
  assert.equal(await client.clearDeregisteredUser({ type: 'user.deregistered', userId: 'athlete-1001' }, async () => undefined), null)
  assert.equal(recording.loads + recording.clears, 0)
  assert.equal((await sandbox.tokenRequests()).length, 0)

  // A refresh that fails for another reason is that error (answer the webhook 5xx, enduco
  // delivers again), and nothing is cleared.
  await sandbox.fault({ path: '/oauth2/token', kind: 'status', status: 503, count: 10 })
  const quick = sandbox.client({ maxRetries: 0 })
  await assert.rejects(quick.clearDeregisteredUser({ type: 'user.deregistered', userId: 'athlete-1001' }, recording), (e) => e.code === 'server')
  assert.equal(recording.clears, 0)
  assert.ok(recording.tokens)
  await sandbox.control('DELETE', '/faults')

  // A store that fails is a store error; a bad store argument is invalid_input.
  const broken = { load: () => { throw new Error('db down') }, save() {}, clear() {} }
  await assert.rejects(client.clearDeregisteredUser({ type: 'user.deregistered', userId: 'athlete-1001' }, broken), (e) => e.code === 'store')
  await assert.rejects(client.clearDeregisteredUser({ type: 'user.deregistered', userId: 'athlete-1001' }, { load() {} }), (e) => e.code === 'invalid_input')
  // An empty store: the grant cannot be refreshed, so there is nothing to keep: cleared.
  assert.equal(await client.clearDeregisteredUser({ type: 'user.deregistered', userId: 'athlete-1001' }, new MemoryTokenStore()), 'athlete-1001')
})
