// How the addon behaves inside a Node process: module formats, callbacks that throw, and a
// process that exits on its own with sessions and callbacks still alive.

import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import path from 'node:path'

import * as esm from '../index.mjs'
import enducoDefault, { EnducoClient, EnducoError, parseWebhook } from '../index.mjs'
import { fitFixture, startSandbox, tempDir } from './helpers.mjs'

const require = createRequire(import.meta.url)
const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

let sandbox
before(async () => {
  sandbox = await startSandbox()
})
after(() => sandbox?.stop())

test('CommonJS and ESM entry points export the same objects', () => {
  const cjs = require('..')
  assert.equal(cjs.EnducoClient, EnducoClient)
  assert.equal(cjs.EnducoError, EnducoError)
  assert.equal(enducoDefault, cjs)
  for (const name of Object.keys(cjs)) assert.equal(esm[name], cjs[name], name)
  assert.deepEqual(Object.keys(esm).filter((k) => k !== 'default').sort(), Object.keys(cjs).sort())
  assert.equal(require('../package.json').name, 'enduco')
})

test('index.d.ts declares exactly the runtime exports', () => {
  // index.d.ts and the files it re-exports whole (`export * from './errors'`).
  const read = (file) => readFileSync(path.join(packageDir, file), 'utf8')
  const index = read('index.d.ts')
  const reexported = [...index.matchAll(/^export \* from '\.\/(\w+)'/gm)].map((m) => read(`${m[1]}.d.ts`))
  const declared = [index, ...reexported].flatMap((dts) =>
    [...dts.matchAll(/^export declare (?:class|function|const) (\w+)/gm)].map((m) => m[1]),
  )
  assert.deepEqual(declared.sort(), Object.keys(require('..')).sort())
})

test('parseWebhook reads every body form and never throws on unknown events', () => {
  const body = { type: 'plan.changed', userId: 'athlete-1001', from: '2025-03-01', to: '2025-03-07', occurredAt: '2025-02-28T10:00:00Z' }
  const expected = { type: 'plan.changed', userId: 'athlete-1001', from: '2025-03-01', to: '2025-03-07', occurredAt: '2025-02-28T10:00:00Z' }
  assert.deepEqual(parseWebhook(JSON.stringify(body)), expected)
  assert.deepEqual(parseWebhook(Buffer.from(JSON.stringify(body))), expected)
  assert.deepEqual(parseWebhook(body), expected)
  assert.deepEqual(parseWebhook('{"event":"user_deregistered","user_id":1001}'), {
    type: 'user.deregistered',
    userId: '1001',
    occurredAt: null,
  })
  assert.deepEqual(parseWebhook('nonsense'), { type: 'unknown', raw: 'nonsense' })
  assert.deepEqual(new EnducoClient({ clientId: 'a', clientSecret: 'b', redirectUri: 'https://x.example/' }).parseWebhook('{}'), { type: 'unknown', raw: '{}' })
  assert.throws(() => parseWebhook(42), (e) => e.code === 'invalid_input' && /parseWebhook: body must be/.test(e.message))
})

test('an onProgress callback that throws does not break the upload', async (t) => {
  const client = sandbox.client()
  const { session } = await sandbox.session(client)
  const ride = fitFixture(tempDir(t), 'ride.fit', ['--seed', '99', '--size', '200000'])
  const warnings = []
  const onWarning = (w) => warnings.push(w)
  process.on('warning', onWarning)
  let calls = 0
  try {
    const result = await session.uploadWorkout(ride, {
      onProgress: () => {
        calls += 1
        throw new Error('progress bar exploded')
      },
    })
    assert.equal(result.duplicate, false)
  } finally {
    await new Promise((resolve) => setImmediate(resolve))
    process.off('warning', onWarning)
  }
  assert.ok(calls >= 2, 'the callback kept being called')
  assert.equal(warnings.filter((w) => w.code === 'ENDUCO_PROGRESS_CALLBACK').length, 1)
})

/** Runs `source` as an ES module in a fresh Node process; resolves with its exit. */
function runScript(source, env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', source], {
      cwd: packageDir,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (d) => (output += d))
    child.stderr.on('data', (d) => (output += d))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`the process did not exit within 15 s:\n${output}`))
    }, 15_000)
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, output })
    })
  })
}

test('a process with live sessions, JS stores and callbacks exits by itself', async (t) => {
  const ride = fitFixture(tempDir(t), 'exit.fit', ['--seed', '5', '--records', '100'])
  const script = `
    import { EnducoClient, TokenSet } from './index.mjs'
    const base = process.env.SANDBOX
    const client = new EnducoClient({ clientId: 'sandbox-client', clientSecret: 'sandbox-secret',
      redirectUri: 'https://app.example/callback', environment: base })
    const req = client.authorizationRequest(['user_read', 'workouts_write'])
    const callback = (await fetch(req.url, { redirect: 'manual' })).headers.get('location')
    const tokens = await client.completeAuthorization(req, callback)
    let saved = tokens
    const store = { load: async () => saved, save: (t) => { saved = t }, clear: () => { saved = null } }
    const session = client.session(store)
    const unused = client.session({ load: () => null, save() {}, clear() {} })
    await session.refresh()
    await session.uploadWorkout(process.env.RIDE, { onProgress: () => {} })
    console.log('done', (await session.intensityZones()).userId)
    globalThis.keep = { client, session, unused, store }
  `
  const started = Date.now()
  const { code, signal, output } = await runScript(script, { SANDBOX: sandbox.url, RIDE: ride })
  assert.equal(signal, null, output)
  assert.equal(code, 0, output)
  assert.match(output, /done athlete-1001/)
  assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms to exit`)
})

test('an unhandled SDK rejection reports a typed error and exits non-zero', async () => {
  const script = `
    import { EnducoClient, MemoryTokenStore } from './index.mjs'
    const client = new EnducoClient({ clientId: 'a', clientSecret: 'b',
      redirectUri: 'https://app.example/callback', environment: process.env.SANDBOX })
    await client.session(new MemoryTokenStore()).intensityZones()
  `
  const { code, output } = await runScript(script, { SANDBOX: sandbox.url })
  assert.equal(code, 1)
  assert.match(output, /ReauthorizationRequiredError/)
  assert.match(output, /code: 'reauthorization_required'/)
})
