/**
 * enduco: the client for enduco's OAuth 2.0 API, for Node.js.
 *
 * Authorize a user, keep their tokens fresh and persisted through your own storage, upload
 * finished workouts as FIT files, read the training plan up to 7 days ahead and the athlete's
 * intensity zones. One Rust core does the work; every I/O method returns a Promise and leaves
 * the event loop free.
 *
 * Conventions:
 * - Calendar dates (plan dates, plan windows, webhook `from`/`to`) are ISO strings
 *   `YYYY-MM-DD`: the athlete's local dates, never shifted to UTC.
 * - Instants (`startTime`, `updatedAt`, `occurredAt`) are RFC 3339 strings in UTC, e.g.
 *   `2025-03-01T06:30:00Z`; `new Date(value)` reads them.
 * - `TokenSet.expiresAt` is unix seconds (the same number in every enduco SDK).
 * - Optional model fields are `null` when enduco did not send them.
 * - Every failure is an {@link EnducoError} with a stable `code`.
 *
 * (Generated from `lib/index.ts` by tsc: edit that file, not this one.)
 *
 * @packageDocumentation
 */
import type { CheckedTimeline, CoreClientOptions, FitSummary, LocalStart, IntensityZones, Metric, PlannedWorkout, ResolvedTarget, Sport, SportZones, StepTarget, TimelineSegment, TokenSetJSON, UploadResult, WebhookEvent } from './models';
export type * from './models';
/** A calendar date, `YYYY-MM-DD`. */
export type IsoDate = string;
/** An instant, RFC 3339 (`2025-03-01T06:30:00Z`). */
export type IsoInstant = string;
/** The permissions an app can ask enduco for. */
export type Scope = 'user_read' | 'plans_read' | 'workouts_write';
/** Which enduco: `"beta"` (the default), `"production"`, or a base URL (the sandbox, a proxy;
 * plain `http://` only for loopback hosts). */
export type Environment = 'beta' | 'production' | (string & {});
/** Names of the endpoint paths configuration can override. */
export type EndpointName = 'authorize' | 'token' | 'revoke' | 'zones' | 'plans' | 'workouts';
/** A JSON value, as `Session.request` sends it. */
export type JsonValue = string | number | boolean | null | JsonValue[] | {
    [key: string]: JsonValue;
};
export * from './errors';
/**
 * Options every network call takes. `signal`: an `AbortSignal` (`AbortController`,
 * `AbortSignal.timeout(ms)`); when it aborts, the call rejects with a `DOMException` named
 * `AbortError` whose `cause` is the signal's reason, and the work stops inside the addon (the
 * HTTP request is dropped: an aborted upload leaves nothing stored). A token refresh already
 * under way still finishes and is saved, so no rotated token is lost.
 */
export interface CallOptions {
    signal?: AbortSignal;
}
/** What `JSON.stringify(tokens)` (and so loggers and `res.json`) shows of a {@link TokenSet}:
 * no token value. Not a storage form: `TokenSet.fromJSON` refuses it. */
export interface RedactedTokenSetJSON {
    userId: string | null;
    /** Unix seconds. */
    expiresAt: number;
    scopes: string[];
    tokenType: string;
    accessToken: '[redacted]';
    refreshToken: '[redacted]' | null;
}
/**
 * One user's grant. `util.inspect`/`console.log`, `toString()` and `JSON.stringify(tokens)`
 * (`toJSON()`) never show a token value; the storage form, with the tokens, comes only from
 * {@link toStorageJSON}.
 */
export declare class TokenSet {
    private constructor();
    /** Reads the storage form {@link toStorageJSON} gave (the object or its JSON text).
     * @throws {InvalidInputError} when it is not a token set (the message names no value), or
     * is the redacted `JSON.stringify(tokens)` form. */
    static fromJSON(value: TokenSetJSON | string): TokenSet;
    get accessToken(): string;
    get refreshToken(): string | null;
    /** Expiry of the access token, unix seconds. */
    get expiresAt(): number;
    /** The scopes enduco granted (may be fewer than requested). */
    get scopes(): string[];
    get tokenType(): string;
    get schemaVersion(): number;
    /** enduco's user id (the access token's `sub`), when the token carries one. */
    get userId(): string | null;
    /** Whether the grant includes `scope`. @throws {InvalidInputError} for an unknown scope name. */
    hasScope(scope: Scope): boolean;
    /** The storage form, shared by every enduco SDK: what your store saves. It contains both
     * tokens: store it like a password, never log it. */
    toStorageJSON(): TokenSetJSON;
    /** The redacted form `JSON.stringify` uses: expiry, scopes, user id, no token values. */
    toJSON(): RedactedTokenSetJSON;
    /** A redacted description. */
    toString(): string;
}
/** What a store's `load()` may hand back: a TokenSet, its storage form
 * (`tokens.toStorageJSON()`) or that form's JSON text; `null`/`undefined` when the user has not
 * connected enduco. (`JSON.stringify(tokens)` is the redacted form: a store must not save it.) */
