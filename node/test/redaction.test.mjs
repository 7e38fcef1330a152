// No token value, code, PKCE verifier or secret in util.inspect, JSON.stringify (of tokens,
// authorization requests, errors), or error messages.

import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import util from 'node:util'

import { InvalidInputError, MemoryTokenStore, TokenSet } from '../index.mjs'
import { CLIENT, RecordingStore, expired, startSandbox } from './helpers.mjs'

let sandbox
before(async () => {
  sandbox = await startSandbox()
})
after(() => sandbox?.stop())

function assertClean(text, secrets, what) {
  for (const [name, value] of Object.entries(secrets)) {
    assert.ok(value && value.length >= 8, `secret ${name} is too short to search for`)
    assert.ok(!text.includes(value), `${what} shows the ${name}: ${text}`)
  }
}

function renderings(value) {
  return [
    util.inspect(value),
    util.inspect(value, { depth: Infinity, showHidden: true, getters: true }),
    util.format('%o %O %s %j', value, value, value, value),
    String(value),
    // What loggers (pino, winston's json format) and `res.json` do.
    JSON.stringify(value),
    JSON.stringify({ level: 30, msg: 'connected', value }),
  ]
}

function errorRenderings(error) {
  return [
    error.message,
    String(error),
    error.stack ?? '',
    JSON.stringify(error),
    util.inspect(error, { depth: Infinity, showHidden: true }),
  ]
}

test('tokens, sessions, stores and every error keep their secrets', async () => {
  const client = sandbox.client()
  const req = client.authorizationRequest(['user_read', 'plans_read'])
  const callback = await sandbox.approve(req.url)
  const code = new URL(callback).searchParams.get('code')
  const tokens = await client.completeAuthorization(req, callback)
  const secrets = {
    'access token': tokens.accessToken,
    'refresh token': tokens.refreshToken,
    'client secret': CLIENT.clientSecret,
    'authorization code': code,
    'PKCE verifier': req.codeVerifier,
  }

  for (const text of renderings(tokens)) assertClean(text, secrets, 'a TokenSet')
  for (const text of renderings(req)) assertClean(text, secrets, 'an AuthorizationRequest')
  assert.match(util.inspect(tokens), /\[redacted\]/)
  assert.match(util.inspect(tokens), /athlete-1001/)
  assert.match(util.inspect({ nested: { deeper: [tokens] } }, { depth: 5 }), /\[redacted\]/)

  const store = new MemoryTokenStore(tokens)
  const session = client.session(store)
  for (const value of [client, session, store, { client, session, store }]) {
    for (const text of renderings(value)) assertClean(text, secrets, 'an SDK object')
  }

  // The storage form is only ever asked for by name.
  assert.equal(tokens.toStorageJSON().access_token, tokens.accessToken)

  const errors = []
  const collect = (promise) => promise.then(() => assert.fail('expected an error'), (e) => errors.push(e))
  await collect(client.completeAuthorization(req, callback)) // reused code: api invalid_grant
  await collect(client.completeAuthorization({ ...req, state: 'other-state-value' }, callback))
  await collect(client.exchangeCode(code, req.codeVerifier))
  await collect(session.uploadWorkout(Buffer.from('not a fit file at all')))
  await collect(session.request('GET', '/api/v1/nope'))
  await sandbox.fault({ path: '/api/v1/zones', kind: 'malformed' })
  await collect(session.intensityZones())
  await sandbox.fault({ path: '/oauth2/token', kind: 'status', status: 400 })
  await collect(session.refresh())
  // The replayed code above revoked `tokens` (as Spring AS does): a second grant for the store
  // whose save fails after a successful refresh.
  const second = await sandbox.authorize(client, ['user_read'])
  secrets['second access token'] = second.accessToken
  secrets['second refresh token'] = second.refreshToken
  const failing = new RecordingStore(expired(second))
  failing.save = () => {
    throw new Error('disk full')
  }
  await sandbox.expireAccessTokens()
  await collect(client.session(failing).intensityZones())
  await session.revoke()
  await collect(client.session(new RecordingStore(tokens)).refresh())
  await collect(client.session(new MemoryTokenStore()).userId())

  const codes = new Set(errors.map((e) => e.code))
  for (const wanted of ['api', 'state_mismatch', 'invalid_input', 'invalid_response', 'store', 'reauthorization_required']) {
    assert.ok(codes.has(wanted), `no ${wanted} error among ${[...codes]}`)
  }
  for (const error of errors) {
    for (const text of errorRenderings(error)) assertClean(text, secrets, `a ${error.code} error`)
    const json = JSON.parse(JSON.stringify(error))
    assert.equal(json.code, error.code)
  }
})

