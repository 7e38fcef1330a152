// Type-level checks of the ESM entry point; `tsc --noEmit --strict` reads this file, nothing
// runs it.
import enduco, {
  AuthorizationRequest,
  EnducoClient,
  EnducoError,
  InternalError,
  PostgresTokenStores,
  RedisTokenStores,
  type AnyTokenStore,
  type PostgresTokenStore,
  type RedisTokenStore,
  type Session,
  type StoredAuthorizationRequest,
  type TokenSet,
  type TokenSetJSON,
  type TokenStore,
} from 'enduco'

const client: EnducoClient = new enduco.EnducoClient({ clientId: 'a', clientSecret: 'b', redirectUri: 'https://x.example/cb' })
const store: TokenStore = { load: async () => null, save: async () => {}, clear: () => {} }
const session: Session = client.session(store)
const locking: TokenStore = {
  load: () => null,
  save: () => {},
  clear: () => {},
  tryLock: (owner: string, leaseMs: number) => owner.length > 0 && leaseMs > 0,
  unlock: async (_owner: string) => {},
}
void new enduco.EnducoClient({
  clientId: 'a',
  clientSecret: 'b',
  redirectUri: 'https://x.example/cb',
  refreshMarginSeconds: 0,
  storeTimeoutSeconds: 0.5,
  lockLeaseSeconds: 30,
}).session(locking)
const same: typeof EnducoClient = enduco.EnducoClient
void same

export async function check(): Promise<string> {
  try {
    return await session.userId()
  } catch (e) {
    if (e instanceof EnducoError) return e.code
    throw e
  }
}

// @ts-expect-error: scopes are checked against enduco's names
client.authorizationRequest(['admin'])
// @ts-expect-error: dates are YYYY-MM-DD strings, not Date objects
void session.trainingPlans(new Date(), '2025-01-01')
// @ts-expect-error: a store needs all three methods
client.session({ load: () => null })
// @ts-expect-error: TokenSet has no public constructor
void new enduco.TokenSet()
// @ts-expect-error: tryLock answers a boolean
client.session({ load: () => null, save() {}, clear() {}, tryLock: () => 'yes', unlock() {} })
// @ts-expect-error: the store timeout is a number of seconds
void new EnducoClient({ clientId: 'a', clientSecret: 'b', redirectUri: 'https://x.example/cb', storeTimeoutSeconds: '10' })

// The server stores: one per app, a store per user, usable wherever a store is.
const pg = new PostgresTokenStores('postgres://app@db/app')
const migrated: Promise<void> = pg.migrate()
void migrated
const pgUser: PostgresTokenStore = pg.forUser('user-1')
const redisUser: RedisTokenStore = new RedisTokenStores('redis://cache/', { prefix: 'app:' }).forUser('user-1')
const key: string = redisUser.key
void key
const anyStore: AnyTokenStore = pgUser
const viaInterface: TokenStore = redisUser
void client.session(anyStore)
void client.session(viaInterface)
void client.connect(redisUser, null as unknown as enduco.TokenSet)
const prefix: string = new enduco.RedisTokenStores('redis://cache/').prefix
void prefix
// @ts-expect-error: forUser takes the app's key as a string
pg.forUser(42)
// @ts-expect-error: the prefix is an option
void new RedisTokenStores('redis://cache/', 'app:')
// @ts-expect-error: per-user stores come from forUser()
void new enduco.PostgresTokenStore()

// Issue 12: the response cap, the internal error, redacted JSON, the request's storage form,
// confirmed deregistrations.
void new EnducoClient({ clientId: 'a', clientSecret: 'b', redirectUri: 'https://x.example/cb', maxResponseBytes: 1 << 20 })
// @ts-expect-error: the cap is a number of bytes
void new EnducoClient({ clientId: 'a', clientSecret: 'b', redirectUri: 'https://x.example/cb', maxResponseBytes: '1 MiB' })
export function isInternal(e: unknown): boolean {
  return (e instanceof EnducoError && e.code === 'internal') || e instanceof InternalError
}
const started: AuthorizationRequest = client.authorizationRequest(['user_read'])
const verifier: string | null = started.codeVerifier
void verifier
const kept: StoredAuthorizationRequest = started.toStorageJSON()
void client.completeAuthorization(kept, 'https://x.example/cb?code=c&state=s')
void client.completeAuthorization(started, 'https://x.example/cb?code=c&state=s')
// @ts-expect-error: the verifier is read-only
started.codeVerifier = 'x'
export function storage(tokens: TokenSet): TokenSetJSON {
  const shown = tokens.toJSON()
  // @ts-expect-error: JSON.stringify's form has no token value
  const leaked: string = shown.access_token
  void leaked
  const redacted: '[redacted]' = shown.accessToken
  void redacted
  return tokens.toStorageJSON()
}
export async function deregistered(body: string): Promise<string | null> {
  const event = client.parseWebhook(body)
  const direct: string | null = await client.clearDeregisteredUser(event, store)
  void direct
  return client.clearDeregisteredUser(body, async (userId: string) => (userId === 'known' ? pg.forUser(userId) : null))
}

// Issue 18: the models' helpers, cancellation and the date helpers.
async function issue18(s: Session, tokens: TokenSet): Promise<void> {
  const controller = new AbortController()
  const zones = await s.intensityZones({ signal: controller.signal })
  const plans = await s.trainingPlans(enduco.isoDate(enduco.localDate('2026-03-23')), '2026-03-29', { signal: AbortSignal.timeout(5000) })
  const plan = plans[0]
  if (!plan) return
  const segments: enduco.TimelineSegment[] = enduco.timeline(plan, zones)
  const checked: enduco.CheckedTimeline = enduco.timelineChecked(plan)
  const rest: boolean = enduco.isRestDay(plan)
  const start: enduco.LocalStart | null = enduco.localStart(plan)
  const table: enduco.SportZones | null = enduco.forSport(zones, 'cycling', 'power')
  const watts: enduco.ResolvedTarget | null = enduco.resolveTarget(zones, plan.sport, { metric: 'power', zone: 2 })
  const summary: enduco.FitSummary = enduco.checkFit(new Uint8Array(0))
  const scoped: boolean = tokens.hasScope('plans_read')
  const kept: AuthorizationRequest = AuthorizationRequest.fromJSON('{}')
  await s.uploadWorkout('ride.fit', { signal: controller.signal, onProgress: () => {} })
  await s.request('GET', '/api/v1/zones', { signal: controller.signal })
  await s.refresh({ signal: controller.signal })
  await client.exchangeCode('code', null, { signal: controller.signal })
  void [segments, checked.truncated, rest, start?.iso, table, watts, summary.fileSize, scoped, kept]
}
void issue18
