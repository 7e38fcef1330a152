// One of the OS processes of the multi-process tests (lock.test.mjs, server-stores.test.mjs):
// sessions over stores another process uses too, each with its refresh lock.
//
//   node test/shared-store-child.mjs SANDBOX_URL CALLERS STORES_JSON
//
// STORES_JSON is an array of `{kind, location, user}`: kind `sqlite` (the example's SQLite
// store; location is the database file), `postgres` or `redis` (the SDK's server stores;
// location is the URL). One session per entry. Prints `ready`, then for every `go` line on
// stdin runs CALLERS concurrent intensityZones() calls per session and prints one JSON line
// `{"ok": N, "errors": {"<code>": N}}`; exits at end of input.

import { createInterface } from 'node:readline'

import { EnducoClient, EnducoError, PostgresTokenStores, RedisTokenStores } from '../index.mjs'
import { SqliteTokenStore, openDatabase } from '../examples/backend.mjs'

const [sandbox, callers, specs] = process.argv.slice(2)
const client = new EnducoClient({
  clientId: 'sandbox-client',
  clientSecret: 'sandbox-secret',
  redirectUri: 'https://app.example/callback',
  environment: sandbox,
})

/** One database / pool per location, as an app has. */
const opened = new Map()
function open(kind, location) {
  const id = `${kind} ${location}`
  if (!opened.has(id)) {
    if (kind === 'sqlite') opened.set(id, openDatabase(location))
    else if (kind === 'postgres') opened.set(id, new PostgresTokenStores(location))
    else if (kind === 'redis') opened.set(id, new RedisTokenStores(location))
    else throw new Error(`unknown store kind ${kind}`)
  }
  return opened.get(id)
}

const sessions = JSON.parse(specs).map(({ kind, location, user }) => {
  const where = open(kind, location)
  return client.session(kind === 'sqlite' ? new SqliteTokenStore(where, user) : where.forUser(user))
})

async function round() {
  const outcome = { ok: 0, errors: {} }
  const calls = sessions.flatMap((session) => Array.from({ length: Number(callers) }, () => session.intensityZones()))
  for (const result of await Promise.allSettled(calls)) {
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
for (const [id, db] of opened) if (id.startsWith('sqlite ')) db.close()
