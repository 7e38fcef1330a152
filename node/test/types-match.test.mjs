// index.d.ts is generated from lib/index.ts, whose `declare` fields, overloads and casts can
// still promise what the runtime lacks: this file holds it to the runtime. It reads the
// declarations with the TypeScript compiler API and compares them, both ways, with what
// `require('../index.js')` really exports:
// - every declared export exists with the declared kind (class, function, other name of a
//   class), and every runtime export is declared;
// - every class's declared methods, properties/getters and statics exist with that kind
//   (a declared method is a method, a declared property is a getter or a field), and every
//   runtime method, getter and field is declared;
// - private constructors are refused, `extends` is the runtime prototype chain;
// - each error class's declared `code` is its runtime code, and the unions list them all.
// Plain fields (set in a constructor) show only on an instance, so every class is checked on a
// real instance: made against the sandbox where it needs one, errors provoked for real (their
// fields are the core's error payload). (That index.mjs exports the same objects as index.js is
// runtime.test.mjs's check.)

import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

import { CLIENT, startSandbox } from './helpers.mjs'

const require = createRequire(import.meta.url)
const enduco = require('../index.js')
const here = path.dirname(fileURLToPath(import.meta.url))
const DTS = path.resolve(here, '..', 'index.d.ts')

/** Runtime exports index.d.ts leaves out on purpose, each with the reason. */
const RUNTIME_ONLY_EXPORTS = {
  _panicForTests: "the SDK's own test hook (not enumerable; errors.test.mjs uses it)",
}
// Runtime-only members need no list: symbol-keyed ones (`[util.inspect.custom]`) are skipped,
// and overrides of what every object has (`toString`) are typed by `Object` already.

// ---------------------------------------------------------------------------------------------
// What index.d.ts declares

/**
 * name → { kind: 'class' | 'function' | 'value' | 'alias', of?, cls? } for every value export;
 * type-only exports (interfaces, type aliases) are in `types`.
 */
function readDeclarations() {
  const config = ts.readConfigFile(path.resolve(here, '..', 'tsconfig.json'), ts.sys.readFile)
  const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, path.dirname(DTS))
  const program = ts.createProgram([DTS], options)
  const source = program.getSourceFile(DTS)
  const problems = ts.getPreEmitDiagnostics(program, source).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))
  assert.deepEqual(problems, [], 'index.d.ts type-checks')
  const checker = program.getTypeChecker()
  const ours = (symbol) => symbol.declarations?.some((d) => d.getSourceFile() === source) ?? false

  /** name → { kind: 'method' | 'property', optional, ours }; `ours`: declared in index.d.ts,
   * not inherited from a built-in (`Error`'s `message`, `stack`). */
  const membersOf = (properties) =>
    new Map(
      properties
        .filter((p) => p.name !== 'prototype')
        .map((p) => [
          p.name,
          {
            kind: p.flags & ts.SymbolFlags.Method ? 'method' : 'property',
            optional: Boolean(p.flags & ts.SymbolFlags.Optional),
            ours: ours(p),
          },
        ]),
    )
  const stringLiterals = (type) => (type.isUnion() ? type.types : [type]).filter((t) => t.isStringLiteral()).map((t) => t.value)

  const describeClass = (symbol) => {
    const instance = checker.getDeclaredTypeOfSymbol(symbol)
    const declaration = symbol.declarations.find(ts.isClassDeclaration)
    const constructor = declaration.members.find(ts.isConstructorDeclaration)
    const code = checker.getPropertyOfType(instance, 'code')
    return {
      base: checker.getBaseTypes(instance)[0]?.symbol.name,
      privateConstructor: Boolean(constructor && ts.getCombinedModifierFlags(constructor) & ts.ModifierFlags.Private),
      members: membersOf(checker.getPropertiesOfType(instance)),
      statics: membersOf(checker.getPropertiesOfType(checker.getTypeOfSymbol(symbol))),
      codes: code ? stringLiterals(checker.getTypeOfSymbol(code)) : [],
    }
  }

  const values = new Map()
  const types = new Map()
  for (const symbol of checker.getExportsOfModule(checker.getSymbolAtLocation(source))) {
    const { name } = symbol
    if (symbol.flags & ts.SymbolFlags.Class) {
      values.set(name, { kind: 'class', cls: describeClass(symbol) })
    } else if (symbol.flags & ts.SymbolFlags.Function) {
      values.set(name, { kind: 'function' })
    } else if (symbol.flags & ts.SymbolFlags.Variable) {
      const type = checker.getTypeOfSymbol(symbol)
      // `export declare const TimeoutError: typeof EnducoTimeoutError`: another name of a class.
      if (type.getConstructSignatures().length > 0) values.set(name, { kind: 'alias', of: type.symbol.name })
      else values.set(name, { kind: type.getCallSignatures().length > 0 ? 'function' : 'value' })
    } else {
      types.set(name, checker.getDeclaredTypeOfSymbol(symbol))
    }
  }
  return { values, types }
}

