#!/usr/bin/env node
'use strict'
// `npx enduco …`: runs the prebuilt `enduco` CLI that ships in this platform's package
// (enduco-linux-x64-gnu, …), passing arguments, standard streams, exit code and signals through.

const { spawn } = require('node:child_process')
const path = require('node:path')

const platformPackages = {
  'linux-x64': 'enduco-linux-x64-gnu',
  'linux-arm64': 'enduco-linux-arm64-gnu',
}

function cliPath() {
  const name = platformPackages[`${process.platform}-${process.arch}`]
  if (!name) throw new Error(`no prebuilt enduco CLI for ${process.platform}-${process.arch}`)
  try {
    return path.join(path.dirname(require.resolve(`${name}/package.json`)), 'enduco')
  } catch {
    throw new Error(`the package ${name} is not installed (npm skips optional dependencies with --no-optional)`)
  }
}

let binary
try {
  binary = cliPath()
} catch (e) {
  console.error(`enduco: ${e.message}`)
  process.exit(1)
}
// Asynchronous, so this process can pass on Ctrl-C and termination (`kill` of the `npx`
// process must not leave the CLI — e.g. `enduco sandbox` — running on its own).
const child = spawn(binary, process.argv.slice(2), { stdio: 'inherit' })
const forward = (signal) => child.kill(signal)
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, forward)
child.on('error', (e) => {
  console.error(`enduco: cannot run ${binary}: ${e.message}`)
  process.exit(1)
})
child.on('exit', (code, signal) => {
  if (signal) {
    process.removeAllListeners(signal)
    process.kill(process.pid, signal)
  } else {
    process.exit(code ?? 1)
  }
})
