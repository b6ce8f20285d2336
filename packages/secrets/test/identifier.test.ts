import { assert, describe, it } from "@effect/vitest"
import { Either, Schema } from "effect"
import { KeyVaultSecretIdentifier } from "../src/index.js"

describe("KeyVaultSecretIdentifier", () => {
  it("parses a versioned secret id", () => {
    const id = KeyVaultSecretIdentifier.unsafeParse("https://myvault.vault.azure.net/secrets/my-secret/0123456789abcdef0123456789abcdef")
    assert.strictEqual(id.vaultUrl, "https://myvault.vault.azure.net")
    assert.strictEqual(id.name, "my-secret")
    assert.strictEqual(id.version, "0123456789abcdef0123456789abcdef")
    assert.strictEqual(id.collection, "secrets")
  })

  it("keeps the port and accepts the pending version", () => {
    const id = KeyVaultSecretIdentifier.unsafeParse("https://127.0.0.1:8443/secrets/name/pending")
    assert.strictEqual(id.vaultUrl, "https://127.0.0.1:8443")
    assert.strictEqual(id.version, "pending")
  })

  it("keeps a written :443 port, like Python", () => {
    const id = KeyVaultSecretIdentifier.unsafeParse("https://myvault.vault.azure.net:443/secrets/name")
    assert.strictEqual(id.vaultUrl, "https://myvault.vault.azure.net:443")
    assert.strictEqual(id.version, undefined)
    assert.strictEqual(KeyVaultSecretIdentifier.unsafeParse("http://127.0.0.1:80/secrets/n").vaultUrl, "http://127.0.0.1:80")
  })

  it("parses deletedsecrets recovery ids without a version", () => {
    const id = KeyVaultSecretIdentifier.unsafeParse("https://v.vault.azure.net/deletedsecrets/gone")
    assert.strictEqual(id.collection, "deletedsecrets")
    assert.strictEqual(id.name, "gone")
    assert.strictEqual(id.version, undefined)
  })

  it("gives version \"\" for a trailing slash, like JS", () => {
    const id = KeyVaultSecretIdentifier.unsafeParse("https://v.vault.azure.net/secrets/name/")
    assert.strictEqual(id.version, "")
  })

  it("rejects other collections, bad URLs and extra segments with a clear message", () => {
    for (const bad of [
      "https://v.vault.azure.net/keys/name/1",
      "not a url",
      "https://v.vault.azure.net/secrets",
      "https://v.vault.azure.net/secrets/a/b/c",
      "ftp://v.vault.azure.net/secrets/a",
      "https://v.vault.azure.net\\@evil.com/secrets/a",
      "https://v.vault.azure.net@evil.com/secrets/a",
      "https://v.vault.azure.net/secrets//name",
      "https://v.vault.azure.net/secrets/name/1/",
      "https://v.vault.azure.net/secrets/na%ZZme",
      "https:///secrets/a"
    ]) {
      const r = KeyVaultSecretIdentifier.parse(bad)
      assert.isTrue(Either.isLeft(r), bad)
      if (Either.isLeft(r)) {
        assert.strictEqual(r.left._tag, "InvalidIdentifier")
        assert.include(r.left.message, "Expected https://<vault-host>/secrets/<name>")
      }
    }
  })

  it("is a Schema from string (round trip)", () => {
    const s = "https://v.vault.azure.net/secrets/name/abc"
    const id = Schema.decodeSync(KeyVaultSecretIdentifier.FromString)(s)
    assert.strictEqual(id.name, "name")
    assert.strictEqual(Schema.encodeSync(KeyVaultSecretIdentifier.FromString)(id), s)
    assert.isTrue(Either.isLeft(Schema.decodeEither(KeyVaultSecretIdentifier.FromString)("https://v/keys/x")))
  })

  // The references' own test vectors (Python test_parse_id.py, JS identifier.spec.ts / identifier.test.ts),
  // rewritten as data: [input, vaultUrl, name, version].
  const referenceVectors: ReadonlyArray<readonly [string, string, string, string | undefined]> = [
    // Python test_parse_secret_id_with_pending_version, JS "before it gets a version"
    ["https://keyvault-name.vault.azure.net/secrets/secret-name/pending", "https://keyvault-name.vault.azure.net", "secret-name", "pending"],
    // JS "with a specific version"
    ["https://keyvault-name.vault.azure.net/secrets/secret-name/version", "https://keyvault-name.vault.azure.net", "secret-name", "version"],
    // Python test_parse_deleted_secret_id, JS "deleted secret recovery ID"
    ["https://keyvault-name.vault.azure.net/deletedsecrets/deleted-secret", "https://keyvault-name.vault.azure.net", "deleted-secret", undefined]
  ]
  for (const [input, vaultUrl, name, version] of referenceVectors) {
    it(`reference vector ${input}`, () => {
      const id = KeyVaultSecretIdentifier.unsafeParse(input)
      assert.deepStrictEqual([id.sourceId, id.vaultUrl, id.name, id.version], [input, vaultUrl, name, version])
    })
  }

  it("reference vector: an invalid collection throws (JS)", () => {
    assert.isTrue(Either.isLeft(KeyVaultSecretIdentifier.parse("https://keyvault-name.vault.azure.net/bad-name/bad-name")))
  })

  // What both references accept (parity audit, section 3.1): [input, collection, name, version, vaultUrl].
  const acceptedByBoth: ReadonlyArray<readonly [string, string, string, string | undefined, string]> = [
    ["https://v.vault.azure.net/deletedsecrets/name/1", "deletedsecrets", "name", "1", "https://v.vault.azure.net"],
    ["https://v.vault.azure.net/Secrets/name/1", "secrets", "name", "1", "https://v.vault.azure.net"],
    ["https://v.vault.azure.net/DeletedSecrets/name", "deletedsecrets", "name", undefined, "https://v.vault.azure.net"],
    ["https://v.vault.azure.net/secrets/name/1?api-version=7.6", "secrets", "name", "1", "https://v.vault.azure.net"],
    ["https://v.vault.azure.net/secrets/name?api-version=7.6#frag", "secrets", "name", undefined, "https://v.vault.azure.net"],
    ["https://v.vault.azure.net:8443/secrets/name/1", "secrets", "name", "1", "https://v.vault.azure.net:8443"],
    ["https://V.VAULT.Azure.NET/secrets/Name/1", "secrets", "Name", "1", "https://v.vault.azure.net"],
    ["http://127.0.0.1:8080/secrets/name/1", "secrets", "name", "1", "http://127.0.0.1:8080"],
    ["  https://v.vault.azure.net/secrets/name  ", "secrets", "name", undefined, "https://v.vault.azure.net"]
  ]
  for (const [input, collection, name, version, vaultUrl] of acceptedByBoth) {
    it(`accepts ${input.trim()}`, () => {
      const id = KeyVaultSecretIdentifier.unsafeParse(input)
      assert.deepStrictEqual([id.collection, id.name, id.version, id.vaultUrl, id.sourceId], [collection, name, version, vaultUrl, input.trim()])
    })
  }

  it("format builds what parse reads back", () => {
    const parts = { vaultUrl: "https://v.vault.azure.net:443", collection: "deletedsecrets" as const, name: "a-b", version: "x y" }
    const id = KeyVaultSecretIdentifier.unsafeParse(KeyVaultSecretIdentifier.format(parts))
    assert.deepStrictEqual([id.vaultUrl, id.collection, id.name, id.version], [parts.vaultUrl, parts.collection, parts.name, parts.version])
  })
})

