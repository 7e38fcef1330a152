// Issue 11 through the binding: PostgresTokenStores and RedisTokenStores against real servers
// (tests/db-servers starts PostgreSQL and Redis on loopback, once for this file) and the real
// sandbox. The store contract through a session, two OS processes sharing users in each server,
// a server stopped in the middle of a session, and the stress worker's server-store protocol.
//
// Nothing here sleeps to wait for an event or asserts on a duration; the sandbox's request log
// is the witness of what was sent.

import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import util from 'node:util'

import {
  InvalidInputError,
  MemoryTokenStore,
  PostgresTokenStore,
  PostgresTokenStores,
  RedisTokenStore,
  RedisTokenStores,
  ReauthorizationRequiredError,
  StoreError,
  TokenSet,
} from '../index.mjs'
import { authorizeAs, expired, runChild, startChild, startDbServers, startSandbox, tempDir } from './helpers.mjs'

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

const KINDS = ['postgres', 'redis']
const urlOf = (kind) => (kind === 'postgres' ? servers.postgresUrl : servers.redisUrl)
const open = (kind, url = urlOf(kind)) => (kind === 'postgres' ? new PostgresTokenStores(url) : new RedisTokenStores(url))

const refreshes = async () => (await sandbox.tokenRequests()).filter((r) => r.grantType === 'refresh_token')

/** Refresh requests per sandbox user id: `{ userId: [status, …] }`. */
async function refreshesByUser() {
  const byUser = {}
  for (const r of await refreshes()) (byUser[r.userId] ??= []).push(r.status)
  return byUser
}

// ---------------------------------------------------------------------------------------------
// Construction, redaction

test('server stores: invalid URLs are invalid_input; inspect, String and JSON never show the URL', () => {
  const secret = 'hunter2-not-for-logs'
  for (const [make, url] of [
    [(u) => new PostgresTokenStores(u), 'not a url'],
    [(u) => new PostgresTokenStores(u), `postgres://enduco:${secret}@127.0.0.1:notaport/db`],
    [(u) => new RedisTokenStores(u), 'not a url'],
    [(u) => new RedisTokenStores(u), `http://:${secret}@127.0.0.1:6379/`],
  ]) {
    assert.throws(
      () => make(url),
      (e) => {
        assert.ok(e instanceof InvalidInputError, `${url}: got ${e}`)
        assert.equal(e.code, 'invalid_input')
        assert.ok(!e.message.includes(secret), e.message)
        assert.ok(!util.inspect(e).includes(secret))
        return true
      },
    )
  }
  assert.throws(() => new PostgresTokenStores(5432), (e) => e instanceof InvalidInputError && /url must be a string, got a number/.test(e.message))
  assert.throws(() => new RedisTokenStores(), (e) => e instanceof InvalidInputError && /url must be a string/.test(e.message))
  assert.throws(() => new RedisTokenStores('redis://127.0.0.1/', { prefix: 1 }), (e) => e instanceof InvalidInputError && /options\.prefix must be a string/.test(e.message))
  assert.throws(() => new RedisTokenStores('redis://127.0.0.1/', 'app:'), (e) => e instanceof InvalidInputError && /options must be an object/.test(e.message))

  // Construction connects to nothing, so these URLs need no server.
  const postgres = new PostgresTokenStores(`postgres://enduco:${secret}@db.internal:5432/app`)
  const redis = new RedisTokenStores(`redis://app:${secret}@cache.internal:6380/2`, { prefix: 'trainer:' })
  assert.equal(redis.prefix, 'trainer:')
  assert.equal(new RedisTokenStores(`redis://:${secret}@cache.internal/`).prefix, 'enduco:')
  assert.throws(() => postgres.forUser(7), (e) => e instanceof InvalidInputError && /key must be a string/.test(e.message))
  const user = postgres.forUser('athlete-7')
  assert.ok(user instanceof PostgresTokenStore)
  assert.ok(redis.forUser('athlete-7') instanceof RedisTokenStore)
  assert.equal(user.key, 'athlete-7')
  assert.throws(() => new PostgresTokenStore(), TypeError)
  for (const value of [postgres, redis, user, redis.forUser('athlete-7')]) {
    for (const shown of [util.inspect(value), util.inspect(value, { showHidden: true, depth: 5 }), String(value), JSON.stringify(value), JSON.stringify({ value })]) {
      assert.ok(!shown.includes(secret), shown)
      assert.ok(!shown.includes('internal'), `no host either: ${shown}`)
    }
  }
  assert.equal(util.inspect(postgres), 'PostgresTokenStores { url: [redacted] }')
  assert.equal(util.inspect(redis), "RedisTokenStores { prefix: 'trainer:', url: [redacted] }")
  assert.equal(util.inspect(user), "PostgresTokenStore { key: 'athlete-7' }")
})

// ---------------------------------------------------------------------------------------------
// The store contract, through a session