// ---------------------------------------------------------------------------------------------
// What the runtime has

function runtimeKind(value) {
  if (typeof value !== 'function') return 'value'
  return /^class\b/.test(Function.prototype.toString.call(value)) ? 'class' : 'function'
}

function memberKind(descriptor) {
  if (descriptor.get) return 'getter'
  return typeof descriptor.value === 'function' ? 'method' : 'field'
}

/** name → 'method' | 'getter' | 'field' along a prototype chain, down to (not into) `stop`. */
function chainMembers(start, stop, skip) {
  const members = new Map()
  for (let at = start; at && !stop.includes(at); at = Object.getPrototypeOf(at)) {
    for (const name of Object.getOwnPropertyNames(at)) {
      if (!skip.includes(name) && !members.has(name)) {
        members.set(name, memberKind(Object.getOwnPropertyDescriptor(at, name)))
      }
    }
  }
  return members
}

/** The members of a class's instances: its prototype chain below the built-ins, and the own
 * fields of a real instance. */
function instanceMembers(cls, sample) {
  const members = chainMembers(cls.prototype, [Object.prototype, Error.prototype], ['constructor'])
  for (const name of Object.getOwnPropertyNames(sample)) {
    if (!members.has(name)) members.set(name, memberKind(Object.getOwnPropertyDescriptor(sample, name)))
  }
  return members
}

function staticMembers(cls) {
  return chainMembers(cls, [Function.prototype, Object, Error], ['length', 'name', 'prototype'])
}

/** The mismatches between declared and runtime members of `where`, both ways. */
function compareMembers(where, declared, runtime) {
  const problems = []
  for (const [name, { kind, optional, ours }] of declared) {
    if (!ours) continue // Error's own members: the platform's business
    const found = runtime.get(name)
    if (!found) {
      if (!optional) problems.push(`${where}.${name}: declared as a ${kind}, missing at runtime`)
    } else if (kind === 'method' && found !== 'method') {
      problems.push(`${where}.${name}: declared as a method, at runtime a ${found}`)
    } else if (kind === 'property' && found === 'method') {
      problems.push(`${where}.${name}: declared as a property, at runtime a method`)
    }
  }
  for (const [name, found] of runtime) {
    if (!declared.has(name) && !(name in Object.prototype)) {
      problems.push(`${where}.${name}: a runtime ${found}, not declared in index.d.ts`)
    }
  }
  return problems
}

// ---------------------------------------------------------------------------------------------
// Real instances

let sandbox
let declared
let samples
before(async () => {
  declared = readDeclarations()
  sandbox = await startSandbox()
  samples = await makeSamples()
})
after(() => sandbox?.stop())

/** What `run` threw or rejected with; fails when it succeeded. */
async function failure(run) {
  try {
    await run()
  } catch (error) {
    return error
  }
  assert.fail(`expected ${run} to fail`)
}

