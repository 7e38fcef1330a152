// Relay mode (issue 17, docs/relay.md): a client without the secret sends code exchange, refresh
// and revoke to the partner's token relay, which adds the credentials and forwards them to
// enduco. Every relay here is served for real on loopback in front of the sandbox: the
// `bin/enduco-relay.js` command (as the Kotlin and Swift suites start it) and `relay.handler()`
// on a node:http server in this process. The sandbox's request log shows who sent each
// request: token requests carry the relay's Basic credentials (`authenticatedClient`) and
// User-Agent; data requests come from the app itself.

import { after, before, beforeEach, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import http from 'node:http'
import path from 'node:path'
import { createInterface } from 'node:readline'
import util from 'node:util'

import {
  ApiError,
  EnducoClient,
  InvalidInputError,
  MAX_RELAY_REQUEST_BYTES,
  MemoryTokenStore,
  ReauthorizationRequiredError,
  StoreError,
  TokenRelay,
} from '../index.mjs'
import { ALL_SCOPES, CLIENT, ROOT, RecordingStore, expired, fitFixture, startSandbox, tempDir, waitFor } from './helpers.mjs'

const RELAY_AGENT = 'enduco-token-relay'
const TOKEN_PATHS = ['/oauth2/token', '/oauth2/revoke']
const FORM = 'application/x-www-form-urlencoded'
const RELAY_BIN = path.join(ROOT, 'node', 'bin', 'enduco-relay.js')

let sandbox
before(async () => {
  sandbox = await startSandbox()
})
after(() => sandbox?.stop())
beforeEach(() => sandbox.reset())

/** `node bin/enduco-relay.js` against the sandbox; resolves once it printed its address. */
async function startRelayProcess() {
  const env = { ...process.env, ENDUCO_CLIENT_SECRET: CLIENT.clientSecret }
  delete env.ENDUCO_CLIENT_ID
  const child = spawn(process.execPath, [RELAY_BIN, '--port', '0', '--environment', sandbox.url, '--client-id', CLIENT.clientId], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  })
  const log = []
  child.stderr.setEncoding('utf8').on('data', (chunk) => log.push(chunk))
  const lines = createInterface({ input: child.stdout })
  const first = await new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`enduco-relay exited with ${code}: ${log.join('')}`)))
    lines.once('line', resolve)
  })
  lines.on('line', () => {})
  const match = /^listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(first)
  assert.ok(match, `unexpected first line from enduco-relay: ${first}`)
  return {
    url: match[1],
    log,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', resolve)
        child.kill('SIGTERM')
      }),
  }
}

/** `relay.handler()` on a node:http server in this process, under a path prefix. */
async function startHandlerRelay(handlerOptions) {
  const relay = new TokenRelay({ clientId: CLIENT.clientId, clientSecret: CLIENT.clientSecret, environment: sandbox.url })
  const server = http.createServer(relay.handler(handlerOptions))
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${server.address().port}/enduco/relay`,
    stop: () =>
      new Promise((resolve) => {
        server.close(resolve)
        server.closeAllConnections()
      }),
  }
}

/** The app's client: no secret, the relay instead. */
function relayClient(relayUrl, options = {}) {
  return new EnducoClient({ clientId: CLIENT.clientId, redirectUri: CLIENT.redirectUri, tokenRelayUrl: relayUrl, environment: sandbox.url, ...options })
}

/** Every token and revoke request in the log came from the relay; no data request did. */
async function assertTokenRequestsWentThroughTheRelay() {
  const log = await sandbox.requests()
  const tokenRequests = log.filter((r) => TOKEN_PATHS.includes(r.path))
  assert.ok(tokenRequests.length > 0, 'no token request reached the sandbox')
  for (const r of tokenRequests) {
    assert.equal(r.authenticatedClient, CLIENT.clientId, `not the relay's credentials: ${JSON.stringify(r)}`)
    assert.ok(r.userAgent?.includes(RELAY_AGENT), `not the relay's User-Agent: ${JSON.stringify(r)}`)
  }
  for (const r of log.filter((e) => e.path.startsWith('/api/'))) {
    assert.ok(!r.userAgent?.includes(RELAY_AGENT), `a data request went through the relay: ${JSON.stringify(r)}`)
    assert.equal(r.authenticatedClient, undefined, `a data request carried client credentials: ${JSON.stringify(r)}`)
  }
  return log
}

