import { assert, describe, it } from "@effect/vitest"
import { DateTime, Either, Redacted, Schema } from "effect"
import * as Challenge from "../src/internal/challenge.js"
import * as Transform from "../src/internal/transform.js"
import { RetryPolicy } from "../src/index.js"
import { bundle, deletedBundle } from "./utils.js"

describe("wire ⇄ model transformation", () => {
  it("maps a SecretBundle to KeyVaultSecret with DateTime dates and a Redacted value", () => {
    const s = Schema.decodeUnknownSync(Transform.KeyVaultSecretFromBundle)(
      bundle("n", { contentType: "text/plain", kid: "https://v/keys/k/1", managed: true, previousVersion: "p1", attributes: { enabled: false, nbf: 1700000000, exp: 32503680000, created: 1, updated: 2, recoverableDays: 7, recoveryLevel: "CustomizedRecoverable+Purgeable" }, tags: { a: "b" } })
    )
    assert.strictEqual(s.name, "n")
    assert.strictEqual(Redacted.value(s.value), "s3cr3t-value")
    assert.notInclude(String(s.value), "s3cr3t")
    assert.notInclude(JSON.stringify(s), "s3cr3t")
    const p = s.properties
    assert.strictEqual(p.vaultUrl, "https://myvault.vault.azure.net")
    assert.strictEqual(p.version, "0123456789abcdef0123456789abcdef")
    assert.strictEqual(p.enabled, false)
    assert.strictEqual(DateTime.toEpochMillis(p.expiresOn!), 32503680000 * 1000)
    assert.strictEqual(DateTime.formatIso(p.expiresOn!), "3000-01-01T00:00:00.000Z")
    assert.strictEqual(p.certificateKeyId, "https://v/keys/k/1")
    assert.strictEqual(p.managed, true)
    assert.strictEqual(p.previousVersion, "p1")
    assert.strictEqual(p.recoverableDays, 7)
    assert.deepStrictEqual(p.tags, { a: "b" })
  })

  it("encodes back to the wire form with whole epoch seconds past 2038", () => {
    const s = Schema.decodeUnknownSync(Transform.KeyVaultSecretFromBundle)(bundle("n", { attributes: { exp: 2527372800 } }))
    const wire = Schema.encodeSync(Transform.KeyVaultSecretFromBundle)(s)
    assert.strictEqual(wire.attributes?.exp, 2527372800)
    assert.strictEqual(wire.value, "s3cr3t-value")
    assert.strictEqual(Transform.toEpoch(new Date("2050-02-02T00:00:00.999Z")), 2527372800)
  })

  it("maps a DeletedSecretBundle with recovery fields", () => {
    const d = Schema.decodeUnknownSync(Transform.DeletedSecretFromBundle)(deletedBundle("gone"))
    assert.strictEqual(d.name, "gone")
    assert.strictEqual(d.recoveryId, "https://myvault.vault.azure.net/deletedsecrets/gone")
    assert.strictEqual(DateTime.toEpochMillis(d.deletedOn!), 1700000000 * 1000)
    assert.strictEqual(d.value, undefined)
  })

  it("list items without a version decode to properties with no version", () => {
    const page = Schema.decodeUnknownSync(Transform.SecretPage)({ value: [{ id: "https://v.vault.azure.net/secrets/a", attributes: { enabled: true } }], nextLink: null })
    assert.strictEqual(page.value[0].name, "a")
    assert.strictEqual(page.value[0].version, undefined)
    assert.strictEqual(page.nextLink, undefined)
  })

  it("rejects bundles with a bad id or wrong types", () => {
    assert.isTrue(Either.isLeft(Schema.decodeUnknownEither(Transform.KeyVaultSecretFromBundle)(bundle("n", { id: "https://v/keys/x/1" }))))
    assert.isTrue(Either.isLeft(Schema.decodeUnknownEither(Transform.KeyVaultSecretFromBundle)(bundle("n", { attributes: { exp: "soon" } }))))
  })

  it("base64url round trip", () => {
    const bytes = new Uint8Array([0, 251, 255, 1, 2])
    assert.deepStrictEqual(Transform.fromBase64Url(Transform.toBase64Url(bytes)), bytes)
    assert.notInclude(Transform.toBase64Url(bytes), "=")
  })
})

