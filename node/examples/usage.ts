// A TypeScript tour of the package. `tsc --noEmit --strict` checks it (see run-tests); it is
// not run by the tests, which exercise the same calls against the sandbox.

import { readFile, writeFile } from 'node:fs/promises'

import {
  EnducoClient,
  EnducoError,
  FileTokenStore,
  InsufficientScopeError,
  MemoryTokenStore,
  RateLimitedError,
  StoreError,
  TokenSet,
  parseWebhook,
  type AnyEnducoError,
  type AuthorizationRequest,
  type IntensityZones,
  type PlannedWorkout,
  type RedactedTokenSetJSON,
  type Scope,
  type Step,
  type StoredAuthorizationRequest,
  type StoredTokens,
  type TokenSetJSON,
  type TokenStore,
  type UploadResult,
  type WebhookEvent,
} from 'enduco'

/** Your own storage: here a JSON file per user, async. */
class JsonFileStore implements TokenStore {
  constructor(private readonly path: string) {}

  async load(): Promise<StoredTokens> {
    try {
      return await readFile(this.path, 'utf8') // the storage JSON text is accepted as is
    } catch {
      return null
    }
  }

  async save(tokens: TokenSet): Promise<void> {
    await writeFile(this.path, JSON.stringify(tokens.toStorageJSON()), { mode: 0o600 })
  }

  async clear(): Promise<void> {
    await writeFile(this.path, '')
  }
}

/** A synchronous store is fine too. */
const rows = new Map<string, TokenSetJSON>()
const syncStore: TokenStore = {
  load: () => rows.get('athlete-1001') ?? null,
  save: (tokens) => {
    rows.set(tokens.userId ?? 'unknown', tokens.toStorageJSON())
  },
  clear: () => {
    rows.delete('athlete-1001')
  },
}

function describeStep(step: Step, depth = 0): string {
  const pad = '  '.repeat(depth)
  if (step.repeat) {
    const body = step.repeat.steps.map((s) => describeStep(s, depth + 1)).join('\n')
    return `${pad}${step.repeat.count}x\n${body}`
  }
  const target = step.target
    ? ` @ ${step.target.metric} ${step.target.zone ?? `${step.target.lower ?? '?'}-${step.target.upper ?? '?'}`}`
    : ''
  return `${pad}${step.kind} ${step.durationSeconds ?? '?'} s${target}`
}

function explain(error: unknown): string {
  if (!(error instanceof EnducoError)) throw error
  const e = error as AnyEnducoError
  switch (e.code) {
    case 'insufficient_scope':
      return `missing ${e.missing.join(', ')}`
    case 'rate_limited':
      return `retry in ${e.retryAfter ?? 'a few'} s`
    case 'server':
      return `enduco answered ${e.status}`
    case 'api':
      return `${e.apiCode} (${e.status ?? 'redirect'}): ${e.apiMessage}`
    case 'authorization_denied':
      return `${e.oauthError}: ${e.description ?? ''}`
    case 'reauthorization_required':
      return `log in again: ${e.reason}`
    case 'store':
      return `storage failed: ${String(e.cause)}`
    default:
      return e.message
  }
}

