'use strict'
// The public face of the native addon. It converts only: argument types into what the addon
// takes, the addon's errors into typed `EnducoError`s, and the user's token store into three
// functions the addon calls. Every decision (OAuth, refresh, retries, validation of values)
// lives in the Rust core. Types and documentation: index.d.ts.

const fs = require('node:fs')
const util = require('node:util')

/** The addon's loader (`native.js`, made by `napi build`) and the addon itself. */
function loadNative() {
  try {
    return require('./native.js')
  } catch (error) {
    const missing = error && (error.code === 'MODULE_NOT_FOUND' || /Cannot find native binding|\.node/.test(String(error.message)))
    if (!missing) throw error
    const explained = new Error(
      'enduco: the native addon is not built in ' + __dirname + ' (native.js or enduco.<platform>.node is missing). ' +
        "Either install the prebuilt package from npm ('npm install enduco', which brings enduco-<platform> with the addon), " +
        "or build it from this source folder: 'npm ci && npm run build' in " + __dirname + ' (needs Rust/cargo). ' +
        'See README.md, "Installing from source".',
      { cause: error },
    )
    explained.code = 'ENDUCO_ADDON_MISSING'
    throw explained
  }
}
const native = loadNative()

const ERROR_MARKER = '\u0001enduco-error:'
const INTERNAL = Symbol('enduco.internal')
/** wrapper object → native object */
const NATIVE = new WeakMap()

// ---------------------------------------------------------------------------------------------
// Errors

class EnducoError extends Error {
  /**
   * @param {string} code
   * @param {string} message
   * @param {Record<string, unknown>} [details]
   * @param {{ cause?: unknown }} [options]
   */
  constructor(code, message, details, options) {
    super(message, options)
    this.code = code
    if (details) Object.assign(this, details)
  }
}
EnducoError.prototype.name = 'EnducoError'

/** code → class name; the fields each case carries come with the core's payload. */
const ERROR_CLASS_NAMES = {
  invalid_input: 'InvalidInputError',
  authorization_denied: 'AuthorizationDeniedError',
  state_mismatch: 'StateMismatchError',
  reauthorization_required: 'ReauthorizationRequiredError',
  insufficient_scope: 'InsufficientScopeError',
  rate_limited: 'RateLimitedError',
  server: 'ServerError',
  api: 'ApiError',
  network: 'NetworkError',
  timeout: 'EnducoTimeoutError',
  invalid_response: 'InvalidResponseError',
  store: 'StoreError',
  internal: 'InternalError',
}

const errorClasses = {}
for (const [code, name] of Object.entries(ERROR_CLASS_NAMES)) {
  const cls = {
    [name]: class extends EnducoError {
      constructor(message, details, options) {
        super(code, message, details, options)
      }
    },
  }[name]
  cls.prototype.name = name
  errorClasses[code] = cls
}

/** Thrown values of failed store calls, by id, until the error that names them is built. */
const storeCauses = new Map()
let nextCauseId = 1
const MAX_KEPT_CAUSES = 256

function keepCause(value) {
  const id = nextCauseId
  nextCauseId = nextCauseId >= 0x7fffffff ? 1 : nextCauseId + 1
  storeCauses.set(id, value)
  if (storeCauses.size > MAX_KEPT_CAUSES) storeCauses.delete(storeCauses.keys().next().value)
  return id
}

/** napi's own argument-conversion failures, which mean a value of the wrong type. */
const NAPI_ARGUMENT_STATUSES = new Set([
  'InvalidArg',
  'ObjectExpected',
  'StringExpected',
  'NameExpected',
  'FunctionExpected',
  'NumberExpected',
  'BooleanExpected',
  'ArrayExpected',
  'BigintExpected',
])

/** The addon's rejection → the typed error; anything else passes through unchanged. */
function convertError(error) {
  if (error instanceof EnducoError) return error
  const message = error instanceof Error ? error.message : undefined
  if (typeof message === 'string' && message.startsWith(ERROR_MARKER)) {
    let payload
    try {
      payload = JSON.parse(message.slice(ERROR_MARKER.length))
    } catch {
      return error
    }
    const cls = errorClasses[payload.code]
    if (!cls) return new EnducoError(String(payload.code), String(payload.message))
    const { code: _code, message: _message, causeId: _causeId, ...details } = payload
    const options =
      payload.causeId != null && storeCauses.has(payload.causeId)
        ? { cause: storeCauses.get(payload.causeId) }
        : undefined
    return new cls(payload.message, details, options)
  }
  if (error instanceof Error && NAPI_ARGUMENT_STATUSES.has(error.code)) {
    return new errorClasses.invalid_input(`invalid input: ${message}`)
  }
  return error
}

function invalidInput(message) {
  return new errorClasses.invalid_input(`invalid input: ${message}`)
}

function callSync(fn) {
  try {
    return fn()
  } catch (error) {
    throw convertError(error)
  }
}

async function callAsync(fn) {
  try {
    return await fn()
  } catch (error) {
    throw convertError(error)
  }
}

// ---------------------------------------------------------------------------------------------
// Argument checks (types only; values are the core's business)

/** What a value of the wrong type is, for messages: `undefined`, `null`, `a string`, `an array`, … */
function kindOf(value) {
  if (value === null) return 'null'
  if (value === undefined) return 'undefined'
  if (Array.isArray(value)) return 'an array'
  if (Buffer.isBuffer(value)) return 'a Buffer'
  if (value instanceof Date) return 'a Date'
  if (typeof value === 'object') return 'an object'
  return `a ${typeof value}` // string, number, boolean, bigint, symbol, function
}

function expect(ok, where, name, wanted, value, hint = '') {
  if (!ok) throw invalidInput(`${where}: ${name} must be ${wanted}, got ${kindOf(value)}${hint}`)
}

function expectString(where, name, value) {
  expect(typeof value === 'string', where, name, 'a string', value)
}

function optional(value, check) {
  if (value !== undefined && value !== null) check(value)
}

