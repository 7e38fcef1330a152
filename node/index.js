"use strict";
// index.js and index.d.ts are generated from this file by tsc (`npm run build:ts`, config
// tsconfig.build.json); edit this file, not them. test/generated.test.mjs fails while they are
// stale.
//
// The public face of the native addon. It converts only: argument types into what the addon
// takes, the addon's errors into typed `EnducoError`s, and the user's token store into three
// functions the addon calls. Every decision (OAuth, refresh, retries, validation of values)
// lives in the Rust core.
var __createBinding = (this && this.__createBinding) || (Object.create ? (function(o, m, k, k2) {
    if (k2 === undefined) k2 = k;
    var desc = Object.getOwnPropertyDescriptor(m, k);
    if (!desc || ("get" in desc ? !m.__esModule : desc.writable || desc.configurable)) {
      desc = { enumerable: true, get: function() { return m[k]; } };
    }
    Object.defineProperty(o, k2, desc);
}) : (function(o, m, k, k2) {
    if (k2 === undefined) k2 = k;
    o[k2] = m[k];
}));
var __setModuleDefault = (this && this.__setModuleDefault) || (Object.create ? (function(o, v) {
    Object.defineProperty(o, "default", { enumerable: true, value: v });
}) : function(o, v) {
    o["default"] = v;
});
var __exportStar = (this && this.__exportStar) || function(m, exports) {
    for (var p in m) if (p !== "default" && !Object.prototype.hasOwnProperty.call(exports, p)) __createBinding(exports, m, p);
};
var __importStar = (this && this.__importStar) || (function () {
    var ownKeys = function(o) {
        ownKeys = Object.getOwnPropertyNames || function (o) {
            var ar = [];
            for (var k in o) if (Object.prototype.hasOwnProperty.call(o, k)) ar[ar.length] = k;
            return ar;
        };
        return ownKeys(o);
    };
    return function (mod) {
        if (mod && mod.__esModule) return mod;
        var result = {};
        if (mod != null) for (var k = ownKeys(mod), i = 0; i < k.length; i++) if (k[i] !== "default") __createBinding(result, mod, k[i]);
        __setModuleDefault(result, mod);
        return result;
    };
})();
Object.defineProperty(exports, "__esModule", { value: true });
exports.TokenRelay = exports.MAX_RELAY_REQUEST_BYTES = exports.Session = exports.RawResponse = exports.EnducoClient = exports.AuthorizationRequest = exports.RedisTokenStores = exports.PostgresTokenStores = exports.RedisTokenStore = exports.PostgresTokenStore = exports.FileTokenStore = exports.MemoryTokenStore = exports.TokenSet = void 0;
exports.parseWebhook = parseWebhook;
exports.toFitWorkout = toFitWorkout;
exports.toZwo = toZwo;
exports.toErg = toErg;
exports.toMrc = toMrc;
exports.timeline = timeline;
exports.timelineChecked = timelineChecked;
exports.isRestDay = isRestDay;
exports.localStart = localStart;
exports.forSport = forSport;
exports.resolveTarget = resolveTarget;
exports.checkFit = checkFit;
exports.localDate = localDate;
exports.isoDate = isoDate;
const fs = require("node:fs");
const util = require("node:util");
/** The addon's loader (`native.js`, made by `napi build`) and the addon itself. */
function loadNative() {
    try {
        return require('./native.js');
    }
    catch (error) {
        const e = error;
        const missing = e && (e.code === 'MODULE_NOT_FOUND' || /Cannot find native binding|\.node/.test(String(e.message)));
        if (!missing)
            throw error;
        const explained = new Error('enduco: the native addon is not built in ' + __dirname + ' (native.js or enduco.<platform>.node is missing). ' +
            "Either install the prebuilt package from npm ('npm install enduco', which brings enduco-<platform> with the addon), " +
            "or build it from this source folder: 'npm ci && npm run build' in " + __dirname + ' (needs Rust/cargo). ' +
            'See README.md, "Installing from source".', { cause: error });
        explained.code = 'ENDUCO_ADDON_MISSING';
        throw explained;
    }
}
const native = loadNative();
const ERROR_MARKER = '\u0001enduco-error:';
const INTERNAL = Symbol('enduco.internal');
/** wrapper object → native object (of the matching class in native.d.ts) */
const NATIVE = new WeakMap();
/** `new cls(...args)` for the classes whose constructor is private to users (they get their
 * instances from the API, which passes `INTERNAL`). */
function construct(cls, ...args) {
    return new cls(...args);
}
// ---------------------------------------------------------------------------------------------
// Errors
// The error classes are generated from the core's table of error cases (lib/errors.ts).
__exportStar(require("./errors"), exports);
const errors = __importStar(require("./errors"));
const errors_1 = require("./errors");
/** code → class: each generated class's constructor names its code. */
const ERROR_CLASSES = new Map();
for (const value of Object.values(errors)) {
    if (typeof value === 'function' && value.prototype instanceof errors_1.EnducoError) {
        const cls = value;
        ERROR_CLASSES.set(new cls('').code, cls);
    }
}
/** Thrown values of failed store calls, by id, until the error that names them is built. */
const storeCauses = new Map();
let nextCauseId = 1;
const MAX_KEPT_CAUSES = 256;
function keepCause(value) {
    const id = nextCauseId;
    nextCauseId = nextCauseId >= 0x7fffffff ? 1 : nextCauseId + 1;
    storeCauses.set(id, value);
    if (storeCauses.size > MAX_KEPT_CAUSES)
        storeCauses.delete(storeCauses.keys().next().value);
    return id;
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
]);
/** The addon's rejection → the typed error; anything else passes through unchanged. */
function convertError(error) {
    if (error instanceof errors_1.EnducoError)
        return error;
    const message = error instanceof Error ? error.message : undefined;
    if (typeof message === 'string' && message.startsWith(ERROR_MARKER)) {
        let payload;
        try {
            payload = JSON.parse(message.slice(ERROR_MARKER.length));
        }
        catch {
            return error;
        }
        const cls = ERROR_CLASSES.get(payload.code);
        if (!cls)
            return new errors_1.EnducoError(String(payload.code), String(payload.message));
        const { code: _code, message: _message, causeId: _causeId, ...details } = payload;
        const options = payload.causeId != null && storeCauses.has(payload.causeId)
            ? { cause: storeCauses.get(payload.causeId) }
            : undefined;
        return new cls(payload.message, details, options);
    }
    if (error instanceof Error && NAPI_ARGUMENT_STATUSES.has(error.code)) {
        return new errors_1.InvalidInputError(`invalid input: ${message}`);
    }
    return error;
}
function invalidInput(message) {
    return new errors_1.InvalidInputError(`invalid input: ${message}`);
}
function callSync(fn) {
    try {
        return fn();
    }
    catch (error) {
        throw convertError(error);
    }
}
async function callAsync(fn) {
    try {
        return await fn();
    }
    catch (error) {
        throw convertError(error);
    }
}
// ---------------------------------------------------------------------------------------------
// Argument checks (types only; values are the core's business)
/** What a value of the wrong type is, for messages: `undefined`, `null`, `a string`, `an array`, … */
function kindOf(value) {
    if (value === null)
        return 'null';
    if (value === undefined)
        return 'undefined';
    if (Array.isArray(value))
        return 'an array';
    if (Buffer.isBuffer(value))
        return 'a Buffer';
    if (value instanceof Date)
        return 'a Date';
    if (typeof value === 'object')
        return 'an object';
    return `a ${typeof value}`; // string, number, boolean, bigint, symbol, function
}
function expect(ok, where, name, wanted, value, hint = '') {
    if (!ok)
        throw invalidInput(`${where}: ${name} must be ${wanted}, got ${kindOf(value)}${hint}`);
}
function expectString(where, name, value) {
    expect(typeof value === 'string', where, name, 'a string', value);
}
function optional(value, check) {
    if (value !== undefined && value !== null)
        check(value);
}
function isPlainObject(value) {
    return typeof value === 'object' && value !== null && !Array.isArray(value);
}
function toBuffer(value) {
    if (Buffer.isBuffer(value))
        return value;
    if (ArrayBuffer.isView(value))
        return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    if (value instanceof ArrayBuffer)
        return Buffer.from(value);
    return undefined;
}
/** The `signal` of a call's options, checked (an AbortSignal, or absent). */
function signalOf(where, options) {
    const signal = options?.signal;
    if (signal == null)
        return undefined;
    const ok = typeof signal === 'object' && typeof signal.aborted === 'boolean' && typeof signal.addEventListener === 'function';
    expect(ok, where, 'options.signal', 'an AbortSignal', signal);
    return signal;
}
/** What an aborted call rejects with: a DOMException named `AbortError`, `cause` the signal's reason. */
function abortError(signal) {
    const error = new DOMException('The operation was aborted', 'AbortError');
    Object.defineProperty(error, 'cause', { value: signal.reason, writable: true, configurable: true });
    return error;
}
/**
 * Runs `start(cancelToken)` (a native call taking the token) under `signal`: an abort cancels
 * the token, which drops the call's future inside the addon (its HTTP request with it), and
 * the call rejects with `abortError(signal)`. Without a signal, `start(undefined)`.
 */
