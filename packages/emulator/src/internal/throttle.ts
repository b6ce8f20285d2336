/**
 * Key Vault's service throttling per vault: "secret CREATE" (set, restore) and every other secret transaction
 * have separate budgets (300 and 4,000 per 10 s), each enforced over a sliding window so no 10 s span ever
 * holds more (a token bucket of the same size would let up to twice the limit through in 10 s). A throttled
 * request is answered 429 `Throttled` with `Retry-After` and, as in the service, does not count.
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

// At most `limit` accepted requests in any `windowMs` (a sliding window, as "N per 10 s" reads): a ring of the
// last `limit` acceptance times; a request is accepted when the oldest of them has left the window.
const bucket = (limit: number, windowMs: number) => {
  const ring = new Float64Array(Math.max(1, limit)).fill(Number.NEGATIVE_INFINITY)
  let next = 0
  return (now: number): Rejection | undefined => {
    const oldest = ring[next]!
    if (oldest <= now - windowMs) {
      ring[next] = now
      next = (next + 1) % ring.length
      return undefined
    }
    return { retryAfterSeconds: Math.max(1, Math.ceil((oldest + windowMs - now) / 1000)) }
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
