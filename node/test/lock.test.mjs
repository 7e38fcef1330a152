// Issue 10 through the binding: the refresh lock of stores implemented in JavaScript, one
// token request per failing refresh however many callers wait on it, the store timeout, the
// example's SQLite store shared by OS processes, and the stress worker's protocol.
//
// Nothing here sleeps to wait for an event or asserts on a duration: waits poll with a
// deadline, and the sandbox's request log is the witness of what was sent.

import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import v8 from 'node:v8'
import vm from 'node:vm'

import Database from 'better-sqlite3'

import { EnducoClient, InvalidInputError, MemoryTokenStore, StoreError, TokenSet } from '../index.mjs'
import { SqliteTokenStore, importTokens, openDatabase } from '../examples/backend.mjs'
import { CLIENT, LockingStore, RecordingStore, expired, runChild, startChild, startSandbox, tempDir, waitFor } from './helpers.mjs'

let sandbox
before(async () => {
  sandbox = await startSandbox()
})
after(() => sandbox?.stop())

const isRefresh = (r) => r.grantType === 'refresh_token'
const refreshes = async () => (await sandbox.tokenRequests()).filter(isRefresh)

/** Settles every promise; resolves with the outcomes' codes (`ok` for a success). */
async function outcomes(promises) {
  const settled = await Promise.allSettled(promises)
  return settled.map((s) => (s.status === 'fulfilled' ? 'ok' : (s.reason?.code ?? `not an EnducoError: ${s.reason}`)))
}

function tally(codes) {
  const counts = {}
  for (const code of codes) counts[code] = (counts[code] ?? 0) + 1
  return counts
}

// ---------------------------------------------------------------------------------------------
// Options

test('client options: refreshMarginSeconds, storeTimeoutSeconds, lockLeaseSeconds', async () => {
  const bad = [
    [{ refreshMarginSeconds: '60' }, /options\.refreshMarginSeconds must be a number, got a string/],
    [{ storeTimeoutSeconds: true }, /options\.storeTimeoutSeconds must be a number, got a boolean/],
    [{ lockLeaseSeconds: [] }, /options\.lockLeaseSeconds must be a number, got an array/],
    [{ refreshMarginSeconds: -1 }, /refresh_margin_seconds must be a positive number of seconds/],
    [{ storeTimeoutSeconds: 0 }, /store_timeout_seconds must be a positive number of seconds/],
    [{ lockLeaseSeconds: Number.NaN }, /lock_lease_seconds must be a positive number of seconds/],
    [{ lockLeaseSeconds: Infinity }, /lock_lease_seconds must be a positive number of seconds/],
  ]
  for (const [options, message] of bad) {
    assert.throws(
      () => new EnducoClient({ ...CLIENT, ...options }),
      (e) => e instanceof InvalidInputError && message.test(e.message),
      JSON.stringify(options),
    )
  }
  // Accepted: a zero margin, fractional seconds.
  new EnducoClient({ ...CLIENT, refreshMarginSeconds: 0, storeTimeoutSeconds: 0.25, lockLeaseSeconds: 1.5 })

  // The margin reaches the core: the sandbox's access tokens live 7199 s, so a margin of 7300 s
  // makes every call refresh, and a margin of 0 never does.
  const tokens = await sandbox.authorize(sandbox.client())
  await sandbox.clearRequests()
  const eager = sandbox.client({ refreshMarginSeconds: 7300 }).session(new MemoryTokenStore(tokens))
  await eager.intensityZones()
  await eager.intensityZones()
  assert.equal((await refreshes()).length, 2)
  const lazy = sandbox.client({ refreshMarginSeconds: 0 }).session(new MemoryTokenStore(await eager.tokens()))
  await lazy.intensityZones()
  assert.equal((await refreshes()).length, 2)
})

// ---------------------------------------------------------------------------------------------
// One token request per failing refresh

