// Generated from the core's models by core/tests/typescript.rs (ts-rs); do not edit.
// Numbers are JSON numbers; dates are `YYYY-MM-DD` text, instants RFC 3339 text.

/**
 * The sport a zone table or a planned workout is for.
 */
export type Sport = "cycling" | "running" | "swimming" | "other";

/**
 * What a zone table or a step target measures.
 */
export type Metric = "power" | "heart_rate" | "pace" | "speed" | "cadence" | "rpe" | "other";

/**
 * What a step is for.
 */
export type StepKind = "warmup" | "active" | "recovery" | "cooldown" | "rest" | "repeat" | "other";

/**
 * Everything `GET /api/v1/zones` returns: one zone table per sport and metric.
 */
export type IntensityZones = { 
/**
 * The enduco user these zones belong to.
 */
userId: string, 
/**
 * When the athlete (or enduco) last changed the zones.
 */
updatedAt: string | null, 
/**
 * One entry per sport and metric, e.g. cycling power and running heart rate.
 */
zones: Array<SportZones>, };

/**
 * The zone table of one sport and metric.
 */
export type SportZones = { sport: Sport, metric: Metric, 
/**
 * Unit of `threshold` and of every zone bound, e.g. `"W"`, `"bpm"`, `"s/km"`.
 */
unit: string, 
/**
 * The threshold the zones derive from (FTP, threshold heart rate, threshold pace).
 */
threshold: number | null, zones: Array<Zone>, };

/**
 * One zone. Bounds are absolute values in the table's unit; an open-ended zone (the lowest or
 * the highest) has no `lower` or no `upper`.
 */
export type Zone = { 
/**
 * The zone number plans refer to (`target.zone`); matched by value, not by position.
 */
index: number, name: string | null, lower: number | null, upper: number | null, };

/**
 * One planned workout (or rest day) on the athlete's calendar.
 */
export type PlannedWorkout = { id: string, 
/**
 * The athlete's local calendar date, exactly as enduco sent it (never shifted to UTC).
 */
date: string, 
/**
 * The planned start instant, when the athlete scheduled a time of day.
 */
startTime: string | null, 
/**
 * The athlete's IANA time zone, e.g. `Europe/Berlin`.
 */
timeZone: string, sport: Sport, title: string, description: string | null, durationSeconds: number | null, distanceMeters: number | null, 
/**
 * Training load (enduco's own scale).
 */
load: number | null, 
/**
 * The structured steps; empty for a rest day or an unstructured workout.
 */
steps: Array<Step>, };

/**
 * One step of a workout; a repeat step carries its body in `repeat`.
 */
export type Step = { kind: StepKind, durationSeconds: number | null, distanceMeters: number | null, target: StepTarget | null, repeat: Repeat | null, };

/**
 * `count` times the nested `steps`.
 */
export type Repeat = { count: number, steps: Array<Step>, };

/**
 * A step's intensity: a zone of the user's table for this sport and metric, or explicit bounds.
 */
export type StepTarget = { metric: Metric, zone: number | null, lower: number | null, upper: number | null, 
/**
 * Unit of `lower`/`upper`; a percentage unit (`%`, `%ftp`, …) is relative to the threshold.
 */
unit: string | null, };

/**
 * A target as absolute bounds, ready for a device (e.g. watts for a trainer's ERG mode).
 */
export type ResolvedTarget = { metric: Metric, lower: number | null, upper: number | null, unit: string, };

/**
 * One step of the flattened workout, as a device or a UI would play it.
 */
export type TimelineSegment = { 
/**
 * Position in the timeline, from 0.
 */
index: number, kind: StepKind, 
/**
 * Seconds from the workout's start; `None` once an earlier step had no duration (e.g. a
 * distance-only step), because from there on the time is unknown.
 */
startOffsetSeconds: number | null, durationSeconds: number | null, distanceMeters: number | null, target: StepTarget | null, 
/**
 * The target as absolute bounds, when it could be resolved.
 */
resolved: ResolvedTarget | null, };

/**
 * A workout's timeline, and whether it was cut short (`truncated`) because the plan was too
 * large to unroll (hostile or broken): at `MAX_TIMELINE_SEGMENTS` segments or the step budget.
 */
export type CheckedTimeline = { segments: Array<TimelineSegment>, truncated: boolean, };

/**
 * A planned workout's start on the athlete's wall clock (DST applied), as text for display or
 * for a runtime without time zones (the Node package): none of it can pass for UTC by
 * mistake. Read `date` and `time` for display, `iso` or `instant` for an instant.
 */
export type LocalStart = { 
/**
 * The athlete's calendar date, `YYYY-MM-DD`.
 */
date: string, 
/**
 * Wall-clock time there, `HH:MM:SS`.
 */
time: string, 
/**
 * The IANA zone, e.g. `Europe/Berlin`.
 */
timeZone: string, 
/**
 * The UTC offset at that moment, e.g. `+02:00`.
 */
offset: string, 
/**
 * The same moment in UTC (RFC 3339, `…Z`).
 */
instant: string, 
/**
 * The same moment with its offset, e.g. `2026-03-29T09:00:00+02:00`.
 */
iso: string, };

