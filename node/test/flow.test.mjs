// The whole integration against the sandbox: authorize, read, upload (with progress and a
// duplicate), the escape hatch, refresh and revoke.

import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, statSync, writeFileSync } from 'node:fs'

import {
  EnducoClient,
  EnducoError,
  InvalidInputError,
  MemoryTokenStore,
  ReauthorizationRequiredError,
  TokenSet,
} from '../index.mjs'
import { ALL_SCOPES, fitFixture, startSandbox, tempDir } from './helpers.mjs'

let sandbox
before(async () => {
  sandbox = await startSandbox()
})
after(() => sandbox?.stop())

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/
const keys = (value) => Object.keys(value).sort()

/** The models carry exactly the fields index.d.ts declares. */
function checkStep(step) {
  assert.deepEqual(keys(step), ['distanceMeters', 'durationSeconds', 'kind', 'repeat', 'target'])
  assert.ok(['warmup', 'active', 'recovery', 'cooldown', 'rest', 'repeat', 'other'].includes(step.kind), step.kind)
  if (step.target !== null) assert.deepEqual(keys(step.target), ['lower', 'metric', 'unit', 'upper', 'zone'])
  if (step.repeat !== null) {
    assert.deepEqual(keys(step.repeat), ['count', 'steps'])
    step.repeat.steps.forEach(checkStep)
  }
}

function addDays(date, days) {
  const d = new Date(`${date}T00:00:00Z`)
  d.setUTCDate(d.getUTCDate() + days)
  return d.toISOString().slice(0, 10)
}

