// A server that misbehaves on purpose (`enduco-hostile`, built with the workspace; the cases and
// their expected codes come from its `GET /cases`, the list the Rust and Python suites run):
// every case ends in an EnducoError of the expected code, never a crash or a hang, and the
// process's peak RSS grows by less than 32 MiB over all of them.

import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import http from 'node:http'
import path from 'node:path'
import { createInterface } from 'node:readline'

import { EnducoClient, EnducoError, MemoryTokenStore, TokenSet } from '../index.mjs'
import { ROOT } from './helpers.mjs'

const HOSTILE_BIN = process.env.ENDUCO_HOSTILE_BIN ?? path.join(ROOT, 'target', 'debug', 'enduco-hostile')

let hostile
let listing
before(async () => {
  hostile = spawn(HOSTILE_BIN, ['--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] })
  const line = await new Promise((resolve, reject) => {
    hostile.once('error', reject)
    hostile.once('exit', (code) => reject(new Error(`enduco-hostile exited with ${code} (build the workspace first)`)))
    createInterface({ input: hostile.stdout }).once('line', resolve)
  })
  const match = /^listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(line.trim())
  assert.ok(match, `unexpected first line from enduco-hostile: ${line}`)
  hostile.url = match[1]
  listing = await getJson(`${hostile.url}/cases`)
})

/**
 * GET with node:http, not fetch(): fetch's HTTP parser is WebAssembly, and V8 recompiles it in
 * the background a moment later (~20 MiB of compiler memory), which would land in the middle
 * of the RSS measurement below and say nothing about the SDK.
 */
function getJson(url) {
  return new Promise((resolve, reject) => {
    http
      .get(url, (response) => {
        let body = ''
        response.setEncoding('utf8')
        response.on('data', (chunk) => (body += chunk))
        response.on('end', () => {
          try {
            resolve(JSON.parse(body))
          } catch (error) {
            reject(error)
          }
        })
      })
      .on('error', reject)
  })
}
after(() => {
  if (hostile && hostile.exitCode === null) hostile.kill('SIGTERM')
})

/** A client for one case: request timeout 2 s, retry deadline 5 s (as the Rust suite). */
function clientFor(name, options = {}) {
  return new EnducoClient({
    clientId: 'hostile-client',
    clientSecret: 'hostile-secret',
    redirectUri: 'https://app.example/callback',
    environment: `${hostile.url}/${name}`,
    requestTimeoutSeconds: 2,
    retryDeadlineSeconds: 5,
    ...options,
  })
}

/** Peak resident memory of this process so far, in KiB (`maxRSS` is in kilobytes). */
const peakRssKib = () => process.resourceUsage().maxRSS

test('every hostile case ends in its EnducoError, in bounded memory', async (t) => {
  const fresh = TokenSet.fromJSON(listing.tokens)
  const expired = TokenSet.fromJSON(listing.expiredTokens)
  const cases = listing.cases
  assert.ok(cases.length >= 15, `the server lists its cases: ${JSON.stringify(cases)}`)

  // Warm up first (the addon's runtime and first HTTP client): the bound is on what the
  // hostile answers cost, not on the SDK's fixed start-up. This case's zones endpoint behaves.
  const warm = clientFor('empty-token-answer').session(new MemoryTokenStore(fresh))
  assert.equal((await warm.intensityZones()).userId, 'hostile-user')
  const before = peakRssKib()

  for (const { name, endpoint, expect } of cases) {
    // A subtest each, with a timeout: a hang fails that case instead of the whole run.
    await t.test(`${name} (${endpoint}) → ${expect}`, { timeout: 60_000 }, async () => {
      const tokens = endpoint === 'token' ? expired : fresh
      const session = clientFor(name).session(new MemoryTokenStore(tokens))
      const error = await session.intensityZones().then(
        (zones) => assert.fail(`${name} must fail, got ${JSON.stringify(zones)}`),
        (e) => e,
      )
      assert.ok(error instanceof EnducoError, `${name}: not an EnducoError: ${error?.stack ?? error}`)
      assert.equal(error.code, expect, `${name}: ${error.message}`)
      t.diagnostic(`${name}: ${error.code}: ${error.message.slice(0, 160)} (peak RSS ${peakRssKib()} KiB)`)
    })
  }

  const grownMib = (peakRssKib() - before) / 1024
  t.diagnostic(`peak RSS grew by ${grownMib.toFixed(1)} MiB over ${cases.length} cases`)
  assert.ok(grownMib < 32, `peak RSS grew by ${grownMib.toFixed(1)} MiB`)
})

test('absurd deadlines and Retry-After values neither overflow nor wait', async (t) => {
  const fresh = TokenSet.fromJSON(listing.tokens)
  // The longest deadline and store timeout the options accept, against a Retry-After of
  // 2^64 - 1 seconds and one in the year 9999: the retry would pass the deadline, so the call
  // gives up with the server's answer.
  for (const name of ['retry-after-huge', 'retry-after-future-date']) {
    const client = clientFor(name, { retryDeadlineSeconds: 86_399, storeTimeoutSeconds: 86_399, lockLeaseSeconds: 86_399 })
    await t.test(name, { timeout: 60_000 }, async () => {
      const session = client.session(new MemoryTokenStore(fresh))
      await assert.rejects(session.intensityZones(), (e) => e instanceof EnducoError && e.code === 'server')
    })
  }
  // Larger values are refused as input, not turned into a panic or an overflow.
  for (const value of [Number.MAX_VALUE, Infinity, 1e300]) {
    assert.throws(() => clientFor('retry-after-huge', { retryDeadlineSeconds: value }), (e) => e instanceof EnducoError && e.code === 'invalid_input')
  }
})
