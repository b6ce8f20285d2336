/**
 * The one-pass response decoders (internal/transform.ts) and the identifier fast path check exactly what
 * the wire schemas and the URL parser check: property tests hold them together. Malformed list items over
 * real HTTP are typed MalformedResponse errors naming where, never what.
 */
import { assert, describe, it } from "@effect/vitest"
import { DateTime, Effect, Either, Layer, Redacted, Schema, Stream } from "effect"
import * as fc from "fast-check"
import * as Identifier from "../src/internal/identifier.js"
import * as Transform from "../src/internal/transform.js"
import * as Wire from "../src/internal/wire.js"
import type { SecretProperties } from "../src/KeyVaultSecret.js"
import { Credential, SecretClient } from "../src/index.js"
import * as UndiciHttpClient from "../src/UndiciHttpClient.js"
import { scriptedServer, withChallenge } from "./utils.js"

// ---------------------------------------------------------------------------------------------------------
// Identifier: the plain-shape fast path gives what the URL parser gives

const hosts = [
  "myvault.vault.azure.net", "MyVault.vault.azure.net", "a", "a-b.c", "a..b", ".a", "a.", "-a.b", "a.b-",
  "127.0.0.1", "127.1", "1.2.3", "256.1.1.1", "01.2.3.4", "0x7f.0.0.1", "a.0x7f", "a.1", "1a.b", "b.1a", "xn--abc",
  "xn--bcher-kva.example", "[::1]", "a_b", "a b", "ä.example", "a%41", "1.2.3.4.5", "255.255.255.255", "0.0.0.0"
]
const ports = ["", ":443", ":80", ":0", ":1", ":08443", ":4000", ":65535", ":65536", ":99999", ":"]
const paths = [
  "/secrets/name", "/secrets/name/", "/secrets/name/0123abc", "/secrets/na-me/V1", "/secrets/na%2Dme", "/secrets/",
  "/secrets", "/secrets/a/b/c", "/deletedsecrets/name", "/deletedsecrets/name/v", "/deletedsecrets/", "/keys/a",
  "/secrets/a?x=1", "/secrets/a#f", "/secrets/a_b", "/Secrets/a", "/secrets/%E0%A4%A", "/secrets/a/%41"
]

describe("identifier fast path", () => {
  it("parsePlain agrees with the URL parser on every id it accepts", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("https://", "http://", "HTTPS://", "ftp://", "https:/"),
        fc.constantFrom(...hosts),
        fc.constantFrom(...ports),
        fc.constantFrom(...paths),
        (scheme, host, port, path) => {
          const id = `${scheme}${host}${port}${path}`
          const fast = Identifier.parsePlain(id)
          if (fast !== undefined) assert.deepStrictEqual(fast, Identifier.parseWithUrl(id), id)
        }
      ),
      { numRuns: 3000 }
    )
    // It does take the common shapes.
    assert.isDefined(Identifier.parsePlain("https://myvault.vault.azure.net/secrets/db-password/0123456789abcdef"))
    assert.isDefined(Identifier.parsePlain("https://127.0.0.1:8443/deletedsecrets/x"))
    assert.isUndefined(Identifier.parsePlain("https://a.0x7f/secrets/x"))
  })
})

// ---------------------------------------------------------------------------------------------------------
// Bundles and pages: accepted iff the wire schema (and the id) accept; same models