function isPlainObject(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function toBuffer(value) {
  if (Buffer.isBuffer(value)) return value
  if (ArrayBuffer.isView(value)) return Buffer.from(value.buffer, value.byteOffset, value.byteLength)
  if (value instanceof ArrayBuffer) return Buffer.from(value)
  return undefined
}

// ---------------------------------------------------------------------------------------------
// Cancellation: an AbortSignal per call

/** The `signal` of a call's options, checked (an AbortSignal, or absent). */
function signalOf(where, options) {
  const signal = options?.signal
  if (signal == null) return undefined
  const ok = typeof signal === 'object' && typeof signal.aborted === 'boolean' && typeof signal.addEventListener === 'function'
  expect(ok, where, 'options.signal', 'an AbortSignal', signal)
  return signal
}

/** What an aborted call rejects with: a DOMException named `AbortError`, `cause` the signal's reason. */
function abortError(signal) {
  const error = new DOMException('The operation was aborted', 'AbortError')
  Object.defineProperty(error, 'cause', { value: signal.reason, writable: true, configurable: true })
  return error
}

/**
 * Runs `start(cancelToken)` (a native call taking the token) under `signal`: an abort cancels
 * the token, which drops the call's future inside the addon (its HTTP request with it), and
 * the call rejects with `abortError(signal)`. Without a signal, `start(undefined)`.
 */
async function abortable(signal, start) {
  if (!signal) return start(undefined)
  if (signal.aborted) throw abortError(signal)
  const token = new native.NativeCancelToken()
  const onAbort = () => token.cancel()
  signal.addEventListener('abort', onAbort, { once: true })
  try {
    return await start(token)
  } catch (error) {
    if (signal.aborted) throw abortError(signal)
    throw error
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}

/** An options argument that may only carry `signal` (for calls without other options). */
function signalOnly(where, options) {
  optional(options, (v) => expect(isPlainObject(v), where, 'options', 'an object', v))
  return signalOf(where, options)
}

// ---------------------------------------------------------------------------------------------
// Tokens

const REDACTED = '[redacted]'

/** What `util.inspect` shows of an object that shows `shown` (a redacted view) under `name`. */
function inspectAs(name, shown, depth, options, inspect) {
  if (depth < 0) return options.stylize(`[${name}]`, 'special')
  return `${name} ${inspect(shown, { ...options, depth: options.depth === null ? null : options.depth - 1 })}`
}

/** Whether `value` (an object or its JSON text) is the redacted form `TokenSet.toJSON()` gives. */
function isRedactedTokens(value) {
  let object = value
  if (typeof value === 'string') {
    try {
      object = JSON.parse(value)
    } catch {
      return false
    }
  }
  return isPlainObject(object) && object.accessToken === REDACTED && !('access_token' in object)
}

const REDACTED_TOKENS_HINT =
  'the redacted form JSON.stringify(tokens) / tokens.toJSON() give (no token values); ' +
  'store tokens.toStorageJSON() (or its JSON text) instead'

class TokenSet {
  constructor(key, nativeTokens) {
    if (key !== INTERNAL) {
      throw new TypeError('TokenSet has no public constructor: use TokenSet.fromJSON()')
    }
    NATIVE.set(this, nativeTokens)
  }

  /** Reads the storage form `toStorageJSON()` produced: the object, or its JSON text. */
  static fromJSON(value) {
    let text
    if (typeof value === 'string') text = value
    else if (isPlainObject(value)) text = JSON.stringify(value)
    else throw invalidInput(`TokenSet.fromJSON: expected a JSON string or object, got ${kindOf(value)}`)
    if (isRedactedTokens(text)) throw invalidInput(`TokenSet.fromJSON: this is ${REDACTED_TOKENS_HINT}`)
    return wrapTokens(callSync(() => native.NativeTokenSet.fromJSONString(text)))
  }

  get accessToken() {
    return callSync(() => NATIVE.get(this).accessToken)
  }
  get refreshToken() {
    return callSync(() => NATIVE.get(this).refreshToken)
  }
  get expiresAt() {
    return callSync(() => NATIVE.get(this).expiresAt)
  }
  get scopes() {
    return callSync(() => NATIVE.get(this).scopes)
  }
  get tokenType() {
    return callSync(() => NATIVE.get(this).tokenType)
  }
  get schemaVersion() {
    return callSync(() => NATIVE.get(this).schemaVersion)
  }
  get userId() {
    return callSync(() => NATIVE.get(this).userId) ?? null
  }

  /** Whether the grant includes `scope` (`'user_read'`, `'plans_read'`, `'workouts_write'`). */
  hasScope(scope) {
    expectString('TokenSet.hasScope', 'scope', scope)
    return callSync(() => NATIVE.get(this).hasScope(scope))
  }

  /**
   * The storage form, shared by every enduco SDK (snake_case, as FileTokenStore writes it).
   * It contains both tokens: keep it like a password. `TokenSet.fromJSON` reads it back.
   */
  toStorageJSON() {
    return JSON.parse(callSync(() => NATIVE.get(this).toJSONString()))
  }

  /**
   * What `JSON.stringify(tokens)` shows (loggers, `res.json`): who, until when, which scopes,
   * and no token value. Not readable by `TokenSet.fromJSON`; store `toStorageJSON()`.
   */
  toJSON() {
    return {
      userId: this.userId,
      expiresAt: this.expiresAt,
      scopes: this.scopes,
      tokenType: this.tokenType,
      accessToken: REDACTED,
      refreshToken: this.refreshToken === null ? null : REDACTED,
    }
  }

  toString() {
    return `TokenSet(user ${this.userId ?? 'unknown'}, expires at ${this.expiresAt}, tokens redacted)`
  }

  [util.inspect.custom](depth, options, inspect) {
    return inspectAs('TokenSet', this.toJSON(), depth, options, inspect)
  }
}

function wrapTokens(nativeTokens) {
  return nativeTokens == null ? null : new TokenSet(INTERNAL, nativeTokens)
}

function unwrapTokens(where, tokens) {
  const nativeTokens = tokens instanceof TokenSet ? NATIVE.get(tokens) : undefined
  if (!nativeTokens) throw invalidInput(`${where}: tokens must be a TokenSet, got ${kindOf(tokens)}`)
  return nativeTokens
}

// ---------------------------------------------------------------------------------------------
// Token stores

/**
 * What every store the core implements has (memory, file, and one user's store in PostgreSQL or
 * Redis): a native store behind it, whose handle sessions take as is (no JS round trip), and
 * `load`/`save`/`clear` for the app's own use. Not exported: each public class extends it.
 */
class CoreTokenStore {
  constructor(nativeStore) {
    NATIVE.set(this, nativeStore)
  }
  load() {
    return callAsync(async () => wrapTokens(await NATIVE.get(this).load()))
  }
  save(tokens) {
    return callAsync(async () => {
      await NATIVE.get(this).save(unwrapTokens(`${this.constructor.name}.save`, tokens))
    })
  }
  clear() {
    return callAsync(async () => {
      await NATIVE.get(this).clear()
    })
  }
}

class MemoryTokenStore extends CoreTokenStore {
  constructor(tokens) {
    const initial = tokens == null ? undefined : unwrapTokens('new MemoryTokenStore', tokens)
    super(callSync(() => new native.NativeMemoryTokenStore(initial)))
  }
}

class FileTokenStore extends CoreTokenStore {
  constructor(path) {
    expectString('new FileTokenStore', 'path', path)
    super(callSync(() => new native.NativeFileTokenStore(path)))
  }
  get path() {
    return callSync(() => NATIVE.get(this).path)
  }
  [util.inspect.custom]() {
    return `FileTokenStore { path: ${util.inspect(this.path)} }`
  }
}

// The server stores: one pool (PostgreSQL) or connection (Redis) per app, a store per user.
// Their per-user stores are the core's own: sessions call them without a JS round trip. The
// connection URL goes straight to the addon and is not kept here: nothing can print it.

/** How a server store set shows itself: never its URL (it may hold a password). */
function describeServerStores(name, fields) {
  const shown = Object.entries(fields).map(([k, v]) => `${k}: ${util.inspect(v)}`)
  return `${name} { ${[...shown, 'url: [redacted]'].join(', ')} }`
}

class ServerTokenStore extends CoreTokenStore {
  constructor(key, nativeStore) {
    if (key !== INTERNAL) throw new TypeError(`${new.target.name} has no public constructor: use stores.forUser(key)`)
    super(nativeStore)
  }
  /** The user key the app chose. */
  get key() {
    return callSync(() => NATIVE.get(this).key)
  }
  toJSON() {
    return { key: this.key }
  }
  toString() {
    return `${this.constructor.name}(${this.key})`
  }
  [util.inspect.custom]() {
    return `${this.constructor.name} { key: ${util.inspect(this.key)} }`
  }
}

class PostgresTokenStore extends ServerTokenStore {}
class RedisTokenStore extends ServerTokenStore {}

/** What PostgresTokenStores and RedisTokenStores share: the app's pool or connection, and a
 * store per user (of the class `UserStore`). Not exported. */
class ServerTokenStores {
  #UserStore
  constructor(nativeStores, UserStore) {
    NATIVE.set(this, nativeStores)
    this.#UserStore = UserStore
  }
  /** Creates what the server needs (PostgreSQL: the tables if they do not exist, idempotent,
   * run it once at deploy; Redis: nothing, resolves at once, there so both are used alike). */
  migrate() {
    return callAsync(async () => {
      await NATIVE.get(this).migrate()
    })
  }
  /** The store for one user, under a key the app chooses. */
  forUser(key) {
    expectString(`${this.constructor.name}.forUser`, 'key', key)
    return new this.#UserStore(INTERNAL, callSync(() => NATIVE.get(this).forUser(key)))
  }
}

class PostgresTokenStores extends ServerTokenStores {
  constructor(url) {
    expectString('new PostgresTokenStores', 'url', url)
    super(callSync(() => new native.NativePostgresTokenStores(url)), PostgresTokenStore)
  }
  toJSON() {
    return { type: 'PostgresTokenStores', url: '[redacted]' }
  }
  toString() {
    return 'PostgresTokenStores { url: [redacted] }'
  }
  [util.inspect.custom]() {
    return describeServerStores('PostgresTokenStores', {})
  }
}

class RedisTokenStores extends ServerTokenStores {
  constructor(url, options) {
    const where = 'new RedisTokenStores'
    expectString(where, 'url', url)
    optional(options, (v) => expect(isPlainObject(v), where, 'options', 'an object', v))
    const prefix = options?.prefix
    optional(prefix, (v) => expectString(where, 'options.prefix', v))
    super(callSync(() => new native.NativeRedisTokenStores(url, prefix ?? undefined)), RedisTokenStore)
  }
  /** The prefix of every key (`enduco:` unless chosen). */
  get prefix() {
    return callSync(() => NATIVE.get(this).prefix)
  }
  toJSON() {
    return { type: 'RedisTokenStores', prefix: this.prefix, url: '[redacted]' }
  }
  toString() {
    return `RedisTokenStores { prefix: ${JSON.stringify(this.prefix)}, url: [redacted] }`
  }
  [util.inspect.custom]() {
    return describeServerStores('RedisTokenStores', { prefix: this.prefix })
  }
}

function describeThrown(value) {
  if (value instanceof Error) return `${value.name}: ${value.message}`
  if (typeof value === 'string') return value
  return Object.prototype.toString.call(value)
}

/** Runs one store method; resolves with `{value}` or the failure the addon turns into `store`. */
async function settle(run) {
  let pending
  try {
    pending = run()
  } catch (error) {
    return { error: `threw ${describeThrown(error)}`, causeId: keepCause(error) }
  }
  try {
    return { value: await pending }
  } catch (error) {
    return { error: `rejected with ${describeThrown(error)}`, causeId: keepCause(error) }
  }
}

/** The storage JSON text of what a store's `load()` returned. */
function storedText(value) {
  if (value instanceof TokenSet) return callSync(() => NATIVE.get(value).toJSONString())
  if (typeof value === 'string') return value
  if (isPlainObject(value)) return JSON.stringify(value)
  return undefined
}

/** One native store handle per user store object. */
const callbackHandles = new WeakMap()

/** The optional refresh-lock methods of a user store: both, or neither. */
function lockMethods(where, store) {
  const hasTryLock = typeof store.tryLock === 'function'
  const hasUnlock = typeof store.unlock === 'function'
  if (hasTryLock !== hasUnlock) {
    const [has, lacks] = hasTryLock ? ['tryLock(owner, leaseMs)', 'unlock(owner)'] : ['unlock(owner)', 'tryLock(owner, leaseMs)']
    throw invalidInput(`${where}: store has ${has} but no ${lacks}; the refresh lock needs both (or neither, for a store one process uses)`)
  }
  return hasTryLock
}

function storeHandle(where, store) {
  if (store instanceof CoreTokenStore) {
    return callSync(() => NATIVE.get(store).handle())
  }
  const isStore =
    typeof store === 'object' &&
    store !== null &&
    typeof store.load === 'function' &&
    typeof store.save === 'function' &&
    typeof store.clear === 'function'
  if (!isStore) {
    throw invalidInput(`${where}: store must be an object with load(), save(tokens) and clear() methods, got ${kindOf(store)}`)
  }
  const locking = lockMethods(where, store)
  let handle = callbackHandles.get(store)
  if (!handle) {
    // The addon calls these and awaits their promises; none of them ever rejects. A store
    // promise that never settles is left behind when the core's store timeout fires.
    const created = native.createCallbackStore
    handle = callSync(() => created(
      async () => {
        const outcome = await settle(() => store.load())
        if (outcome.error) return outcome
        if (outcome.value == null) return {}
        if (isRedactedTokens(outcome.value)) return { error: `resolved with ${REDACTED_TOKENS_HINT}` }
        const tokens = storedText(outcome.value)
        if (tokens === undefined) {
          return { error: `resolved with ${kindOf(outcome.value)}, not a TokenSet, its storage form (toStorageJSON()) or null` }
        }
        return { tokens }
      },
      async (nativeTokens) => {
        const outcome = await settle(() => store.save(wrapTokens(nativeTokens)))
        return outcome.error ? outcome : {}
      },
      async () => {
        const outcome = await settle(() => store.clear())
        return outcome.error ? outcome : {}
      },
      locking
        ? async ({ owner, leaseMs }) => {
            const outcome = await settle(() => store.tryLock(owner, Math.ceil(leaseMs)))
            if (outcome.error) return outcome
            if (typeof outcome.value !== 'boolean') {
              return { error: `resolved with ${kindOf(outcome.value)}, not a boolean` }
            }
            return { locked: outcome.value }
          }
        : undefined,
      locking
        ? async ({ owner }) => {
            const outcome = await settle(() => store.unlock(owner))
            return outcome.error ? outcome : {}
          }
        : undefined,
    ))
    callbackHandles.set(store, handle)
  }
  return handle
}

// ---------------------------------------------------------------------------------------------
// Client and session

const OPTION_TYPES = {
  clientSecret: 'string',
  tokenRelayUrl: 'string',
  environment: 'string',
  usePkce: 'boolean',
  timeZone: 'string',
  userAgent: 'string',
  connectTimeoutSeconds: 'number',
  requestTimeoutSeconds: 'number',
  uploadTimeoutSeconds: 'number',
  maxRetries: 'number',
  retryDeadlineSeconds: 'number',
  refreshMarginSeconds: 'number',
  storeTimeoutSeconds: 'number',
  lockLeaseSeconds: 'number',
  maxResponseBytes: 'number',
}

function clientOptions(options) {
  const where = 'new EnducoClient'
  expect(isPlainObject(options), where, 'options', 'an object', options)
  // No clientSecret in relay mode (tokenRelayUrl instead): the core checks it has one of them.
  for (const name of ['clientId', 'redirectUri']) {
    expectString(where, `options.${name}`, options[name])
  }
  const converted = {
    clientId: options.clientId,
    redirectUri: options.redirectUri,
  }
  for (const [name, type] of Object.entries(OPTION_TYPES)) {
    const value = options[name]
    optional(value, (v) => expect(typeof v === type, where, `options.${name}`, `a ${type}`, v))
    if (value != null) converted[name] = value
  }
  optional(options.endpoints, (endpoints) => {
    expect(isPlainObject(endpoints), where, 'options.endpoints', 'an object of paths', endpoints)
    for (const [name, path] of Object.entries(endpoints)) {
      expectString(where, `options.endpoints.${name}`, path)
    }
    converted.endpoints = { ...endpoints }
  })
  return converted
}

/** The PKCE verifiers of started authorizations, out of sight of enumeration and JSON. */
const VERIFIERS = new WeakMap()

/**
 * A started authorization. `url`, `state`, `redirectUri` and `scopes` are plain fields;
 * `codeVerifier` (the PKCE secret) is a getter on the prototype, so `JSON.stringify(req)`,
 * `{...req}` and `console.log(req)` leave it out (inspect shows it redacted).
 * `toStorageJSON()` is the whole request, verifier included, for a server-side session store.
 */
class AuthorizationRequest {
  constructor(key, fields) {
    if (key !== INTERNAL) throw new TypeError('AuthorizationRequest has no public constructor: use client.authorizationRequest()')
    this.url = fields.url
    this.state = fields.state
    this.redirectUri = fields.redirectUri
    this.scopes = fields.scopes
    VERIFIERS.set(this, fields.codeVerifier ?? null)
  }

  /**
   * Reads a kept authorization back: what `toStorageJSON()` gave (the object or its JSON text),
   * or the storage form the other enduco SDKs write (`to_json()`: snake_case with
   * `schema_version`). The core checks it (`AuthorizationRequest::from_json`).
   */
  static fromJSON(value) {
    const where = 'AuthorizationRequest.fromJSON'
    let object = value
    if (typeof value === 'string') {
      try {
        object = JSON.parse(value)
      } catch {
        throw invalidInput(`${where}: the text is not JSON`)
      }
    }
    if (!isPlainObject(object)) throw invalidInput(`${where}: expected the object toStorageJSON() gave or its JSON text, got ${kindOf(value)}`)
    if (!('schema_version' in object) && !('codeVerifier' in object)) {
      throw invalidInput(`${where}: this has no codeVerifier: JSON.stringify(req) leaves the PKCE verifier out; keep req.toStorageJSON() instead`)
    }
    // Node's storage form (camelCase) → the core's (snake_case, schema 1); the core's as is.
    const saved =
      'schema_version' in object
        ? object
        : {
            schema_version: 1,
            url: object.url,
            state: object.state,
            code_verifier: object.codeVerifier ?? null,
            redirect_uri: object.redirectUri,
            scopes: object.scopes,
          }
    return new AuthorizationRequest(INTERNAL, callSync(() => native.authorizationRequestFromJson(JSON.stringify(saved))))
  }

  /** The PKCE verifier (`null` when PKCE is off). A secret: keep it server-side. */
  get codeVerifier() {
    return VERIFIERS.get(this) ?? null
  }

  /** Everything `completeAuthorization` needs, verifier included: for your server-side session
   * store only (never a cookie, a URL or a log). */
  toStorageJSON() {
    return {
      url: this.url,
      state: this.state,
      codeVerifier: this.codeVerifier,
      redirectUri: this.redirectUri,
      scopes: [...this.scopes],
    }
  }

  [util.inspect.custom](depth, options, inspect) {
    const shown = { ...this, codeVerifier: this.codeVerifier === null ? null : REDACTED }
    return inspectAs('AuthorizationRequest', shown, depth, options, inspect)
  }
}

class EnducoClient {
  constructor(options) {
    const converted = clientOptions(options)
    NATIVE.set(this, callSync(() => new native.NativeClient(converted)))
  }

  authorizationRequest(scopes) {
    const where = 'authorizationRequest'
    expect(Array.isArray(scopes), where, 'scopes', 'an array of scope names', scopes)
    scopes.forEach((scope, i) => expectString(where, `scopes[${i}]`, scope))
    const request = callSync(() => NATIVE.get(this).authorizationRequest([...scopes]))
    return new AuthorizationRequest(INTERNAL, request)
  }

  completeAuthorization(request, callbackUrl, options) {
    return callAsync(async () => {
      const where = 'completeAuthorization'
      const signal = signalOnly(where, options)
      expect(isPlainObject(request), where, 'request', 'the object authorizationRequest() returned', request)
      expectString(where, 'request.state', request.state)
      optional(request.codeVerifier, (v) => expectString(where, 'request.codeVerifier', v))
      optional(request.url, (v) => expectString(where, 'request.url', v))
      optional(request.redirectUri, (v) => expectString(where, 'request.redirectUri', v))
      expectString(where, 'callbackUrl', callbackUrl)
      const pending = {
        state: request.state,
        codeVerifier: request.codeVerifier ?? undefined,
        url: request.url ?? undefined,
        redirectUri: request.redirectUri ?? undefined,
        scopes: Array.isArray(request.scopes) ? request.scopes.map(String) : undefined,
      }
      return wrapTokens(await abortable(signal, (cancel) => NATIVE.get(this).completeAuthorization(pending, callbackUrl, cancel)))
    })
  }

  exchangeCode(code, codeVerifier, options) {
    return callAsync(async () => {
      expectString('exchangeCode', 'code', code)
      optional(codeVerifier, (v) => expectString('exchangeCode', 'codeVerifier', v))
      const signal = signalOnly('exchangeCode', options)
      return wrapTokens(await abortable(signal, (cancel) => NATIVE.get(this).exchangeCode(code, codeVerifier ?? undefined, cancel)))
    })
  }

  session(store) {
    const handle = storeHandle('session', store)
    return new Session(INTERNAL, callSync(() => NATIVE.get(this).session(handle)))
  }

  connect(store, tokens) {
    return callAsync(async () => {
      const handle = storeHandle('connect', store)
      const nativeTokens = unwrapTokens('connect', tokens)
      return new Session(INTERNAL, await NATIVE.get(this).connect(handle, nativeTokens))
    })
  }

  parseWebhook(body) {
    return parseWebhook(body)
  }

  /**
   * Acts on a deregistration webhook only once enduco confirms it: refreshes the user's grant
   * through `store`; if enduco answers `reauthorization_required` the store is cleared and the
   * user id returned, otherwise (the grant still works: a forged or stale event) nothing is
   * cleared and the result is `null`. Other events resolve with `null` without a request.
   * `store` is the user's store, or a function of the event's user id returning it (or `null`
   * for a user the app does not know).
   */
  clearDeregisteredUser(event, store, options) {
    return callAsync(async () => {
      const where = 'clearDeregisteredUser'
      const signal = signalOnly(where, options)
      const parsed = isPlainObject(event) && typeof event.type === 'string' && !toBuffer(event) ? event : parseWebhook(event)
      if (parsed.type !== 'user.deregistered') return null
      let target = store
      if (typeof store === 'function') target = await store(parsed.userId)
      if (target == null) return null
      const handle = storeHandle(where, target)
      return (await abortable(signal, (cancel) => NATIVE.get(this).clearDeregisteredUser(parsed, handle, cancel))) ?? null
    })
  }
}

class RawResponse {
  constructor(key, nativeResponse) {
    if (key !== INTERNAL) throw new TypeError('RawResponse has no public constructor')
    NATIVE.set(this, nativeResponse)
    this.status = callSync(() => nativeResponse.status)
    this.contentType = callSync(() => nativeResponse.contentType) ?? null
    this.body = callSync(() => nativeResponse.body)
  }
  text() {
    return callSync(() => NATIVE.get(this).text())
  }
  json() {
    return callSync(() => NATIVE.get(this).json())
  }
}

function queryPairs(query) {
  const where = 'request'
  if (query == null) return undefined
  let entries
  if (query instanceof URLSearchParams) entries = [...query]
  else if (Array.isArray(query)) entries = query
  else if (isPlainObject(query)) entries = Object.entries(query)
  else throw invalidInput(`${where}: options.query must be an object, an array of pairs or URLSearchParams, got ${kindOf(query)}`)
  return entries.map((entry, i) => {
    expect(Array.isArray(entry) && entry.length === 2, where, `options.query[${i}]`, 'a [name, value] pair', entry)
    const [name, value] = entry
    expectString(where, `query name ${i}`, name)
    const ok = ['string', 'number', 'boolean'].includes(typeof value)
    expect(ok, where, `query value ${JSON.stringify(name)}`, 'a string, number or boolean', value)
    return [name, String(value)]
  })
}

/**
 * A workout path Node cannot stat (missing, a directory on the way is not one, no permission):
 * an `InvalidInputError` with Node's own fields (`errno`, `syscall`, `path`) and, as `cause`,
 * Node's system error (`code: 'ENOENT'`, …). Checked here, before the addon opens the file,
 * so the error is Node's own rather than a reading of the core's message; a file removed
 * between this check and the upload still fails, as the core's plain `invalid_input`.
 */
async function checkReadable(where, path) {
  try {
    await fs.promises.stat(path)
  } catch (cause) {
    if (typeof cause?.code !== 'string' || typeof cause.errno !== 'number') throw cause
    throw new errorClasses.invalid_input(
      `invalid input: ${where}: cannot read ${path}: ${cause.message}`,
      { errno: cause.errno, syscall: cause.syscall, path: cause.path ?? path },
      { cause },
    )
  }
}

class Session {
  constructor(key, nativeSession) {
    if (key !== INTERNAL) throw new TypeError('Session has no public constructor: use client.session(store)')
    NATIVE.set(this, nativeSession)
  }

  userId() {
    return callAsync(() => NATIVE.get(this).userId())
  }

  grantedScopes() {
    return callAsync(() => NATIVE.get(this).grantedScopes())
  }

  tokens() {
    return callAsync(async () => wrapTokens(await NATIVE.get(this).tokens()))
  }

  intensityZones(options) {
    return callAsync(() => {
      const signal = signalOnly('intensityZones', options)
      return abortable(signal, (cancel) => NATIVE.get(this).intensityZones(cancel))
    })
  }

  upcomingPlans(days = 7, options) {
    return callAsync(() => {
      expect(typeof days === 'number', 'upcomingPlans', 'days', 'a number', days)
      const signal = signalOnly('upcomingPlans', options)
      return abortable(signal, (cancel) => NATIVE.get(this).upcomingPlans(days, cancel))
    })
  }

  trainingPlans(from, to, options) {
    return callAsync(() => {
      const hint = (value) => (value instanceof Date ? ' (isoDate(date) gives the athlete\'s local date of a Date)' : '')
      expect(typeof from === 'string', 'trainingPlans', 'from (YYYY-MM-DD)', 'a string', from, hint(from))
      expect(typeof to === 'string', 'trainingPlans', 'to (YYYY-MM-DD)', 'a string', to, hint(to))
      const signal = signalOnly('trainingPlans', options)
      return abortable(signal, (cancel) => NATIVE.get(this).trainingPlans(from, to, cancel))
    })
  }

  uploadWorkout(source, options = {}) {
    return callAsync(async () => {
      const where = 'uploadWorkout'
      expect(isPlainObject(options), where, 'options', 'an object', options)
      const { fileName, onProgress } = options
      const signal = signalOf(where, options)
      optional(fileName, (v) => expectString(where, 'options.fileName', v))
      optional(onProgress, (v) => expect(typeof v === 'function', where, 'options.onProgress', 'a function', v))
      let progress
      if (onProgress != null) {
        let warned = false
        progress = (sent, total) => {
          try {
            onProgress(sent, total)
          } catch (error) {
            if (!warned) {
              warned = true
              process.emitWarning(`enduco: onProgress threw (${describeThrown(error)}); the upload goes on`, {
                code: 'ENDUCO_PROGRESS_CALLBACK',
              })
            }
          }
        }
      }
      const session = NATIVE.get(this)
      if (typeof source === 'string') {
        if (signal?.aborted) throw abortError(signal)
        await checkReadable(where, source)
        return abortable(signal, (cancel) => session.uploadWorkoutPath(source, fileName ?? undefined, progress, cancel))
      }
      const bytes = toBuffer(source)
      if (!bytes) {
        throw invalidInput(`${where}: source must be a file path or a Buffer/Uint8Array of a FIT file, got ${kindOf(source)}`)
      }
      return abortable(signal, (cancel) => session.uploadWorkoutBytes(bytes, fileName ?? undefined, progress, cancel))
    })
  }

  request(method, path, options = {}) {
    return callAsync(async () => {
      expectString('request', 'method', method)
      expectString('request', 'path', path)
      expect(isPlainObject(options), 'request', 'options', 'an object', options)
      const signal = signalOf('request', options)
      const query = queryPairs(options.query)
      const body = options.body === undefined ? undefined : options.body
      return new RawResponse(INTERNAL, await abortable(signal, (cancel) => NATIVE.get(this).request(method, path, query, body, cancel)))
    })
  }

  refresh(options) {
    return callAsync(async () => {
      const signal = signalOnly('refresh', options)
      return wrapTokens(await abortable(signal, (cancel) => NATIVE.get(this).refresh(cancel)))
    })
  }

  revoke(options) {
    return callAsync(async () => {
      const signal = signalOnly('revoke', options)
      await abortable(signal, (cancel) => NATIVE.get(this).revoke(cancel))
    })
  }
}

// ---------------------------------------------------------------------------------------------
// Token relay (the server half of relay mode, docs/relay.md)

const MAX_RELAY_REQUEST_BYTES = native.MAX_RELAY_REQUEST_BYTES
/** The most of an over-long body a handler reads and throws away before it drops the connection. */
const RELAY_DISCARD_BYTES = 1024 * 1024
const RELAY_OPTION_TYPES = {
  environment: 'string',
  userAgent: 'string',
  connectTimeoutSeconds: 'number',
  requestTimeoutSeconds: 'number',
  maxRetries: 'number',
  retryDeadlineSeconds: 'number',
}

function relayHeaders() {
  return { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }
}

function relayError(error, description) {
  return Buffer.from(JSON.stringify({ error, error_description: description }), 'utf8')
}

/** Writes one relay answer on a `node:http` response. */
function sendRelayAnswer(res, status, headers, body) {
  if (res.headersSent || res.writableEnded) return
  res.writeHead(status, { ...headers, 'Content-Length': String(body.length) })
  res.end(body)
}

/** Runs the `onTokens` hook; a failure is reported, never thrown: the app gets its tokens. */
async function notifyTokens(onTokens, userId) {
  try {
    await onTokens(userId)
  } catch (error) {
    process.emitWarning(`enduco: onTokens failed for enduco user ${userId} (${describeThrown(error)}); the answer was sent`, {
      code: 'ENDUCO_RELAY_HOOK',
    })
  }
}

/**
 * The relay for one enduco app: holds the client secret, checks each app request (size,
 * operation, form), forwards it to enduco with the client credentials and hands enduco's
 * answer back. Create one per process. It keeps no tokens and never shows its secret.
 */
class TokenRelay {
  #description
  constructor(options) {
    const where = 'new TokenRelay'
    expect(isPlainObject(options), where, 'options', 'an object', options)
    expectString(where, 'options.clientId', options.clientId)
    expectString(where, 'options.clientSecret', options.clientSecret)
    if (options.tokenRelayUrl != null) {
      throw invalidInput(`${where}: a token relay talks to enduco with the client secret; it cannot use a relay itself (no tokenRelayUrl)`)
    }
    const converted = { clientId: options.clientId, clientSecret: options.clientSecret }
    for (const [name, type] of Object.entries(RELAY_OPTION_TYPES)) {
      const value = options[name]
      optional(value, (v) => expect(typeof v === type, where, `options.${name}`, `a ${type}`, v))
      if (value != null) converted[name] = value
    }
    optional(options.endpoints, (endpoints) => {
      expect(isPlainObject(endpoints), where, 'options.endpoints', 'an object of paths', endpoints)
      for (const [name, path] of Object.entries(endpoints)) expectString(where, `options.endpoints.${name}`, path)
      converted.endpoints = { ...endpoints }
    })
    NATIVE.set(this, callSync(() => new native.NativeTokenRelay(converted)))
    this.#description = { environment: options.environment ?? 'beta', clientId: options.clientId }
  }

  /**
   * One app request: `path`'s last segment names the operation (`…/token` or `…/revoke`),
   * `contentType` is the request's header, `body` at most `MAX_RELAY_REQUEST_BYTES + 1` bytes
   * of it. Resolves with `{ status, headers, body, userId }` (send the first three as they are;
   * `userId` is enduco's user id after a successful exchange or refresh). Refusals are 400s
   * with an OAuth error body; nothing refused is forwarded.
   */
  handle(path, contentType, body) {
    return callAsync(async () => {
      const where = 'TokenRelay.handle'
      expectString(where, 'path', path)
      optional(contentType, (v) => expectString(where, 'contentType', v))
      const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : toBuffer(body ?? Buffer.alloc(0))
      if (!bytes) throw invalidInput(`${where}: body must be a Buffer, a Uint8Array or a string, got ${kindOf(body)}`)
      const answer = await NATIVE.get(this).handle(path, contentType ?? undefined, bytes)
      return { status: answer.status, headers: relayHeaders(), body: answer.body, userId: answer.userId ?? null }
    })
  }

  /**
   * A `node:http` request listener that serves `POST …/token` and `POST …/revoke` under any
   * prefix: `http.createServer(relay.handler())`, or Express/Connect middleware
   * (`app.use('/enduco/relay', relay.handler())`, before any body parser). It reads at most
   * `MAX_RELAY_REQUEST_BYTES + 1` bytes of a body. `onTokens(userId)` (may be async) runs after
   * a successful exchange or refresh, before the answer is sent; if it fails, a warning is
   * emitted and the app still gets its tokens.
   */
  handler(options = {}) {
    const where = 'TokenRelay.handler'
    expect(isPlainObject(options), where, 'options', 'an object', options)
    const { onTokens } = options
    optional(onTokens, (v) => expect(typeof v === 'function', where, 'options.onTokens', 'a function', v))
    const relay = this
    const limit = MAX_RELAY_REQUEST_BYTES + 1

    const answer = async (req, res, body) => {
      let result
      try {
        const path = String(req.url ?? '').split('?')[0]
        const contentType = typeof req.headers['content-type'] === 'string' ? req.headers['content-type'] : undefined
        result = await relay.handle(path, contentType, body)
      } catch (error) {
        sendRelayAnswer(res, 500, relayHeaders(), relayError('server_error', 'the relay failed; try again later'))
        process.emitWarning(`enduco: token relay failed (${describeThrown(error)})`, { code: 'ENDUCO_RELAY' })
        return
      }
      if (onTokens && result.userId && result.status >= 200 && result.status < 300) {
        await notifyTokens(onTokens, result.userId)
      }
      sendRelayAnswer(res, result.status, result.headers, result.body)
    }

    return (req, res) => {
      if (req.method !== 'POST') {
        const body = relayError('invalid_request', 'the relay serves POST …/token and POST …/revoke')
        sendRelayAnswer(res, 405, { ...relayHeaders(), Allow: 'POST' }, body)
        req.resume()
        return
      }
      // A body parser that ran first (express.raw) left the bytes; one that parsed them into
      // an object cannot give the exact form back.
      if (Buffer.isBuffer(req.body)) {
        answer(req, res, req.body.subarray(0, limit))
        return
      }
      if (req.readableEnded) {
        const body = relayError('server_error', 'the relay needs the raw body: mount it before any body parser')
        sendRelayAnswer(res, 500, relayHeaders(), body)
        return
      }
      const chunks = []
      let size = 0
      let discarded = 0
      let done = false
      const finish = () => {
        if (done) return
        done = true
        answer(req, res, Buffer.concat(chunks, size))
      }
      req.on('data', (chunk) => {
        if (done) {
          // Past the limit: throw the rest away (bounded) so the client reads the 400 instead
          // of a reset connection.
          discarded += chunk.length
          if (discarded > RELAY_DISCARD_BYTES) req.destroy()
          return
        }
        const take = Math.min(chunk.length, limit - size)
        chunks.push(take === chunk.length ? chunk : chunk.subarray(0, take))
        size += take
        if (size >= limit) finish()
      })
      req.on('end', finish)
      req.on('error', () => {
        done = true
      })
    }
  }

  toString() {
    return `TokenRelay(environment ${this.#description.environment}, client ${this.#description.clientId}, secret redacted)`
  }

  toJSON() {
    return { ...this.#description, clientSecret: REDACTED }
  }

  [util.inspect.custom](depth, options, inspect) {
    return inspectAs('TokenRelay', this.toJSON(), depth, options, inspect)
  }
}

// ---------------------------------------------------------------------------------------------
// Webhooks

function parseWebhook(body) {
  let bytes
  if (typeof body === 'string') bytes = Buffer.from(body, 'utf8')
  else bytes = toBuffer(body)
  if (!bytes && isPlainObject(body)) bytes = Buffer.from(JSON.stringify(body), 'utf8')
  if (!bytes) throw invalidInput(`parseWebhook: body must be a string, a Buffer or a parsed JSON object, got ${kindOf(body)}`)
  return callSync(() => native.parseWebhook(bytes))
}

// ---------------------------------------------------------------------------------------------
// Planned workouts as device files

/** The core's export of `plan` (a PlannedWorkout object) as `format`, zones optional. */
function exportWorkout(where, plan, zones, format) {
  if (!isPlainObject(plan)) throw invalidInput(`${where}: plan must be a planned workout object, got ${kindOf(plan)}`)
  if (zones !== undefined && zones !== null && !isPlainObject(zones)) {
    throw invalidInput(`${where}: zones must be the intensityZones() object or null, got ${kindOf(zones)}`)
  }
  return callSync(() => native.exportWorkout(plan, zones ?? null, format))
}

function toFitWorkout(plan, zones) {
  return exportWorkout('toFitWorkout', plan, zones, 'fit')
}

function toZwo(plan, zones) {
  return exportWorkout('toZwo', plan, zones, 'zwo').toString('utf8')
}

function toErg(plan, zones) {
  return exportWorkout('toErg', plan, zones, 'erg').toString('utf8')
}

function toMrc(plan, zones) {
  return exportWorkout('toMrc', plan, zones, 'mrc').toString('utf8')
}

// ---------------------------------------------------------------------------------------------
// The models' helpers (models are plain objects: package functions, each the core's method)

function checkPlan(where, plan) {
  if (!isPlainObject(plan)) throw invalidInput(`${where}: plan must be a planned workout object, got ${kindOf(plan)}`)
}

function checkZones(where, zones, required) {
  if (zones == null && !required) return null
  if (!isPlainObject(zones)) {
    throw invalidInput(`${where}: zones must be the intensityZones() object${required ? '' : ' or null'}, got ${kindOf(zones)}`)
  }
  return zones
}

/** `PlannedWorkout::timeline`: the workout as a flat list of steps (repeats expanded), targets
 * resolved to absolute bounds with `zones` when given. */
function timeline(plan, zones) {
  checkPlan('timeline', plan)
  return callSync(() => native.timeline(plan, checkZones('timeline', zones, false)))
}

/** `PlannedWorkout::timeline_checked`: `{ segments, truncated }` (truncated: the plan was too large). */
function timelineChecked(plan, zones) {
  checkPlan('timelineChecked', plan)
  return callSync(() => native.timelineChecked(plan, checkZones('timelineChecked', zones, false)))
}

/** `PlannedWorkout::is_rest_day`: nothing to do that day. */
function isRestDay(plan) {
  checkPlan('isRestDay', plan)
  return callSync(() => native.isRestDay(plan))
}

/**
 * `PlannedWorkout::local_start`: the planned start on the athlete's wall clock,
 * `{ date: 'YYYY-MM-DD', time: 'HH:MM:SS', timeZone, offset: '+01:00', instant, iso }`
 * (`instant` in UTC with `Z`, `iso` the same moment with its offset), or `null` without a start
 * time or for a time zone this system does not know.
 */
function localStart(plan) {
  checkPlan('localStart', plan)
  return callSync(() => native.localStart(plan)) ?? null
}

/** `IntensityZones::for_sport`: the user's zone table for `sport` and `metric`, or `null`. */
function forSport(zones, sport, metric) {
  checkZones('forSport', zones, true)
  expectString('forSport', 'sport', sport)
  expectString('forSport', 'metric', metric)
  return callSync(() => native.forSport(zones, sport, metric)) ?? null
}

/** `IntensityZones::resolve`: a step's `target` as absolute bounds for `sport`, or `null`. */
function resolveTarget(zones, sport, target) {
  checkZones('resolveTarget', zones, true)
  expectString('resolveTarget', 'sport', sport)
  expect(isPlainObject(target), 'resolveTarget', 'target', "a step's target object", target)
  return callSync(() => native.resolveTarget(zones, sport, target)) ?? null
}

/** The FIT pre-flight `uploadWorkout` runs: a summary of a valid activity file, or an
 * `InvalidInputError` naming the defect. */
function checkFit(bytes) {
  const buffer = toBuffer(bytes)
  if (!buffer) throw invalidInput(`checkFit: bytes must be a Buffer/Uint8Array of a FIT file, got ${kindOf(bytes)}`)
  return callSync(() => native.checkFit(buffer))
}

// ---------------------------------------------------------------------------------------------
// Calendar dates (the athlete's local dates, `YYYY-MM-DD`)

/**
 * The `Date` at LOCAL midnight of a calendar date `YYYY-MM-DD` (the core reads the text).
 * Unlike `new Date('2026-12-01')`, which is midnight UTC — the evening before west of Greenwich.
 */
function localDate(text) {
  expectString('localDate', 'date (YYYY-MM-DD)', text)
  const [year, month, day] = callSync(() => native.calendarDate(text))
  const date = new Date(year, month - 1, day)
  if (year < 100) date.setFullYear(year) // new Date(y, …) maps 0–99 to 1900–1999
  return date
}

/** The calendar date `YYYY-MM-DD` of a `Date`'s LOCAL fields (not `toISOString()`, which is UTC). */
function isoDate(date) {
  const ok = date instanceof Date && !Number.isNaN(date.getTime())
  expect(ok, 'isoDate', 'date', 'a valid Date', date)
  const pad = (n, width) => String(n).padStart(width, '0')
  const year = date.getFullYear()
  if (year < 0 || year > 9999) throw invalidInput(`isoDate: the year ${year} has no YYYY-MM-DD form`)
  return `${pad(year, 4)}-${pad(date.getMonth() + 1, 2)}-${pad(date.getDate(), 2)}`
}

/**
 * FOR THE SDK'S OWN TESTS ONLY, not part of the API: panics on purpose inside the addon's
 * wrappers every real call goes through. `_panicForTests(false)` throws, `_panicForTests(true)`
 * returns a Promise that rejects; either way with an `EnducoError` of code `internal`.
 */
function panicForTests(isAsync) {
  if (isAsync) return callAsync(() => native._panicForTests(true))
  return callSync(() => native._panicForTests(false))
}

module.exports = {
  EnducoClient,
  AuthorizationRequest,
  Session,
  TokenSet,
  MemoryTokenStore,
  FileTokenStore,
  PostgresTokenStores,
  PostgresTokenStore,
  RedisTokenStores,
  RedisTokenStore,
  RawResponse,
  TokenRelay,
  MAX_RELAY_REQUEST_BYTES,
  parseWebhook,
  toFitWorkout,
  toZwo,
  toErg,
  toMrc,
  timeline,
  timelineChecked,
  isRestDay,
  localStart,
  forSport,
  resolveTarget,
  checkFit,
  localDate,
  isoDate,
  EnducoError,
  InvalidInputError: errorClasses.invalid_input,
  AuthorizationDeniedError: errorClasses.authorization_denied,
  StateMismatchError: errorClasses.state_mismatch,
  ReauthorizationRequiredError: errorClasses.reauthorization_required,
  InsufficientScopeError: errorClasses.insufficient_scope,
  RateLimitedError: errorClasses.rate_limited,
  ServerError: errorClasses.server,
  ApiError: errorClasses.api,
  NetworkError: errorClasses.network,
  EnducoTimeoutError: errorClasses.timeout,
  TimeoutError: errorClasses.timeout,
  InvalidResponseError: errorClasses.invalid_response,
  StoreError: errorClasses.store,
  InternalError: errorClasses.internal,
}
// Hidden (not enumerable, not in the types): see panicForTests.
Object.defineProperty(module.exports, '_panicForTests', { value: panicForTests, enumerable: false })