async function abortable(signal, start) {
    if (!signal)
        return start(undefined);
    if (signal.aborted)
        throw abortError(signal);
    const token = new native.NativeCancelToken();
    const onAbort = () => token.cancel();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
        return await start(token);
    }
    catch (error) {
        if (signal.aborted)
            throw abortError(signal);
        throw error;
    }
    finally {
        signal.removeEventListener('abort', onAbort);
    }
}
/** An options argument that may only carry `signal` (for calls without other options). */
function signalOnly(where, options) {
    optional(options, (v) => expect(isPlainObject(v), where, 'options', 'an object', v));
    return signalOf(where, options);
}
// ---------------------------------------------------------------------------------------------
// Tokens
const REDACTED = '[redacted]';
/** What `util.inspect` shows of an object that shows `shown` (a redacted view) under `name`. */
function inspectAs(name, shown, depth, options, inspect) {
    if (depth < 0)
        return options.stylize(`[${name}]`, 'special');
    return `${name} ${inspect(shown, { ...options, depth: options.depth === null ? null : options.depth - 1 })}`;
}
/** Whether `value` (an object or its JSON text) is the redacted form `TokenSet.toJSON()` gives. */
function isRedactedTokens(value) {
    let object = value;
    if (typeof value === 'string') {
        try {
            object = JSON.parse(value);
        }
        catch {
            return false;
        }
    }
    return isPlainObject(object) && object.accessToken === REDACTED && !('access_token' in object);
}
const REDACTED_TOKENS_HINT = 'the redacted form JSON.stringify(tokens) / tokens.toJSON() give (no token values); ' +
    'store tokens.toStorageJSON() (or its JSON text) instead';
/**
 * One user's grant. `util.inspect`/`console.log`, `toString()` and `JSON.stringify(tokens)`
 * (`toJSON()`) never show a token value; the storage form, with the tokens, comes only from
 * {@link toStorageJSON}.
 */
class TokenSet {
    constructor(key, nativeTokens) {
        if (key !== INTERNAL) {
            throw new TypeError('TokenSet has no public constructor: use TokenSet.fromJSON()');
        }
        NATIVE.set(this, nativeTokens);
    }
    /** Reads the storage form {@link toStorageJSON} gave (the object or its JSON text).
     * @throws {InvalidInputError} when it is not a token set (the message names no value), or
     * is the redacted `JSON.stringify(tokens)` form. */
    static fromJSON(value) {
        let text;
        if (typeof value === 'string')
            text = value;
        else if (isPlainObject(value))
            text = JSON.stringify(value);
        else
            throw invalidInput(`TokenSet.fromJSON: expected a JSON string or object, got ${kindOf(value)}`);
        if (isRedactedTokens(text))
            throw invalidInput(`TokenSet.fromJSON: this is ${REDACTED_TOKENS_HINT}`);
        return wrapTokens(callSync(() => native.NativeTokenSet.fromJSONString(text)));
    }
    get accessToken() {
        return callSync(() => NATIVE.get(this).accessToken);
    }
    get refreshToken() {
        return callSync(() => NATIVE.get(this).refreshToken);
    }
    /** Expiry of the access token, unix seconds. */
    get expiresAt() {
        return callSync(() => NATIVE.get(this).expiresAt);
    }
    /** The scopes enduco granted (may be fewer than requested). */
    get scopes() {
        return callSync(() => NATIVE.get(this).scopes);
    }
    get tokenType() {
        return callSync(() => NATIVE.get(this).tokenType);
    }
    get schemaVersion() {
        return callSync(() => NATIVE.get(this).schemaVersion);
    }
    /** enduco's user id (the access token's `sub`), when the token carries one. */
    get userId() {
        return callSync(() => NATIVE.get(this).userId) ?? null;
    }
    /** Whether the grant includes `scope`. @throws {InvalidInputError} for an unknown scope name. */
    hasScope(scope) {
        expectString('TokenSet.hasScope', 'scope', scope);
        return callSync(() => NATIVE.get(this).hasScope(scope));
    }
    /** The storage form, shared by every enduco SDK: what your store saves. It contains both
     * tokens: store it like a password, never log it. */
    toStorageJSON() {
        return JSON.parse(callSync(() => NATIVE.get(this).toJSONString()));
    }
    /** The redacted form `JSON.stringify` uses: expiry, scopes, user id, no token values. */
    toJSON() {
        return {
            userId: this.userId,
            expiresAt: this.expiresAt,
            scopes: this.scopes,
            tokenType: this.tokenType,
            accessToken: REDACTED,
            refreshToken: this.refreshToken === null ? null : REDACTED,
        };
    }
    /** A redacted description. */
    toString() {
        return `TokenSet(user ${this.userId ?? 'unknown'}, expires at ${this.expiresAt}, tokens redacted)`;
    }
    /** @internal */
    [util.inspect.custom](depth, options, inspect) {
        return inspectAs('TokenSet', this.toJSON(), depth, options, inspect);
    }
}
exports.TokenSet = TokenSet;
/** The addon's tokens as a `TokenSet`; `null` for none (callers whose native call always has
 * tokens assert that with `!`). */
function wrapTokens(nativeTokens) {
    return nativeTokens == null ? null : construct(TokenSet, INTERNAL, nativeTokens);
}
function unwrapTokens(where, tokens) {
    const nativeTokens = tokens instanceof TokenSet ? NATIVE.get(tokens) : undefined;
    if (!nativeTokens)
        throw invalidInput(`${where}: tokens must be a TokenSet, got ${kindOf(tokens)}`);
    return nativeTokens;
}
/**
 * What every store the core implements has (memory, file, and one user's store in PostgreSQL or
 * Redis): a native store behind it, whose handle sessions take as is (no JS round trip), and
 * `load`/`save`/`clear` for the app's own use. Not exported: each public class extends it.
 */
