// Node rows of the enduco benchmarks (run by bench/run; see bench/README.md).
//
// Every comparison talks to the one sandbox process bench/run started; the sides are measured
// alternately in the same run (ours, theirs, ours, theirs, ...) so drift hits all of them.
// `enduco` is the release build bench/run stages under bench/.work/node_path (found through
// NODE_PATH by require). Writes JSON rows to --out; bench/report.py makes the table.
//
//   node bench.mjs --base URL --out FILE [--quick] [--only zones,storm,require]

import { createRequire } from 'node:module'
import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import * as oidc from 'openid-client'
import * as undici from 'undici'

const require = createRequire(import.meta.url)

const CLIENT_ID = 'sandbox-client'
const CLIENT_SECRET = 'sandbox-secret'
const REDIRECT_URI = 'https://app.example/callback'
const SCOPES = ['user_read', 'plans_read', 'workouts_write']
const STORM = 1000

const { values: args } = parseArgs({
  options: {
    base: { type: 'string' },
    out: { type: 'string' },
    quick: { type: 'boolean', default: false },
    only: { type: 'string', default: 'zones,storm,require' },
  },
})
const only = new Set(args.only.split(','))
const base = args.base.replace(/\/$/, '')
const log = (...a) => console.error(...a)
const now = () => Math.floor(Date.now() / 1000)
const rows = []

function median(values) {
  const s = [...values].sort((a, b) => a - b)
  const n = s.length
  return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
}

function row(bench, unit, ours, theirsName, theirs, extra = {}) {
  const r = { lang: 'Node', bench, unit, ours, theirs_name: theirsName, theirs, ratio: ours / theirs, ...extra }
  log('  ', JSON.stringify(r))
  rows.push(r)
}

// --- the sandbox ------------------------------------------------------------------------------

// The control API goes through undici.request with its own Agent so it shares no pool with the
// timed clients.
const control = new undici.Agent()
async function sandbox(method, path) {
  const { statusCode, body } = await undici.request(base + path, { method, dispatcher: control })
  const text = await body.text()
  if (statusCode >= 300) throw new Error(`${path}: ${statusCode} ${text}`)
  return text ? JSON.parse(text) : null
}
const clearRequests = () => sandbox('DELETE', '/_sandbox/requests')
const expireAccessTokens = () => sandbox('POST', '/_sandbox/expire-access-tokens')
async function tokenRequests() {
  const list = await sandbox('GET', '/_sandbox/requests')
  return list.filter((r) => r.path === '/oauth2/token' && r.method === 'POST').length
}

/** Auto-approve: the authorization URL answers 302 to the callback with code and state. */
async function approve(url) {
  const { statusCode, headers, body } = await undici.request(url, { dispatcher: control })
  await body.dump()
  if (statusCode !== 302) throw new Error(`authorize: expected a redirect, got ${statusCode}`)
  return headers.location
}

// --- ours -------------------------------------------------------------------------------------

const enduco = require('enduco')

function sdkClient() {
  return new enduco.EnducoClient({
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    redirectUri: REDIRECT_URI,
    environment: base,
  })
}

async function sdkTokens(client) {
  const req = client.authorizationRequest(SCOPES)
  return client.completeAuthorization(req, await approve(req.url))
}

/** The same tokens with expires_at in the past, through their JSON storage form. */
function expired(tokens) {
  return enduco.TokenSet.fromJSON({ ...tokens.toStorageJSON(), expires_at: now() - 3600 })
}

// --- theirs: openid-client for the grant and the refresh; fetch or undici for the call --------

function oidcConfig() {
  const config = new oidc.Configuration(
    {
      issuer: base,
      authorization_endpoint: base + '/oauth2/authorize',
      token_endpoint: base + '/oauth2/token',
    },
    CLIENT_ID,
    CLIENT_SECRET,
    oidc.ClientSecretBasic(CLIENT_SECRET),
  )
  oidc.allowInsecureRequests(config) // the sandbox is plain http on loopback
  return config
}