describe("WWW-Authenticate", () => {
  it("parses authorization/resource and pulls the tenant from the path", () => {
    const c = Challenge.parseWWWAuthenticate(`Bearer authorization="https://login.microsoftonline.com/72f988bf", resource="https://vault.azure.net"`)
    assert.strictEqual(c.tenantId, "72f988bf")
    assert.strictEqual(Challenge.scopeOf(c), "https://vault.azure.net/.default")
  })

  it("accepts authorization_uri and scope, and ignores unknown keys", () => {
    const c = Challenge.parseWWWAuthenticate(`Bearer authorization_uri="https://login.windows.net/t2/oauth2/authorize", scope="https://vault.azure.net/.default", foo="bar"`)
    assert.strictEqual(c.tenantId, "t2")
    assert.strictEqual(Challenge.scopeOf(c), "https://vault.azure.net/.default")
  })

  it("parses a CAE challenge and decodes claims with or without padding", () => {
    const claims = `{"access_token":{"nbf":{"essential":true,"value":"1726077595"}}}`
    const b64 = Buffer.from(claims).toString("base64").replace(/=+$/, "")
    const c = Challenge.parseWWWAuthenticate(`Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", error="insufficient_claims", claims="${b64}"`)
    assert.strictEqual(c.error, "insufficient_claims")
    assert.strictEqual(Challenge.decodeClaims(c.claims!), claims)
    assert.strictEqual(Challenge.scopeOf(c), undefined)
  })

  it("verifies the resource by case-insensitive host suffix", () => {
    const at = (host: string) => new URL(`https://${host}`)
    assert.strictEqual(Challenge.verifyResource(at("MyVault.Vault.Azure.NET"), "https://vault.azure.net/.default"), "ok")
    assert.strictEqual(Challenge.verifyResource(at("myvault.vault.azure.net"), "https://evil.example/.default"), "mismatch")
    assert.strictEqual(Challenge.verifyResource(at("notvault.azure.net"), "https://vault.azure.net/.default"), "mismatch")
    assert.strictEqual(Challenge.verifyResource(at("x"), "not a url"), "invalid")
  })
})

describe("RetryPolicy", () => {
  it("classifies statuses like the Azure SDK", () => {
    for (const s of [408, 500, 502, 503, 504]) assert.isTrue(RetryPolicy.isRetryableStatus(s, false), String(s))
    for (const s of [400, 401, 403, 404, 409, 429, 501, 505]) assert.isFalse(RetryPolicy.isRetryableStatus(s, false), String(s))
    assert.isTrue(RetryPolicy.isRetryableStatus(429, true))
  })

  it("reads retry-after-ms, x-ms-retry-after-ms, Retry-After seconds and dates", () => {
    assert.strictEqual(RetryPolicy.parseRetryAfter({ "retry-after-ms": "250" }, 0)!.value._tag, "Millis")
    assert.deepStrictEqual(RetryPolicy.parseRetryAfter({ "x-ms-retry-after-ms": "1500", "retry-after": "9" }, 0)?.toJSON(), { _id: "Duration", _tag: "Millis", millis: 1500 })
    assert.deepStrictEqual(RetryPolicy.parseRetryAfter({ "retry-after": "3" }, 0)?.toJSON(), { _id: "Duration", _tag: "Millis", millis: 3000 })
    const now = Date.parse("2026-01-01T00:00:00Z")
    assert.deepStrictEqual(RetryPolicy.parseRetryAfter({ "retry-after": "Thu, 01 Jan 2026 00:00:05 GMT" }, now)?.toJSON(), { _id: "Duration", _tag: "Millis", millis: 5000 })
    assert.strictEqual(RetryPolicy.parseRetryAfter({}, 0), undefined)
  })
})

describe("package", () => {
  it("the user-agent version matches package.json", async () => {
    const { packageVersion } = await import("../src/internal/version.js")
    const pkg = await import("../package.json", { with: { type: "json" } })
    assert.strictEqual(packageVersion, pkg.default.version)
  })
})