class CoreTokenStore {
    constructor(nativeStore) {
        NATIVE.set(this, nativeStore);
    }
    load() {
        return callAsync(async () => wrapTokens(await NATIVE.get(this).load()));
    }
    save(tokens) {
        return callAsync(async () => {
            await NATIVE.get(this).save(unwrapTokens(`${this.constructor.name}.save`, tokens));
        });
    }
    clear() {
        return callAsync(async () => {
            await NATIVE.get(this).clear();
        });
    }
}
/** Tokens in memory only: for tests, and for backends that persist elsewhere. Its refresh lock
 * covers every session built on the same store object, within this process. */
class MemoryTokenStore extends CoreTokenStore {
    constructor(tokens) {
        const initial = tokens == null ? undefined : unwrapTokens('new MemoryTokenStore', tokens);
        super(callSync(() => new native.NativeMemoryTokenStore(initial)));
    }
}
exports.MemoryTokenStore = MemoryTokenStore;
/** Tokens in a JSON file (the storage form), replaced atomically, mode 0600. Processes sharing
 * the file share its refresh lock (an OS lock on `<path>.lock`, released by the OS when a
 * holder dies). */
class FileTokenStore extends CoreTokenStore {
    constructor(path) {
        expectString('new FileTokenStore', 'path', path);
        super(callSync(() => new native.NativeFileTokenStore(path)));
    }
    get path() {
        return callSync(() => NATIVE.get(this).path);
    }
    /** @internal */
    [util.inspect.custom]() {
        return `FileTokenStore { path: ${util.inspect(this.path)} }`;
    }
}
exports.FileTokenStore = FileTokenStore;
// The server stores: one pool (PostgreSQL) or connection (Redis) per app, a store per user.
// Their per-user stores are the core's own: sessions call them without a JS round trip. The
// connection URL goes straight to the addon and is not kept here: nothing can print it.
/** How a server store set shows itself: never its URL (it may hold a password). */
function describeServerStores(name, fields) {
    const shown = Object.entries(fields).map(([k, v]) => `${k}: ${util.inspect(v)}`);
    return `${name} { ${[...shown, 'url: [redacted]'].join(', ')} }`;
}
/** One user's store in a server store set. Not exported: the public classes extend it. */
class ServerTokenStore extends CoreTokenStore {
    constructor(key, nativeStore) {
        if (key !== INTERNAL)
            throw new TypeError(`${new.target.name} has no public constructor: use stores.forUser(key)`);
        super(nativeStore);
    }
    /** The user key it was made for. */
    get key() {
        return callSync(() => NATIVE.get(this).key);
    }
    toJSON() {
        return { key: this.key };
    }
    toString() {
        return `${this.constructor.name}(${this.key})`;
    }
    /** @internal */
    [util.inspect.custom]() {
        return `${this.constructor.name} { key: ${util.inspect(this.key)} }`;
    }
}
/** One user's tokens in PostgreSQL, from {@link PostgresTokenStores.forUser}. Sessions use it
 * directly (no JavaScript in between), with its refresh lock across processes and hosts. Every
 * failure is a {@link StoreError}. */
class PostgresTokenStore extends ServerTokenStore {
    // Rest parameters, as a derived class's default constructor has (`length` stays 0).
    constructor(...args) {
        super(...args);
    }
}
exports.PostgresTokenStore = PostgresTokenStore;
/** One user's tokens in Redis, from {@link RedisTokenStores.forUser}. Sessions use it directly
 * (no JavaScript in between), with its refresh lock across processes and hosts. Every failure
 * is a {@link StoreError}. */
class RedisTokenStore extends ServerTokenStore {
    constructor(...args) {
        super(...args);
    }
}
exports.RedisTokenStore = RedisTokenStore;
// Private state lives in WeakMaps rather than `#fields`: a `#field` puts `#private` into the
// generated declarations, a member the classes never had for their users.
/** server store set → the class of its per-user stores */
const USER_STORE_CLASSES = new WeakMap();
/** What PostgresTokenStores and RedisTokenStores share: the app's pool or connection, and a
 * store per user (of the class `UserStore`). Not exported. */
class ServerTokenStores {
    constructor(nativeStores, UserStore) {
        NATIVE.set(this, nativeStores);
        USER_STORE_CLASSES.set(this, UserStore);
    }
    /** Creates what the server needs. PostgreSQL: the tables `enduco_tokens` and
     * `enduco_token_locks` if they do not exist; idempotent, safe when several processes run it
     * at once (run it once at deploy); rejects with a {@link StoreError} when the database cannot
     * be reached. Redis: nothing to create, resolves at once (there so both are used alike). */
    migrate() {
        return callAsync(async () => {
            await NATIVE.get(this).migrate();
        });
    }
    /** The store of one user, under a key your app chooses (its own user id, say). Stores of
     * the same key share the stored tokens, whichever process made them. */
    forUser(key) {
        expectString(`${this.constructor.name}.forUser`, 'key', key);
        return construct(USER_STORE_CLASSES.get(this), INTERNAL, callSync(() => NATIVE.get(this).forUser(key)));
    }
}
/**
 * Tokens in PostgreSQL, for backends with many users, workers and hosts: one pool per app
 * (16 connections, opened on first use), shared by every user's store. Create it once at
 * start-up and call {@link PostgresTokenStores.forUser} per user; run
 * {@link PostgresTokenStores.migrate} once at deploy. The refresh lock is a row per user with a
 * lease in `enduco_token_locks`, so workers on any host refresh each grant once.
 *
 * Token values at rest are as sensitive as passwords: restrict who can read `enduco_tokens`,
 * encrypt the database's storage and backups. `util.inspect`, `String()` and `JSON.stringify`
 * never show the URL (it may hold a password).
 */
class PostgresTokenStores extends ServerTokenStores {
    /** `postgres://user:password@host:port/db` (or libpq's `key=value` form). Makes no
     * connection.
     * @throws {InvalidInputError} when `url` is not a PostgreSQL connection string. */
    constructor(url) {
        expectString('new PostgresTokenStores', 'url', url);
        super(callSync(() => new native.NativePostgresTokenStores(url)), PostgresTokenStore);
    }
    toJSON() {
        return { type: 'PostgresTokenStores', url: '[redacted]' };
    }
    toString() {
        return 'PostgresTokenStores { url: [redacted] }';
    }
    /** @internal */
    [util.inspect.custom]() {
        return describeServerStores('PostgresTokenStores', {});
    }
}
exports.PostgresTokenStores = PostgresTokenStores;
/**
 * Tokens in Redis, for backends with many users, workers and hosts: one multiplexed,
 * reconnecting connection per app, shared by every user's store. Keys are
 * `<prefix>tokens:<key>` and `<prefix>lock:<key>`; the refresh lock is `SET NX PX` with a
 * release that deletes only the owner's lock.
 *
 * Token values at rest are as sensitive as passwords: protect the server (an ACL user for the
 * app, no public port, TLS or a private network between app and server) and its persistence
 * files. `util.inspect`, `String()` and `JSON.stringify` never show the URL (it may hold a
 * password).
 */