test('TokenSet.fromJSON errors never echo the token values', () => {
  const json = {
    schema_version: 1,
    access_token: 'at-VERY-SECRET-VALUE',
    refresh_token: 'rt-VERY-SECRET-VALUE',
    expires_at: 'not a number',
    scopes: [],
    token_type: 'Bearer',
  }
  assert.throws(
    () => TokenSet.fromJSON(json),
    (e) => {
      for (const text of errorRenderings(e)) assert.ok(!text.includes('VERY-SECRET'), text)
      return e.code === 'invalid_input'
    },
  )
})

test('JSON.stringify(tokens) is redacted; the storage form comes only from toStorageJSON()', async () => {
  const client = sandbox.client()
  const tokens = await sandbox.authorize(client, ['user_read', 'plans_read'])
  const secrets = { 'access token': tokens.accessToken, 'refresh token': tokens.refreshToken }

  // What a logger or `res.json(tokens)` writes: who, until when, which scopes; no token value.
  const shown = JSON.parse(JSON.stringify(tokens))
  assert.deepEqual(shown, {
    userId: 'athlete-1001',
    expiresAt: tokens.expiresAt,
    scopes: tokens.scopes,
    tokenType: 'Bearer',
    accessToken: '[redacted]',
    refreshToken: '[redacted]',
  })
  assert.deepEqual(tokens.toJSON(), shown)
  for (const text of [JSON.stringify(tokens), JSON.stringify({ user: { tokens } }), JSON.stringify([tokens], null, 2)]) {
    assertClean(text, secrets, 'JSON.stringify of a TokenSet')
  }

  // The storage form: both tokens, snake_case, the same JSON every SDK reads.
  const stored = tokens.toStorageJSON()
  assert.equal(stored.access_token, tokens.accessToken)
  assert.equal(stored.refresh_token, tokens.refreshToken)
  assert.equal(stored.expires_at, tokens.expiresAt)
  const again = TokenSet.fromJSON(JSON.stringify(stored))
  assert.equal(again.accessToken, tokens.accessToken)
  assert.deepEqual(again.toStorageJSON(), stored)

  // The redacted form is not a storage form: reading it back says what to store instead.
  for (const redacted of [tokens.toJSON(), JSON.stringify(tokens)]) {
    assert.throws(
      () => TokenSet.fromJSON(redacted),
      (e) => e instanceof InvalidInputError && /redacted form/.test(e.message) && /toStorageJSON\(\)/.test(e.message),
    )
  }
})

test('authorizationRequest() keeps the PKCE verifier out of JSON, spreads and console.log', async () => {
  const client = sandbox.client()
  const req = client.authorizationRequest(['user_read'])
  const verifier = req.codeVerifier
  assert.match(verifier, /^[A-Za-z0-9_-]{43,128}$/, 'the verifier is there when asked for')
  assert.ok(!Object.keys(req).includes('codeVerifier'))
  assert.equal(Object.getOwnPropertyDescriptor(req, 'codeVerifier'), undefined)
  assert.deepEqual(Object.keys(req).sort(), ['redirectUri', 'scopes', 'state', 'url'])
  assert.ok(!('codeVerifier' in JSON.parse(JSON.stringify(req))))
  assert.ok(!('codeVerifier' in { ...req }))
  for (const text of renderings(req)) assertClean(text, { 'PKCE verifier': verifier }, 'an AuthorizationRequest')
  assert.match(util.inspect(req), /codeVerifier: '\[redacted\]'/)
  assert.match(util.inspect(req), new RegExp(req.state))

  // Kept server-side through its storage form, it finishes the flow.
  const kept = JSON.parse(JSON.stringify(req.toStorageJSON()))
  assert.equal(kept.codeVerifier, verifier)
  const tokens = await client.completeAuthorization(kept, await sandbox.approve(req.url))
  assert.equal(tokens.userId, 'athlete-1001')

  // The request object itself works too (the getter is read).
  const direct = client.authorizationRequest(['user_read'])
  assert.equal((await client.completeAuthorization(direct, await sandbox.approve(direct.url))).userId, 'athlete-1001')

  // Without the verifier (JSON.stringify(req) kept instead of its storage form) enduco refuses
  // the code: PKCE is doing its job.
  const lost = client.authorizationRequest(['user_read'])
  const callback = await sandbox.approve(lost.url)
  await assert.rejects(client.completeAuthorization(JSON.parse(JSON.stringify(lost)), callback), (e) => e.code === 'api')

  // PKCE off: the verifier is null and inspect says so.
  const plain = sandbox.client({ usePkce: false }).authorizationRequest(['user_read'])
  assert.equal(plain.codeVerifier, null)
  assert.equal(plain.toStorageJSON().codeVerifier, null)
  assert.match(util.inspect(plain), /codeVerifier: null/)
})