test('50 callers behind a refresh answered 500 after a delay: one token request, all fail with server', async () => {
  const client = sandbox.client({ maxRetries: 0 })
  const tokens = await sandbox.authorize(client)
  const store = new LockingStore(expired(tokens))
  const session = client.session(store)
  await sandbox.clearRequests()
  await sandbox.fault({ path: '/oauth2/token', kind: 'status', status: 500, delayMs: 1500 })

  const codes = await outcomes(Array.from({ length: 50 }, () => session.intensityZones()))
  assert.deepEqual(tally(codes), { server: 50 })
  assert.equal((await refreshes()).length, 1, 'one token request for all 50 callers')
  assert.equal((await refreshes())[0].status, 500)
  assert.ok(store.tryLocks >= 1 && store.unlocks >= 1, 'the refresh ran under the store lock')
  assert.equal(store.holder, null, 'the lock was released')

  // The failure is transient: the next call refreshes (one more request) and works.
  assert.equal((await session.intensityZones()).userId, 'athlete-1001')
  assert.equal((await refreshes()).length, 2)
  assert.notEqual(store.tokens.refreshToken, tokens.refreshToken)
})

test('50 callers behind a refresh answered invalid_grant: one token request, all reauthorization_required, none later', async (t) => {
  // Strict reuse: a rotated-out refresh token is refused at once (no overlap window).
  await sandbox.refreshReuse('strict')
  t.after(() => sandbox.refreshReuse('overlap'))
  const client = sandbox.client()
  const tokens = await sandbox.authorize(client)
  // Another holder of the grant refreshes: `tokens.refreshToken` is rotated away.
  await client.session(new MemoryTokenStore(tokens)).refresh()

  const store = new LockingStore(expired(tokens))
  const session = client.session(store)
  await sandbox.clearRequests()
  // The refresh's answer takes a while, so every caller is waiting on it.
  await sandbox.fault({ path: '/oauth2/token', kind: 'delay', delayMs: 1500 })

  const codes = await outcomes(Array.from({ length: 50 }, () => session.intensityZones()))
  assert.deepEqual(tally(codes), { reauthorization_required: 50 })
  const sent = await refreshes()
  assert.equal(sent.length, 1, 'one token request for all 50 callers')
  assert.equal(sent[0].status, 400)

  // The refused refresh token is never sent again.
  const later = await outcomes([session.intensityZones(), session.refresh()])
  assert.deepEqual(later, ['reauthorization_required', 'reauthorization_required'])
  assert.equal((await refreshes()).length, 1, 'no token request after invalid_grant')
  assert.equal(store.tokens.refreshToken, tokens.refreshToken, 'the store was left alone')
})

// ---------------------------------------------------------------------------------------------
// The store timeout

/** A store whose `method` hangs (a promise that never settles) while `hang` is set. */
class HangingStore extends LockingStore {
  constructor(tokens, method) {
    super(tokens)
    this.hanging = method
    this.hung = 0
  }
  hang() {
    this.hung += 1
    return new Promise(() => {})
  }
  load() {
    return this.hanging === 'load' ? this.hang() : super.load()
  }
  save(tokens) {
    return this.hanging === 'save' ? this.hang() : super.save(tokens)
  }
  tryLock(owner, leaseMs) {
    return this.hanging === 'tryLock' ? this.hang() : super.tryLock(owner, leaseMs)
  }
}

test('a store whose load never settles: store error after storeTimeoutSeconds, then the session works', async () => {
  const client = sandbox.client({ storeTimeoutSeconds: 0.5 })
  const tokens = await sandbox.authorize(client)
  const store = new HangingStore(tokens, 'load')
  const session = client.session(store)

  // Several callers: the first holds the session's gate while the store hangs; none waits
  // forever.
  const errors = await Promise.all([session.intensityZones(), session.userId(), session.upcomingPlans(3)].map((p) => p.then(() => assert.fail('should time out'), (e) => e)))
  for (const error of errors) {
    assert.ok(error instanceof StoreError, `got ${error}`)
    assert.match(error.message, /token store load did not finish within 0\.5 s/)
  }
  assert.ok(store.hung >= 1)

  store.hanging = null // the database is back
  assert.equal((await session.intensityZones()).userId, 'athlete-1001')
  assert.equal(await session.userId(), 'athlete-1001')
})