class RedisTokenStores extends ServerTokenStores {
    /** `redis://[user:password@]host:port[/db]`. Makes no connection. (`rediss://`, Redis over
     * TLS, is refused with `invalid_input` by this build: its Redis client has no TLS support.)
     * @throws {InvalidInputError} when `url` is not a Redis URL. */
    constructor(url, options) {
        const where = 'new RedisTokenStores';
        expectString(where, 'url', url);
        optional(options, (v) => expect(isPlainObject(v), where, 'options', 'an object', v));
        const prefix = options?.prefix;
        optional(prefix, (v) => expectString(where, 'options.prefix', v));
        super(callSync(() => new native.NativeRedisTokenStores(url, prefix ?? undefined)), RedisTokenStore);
    }
    /** The prefix of every key. */
    get prefix() {
        return callSync(() => NATIVE.get(this).prefix);
    }
    toJSON() {
        return { type: 'RedisTokenStores', prefix: this.prefix, url: '[redacted]' };
    }
    toString() {
        return `RedisTokenStores { prefix: ${JSON.stringify(this.prefix)}, url: [redacted] }`;
    }
    /** @internal */
    [util.inspect.custom]() {
        return describeServerStores('RedisTokenStores', { prefix: this.prefix });
    }
}
exports.RedisTokenStores = RedisTokenStores;
function describeThrown(value) {
    if (value instanceof Error)
        return `${value.name}: ${value.message}`;
    if (typeof value === 'string')
        return value;
    return Object.prototype.toString.call(value);
}
/** Runs one store method; resolves with `{value}` or the failure the addon turns into `store`. */
async function settle(run) {
    let pending;
    try {
        pending = run();
    }
    catch (error) {
        return { error: `threw ${describeThrown(error)}`, causeId: keepCause(error) };
    }
    try {
        return { value: await pending };
    }
    catch (error) {
        return { error: `rejected with ${describeThrown(error)}`, causeId: keepCause(error) };
    }
}
/** The storage JSON text of what a store's `load()` returned. */
function storedText(value) {
    if (value instanceof TokenSet)
        return callSync(() => NATIVE.get(value).toJSONString());
    if (typeof value === 'string')
        return value;
    if (isPlainObject(value))
        return JSON.stringify(value);
    return undefined;
}
/** One native store handle per user store object. */
const callbackHandles = new WeakMap();
/** The optional refresh-lock methods of a user store: both, or neither. */
function lockMethods(where, store) {
    const hasTryLock = typeof store.tryLock === 'function';
    const hasUnlock = typeof store.unlock === 'function';
    if (hasTryLock !== hasUnlock) {
        const [has, lacks] = hasTryLock ? ['tryLock(owner, leaseMs)', 'unlock(owner)'] : ['unlock(owner)', 'tryLock(owner, leaseMs)'];
        throw invalidInput(`${where}: store has ${has} but no ${lacks}; the refresh lock needs both (or neither, for a store one process uses)`);
    }
    return hasTryLock;
}
function storeHandle(where, store) {
    if (store instanceof CoreTokenStore) {
        return callSync(() => NATIVE.get(store).handle());
    }
    const isStore = typeof store === 'object' &&
        store !== null &&
        typeof store.load === 'function' &&
        typeof store.save === 'function' &&
        typeof store.clear === 'function';
    if (!isStore) {
        throw invalidInput(`${where}: store must be an object with load(), save(tokens) and clear() methods, got ${kindOf(store)}`);
    }
    const user = store;
    const locking = lockMethods(where, user);
    let handle = callbackHandles.get(user);
    if (!handle) {
        // The addon calls these and awaits their promises; none of them ever rejects. A store
        // promise that never settles is left behind when the core's store timeout fires.
        const created = native.createCallbackStore;
        handle = callSync(() => created(async () => {
            const outcome = await settle(() => user.load());
            if (outcome.error !== undefined)
                return outcome;
            if (outcome.value == null)
                return {};
            if (isRedactedTokens(outcome.value))
                return { error: `resolved with ${REDACTED_TOKENS_HINT}` };
            const tokens = storedText(outcome.value);
            if (tokens === undefined) {
                return { error: `resolved with ${kindOf(outcome.value)}, not a TokenSet, its storage form (toStorageJSON()) or null` };
            }
            return { tokens };
        }, async (nativeTokens) => {
            const outcome = await settle(() => user.save(wrapTokens(nativeTokens)));
            return outcome.error ? outcome : {};
        }, async () => {
            const outcome = await settle(() => user.clear());
            return outcome.error ? outcome : {};
        }, locking
            ? async ({ owner, leaseMs }) => {
                const outcome = await settle(() => user.tryLock(owner, Math.ceil(leaseMs)));
                if (outcome.error !== undefined)
                    return outcome;
                if (typeof outcome.value !== 'boolean') {
                    return { error: `resolved with ${kindOf(outcome.value)}, not a boolean` };
                }
                return { locked: outcome.value };
            }
            : undefined, locking
            ? async ({ owner }) => {
                const outcome = await settle(() => user.unlock(owner));
                return outcome.error ? outcome : {};
            }
            : undefined));
        callbackHandles.set(user, handle);
    }
    return handle;
}
/** The type of each optional option's value, checked here so that a wrong one is named in
 * JavaScript's terms; typed against the core's options, so an option the core adds fails the
 * build until it is listed. */
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
};
/** The options the addon takes, type-checked: `required` strings, then the `optional` names
 * of {@link OPTION_TYPES} that are set, and `endpoints`. Values are the core's business. */
function checkedOptions(where, options, required, names) {
    expect(isPlainObject(options), where, 'options', 'an object', options);
    const converted = {};
    for (const name of required) {
        expectString(where, `options.${name}`, options[name]);
        converted[name] = options[name];
    }
    for (const name of names) {
        const value = options[name];
        const type = OPTION_TYPES[name];
        optional(value, (v) => expect(typeof v === type, where, `options.${name}`, `a ${type}`, v));
        if (value != null)
            converted[name] = value;
    }
    optional(options.endpoints, (endpoints) => {
        expect(isPlainObject(endpoints), where, 'options.endpoints', 'an object of paths', endpoints);
        for (const [name, path] of Object.entries(endpoints)) {
            expectString(where, `options.endpoints.${name}`, path);
        }
        converted.endpoints = { ...endpoints };
    });
    return converted;
}
// No clientSecret in relay mode (tokenRelayUrl instead): the core checks it has one of them.
function clientOptions(options) {
    return checkedOptions('new EnducoClient', options, ['clientId', 'redirectUri'], Object.keys(OPTION_TYPES));
}
/** The PKCE verifiers of started authorizations, out of sight of enumeration and JSON. */
const VERIFIERS = new WeakMap();
/**
 * A started authorization: keep it (in memory, or through {@link toStorageJSON} in your
 * server-side session store) until the redirect arrives, then hand it to
 * `completeAuthorization`.
 *
 * `codeVerifier` is a secret (whoever holds it and the code can finish the login): it is a
 * getter, not an own property, so `JSON.stringify(req)`, `{ ...req }` and `console.log(req)`
 * leave it out (`util.inspect` shows it as `[redacted]`).
 */