/**
 * enduco's answer to an upload.
 */
export type UploadResult = { 
/**
 * enduco's id of the workout (the earlier one for a duplicate).
 */
id: string, 
/**
 * enduco's processing status, e.g. `processing`; `duplicate` for a repeat.
 */
status: string, 
/**
 * The same file was uploaded before (enduco answered 409). Not an error.
 */
duplicate: boolean, };

/**
 * What the pre-flight learned about a valid file.
 */
export type FitSummary = { 
/**
 * 12 or 14.
 */
headerSize: number, 
/**
 * Bytes of records, as declared by the header (and verified).
 */
dataSize: number, 
/**
 * Bytes in the whole file.
 */
fileSize: number, 
/**
 * `file_id.type`; always 4 (activity) for a file that passed.
 */
fileType: number, 
/**
 * `file_id.time_created` in FIT time (seconds since 1989-12-31T00:00:00Z), when present.
 */
timeCreated: number | null, 
/**
 * The file CRC (its last two bytes): with the sizes, what tells this file from another.
 */
fileCrc: number, };

/**
 * A parsed webhook. Serializes back to the wire shape (`{"type": "plan.changed", …}`).
 */
export type WebhookEvent = { "type": "user.deregistered", userId: string, occurredAt: string | null, } | { "type": "plan.changed", userId: string, from: string | null, to: string | null, occurredAt: string | null, } | { "type": "unknown", raw: string, };

/**
 * A flat, string-and-number description of a [`ClientConfig`], the shape every language
 * binding receives from its users (`EnducoClient(client_id=…, environment="beta", …)`).
 * Turning it into a `ClientConfig` happens here, once, so the bindings stay conversion-only.
 *
 * Bindings whose users pass keyword arguments or an options object hand them over whole:
 * Python as JSON text ([`ClientOptions::from_json`]), Node as its JavaScript object
 * ([`ClientOptions::read`], through napi's serde deserializer). Each option may be spelled in
 * snake_case or camelCase, and a shape error names it as the app spelled it. Kotlin and Swift
 * get this struct itself as a record (`ClientOptions(clientId = …)`), and Node's TypeScript
 * type is generated from it, so the list of options is declared only here. Passing one record
 * also keeps the constructor's native call short: JNA on aarch64 corrupts by-value structs
 * passed past the eighth argument register (dist/README.md, "JNA and aarch64").
 */
export type CoreClientOptions = { 
/**
 * The client id enduco issued to the app.
 */
clientId: string, 
/**
 * Must match a redirect URI registered with enduco exactly.
 */
redirectUri: string, 
/**
 * `"beta"` (the default), `"production"` or a base URL (the sandbox, a proxy; plain
 * http only for loopback hosts).
 */
environment?: "beta" | "production" | (string & {}), 
/**
 * PKCE S256 on the authorization request (default true).
 */
usePkce?: boolean, 
/**
 * The athlete's IANA time zone, for "today" in the upcoming plans (default: the
 * system's).
 */
timeZone?: string, 
/**
 * Prepended to the SDK's own User-Agent, e.g. `"MyTrainerApp/3.2"`.
 */
userAgent?: string, 
/**
 * Establishing a connection (default 10 s).
 */
connectTimeoutSeconds?: number, 
/**
 * One request/response exchange (default 30 s).
 */
requestTimeoutSeconds?: number, 
/**
 * One upload exchange (default 600 s).
 */
uploadTimeoutSeconds?: number, 
/**
 * Retries after the first attempt for transient failures (default 3; 0 disables).
 */
maxRetries?: number, 
/**
 * The overall budget of one call including retries and waits (default 60 s); it also
 * bounds how long a call waits for another process's refresh lock.
 */
retryDeadlineSeconds?: number, 
/**
 * Refresh when fewer than this many seconds remain on the access token (default 60; 0
 * refreshes only once it has expired).
 */
refreshMarginSeconds?: number, 
/**
 * The longest one call into the app's token store (load, save, clear, try-lock, unlock)
 * may take (default 10 s). A store call that takes longer fails the SDK call with a
 * `store` error; the session works again on the next call.
 */
storeTimeoutSeconds?: number, 
/**
 * How long this process may hold a store's refresh lock before another may take it: what
 * a crashed holder costs the others (default: the request timeout plus twice the store
 * timeout plus 5 s).
 */
lockLeaseSeconds?: number, 
/**
 * The largest answer read from a data endpoint, in bytes (default 8 MiB, at least 1024).
 * A bigger answer, declared or streamed, fails with `invalid_response` without being read
 * whole. Token answers have their own fixed cap (64 KiB).
 */
maxResponseBytes?: number, };

/**
 * One user's grant as the host app stores it.
 *
 * Serializes to JSON (`to_json` / `from_json`) for the host's storage. `Debug` shows the
 * expiry, scopes and user but never a token value.
 */
export type TokenSetJSON = { schema_version: number, access_token: string, refresh_token: string | null, 
/**
 * Expiry of the access token, unix seconds, computed from when the request was sent.
 */
expires_at: number, 
/**
 * Scopes enduco granted (which may be fewer than requested).
 */
scopes: Array<string>, token_type: string, };