export async function main(callbackUrl: string): Promise<void> {
  const client = new EnducoClient({
    clientId: process.env.ENDUCO_CLIENT_ID ?? 'sandbox-client',
    clientSecret: process.env.ENDUCO_CLIENT_SECRET ?? 'sandbox-secret',
    redirectUri: 'https://app.example/callback',
    environment: 'beta',
    timeZone: 'Europe/Berlin',
    userAgent: 'MyTrainerApp/3.2',
    requestTimeoutSeconds: 20,
    maxRetries: 2,
    endpoints: { zones: '/api/v1/zones' },
    maxResponseBytes: 4 * 1024 * 1024,
  })

  const scopes: Scope[] = ['user_read', 'plans_read', 'workouts_write']
  const req: AuthorizationRequest = client.authorizationRequest(scopes)
  console.log(`open ${req.url} (state ${req.state}, PKCE ${req.codeVerifier === null ? 'off' : 'on'})`)
  // Kept server-side until the redirect arrives (the verifier is a secret: not in a cookie).
  const kept: StoredAuthorizationRequest = JSON.parse(JSON.stringify(req.toStorageJSON())) as StoredAuthorizationRequest

  const tokens: TokenSet = await client.completeAuthorization(kept, callbackUrl)
  const expires: Date = new Date(tokens.expiresAt * 1000)
  console.log(`connected ${tokens.userId ?? '?'} until ${expires.toISOString()}`, tokens)
  const stored: TokenSetJSON = tokens.toStorageJSON()
  const logged: RedactedTokenSetJSON = tokens.toJSON() // what JSON.stringify(tokens) shows
  console.log(JSON.stringify(logged))
  const restored: TokenSet = TokenSet.fromJSON(stored)

  const session = await client.connect(new JsonFileStore('tokens.json'), restored)
  const other = client.session(syncStore)
  const memory = client.session(new MemoryTokenStore(tokens))
  const file = client.session(new FileTokenStore('/tmp/enduco-tokens.json'))
  const fromCode = await client.exchangeCode('code-from-your-redirect-handler', req.codeVerifier)
  void [other, memory, file, fromCode]

  const userId: string = await session.userId()
  const granted: string[] = await session.grantedScopes()
  const zones: IntensityZones = await session.intensityZones()
  for (const table of zones.zones) {
    const bounds = table.zones.map((z) => `${z.name ?? z.index}: ${z.lower ?? '…'}-${z.upper ?? '…'} ${table.unit}`)
    console.log(table.sport, table.metric, table.threshold, bounds)
  }

  const upcoming: PlannedWorkout[] = await session.upcomingPlans(7)
  const week: PlannedWorkout[] = await session.trainingPlans('2025-03-03', '2025-03-09')
  for (const plan of [...upcoming, ...week]) {
    const start = plan.startTime === null ? 'any time' : new Date(plan.startTime).toLocaleTimeString()
    console.log(`${plan.date} ${start} ${plan.sport} ${plan.title}`)
    for (const step of plan.steps) console.log(describeStep(step, 1))
  }

  const fromPath: UploadResult = await session.uploadWorkout('ride.fit', {
    onProgress: (sent, total) => console.log(`${Math.round((100 * sent) / total)} %`),
  })
  const fromBytes = await session.uploadWorkout(await readFile('ride.fit'), { fileName: 'ride.fit' })
  console.log(fromPath.id, fromBytes.duplicate ? 'already uploaded' : fromBytes.status)

  const raw = await session.request('GET', '/api/v1/plans', { query: { from: '2025-03-03', to: '2025-03-04' } })
  const body = raw.json<Array<{ id: string }>>()
  console.log(raw.status, raw.contentType, body.map((p) => p.id), raw.text().length)
  await session.request('POST', '/api/v1/custom', { body: { note: 'hello', tags: ['a'], n: 1 } })

  const refreshed: TokenSet = await session.refresh()
  console.log(userId, granted, refreshed.scopes)

  try {
    await session.upcomingPlans(10)
  } catch (error) {
    console.log(explain(error))
    if (error instanceof InsufficientScopeError) console.log(error.missing)
    if (error instanceof RateLimitedError) console.log(error.retryAfter)
    if (error instanceof StoreError) console.log(error.cause)
  }

  const event: WebhookEvent = parseWebhook('{"type":"user.deregistered","userId":"athlete-1001"}')
  switch (event.type) {
    case 'user.deregistered':
      await client.session(syncStore).revoke().catch(() => syncStore.clear())
      break
    case 'plan.changed':
      await session.trainingPlans(event.from ?? '2025-03-03', event.to ?? '2025-03-09')
      break
    case 'unknown':
      console.warn('unreadable webhook', event.raw)
      break
  }
  const parsedAgain: WebhookEvent = client.parseWebhook(Buffer.from('{}'))
  void parsedAgain

  await session.revoke()
}
