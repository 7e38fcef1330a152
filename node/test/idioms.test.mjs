// Issue 18, Node: the models' helpers as package functions (each the core's method over the
// plain objects), TokenSet#hasScope, AuthorizationRequest.fromJSON, checkFit, the calendar-date
// helpers, a missing upload file in Node's own terms, type errors in plain English, and the
// error fields named as the core's payload.

import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { Console } from 'node:console'
import { Writable } from 'node:stream'
import util from 'node:util'

import {
  AuthorizationDeniedError,
  AuthorizationRequest,
  EnducoError,
  InvalidInputError,
  MemoryTokenStore,
  RateLimitedError,
  ApiError,
  ReauthorizationRequiredError,
  checkFit,
  forSport,
  isRestDay,
  isoDate,
  localDate,
  localStart,
  resolveTarget,
  timeline,
  timelineChecked,
} from '../index.mjs'
import { authorizeAs, fitFixture, startSandbox, tempDir } from './helpers.mjs'

const here = path.dirname(new URL(import.meta.url).pathname)

let sandbox
let client
let session
let tokens
let plans
let zones
before(async () => {
  sandbox = await startSandbox()
  client = sandbox.client({ timeZone: 'Europe/Berlin' })
  tokens = await authorizeAs(sandbox, client, 'athlete-1001')
  session = await client.connect(new MemoryTokenStore(), tokens)
  plans = await session.trainingPlans('2026-03-23', '2026-03-29')
  zones = await session.intensityZones()
})
after(() => sandbox?.stop())

const onDate = (date) => plans.find((p) => p.date === date)

test('timeline flattens repeats and resolves zone targets with the zones', () => {
  const intervals = onDate('2026-03-24') // warm-up, 5 × (4 min zone 4, 3 min easy), cool-down
  const segments = timeline(intervals, zones)
  assert.equal(segments.length, 1 + 5 * 2 + 1)
  assert.deepEqual(segments.map((s) => s.index), [...segments.keys()])
  assert.equal(segments.reduce((sum, s) => sum + s.durationSeconds, 0), intervals.durationSeconds)
  const work = segments.filter((s) => s.kind === 'active')
  assert.equal(work.length, 5)
  const z4 = forSport(zones, 'cycling', 'power').zones.find((z) => z.index === 4)
  for (const s of work) assert.deepEqual(s.resolved, { metric: 'power', lower: z4.lower, upper: z4.upper, unit: 'W' })
  // Offsets add up, in the core's order.
  for (let i = 1; i < segments.length; i++) {
    assert.equal(segments[i].startOffsetSeconds, segments[i - 1].startOffsetSeconds + segments[i - 1].durationSeconds)
  }
  assert.deepEqual(timelineChecked(intervals, zones), { segments, truncated: false })
  // Without zones the explicit bounds still resolve; a rest day has no steps.
  assert.equal(timeline(intervals).length, segments.length)
  assert.deepEqual(timeline(onDate('2026-03-23')), [])
})

test('timelineChecked says when a hostile plan was cut', () => {
  const step = { kind: 'active', durationSeconds: 1, target: null }
  const nested = (depth) => (depth === 0 ? [step] : [{ kind: 'repeat', repeat: { count: 1000, steps: nested(depth - 1) } }])
  const huge = { ...onDate('2026-03-24'), steps: nested(3) }
  const { segments, truncated } = timelineChecked(huge)
  assert.equal(truncated, true)
  assert.ok(segments.length > 0 && segments.length < 1000 ** 3)
  assert.equal(timeline(huge).length, segments.length)
})

test('isRestDay and localStart are the core\'s, DST included', () => {
  assert.deepEqual(plans.map(isRestDay), [true, false, false, false, true, false, false])
  assert.equal(localStart(onDate('2026-03-23')), null, 'no start time')
  assert.deepEqual(localStart(onDate('2026-03-24')), {
    date: '2026-03-24',
    time: '18:00:00',
    timeZone: 'Europe/Berlin',
    offset: '+01:00',
    instant: '2026-03-24T17:00:00Z',
    iso: '2026-03-24T18:00:00+01:00',
  })
  // Summer time began that morning in Berlin: 07:00Z is 09:00 local at +02:00.
  const sunday = localStart(onDate('2026-03-29'))
  assert.equal(sunday.time, '09:00:00')
  assert.equal(sunday.offset, '+02:00')
  assert.equal(new Date(sunday.iso).getTime(), new Date(sunday.instant).getTime())
  assert.equal(localStart({ ...onDate('2026-03-24'), timeZone: 'Not/AZone' }), null)
})

