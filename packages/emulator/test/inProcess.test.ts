import { HttpClient, HttpClientRequest } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Scope } from "effect"
import { Emulator } from "@effect-keyvault/emulator"
import { defineVaultSuite } from "./suite.js"
import { VAULT, viaHandler } from "./utils.js"

defineVaultSuite("in-process handler", async () => {
  const scope = Effect.runSync(Scope.make())
  const { handler } = await Effect.runPromise(Scope.extend(Emulator.makeHandler(), scope))
  return { send: viaHandler(handler), origin: VAULT, close: () => Effect.runPromise(Scope.close(scope, Exit.void)) }
})

describe("layerInProcess", () => {
  it.scoped("serves an HttpClient without sockets, sharing one engine", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      expect(emulator.url).toBe(VAULT)
      yield* emulator.engine.seed([{ name: "seeded", value: "from-seed", tags: { s: "1" } }])
      const client = yield* HttpClient.HttpClient
      const res = yield* client.execute(
        HttpClientRequest.get(`${emulator.url}/secrets/seeded/?api-version=2026-04-01`).pipe(
          HttpClientRequest.bearerToken("t")
        )
      )
      expect(res.status).toBe(200)
      const body = (yield* res.json) as { value: string; id: string; tags: unknown }
      expect(body.value).toBe("from-seed")
      expect(body.id).toMatch(/^https:\/\/emulator\.vault\.azure\.net\/secrets\/seeded\/[0-9a-f]{32}$/)
      const put = yield* client.execute(
        HttpClientRequest.put(`${emulator.url}/secrets/viaclient?api-version=7.6`).pipe(
          HttpClientRequest.bearerToken("t"),
          HttpClientRequest.bodyUnsafeJson({ value: "x" })
        )
      )
      expect(put.status).toBe(200)
      const fromEngine = yield* emulator.engine.getSecret("VIACLIENT")
      expect(fromEngine.value).toBe("x")
    }).pipe(Effect.provide(Emulator.layerInProcess())))

  it.scoped("requires the configured token when one is set", () =>
    Effect.gen(function*() {
      const client = yield* HttpClient.HttpClient
      const call = (token: string) =>
        client.execute(
          HttpClientRequest.get(`${VAULT}/secrets?api-version=7.5`).pipe(HttpClientRequest.bearerToken(token))
        )
      const wrong = yield* call("nope")
      expect(wrong.status).toBe(401)
      expect(wrong.headers["www-authenticate"]).toContain('resource="https://vault.azure.net"')
      expect(yield* wrong.text).not.toContain("nope")
      expect((yield* call("right")).status).toBe(200)
    }).pipe(Effect.provide(Emulator.layerInProcess({ token: "right" }))))

  it.scoped("challenge resource, tenant and authority are configurable", () =>
    Effect.gen(function*() {
      const client = yield* HttpClient.HttpClient
      const res = yield* client.execute(HttpClientRequest.get(`https://x.vault.example/secrets?api-version=7.5`))
      expect(res.status).toBe(401)
      expect(res.headers["www-authenticate"]).toBe(
        `Bearer authorization="https://login.example/tenant-1", resource="https://vault.example"`
      )
    }).pipe(
      Effect.provide(
        Emulator.layerInProcess({
          challengeResource: "https://vault.example",
          tenantId: "tenant-1",
          authority: "https://login.example/"
        })
      )
    ))

  it.scoped("a non-soft-delete recovery level deletes immediately and reports recoverableDays 0", () =>
    Effect.gen(function*() {
      const { engine } = yield* Emulator.Emulator
      yield* engine.seed([{ name: "gone", value: "v" }])
      const deleted = yield* engine.deleteSecret("gone")
      expect(deleted.attributes).toMatchObject({ recoveryLevel: "Purgeable", recoverableDays: 0 })
      const err = yield* Effect.flip(engine.getDeletedSecret("gone"))
      expect(err.status).toBe(404)
    }).pipe(Effect.provide(Emulator.layerInProcess({ recoveryLevel: "Purgeable" }))))
})