/** One raw request to a relay: status, headers, parsed JSON body. */
async function post(url, body, contentType = FORM, method = 'POST') {
  const target = new URL(url)
  return new Promise((resolve, reject) => {
    const headers = contentType ? { 'content-type': contentType } : {}
    if (body) headers['content-length'] = String(Buffer.byteLength(body))
    const req = http.request({ host: target.hostname, port: target.port, path: target.pathname, method, headers }, (res) => {
      const chunks = []
      res.on('data', (c) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(body || undefined)
  })
}

const relayKinds = {
  'node bin/enduco-relay.js': startRelayProcess,
  'relay.handler() on node:http': () => startHandlerRelay(),
}

for (const [kind, start] of Object.entries(relayKinds)) {
  describe(`through ${kind}`, () => {
    let relay
    before(async () => {
      relay = await start()
    })
    after(() => relay?.stop())

    test('the whole flow with a client that has no secret', async (t) => {
      const client = relayClient(relay.url)
      const request = client.authorizationRequest(ALL_SCOPES)
      assert.ok(request.url.startsWith(`${sandbox.url}/oauth2/authorize?`))
      assert.ok(request.codeVerifier, 'PKCE is on')
      const tokens = await client.completeAuthorization(request, await sandbox.approve(request.url))
      assert.equal(tokens.userId, 'athlete-1001')
      assert.deepEqual([...tokens.scopes].sort(), [...ALL_SCOPES].sort())

      const store = new RecordingStore()
      const session = await client.connect(store, tokens)
      assert.equal((await session.intensityZones()).userId, 'athlete-1001')
      assert.equal((await session.upcomingPlans(7)).length, 7)
      const fit = fitFixture(tempDir(t), 'ride.fit', ['--seed', '23'])
      const uploaded = await session.uploadWorkout(fit)
      assert.ok(uploaded.id && !uploaded.duplicate)

      const refreshed = await session.refresh()
      assert.notEqual(refreshed.refreshToken, tokens.refreshToken)
      assert.equal(store.tokens.refreshToken, refreshed.refreshToken, 'saved before use')
      assert.equal((await session.intensityZones()).userId, 'athlete-1001')
      await session.revoke()
      assert.equal(store.tokens, null)
      await assert.rejects(session.intensityZones(), ReauthorizationRequiredError)

      const log = await assertTokenRequestsWentThroughTheRelay()
      assert.deepEqual(
        log.filter((r) => r.path === '/oauth2/token').map((r) => r.grantType),
        ['authorization_code', 'refresh_token'],
      )
      assert.deepEqual(log.filter((r) => TOKEN_PATHS.includes(r.path)).map((r) => r.status), [200, 200, 200])
      const paths = new Set(log.map((r) => r.path))
      for (const p of ['/api/v1/zones', '/api/v1/plans', '/api/v1/workouts']) assert.ok(paths.has(p), p)
    })

    test('500 concurrent calls on an expired token make exactly one refresh request', async () => {
      const client = relayClient(relay.url)
      const tokens = await sandbox.authorize(client)
      const store = new RecordingStore(expired(tokens))
      const session = client.session(store)
      await sandbox.expireAccessTokens()
      const results = await Promise.all(Array.from({ length: 500 }, () => session.intensityZones()))
      for (const zones of results) assert.equal(zones.userId, 'athlete-1001')
      const refreshes = (await sandbox.tokenRequests()).filter((r) => r.grantType === 'refresh_token')
      assert.equal(refreshes.length, 1)
      assert.equal(store.saves, 1)
      await assertTokenRequestsWentThroughTheRelay()
    })

    for (const how of ['throw', 'reject']) {
      test(`a store whose save fails (${how}) loses nothing`, async () => {
        const client = relayClient(relay.url)
        const tokens = await sandbox.authorize(client)
        const store = new RecordingStore(expired(tokens), { async: false })
        let broken = true
        const save = store.save.bind(store)
        store.save = (t) => {
          if (!broken) return save(t)
          const error = new Error('disk full')
          if (how === 'throw') throw error
          return Promise.reject(error)
        }
        const session = client.session(store)
        await sandbox.expireAccessTokens()
        const error = await session.intensityZones().then(
          () => assert.fail('expected a StoreError'),
          (e) => e,
        )
        assert.ok(error instanceof StoreError, String(error))
        assert.equal(error.cause?.message, 'disk full')
        const refreshes = async () => (await sandbox.tokenRequests()).filter((r) => r.grantType === 'refresh_token').length
        assert.equal(await refreshes(), 1)
        assert.equal(store.saves, 0)

        broken = false
        assert.equal((await session.intensityZones()).userId, 'athlete-1001') // saves the kept tokens first
        assert.equal(await refreshes(), 1, 'the refreshed tokens were lost and fetched again')
        assert.equal(store.saves, 1)
        assert.notEqual(store.tokens.refreshToken, tokens.refreshToken)
        await assertTokenRequestsWentThroughTheRelay()
      })
    }

    test('refusals: 400 with an OAuth error body, nothing forwarded', async () => {
      await checkRefusals(relay.url)
    })
  })
}

const LIMIT = MAX_RELAY_REQUEST_BYTES
const REFUSED = [
  // [case, path, body, content type, OAuth error]
  ['body over the limit', '/token', `grant_type=refresh_token&refresh_token=${'r'.repeat(LIMIT + 1000)}`, FORM, 'invalid_request'],
  ['unknown operation', '/steal', 'grant_type=refresh_token&refresh_token=r', FORM, 'invalid_request'],
  ['not a form', '/token', '{"grant_type":"refresh_token","refresh_token":"r"}', 'application/json', 'invalid_request'],
  ['no content type', '/token', 'grant_type=refresh_token&refresh_token=r', null, 'invalid_request'],
  ['missing code', '/token', 'grant_type=authorization_code&redirect_uri=https%3A%2F%2Fapp.example%2Fcallback', FORM, 'invalid_request'],
  ['duplicated parameter', '/token', 'grant_type=refresh_token&refresh_token=a&refresh_token=b', FORM, 'invalid_request'],
  ['password grant', '/token', 'grant_type=password&username=u&password=p', FORM, 'unsupported_grant_type'],
  ['revoke without a token', '/revoke', 'token_type_hint=refresh_token', FORM, 'invalid_request'],
]

async function checkRefusals(base) {
  for (const [name, route, body, contentType, error] of REFUSED) {
    const answer = await post(base + route, body, contentType)
    assert.equal(answer.status, 400, `${name}: ${JSON.stringify(answer.json)}`)
    assert.equal(answer.json.error, error, name)
    assert.equal(typeof answer.json.error_description, 'string', name)
    assert.equal(answer.headers['content-type'], 'application/json', name)
    assert.equal(answer.headers['cache-control'], 'no-store', name)
  }
  const get = await post(`${base}/token`, '', null, 'GET')
  assert.deepEqual([get.status, get.json.error, get.headers.allow], [405, 'invalid_request', 'POST'])
  // Far over the limit: the relay answers after its limit and discards the rest.
  const huge = await post(`${base}/token`, 'x'.repeat(512 * 1024))
  assert.equal(huge.status, 400)
  assert.match(huge.json.error_description, /16384/)
  const forwarded = (await sandbox.requests()).filter((r) => r.path.startsWith('/oauth2/'))
  assert.deepEqual(forwarded, [], 'the relay forwarded what it refused')
}

test('handle() in process refuses like the servers and passes enduco errors through', async () => {
  const relay = new TokenRelay({ clientId: CLIENT.clientId, clientSecret: CLIENT.clientSecret, environment: sandbox.url })
  for (const [name, route, body, contentType, error] of REFUSED) {
    const answer = await relay.handle(`/relay${route}`, contentType, body)
    assert.equal(answer.status, 400, name)
    assert.equal(JSON.parse(answer.body.toString('utf8')).error, error, name)
    assert.equal(answer.headers['Cache-Control'], 'no-store')
    assert.equal(answer.userId, null)
  }
  assert.equal((await sandbox.requests()).filter((r) => r.path.startsWith('/oauth2/')).length, 0)
  const unknown = await relay.handle('/relay/token', FORM, Buffer.from('grant_type=refresh_token&refresh_token=x'))
  assert.equal(unknown.status, 400)
  assert.equal(JSON.parse(unknown.body.toString('utf8')).error, 'invalid_grant')
  const log = await sandbox.requests()
  assert.deepEqual(
    log.filter((r) => r.path === '/oauth2/token').map((r) => r.authenticatedClient),
    [CLIENT.clientId],
  )
})

test('a spent code comes back as the same ApiError as without a relay', async () => {
  const relay = await startHandlerRelay()
  try {
    const client = relayClient(relay.url)
    const request = client.authorizationRequest(['user_read'])
    const callback = await sandbox.approve(request.url)
    const code = new URL(callback).searchParams.get('code')
    const tokens = await client.exchangeCode(code, request.codeVerifier)
    assert.deepEqual(tokens.scopes, ['user_read'])
    const error = await client.exchangeCode(code, request.codeVerifier).catch((e) => e)
    assert.ok(error instanceof ApiError, String(error))
    assert.equal(error.apiCode, 'invalid_grant')
    await assertTokenRequestsWentThroughTheRelay()
  } finally {
    await relay.stop()
  }
})

test('onTokens sees the user id after exchange and refresh; a failing hook still delivers the tokens', async () => {
  const seen = []
  const relay = await startHandlerRelay({ onTokens: async (userId) => void seen.push(userId) })
  try {
    const client = relayClient(relay.url)
    const { session } = await sandbox.session(client)
    assert.deepEqual(seen, ['athlete-1001'])
    await session.refresh()
    assert.deepEqual(seen, ['athlete-1001', 'athlete-1001'])
    await session.revoke()
    assert.equal(seen.length, 2)
  } finally {
    await relay.stop()
  }

  const warnings = []
  const onWarning = (w) => warnings.push(w)
  process.on('warning', onWarning)
  const failing = await startHandlerRelay({
    onTokens: () => {
      throw new Error('database down')
    },
  })
  try {
    const client = relayClient(failing.url)
    const tokens = await sandbox.authorize(client)
    assert.equal(tokens.userId, 'athlete-1001')
    await waitFor(() => warnings.some((w) => w.code === 'ENDUCO_RELAY_HOOK'), { what: 'the hook warning' })
    const text = warnings.map((w) => w.message).join('\n')
    assert.match(text, /onTokens failed for enduco user athlete-1001 \(Error: database down\)/)
    assert.ok(!text.includes(tokens.accessToken) && !text.includes(tokens.refreshToken))
  } finally {
    process.off('warning', onWarning)
    await failing.stop()
  }
})

test("the relay command's log holds no token, code or secret", async () => {
  const relay = await startRelayProcess()
  try {
    const client = relayClient(relay.url)
    const request = client.authorizationRequest(ALL_SCOPES)
    const callback = await sandbox.approve(request.url)
    const code = new URL(callback).searchParams.get('code')
    const tokens = await client.completeAuthorization(request, callback)
    const session = await client.connect(new MemoryTokenStore(), tokens)
    const refreshed = await session.refresh()
    await session.revoke()
    await post(`${relay.url}/steal`, '')
    await waitFor(() => relay.log.join('').includes('/steal'), { what: 'the last request line' })
    const text = relay.log.join('')
    assert.match(text, /POST \/token 200/)
    for (const secret of [code, tokens.accessToken, tokens.refreshToken, refreshed.accessToken, refreshed.refreshToken, request.codeVerifier, CLIENT.clientSecret]) {
      assert.ok(secret && !text.includes(secret), 'the relay logged a secret value')
    }
  } finally {
    await relay.stop()
  }
})

test('construction: a secret or a relay, exactly one; the relay never shows its secret', () => {
  const base = { clientId: CLIENT.clientId, redirectUri: CLIENT.redirectUri, environment: 'http://127.0.0.1:9' }
  assert.throws(() => new EnducoClient(base), (e) => e instanceof InvalidInputError && /neither/.test(e.message))
  assert.throws(
    () => new EnducoClient({ ...base, clientSecret: 's', tokenRelayUrl: 'https://r.example' }),
    (e) => e instanceof InvalidInputError && /not both/.test(e.message),
  )
  assert.throws(() => new EnducoClient({ ...base, tokenRelayUrl: 'http://r.example' }), /loopback/)
  assert.throws(() => new EnducoClient({ ...base, tokenRelayUrl: 42 }), InvalidInputError)
  assert.ok(new EnducoClient({ ...base, tokenRelayUrl: 'https://r.example/relay' }))

  assert.throws(() => new TokenRelay({ clientId: 'id', clientSecret: '', environment: 'http://127.0.0.1:9' }), InvalidInputError)
  assert.throws(() => new TokenRelay({ clientId: 'id', environment: 'http://127.0.0.1:9' }), InvalidInputError)
  assert.throws(
    () => new TokenRelay({ clientId: 'id', clientSecret: 's', tokenRelayUrl: 'https://r.example' }),
    (e) => e instanceof InvalidInputError && /relay/.test(e.message),
  )
  const relay = new TokenRelay({ clientId: 'id', clientSecret: 's3cr3t-value', environment: 'http://127.0.0.1:9' })
  for (const text of [String(relay), `${relay}`, JSON.stringify(relay), util.inspect(relay), util.inspect(relay, { showHidden: true, depth: 5 })]) {
    assert.ok(!text.includes('s3cr3t-value'), text)
    assert.ok(text.includes('id'), text)
  }
  assert.equal(Object.keys(relay).length, 0, 'no enumerable fields')
})

test('the command needs the secret from the environment', () => {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ENDUCO_CLIENT')))
  const done = spawnSync(process.execPath, [RELAY_BIN, '--port', '0', '--environment', sandbox.url, '--client-id', 'x'], {
    env,
    encoding: 'utf8',
  })
  assert.equal(done.status, 2)
  assert.match(done.stderr, /ENDUCO_CLIENT_SECRET/)
  assert.equal(done.stdout, '')
})