class AuthorizationRequest {
    /** Open this in the user's browser. */
    url;
    /** The CSRF token enduco echoes back in the callback. */
    state;
    redirectUri;
    scopes;
    /** `saved`: the core's storage form (`AuthorizationRequest::to_json`), parsed. */
    constructor(key, saved) {
        if (key !== INTERNAL)
            throw new TypeError('AuthorizationRequest has no public constructor: use client.authorizationRequest()');
        this.url = saved.url;
        this.state = saved.state;
        this.redirectUri = saved.redirect_uri;
        this.scopes = saved.scopes;
        VERIFIERS.set(this, saved.code_verifier ?? null);
    }
    /** Reads a kept authorization back: what {@link toStorageJSON} gave (the object or its JSON
     * text), or the storage form the other enduco SDKs write (snake_case with `schema_version`).
     * @throws {InvalidInputError} for anything else, the redacted `JSON.stringify(req)` included. */
    static fromJSON(value) {
        const where = 'AuthorizationRequest.fromJSON';
        let object = value;
        if (typeof value === 'string') {
            try {
                object = JSON.parse(value);
            }
            catch {
                throw invalidInput(`${where}: the text is not JSON`);
            }
        }
        if (!isPlainObject(object))
            throw invalidInput(`${where}: expected the object toStorageJSON() gave or its JSON text, got ${kindOf(value)}`);
        if (!('schema_version' in object) && !('codeVerifier' in object)) {
            throw invalidInput(`${where}: this has no codeVerifier: JSON.stringify(req) leaves the PKCE verifier out; keep req.toStorageJSON() instead`);
        }
        // Node's storage form (camelCase) → the core's (snake_case, schema 1); the core's as is.
        const saved = 'schema_version' in object
            ? object
            : {
                schema_version: 1,
                url: object.url,
                state: object.state,
                code_verifier: object.codeVerifier ?? null,
                redirect_uri: object.redirectUri,
                scopes: object.scopes,
            };
        return construct(AuthorizationRequest, INTERNAL, JSON.parse(callSync(() => native.authorizationRequestFromJson(JSON.stringify(saved)))));
    }
    /** The PKCE verifier; `null` when PKCE is switched off. */
    get codeVerifier() {
        return VERIFIERS.get(this) ?? null;
    }
    /** The whole request, verifier included, as a plain object `completeAuthorization` accepts:
     * for a server-side session store only (never a cookie, a URL or a log). */
    toStorageJSON() {
        return {
            url: this.url,
            state: this.state,
            codeVerifier: this.codeVerifier,
            redirectUri: this.redirectUri,
            scopes: [...this.scopes],
        };
    }
    /** @internal */
    [util.inspect.custom](depth, options, inspect) {
        const shown = { ...this, codeVerifier: this.codeVerifier === null ? null : REDACTED };
        return inspectAs('AuthorizationRequest', shown, depth, options, inspect);
    }
}
exports.AuthorizationRequest = AuthorizationRequest;
/** The entry point: one per app. Holds the configuration and one HTTP connection pool. */
class EnducoClient {
    /** Checks the options and builds the HTTP client; makes no request.
     * @throws {InvalidInputError} on unusable options. */
    constructor(options) {
        const converted = clientOptions(options);
        NATIVE.set(this, callSync(() => new native.NativeClient(converted)));
    }
    /** Starts an authorization: a URL with a fresh `state` and (unless switched off) a PKCE
     * S256 challenge. Makes no request.
     * @throws {InvalidInputError} on no or unknown scopes. */
    authorizationRequest(scopes) {
        const where = 'authorizationRequest';
        expect(Array.isArray(scopes), where, 'scopes', 'an array of scope names', scopes);
        scopes.forEach((scope, i) => expectString(where, `scopes[${i}]`, scope));
        const saved = callSync(() => NATIVE.get(this).authorizationRequest([...scopes]));
        return construct(AuthorizationRequest, INTERNAL, JSON.parse(saved));
    }
    /** Finishes an authorization from the URL enduco redirected the browser to: checks the
     * state (constant time), turns `error=` into a typed error, exchanges the code.
     * Rejects with `state_mismatch`, `authorization_denied`, `api`, … */
    completeAuthorization(request, callbackUrl, options) {
        return callAsync(async () => {
            const where = 'completeAuthorization';
            const signal = signalOnly(where, options);
            expect(isPlainObject(request), where, 'request', 'the object authorizationRequest() returned', request);
            expectString(where, 'request.state', request.state);
            expectString(where, 'callbackUrl', callbackUrl);
            // The core reads the rest (`codeVerifier` is a getter on an AuthorizationRequest, so it
            // is named) and takes what is missing from the client.
            const { url, state, codeVerifier, redirectUri, scopes } = request;
            const kept = JSON.stringify({ url, state, codeVerifier, redirectUri, scopes });
            return wrapTokens(await abortable(signal, (cancel) => NATIVE.get(this).completeAuthorization(kept, callbackUrl, cancel)));
        });
    }
    /** Exchanges a code your backend received itself; pass the request's PKCE verifier. */
    exchangeCode(code, codeVerifier, options) {
        return callAsync(async () => {
            expectString('exchangeCode', 'code', code);
            optional(codeVerifier, (v) => expectString('exchangeCode', 'codeVerifier', v));
            const signal = signalOnly('exchangeCode', options);
            return wrapTokens(await abortable(signal, (cancel) => NATIVE.get(this).exchangeCode(code, codeVerifier ?? undefined, cancel)));
        });
    }
    /** A session for the user whose tokens `store` holds. Nothing is loaded until the first
     * call. */
    session(store) {
        const handle = storeHandle('session', store);
        return construct(Session, INTERNAL, callSync(() => NATIVE.get(this).session(handle)));
    }
    /** Saves `tokens` into `store`, then returns the user's session. */
    connect(store, tokens) {
        return callAsync(async () => {
            const handle = storeHandle('connect', store);
            const nativeTokens = unwrapTokens('connect', tokens);
            return construct(Session, INTERNAL, await NATIVE.get(this).connect(handle, nativeTokens));
        });
    }
    /** Same as the module's {@link parseWebhook}. */
    parseWebhook(body) {
        return parseWebhook(body);
    }
    /**
     * Acts on a deregistration webhook, but only once enduco confirms it: anyone can POST to a
     * webhook URL, so the event alone proves nothing. Refreshes the user's grant through `store`:
     * - enduco answers `reauthorization_required` (the user really left): the store is cleared
     *   and the promise resolves with the user id;
     * - the refresh works (a forged or stale event): nothing is cleared, the SDK logs a warning,
     *   and it resolves with `null` (log it yourself too);
     * - the refresh fails otherwise (network, store): it rejects with that error; answer the
     *   webhook with a 5xx so enduco delivers it again.
     * Other events (and a `store` function answering `null` for a user the app does not know)
     * resolve with `null` without a request.
     * @param event what {@link parseWebhook} returned (or the raw body).
     * @param store the user's store, or a function of the event's user id returning it.
     */
    clearDeregisteredUser(event, store, options) {
        return callAsync(async () => {
            const where = 'clearDeregisteredUser';
            const signal = signalOnly(where, options);
            const parsed = isPlainObject(event) && typeof event.type === 'string' && !toBuffer(event) ? event : parseWebhook(event);
            if (parsed.type !== 'user.deregistered')
                return null;
            let target = store;
            if (typeof store === 'function')
                target = await store(parsed.userId);
            if (target == null)
                return null;
            const handle = storeHandle(where, target);
            return (await abortable(signal, (cancel) => NATIVE.get(this).clearDeregisteredUser(parsed, handle, cancel))) ?? null;
        });
    }
}
exports.EnducoClient = EnducoClient;
/** A successful answer of {@link Session.request} (a non-2xx answer rejects instead). */
class RawResponse {
    status;
    contentType;
    body;
    constructor(key, nativeResponse) {
        if (key !== INTERNAL)
            throw new TypeError('RawResponse has no public constructor');
        NATIVE.set(this, nativeResponse);
        this.status = callSync(() => nativeResponse.status);
        this.contentType = callSync(() => nativeResponse.contentType) ?? null;
        this.body = callSync(() => nativeResponse.body);
    }
    /** The body as UTF-8 text. */
    text() {
        return callSync(() => NATIVE.get(this).text());
    }
    /** The body parsed as JSON. @throws {InvalidResponseError} on malformed JSON. */
    json() {
        return callSync(() => NATIVE.get(this).json());
    }
}
exports.RawResponse = RawResponse;
function queryPairs(query) {
    const where = 'request';
    if (query == null)
        return undefined;
    let entries;
    if (query instanceof URLSearchParams)
        entries = [...query];
    else if (Array.isArray(query))
        entries = query;
    else if (isPlainObject(query))
        entries = Object.entries(query);
    else
        throw invalidInput(`${where}: options.query must be an object, an array of pairs or URLSearchParams, got ${kindOf(query)}`);
    return entries.map((entry, i) => {
        expect(Array.isArray(entry) && entry.length === 2, where, `options.query[${i}]`, 'a [name, value] pair', entry);
        const [name, value] = entry;
        expectString(where, `query name ${i}`, name);
        const ok = ['string', 'number', 'boolean'].includes(typeof value);
        expect(ok, where, `query value ${JSON.stringify(name)}`, 'a string, number or boolean', value);
        return [name, String(value)];
    });
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
        await fs.promises.stat(path);
    }
    catch (error) {
        const cause = error;
        if (typeof cause?.code !== 'string' || typeof cause.errno !== 'number')
            throw cause;
        throw new errors_1.InvalidInputError(`invalid input: ${where}: cannot read ${path}: ${cause.message}`, { errno: cause.errno, syscall: cause.syscall, path: cause.path ?? path }, { cause });
    }
}
/**
 * One user's connection to enduco. Tokens are refreshed ahead of expiry and once on a 401,
 * one refresh at a time however many calls are in flight, and saved through the store before
 * any caller uses them.
 */
