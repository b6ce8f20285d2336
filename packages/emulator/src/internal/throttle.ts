/**
 * Key Vault's service throttling as token buckets per vault: "secret CREATE" (set, restore) and every other
 * secret transaction have separate budgets (300 and 4,000 per 10 s). A throttled request is answered 429
 * `Throttled` with `Retry-After` and, as in the service, does not count toward the limit.
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"

/** @internal */
export interface Settings {
  readonly transactions?: number | undefined
  readonly createTransactions?: number | undefined
  readonly window?: Duration.DurationInput | undefined
}

/** @internal */
export interface Rejection {
  readonly retryAfterSeconds: number
}

/** @internal */
export type Throttle = (method: string, rawPath: string) => Effect.Effect<Rejection | undefined>

const bucket = (capacity: number, windowMs: number) => {
  const perMs = capacity / windowMs
  let tokens = capacity
  let last: number | undefined
  return (now: number): Rejection | undefined => {
    tokens = Math.min(capacity, tokens + (last === undefined ? 0 : Math.max(0, now - last) * perMs))
    last = now
    if (tokens >= 1) {
      tokens -= 1
      return undefined
    }
    return { retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / perMs / 1000)) }
  }
}

// set (PUT /secrets/{name}) and restore are CREATE operations for the service's limits.
const isCreate = (method: string, rawPath: string) =>
  (method === "PUT" && /^\/*secrets\/[^/]+\/?$/i.test(rawPath)) ||
  (method === "POST" && /^\/*secrets\/restore\/?$/i.test(rawPath))

/** @internal */
export const make = (settings: Settings = {}): Throttle => {
  const windowMs = Duration.toMillis(Duration.decode(settings.window ?? "10 seconds"))
  const create = bucket(settings.createTransactions ?? 300, windowMs)
  const other = bucket(settings.transactions ?? 4000, windowMs)
  return (method, rawPath) =>
    Effect.map(Clock.currentTimeMillis, (now) => (isCreate(method, rawPath) ? create : other)(now))
}

/** @internal The service's body for a throttled request. */
export const body = {
  error: {
    code: "Throttled",
    message: "Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached"
  }
}
