// index.js and index.d.ts are generated from lib/index.ts by tsc and committed, so that
// `npm install ./node` and dist/build need no TypeScript. This test compiles lib/index.ts
// afresh into a temporary folder and fails when the committed files differ, saying how to
// refresh them:
//
//   cd node && npm run build:ts
//
// (The same pattern as core/tests/typescript.rs for models.d.ts.)

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')

test('index.js and index.d.ts are what lib/index.ts compiles to', (t) => {
  const out = mkdtempSync(path.join(tmpdir(), 'enduco-tsc-'))
  t.after(() => rmSync(out, { recursive: true, force: true }))
  try {
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', out], { cwd: packageDir, encoding: 'utf8' })
  } catch (error) {
    assert.fail(`lib/index.ts does not compile (tsc -p tsconfig.build.json):\n${error.stdout}${error.stderr}`)
  }
  for (const file of ['index.js', 'index.d.ts']) {
    const committed = readFileSync(path.join(packageDir, file), 'utf8')
    assert.ok(
      committed === readFileSync(path.join(out, file), 'utf8'),
      `node/${file} is not what lib/index.ts compiles to; refresh it with\n  cd node && npm run build:ts`,
    )
  }
})
