// One of the OS processes of lock.test.mjs's two-process test: a session over the example's
// SQLite store (with its refresh lock) on a database another process uses too.
//
//   node test/shared-store-child.mjs SANDBOX_URL DB_PATH USER_ID CALLERS
//
// Prints `ready`, then for every `go` line on stdin runs CALLERS concurrent intensityZones()
// calls and prints one JSON line `{"ok": N, "errors": {"<code>": N}}`; exits at end of input.

import { createInterface } from 'node:readline'

import { EnducoClient, EnducoError } from '../index.mjs'
import { SqliteTokenStore, openDatabase } from '../examples/backend.mjs'

const [sandbox, dbPath, userId, callers] = process.argv.slice(2)
const db = openDatabase(dbPath)
const client = new EnducoClient({
  clientId: 'sandbox-client',
  clientSecret: 'sandbox-secret',
  redirectUri: 'https://app.example/callback',
  environment: sandbox,
})
const session = client.session(new SqliteTokenStore(db, userId))

async function round() {
  const outcome = { ok: 0, errors: {} }
  const results = await Promise.allSettled(Array.from({ length: Number(callers) }, () => session.intensityZones()))
  for (const result of results) {
    if (result.status === 'fulfilled') outcome.ok += 1
    else {
      const code = result.reason instanceof EnducoError ? result.reason.code : `node:${result.reason}`
      outcome.errors[code] = (outcome.errors[code] ?? 0) + 1
    }
  }
  return outcome
}

const lines = createInterface({ input: process.stdin })
console.log('ready')
for await (const line of lines) {
  if (line.trim() === 'go') console.log(JSON.stringify(await round()))
}
db.close()