async function oidcTokens(config) {
  const verifier = oidc.randomPKCECodeVerifier()
  const state = oidc.randomState()
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope: SCOPES.join(' '),
    state,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  })
  const callback = await approve(url.href)
  const tokens = await oidc.authorizationCodeGrant(config, new URL(callback), {
    pkceCodeVerifier: verifier,
    expectedState: state,
  })
  return { ...tokens, expires_at: now() + tokens.expires_in }
}

/**
 * What an app writes around openid-client v6, which leaves token management to the app:
 * refresh with refreshTokenGrant when the token is (nearly) expired, then call the API.
 * `singleFlight` shares one refresh promise among concurrent callers; without it every caller
 * that sees the expired token refreshes on its own (the naive version).
 */
class OidcTokens {
  constructor(config, tokens, singleFlight) {
    this.config = config
    this.tokens = tokens
    this.singleFlight = singleFlight
    this.pending = null
  }
  async refresh() {
    const fresh = await oidc.refreshTokenGrant(this.config, this.tokens.refresh_token, { clientId: CLIENT_ID })
    this.tokens = {
      ...fresh,
      refresh_token: fresh.refresh_token ?? this.tokens.refresh_token,
      expires_at: now() + fresh.expires_in,
    }
  }
  async access() {
    if (this.tokens.expires_at - 60 <= now()) {
      if (!this.singleFlight) {
        await this.refresh()
      } else {
        this.pending ??= this.refresh().finally(() => {
          this.pending = null
        })
        await this.pending
      }
    }
    return this.tokens.access_token
  }
}

const zonesUrl = () => base + '/api/v1/zones'

async function viaFetch(t) {
  const response = await fetch(zonesUrl(), { headers: { authorization: 'Bearer ' + (await t.access()) } })
  if (!response.ok) throw new Error(`zones: ${response.status}`)
  return response.json()
}

async function viaUndici(t, dispatcher) {
  const { statusCode, body } = await undici.request(zonesUrl(), {
    headers: { authorization: 'Bearer ' + (await t.access()) },
    dispatcher,
  })
  if (statusCode !== 200) {
    await body.dump()
    throw new Error(`zones: ${statusCode}`)
  }
  return body.json()
}

// --- rows -------------------------------------------------------------------------------------

async function benchZones() {
  const session = await sdkClient().connect(new enduco.MemoryTokenStore(), await sdkTokens(sdkClient()))
  const config = oidcConfig()
  const forFetch = new OidcTokens(config, await oidcTokens(config), true)
  const forUndici = new OidcTokens(config, await oidcTokens(config), true)
  const agent = new undici.Agent()
  const sides = [
    () => session.intensityZones(),
    () => viaFetch(forFetch),
    () => viaUndici(forUndici, agent),
  ]

  const [n, warmup] = args.quick ? [300, 50] : [2000, 200]
  for (let i = 0; i < warmup; i++) for (const side of sides) await side()
  const times = sides.map(() => [])
  for (let i = 0; i < n; i++) {
    if (i % 500 === 0) await clearRequests()
    for (let k = 0; k < sides.length; k++) {
      const t = process.hrtime.bigint()
      await sides[k]()
      times[k].push(Number(process.hrtime.bigint() - t) / 1e3)
    }
  }
  const ours = median(times[0])
  row('intensityZones(), sequential', 'µs/call', ours, 'openid-client + global fetch', median(times[1]), { n })
  row('intensityZones(), sequential', 'µs/call', ours, 'openid-client + undici.request', median(times[2]), { n })

  const rounds = args.quick ? 20 : 120
  const rtimes = sides.map(() => [])
  for (let i = 0; i < rounds + 5; i++) {
    await clearRequests()
    for (let k = 0; k < sides.length; k++) {
      const t = process.hrtime.bigint()
      await Promise.all(Array.from({ length: 64 }, () => sides[k]()))
      if (i >= 5) rtimes[k].push(Number(process.hrtime.bigint() - t) / 1e6)
    }
  }
  const oursC = median(rtimes[0])
  row('intensityZones(), 64 concurrent', 'ms/64 calls', oursC, 'openid-client + global fetch', median(rtimes[1]), { n: rounds })
  row('intensityZones(), 64 concurrent', 'ms/64 calls', oursC, 'openid-client + undici.request', median(rtimes[2]), { n: rounds })
  await agent.close()
}

