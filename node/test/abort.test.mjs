// Issue 18: AbortSignal on every network call. An abort rejects the call with a DOMException
// named AbortError (cause: the signal's reason) and drops the call's future inside the addon:
// an upload aborted mid-request leaves nothing stored on the server.

import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'

import { InvalidInputError, MemoryTokenStore } from '../index.mjs'
import { authorizeAs, fitFixture, startSandbox, tempDir, waitFor } from './helpers.mjs'

const WORKOUTS = '/api/v1/workouts'

let sandbox
let client
let session
before(async () => {
  sandbox = await startSandbox()
  client = sandbox.client()
  const tokens = await authorizeAs(sandbox, client, 'athlete-1001')
  session = await client.connect(new MemoryTokenStore(), tokens)
})
after(() => sandbox?.stop())

/** Resolves once the sandbox's log holds a request to `path` beyond the first `seen`. */
async function arrived(path, seen) {
  return waitFor(async () => (await sandbox.requests()).filter((r) => r.path === path).length > seen, {
    what: `a request to ${path} in the sandbox log`,
  })
}

async function count(path) {
  return (await sandbox.requests()).filter((r) => r.path === path).length
}

function isAbortError(reason) {
  return (e) => {
    assert.ok(e instanceof DOMException, `${e?.name}: ${e?.message}`)
    assert.equal(e.name, 'AbortError')
    assert.equal(e.cause, reason)
    return true
  }
}

test('an upload aborted while the sandbox holds its request rejects with AbortError and stores nothing', async (t) => {
  const dir = tempDir(t)
  const file = fitFixture(dir, 'big.fit', ['--seed', '11', '--size', String(48 * 1024 * 1024)])
  await sandbox.fault({ path: WORKOUTS, kind: 'delay', delayMs: 600_000 })
  const seen = await count(WORKOUTS)

  const controller = new AbortController()
  let progressCalls = 0
  const upload = session.uploadWorkout(file, { signal: controller.signal, onProgress: () => progressCalls++ })
  await arrived(WORKOUTS, seen)
  const reason = new Error('the rider closed the app')
  controller.abort(reason)
  await assert.rejects(upload, isAbortError(reason))
  assert.ok(progressCalls >= 1)

  // The server got no whole body: the same file again is new, not a duplicate.
  const again = await session.uploadWorkout(file)
  assert.equal(again.duplicate, false)
  assert.notEqual(again.status, 'duplicate')
  // …and now it is stored once.
  assert.equal((await session.uploadWorkout(readFileSync(file))).duplicate, true)
})

test('an upload from a Buffer aborts the same way', async (t) => {
  const bytes = readFileSync(fitFixture(tempDir(t), 'mid.fit', ['--seed', '12', '--size', String(16 * 1024 * 1024)]))
  await sandbox.fault({ path: WORKOUTS, kind: 'delay', delayMs: 600_000 })
  const seen = await count(WORKOUTS)
  const controller = new AbortController()
  const upload = session.uploadWorkout(bytes, { signal: controller.signal })
  await arrived(WORKOUTS, seen)
  controller.abort()
  await assert.rejects(upload, isAbortError(controller.signal.reason))
  assert.equal((await session.uploadWorkout(bytes)).duplicate, false)
})

test('an already aborted signal rejects at once and sends nothing', async (t) => {
  const file = fitFixture(tempDir(t), 'small.fit', ['--seed', '13', '--size', '5000'])
  const before = (await sandbox.requests()).length
  const reason = new Error('too late')
  const signal = AbortSignal.abort(reason)
  await assert.rejects(session.uploadWorkout(file, { signal }), isAbortError(reason))
  await assert.rejects(session.intensityZones({ signal }), isAbortError(reason))
  await assert.rejects(session.upcomingPlans(7, { signal }), isAbortError(reason))
  await assert.rejects(session.trainingPlans('2026-03-23', '2026-03-29', { signal }), isAbortError(reason))
  await assert.rejects(session.request('GET', '/api/v1/zones', { signal }), isAbortError(reason))
  await assert.rejects(session.refresh({ signal }), isAbortError(reason))
  await assert.rejects(session.revoke({ signal }), isAbortError(reason))
  await assert.rejects(client.exchangeCode('code', 'verifier', { signal }), isAbortError(reason))
  const req = client.authorizationRequest(['user_read'])
  await assert.rejects(client.completeAuthorization(req, `https://app.example/callback?code=x&state=${req.state}`, { signal }), isAbortError(reason))
  assert.equal((await sandbox.requests()).length, before)
})

test('data calls, the escape hatch and the code exchange abort mid-request', async () => {
  const calls = [
    ['/api/v1/zones', (signal) => session.intensityZones({ signal })],
    ['/api/v1/plans', (signal) => session.upcomingPlans(7, { signal })],
    ['/api/v1/plans', (signal) => session.trainingPlans('2026-03-23', '2026-03-29', { signal })],
    ['/api/v1/zones', (signal) => session.request('GET', '/api/v1/zones', { signal })],
    [
      '/oauth2/token',
      async (signal) => {
        const req = client.authorizationRequest(['user_read'])
        const callback = await sandbox.approve(req.url)
        return client.completeAuthorization(req, callback, { signal })
      },
    ],
  ]
  for (const [path, call] of calls) {
    await sandbox.fault({ path, kind: 'delay', delayMs: 600_000 })
    const seen = await count(path)
    const controller = new AbortController()
    const pending = call(controller.signal)
    await arrived(path, seen)
    const reason = new Error(`stop ${path}`)
    controller.abort(reason)
    await assert.rejects(pending, isAbortError(reason))
  }
  // The session still works afterwards.
  assert.ok((await session.intensityZones()).zones.length > 0)
})

test('AbortSignal.timeout: the reason is a TimeoutError DOMException', async () => {
  await sandbox.fault({ path: '/api/v1/zones', kind: 'delay', delayMs: 600_000 })
  const signal = AbortSignal.timeout(50)
  const e = await session.intensityZones({ signal }).catch((error) => error)
  assert.equal(e.name, 'AbortError')
  assert.equal(e.cause.name, 'TimeoutError')
  await sandbox.control('DELETE', '/faults')
})

test('a signal that is not an AbortSignal is a type error', async () => {
  await assert.rejects(session.intensityZones({ signal: 'stop' }), (e) => e instanceof InvalidInputError && /options\.signal must be an AbortSignal, got a string$/.test(e.message))
  await assert.rejects(session.uploadWorkout(Buffer.alloc(1), { signal: {} }), (e) => e instanceof InvalidInputError && /options\.signal must be an AbortSignal, got an object$/.test(e.message))
})
