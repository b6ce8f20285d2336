/**
 * Client-side argument checks, run before any request is sent. Each returns the error, or `undefined` when
 * the argument is fine: plain functions, so an operation checks its input without an Effect step per check.
 */
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as SecretError from "../SecretError.js"

export const limits = {
  maxNameLength: 127,
  /** "25k bytes" (about-secrets.md). */
  maxValueBytes: 25 * 1024,
  maxContentTypeLength: 255,
  maxTags: 15,
  maxTagLength: 512,
  maxPageSize: 25
} as const

const namePattern = /^[0-9a-zA-Z-]+$/
const versionPattern = /^[0-9a-zA-Z-]*$/

const invalid = (vault: string, name: string | undefined, argument: string, message: string) =>
  new SecretError.InvalidArgument({ vault, name, argument, message })

export const name = (vault: string, n: string): SecretError.InvalidArgument | undefined => {
  if (typeof n !== "string" || n.length === 0) {
    return invalid(vault, undefined, "name", "The secret name must not be empty.")
  }
  if (n.length > limits.maxNameLength) {
    return invalid(vault, n.slice(0, 40), "name", `The secret name is ${n.length} characters; at most ${limits.maxNameLength} are allowed.`)
  }
  if (!namePattern.test(n)) {
    return invalid(
      vault,
      undefined,
      "name",
      `Invalid secret name '${n.slice(0, 127)}': only 0-9, a-z, A-Z and '-' are allowed.`
    )
  }
  return undefined
}

export const version = (vault: string, n: string, v: string | undefined): SecretError.InvalidArgument | undefined =>
  v === undefined || versionPattern.test(v)
    ? undefined
    : invalid(vault, n, "version", `Invalid secret version: only 0-9, a-z, A-Z and '-' are allowed.`)

export const value = (vault: string, n: string, v: string): SecretError.InvalidArgument | undefined => {
  const bytes = Buffer.byteLength(v, "utf8")
  // The message states the size only; the value itself never goes into an error.
  return bytes > limits.maxValueBytes
    ? invalid(vault, n, "value", `The secret value is ${bytes} bytes; Key Vault allows at most ${limits.maxValueBytes}.`)
    : undefined
}

export interface PropertyInput {
  readonly contentType?: string | undefined
  readonly tags?: Readonly<Record<string, string>> | undefined
  readonly notBefore?: DateTime.DateTime | Date | undefined
  readonly expiresOn?: DateTime.DateTime | Date | undefined
}

const millis = (d: DateTime.DateTime | Date) => d instanceof Date ? d.getTime() : DateTime.toEpochMillis(d)

export const properties = (vault: string, n: string, p: PropertyInput): SecretError.InvalidArgument | undefined => {
  if (p.contentType !== undefined && p.contentType.length > limits.maxContentTypeLength) {
    return invalid(vault, n, "contentType", `contentType is ${p.contentType.length} characters; at most ${limits.maxContentTypeLength} are allowed.`)
  }
  if (p.tags !== undefined) {
    const entries = Object.entries(p.tags)
    if (entries.length > limits.maxTags) {
      return invalid(vault, n, "tags", `${entries.length} tags given; at most ${limits.maxTags} are allowed.`)
    }
    for (const [k, v] of entries) {
      if (k.length === 0 || k.length > limits.maxTagLength) {
        return invalid(vault, n, "tags", `Tag names must be 1..${limits.maxTagLength} characters.`)
      }
      if (typeof v !== "string" || v.length > limits.maxTagLength) {
        return invalid(vault, n, "tags", `Tag '${k}' has a value that is not a string of at most ${limits.maxTagLength} characters.`)
      }
    }
  }
  for (const [field, d] of [["notBefore", p.notBefore], ["expiresOn", p.expiresOn]] as const) {
    if (d !== undefined && !Number.isFinite(millis(d))) {
      return invalid(vault, n, field, `${field} is not a valid date.`)
    }
  }
  if (p.notBefore !== undefined && p.expiresOn !== undefined && millis(p.notBefore) > millis(p.expiresOn)) {
    return invalid(vault, n, "notBefore", "notBefore is after expiresOn; the secret would never be valid.")
  }
  return undefined
}

export const maxPageSize = (vault: string, size: number | undefined): SecretError.InvalidArgument | undefined =>
  size === undefined || (Number.isInteger(size) && size >= 1 && size <= limits.maxPageSize)
    ? undefined
    : invalid(vault, undefined, "maxPageSize", `maxPageSize must be an integer in 1..${limits.maxPageSize}.`)

/** A polling interval (watch, config refresh): finite and at least 1 second, so a typo cannot hammer the vault. */
export const pollInterval = (
  vault: string,
  argument: string,
  input: Duration.DurationInput
): Effect.Effect<Duration.Duration, SecretError.InvalidArgument> => {
  const interval = Duration.decode(input)
  return Duration.isFinite(interval) && Duration.greaterThanOrEqualTo(interval, Duration.seconds(1))
    ? Effect.succeed(interval)
    : Effect.fail(
      new SecretError.InvalidArgument({
        vault,
        name: undefined,
        argument,
        message: `${argument} must be a finite duration of at least 1 second.`
      })
    )
}