class Session {
    constructor(key, nativeSession) {
        if (key !== INTERNAL)
            throw new TypeError('Session has no public constructor: use client.session(store)');
        NATIVE.set(this, nativeSession);
    }
    /** enduco's id for this user (the access token's `sub`). Makes no request. */
    userId() {
        return callAsync(() => NATIVE.get(this).userId());
    }
    /** The scopes the user granted. Makes no request. */
    grantedScopes() {
        return callAsync(() => NATIVE.get(this).grantedScopes());
    }
    /** The current tokens as stored (without refreshing). */
    tokens() {
        return callAsync(async () => wrapTokens(await NATIVE.get(this).tokens()));
    }
    /** The user's intensity zones per sport and metric. Needs `user_read`. */
    intensityZones(options) {
        return callAsync(() => {
            const signal = signalOnly('intensityZones', options);
            return abortable(signal, (cancel) => NATIVE.get(this).intensityZones(cancel));
        });
    }
    /** The next `days` days (1 to 7, default 7) of plans, starting today in the athlete's time
     * zone. Needs `plans_read`. */
    upcomingPlans(days = 7, options) {
        return callAsync(() => {
            expect(typeof days === 'number', 'upcomingPlans', 'days', 'a number', days);
            const signal = signalOnly('upcomingPlans', options);
            return abortable(signal, (cancel) => NATIVE.get(this).upcomingPlans(days, cancel));
        });
    }
    /** Planned workouts from `from` to `to` (inclusive, `YYYY-MM-DD`, at most 7 days).
     * Needs `plans_read`. For a `Date`, pass {@link isoDate}`(date)` (its local calendar date). */
    trainingPlans(from, to, options) {
        return callAsync(() => {
            const hint = (value) => (value instanceof Date ? ' (isoDate(date) gives the athlete\'s local date of a Date)' : '');
            expect(typeof from === 'string', 'trainingPlans', 'from (YYYY-MM-DD)', 'a string', from, hint(from));
            expect(typeof to === 'string', 'trainingPlans', 'to (YYYY-MM-DD)', 'a string', to, hint(to));
            const signal = signalOnly('trainingPlans', options);
            return abortable(signal, (cancel) => NATIVE.get(this).trainingPlans(from, to, cancel));
        });
    }
    /**
     * Uploads a finished workout: a FIT file path (streamed) or its bytes. The file is checked
     * first and nothing is sent if it is defective (`invalid_input` naming the defect). A file
     * on disk is checked again as it streams: if it changed since the check (still being
     * written, replaced) the upload is cut off, enduco stores nothing, and the call rejects with
     * `invalid_input` ("… changed while it was being uploaded …"). A file enduco already has
     * resolves with `duplicate: true`. Needs `workouts_write`. A path Node cannot stat
     * (missing: `ENOENT`) rejects before anything is sent with an {@link InvalidInputError}
     * carrying Node's `errno`, `syscall` and `path`, its `cause` Node's own system error.
     */
    uploadWorkout(source, options = {}) {
        return callAsync(async () => {
            const where = 'uploadWorkout';
            expect(isPlainObject(options), where, 'options', 'an object', options);
            const { fileName, onProgress } = options;
            const signal = signalOf(where, options);
            optional(fileName, (v) => expectString(where, 'options.fileName', v));
            optional(onProgress, (v) => expect(typeof v === 'function', where, 'options.onProgress', 'a function', v));
            let progress;
            if (onProgress != null) {
                let warned = false;
                progress = (sent, total) => {
                    try {
                        onProgress(sent, total);
                    }
                    catch (error) {
                        if (!warned) {
                            warned = true;
                            process.emitWarning(`enduco: onProgress threw (${describeThrown(error)}); the upload goes on`, {
                                code: 'ENDUCO_PROGRESS_CALLBACK',
                            });
                        }
                    }
                };
            }
            const session = NATIVE.get(this);
            if (typeof source === 'string') {
                if (signal?.aborted)
                    throw abortError(signal);
                await checkReadable(where, source);
                return abortable(signal, (cancel) => session.uploadWorkout(source, fileName ?? undefined, progress, cancel));
            }
            const bytes = toBuffer(source);
            if (!bytes) {
                throw invalidInput(`${where}: source must be a file path or a Buffer/Uint8Array of a FIT file, got ${kindOf(source)}`);
            }
            return abortable(signal, (cancel) => session.uploadWorkout(bytes, fileName ?? undefined, progress, cancel));
        });
    }
    /** Escape hatch for endpoints the typed API lacks: authentication, refresh and retries
     * applied; a non-2xx answer rejects with the typed error it means. */
    request(method, path, options = {}) {
        return callAsync(async () => {
            expectString('request', 'method', method);
            expectString('request', 'path', path);
            expect(isPlainObject(options), 'request', 'options', 'an object', options);
            const signal = signalOf('request', options);
            const query = queryPairs(options.query);
            const body = options.body === undefined ? undefined : options.body;
            return construct(RawResponse, INTERNAL, await abortable(signal, (cancel) => NATIVE.get(this).request(method, path, query, body, cancel)));
        });
    }
    /** Refreshes now and saves the new tokens. */
    refresh(options) {
        return callAsync(async () => {
            const signal = signalOnly('refresh', options);
            return wrapTokens(await abortable(signal, (cancel) => NATIVE.get(this).refresh(cancel)));
        });
    }
    /** Revokes the grant at enduco, then clears the store (use when the user disconnects). */
    revoke(options) {
        return callAsync(async () => {
            const signal = signalOnly('revoke', options);
            await abortable(signal, (cancel) => NATIVE.get(this).revoke(cancel));
        });
    }
}
exports.Session = Session;
// ---------------------------------------------------------------------------------------------
// Token relay (the server half of relay mode, docs/relay.md)
/** The largest request body a relay reads (16 KiB); its handler reads at most one byte more. */
exports.MAX_RELAY_REQUEST_BYTES = native.MAX_RELAY_REQUEST_BYTES;
/** relay → what it shows of itself (never the secret) */
const RELAY_DESCRIPTIONS = new WeakMap();
/** The most of an over-long body a handler reads and throws away before it drops the connection. */
const RELAY_DISCARD_BYTES = 1024 * 1024;
/** The client's options that concern enduco (the others are the app's). */
const RELAY_OPTIONS = ['environment', 'userAgent', 'connectTimeoutSeconds', 'requestTimeoutSeconds', 'maxRetries', 'retryDeadlineSeconds'];
/** Writes one relay answer (the core's: status, headers, body) on a `node:http` response. */
function sendRelayAnswer(res, { status, headers, body }) {
    if (res.headersSent || res.writableEnded)
        return;
    res.writeHead(status, { ...headers, 'Content-Length': String(body.length) });
    res.end(body);
}
/** Runs the `onTokens` hook; a failure is reported, never thrown: the app gets its tokens. */
async function notifyTokens(onTokens, userId) {
    try {
        await onTokens(userId);
    }
    catch (error) {
        process.emitWarning(`enduco: onTokens failed for enduco user ${userId} (${describeThrown(error)}); the answer was sent`, {
            code: 'ENDUCO_RELAY_HOOK',
        });
    }
}
/**
 * The server half of relay mode, on the backend that holds the client secret: checks each app
 * request (size, operation, form), forwards it to enduco with the client credentials and hands
 * enduco's answer back. It keeps no tokens, logs none, and never shows its secret
 * (`toString`, `JSON.stringify`, `util.inspect`). Create one per process.
 */
