// Every error code where it belongs, and bad arguments rejected with clear messages.

import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { spawn } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import {
  ApiError,
  AuthorizationDeniedError,
  EnducoClient,
  EnducoError,
  EnducoTimeoutError,
  InsufficientScopeError,
  InternalError,
  InvalidInputError,
  InvalidResponseError,
  MemoryTokenStore,
  NetworkError,
  RateLimitedError,
  ReauthorizationRequiredError,
  ServerError,
  StateMismatchError,
  TimeoutError,
  TokenSet,
} from '../index.mjs'
import enduco from '../index.mjs'
import { CLIENT, RecordingStore, countRequests, fitFixture, startSandbox, tempDir } from './helpers.mjs'

let sandbox
before(async () => {
  sandbox = await startSandbox()
})
after(() => sandbox?.stop())

/** Asserts that `promise` rejects with `cls` and `code`; returns the error. */
async function rejectsWith(promise, cls, code) {
  const error = await promise.then(
    () => assert.fail(`expected ${code}`),
    (e) => e,
  )
  assert.ok(error instanceof cls, `expected ${cls.name}, got ${error?.name}: ${error?.message}`)
  assert.ok(error instanceof EnducoError)
  assert.ok(error instanceof Error)
  assert.equal(error.code, code)
  assert.equal(error.name, cls.name)
  return error
}

function throwsWith(fn, cls, code) {
  try {
    fn()
  } catch (error) {
    assert.ok(error instanceof cls, `expected ${cls.name}, got ${error?.name}: ${error?.message}`)
    assert.equal(error.code, code)
    return error
  }
  assert.fail(`expected ${code}`)
}

test('state_mismatch: a callback that belongs to another request', async () => {
  const client = sandbox.client()
  const mine = client.authorizationRequest(['user_read'])
  const theirs = client.authorizationRequest(['user_read'])
  const callback = await sandbox.approve(theirs.url)
  await rejectsWith(client.completeAuthorization(mine, callback), StateMismatchError, 'state_mismatch')
  const forged = `https://app.example/callback?code=abc&state=${'x'.repeat(43)}`
  await rejectsWith(client.completeAuthorization(mine, forged), StateMismatchError, 'state_mismatch')
})

test('authorization_denied: the user cancels on the consent page', async () => {
  const client = sandbox.client()
  const req = client.authorizationRequest(['user_read', 'plans_read'])
  const callback = await sandbox.cancel(req.url)
  assert.match(callback, /error=access_denied/)
  const error = await rejectsWith(client.completeAuthorization(req, callback), AuthorizationDeniedError, 'authorization_denied')
  assert.equal(error.oauthError, 'access_denied')
  assert.ok('description' in error)
})

test('insufficient_scope: refused before any request', async (t) => {
  const client = sandbox.client()
  const { session } = await sandbox.session(client, { scopes: ['user_read'] })
  await sandbox.clearRequests()
  const dir = tempDir(t)
  const ride = fitFixture(dir, 'ride.fit', ['--records', '20'])
  const upload = await rejectsWith(session.uploadWorkout(ride), InsufficientScopeError, 'insufficient_scope')
  assert.deepEqual(upload.missing, ['workouts_write'])
  const plans = await rejectsWith(session.upcomingPlans(3), InsufficientScopeError, 'insufficient_scope')
  assert.deepEqual(plans.missing, ['plans_read'])
  assert.match(plans.message, /plans_read/)
  assert.equal(await countRequests(sandbox, (r) => r.path.startsWith('/api/')), 0)
})

test('reauthorization_required: the grant was revoked elsewhere', async () => {
  const client = sandbox.client()
  const { session, tokens } = await sandbox.session(client)
  // A second copy of the same grant, as another process would hold it.
  const elsewhere = client.session(new RecordingStore(tokens))
  await session.revoke()
  await sandbox.expireAccessTokens()
  const error = await rejectsWith(elsewhere.intensityZones(), ReauthorizationRequiredError, 'reauthorization_required')
  assert.equal(typeof error.reason, 'string')
  // An empty store needs the flow too.
  const empty = client.session(new MemoryTokenStore())
  await rejectsWith(empty.userId(), ReauthorizationRequiredError, 'reauthorization_required')
})