test('the full flow: authorize, zones, plans, uploads, request, refresh, revoke', async (t) => {
  const client = sandbox.client({ timeZone: 'Europe/Berlin' })

  // Authorization request: URL, state and PKCE verifier.
  const req = client.authorizationRequest(ALL_SCOPES)
  assert.equal(typeof req.url, 'string')
  const url = new URL(req.url)
  assert.equal(url.pathname, '/oauth2/authorize')
  assert.equal(url.searchParams.get('state'), req.state)
  assert.equal(url.searchParams.get('code_challenge_method'), 'S256')
  assert.equal(url.searchParams.get('scope'), 'user_read plans_read workouts_write')
  assert.match(req.codeVerifier, /^[A-Za-z0-9_-]{43,128}$/)
  assert.equal(req.redirectUri, 'https://app.example/callback')

  // The request's storage form survives a round trip through JSON (a backend keeps it in its
  // server-side session store).
  const kept = JSON.parse(JSON.stringify(req.toStorageJSON()))
  assert.equal(kept.codeVerifier, req.codeVerifier)
  const callback = await sandbox.approve(req.url)
  assert.ok(callback.startsWith('https://app.example/callback?'), callback)
  const tokens = await client.completeAuthorization(kept, callback)
  assert.ok(tokens instanceof TokenSet)
  assert.equal(tokens.userId, 'athlete-1001')
  assert.deepEqual([...tokens.scopes].sort(), [...ALL_SCOPES].sort())
  assert.equal(tokens.tokenType, 'Bearer')
  assert.ok(tokens.expiresAt > Date.now() / 1000 + 60)
  assert.equal(typeof tokens.accessToken, 'string')
  assert.equal(typeof tokens.refreshToken, 'string')

  // TokenSet JSON round trip (the storage form).
  const json = tokens.toStorageJSON()
  assert.equal(json.schema_version, 1)
  assert.equal(json.expires_at, tokens.expiresAt)
  const again = TokenSet.fromJSON(JSON.stringify(tokens.toStorageJSON()))
  assert.equal(again.accessToken, tokens.accessToken)
  assert.deepEqual(again.toStorageJSON(), json)

  const store = new MemoryTokenStore()
  await store.save(tokens)
  const session = client.session(store)

  assert.equal(await session.userId(), 'athlete-1001')
  assert.deepEqual([...(await session.grantedScopes())].sort(), [...ALL_SCOPES].sort())

  // Intensity zones.
  const zones = await session.intensityZones()
  assert.deepEqual(keys(zones), ['updatedAt', 'userId', 'zones'])
  assert.equal(zones.userId, 'athlete-1001')
  assert.ok(Array.isArray(zones.zones) && zones.zones.length > 0)
  for (const table of zones.zones) {
    assert.ok(['cycling', 'running', 'swimming', 'other'].includes(table.sport), table.sport)
    assert.deepEqual(keys(table), ['metric', 'sport', 'threshold', 'unit', 'zones'])
    assert.equal(typeof table.unit, 'string')
    assert.ok(table.zones.length > 0)
    for (const zone of table.zones) {
      assert.deepEqual(keys(zone), ['index', 'lower', 'name', 'upper'])
      assert.equal(typeof zone.index, 'number')
    }
  }
  assert.ok(zones.updatedAt === null || !Number.isNaN(Date.parse(zones.updatedAt)))

  // Upcoming plans: dates are the athlete's local calendar dates, YYYY-MM-DD.
  const upcoming = await session.upcomingPlans(7)
  assert.ok(Array.isArray(upcoming))
  let steps = 0
  for (const plan of upcoming) {
    assert.deepEqual(keys(plan), [
      'date', 'description', 'distanceMeters', 'durationSeconds', 'id', 'load',
      'sport', 'startTime', 'steps', 'timeZone', 'title',
    ])
    plan.steps.forEach(checkStep)
    steps += plan.steps.length
    assert.match(plan.date, ISO_DATE)
    assert.equal(typeof plan.id, 'string')
    assert.equal(typeof plan.timeZone, 'string')
    assert.ok(Array.isArray(plan.steps))
    assert.ok(plan.startTime === null || !Number.isNaN(Date.parse(plan.startTime)))
  }
  assert.ok(upcoming.length > 0 && steps > 0, 'the sandbox plans a week with structured workouts')
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Berlin' }).format(new Date())
  const windowed = await session.trainingPlans(today, addDays(today, 6))
  assert.deepEqual(
    windowed.map((p) => p.id),
    upcoming.map((p) => p.id),
  )
  for (const plan of windowed) assert.ok(plan.date >= today && plan.date <= addDays(today, 6))

  // Upload from a path, with progress.
  const dir = tempDir(t)
  const ride = fitFixture(dir, 'ride.fit', ['--seed', '7', '--size', '300000'])
  const size = statSync(ride).size
  const calls = []
  const first = await session.uploadWorkout(ride, { onProgress: (sent, total) => calls.push([sent, total]) })
  assert.deepEqual(keys(first), ['duplicate', 'id', 'status'])
  assert.equal(first.duplicate, false)
  assert.equal(typeof first.id, 'string')
  assert.equal(typeof first.status, 'string')
  assert.ok(calls.length >= 3, `expected several progress calls, got ${calls.length}`)
  for (let i = 0; i < calls.length; i++) {
    assert.equal(calls[i][1], size, 'total is the file size')
    if (i > 0) assert.ok(calls[i][0] >= calls[i - 1][0], `progress went backwards: ${JSON.stringify(calls)}`)
  }
  assert.deepEqual(calls.at(-1), [size, size])

  // The same file again is a duplicate, not an error (from a Buffer this time).
  const duplicate = await session.uploadWorkout(readFileSync(ride), { fileName: 'again.fit' })
  assert.equal(duplicate.duplicate, true)
  assert.equal(duplicate.id, first.id)
  assert.equal(duplicate.status, 'duplicate')

  // A different ride from a Uint8Array.
  const other = fitFixture(dir, 'other.fit', ['--seed', '8', '--records', '50'])
  const bytes = new Uint8Array(readFileSync(other))
  const second = await session.uploadWorkout(bytes)
  assert.equal(second.duplicate, false)
  assert.notEqual(second.id, first.id)

  // The escape hatch.
  const raw = await session.request('GET', '/api/v1/zones')
  assert.equal(raw.status, 200)
  assert.match(raw.contentType, /json/)
  assert.ok(Buffer.isBuffer(raw.body))
  assert.deepEqual(raw.json(), JSON.parse(raw.text()))
  assert.equal(raw.json().userId, 'athlete-1001')
  const rawPlans = await session.request('GET', '/api/v1/plans', { query: { from: today, to: today } })
  assert.equal(rawPlans.status, 200)
  assert.ok(Array.isArray(rawPlans.json()))

  // Refresh: rotation gives a new refresh token, saved before it is returned.
  const before = await store.load()
  const refreshed = await session.refresh()
  assert.notEqual(refreshed.refreshToken, before.refreshToken)
  assert.notEqual(refreshed.accessToken, before.accessToken)
  assert.equal((await store.load()).refreshToken, refreshed.refreshToken)
  assert.equal((await session.tokens()).accessToken, refreshed.accessToken)

  // Revoke: enduco forgets the grant, the store is cleared, later calls need a new login.
  await session.revoke()
  assert.equal(await store.load(), null)
  const log = await sandbox.requests()
  assert.ok(log.some((r) => r.method === 'POST' && r.path === '/oauth2/revoke' && r.status === 200))
  await assert.rejects(session.intensityZones(), (e) => {
    assert.ok(e instanceof ReauthorizationRequiredError)
    assert.ok(e instanceof EnducoError)
    assert.equal(e.code, 'reauthorization_required')
    return true
  })
})

