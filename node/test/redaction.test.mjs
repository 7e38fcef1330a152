// No token value, code or secret in util.inspect, JSON.stringify of errors, or error messages.

import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import util from 'node:util'

import { MemoryTokenStore, TokenSet } from '../index.mjs'
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
    util.format('%o %O %s', value, value, value),
    String(value),
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
  }

  for (const text of renderings(tokens)) assertClean(text, secrets, 'a TokenSet')
  assert.match(util.inspect(tokens), /\[redacted\]/)
  assert.match(util.inspect(tokens), /athlete-1001/)
  assert.match(util.inspect({ nested: { deeper: [tokens] } }, { depth: 5 }), /\[redacted\]/)

  const store = new MemoryTokenStore(tokens)
  const session = client.session(store)
  for (const value of [client, session, store, { client, session, store }]) {
    for (const text of renderings(value)) assertClean(text, secrets, 'an SDK object')
  }

  // JSON.stringify of the TokenSet is the storage form and does carry the tokens, by design.
  assert.ok(JSON.stringify(tokens).includes(tokens.accessToken))

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