test('rate_limited: a 429 is retried, then the call succeeds', async () => {
  const client = sandbox.client()
  const { session } = await sandbox.session(client)
  await sandbox.clearRequests()
  await sandbox.fault({ path: '/api/v1/zones', kind: 'status', status: 429, retryAfter: 1 })
  const started = Date.now()
  const zones = await session.intensityZones()
  assert.equal(zones.userId, 'athlete-1001')
  assert.ok(Date.now() - started >= 900, 'Retry-After was honoured')
  const statuses = (await sandbox.requests()).filter((r) => r.path === '/api/v1/zones').map((r) => r.status)
  assert.deepEqual(statuses, [429, 200])
})

test('rate_limited: when the retries run out the error carries retryAfter', async () => {
  const client = sandbox.client({ maxRetries: 0 })
  const { session } = await sandbox.session(client)
  await sandbox.fault({ path: '/api/v1/zones', kind: 'status', status: 429, retryAfter: 7 })
  const error = await rejectsWith(session.intensityZones(), RateLimitedError, 'rate_limited')
  assert.equal(error.retryAfter, 7)
})

test('server: a 5xx after the retries', async () => {
  const client = sandbox.client({ maxRetries: 0 })
  const { session } = await sandbox.session(client)
  await sandbox.fault({ path: '/api/v1/zones', kind: 'status', status: 503 })
  const error = await rejectsWith(session.intensityZones(), ServerError, 'server')
  assert.equal(error.status, 503)
})

test('api: enduco refuses a request with its own error', async () => {
  const client = sandbox.client()
  const { session } = await sandbox.session(client)
  const error = await rejectsWith(session.request('GET', '/api/v1/no-such-thing'), ApiError, 'api')
  assert.equal(error.status, 404)
  assert.equal(typeof error.apiCode, 'string')
  // A reused authorization code is an OAuth error from the token endpoint.
  const req = client.authorizationRequest(['user_read'])
  const callback = await sandbox.approve(req.url)
  await client.completeAuthorization(req, callback)
  const reused = await rejectsWith(client.completeAuthorization(req, callback), ApiError, 'api')
  assert.equal(reused.apiCode, 'invalid_grant')
})

test('invalid_response: a malformed body, and an HTML page', async () => {
  const client = sandbox.client({ maxRetries: 0 })
  const { session } = await sandbox.session(client)
  await sandbox.fault({ path: '/api/v1/zones', kind: 'malformed' })
  const malformed = await rejectsWith(session.intensityZones(), InvalidResponseError, 'invalid_response')
  assert.match(malformed.message, /JSON/)
  assert.doesNotMatch(malformed.message, /sandbox-malformed/, 'the body is not echoed')
  await sandbox.fault({ path: '/api/v1/zones', kind: 'html' })
  const html = await rejectsWith(session.intensityZones(), InvalidResponseError, 'invalid_response')
  assert.match(html.message, /HTML/)
  const raw = await session.request('GET', '/api/v1/zones')
  await sandbox.fault({ path: '/api/v1/zones', kind: 'malformed' })
  const broken = await session.request('GET', '/api/v1/zones')
  assert.equal(raw.json().userId, 'athlete-1001')
  throwsWith(() => broken.json(), InvalidResponseError, 'invalid_response')
})

test('timeout: enduco answers too late', async () => {
  const client = sandbox.client({ requestTimeoutSeconds: 0.3, maxRetries: 0 })
  const { session } = await sandbox.session(client)
  await sandbox.fault({ path: '/api/v1/zones', kind: 'delay', delayMs: 3000 })
  const error = await rejectsWith(session.intensityZones(), EnducoTimeoutError, 'timeout')
  assert.equal(TimeoutError, EnducoTimeoutError)
  assert.equal(error.name, 'EnducoTimeoutError')
})