describe("identifier parsing reuses the last vault URL only where it is a true prefix", () => {
  it("ids of other vaults, longer hosts, ports and collections right after one another parse as on their own", () => {
    const ids = [
      "https://a.vault.azure.net/secrets/one/0123",
      "https://a.vault.azure.net/secrets/two",
      "https://a.vault.azure.net.evil.example/secrets/three",
      "https://a.vault.azure.net:8443/secrets/four/v",
      "https://a.vault.azure.net/deletedsecrets/five",
      "https://a.vault.azure.netx/secrets/six",
      "https://a.vault.azure.net/secrets/se%76en",
      "https://a.vault.azure.net/secrets/bad name",
      "https://b.vault.azure.net/secrets/eight/",
      "https://a.vault.azure.net/deletedsecrets/nine/extra"
    ]
    // Each id alone (after an unrelated one, so nothing is cached for it) and in sequence must agree.
    const alone = ids.map((id) => {
      KeyVaultSecretIdentifier.parse("https://unrelated.example/secrets/x")
      return KeyVaultSecretIdentifier.parse(id)
    })
    const inSequence = ids.map((id) => KeyVaultSecretIdentifier.parse(id))
    assert.deepStrictEqual(inSequence.map(String), alone.map(String))
    const right = inSequence.filter(Either.isRight).map((e) => [e.right.vaultUrl, e.right.name, e.right.version ?? null])
    assert.deepStrictEqual(right, [
      ["https://a.vault.azure.net", "one", "0123"],
      ["https://a.vault.azure.net", "two", null],
      ["https://a.vault.azure.net.evil.example", "three", null],
      ["https://a.vault.azure.net:8443", "four", "v"],
      ["https://a.vault.azure.net", "five", null],
      ["https://a.vault.azure.netx", "six", null],
      ["https://a.vault.azure.net", "seven", null],
      // Not in the plain shape: the URL path decides (as the JS SDK does), the same in sequence as alone.
      ["https://a.vault.azure.net", "bad name", null],
      ["https://b.vault.azure.net", "eight", ""],
      ["https://a.vault.azure.net", "nine", "extra"]
    ])
  })
})
