#!/usr/bin/env node
// A worker of the multi-process refresh stress run (issue 10; the driver is the Rust example
// `core/examples/stress.rs`, which starts several of these at once):
//
//   node test/stress-worker.mjs --sandbox URL --dir DIR --users U --callers C --seconds S [--no-lock]
//
// Users are `user-01` … `user-UU`. Their tokens live in the example backend's SQLite store
// (`examples/backend.mjs`) in DIR/tokens-node.sqlite, one database shared by every Node worker
// process; DIR/<user>.json (the `TokenSet.toJSON()` storage form) is imported into a user's row
// only when the row is missing. One session per user in this process, shared by C concurrent
// callers (promises); caller i starts at user i and loops over the users calling
// `intensityZones()` until S seconds have passed. `--no-lock` uses the same store without its
// refresh lock (`tryLock`/`unlock`), to measure what the lock removes.
//
// The last line on stdout is `{"calls": N, "ok": N, "errors": {"<code>": N, ...}}`. The exit
// status is 0 even when calls failed (the driver judges); non-zero only if the worker broke.

import { readFileSync } from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'

import { EnducoClient, EnducoError, TokenSet } from '../index.mjs'
import { SqliteTokenStore, importTokens, openDatabase } from '../examples/backend.mjs'

const USAGE = 'usage: stress-worker.mjs --sandbox URL --dir DIR --users U --callers C --seconds S [--no-lock]'

function options(argv) {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      sandbox: { type: 'string' },
      dir: { type: 'string' },
      users: { type: 'string' },
      callers: { type: 'string' },
      seconds: { type: 'string' },
      'no-lock': { type: 'boolean', default: false },
    },
  })
  const users = Number(values.users)
  const callers = Number(values.callers)
  const seconds = Number(values.seconds)
  const ok =
    values.sandbox && values.dir &&
    Number.isInteger(users) && users >= 1 && users <= 99 &&
    Number.isInteger(callers) && callers >= 1 &&
    Number.isFinite(seconds) && seconds > 0
  if (!ok) throw new Error(`${USAGE}\n(--users 1..99, --callers at least 1, --seconds positive)`)
  return { sandbox: values.sandbox, dir: values.dir, users, callers, seconds, lock: !values['no-lock'] }
}

/** The example's SQLite store without `tryLock`/`unlock`: "one process only". */
function withoutLock(store) {
  return {
    load: () => store.load(),
    save: (tokens) => store.save(tokens),
    clear: () => store.clear(),
  }
}

function openStores({ dir, users, lock }) {
  const db = openDatabase(path.join(dir, 'tokens-node.sqlite'))
  const stores = []
  for (let n = 1; n <= users; n += 1) {
    const user = `user-${String(n).padStart(2, '0')}`
    const initial = TokenSet.fromJSON(readFileSync(path.join(dir, `${user}.json`), 'utf8'))
    importTokens(db, user, initial)
    const store = new SqliteTokenStore(db, user)
    stores.push(lock ? store : withoutLock(store))
  }
  return { db, stores }
}

async function main() {
  const args = options(process.argv.slice(2))
  const { db, stores } = openStores(args)
  const client = new EnducoClient({
    clientId: 'sandbox-client',
    clientSecret: 'sandbox-secret',
    redirectUri: 'https://app.example/callback',
    environment: args.sandbox,
    refreshMarginSeconds: 1,
  })
  const sessions = stores.map((store) => client.session(store))

  const tally = { calls: 0, ok: 0, errors: {} }
  const count = (code) => {
    tally.errors[code] = (tally.errors[code] ?? 0) + 1
  }
  const until = performance.now() + args.seconds * 1000

  async function caller(index) {
    for (let n = index; performance.now() < until; n += 1) {
      tally.calls += 1
      try {
        await sessions[n % sessions.length].intensityZones()
        tally.ok += 1
      } catch (error) {
        if (error instanceof EnducoError) count(error.code)
        else {
          count(`node:${error?.name ?? typeof error}`)
          console.error(`stress-worker: unexpected failure: ${error?.stack ?? error}`)
        }
      }
    }
  }

  await Promise.all(Array.from({ length: args.callers }, (_, i) => caller(i)))
  db.close()
  const errors = Object.fromEntries(Object.entries(tally.errors).sort(([a], [b]) => a.localeCompare(b)))
  process.stdout.write(`${JSON.stringify({ calls: tally.calls, ok: tally.ok, errors })}\n`)
}

main().then(
  () => {
    process.exitCode = 0
  },
  (error) => {
    console.error(`stress-worker: ${error?.stack ?? error}`)
    process.exitCode = 2
  },
)
