#!/usr/bin/env node
'use strict'
// `npx enduco …`: runs the prebuilt `enduco` CLI that ships in this platform's package
// (enduco-linux-x64-gnu, …), passing arguments, standard streams, exit code and signals through.

const { spawnSync } = require('node:child_process')
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
const result = spawnSync(binary, process.argv.slice(2), { stdio: 'inherit' })
if (result.error) {
  console.error(`enduco: cannot run ${binary}: ${result.error.message}`)
  process.exit(1)
}
if (result.signal) process.kill(process.pid, result.signal)
process.exit(result.status ?? 1)
