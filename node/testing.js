'use strict'
// `enduco/testing`: a local enduco sandbox for tests, demos and the README's quick start — a
// real HTTP server on 127.0.0.1 that speaks enduco's OAuth flow and API (sandbox/README.md).
// Never for production.

const { spawn } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const { createInterface } = require('node:readline')

/** The prebuilt platform packages that carry the `enduco` CLI (see bin/enduco.js). */
const PLATFORM_PACKAGES = {
  'linux-x64': ['enduco-linux-x64-gnu', 'enduco-linux-x64-musl'],
  'linux-arm64': ['enduco-linux-arm64-gnu'],
}

/** [program, arguments before `--port 0`] of the sandbox to start, or an explanation. */
function sandboxCommand(bin) {
  if (bin) return [bin, []]
  if (process.env.ENDUCO_SANDBOX_BIN) return [process.env.ENDUCO_SANDBOX_BIN, []]
  // The prebuilt package: its platform package holds the `enduco` CLI (`enduco sandbox`).
  for (const name of PLATFORM_PACKAGES[`${process.platform}-${process.arch}`] ?? []) {
    try {
      const cli = path.join(path.dirname(require.resolve(`${name}/package.json`)), 'enduco')
      if (fs.existsSync(cli)) return [cli, ['sandbox']]
    } catch {
      // not installed
    }
  }
  // A source checkout: the workspace's debug build (`cargo build --workspace`).
  const repo = path.resolve(fs.realpathSync(__dirname), '..')
  const target = process.env.CARGO_TARGET_DIR ?? path.join(repo, 'target')
  for (const [file, args] of [['enduco-sandbox', []], ['enduco', ['sandbox']]]) {
    const candidate = path.join(target, 'debug', file)
    if (fs.existsSync(candidate)) return [candidate, args]
  }
  throw new Error(
    'enduco/testing: no sandbox to start. Install the prebuilt package (npm install enduco brings the enduco CLI), ' +
      "or in a source checkout run 'cargo build --workspace' (target/debug/enduco-sandbox), " +
      'or set ENDUCO_SANDBOX_BIN to the enduco-sandbox binary.',
  )
}

/**
 * Starts a sandbox on a free loopback port and resolves once it listens:
 * `{ url, clientId, clientSecret, redirectUri, stop() }` — the client credentials and redirect
 * URI it accepts by default. It approves every sign-in at once: GET the authorization URL
 * without following the redirect, and the `Location` header is the callback URL with the code.
 * `options.bin`: the sandbox binary to run (default: found as described in README.md).
 */
async function startSandbox(options = {}) {
  const [program, args] = sandboxCommand(options.bin)
  const child = spawn(program, [...args, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-4000)
  })
  const lines = createInterface({ input: child.stdout })
  const url = await new Promise((resolve, reject) => {
    const fail = (why) => {
      child.kill()
      reject(new Error(`enduco/testing: the sandbox (${program}) ${why}${stderr ? `: ${stderr.trim()}` : ''}`))
    }
    const timer = setTimeout(() => fail('did not start within 30 s'), 30_000)
    child.once('error', (e) => {
      clearTimeout(timer)
      reject(e)
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      fail(`exited with ${code}`)
    })
    lines.once('line', (line) => {
      clearTimeout(timer)
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(line)
      if (match) resolve(match[1])
      else fail(`printed ${JSON.stringify(line)} instead of its address`)
    })
  })
  child.removeAllListeners('exit')
  lines.on('line', () => {}) // keep draining stdout
  // The sandbox must not outlive this process.
  const stop = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
  }
  process.once('exit', stop)
  child.unref()
  child.stdout.unref?.()
  child.stderr.unref?.()
  return {
    url,
    clientId: 'sandbox-client',
    clientSecret: 'sandbox-secret',
    redirectUri: 'https://app.example/callback',
    stop,
  }
}

exports.startSandbox = startSandbox