test('a never-settling load promise that V8 collects while pending still ends with the store timeout', async (t) => {
  v8.setFlagsFromString('--expose-gc')
  const gc = vm.runInNewContext('gc')
  const client = sandbox.client({ storeTimeoutSeconds: 3 })
  const tokens = await sandbox.authorize(client)
  let collected = false
  const registry = new FinalizationRegistry(() => {
    collected = true
  })
  const store = new RecordingStore(tokens)
  let hanging = true
  const load = store.load.bind(store)
  store.load = () => {
    if (!hanging) return load()
    const never = new Promise(() => {}) // nothing can ever settle it, so nothing keeps it alive
    registry.register(never, 'load')
    return never
  }
  const session = client.session(store)
  let settled = false
  const call = session.intensityZones().finally(() => {
    settled = true
  })
  await waitFor(
    () => {
      gc()
      return collected
    },
    { what: 'V8 to collect the pending store promise' },
  )
  // On a very slow machine the timeout may come first; then this run shows less.
  t.diagnostic(`the pending store promise was collected ${settled ? 'after' : 'before'} the call ended`)
  const error = await call.then(() => assert.fail('should time out'), (e) => e)
  assert.ok(error instanceof StoreError, `got ${error}`)
  assert.match(error.message, /token store load did not finish within 3\.0 s/)
  assert.ok(collected)
  hanging = false
  assert.equal((await session.intensityZones()).userId, 'athlete-1001')
})

test('a store whose tryLock never settles: store error, no token request; afterwards the refresh works', async () => {
  const client = sandbox.client({ storeTimeoutSeconds: 0.5 })
  const tokens = await sandbox.authorize(client)
  const store = new HangingStore(expired(tokens), 'tryLock')
  const session = client.session(store)
  await sandbox.clearRequests()

  await assert.rejects(session.intensityZones(), (e) => {
    assert.ok(e instanceof StoreError, `got ${e}`)
    assert.match(e.message, /token store lock did not finish within 0\.5 s/)
    return true
  })
  assert.equal((await sandbox.tokenRequests()).length, 0, 'no token request without the lock')

  store.hanging = null
  assert.equal((await session.intensityZones()).userId, 'athlete-1001')
  assert.equal((await refreshes()).length, 1)
})

test('a store whose save never settles after a refresh: store error; the tokens are saved on the next call', async () => {
  const client = sandbox.client({ storeTimeoutSeconds: 0.5 })
  const tokens = await sandbox.authorize(client)
  const store = new HangingStore(expired(tokens), null)
  const session = client.session(store)
  assert.equal(await session.userId(), 'athlete-1001') // loaded
  await sandbox.clearRequests()
  store.hanging = 'save'
  await assert.rejects(session.intensityZones(), (e) => e instanceof StoreError && /token store save did not finish within 0\.5 s/.test(e.message))
  store.hanging = null
  assert.equal((await session.intensityZones()).userId, 'athlete-1001')
  assert.notEqual(store.tokens.refreshToken, tokens.refreshToken, 'the rotated tokens reached the store')
  assert.equal((await refreshes()).length, 1, 'the unsaved tokens were saved, not refreshed again')
  // What the store holds is the live grant.
  await client.session(new MemoryTokenStore(store.tokens)).refresh()
})

// ---------------------------------------------------------------------------------------------
// JS stores implementing the lock