class TokenRelay {
    /** @throws {InvalidInputError} on unusable options (no secret, a `tokenRelayUrl`). */
    constructor(options) {
        const where = 'new TokenRelay';
        // A tokenRelayUrl goes along so that the core refuses it (a relay cannot use a relay).
        const converted = checkedOptions(where, options, ['clientId', 'clientSecret'], [...RELAY_OPTIONS, 'tokenRelayUrl']);
        NATIVE.set(this, callSync(() => new native.NativeTokenRelay(converted)));
        RELAY_DESCRIPTIONS.set(this, { environment: options.environment ?? 'beta', clientId: options.clientId });
    }
    /** One app request: `path`'s last segment names the operation (`…/token`, `…/revoke`),
     * `body` at most {@link MAX_RELAY_REQUEST_BYTES} + 1 bytes of it. A longer body, another
     * path, a non-form body, a missing or repeated parameter or another grant type is a 400 with
     * an OAuth error body, and nothing is forwarded. */
    handle(path, contentType, body) {
        return callAsync(async () => {
            const where = 'TokenRelay.handle';
            expectString(where, 'path', path);
            optional(contentType, (v) => expectString(where, 'contentType', v));
            const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : toBuffer(body ?? Buffer.alloc(0));
            if (!bytes)
                throw invalidInput(`${where}: body must be a Buffer, a Uint8Array or a string, got ${kindOf(body)}`);
            const answer = await NATIVE.get(this).handle(path, contentType ?? undefined, bytes);
            return { ...answer, userId: answer.userId ?? null };
        });
    }
    /** `http.createServer(relay.handler())`, or `app.use('/enduco/relay', relay.handler())`
     * before any body parser: serves `POST …/token` and `POST …/revoke` under any prefix,
     * reading at most {@link MAX_RELAY_REQUEST_BYTES} + 1 bytes of a body. */
    handler(options = {}) {
        const where = 'TokenRelay.handler';
        expect(isPlainObject(options), where, 'options', 'an object', options);
        const { onTokens } = options;
        optional(onTokens, (v) => expect(typeof v === 'function', where, 'options.onTokens', 'a function', v));
        const relay = this;
        const limit = exports.MAX_RELAY_REQUEST_BYTES + 1;
        const answer = async (req, res, body) => {
            let result;
            try {
                const path = String(req.url ?? '').split('?')[0];
                const contentType = typeof req.headers['content-type'] === 'string' ? req.headers['content-type'] : undefined;
                result = await relay.handle(path, contentType, body);
            }
            catch (error) {
                sendRelayAnswer(res, native.relayFailed('the relay failed; try again later'));
                process.emitWarning(`enduco: token relay failed (${describeThrown(error)})`, { code: 'ENDUCO_RELAY' });
                return;
            }
            if (onTokens && result.userId && result.status >= 200 && result.status < 300) {
                await notifyTokens(onTokens, result.userId);
            }
            sendRelayAnswer(res, result);
        };
        return (req, res) => {
            if (req.method !== 'POST') {
                sendRelayAnswer(res, native.relayMethodNotAllowed());
                req.resume();
                return;
            }
            // A body parser that ran first (express.raw) left the bytes; one that parsed them into
            // an object cannot give the exact form back.
            if (Buffer.isBuffer(req.body)) {
                answer(req, res, req.body.subarray(0, limit));
                return;
            }
            if (req.readableEnded) {
                sendRelayAnswer(res, native.relayFailed('the relay needs the raw body: mount it before any body parser'));
                return;
            }
            const chunks = [];
            let size = 0;
            let discarded = 0;
            let done = false;
            const finish = () => {
                if (done)
                    return;
                done = true;
                answer(req, res, Buffer.concat(chunks, size));
            };
            req.on('data', (chunk) => {
                if (done) {
                    // Past the limit: throw the rest away (bounded) so the client reads the 400 instead
                    // of a reset connection.
                    discarded += chunk.length;
                    if (discarded > RELAY_DISCARD_BYTES)
                        req.destroy();
                    return;
                }
                const take = Math.min(chunk.length, limit - size);
                chunks.push(take === chunk.length ? chunk : chunk.subarray(0, take));
                size += take;
                if (size >= limit)
                    finish();
            });
            req.on('end', finish);
            req.on('error', () => {
                done = true;
            });
        };
    }
    toString() {
        const { environment, clientId } = RELAY_DESCRIPTIONS.get(this);
        return `TokenRelay(environment ${environment}, client ${clientId}, secret redacted)`;
    }
    /** `{ environment, clientId, clientSecret: '[redacted]' }`. */
    toJSON() {
        return { ...RELAY_DESCRIPTIONS.get(this), clientSecret: REDACTED };
    }
    /** @internal */
    [util.inspect.custom](depth, options, inspect) {
        return inspectAs('TokenRelay', this.toJSON(), depth, options, inspect);
    }
}
exports.TokenRelay = TokenRelay;
/** Reads a webhook body enduco POSTed to your app. Never throws on content: whatever it cannot
 * read comes back as `{ type: 'unknown', raw }`. */
