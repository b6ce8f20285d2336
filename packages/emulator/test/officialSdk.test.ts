// A smoke test with the official client over HTTPS, trusting the certificate through its own options.
// (The full official-SDK conformance suite lives in the repository's test/ folder.)
import { SecretClient } from "@azure/keyvault-secrets"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { Emulator } from "@effect-keyvault/emulator"

const credential = { getToken: async () => ({ token: "any", expiresOnTimestamp: Date.now() + 3600_000 }) }

describe("official @azure/keyvault-secrets client", () => {
  it.live("CRUD, disabled 403, 404, backup, delete poller with consistency delay, restore, paging", () =>
    Effect.promise(async () => {
      const server = await Emulator.startServer({ consistencyDelay: { delete: "300 millis" } })
      try {
        const client = new SecretClient(server.url, credential, {
          disableChallengeResourceVerification: true,
          tlsOptions: { ca: server.certificatePem }
        } as ConstructorParameters<typeof SecretClient>[2])
        const set = await client.setSecret("sdk", "value", { tags: { a: "b" }, expiresOn: new Date("2030-01-01") })
        expect(set.properties.expiresOn?.toISOString()).toBe("2030-01-01T00:00:00.000Z")
        expect((await client.getSecret("sdk")).value).toBe("value")
        expect((await client.updateSecretProperties("sdk", "", { enabled: false })).enabled).toBe(false)
        await expect(client.getSecret("sdk")).rejects.toMatchObject({ statusCode: 403, code: "Forbidden" })
        await expect(client.getSecret("absent")).rejects.toMatchObject({ statusCode: 404, code: "SecretNotFound" })
        const blob = await client.backupSecret("sdk")
        const deleted = await (await client.beginDeleteSecret("sdk", { intervalInMs: 100 })).pollUntilDone()
        expect(deleted.recoveryId).toBe(`${server.url}/deletedsecrets/sdk`)
        await client.purgeDeletedSecret("sdk")
        expect((await client.restoreSecretBackup(blob!)).version).toBe(set.properties.version)
        for (let i = 0; i < 4; i++) await client.setSecret(`page-${i}`, "x")
        const sizes: Array<number> = []
        for await (const page of client.listPropertiesOfSecrets().byPage({ maxPageSize: 2 })) sizes.push(page.length)
        expect(sizes).toEqual([2, 2, 1])
        await expect(client.restoreSecretBackup(new Uint8Array(64))).rejects.toMatchObject({
          statusCode: 400,
          code: "Malformed backup blob"
        })
      } finally {
        await server.close()
      }
    }))
})