test('forSport and resolveTarget', () => {
  const power = forSport(zones, 'cycling', 'power')
  assert.equal(power.unit, 'W')
  assert.equal(forSport(zones, 'bike', 'power').unit, 'W', 'the core reads aliases as from enduco')
  assert.equal(forSport(zones, 'swimming', 'cadence'), null)
  const z2 = power.zones.find((z) => z.index === 2)
  assert.deepEqual(resolveTarget(zones, 'cycling', { metric: 'power', zone: 2 }), { metric: 'power', lower: z2.lower, upper: z2.upper, unit: 'W' })
  assert.deepEqual(resolveTarget(zones, 'cycling', { metric: 'power', lower: 90, upper: 100, unit: '%ftp' }), {
    metric: 'power',
    lower: (power.threshold * 90) / 100,
    upper: power.threshold,
    unit: 'W',
  })
  assert.equal(resolveTarget(zones, 'cycling', { metric: 'power', zone: 99 }), null)
  assert.throws(() => forSport(null, 'cycling', 'power'), (e) => e instanceof InvalidInputError && /zones must be the intensityZones\(\) object, got null/.test(e.message))
  assert.throws(() => resolveTarget(zones, 'cycling', 'z2'), (e) => e instanceof InvalidInputError && /target must be a step's target object, got a string/.test(e.message))
  assert.throws(() => timeline('plan'), (e) => e instanceof InvalidInputError && /got a string/.test(e.message))
  assert.throws(() => timeline({ id: 1 }), (e) => e instanceof InvalidInputError && /plan is not a planned workout/.test(e.message))
})

test('TokenSet#hasScope and checkFit', async (t) => {
  assert.equal(tokens.hasScope('plans_read'), true)
  const narrow = await authorizeAs(sandbox, client, 'athlete-1001', ['user_read'])
  assert.equal(narrow.hasScope('user_read'), true)
  assert.equal(narrow.hasScope('workouts_write'), false)
  assert.throws(() => tokens.hasScope('admin'), InvalidInputError)
  assert.throws(() => tokens.hasScope(undefined), (e) => /scope must be a string, got undefined$/.test(e.message))

  const dir = tempDir(t)
  const bytes = readFileSync(fitFixture(dir, 'ride.fit', ['--seed', '3', '--size', '20000']))
  const summary = checkFit(bytes)
  assert.equal(summary.fileSize, bytes.length)
  assert.equal(summary.fileType, 4)
  assert.equal(summary.headerSize, bytes[0])
  assert.equal(summary.fileCrc, bytes.readUInt16LE(bytes.length - 2))
  const broken = Buffer.from(bytes)
  broken[broken.length - 1] ^= 0xff
  assert.throws(() => checkFit(broken), (e) => e instanceof InvalidInputError && /CRC/i.test(e.message))
  assert.throws(() => checkFit('ride.fit'), (e) => /bytes must be a Buffer\/Uint8Array of a FIT file, got a string/.test(e.message))
})

test('AuthorizationRequest.fromJSON reads toStorageJSON() and the other SDKs\' form', async () => {
  const req = client.authorizationRequest(['user_read', 'plans_read'])
  const kept = AuthorizationRequest.fromJSON(JSON.stringify(req.toStorageJSON()))
  assert.ok(kept instanceof AuthorizationRequest)
  assert.deepEqual(kept.toStorageJSON(), req.toStorageJSON())
  // The core's storage form (Python to_json, Kotlin toJson, Swift toJson).
  const core = {
    schema_version: 1,
    url: req.url,
    state: req.state,
    code_verifier: req.codeVerifier,
    redirect_uri: req.redirectUri,
    scopes: req.scopes,
  }
  const fromCore = AuthorizationRequest.fromJSON(core)
  assert.equal(fromCore.codeVerifier, req.codeVerifier)
  // …and completes the authorization.
  const callback = await sandbox.approve(`${kept.url}&login_hint=athlete-1001`)
  const completed = await client.completeAuthorization(kept, callback)
  assert.equal(completed.userId, 'athlete-1001')
  // The redacted JSON.stringify(req) is refused with a reason, as is another schema.
  assert.throws(() => AuthorizationRequest.fromJSON(JSON.stringify(req)), (e) => e instanceof InvalidInputError && /toStorageJSON/.test(e.message))
  assert.throws(() => AuthorizationRequest.fromJSON({ ...core, schema_version: 99 }), InvalidInputError)
  assert.throws(() => AuthorizationRequest.fromJSON(null), (e) => /got null$/.test(e.message))
})

test('localDate is local midnight and isoDate reads local fields, in any time zone', () => {
  assert.equal(isoDate(localDate('2026-12-01')), '2026-12-01')
  const d = localDate('2026-12-01')
  assert.deepEqual([d.getFullYear(), d.getMonth(), d.getDate(), d.getHours()], [2026, 11, 1, 0])
  assert.throws(() => localDate('2026-02-30'), (e) => e instanceof InvalidInputError && /not a date in YYYY-MM-DD form/.test(e.message))
  assert.throws(() => localDate(new Date()), (e) => /got a Date$/.test(e.message))
  assert.throws(() => isoDate('2026-12-01'), (e) => /date must be a valid Date, got a string/.test(e.message))
  assert.throws(() => isoDate(new Date(NaN)), InvalidInputError)
  // West of Greenwich the pitfall shows: new Date('YYYY-MM-DD') is UTC midnight, the evening
  // before on the athlete's calendar; the helpers are not fooled.
  const script = `
    const { localDate, isoDate } = require(${JSON.stringify(path.join(here, '..', 'index.js'))})
    console.log(JSON.stringify([isoDate(localDate('2026-12-01')), isoDate(new Date('2026-12-01')), localDate('2026-12-01').getDate()]))`
  for (const tz of ['America/Los_Angeles', 'Pacific/Kiritimati']) {
    const [roundTrip, pitfall, day] = JSON.parse(execFileSync(process.execPath, ['-e', script], { env: { ...process.env, TZ: tz } }).toString())
    assert.equal(roundTrip, '2026-12-01', tz)
    assert.equal(day, 1, tz)
    if (tz === 'America/Los_Angeles') assert.equal(pitfall, '2026-11-30', 'the pitfall is real there')
  }
})

test('trainingPlans with a Date says how to pass the athlete\'s date', async () => {
  await assert.rejects(session.trainingPlans(new Date(), '2026-03-29'), (e) => e instanceof InvalidInputError && /got a Date \(isoDate\(date\) gives/.test(e.message))
  const week = await session.trainingPlans(isoDate(localDate('2026-03-23')), isoDate(localDate('2026-03-29')))
  assert.equal(week.length, 7)
})

test('a missing upload file is an InvalidInputError with Node\'s ENOENT fields and cause', async (t) => {
  const missing = path.join(tempDir(t), 'nope', 'ride.fit')
  const before = (await sandbox.requests()).length
  const e = await session.uploadWorkout(missing).then(
    () => assert.fail('resolved'),
    (error) => error,
  )
  assert.ok(e instanceof InvalidInputError)
  assert.ok(e instanceof EnducoError)
  assert.equal(e.code, 'invalid_input')
  assert.equal(e.errno, -2)
  assert.equal(e.syscall, 'stat')
  assert.equal(e.path, missing)
  assert.equal(e.cause.code, 'ENOENT')
  assert.equal(e.cause.errno, -2)
  assert.equal(e.cause.path, missing)
  assert.match(e.message, /^invalid input: uploadWorkout: cannot read .*ride\.fit: ENOENT: no such file or directory, stat /)
  assert.equal((await sandbox.requests()).length, before, 'nothing was sent')
  // A directory on the way that is a file: ENOTDIR, the same shape.
  const file = fitFixture(tempDir(t), 'ride.fit', ['--seed', '1', '--size', '5000'])
  const e2 = await session.uploadWorkout(path.join(file, 'x.fit')).catch((error) => error)
  assert.equal(e2.cause.code, 'ENOTDIR')
  assert.equal(e2.code, 'invalid_input')
})

test('type errors read as English: got undefined, got null, got a string, got an array', async () => {
  const cases = [
    [() => client.authorizationRequest(), /scopes must be an array of scope names, got undefined$/],
    [() => client.authorizationRequest(null), /got null$/],
    [() => client.authorizationRequest('user_read'), /got a string$/],
    [() => client.authorizationRequest([1]), /scopes\[0\] must be a string, got a number$/],
    [() => sandbox.client({ clientId: ['x'] }), /options\.clientId must be a string, got an array$/],
    [() => new MemoryTokenStore({}), /tokens must be a TokenSet, got an object$/],
  ]
  for (const [call, message] of cases) {
    assert.throws(call, (e) => e instanceof InvalidInputError && message.test(e.message) && !/got a undefined|got a null|got a object|got a array/.test(e.message))
  }
  await assert.rejects(session.upcomingPlans(undefined, 5), (e) => /options must be an object, got a number$/.test(e.message))
  await assert.rejects(session.uploadWorkout(undefined), (e) => /source must be a file path or a Buffer\/Uint8Array of a FIT file, got undefined$/.test(e.message))
})

test('console.log and util.format of an authorization request never print the PKCE verifier', () => {
  const req = client.authorizationRequest(['user_read'])
  let out = ''
  const sink = new Writable({
    write(chunk, _encoding, done) {
      out += chunk
      done()
    },
  })
  const logger = new Console({ stdout: sink, stderr: sink })
  logger.log(req)
  logger.log('%o', req)
  logger.dir(req) // console.dir turns custom inspection off: the getter stays unevaluated
  logger.dir(req, { showHidden: true, depth: null })
  logger.log({ nested: [req] })
  out += util.format('%O %j %s', req, req, req)
  assert.ok(out.length > 0)
  assert.ok(!out.includes(req.codeVerifier), 'the verifier was printed')
  assert.match(out, /codeVerifier: '\[redacted\]'/)
  assert.ok(out.includes(req.state))
})

test('error fields are the core payload\'s names, camelCased, in every error class', async () => {
  // authorization_denied: oauthError, description
  const req = client.authorizationRequest(['user_read'])
  const denied = await client.completeAuthorization(req, await sandbox.cancel(req.url)).catch((e) => e)
  assert.ok(denied instanceof AuthorizationDeniedError)
  assert.equal(denied.oauthError, 'access_denied')
  assert.ok('description' in denied)
  // rate_limited: retryAfter
  await sandbox.fault({ path: '/api/v1/zones', kind: 'status', status: 429, retryAfter: 7, count: 10 })
  const limited = await sandbox
    .client({ maxRetries: 0 })
    .connect(new MemoryTokenStore(), tokens)
    .then((s) => s.intensityZones())
    .catch((e) => e)
  await sandbox.control('DELETE', '/faults')
  assert.ok(limited instanceof RateLimitedError, String(limited))
  assert.equal(limited.retryAfter, 7)
  // api: status, apiCode, apiMessage
  const api = await session.request('GET', '/api/v1/does-not-exist').then(
    (r) => r,
    (e) => e,
  )
  if (api instanceof ApiError) {
    assert.equal(typeof api.status, 'number')
    assert.ok('apiCode' in api && 'apiMessage' in api)
  }
  // reauthorization_required: reason
  const gone = await client.connect(new MemoryTokenStore(), tokens).then(async (s) => {
    await s.revoke()
    return s.intensityZones().catch((e) => e)
  })
  assert.ok(gone instanceof ReauthorizationRequiredError, String(gone))
  assert.equal(typeof gone.reason, 'string')
  // No field under another name (the names of issue 18's report: `error`, `error_description`).
  for (const e of [denied, limited, gone]) {
    const own = Object.keys(e)
    assert.ok(!own.includes('error') && !own.includes('error_description') && !own.includes('retry_after'), own.join(','))
    for (const key of own) assert.match(key, /^[a-z][A-Za-z]*$/, `${key} is camelCase`)
  }
})