async function closedPort() {
  return new Promise((resolve) => {
    const server = createServer()
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

/** export name → an instance the package really made (only the base `EnducoError` is made by hand:
 * no failure is one). */
async function makeSamples() {
  const client = sandbox.client({ maxRetries: 0 })
  const { session, tokens } = await sandbox.session(client)
  const postgres = new enduco.PostgresTokenStores('postgres://user:secret@127.0.0.1:1/db') // connects on first use: never
  const redis = new enduco.RedisTokenStores('redis://127.0.0.1:1')
  const denied = client.authorizationRequest(['user_read'])
  const zonesFail = async (fault, options = {}) => {
    const { session } = await sandbox.session(sandbox.client({ maxRetries: 0, ...options }))
    await sandbox.fault({ path: '/api/v1/zones', ...fault })
    return failure(() => session.intensityZones())
  }
  return {
    EnducoClient: client,
    AuthorizationRequest: client.authorizationRequest(['user_read']),
    Session: session,
    TokenSet: tokens,
    RawResponse: await session.request('GET', '/api/v1/zones'),
    MemoryTokenStore: new enduco.MemoryTokenStore(),
    FileTokenStore: new enduco.FileTokenStore('/nonexistent/enduco-tokens.json'), // never read or written
    PostgresTokenStores: postgres,
    PostgresTokenStore: postgres.forUser('user-1'),
    RedisTokenStores: redis,
    RedisTokenStore: redis.forUser('user-1'),
    TokenRelay: new enduco.TokenRelay({ clientId: CLIENT.clientId, clientSecret: CLIENT.clientSecret, environment: sandbox.url }),
    EnducoError: new enduco.EnducoError('internal', 'made by hand'),
    InvalidInputError: await failure(() => client.authorizationRequest(['admin'])),
    AuthorizationDeniedError: await failure(async () => client.completeAuthorization(denied, await sandbox.cancel(denied.url))),
    StateMismatchError: await failure(() =>
      client.completeAuthorization(denied, `https://app.example/callback?code=abc&state=${'x'.repeat(43)}`),
    ),
    ReauthorizationRequiredError: await failure(() => client.session(new enduco.MemoryTokenStore()).userId()),
    InsufficientScopeError: await failure(async () => (await sandbox.session(client, { scopes: ['user_read'] })).session.upcomingPlans(3)),
    RateLimitedError: await zonesFail({ kind: 'status', status: 429, retryAfter: 7 }),
    ServerError: await zonesFail({ kind: 'status', status: 503 }),
    ApiError: await failure(() => session.request('GET', '/api/v1/no-such-thing')),
    NetworkError: await failure(async () =>
      new enduco.EnducoClient({ ...CLIENT, environment: `http://127.0.0.1:${await closedPort()}`, maxRetries: 0 }).exchangeCode('c'),
    ),
    EnducoTimeoutError: await zonesFail({ kind: 'delay', delayMs: 3000 }, { requestTimeoutSeconds: 0.3 }),
    InvalidResponseError: await zonesFail({ kind: 'malformed' }),
    StoreError: await failure(() =>
      client
        .session({
          load: () => Promise.reject(new Error('disk on fire')),
          save() {},
          clear() {},
        })
        .userId(),
    ),
    InternalError: await failure(() => enduco._panicForTests(false)),
  }
}

function declaredClasses() {
  return [...declared.values].filter(([, d]) => d.kind === 'class').map(([name, d]) => [name, d.cls, enduco[name]])
}

// ---------------------------------------------------------------------------------------------
// The checks

test('index.d.ts declares every runtime export, and each declared export exists with its kind', () => {
  const problems = []
  for (const [name, { kind, of }] of declared.values) {
    if (!(name in enduco)) {
      problems.push(`${name}: declared as a ${kind}, not exported at runtime`)
    } else if (kind === 'alias') {
      if (enduco[name] !== enduco[of]) problems.push(`${name}: declared as typeof ${of}, at runtime another value`)
    } else if (runtimeKind(enduco[name]) !== kind) {
      problems.push(`${name}: declared as a ${kind}, at runtime a ${runtimeKind(enduco[name])}`)
    }
  }
  for (const name of Object.getOwnPropertyNames(enduco)) {
    if (declared.values.has(name) || name in RUNTIME_ONLY_EXPORTS) continue
    const typeOnly = declared.types.has(name) ? ' (index.d.ts has it only as a type)' : ''
    problems.push(`${name}: exported at runtime as a ${runtimeKind(enduco[name])}, not declared${typeOnly}`)
  }
  for (const name of Object.keys(RUNTIME_ONLY_EXPORTS)) {
    if (!(name in enduco)) problems.push(`${name}: listed as runtime-only, but not exported any more`)
    else if (Object.keys(enduco).includes(name)) problems.push(`${name}: runtime-only, but enumerable`)
  }
  assert.deepEqual(problems, [])
})

test('every class has the declared methods, properties and statics, and no undeclared ones', () => {
  const problems = []
  for (const [name, cls, runtime] of declaredClasses()) {
    if (runtimeKind(runtime) !== 'class') continue // reported by the exports test
    const sample = samples[name]
    if (!(sample instanceof runtime)) {
      problems.push(`${name}: no real instance to check its fields (add one to makeSamples)`)
      continue
    }
    problems.push(...compareMembers(name, cls.members, instanceMembers(runtime, sample)))
    problems.push(...compareMembers(`${name} (static)`, cls.statics, staticMembers(runtime)))
  }
  assert.deepEqual(problems, [])
})

test('a private constructor in index.d.ts is refused at runtime, a public one is not', () => {
  const problems = []
  for (const [name, { privateConstructor }, runtime] of declaredClasses()) {
    let refused = false
    try {
      new runtime()
    } catch (error) {
      refused = error instanceof TypeError && /no public constructor/.test(error.message)
    }
    if (refused !== privateConstructor) {
      problems.push(`${name}: constructor declared ${privateConstructor ? 'private' : 'public'}, ${refused ? 'refused' : 'allowed'} at runtime`)
    }
  }
  assert.deepEqual(problems, [])
})

test('each class extends at runtime what index.d.ts says it extends', () => {
  const problems = []
  const exportedClasses = declaredClasses().map(([name]) => name)
  for (const [name, { base }, runtime] of declaredClasses()) {
    const runtimeBases = exportedClasses.filter((other) => other !== name && runtime.prototype instanceof enduco[other])
    const declaredBases = []
    for (let at = base; declared.values.get(at)?.kind === 'class'; at = declared.values.get(at).cls.base) declaredBases.push(at)
    if (runtimeBases.sort().join() !== declaredBases.sort().join()) {
      problems.push(`${name}: declared to extend [${declaredBases}], at runtime extends [${runtimeBases}]`)
    }
    if (base === 'Error' && !(runtime.prototype instanceof Error)) problems.push(`${name}: declared an Error, is not one`)
  }
  assert.deepEqual(problems, [])
})

test('error classes: the declared code is the runtime code and name, and the unions list every class', () => {
  const problems = []
  const concrete = []
  for (const [name, { codes }, runtime] of declaredClasses()) {
    if (!(runtime.prototype instanceof enduco.EnducoError) && runtime !== enduco.EnducoError) continue
    const sample = samples[name]
    if (sample.name !== name) problems.push(`${name}: its instances are named ${sample.name}`)
    if (runtime === enduco.EnducoError) continue
    concrete.push(name)
    if (codes.length !== 1 || sample.code !== codes[0]) {
      problems.push(`${name}: code declared [${codes}], a real one has ${JSON.stringify(sample.code)}`)
    }
    if (new runtime('a message').code !== sample.code) problems.push(`${name}: its constructor sets another code`)
  }
  const allCodes = declared.values.get('EnducoError').cls.codes
  const runtimeCodes = concrete.map((name) => samples[name].code)
  assert.deepEqual([...allCodes].sort(), [...runtimeCodes].sort(), 'EnducoErrorCode lists each concrete class\'s code')
  assert.deepEqual(new Set(allCodes).size, allCodes.length)
  const any = declared.types.get('AnyEnducoError')
  assert.deepEqual(any.types.map((t) => t.symbol.name).sort(), [...concrete].sort(), 'AnyEnducoError lists every concrete class')
  assert.deepEqual(problems, [])
})