function parseWebhook(body) {
    let bytes;
    if (typeof body === 'string')
        bytes = Buffer.from(body, 'utf8');
    else
        bytes = toBuffer(body);
    if (!bytes && isPlainObject(body))
        bytes = Buffer.from(JSON.stringify(body), 'utf8');
    if (!bytes)
        throw invalidInput(`parseWebhook: body must be a string, a Buffer or a parsed JSON object, got ${kindOf(body)}`);
    return callSync(() => native.parseWebhook(bytes));
}
// ---------------------------------------------------------------------------------------------
// Planned workouts as device files (the core's writers; identical in every language)
/** The core's export of `plan` (a PlannedWorkout object) as `format`, zones optional. */
function exportWorkout(where, plan, zones, format) {
    checkPlan(where, plan);
    return callSync(() => native.exportWorkout(plan, checkZones(where, zones, false), format));
}
/** The workout as a FIT workout file (file type 5) for Garmin, Wahoo and Hammerhead devices:
 * repeats kept as FIT repeat steps, zone targets resolved with `zones` (else FIT zone numbers).
 * A step FIT cannot hold throws `InvalidInputError` naming the step. */
function toFitWorkout(plan, zones) {
    return exportWorkout('toFitWorkout', plan, zones, 'fit');
}
/** The workout as ZWO (Zwift workout XML), power as a fraction of the FTP in `zones`: cycling,
 * time-based, power targets only (else `InvalidInputError`). */
function toZwo(plan, zones) {
    return exportWorkout('toZwo', plan, zones, 'zwo').toString('utf8');
}
/** The workout as an ERG file: rows of minutes and watts, repeats written out. */
function toErg(plan, zones) {
    return exportWorkout('toErg', plan, zones, 'erg').toString('utf8');
}
/** The workout as an MRC file: rows of minutes and percent of the FTP in `zones`. */
function toMrc(plan, zones) {
    return exportWorkout('toMrc', plan, zones, 'mrc').toString('utf8');
}
// ---------------------------------------------------------------------------------------------
// The models' helpers (the core's methods; models are plain objects, so these are functions)
function checkPlan(where, plan) {
    if (!isPlainObject(plan))
        throw invalidInput(`${where}: plan must be a planned workout object, got ${kindOf(plan)}`);
}
function checkZones(where, zones, required) {
    if (zones == null && !required)
        return null;
    if (!isPlainObject(zones)) {
        throw invalidInput(`${where}: zones must be the intensityZones() object${required ? '' : ' or null'}, got ${kindOf(zones)}`);
    }
    return zones;
}
/** The workout as a flat list of steps as a device plays it: repeats expanded (nested too),
 * zone targets resolved to absolute bounds with `zones` (explicit bounds need none). */
function timeline(plan, zones) {
    checkPlan('timeline', plan);
    return callSync(() => native.timeline(plan, checkZones('timeline', zones, false)));
}
/** {@link timeline}, and whether it was cut short (`truncated`: a hostile or broken plan). */
function timelineChecked(plan, zones) {
    checkPlan('timelineChecked', plan);
    return callSync(() => native.timelineChecked(plan, checkZones('timelineChecked', zones, false)));
}
/** A rest day: no steps, no duration, distance or load. */
function isRestDay(plan) {
    checkPlan('isRestDay', plan);
    return callSync(() => native.isRestDay(plan));
}
/**
 * The planned start on the athlete's wall clock, DST applied, or `null` without a start time or
 * for a time zone this system's database lacks. A plain object that cannot pass for UTC: read
 * `date`/`time` for display, `iso` or `instant` for a `Date`.
 */
function localStart(plan) {
    checkPlan('localStart', plan);
    return callSync(() => native.localStart(plan)) ?? null;
}
/** The user's zone table for `sport` and `metric`, or `null`. Names as enduco sends them
 * (aliases such as `bike` too); an unknown name only matches a table that is unknown as well. */
function forSport(zones, sport, metric) {
    checkZones('forSport', zones, true);
    expectString('forSport', 'sport', sport);
    expectString('forSport', 'metric', metric);
    return callSync(() => native.forSport(zones, sport, metric)) ?? null;
}
/** A step's target as absolute bounds for `sport` (zone looked up, percentages of the
 * threshold computed), or `null` when it cannot be made absolute. */
function resolveTarget(zones, sport, target) {
    checkZones('resolveTarget', zones, true);
    expectString('resolveTarget', 'sport', sport);
    expect(isPlainObject(target), 'resolveTarget', 'target', "a step's target object", target);
    return callSync(() => native.resolveTarget(zones, sport, target)) ?? null;
}
/** The FIT pre-flight {@link Session.uploadWorkout} runs.
 * @throws {InvalidInputError} naming the defect. */
function checkFit(bytes) {
    const buffer = toBuffer(bytes);
    if (!buffer)
        throw invalidInput(`checkFit: bytes must be a Buffer/Uint8Array of a FIT file, got ${kindOf(bytes)}`);
    return callSync(() => native.checkFit(buffer));
}
// ---------------------------------------------------------------------------------------------
// Calendar dates (the athlete's local dates, `YYYY-MM-DD`)
/** The `Date` at LOCAL midnight of the athlete's calendar date `YYYY-MM-DD`. (`new
 * Date('2026-12-01')` is midnight UTC: the evening of Nov 30 west of Greenwich.)
 * @throws {InvalidInputError} for text that is not a real date. */
function localDate(date) {
    const text = date;
    expectString('localDate', 'date (YYYY-MM-DD)', text);
    const [year, month, day] = callSync(() => native.calendarDate(text));
    const local = new Date(year, month - 1, day);
    if (year < 100)
        local.setFullYear(year); // new Date(y, …) maps 0–99 to 1900–1999
    return local;
}
/** The calendar date `YYYY-MM-DD` of a `Date`'s LOCAL fields (`toISOString()` gives UTC's). */
function isoDate(date) {
    const ok = date instanceof Date && !Number.isNaN(date.getTime());
    expect(ok, 'isoDate', 'date', 'a valid Date', date);
    const pad = (n, width) => String(n).padStart(width, '0');
    const year = date.getFullYear();
    if (year < 0 || year > 9999)
        throw invalidInput(`isoDate: the year ${year} has no YYYY-MM-DD form`);
    return `${pad(year, 4)}-${pad(date.getMonth() + 1, 2)}-${pad(date.getDate(), 2)}`;
}
/**
 * FOR THE SDK'S OWN TESTS ONLY, not part of the API: panics on purpose inside the addon's
 * wrappers every real call goes through. `_panicForTests(false)` throws, `_panicForTests(true)`
 * returns a Promise that rejects; either way with an `EnducoError` of code `internal`.
 */
function panicForTests(isAsync) {
    if (isAsync)
        return callAsync(() => native._panicForTests(true));
    return callSync(() => native._panicForTests(false));
}
// tsc's CommonJS output marks `exports` with `__esModule`, which this package never had (it
// would make `import enduco from 'enduco'` in transpiled code look for a `default` export): the
// module's value is a plain copy of the exports instead.
module.exports = { ...exports };
// Hidden (not enumerable, not in the types): see panicForTests. The name is not a literal here:
// index.mjs gets its names from Node's static reading of this file, which would list it.
const PANIC_HOOK = '_panicForTests';
Object.defineProperty(module.exports, PANIC_HOOK, { value: panicForTests, enumerable: false });
