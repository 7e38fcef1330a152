// Issue 18: the package as a newcomer meets it, in fresh folders outside the repository.
// - `npm install <repo>/node` (the addon already built, as run-tests leaves it) gives a
//   package that loads, with `enduco/testing`;
// - the README's two-minute start runs as written (extracted from README.md, so it cannot
//   rot), finding the sandbox by itself;
// - a copy of the package whose addon is not built fails to install with a message naming the
//   two ways out, and `require` of it throws an explanation instead of MODULE_NOT_FOUND.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync, spawnSync } from 'node:child_process'
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import { tempDir } from './helpers.mjs'

const here = path.dirname(fileURLToPath(import.meta.url))
const PACKAGE = path.resolve(here, '..')
const README = readFileSync(path.join(PACKAGE, 'README.md'), 'utf8')

/** A fresh npm project in a temporary folder. */
function freshProject(t, manifest = {}) {
  const dir = tempDir(t)
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'fresh', version: '1.0.0', private: true, ...manifest }))
  return dir
}

function npm(dir, args) {
  return spawnSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, encoding: 'utf8' })
}

/** The environment of a newcomer's shell: no test variables pointing at the sandbox. */
function newcomerEnv() {
  const env = { ...process.env }
  delete env.ENDUCO_SANDBOX_BIN
  delete env.NODE_OPTIONS
  return env
}

test('npm install <repo>/node in a fresh folder gives a package that loads (CommonJS and ESM)', (t) => {
  const dir = freshProject(t)
  const installed = npm(dir, ['install', PACKAGE])
  assert.equal(installed.status, 0, installed.stderr)
  const cjs = execFileSync(process.execPath, ['-e', "const e = require('enduco'); console.log(typeof e.EnducoClient, typeof e.timeline, typeof require('enduco/testing').startSandbox)"], { cwd: dir })
  assert.equal(cjs.toString().trim(), 'function function function')
  const esm = execFileSync(process.execPath, ['--input-type=module', '-e', "import { isoDate } from 'enduco'; import { startSandbox } from 'enduco/testing'; console.log(typeof isoDate, typeof startSandbox)"], { cwd: dir })
  assert.equal(esm.toString().trim(), 'function function')
})

test("the README's two-minute start runs as written in a fresh folder", (t) => {
  const match = /<!-- quickstart[^>]*-->\n```js\n([\s\S]*?)```/.exec(README)
  assert.ok(match, 'README.md has the quick start block')
  const dir = freshProject(t)
  const installed = npm(dir, ['install', PACKAGE])
  assert.equal(installed.status, 0, installed.stderr)
  writeFileSync(path.join(dir, 'quickstart.mjs'), match[1])
  const run = spawnSync(process.execPath, ['quickstart.mjs'], { cwd: dir, encoding: 'utf8', env: newcomerEnv(), timeout: 120_000 })
  assert.equal(run.status, 0, run.stderr)
  const lines = run.stdout.trim().split('\n')
  assert.match(lines[0], /^FTP: \d+ W$/)
  assert.equal(lines.length, 1 + 7, run.stdout)
  for (const line of lines.slice(1)) assert.match(line, /^\d{4}-\d{2}-\d{2} (\d{2}:\d{2}:\d{2}|--:--) .+ \(\d+ steps\)$/)
})

test('a copy without the built addon fails to install with the two ways out, and require explains itself', (t) => {
  // The package's files, as a git checkout has them before `npm run build` (no native.js, no
  // .node) and without the Rust sources or dev dependencies.
  const copy = path.join(tempDir(t), 'enduco')
  mkdirSync(path.join(copy, 'scripts'), { recursive: true })
  for (const file of ['index.js', 'index.mjs', 'index.d.ts', 'index.d.mts', 'errors.js', 'errors.d.ts', 'models.d.ts', 'testing.js', 'testing.d.ts', 'package.json', 'README.md']) {
    cpSync(path.join(PACKAGE, file), path.join(copy, file))
  }
  cpSync(path.join(PACKAGE, 'scripts', 'install.js'), path.join(copy, 'scripts', 'install.js'))

  const dir = freshProject(t)
  const installed = npm(dir, ['install', copy])
  assert.notEqual(installed.status, 0)
  assert.match(installed.stderr, /the native addon is not built/)
  assert.match(installed.stderr, /npm install enduco/)
  assert.match(installed.stderr, /npm ci && npm run build/)

  const loaded = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(copy)})`], { encoding: 'utf8' })
  assert.notEqual(loaded.status, 0)
  assert.match(loaded.stderr, /enduco: the native addon is not built/)
  assert.match(loaded.stderr, /npm ci && npm run build/)
  const code = spawnSync(process.execPath, ['-e', `try { require(${JSON.stringify(copy)}) } catch (e) { console.log(e.code, e.cause.code, e.message.startsWith('enduco: ')) }`], { encoding: 'utf8' })
  assert.equal(code.stdout.trim(), 'ENDUCO_ADDON_MISSING MODULE_NOT_FOUND true')
})