test('a JS store with tryLock/unlock (sync and async) is locked around each refresh', async () => {
  const client = sandbox.client()
  for (const async of [false, true]) {
    const tokens = await sandbox.authorize(client)
    const store = new LockingStore(expired(tokens), { async })
    const calls = []
    const tryLock = store.tryLock.bind(store)
    const unlock = store.unlock.bind(store)
    store.tryLock = (owner, leaseMs) => {
      calls.push(['tryLock', owner, leaseMs])
      return tryLock(owner, leaseMs)
    }
    store.unlock = (owner) => {
      calls.push(['unlock', owner])
      return unlock(owner)
    }
    const session = client.session(store)
    await sandbox.clearRequests()
    await Promise.all(Array.from({ length: 20 }, () => session.intensityZones()))
    assert.equal((await refreshes()).length, 1)
    assert.equal(calls.length, 2, JSON.stringify(calls))
    const [[first, owner, leaseMs], [second, released]] = calls
    assert.equal(first, 'tryLock')
    assert.equal(second, 'unlock')
    assert.equal(typeof owner, 'string')
    assert.ok(owner.length >= 16, 'the owner is a random id')
    assert.equal(released, owner)
    assert.ok(Number.isInteger(leaseMs) && leaseMs > 0, `leaseMs ${leaseMs}`)
    assert.equal(store.holder, null)
  }

  // lockLeaseSeconds is the lease the store is asked for.
  const tokens = await sandbox.authorize(client)
  const store = new LockingStore(expired(tokens))
  let lease
  const tryLock = store.tryLock.bind(store)
  store.tryLock = (owner, leaseMs) => {
    lease = leaseMs
    return tryLock(owner, leaseMs)
  }
  await sandbox.client({ lockLeaseSeconds: 2.5 }).session(store).intensityZones()
  assert.equal(lease, 2500)
})

for (const how of ['throw', 'reject']) {
  test(`a store whose tryLock ${how}s: store error with cause and no token request`, async () => {
    const client = sandbox.client()
    const tokens = await sandbox.authorize(client)
    const store = new LockingStore(expired(tokens))
    let failing = true
    const tryLock = store.tryLock.bind(store)
    store.tryLock = (owner, leaseMs) => {
      if (!failing) return tryLock(owner, leaseMs)
      const error = new Error('lock table unavailable')
      if (how === 'throw') throw error
      return Promise.reject(error)
    }
    const session = client.session(store)
    await sandbox.clearRequests()

    const codes = await outcomes(Array.from({ length: 10 }, () => session.intensityZones()))
    assert.deepEqual(tally(codes), { store: 10 })
    const error = await session.intensityZones().then(() => assert.fail('should fail'), (e) => e)
    assert.ok(error instanceof StoreError)
    assert.ok(error.cause instanceof Error)
    assert.equal(error.cause.message, 'lock table unavailable')
    assert.match(error.message, how === 'throw' ? /tryLock\(\) threw Error: lock table unavailable/ : /tryLock\(\) rejected with Error: lock table unavailable/)
    assert.equal((await sandbox.tokenRequests()).length, 0, 'no token request was sent without the lock')
    assert.equal(store.tokens.refreshToken, tokens.refreshToken)

    failing = false
    assert.equal((await session.intensityZones()).userId, 'athlete-1001')
    assert.equal((await refreshes()).length, 1)
  })
}

test('a store whose tryLock answers something else than a boolean: store error, no token request', async () => {
  const client = sandbox.client()
  const tokens = await sandbox.authorize(client)
  const session = client.session({
    load: () => expired(tokens),
    save() {},
    clear() {},
    tryLock: async () => 'yes',
    unlock() {},
  })
  await sandbox.clearRequests()
  await assert.rejects(session.intensityZones(), (e) => e instanceof StoreError && /tryLock\(\) resolved with a string, not a boolean/.test(e.message))
  assert.equal((await sandbox.tokenRequests()).length, 0)
})