test('exchangeCode for a backend that handles the redirect itself', async () => {
  const client = sandbox.client()
  const req = client.authorizationRequest(['user_read'])
  const callback = new URL(await sandbox.approve(req.url))
  assert.equal(callback.searchParams.get('state'), req.state)
  const tokens = await client.exchangeCode(callback.searchParams.get('code'), req.codeVerifier)
  assert.deepEqual(tokens.scopes, ['user_read'])
  const session = await client.connect(new MemoryTokenStore(), tokens)
  assert.equal((await session.intensityZones()).userId, 'athlete-1001')
})

test('PKCE can be switched off', async () => {
  const client = sandbox.client({ usePkce: false })
  const req = client.authorizationRequest(['user_read'])
  assert.equal(req.codeVerifier, null)
  assert.equal(new URL(req.url).searchParams.get('code_challenge'), null)
  const tokens = await client.completeAuthorization(req, await sandbox.approve(req.url))
  assert.equal(tokens.userId, 'athlete-1001')
})

test('the built-in FileTokenStore keeps tokens across sessions', async (t) => {
  const { FileTokenStore } = await import('../index.mjs')
  const client = sandbox.client()
  const file = `${tempDir(t)}/tokens.json`
  const store = new FileTokenStore(file)
  assert.equal(store.path, file)
  assert.equal(await store.load(), null)
  const tokens = await sandbox.authorize(client, ['user_read'])
  await client.connect(store, tokens)
  const onDisk = JSON.parse(readFileSync(file, 'utf8'))
  assert.deepEqual(onDisk, tokens.toStorageJSON())
  assert.equal(statSync(file).mode & 0o777, 0o600)
  const later = client.session(new FileTokenStore(file))
  assert.equal(await later.userId(), 'athlete-1001')
  await store.clear()
  assert.equal(await store.load(), null)
})

test('an EnducoClient needs no network to start an authorization', () => {
  const client = new EnducoClient({ clientId: 'x', clientSecret: 'y', redirectUri: 'https://app.example/callback', environment: 'production' })
  const req = client.authorizationRequest(['plans_read'])
  assert.ok(req.url.startsWith('https://api.prod.enduco.app/oauth2/authorize?'), req.url)
  const beta = new EnducoClient({ clientId: 'x', clientSecret: 'y', redirectUri: 'https://app.example/callback', environment: 'beta' })
  assert.ok(beta.authorizationRequest(['plans_read']).url.startsWith('https://beta-api.dev.enduco.app/'))
})

test('a file that changes between the check and the send is refused, and enduco stores nothing', async (t) => {
  const client = sandbox.client()
  const { session } = await sandbox.session(client, { scopes: ['workouts_write'] })
  const dir = tempDir(t)
  const original = readFileSync(fitFixture(dir, 'a.fit', ['--seed', '91', '--size', '400000']))
  const other = readFileSync(fitFixture(dir, 'b.fit', ['--seed', '92', '--size', '400000']))
  assert.notDeepEqual(original, other)
  const ride = `${dir}/ride.fit`

  // Another file of the same size (replaced), and half of one (still being written).
  for (const replacement of [other, other.subarray(0, other.length >> 1)]) {
    writeFileSync(ride, original)
    await sandbox.clearRequests()
    const calls = []
    // The first progress call, (0, total), comes after the file passed its check and returns
    // before the body is opened: rewriting the file there is a change between check and send.
    const onProgress = (sent, total) => {
      if (calls.length === 0) writeFileSync(ride, replacement)
      calls.push([sent, total])
    }
    await assert.rejects(session.uploadWorkout(ride, { onProgress }), (e) => {
      assert.ok(e instanceof InvalidInputError, `${e?.name}: ${e?.message}`)
      assert.equal(e.code, 'invalid_input')
      assert.match(e.message, /ride\.fit changed while it was being uploaded/)
      assert.match(e.message, /enduco stored nothing/)
      return true
    })
    assert.deepEqual(calls[0], [0, original.length])
  }

  // The same while the JS thread is busy right after the call: the upload waits for the first
  // progress call instead of streaming the file meanwhile (without that wait the original file
  // would be sent whole before the callback could change it).
  writeFileSync(ride, original)
  let rewritten = false
  const busy = session.uploadWorkout(ride, {
    onProgress: () => {
      if (!rewritten) writeFileSync(ride, other)
      rewritten = true
    },
  })
  const until = Date.now() + 500
  while (Date.now() < until) {
    // the event loop is blocked, as by a long synchronous request handler
  }
  await assert.rejects(busy, (e) => e.code === 'invalid_input' && /changed while it was being uploaded/.test(e.message))
  assert.ok(rewritten)

  // enduco kept neither: both files upload as new, then count as duplicates.
  for (const bytes of [original, other]) {
    const first = await session.uploadWorkout(bytes)
    assert.equal(first.duplicate, false, 'nothing was stored from the cut-off uploads')
    assert.equal((await session.uploadWorkout(bytes)).duplicate, true)
  }
})
