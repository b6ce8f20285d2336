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

  it("drops a default :443 port like URL does", () => {
    const id = KeyVaultSecretIdentifier.unsafeParse("https://myvault.vault.azure.net:443/secrets/name")
    assert.strictEqual(id.vaultUrl, "https://myvault.vault.azure.net")
    assert.strictEqual(id.version, undefined)
  })

  it("parses deletedsecrets recovery ids without a version", () => {
    const id = KeyVaultSecretIdentifier.unsafeParse("https://v.vault.azure.net/deletedsecrets/gone")
    assert.strictEqual(id.collection, "deletedsecrets")
    assert.strictEqual(id.name, "gone")
    assert.strictEqual(id.version, undefined)
  })

  it("treats a trailing slash as no version", () => {
    const id = KeyVaultSecretIdentifier.unsafeParse("https://v.vault.azure.net/secrets/name/")
    assert.strictEqual(id.version, undefined)
  })

  it("rejects other collections, bad URLs and extra segments with a clear message", () => {
    for (const bad of [
      "https://v.vault.azure.net/keys/name/1",
      "not a url",
      "https://v.vault.azure.net/secrets",
      "https://v.vault.azure.net/secrets/a/b/c",
      "ftp://v.vault.azure.net/secrets/a",
      "https://v.vault.azure.net\\@evil.com/secrets/a"
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
})