async function storm(call) {
  await clearRequests()
  const t = process.hrtime.bigint()
  const results = await Promise.allSettled(Array.from({ length: STORM }, () => call()))
  const ms = Number(process.hrtime.bigint() - t) / 1e6
  const failed = results.filter((r) => r.status === 'rejected')
  if (failed.length) log(`    storm: ${failed.length} errors, e.g. ${failed[0].reason}`)
  return { ms, tokens: await tokenRequests(), errors: failed.length }
}

async function benchStorm() {
  const reps = args.quick ? 2 : 5
  const out = { ours: [], naive: [], single: [] }
  for (let rep = 0; rep < reps; rep++) {
    // Fresh clients (cold connection pools) and grants for every side; expiry in the past in
    // the stored form and at the sandbox. The "theirs" sides call through undici.request with
    // a fresh Agent each, so their pools start cold like ours.
    const client = sdkClient()
    const session = client.session(new enduco.MemoryTokenStore(expired(await sdkTokens(client))))
    const config = oidcConfig()
    const naive = new OidcTokens(config, { ...(await oidcTokens(config)), expires_at: now() - 3600 }, false)
    const single = new OidcTokens(config, { ...(await oidcTokens(config)), expires_at: now() - 3600 }, true)
    const naiveAgent = new undici.Agent()
    const singleAgent = new undici.Agent()
    await expireAccessTokens()
    const sides = [
      ['ours', () => session.intensityZones()],
      ['naive', () => viaUndici(naive, naiveAgent)],
      ['single', () => viaUndici(single, singleAgent)],
    ]
    // Rotate the order each repetition.
    for (let k = 0; k < sides.length; k++) {
      const [name, call] = sides[(k + rep) % sides.length]
      out[name].push(await storm(call))
    }
    await naiveAgent.close()
    await singleAgent.close()
  }
  const summary = (list) => ({
    ms: median(list.map((o) => o.ms)),
    tokens: [Math.min(...list.map((o) => o.tokens)), Math.max(...list.map((o) => o.tokens))],
    errors: list.reduce((a, o) => a + o.errors, 0),
  })
  const ours = summary(out.ours)
  for (const [name, label] of [
    ['naive', 'openid-client refreshTokenGrant per caller (naive) + undici'],
    ['single', 'openid-client + hand-written shared refresh promise + undici'],
  ]) {
    const theirs = summary(out[name])
    row('refresh storm: 1,000 concurrent calls, expired token', 'ms until all done', ours.ms, label, theirs.ms, {
      n: reps,
      calls: STORM,
      ours_token_requests: ours.tokens,
      theirs_token_requests: theirs.tokens,
      ours_errors: ours.errors,
      theirs_errors: theirs.errors,
    })
  }
}

function requireMs(code) {
  const out = execFileSync(process.execPath, ['--input-type=commonjs', '-e', code], {
    env: process.env,
    encoding: 'utf8',
  })
  return Number(out.trim())
}

function benchRequire() {
  const runs = args.quick ? 5 : 21
  const ours = "const t = process.hrtime.bigint(); require('enduco'); console.log(Number(process.hrtime.bigint() - t) / 1e6)"
  // openid-client v6 is ESM-only: its load time is a dynamic import(), resolved from bench/node.
  const oidcPath = import.meta.resolve('openid-client')
  const theirs = `const t = process.hrtime.bigint(); import(${JSON.stringify(oidcPath)}).then(() => console.log(Number(process.hrtime.bigint() - t) / 1e6))`
  requireMs(ours)
  requireMs(theirs)
  const o = []
  const t = []
  for (let i = 0; i < runs; i++) {
    o.push(requireMs(ours))
    t.push(requireMs(theirs))
  }
  row("require('enduco') (fresh process)", 'ms', median(o), "import('openid-client')", median(t), { n: runs })
}

if (only.has('zones')) {
  log('node: intensityZones')
  await benchZones()
}
if (only.has('storm')) {
  log('node: refresh storm')
  await benchStorm()
}
if (only.has('require')) {
  log("node: require('enduco')")
  benchRequire()
}
await clearRequests()
await control.close()
writeFileSync(args.out, JSON.stringify(rows, null, 2) + '\n')
