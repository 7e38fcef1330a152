// Token lifecycle through the binding: single-flight refresh under load, stores implemented
// in JavaScript (sync or async, throwing or rejecting), and an event loop that stays free.

import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'

import { StoreError, TokenSet } from '../index.mjs'
import { RecordingStore, countRequests, expired, startSandbox } from './helpers.mjs'

let sandbox
before(async () => {
  sandbox = await startSandbox()
})
after(() => sandbox?.stop())

const isRefresh = (r) => r.path === '/oauth2/token' && r.grantType === 'refresh_token'

test('500 concurrent calls on an expired token make exactly one refresh request', async () => {
  const client = sandbox.client()
  const tokens = await sandbox.authorize(client)
  const store = new RecordingStore(expired(tokens))
  const session = client.session(store)
  await sandbox.expireAccessTokens()
  await sandbox.clearRequests()

  const results = await Promise.all(Array.from({ length: 500 }, () => session.intensityZones()))
  assert.equal(results.length, 500)
  for (const zones of results) assert.equal(zones.userId, 'athlete-1001')

  assert.equal(await countRequests(sandbox, isRefresh), 1)
  // Loaded once, and read again right before the refresh (another process sharing the store
  // may have refreshed already); never once per caller.
  assert.equal(store.loads, 2, 'the store is loaded once and re-read once before the refresh')
  assert.equal(store.saves, 1, 'the refreshed tokens are saved once')
  assert.notEqual(store.tokens.refreshToken, tokens.refreshToken, 'the rotated refresh token is stored')
  assert.ok(store.tokens.expiresAt > Date.now() / 1000 + 60)
  const zoneCalls = await countRequests(sandbox, (r) => r.path === '/api/v1/zones')
  assert.equal(zoneCalls, 500, 'no call was replayed after a 401')
})

test('a 401 on a token the SDK thought valid refreshes once and replays', async () => {
  const client = sandbox.client()
  const { session } = await sandbox.session(client)
  await sandbox.expireAccessTokens()
  await sandbox.clearRequests()
  const [a, b] = await Promise.all([session.intensityZones(), session.intensityZones()])
  assert.equal(a.userId, b.userId)
  assert.equal(await countRequests(sandbox, isRefresh), 1)
})

/** A store whose next save (or load) fails once, by throwing or by rejecting. */
class FlakyStore extends RecordingStore {
  constructor(tokens) {
    super(tokens, { async: false })
    this.failSave = null
    this.failLoad = null
  }
  failure(how, message) {
    const error = new Error(message)
    if (how === 'throw') throw error
    return Promise.reject(error)
  }
  load() {
    if (this.failLoad) {
      const how = this.failLoad
      this.failLoad = null
      return this.failure(how, 'database is locked')
    }
    return super.load()
  }
  save(tokens) {
    if (this.failSave) {
      const how = this.failSave
      this.failSave = null
      this.attempted = tokens
      return this.failure(how, 'disk full')
    }
    return super.save(tokens)
  }
}

for (const how of ['throw', 'reject']) {
  test(`a store whose save ${how}s: store error with cause, nothing lost, the next call saves`, async () => {
    const client = sandbox.client()
    const tokens = await sandbox.authorize(client)
    const store = new FlakyStore(tokens)
    const session = client.session(store)
    assert.equal((await session.intensityZones()).userId, 'athlete-1001')

    store.failSave = how
    const error = await session.refresh().then(
      () => assert.fail('refresh should fail with the store'),
      (e) => e,
    )
    assert.ok(error instanceof StoreError, `got ${error}`)
    assert.equal(error.code, 'store')
    assert.ok(error.cause instanceof Error)
    assert.equal(error.cause.message, 'disk full')
    assert.match(error.message, how === 'throw' ? /save\(\) threw Error: disk full/ : /save\(\) rejected with Error: disk full/)
    // The store still holds the old tokens; enduco already rotated the refresh token.
    assert.equal(store.tokens.refreshToken, tokens.refreshToken)
    const rotated = store.attempted
    assert.ok(rotated instanceof TokenSet)
    assert.notEqual(rotated.refreshToken, tokens.refreshToken)

    // The next call saves the tokens kept in memory first, then works.
    const savesBefore = store.saves
    assert.equal((await session.intensityZones()).userId, 'athlete-1001')
    assert.equal(store.saves, savesBefore + 1)
    assert.equal(store.tokens.refreshToken, rotated.refreshToken)

    // What was saved is the live grant: a new session over the store can refresh with it.
    const fresh = client.session(new RecordingStore(store.tokens))
    const next = await fresh.refresh()
    assert.notEqual(next.refreshToken, rotated.refreshToken)
  })

  test(`a store whose load ${how}s: store error with cause, the next call loads`, async () => {
    const client = sandbox.client()
    const tokens = await sandbox.authorize(client)
    const store = new FlakyStore(tokens)
    store.failLoad = how
    const session = client.session(store)
    await assert.rejects(session.intensityZones(), (e) => {
      assert.ok(e instanceof StoreError)
      assert.equal(e.cause.message, 'database is locked')
      assert.match(e.message, /load\(\)/)
      return true
    })
    assert.equal((await session.intensityZones()).userId, 'athlete-1001')
  })
}