export type StoredTokens = TokenSet | TokenSetJSON | string | null | undefined;
/**
 * Your storage for one user's tokens (a database row, a keychain entry). Each method may
 * return a value or a Promise. A method that throws or rejects fails the SDK call with a
 * {@link StoreError} whose `cause` is what it threw; tokens that could not be saved are kept
 * in memory and saved again on the next call. Every call is bounded by the client's
 * `storeTimeoutSeconds`.
 *
 * `save` is called with new tokens before any caller uses them. Do not call the same
 * session's methods from inside these callbacks (the session waits for them to finish).
 *
 * **The refresh lock.** A store that several processes share (a database row several
 * workers read, a file several CLI runs use) should implement `tryLock` and `unlock`. The
 * session then takes the lock around re-reading the store → refreshing → saving, and uses
 * tokens another process saved meanwhile instead of sending its own token request: one
 * refresh per grant across every process. Without it, two processes can present the same
 * refresh token, and the server either keeps only one of the new grants or (with reuse
 * detection) revokes the whole grant. A store without the lock is for one process only.
 * Implement both methods or neither.
 */
export interface TokenStore {
    load(): StoredTokens | PromiseLike<StoredTokens>;
    save(tokens: TokenSet): void | PromiseLike<void>;
    clear(): void | PromiseLike<void>;
    /**
     * Takes the refresh lock for `owner` unless another owner holds it with an unexpired
     * lease, atomically; answers whether `owner` holds it now. Must not wait for the lock (the
     * session retries with backoff within its deadline). The lease (`leaseMs`, whole
     * milliseconds) bounds how long a crashed holder blocks the others; taking it again as the
     * same owner renews it. Throwing or rejecting fails the call with a {@link StoreError} and
     * no token request is sent.
     */
    tryLock?(owner: string, leaseMs: number): boolean | PromiseLike<boolean>;
    /** Releases the lock if `owner` still holds it; does nothing when the lease ran out and
     * another owner holds it now. A failure does not fail the SDK call (the lease ends the lock
     * anyway). */
    unlock?(owner: string): void | PromiseLike<void>;
}
/**
 * What every store the core implements has (memory, file, and one user's store in PostgreSQL or
 * Redis): a native store behind it, whose handle sessions take as is (no JS round trip), and
 * `load`/`save`/`clear` for the app's own use. Not exported: each public class extends it.
 */
declare class CoreTokenStore implements TokenStore {
    constructor(nativeStore: unknown);
    load(): Promise<TokenSet | null>;
    save(tokens: TokenSet): Promise<void>;
    clear(): Promise<void>;
}
/** Tokens in memory only: for tests, and for backends that persist elsewhere. Its refresh lock
 * covers every session built on the same store object, within this process. */
export declare class MemoryTokenStore extends CoreTokenStore {
    constructor(tokens?: TokenSet | null);
}
/** Tokens in a JSON file (the storage form), replaced atomically, mode 0600. Processes sharing
 * the file share its refresh lock (an OS lock on `<path>.lock`, released by the OS when a
 * holder dies). */
export declare class FileTokenStore extends CoreTokenStore {
    constructor(path: string);
    get path(): string;
}
/** One user's store in a server store set. Not exported: the public classes extend it. */
declare class ServerTokenStore extends CoreTokenStore {
    protected constructor(key: symbol, nativeStore: unknown);
    /** The user key it was made for. */
    get key(): string;
    toJSON(): {
        key: string;
    };
    toString(): string;
}
/** One user's tokens in PostgreSQL, from {@link PostgresTokenStores.forUser}. Sessions use it
 * directly (no JavaScript in between), with its refresh lock across processes and hosts. Every
 * failure is a {@link StoreError}. */
export declare class PostgresTokenStore extends ServerTokenStore {
    private constructor();
}
/** One user's tokens in Redis, from {@link RedisTokenStores.forUser}. Sessions use it directly
 * (no JavaScript in between), with its refresh lock across processes and hosts. Every failure
 * is a {@link StoreError}. */