for (const kind of KINDS) {
  test(`${kind} store: the contract through a session (connect, refresh, another pool, revoke)`, async () => {
    const stores = open(kind)
    await stores.migrate()
    await stores.migrate() // idempotent
    const store = stores.forUser(`contract-${kind}`)
    const neighbour = stores.forUser(`contract-${kind}-neighbour`)
    assert.equal(await store.load(), null)

    const client = sandbox.client()
    const tokens = await authorizeAs(sandbox, client, `contract-${kind}`)
    const session = await client.connect(store, tokens)
    const saved = await store.load()
    assert.ok(saved instanceof TokenSet)
    assert.deepEqual(saved.toStorageJSON(), tokens.toStorageJSON(), 'connect saved the tokens as they are')
    assert.equal(await neighbour.load(), null, 'users are apart')
    assert.equal((await session.intensityZones()).userId, `contract-${kind}`)

    // A refresh rotates the tokens into the server; a second pool (another process) sees them.
    await sandbox.clearRequests()
    await sandbox.expireAccessTokens()
    await Promise.all(Array.from({ length: 10 }, () => session.intensityZones()))
    assert.equal((await refreshes()).length, 1, 'one refresh for ten callers')
    const elsewhere = open(kind).forUser(`contract-${kind}`)
    const rotated = await elsewhere.load()
    assert.notEqual(rotated.refreshToken, tokens.refreshToken)
    assert.deepEqual(rotated.toStorageJSON(), (await session.tokens()).toStorageJSON())

    // A session over a fresh store object of the same key reads the stored tokens.
    assert.equal(await client.session(elsewhere).userId(), `contract-${kind}`)

    // save/clear from JS; a TokenSet is required.
    await neighbour.save(tokens)
    assert.deepEqual((await neighbour.load()).toStorageJSON(), tokens.toStorageJSON())
    await neighbour.clear()
    assert.equal(await neighbour.load(), null)
    await assert.rejects(neighbour.save(tokens.toStorageJSON()), InvalidInputError)

    // Revoke clears the row; a session on the cleared store needs a new authorization.
    await session.revoke()
    assert.equal(await store.load(), null)
    await assert.rejects(client.session(stores.forUser(`contract-${kind}`)).intensityZones(), ReauthorizationRequiredError)
  })
}

test('redis store: prefixes keep apps apart', async () => {
  const client = sandbox.client()
  const tokens = await authorizeAs(sandbox, client, 'prefixed')
  const a = new RedisTokenStores(servers.redisUrl, { prefix: 'app-a:' }).forUser('prefixed')
  const b = new RedisTokenStores(servers.redisUrl, { prefix: 'app-b:' }).forUser('prefixed')
  await a.save(tokens)
  assert.equal(await b.load(), null)
  assert.deepEqual((await a.load()).toStorageJSON(), tokens.toStorageJSON())
  await assert.doesNotReject(new RedisTokenStores(servers.redisUrl).migrate(), 'migrate is a no-op that resolves')
})

// ---------------------------------------------------------------------------------------------
// Two OS processes

test('two processes sharing a PostgreSQL-backed and a Redis-backed user: one token request per user per expiry', async (t) => {
  const client = sandbox.client()
  const users = { postgres: 'shared-pg', redis: 'shared-redis' }
  const specs = []
  const initial = {}
  for (const kind of KINDS) {
    const stores = open(kind)
    await stores.migrate()
    initial[kind] = await authorizeAs(sandbox, client, users[kind])
    await stores.forUser(users[kind]).save(initial[kind])
    specs.push({ kind, location: urlOf(kind), user: users[kind] })
  }

  const callers = 4
  const children = [0, 1].map(() => startChild('shared-store-child.mjs', [sandbox.url, String(callers), JSON.stringify(specs)]))
  t.after(() => {
    for (const { child } of children) child.kill()
  })
  for (const c of children) assert.equal(await c.next(), 'ready')

  const rounds = 5
  for (let round = 1; round <= rounds; round += 1) {
    await sandbox.expireAccessTokens()
    await sandbox.clearRequests()
    for (const { child } of children) child.stdin.write('go\n')
    const results = await Promise.all(children.map(async (c) => JSON.parse(await c.next())))
    for (const result of results) {
      assert.deepEqual(result, { ok: callers * specs.length, errors: {} }, `round ${round}: no call failed (no reauthorization_required)`)
    }
    assert.deepEqual(
      await refreshesByUser(),
      { [users.postgres]: [200], [users.redis]: [200] },
      `round ${round}: one token request per user for both processes`,
    )
  }
  for (const { child } of children) child.stdin.end()
  await Promise.all(children.map(({ child }) => (child.exitCode !== null ? null : new Promise((resolve) => child.once('exit', resolve)))))
  for (const { child, stderr } of children) assert.equal(child.exitCode, 0, stderr())

  // What each server holds is the live grant.
  for (const kind of KINDS) {
    const stored = await open(kind).forUser(users[kind]).load()
    assert.notEqual(stored.refreshToken, initial[kind].refreshToken)
    await client.session(new MemoryTokenStore(stored)).refresh()
  }
})