const junk = fc.oneof(
  fc.constant(null),
  fc.constant(undefined),
  fc.integer(),
  fc.double(),
  fc.constantFrom(1e13, -1e13, 8.64e12, -8.64e12, Number.NaN, Infinity),
  fc.string({ maxLength: 4 }),
  fc.boolean(),
  fc.constant([]),
  fc.constant({}),
  fc.constant(["a"])
)
const maybe = <A>(valid: fc.Arbitrary<A>) => fc.oneof({ weight: 4, arbitrary: valid }, { weight: 1, arbitrary: junk })
const epoch = fc.oneof(fc.integer({ min: -2e9, max: 4e9 }), fc.constantFrom(8.64e12, 1.5))
const ids = fc.constantFrom(
  "https://v.vault.azure.net/secrets/a",
  "https://v.vault.azure.net/secrets/a/0123",
  "https://V.vault.azure.net:443/secrets/a%2Db/x",
  "https://v.vault.azure.net/deletedsecrets/a",
  "https://v.vault.azure.net/keys/a",
  "not a url",
  "https://v.vault.azure.net/secrets/%E0%A4%A"
)
const attributes = fc.record({
  enabled: maybe(fc.boolean()),
  nbf: maybe(epoch),
  exp: maybe(epoch),
  created: maybe(epoch),
  updated: maybe(epoch),
  recoverableDays: maybe(fc.integer({ min: 0, max: 90 })),
  recoveryLevel: maybe(fc.string({ maxLength: 5 }))
}, { requiredKeys: [] })
const tags = fc.oneof(
  fc.dictionary(fc.string({ maxLength: 3 }), fc.string({ maxLength: 3 }), { maxKeys: 3 }),
  fc.dictionary(fc.string({ maxLength: 3 }), junk, { minKeys: 1, maxKeys: 2 })
)
const bundle = fc.record({
  value: maybe(fc.string({ maxLength: 5 })),
  id: maybe(ids),
  contentType: maybe(fc.string({ maxLength: 5 })),
  attributes: maybe(attributes),
  tags: maybe(tags),
  kid: maybe(fc.string({ maxLength: 5 })),
  managed: maybe(fc.boolean()),
  previousVersion: maybe(fc.string({ maxLength: 5 })),
  recoveryId: maybe(fc.string({ maxLength: 5 })),
  scheduledPurgeDate: maybe(epoch),
  deletedDate: maybe(epoch)
}, { requiredKeys: [] })

const date = (s: number | undefined) => (s === undefined ? undefined : DateTime.toEpochMillis(DateTime.unsafeMake(s * 1000)))

/** What the models must say, computed from the Schema-decoded wire bundle. */
const expectedProperties = (w: Wire.SecretBundle) => {
  const parts = Identifier.parse(w.id)
  if ("invalid" in parts) return undefined
  return {
    vaultUrl: parts.vaultUrl,
    name: parts.name,
    version: parts.version,
    id: w.id,
    contentType: w.contentType,
    enabled: w.attributes?.enabled,
    notBefore: date(w.attributes?.nbf),
    expiresOn: date(w.attributes?.exp),
    createdOn: date(w.attributes?.created),
    updatedOn: date(w.attributes?.updated),
    tags: w.tags ?? {},
    recoverableDays: w.attributes?.recoverableDays,
    recoveryLevel: w.attributes?.recoveryLevel,
    managed: w.managed,
    certificateKeyId: w.kid,
    previousVersion: w.previousVersion
  }
}

const actualProperties = (p: SecretProperties) => ({
  vaultUrl: p.vaultUrl,
  name: p.name,
  version: p.version,
  id: p.id,
  contentType: p.contentType,
  enabled: p.enabled,
  notBefore: p.notBefore && DateTime.toEpochMillis(p.notBefore),
  expiresOn: p.expiresOn && DateTime.toEpochMillis(p.expiresOn),
  createdOn: p.createdOn && DateTime.toEpochMillis(p.createdOn),
  updatedOn: p.updatedOn && DateTime.toEpochMillis(p.updatedOn),
  tags: p.tags,
  recoverableDays: p.recoverableDays,
  recoveryLevel: p.recoveryLevel,
  managed: p.managed,
  certificateKeyId: p.certificateKeyId,
  previousVersion: p.previousVersion
})