export declare class RedisTokenStore extends ServerTokenStore {
    private constructor();
}
/** What PostgresTokenStores and RedisTokenStores share: the app's pool or connection, and a
 * store per user (of the class `UserStore`). Not exported. */
declare class ServerTokenStores<UserStore extends ServerTokenStore> {
    constructor(nativeStores: unknown, UserStore: {
        prototype: UserStore;
    });
    /** Creates what the server needs. PostgreSQL: the tables `enduco_tokens` and
     * `enduco_token_locks` if they do not exist; idempotent, safe when several processes run it
     * at once (run it once at deploy); rejects with a {@link StoreError} when the database cannot
     * be reached. Redis: nothing to create, resolves at once (there so both are used alike). */
    migrate(): Promise<void>;
    /** The store of one user, under a key your app chooses (its own user id, say). Stores of
     * the same key share the stored tokens, whichever process made them. */
    forUser(key: string): UserStore;
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
export declare class PostgresTokenStores extends ServerTokenStores<PostgresTokenStore> {
    /** `postgres://user:password@host:port/db` (or libpq's `key=value` form). Makes no
     * connection.
     * @throws {InvalidInputError} when `url` is not a PostgreSQL connection string. */
    constructor(url: string);
    toJSON(): {
        type: 'PostgresTokenStores';
        url: '[redacted]';
    };
    toString(): string;
}
/** Options of `new RedisTokenStores(url, options)`. */
export interface RedisTokenStoresOptions {
    /** Prepended to every key (default `"enduco:"`). */
    prefix?: string;
}
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
export declare class RedisTokenStores extends ServerTokenStores<RedisTokenStore> {
    /** `redis://[user:password@]host:port[/db]`. Makes no connection. (`rediss://`, Redis over
     * TLS, is refused with `invalid_input` by this build: its Redis client has no TLS support.)
     * @throws {InvalidInputError} when `url` is not a Redis URL. */
    constructor(url: string, options?: RedisTokenStoresOptions);
    /** The prefix of every key. */
    get prefix(): string;
    toJSON(): {
        type: 'RedisTokenStores';
        prefix: string;
        url: '[redacted]';
    };
    toString(): string;
}
/** Anything `client.session(store)` accepts. */
export type AnyTokenStore = TokenStore | MemoryTokenStore | FileTokenStore | PostgresTokenStore | RedisTokenStore;
/**
 * `new EnducoClient(options)`: mirrors the core's `ClientOptions`. Give `clientSecret` (a
 * backend) or `tokenRelayUrl` (an app distributed to users, which cannot keep a secret), not
 * both and not neither (`InvalidInputError`). docs/relay.md.
 */
export type ClientOptions = ClientOptionsBase & ({
    /** The client secret enduco issued to your app. Never logged or shown. */
    clientSecret: string;
    tokenRelayUrl?: undefined | null;
} | {
    clientSecret?: undefined | null;
    /** Relay mode: your backend's {@link TokenRelay}, e.g.
     * `"https://api.example.com/enduco/relay"`. Code exchange, refresh and revoke go to
     * `{tokenRelayUrl}/token` and `/revoke` without client credentials; data calls still go
     * straight to enduco. Plain http only for loopback. */
    tokenRelayUrl: string;
});
/** What every {@link ClientOptions} has, in both modes: the core's options (their names, types
 * and documentation are generated from the core into models.d.ts), and path overrides. */
export interface ClientOptionsBase extends CoreClientOptions {
    /** Path overrides, e.g. `{ zones: '/api/v2/zones' }`. */
    endpoints?: Partial<Record<EndpointName, string>>;
}
/** {@link AuthorizationRequest.toStorageJSON}: a plain object, verifier included. */
export interface StoredAuthorizationRequest {
    url: string;
    state: string;
    codeVerifier: string | null;
    redirectUri: string;
    scopes: Scope[];
}
/** What `completeAuthorization` needs of a started authorization. */
export interface PendingAuthorization {
    state: string;
    codeVerifier?: string | null;
    url?: string;
    redirectUri?: string;
    scopes?: readonly string[];
}
/**
 * A started authorization: keep it (in memory, or through {@link toStorageJSON} in your
 * server-side session store) until the redirect arrives, then hand it to
 * `completeAuthorization`.
 *
 * `codeVerifier` is a secret (whoever holds it and the code can finish the login): it is a
 * getter, not an own property, so `JSON.stringify(req)`, `{ ...req }` and `console.log(req)`
 * leave it out (`util.inspect` shows it as `[redacted]`).
 */
export declare class AuthorizationRequest {
    /** Open this in the user's browser. */
    readonly url: string;
    /** The CSRF token enduco echoes back in the callback. */
    readonly state: string;
    readonly redirectUri: string;
    readonly scopes: Scope[];
    /** `saved`: the core's storage form (`AuthorizationRequest::to_json`), parsed. */
    private constructor();
    /** Reads a kept authorization back: what {@link toStorageJSON} gave (the object or its JSON
     * text), or the storage form the other enduco SDKs write (snake_case with `schema_version`).
     * @throws {InvalidInputError} for anything else, the redacted `JSON.stringify(req)` included. */
    static fromJSON(value: StoredAuthorizationRequest | {
        [key: string]: JsonValue;
    } | string): AuthorizationRequest;
    /** The PKCE verifier; `null` when PKCE is switched off. */
    get codeVerifier(): string | null;
    /** The whole request, verifier included, as a plain object `completeAuthorization` accepts:
     * for a server-side session store only (never a cookie, a URL or a log). */
    toStorageJSON(): StoredAuthorizationRequest;
}
/** The entry point: one per app. Holds the configuration and one HTTP connection pool. */
export declare class EnducoClient {
    /** Checks the options and builds the HTTP client; makes no request.
     * @throws {InvalidInputError} on unusable options. */
    constructor(options: ClientOptions);
    /** Starts an authorization: a URL with a fresh `state` and (unless switched off) a PKCE
     * S256 challenge. Makes no request.
     * @throws {InvalidInputError} on no or unknown scopes. */
    authorizationRequest(scopes: readonly Scope[]): AuthorizationRequest;
    /** Finishes an authorization from the URL enduco redirected the browser to: checks the
     * state (constant time), turns `error=` into a typed error, exchanges the code.
     * Rejects with `state_mismatch`, `authorization_denied`, `api`, … */
    completeAuthorization(request: PendingAuthorization, callbackUrl: string, options?: CallOptions): Promise<TokenSet>;
    /** Exchanges a code your backend received itself; pass the request's PKCE verifier. */
    exchangeCode(code: string, codeVerifier?: string | null, options?: CallOptions): Promise<TokenSet>;
    /** A session for the user whose tokens `store` holds. Nothing is loaded until the first
     * call. */
    session(store: AnyTokenStore): Session;
    /** Saves `tokens` into `store`, then returns the user's session. */
    connect(store: AnyTokenStore, tokens: TokenSet): Promise<Session>;
    /** Same as the module's {@link parseWebhook}. */
    parseWebhook(body: WebhookBody): WebhookEvent;
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
    clearDeregisteredUser(event: WebhookEvent | WebhookBody, store: AnyTokenStore | ((userId: string) => AnyTokenStore | null | undefined | PromiseLike<AnyTokenStore | null | undefined>), options?: CallOptions): Promise<string | null>;
}
/** A successful answer of {@link Session.request} (a non-2xx answer rejects instead). */
export declare class RawResponse {
    readonly status: number;
    readonly contentType: string | null;
    readonly body: Buffer;
    private constructor();
    /** The body as UTF-8 text. */
    text(): string;
    /** The body parsed as JSON. @throws {InvalidResponseError} on malformed JSON. */
    json<T = unknown>(): T;
}
/** Options of {@link Session.uploadWorkout}. */
export interface UploadOptions extends CallOptions {
    /** The file name enduco sees (default: the path's name, or `workout.fit`). */
    fileName?: string;
    /** Bytes of the file sent so far and the file's size: monotonic, the last call has
     * `sent === total`, and every call happens before the upload's Promise settles. The first
     * call, `(0, total)`, comes after the file passed its checks and has returned before any
     * byte is sent. A callback that throws is reported once as a process warning; the upload
     * goes on. */
    onProgress?: (sent: number, total: number) => void;
}
/** Options of {@link Session.request}. */
export interface RequestOptions extends CallOptions {
    /** Query parameters. */
    query?: Record<string, string | number | boolean> | ReadonlyArray<readonly [string, string]> | URLSearchParams;
    /** Sent as JSON. */
    body?: JsonValue;
}
/**
 * One user's connection to enduco. Tokens are refreshed ahead of expiry and once on a 401,
 * one refresh at a time however many calls are in flight, and saved through the store before
 * any caller uses them.
 */
export declare class Session {
    private constructor();
    /** enduco's id for this user (the access token's `sub`). Makes no request. */
    userId(): Promise<string>;
    /** The scopes the user granted. Makes no request. */
    grantedScopes(): Promise<string[]>;
    /** The current tokens as stored (without refreshing). */
    tokens(): Promise<TokenSet>;
    /** The user's intensity zones per sport and metric. Needs `user_read`. */
    intensityZones(options?: CallOptions): Promise<IntensityZones>;
    /** The next `days` days (1 to 7, default 7) of plans, starting today in the athlete's time
     * zone. Needs `plans_read`. */
    upcomingPlans(days?: number, options?: CallOptions): Promise<PlannedWorkout[]>;
    /** Planned workouts from `from` to `to` (inclusive, `YYYY-MM-DD`, at most 7 days).
     * Needs `plans_read`. For a `Date`, pass {@link isoDate}`(date)` (its local calendar date). */
    trainingPlans(from: IsoDate, to: IsoDate, options?: CallOptions): Promise<PlannedWorkout[]>;
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
    uploadWorkout(source: string | Uint8Array | ArrayBuffer, options?: UploadOptions): Promise<UploadResult>;
    /** Escape hatch for endpoints the typed API lacks: authentication, refresh and retries
     * applied; a non-2xx answer rejects with the typed error it means. */
    request(method: string, path: string, options?: RequestOptions): Promise<RawResponse>;
    /** Refreshes now and saves the new tokens. */
    refresh(options?: CallOptions): Promise<TokenSet>;
    /** Revokes the grant at enduco, then clears the store (use when the user disconnects). */
    revoke(options?: CallOptions): Promise<void>;
}
/** The largest request body a relay reads (16 KiB); its handler reads at most one byte more. */
export declare const MAX_RELAY_REQUEST_BYTES: number;
/** The client's options that concern enduco (the others are the app's). */
declare const RELAY_OPTIONS: readonly ["environment", "userAgent", "connectTimeoutSeconds", "requestTimeoutSeconds", "maxRetries", "retryDeadlineSeconds"];
/** `new TokenRelay(options)`: your app's id and secret, and the client options that concern
 * enduco (`endpoints`: overrides of enduco's `token` and `revoke` paths). */
export interface TokenRelayOptions extends Pick<ClientOptionsBase, 'clientId' | 'endpoints' | (typeof RELAY_OPTIONS)[number]> {
    /** Never logged or shown. */
    clientSecret: string;
}
/** One relay answer: send `status`, `headers` and `body` as they are. `body` holds tokens. */
export interface RelayAnswer {
    status: number;
    /** `Content-Type: application/json`, `Cache-Control: no-store`. */
    headers: Record<string, string>;
    body: Buffer;
    /** enduco's user id after a successful code exchange or refresh, else `null`. */
    userId: string | null;
}
/** Options of {@link TokenRelay.handler}. */
export interface RelayHandlerOptions {
    /** Called with enduco's user id after a successful exchange or refresh through the relay
     * (never with a token), before the answer goes out: record which of your users holds which
     * enduco account. If it throws or rejects, a warning is emitted and the app still gets its
     * tokens. */
    onTokens?: (userId: string) => void | Promise<void>;
}
/** A `node:http` request listener; also Express/Connect middleware. */
export type RelayRequestHandler = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void;
/**
 * The server half of relay mode, on the backend that holds the client secret: checks each app
 * request (size, operation, form), forwards it to enduco with the client credentials and hands
 * enduco's answer back. It keeps no tokens, logs none, and never shows its secret
 * (`toString`, `JSON.stringify`, `util.inspect`). Create one per process.
 */
export declare class TokenRelay {
    /** @throws {InvalidInputError} on unusable options (no secret, a `tokenRelayUrl`). */
    constructor(options: TokenRelayOptions);
    /** One app request: `path`'s last segment names the operation (`…/token`, `…/revoke`),
     * `body` at most {@link MAX_RELAY_REQUEST_BYTES} + 1 bytes of it. A longer body, another
     * path, a non-form body, a missing or repeated parameter or another grant type is a 400 with
     * an OAuth error body, and nothing is forwarded. */
    handle(path: string, contentType: string | null | undefined, body: Uint8Array | string): Promise<RelayAnswer>;
    /** `http.createServer(relay.handler())`, or `app.use('/enduco/relay', relay.handler())`
     * before any body parser: serves `POST …/token` and `POST …/revoke` under any prefix,
     * reading at most {@link MAX_RELAY_REQUEST_BYTES} + 1 bytes of a body. */
    handler(options?: RelayHandlerOptions): RelayRequestHandler;
    toString(): string;
    /** `{ environment, clientId, clientSecret: '[redacted]' }`. */
    toJSON(): {
        environment: string;
        clientId: string;
        clientSecret: '[redacted]';
    };
}
/** The user revoked the app's access on enduco's side: clear their tokens, stop syncing. */
export type UserDeregisteredEvent = Extract<WebhookEvent, {
    type: 'user.deregistered';
}>;
/** The user's plan changed (between `from` and `to` when given): re-fetch those plans. */
export type PlanChangedEvent = Extract<WebhookEvent, {
    type: 'plan.changed';
}>;
/** Anything the SDK could not read (`raw`: the body as text). Log it; answer with 2xx anyway. */
export type UnknownWebhookEvent = Extract<WebhookEvent, {
    type: 'unknown';
}>;
/** A webhook body: the raw bytes or text, or JSON a framework already parsed. */
export type WebhookBody = string | Uint8Array | ArrayBuffer | {
    [key: string]: JsonValue;
};
/** Reads a webhook body enduco POSTed to your app. Never throws on content: whatever it cannot
 * read comes back as `{ type: 'unknown', raw }`. */
export declare function parseWebhook(body: WebhookBody): WebhookEvent;
/** The workout as a FIT workout file (file type 5) for Garmin, Wahoo and Hammerhead devices:
 * repeats kept as FIT repeat steps, zone targets resolved with `zones` (else FIT zone numbers).
 * A step FIT cannot hold throws `InvalidInputError` naming the step. */
export declare function toFitWorkout(plan: PlannedWorkout, zones?: IntensityZones | null): Buffer;
/** The workout as ZWO (Zwift workout XML), power as a fraction of the FTP in `zones`: cycling,
 * time-based, power targets only (else `InvalidInputError`). */
export declare function toZwo(plan: PlannedWorkout, zones?: IntensityZones | null): string;
/** The workout as an ERG file: rows of minutes and watts, repeats written out. */
export declare function toErg(plan: PlannedWorkout, zones?: IntensityZones | null): string;
/** The workout as an MRC file: rows of minutes and percent of the FTP in `zones`. */
export declare function toMrc(plan: PlannedWorkout, zones?: IntensityZones | null): string;
/** The workout as a flat list of steps as a device plays it: repeats expanded (nested too),
 * zone targets resolved to absolute bounds with `zones` (explicit bounds need none). */
export declare function timeline(plan: PlannedWorkout, zones?: IntensityZones | null): TimelineSegment[];
/** {@link timeline}, and whether it was cut short (`truncated`: a hostile or broken plan). */
export declare function timelineChecked(plan: PlannedWorkout, zones?: IntensityZones | null): CheckedTimeline;
/** A rest day: no steps, no duration, distance or load. */
export declare function isRestDay(plan: PlannedWorkout): boolean;
/**
 * The planned start on the athlete's wall clock, DST applied, or `null` without a start time or
 * for a time zone this system's database lacks. A plain object that cannot pass for UTC: read
 * `date`/`time` for display, `iso` or `instant` for a `Date`.
 */
export declare function localStart(plan: PlannedWorkout): LocalStart | null;
/** The user's zone table for `sport` and `metric`, or `null`. Names as enduco sends them
 * (aliases such as `bike` too); an unknown name only matches a table that is unknown as well. */
export declare function forSport(zones: IntensityZones, sport: Sport | (string & {}), metric: Metric | (string & {})): SportZones | null;
/** A step's target as absolute bounds for `sport` (zone looked up, percentages of the
 * threshold computed), or `null` when it cannot be made absolute. */
export declare function resolveTarget(zones: IntensityZones, sport: Sport | (string & {}), target: Partial<StepTarget>): ResolvedTarget | null;
/** The FIT pre-flight {@link Session.uploadWorkout} runs.
 * @throws {InvalidInputError} naming the defect. */
export declare function checkFit(bytes: Uint8Array | ArrayBuffer): FitSummary;
/** The `Date` at LOCAL midnight of the athlete's calendar date `YYYY-MM-DD`. (`new
 * Date('2026-12-01')` is midnight UTC: the evening of Nov 30 west of Greenwich.)
 * @throws {InvalidInputError} for text that is not a real date. */
export declare function localDate(date: IsoDate): Date;
/** The calendar date `YYYY-MM-DD` of a `Date`'s LOCAL fields (`toISOString()` gives UTC's). */
export declare function isoDate(date: Date): IsoDate;
