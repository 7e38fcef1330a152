// ESM entry point: the same objects as the CommonJS entry (index.js).
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const enduco = require('./index.js')

export const {
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
  InvalidInputError,
  AuthorizationDeniedError,
  StateMismatchError,
  ReauthorizationRequiredError,
  InsufficientScopeError,
  RateLimitedError,
  ServerError,
  ApiError,
  NetworkError,
  EnducoTimeoutError,
  TimeoutError,
  InvalidResponseError,
  StoreError,
  InternalError,
} = enduco

export default enduco