// ---------------------------------------------------------------------------------------------
// A server stopped in the middle of a session

for (const kind of KINDS) {
  test(`${kind} stopped mid-session: the call fails with store and sends no token request; after a restart the same session carries on`, async (t) => {
    const client = sandbox.client({ storeTimeoutSeconds: 5 })
    const stores = open(kind)
    await stores.migrate()
    const user = `outage-${kind}`
    const tokens = await authorizeAs(sandbox, client, user)
    const store = stores.forUser(user)
    const session = await client.connect(store, tokens)
    assert.equal((await session.intensityZones()).userId, user)

    let stopped = true
    await servers.stop(kind)
    t.after(async () => {
      if (stopped) await servers.start(kind)
    })
    await sandbox.clearRequests()
    await sandbox.expireAccessTokens()

    const error = await session.intensityZones().then(() => assert.fail('should fail while the server is down'), (e) => e)
    assert.ok(error instanceof StoreError, `got ${error?.code}: ${error}`)
    assert.equal(error.code, 'store')
    t.diagnostic(`while down: ${error.message}`)
    assert.deepEqual(await sandbox.tokenRequests(), [], 'no token request without the lock')

    await servers.start(kind)
    stopped = false
    assert.equal((await session.intensityZones()).userId, user, 'the same session works again, no new login')
    assert.deepEqual(await refreshesByUser(), { [user]: [200] })
    const stored = await store.load()
    assert.notEqual(stored.refreshToken, tokens.refreshToken, 'the rotated tokens are in the server')
    assert.deepEqual(stored.toStorageJSON(), (await session.tokens()).toStorageJSON())
  })
}

// ---------------------------------------------------------------------------------------------
// The stress worker with server stores

for (const kind of KINDS) {
  test(`stress worker --store ${kind}: two processes, expired tokens refreshed once per user; --verify`, async (t) => {
    const dir = tempDir(t)
    const client = sandbox.client()
    const stores = open(kind)
    await stores.migrate()
    const users = ['user-01', 'user-02']
    const initial = {}
    for (const user of users) {
      // The driver's preparation: first tokens in DIR/<user>.json and in the server store.
      initial[user] = await authorizeAs(sandbox, client, user)
      writeFileSync(path.join(dir, `${user}.json`), JSON.stringify(expired(initial[user]).toStorageJSON()))
      await stores.forUser(user).save(expired(initial[user]))
    }
    await sandbox.clearRequests()
    const common = ['--sandbox', sandbox.url, '--dir', dir, '--users', '2', '--callers', '3', '--store', kind, '--store-url', urlOf(kind)]
    const args = [...common, '--seconds', '1']
    const runs = await Promise.all([runChild('stress-worker.mjs', args), runChild('stress-worker.mjs', args)])
    for (const { code, stdout, stderr } of runs) {
      assert.equal(code, 0, stderr)
      const last = stdout.trim().split('\n').at(-1)
      const summary = JSON.parse(last)
      assert.deepEqual(Object.keys(summary), ['calls', 'ok', 'errors'])
      assert.ok(summary.calls >= 3, last)
      assert.equal(summary.ok, summary.calls, last)
      assert.deepEqual(summary.errors, {})
    }
    assert.deepEqual(await refreshesByUser(), { 'user-01': [200], 'user-02': [200] }, 'one token request per user across both processes')
    for (const user of users) {
      const stored = await stores.forUser(user).load()
      assert.notEqual(stored.refreshToken, initial[user].refreshToken, 'refreshed into the server store')
    }

    // --verify: one refresh per user, the same summary line.
    await sandbox.clearRequests()
    const verify = await runChild('stress-worker.mjs', [...common, '--seconds', '1', '--verify'])
    assert.equal(verify.code, 0, verify.stderr)
    assert.deepEqual(JSON.parse(verify.stdout.trim().split('\n').at(-1)), { calls: 2, ok: 2, errors: {} })
    assert.deepEqual(await refreshesByUser(), { 'user-01': [200], 'user-02': [200] })

    // --no-lock runs too (what it costs is the driver's to report, not asserted here).
    const unlocked = await runChild('stress-worker.mjs', [...args, '--no-lock'])
    assert.equal(unlocked.code, 0, unlocked.stderr)
    t.diagnostic(`--no-lock: ${unlocked.stdout.trim().split('\n').at(-1)}`)

    // A store URL without a server kind, or a server kind without a URL, is the worker's own failure.
    for (const bad of [[...common.slice(0, 8), '--store', kind, '--seconds', '1'], [...common.slice(0, 8), '--store-url', urlOf(kind), '--seconds', '1']]) {
      const broken = await runChild('stress-worker.mjs', bad)
      assert.notEqual(broken.code, 0)
      assert.match(broken.stderr, /usage: stress-worker\.mjs/)
    }
  })
}
