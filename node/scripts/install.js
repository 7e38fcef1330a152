#!/usr/bin/env node
'use strict'
// npm's `install` hook for this package installed from source (`npm install ./node`, a git
// checkout, `npm ci` in node/). The prebuilt npm package has no scripts (dist/build drops
// them): its addon comes in enduco-<platform>.
//
// - The addon is built (native.js and enduco.<platform>.node here): nothing to do.
// - Else, with cargo and @napi-rs/cli at hand (a checkout after `npm ci`): `napi build` (debug).
// - Else: fail, naming the two ways to a working package.

const fs = require('node:fs')
const path = require('node:path')
const { spawnSync } = require('node:child_process')

const here = path.resolve(__dirname, '..')

function built() {
  return fs.existsSync(path.join(here, 'native.js')) && fs.readdirSync(here).some((f) => /^enduco\..+\.node$/.test(f))
}

if (built()) process.exit(0)

const hasCargo = spawnSync('cargo', ['--version'], { stdio: 'ignore' }).status === 0
let napiCli = null
try {
  napiCli = require.resolve('@napi-rs/cli/package.json', { paths: [here] })
} catch {
  // not installed: a dependency install does not bring devDependencies
}
const hasSources = fs.existsSync(path.join(here, 'Cargo.toml'))

if (hasCargo && napiCli && hasSources) {
  console.error('enduco: the native addon is not built; building it (napi build, debug)…')
  const cli = path.join(path.dirname(napiCli), require(napiCli).bin.napi)
  const run = spawnSync(process.execPath, [cli, 'build', '--platform', '--js', 'native.js', '--dts', 'native.d.ts'], {
    cwd: here,
    stdio: 'inherit',
  })
  if (run.status === 0 && built()) process.exit(0)
  console.error('enduco: napi build failed (above).')
  process.exit(1)
}

const missing = [hasCargo ? null : 'cargo (Rust)', napiCli ? null : '@napi-rs/cli (a devDependency)', hasSources ? null : 'the Rust sources']
  .filter(Boolean)
  .join(', ')
console.error(
  [
    `enduco: the native addon is not built in ${here}, and it cannot be built here (missing: ${missing}).`,
    'Either:',
    '  - install the prebuilt package from npm: npm install enduco (its addon comes in enduco-<platform>), or',
    `  - build it in the source folder first: cd ${here} && npm ci && npm run build (needs Rust), then install again.`,
  ].join('\n'),
)
process.exit(1)