test('an unlock that fails does not fail the call; the lease ends the lock', async () => {
  const client = sandbox.client()
  const tokens = await sandbox.authorize(client)
  const store = new LockingStore(expired(tokens))
  store.unlock = () => {
    throw new Error('connection reset')
  }
  const session = client.session(store)
  assert.equal((await session.intensityZones()).userId, 'athlete-1001')
  assert.ok(store.holder, 'the lock stays until its lease ends')
})

test('a store with only one of tryLock/unlock is refused', () => {
  const client = sandbox.client()
  const base = { load: () => null, save() {}, clear() {} }
  assert.throws(
    () => client.session({ ...base, tryLock: () => true }),
    (e) => e instanceof InvalidInputError && /store has tryLock\(owner, leaseMs\) but no unlock\(owner\)/.test(e.message),
  )
  assert.throws(
    () => client.session({ ...base, unlock() {} }),
    (e) => e instanceof InvalidInputError && /store has unlock\(owner\) but no tryLock/.test(e.message),
  )
})

test('a store without the lock keeps working (one process only)', async () => {
  const client = sandbox.client()
  const tokens = await sandbox.authorize(client)
  const store = new RecordingStore(expired(tokens))
  const session = client.session(store)
  await sandbox.clearRequests()
  await Promise.all(Array.from({ length: 20 }, () => session.intensityZones()))
  assert.equal((await refreshes()).length, 1)
  assert.equal(store.saves, 1)
})

// ---------------------------------------------------------------------------------------------
// The example's SQLite store

test('example SQLite store: a lease lock with owner-only release', async (t) => {
  const db = openDatabase(path.join(tempDir(t), 'tokens.sqlite'))
  t.after(() => db.close())
  const store = new SqliteTokenStore(db, 'athlete-1001')
  const other = new SqliteTokenStore(db, 'athlete-2002')

  assert.equal(store.tryLock('a', 60_000), true)
  assert.equal(store.tryLock('b', 60_000), false, 'held by a')
  assert.equal(other.tryLock('b', 60_000), true, 'one lock per user')
  assert.equal(store.tryLock('a', 60_000), true, 'the holder renews')
  store.unlock('b')
  assert.equal(store.tryLock('b', 60_000), false, 'only the owner releases')
  store.unlock('a')
  assert.equal(store.tryLock('b', 60_000), true, 'released')
  store.unlock('b')

  // A lease that runs out is taken over; the old holder's unlock leaves the new lock alone.
  assert.equal(store.tryLock('crashed', 50), true)
  const waited = Date.now()
  await waitFor(() => store.tryLock('next', 60_000), { what: 'the lease to run out' })
  t.diagnostic(`took over the expired lease after ${Date.now() - waited} ms`)
  store.unlock('crashed')
  assert.equal(store.tryLock('third', 60_000), false, 'still held by next')
  store.unlock('next')
})

test('a lock held by another process: the session waits for its lease, then refreshes once', async (t) => {
  const dbPath = path.join(tempDir(t), 'tokens.sqlite')
  const db = openDatabase(dbPath)
  t.after(() => db.close())
  const client = sandbox.client()
  const tokens = await sandbox.authorize(client)
  const store = new SqliteTokenStore(db, 'athlete-1001')
  store.save(expired(tokens))

  // Another process took the lock and died: never released, it ends with its lease.
  assert.equal(store.tryLock('crashed-process', 1500), true)
  const session = client.session(store)
  await sandbox.clearRequests()
  const started = Date.now()
  const results = await Promise.all(Array.from({ length: 10 }, () => session.intensityZones()))
  t.diagnostic(`the session waited ${Date.now() - started} ms for a 1500 ms lease held by another process`)
  for (const zones of results) assert.equal(zones.userId, 'athlete-1001')
  assert.equal((await refreshes()).length, 1)
  const stored = TokenSet.fromJSON(store.load())
  assert.notEqual(stored.refreshToken, tokens.refreshToken)
  assert.equal(db.prepare('SELECT count(*) AS n FROM enduco_locks').get().n, 0, 'released after the refresh')
})