test('network: nothing listens on the port', async () => {
  const port = await new Promise((resolve) => {
    const server = createServer()
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
  const client = new EnducoClient({ ...CLIENT, environment: `http://127.0.0.1:${port}`, maxRetries: 0 })
  await rejectsWith(client.exchangeCode('some-code'), NetworkError, 'network')
})

test('bad arguments are rejected with clear messages', async () => {
  const client = sandbox.client()
  const { session } = await sandbox.session(client)

  // Wrong types, synchronous API: thrown.
  let e = throwsWith(() => new EnducoClient({ ...CLIENT, clientId: 42 }), InvalidInputError, 'invalid_input')
  assert.match(e.message, /options\.clientId must be a string, got a number/)
  e = throwsWith(() => new EnducoClient(), InvalidInputError, 'invalid_input')
  assert.match(e.message, /options must be an object, got undefined$/)
  e = throwsWith(() => new EnducoClient({ ...CLIENT, maxRetries: '3' }), InvalidInputError, 'invalid_input')
  assert.match(e.message, /options\.maxRetries must be a number, got a string/)
  e = throwsWith(() => new EnducoClient({ ...CLIENT, environment: 'http://example.com' }), InvalidInputError, 'invalid_input')
  assert.match(e.message, /plain http is only allowed for loopback/)
  e = throwsWith(() => new EnducoClient({ ...CLIENT, environment: 'staging' }), InvalidInputError, 'invalid_input')
  assert.match(e.message, /environment must be "beta", "production" or a URL/)
  e = throwsWith(() => new EnducoClient({ ...CLIENT, requestTimeoutSeconds: -1 }), InvalidInputError, 'invalid_input')
  assert.match(e.message, /positive number of seconds/)
  e = throwsWith(() => new EnducoClient({ ...CLIENT, maxRetries: 1.5 }), InvalidInputError, 'invalid_input')
  assert.match(e.message, /maxRetries must be a non-negative whole number/)
  e = throwsWith(() => new EnducoClient({ ...CLIENT, endpoints: { zonez: '/x' } }), InvalidInputError, 'invalid_input')
  assert.match(e.message, /unknown endpoint "zonez"/)
  e = throwsWith(() => client.authorizationRequest('user_read'), InvalidInputError, 'invalid_input')
  assert.match(e.message, /scopes must be an array of scope names, got a string/)
  e = throwsWith(() => client.authorizationRequest(['user_read', 'admin']), InvalidInputError, 'invalid_input')
  assert.match(e.message, /unknown scope "admin"/)
  e = throwsWith(() => client.authorizationRequest([]), InvalidInputError, 'invalid_input')
  assert.match(e.message, /at least one scope/)
  e = throwsWith(() => client.session({ load() {} }), InvalidInputError, 'invalid_input')
  assert.match(e.message, /store must be an object with load\(\), save\(tokens\) and clear\(\) methods/)
  e = throwsWith(() => TokenSet.fromJSON(7), InvalidInputError, 'invalid_input')
  e = throwsWith(() => TokenSet.fromJSON('{"schema_version": 2}'), InvalidInputError, 'invalid_input')
  assert.match(e.message, /schema version 2/)
  assert.throws(() => new TokenSet(), TypeError)

  // Wrong types, asynchronous API: rejected.
  e = await rejectsWith(session.upcomingPlans('7'), InvalidInputError, 'invalid_input')
  assert.match(e.message, /upcomingPlans: days must be a number, got a string/)
  e = await rejectsWith(session.upcomingPlans(10), InvalidInputError, 'invalid_input')
  assert.match(e.message, /1 to 7 days, got 10/)
  e = await rejectsWith(session.upcomingPlans(2.5), InvalidInputError, 'invalid_input')
  assert.match(e.message, /days must be a non-negative whole number/)
  e = await rejectsWith(session.trainingPlans(new Date(), '2025-01-01'), InvalidInputError, 'invalid_input')
  assert.match(e.message, /from \(YYYY-MM-DD\) must be a string, got a Date \(isoDate\(date\) gives/)
  e = await rejectsWith(session.trainingPlans('01/02/2025', '2025-01-03'), InvalidInputError, 'invalid_input')
  assert.match(e.message, /"01\/02\/2025" is not a date in YYYY-MM-DD form/)
  e = await rejectsWith(session.uploadWorkout(42), InvalidInputError, 'invalid_input')
  assert.match(e.message, /source must be a file path or a Buffer\/Uint8Array of a FIT file, got a number/)
  e = await rejectsWith(session.uploadWorkout('x.fit', { onProgress: 'yes' }), InvalidInputError, 'invalid_input')
  assert.match(e.message, /options\.onProgress must be a function, got a string/)
  e = await rejectsWith(session.uploadWorkout('/no/such/ride.fit'), InvalidInputError, 'invalid_input')
  assert.match(e.message, /cannot read \/no\/such\/ride\.fit/)
  e = await rejectsWith(session.request('GET', 'api/v1/zones'), InvalidInputError, 'invalid_input')
  assert.match(e.message, /path must start with '\/'/)
  e = await rejectsWith(session.request('GET', '/api/v1/plans', { query: { from: {} } }), InvalidInputError, 'invalid_input')
  assert.match(e.message, /query value "from" must be a string, number or boolean, got an object/)
  e = await rejectsWith(session.request(7, '/x'), InvalidInputError, 'invalid_input')
  assert.match(e.message, /method must be a string, got a number/)
  e = await rejectsWith(client.completeAuthorization(null, 'https://app.example/callback'), InvalidInputError, 'invalid_input')
  assert.match(e.message, /request must be the object authorizationRequest\(\) returned, got null/)
  e = await rejectsWith(client.exchangeCode(''), InvalidInputError, 'invalid_input')
  assert.match(e.message, /authorization code is empty/)
  e = await rejectsWith(client.connect(new MemoryTokenStore(), { accessToken: 'x' }), InvalidInputError, 'invalid_input')
  assert.match(e.message, /tokens must be a TokenSet, got an object/)
})

test('a plan window longer than 7 days is refused before any request', async () => {
  const client = sandbox.client()
  const { session } = await sandbox.session(client)
  await sandbox.clearRequests()
  const e = await rejectsWith(session.trainingPlans('2025-03-01', '2025-03-10'), InvalidInputError, 'invalid_input')
  assert.match(e.message, /plan window too long: 10 days \(enduco serves at most 7\)/)
  const reversed = await rejectsWith(session.trainingPlans('2025-03-10', '2025-03-01'), InvalidInputError, 'invalid_input')
  assert.match(reversed.message, /reversed/)
  assert.equal(await countRequests(sandbox, (r) => r.path.startsWith('/api/')), 0)
})

const DEFECTS = {
  truncated: /FIT file is truncated/,
  'wrong-signature': /not a FIT file: signature is/,
  'bad-header-crc': /FIT header CRC mismatch/,
  'bad-file-crc': /FIT CRC mismatch/,
  'not-activity': /FIT file type is 6 \(course\), expected 4 \(activity\)/,
  empty: /FIT file is empty/,
  'data-size-mismatch': /FIT data size mismatch/,
}

test('a corrupt FIT file is refused with its defect, and nothing is sent', async (t) => {
  const client = sandbox.client()
  const { session } = await sandbox.session(client)
  const dir = tempDir(t)
  await sandbox.clearRequests()
  for (const [defect, pattern] of Object.entries(DEFECTS)) {
    const file = fitFixture(dir, `${defect}.fit`, ['--corrupt', defect])
    const progress = []
    const e = await rejectsWith(
      session.uploadWorkout(file, { onProgress: (sent, total) => progress.push([sent, total]) }),
      InvalidInputError,
      'invalid_input',
    )
    assert.match(e.message, pattern, `${defect}: ${e.message}`)
    assert.deepEqual(progress, [], `${defect}: no progress for a refused file`)
    const { readFileSync } = await import('node:fs')
    const fromBytes = await rejectsWith(session.uploadWorkout(readFileSync(file)), InvalidInputError, 'invalid_input')
    assert.match(fromBytes.message, pattern)
  }
  assert.equal(await countRequests(sandbox, (r) => r.path === '/api/v1/workouts'), 0)
})

test('internal: a panic in the addon, sync or async, is an EnducoError and the process lives on', async () => {
  const panicForTests = enduco._panicForTests
  assert.equal(typeof panicForTests, 'function')
  assert.ok(!Object.keys(enduco).includes('_panicForTests'), 'the hook is hidden from the API')

  // Synchronous export: thrown (a panic unwinding into Node would abort the process).
  const sync = throwsWith(() => panicForTests(false), InternalError, 'internal')
  assert.ok(sync instanceof EnducoError)
  assert.equal(sync.name, 'InternalError')
  assert.match(sync.message, /internal error in the enduco SDK: _panicForTests: a panic in a synchronous call/)

  // Asynchronous export: the Promise rejects (the panic happens on the runtime's thread after
  // the call returned).
  const rejected = await rejectsWith(panicForTests(true), InternalError, 'internal')
  assert.match(rejected.message, /_panicForTests: a panic in an asynchronous call/)

  // The addon works on: the same runtime serves real calls afterwards.
  for (let i = 0; i < 3; i++) {
    await rejectsWith(panicForTests(true), InternalError, 'internal')
    throwsWith(() => panicForTests(false), InternalError, 'internal')
  }
  const client = sandbox.client()
  const { session } = await sandbox.session(client, { scopes: ['user_read'] })
  assert.equal((await session.intensityZones()).userId, 'athlete-1001')
})

test('internal: a process that hits both panics exits normally, without an abort', async () => {
  const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
  const script = `
    import enduco from './index.mjs'
    const codes = []
    try { enduco._panicForTests(false) } catch (e) { codes.push(e instanceof enduco.EnducoError && e.code) }
    try { await enduco._panicForTests(true) } catch (e) { codes.push(e instanceof enduco.EnducoError && e.code) }
    console.log('survived', codes.join(','))
  `
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: packageDir, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (d) => (output += d))
  child.stderr.on('data', (d) => (output += d))
  const [code, signal] = await new Promise((resolve) => child.on('exit', (c, s) => resolve([c, s])))
  assert.equal(signal, null, output)
  assert.equal(code, 0, output)
  assert.match(output, /survived internal,internal/)
})

test('maxResponseBytes: an answer bigger than the cap is invalid_response; bad values are invalid_input', async () => {
  let e = throwsWith(() => sandbox.client({ maxResponseBytes: 100 }), InvalidInputError, 'invalid_input')
  assert.match(e.message, /max_response_bytes must be at least 1024/)
  e = throwsWith(() => sandbox.client({ maxResponseBytes: 4096.5 }), InvalidInputError, 'invalid_input')
  assert.match(e.message, /maxResponseBytes must be a whole number of bytes/)
  e = throwsWith(() => sandbox.client({ maxResponseBytes: '4096' }), InvalidInputError, 'invalid_input')
  assert.match(e.message, /options\.maxResponseBytes must be a number, got a string/)

  const roomy = sandbox.client({ maxResponseBytes: 1 << 20 })
  const { session, tokens } = await sandbox.session(roomy, { scopes: ['user_read', 'plans_read'] })
  const week = await session.request('GET', '/api/v1/plans', { query: { from: '2025-03-03', to: '2025-03-09' } })
  assert.ok(week.body.length > 1024, `the sandbox's week of plans is ${week.body.length} bytes`)

  const tight = sandbox.client({ maxResponseBytes: 1024 })
  const capped = tight.session(new MemoryTokenStore(tokens))
  e = await rejectsWith(capped.request('GET', '/api/v1/plans', { query: { from: '2025-03-03', to: '2025-03-09' } }), InvalidResponseError, 'invalid_response')
  assert.match(e.message, /1024/)
})
