#!/usr/bin/env node
// A worker of the multi-process refresh stress run (issues 10 and 11; the driver is the Rust
// example `core/examples/stress.rs`, which starts several of these at once):
//
//   node test/stress-worker.mjs --sandbox URL --dir DIR --users U --callers C --seconds S
//        [--store file|postgres|redis] [--store-url URL] [--no-lock] [--verify]
//
// Users are `user-01` … `user-UU`. Where their tokens live:
// - `--store file` (the default): the example backend's SQLite store (`examples/backend.mjs`)
//   in DIR/tokens-node.sqlite, one database shared by every Node worker process;
//   DIR/<user>.json (the `TokenSet.toStorageJSON()` storage form) is imported into a user's row only
//   when the row is missing.
// - `--store postgres|redis --store-url URL`: the SDK's `PostgresTokenStores` /
//   `RedisTokenStores`, one per process, `forUser('user-01')` … per user. The driver has
//   migrated the database and saved every user's first tokens there.
// One session per user in this process, shared by C concurrent callers (promises); caller i
// starts at user i and loops over the users calling `intensityZones()` until S seconds have
// passed. `--no-lock` wraps each store in one that offers no refresh lock (load/save/clear
// only), to measure what the lock removes. `--verify` instead calls `refresh()` once per user
// (the driver's check that every stored refresh token still works).
//
// The last line on stdout is `{"calls": N, "ok": N, "errors": {"<code>": N, ...}}`. The exit
// status is 0 even when calls failed (the driver judges); non-zero only if the worker broke.

import { readFileSync } from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'

import { EnducoClient, EnducoError, PostgresTokenStores, RedisTokenStores, TokenSet } from '../index.mjs'
import { SqliteTokenStore, importTokens, openDatabase } from '../examples/backend.mjs'

const USAGE =
  'usage: stress-worker.mjs --sandbox URL --dir DIR --users U --callers C --seconds S ' +
  '[--store file|postgres|redis] [--store-url URL] [--no-lock] [--verify]'

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
      store: { type: 'string', default: 'file' },
      'store-url': { type: 'string' },
      'no-lock': { type: 'boolean', default: false },
      verify: { type: 'boolean', default: false },
    },
  })
  const users = Number(values.users)
  const callers = Number(values.callers)
  const seconds = Number(values.seconds)
  const store = values.store
  const storeUrl = values['store-url']
  const ok =
    values.sandbox && values.dir &&
    Number.isInteger(users) && users >= 1 && users <= 99 &&
    Number.isInteger(callers) && callers >= 1 &&
    Number.isFinite(seconds) && seconds > 0 &&
    ['file', 'postgres', 'redis'].includes(store) &&
    (store === 'file') === (storeUrl === undefined)
  if (!ok) {
    throw new Error(
      `${USAGE}\n(--users 1..99, --callers at least 1, --seconds positive, --store-url with --store postgres|redis only)`,
    )
  }
  return {
    sandbox: values.sandbox,
    dir: values.dir,
    users,
    callers,
    seconds,
    store,
    storeUrl,
    lock: !values['no-lock'],
    verify: values.verify,
  }
}

/** A store without `tryLock`/`unlock` that delegates to `store`: "one process only". */
function withoutLock(store) {
  return {
    load: () => store.load(),
    save: (tokens) => store.save(tokens),
    clear: () => store.clear(),
  }
}

const userName = (n) => `user-${String(n).padStart(2, '0')}`

/** Every user's store; `close()` when done. */
function openStores({ dir, users, store: kind, storeUrl, lock }) {
  const stores = []
  let close = () => {}
  if (kind === 'file') {
    const db = openDatabase(path.join(dir, 'tokens-node.sqlite'))
    close = () => db.close()
    for (let n = 1; n <= users; n += 1) {
      const user = userName(n)
      const initial = TokenSet.fromJSON(readFileSync(path.join(dir, `${user}.json`), 'utf8'))
      importTokens(db, user, initial)
      stores.push(new SqliteTokenStore(db, user))
    }
  } else {
    // One pool (connection) per process, shared by every user's store.
    const server = kind === 'postgres' ? new PostgresTokenStores(storeUrl) : new RedisTokenStores(storeUrl)
    for (let n = 1; n <= users; n += 1) stores.push(server.forUser(userName(n)))
  }
  return { stores: lock ? stores : stores.map(withoutLock), close }
}

async function main() {
  const args = options(process.argv.slice(2))
  const { stores, close } = openStores(args)
  const client = new EnducoClient({
    clientId: 'sandbox-client',
    clientSecret: 'sandbox-secret',
    redirectUri: 'https://app.example/callback',
    environment: args.sandbox,
    refreshMarginSeconds: 1,
  })
  const sessions = stores.map((store) => client.session(store))

  const tally = { calls: 0, ok: 0, errors: {} }
  const count = (error) => {
    let code
    if (error instanceof EnducoError) code = error.code
    else {
      code = `node:${error?.name ?? typeof error}`
      console.error(`stress-worker: unexpected failure: ${error?.stack ?? error}`)
    }
    tally.errors[code] = (tally.errors[code] ?? 0) + 1
  }
  async function attempt(call) {
    tally.calls += 1
    try {
      await call()
      tally.ok += 1
    } catch (error) {
      count(error)
    }
  }

  if (args.verify) {
    for (const session of sessions) await attempt(() => session.refresh())
  } else {
    const until = performance.now() + args.seconds * 1000
    const caller = async (index) => {
      for (let n = index; performance.now() < until; n += 1) {
        await attempt(() => sessions[n % sessions.length].intensityZones())
      }
    }
    await Promise.all(Array.from({ length: args.callers }, (_, i) => caller(i)))
  }
  close()
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