describe("one-pass decoders", () => {
  it("a bundle decodes iff the wire schema and the id accept it, to the same properties", () => {
    const wire = Schema.decodeUnknownEither(Wire.SecretBundle)
    const deletedWire = Schema.decodeUnknownEither(Wire.DeletedSecretBundle)
    const props = Schema.decodeUnknownEither(Transform.SecretPropertiesFromBundle)
    const secret = Schema.decodeUnknownEither(Transform.KeyVaultSecretFromBundle)
    const deleted = Schema.decodeUnknownEither(Transform.DeletedSecretFromBundle)
    fc.assert(
      fc.property(fc.oneof({ weight: 9, arbitrary: bundle }, { weight: 1, arbitrary: junk }), (b) => {
        const w = wire(b)
        const expected = Either.isRight(w) ? expectedProperties(w.right) : undefined
        const p = props(b)
        assert.strictEqual(Either.isRight(p), expected !== undefined)
        if (Either.isRight(p)) assert.deepStrictEqual(actualProperties(p.right), expected)
        const s = secret(b)
        assert.strictEqual(Either.isRight(s), expected !== undefined && Either.isRight(w) && w.right.value !== undefined)
        if (Either.isRight(s) && Either.isRight(w)) assert.strictEqual(Redacted.value(s.right.value), w.right.value)
        const dw = deletedWire(b)
        const d = deleted(b)
        assert.strictEqual(Either.isRight(d), Either.isRight(dw) && expectedProperties(dw.right) !== undefined)
        if (Either.isRight(d) && Either.isRight(dw)) {
          assert.strictEqual(d.right.recoveryId, dw.right.recoveryId)
          assert.strictEqual(d.right.deletedOn && DateTime.toEpochMillis(d.right.deletedOn), date(dw.right.deletedDate))
        }
      }),
      { numRuns: 4000 }
    )
  })

  it("a page decodes iff every item does and nextLink is a string or absent", () => {
    const page = Schema.decodeUnknownEither(Transform.SecretPage)
    const item = Schema.decodeUnknownEither(Transform.SecretPropertiesFromBundle)
    fc.assert(
      fc.property(fc.array(bundle, { maxLength: 4 }), maybe(fc.string({ maxLength: 5 })), (items, nextLink) => {
        const p = page({ value: items, nextLink })
        const each = items.map((i) => item(i))
        const ok = each.every(Either.isRight) && (nextLink === undefined || nextLink === null || typeof nextLink === "string")
        assert.strictEqual(Either.isRight(p), ok)
        if (Either.isRight(p)) {
          assert.deepStrictEqual(p.right.value.map(actualProperties), each.map((e) => actualProperties(Either.getOrThrow(e))))
          assert.strictEqual(p.right.nextLink, nextLink ?? undefined)
        }
      }),
      { numRuns: 2000 }
    )
    assert.isTrue(Either.isLeft(page(null)))
    assert.isTrue(Either.isLeft(page({})))
    assert.isTrue(Either.isLeft(page({ value: {} })))
    assert.isTrue(Either.isLeft(page({ value: [], nextLink: 3 })))
  })
})

// ---------------------------------------------------------------------------------------------------------
// Malformed list items over HTTP

const SECRET = "do-not-leak-this-value"

const listOver = (page: (url: string) => unknown) =>
  Effect.gen(function*() {
    let base = ""
    const server = yield* scriptedServer((req, i) =>
      withChallenge(() => ({ status: 200, body: page(base) }), `Bearer authorization="https://login.microsoftonline.com/t", resource="${base}"`)(req, i)
    )
    base = server.url
    return yield* Effect.flip(
      Effect.flatMap(SecretClient.SecretClient, (c) => Stream.runCollect(c.listPropertiesOfSecrets())).pipe(
        Effect.provide(SecretClient.layer({ vaultUrl: server.url, allowInsecureLoopback: true }).pipe(
          Layer.provide(Credential.layerStatic("t")),
          Layer.provide(UndiciHttpClient.layer)
        ))
      )
    )
  })

const item = (url: string, i: number, extra: Record<string, unknown> = {}) => ({
  id: `${url}/secrets/s${i}`,
  attributes: { enabled: true, created: 1700000000 },
  tags: { k: "v" },
  ...extra
})

describe("malformed list items are a MalformedResponse naming the place, not the content", () => {
  const cases: ReadonlyArray<readonly [string, (url: string) => unknown, string]> = [
    ["a bad date in the 4th item", (url) => ({ value: [0, 1, 2, 3].map((i) => item(url, i, i === 3 ? { attributes: { exp: SECRET } } : {})) }), "value.3.attributes.exp: Type"],
    ["an out-of-range date", (url) => ({ value: [item(url, 0, { attributes: { created: 1e13 } })] }), "value.0.attributes.created: Type"],
    ["a missing id", (url) => ({ value: [item(url, 0), { attributes: {} }] }), "value.1.id: Missing"],
    ["an id that is not a secret id", (url) => ({ value: [item(url, 0, { id: `${url}/keys/${SECRET}` })] }), "value.0: Type"],
    ["a tag that is not a string", (url) => ({ value: [item(url, 0, { tags: { a: "b", [SECRET]: 1 } })] }), `value.0.tags.${SECRET}: Type`],
    ["an item that is not an object", (url) => ({ value: [item(url, 0), SECRET] }), "value.1: Type"],
    ["value not an array", () => ({ value: { [SECRET]: 1 } }), "value: Type"],
    ["nextLink not a string", (url) => ({ value: [item(url, 0)], nextLink: 42 }), "nextLink: Type"]
  ]
  for (const [label, page, where] of cases) {
    it.scoped(label, () =>
      Effect.gen(function*() {
        const e = yield* listOver(page)
        assert.strictEqual(e._tag, "MalformedResponse")
        assert.include(e.message, where)
        // Tag names are keys, so a key may show in the path; values never do.
        if (!label.startsWith("a tag")) assert.notInclude(e.message, SECRET)
      }))
  }
})