// ---------------------------------------------------------------------------------------------
// OS processes sharing one SQLite database

test('two processes on one SQLite database: one token request per expiry, no reauthorization_required', async (t) => {
  const dbPath = path.join(tempDir(t), 'shared.sqlite')
  const client = sandbox.client()
  const tokens = await sandbox.authorize(client)
  const db = openDatabase(dbPath)
  t.after(() => db.close())
  importTokens(db, 'athlete-1001', tokens)

  const children = [0, 1].map(() => startChild('shared-store-child.mjs', [sandbox.url, '4', JSON.stringify([{ kind: 'sqlite', location: dbPath, user: 'athlete-1001' }])]))
  t.after(() => {
    for (const { child } of children) child.kill()
  })
  for (const c of children) assert.equal(await c.next(), 'ready')

  const rounds = 6
  for (let round = 1; round <= rounds; round += 1) {
    await sandbox.expireAccessTokens()
    await sandbox.clearRequests()
    for (const { child } of children) child.stdin.write('go\n')
    const results = await Promise.all(children.map(async (c) => JSON.parse(await c.next())))
    for (const result of results) assert.deepEqual(result, { ok: 4, errors: {} }, `round ${round}`)
    const sent = await refreshes()
    assert.equal(sent.length, 1, `round ${round}: one token request for both processes`)
    assert.equal(sent[0].status, 200)
  }
  for (const { child } of children) child.stdin.end()
  await Promise.all(children.map(({ child }) => (child.exitCode !== null ? null : new Promise((resolve) => child.once('exit', resolve)))))
  for (const { child, stderr } of children) assert.equal(child.exitCode, 0, stderr())

  // What the database holds is the live grant.
  const stored = TokenSet.fromJSON(new SqliteTokenStore(db, 'athlete-1001').load())
  await client.session(new MemoryTokenStore(stored)).refresh()
})

test('stress worker: the protocol, two processes, expired tokens refreshed once per user', async (t) => {
  const dir = tempDir(t)
  const client = sandbox.client()
  const users = ['user-01', 'user-02']
  const initial = {}
  for (const user of users) {
    initial[user] = await sandbox.authorize(client)
    writeFileSync(path.join(dir, `${user}.json`), JSON.stringify(expired(initial[user]).toStorageJSON()))
  }
  await sandbox.clearRequests()
  const args = ['--sandbox', sandbox.url, '--dir', dir, '--users', '2', '--callers', '3', '--seconds', '1']
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
  assert.equal((await refreshes()).length, users.length, 'one token request per user across both processes')

  const db = new Database(path.join(dir, 'tokens-node.sqlite'), { readonly: true, fileMustExist: true })
  t.after(() => db.close())
  const rows = db.prepare('SELECT user_id, tokens FROM enduco_tokens ORDER BY user_id').all()
  assert.deepEqual(rows.map((r) => r.user_id), users)
  for (const row of rows) {
    const stored = TokenSet.fromJSON(row.tokens)
    assert.notEqual(stored.refreshToken, initial[row.user_id].refreshToken, 'refreshed into the shared row')
  }

  // --no-lock runs too (its failure rate is the driver's to report, not asserted here).
  const unlocked = await runChild('stress-worker.mjs', [...args, '--no-lock'])
  assert.equal(unlocked.code, 0, unlocked.stderr)
  const summary = JSON.parse(unlocked.stdout.trim().split('\n').at(-1))
  t.diagnostic(`--no-lock: ${JSON.stringify(summary)}`)
  assert.ok(summary.calls >= 3)

  // A broken invocation is the worker's own failure: non-zero.
  const broken = await runChild('stress-worker.mjs', ['--sandbox', sandbox.url, '--dir', dir, '--users', '0', '--callers', '1', '--seconds', '1'])
  assert.notEqual(broken.code, 0)
  assert.match(broken.stderr, /usage: stress-worker\.mjs/)
})