test('a store that throws a non-Error value still becomes a store error', async () => {
  const client = sandbox.client()
  const session = client.session({
    load() {
      throw 'no database' // eslint-disable-line no-throw-literal
    },
    save() {},
    clear() {},
  })
  await assert.rejects(session.userId(), (e) => {
    assert.ok(e instanceof StoreError)
    assert.equal(e.cause, 'no database')
    return true
  })
})

test('a store whose load returns something else is a store error naming it', async () => {
  const client = sandbox.client()
  const session = client.session({ load: () => 42, save() {}, clear() {} })
  await assert.rejects(session.userId(), (e) => {
    assert.ok(e instanceof StoreError)
    assert.match(e.message, /load\(\) resolved with a number/)
    return true
  })
  const bad = client.session({ load: async () => ({ schema_version: 1 }), save() {}, clear() {} })
  await assert.rejects(bad.userId(), (e) => e instanceof StoreError && /not a token set/.test(e.message))
})

test('a store may return the storage form or its text from load()', async () => {
  const client = sandbox.client()
  const tokens = await sandbox.authorize(client, ['user_read'])
  for (const stored of [tokens.toStorageJSON(), JSON.stringify(tokens.toStorageJSON()), tokens]) {
    const session = client.session({ load: async () => stored, save() {}, clear() {} })
    assert.equal(await session.userId(), 'athlete-1001')
  }
})

test('a store that saved the redacted JSON.stringify(tokens) form is told to save toStorageJSON()', async () => {
  const client = sandbox.client()
  const tokens = await sandbox.authorize(client, ['user_read'])
  for (const stored of [tokens.toJSON(), JSON.stringify(tokens)]) {
    const session = client.session({ load: async () => stored, save() {}, clear() {} })
    await assert.rejects(session.userId(), (e) => {
      assert.ok(e instanceof StoreError, String(e))
      assert.match(e.message, /redacted form .*toStorageJSON\(\)/)
      return true
    })
  }
})

test('the event loop stays free while Rust waits on the network', async () => {
  const client = sandbox.client()
  const { session } = await sandbox.session(client)
  await sandbox.fault({ path: '/api/v1/zones', kind: 'delay', delayMs: 800 })
  let ticks = 0
  const timer = setInterval(() => {
    ticks += 1
  }, 10)
  try {
    const started = Date.now()
    await session.intensityZones()
    assert.ok(Date.now() - started >= 700)
  } finally {
    clearInterval(timer)
  }
  assert.ok(ticks >= 30, `only ${ticks} timer ticks ran during an 800 ms call`)
})

test('a store that calls back into the event loop does not deadlock', async () => {
  const client = sandbox.client()
  const tokens = await sandbox.authorize(client)
  let inner = null
  const store = {
    tokens: expired(tokens),
    async load() {
      await new Promise((resolve) => setTimeout(resolve, 20))
      return this.tokens
    },
    async save(t) {
      // Other JS work (and other SDK calls on another session) while the refresh waits on us.
      inner = await other.userId()
      await new Promise((resolve) => setTimeout(resolve, 20))
      this.tokens = t
    },
    async clear() {
      this.tokens = null
    },
  }
  const { session: other } = await sandbox.session(client, { scopes: ['user_read'] })
  const session = client.session(store)
  await sandbox.expireAccessTokens()
  const zones = await Promise.race([
    session.intensityZones(),
    new Promise((_, reject) => setTimeout(() => reject(new Error('deadlock: no answer in 10 s')), 10_000)),
  ])
  assert.equal(zones.userId, 'athlete-1001')
  assert.equal(inner, 'athlete-1001')
})
