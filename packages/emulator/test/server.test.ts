import { HttpClient, HttpClientRequest } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Emulator } from "@effect-keyvault/emulator"
import { collect, defineVaultSuite } from "./suite.js"
import { q, viaFetch, viaHttps } from "./utils.js"

defineVaultSuite("socket server, plain HTTP", async () => {
  const server = await Emulator.startServer({ tls: false })
  expect(server.certificatePem).toBeUndefined()
  return { send: viaFetch(server.url), origin: server.url, close: server.close }
})

defineVaultSuite("socket server, HTTPS trusting the generated certificate per request", async () => {
  const server = await Emulator.startServer()
  expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
  expect(server.certificatePem).toContain("BEGIN CERTIFICATE")
  return { send: viaHttps(server.url, server.certificatePem!), origin: server.url, close: server.close }
})

describe("socket server", () => {
  it.live("HTTPS is refused by a client that does not trust the certificate", () =>
    Effect.promise(async () => {
      const server = await Emulator.startServer()
      try {
        const error = await fetch(`${server.url}/secrets?${q()}`).then(() => undefined, (e: unknown) => e)
        expect(error).toBeInstanceOf(TypeError)
        const ok = await viaHttps(server.url, server.certificatePem!)("GET", `/secrets?${q()}`)
        expect(ok.status).toBe(200)
      } finally {
        await server.close()
      }
    }))

  it.scoped("an Effect HttpClient trusts the certificate through its own agent (no process-wide TLS change)", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const client = yield* HttpClient.HttpClient.pipe(
        Effect.provide(NodeHttpClient.layerWithoutAgent.pipe(
          Layer.provide(NodeHttpClient.makeAgentLayer({ ca: emulator.certificatePem! }))
        ))
      )
      const res = yield* client.execute(
        HttpClientRequest.put(`${emulator.url}/secrets/agent?${q("2025-07-01")}`).pipe(
          HttpClientRequest.bearerToken("t"),
          HttpClientRequest.bodyUnsafeJson({ value: "over-tls" })
        )
      )
      expect(res.status).toBe(200)
      expect(((yield* res.json) as { value: string }).value).toBe("over-tls")
    }).pipe(Effect.provide(Emulator.layer())))

  it.scoped("Emulator.layer starts on a free port inside a Scope and shares its engine", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      yield* emulator.engine.seed([{ name: "from-engine", value: "seeded" }])
      const r = yield* Effect.promise(() => viaFetch(emulator.url)("GET", `/secrets/from-engine/?${q()}`))
      expect(r.json.value).toBe("seeded")
      expect(r.json.id.startsWith(`${emulator.url}/secrets/from-engine/`)).toBe(true)
    }).pipe(Effect.provide(Emulator.layer({ tls: false }))))

  it.live("plain HTTP refuses a non-loopback bind address", () =>
    Effect.promise(async () => {
      await expect(Emulator.startServer({ tls: false, host: "0.0.0.0" })).rejects.toThrow(/only served on loopback/)
    }))

  it.live("token option: only the configured bearer token is accepted", () =>
    Effect.promise(async () => {
      const server = await Emulator.startServer({ tls: false, token: "only-this" })
      try {
        const send = viaFetch(server.url)
        expect((await send("GET", `/secrets?${q()}`, { auth: "Bearer other" })).status).toBe(401)
        expect((await send("GET", `/secrets?${q()}`, { auth: null })).status).toBe(401)
        expect((await send("GET", `/secrets?${q()}`, { auth: "Bearer only-this" })).status).toBe(200)
      } finally {
        await server.close()
      }
    }))

  it.live("consistency delays: deleted 404 then 200, recovered 404 then 200, purge then 409 then restore", () =>
    Effect.promise(async () => {
      const server = await Emulator.startServer({
        tls: false,
        consistencyDelay: { delete: "300 millis", recover: "300 millis", purge: "300 millis" }
      })
      const send = viaFetch(server.url)
      const pollUntil = async (p: string, status: number) => {
        const seen: Array<number> = []
        for (let i = 0; i < 50; i++) {
          const r = await send("GET", p)
          seen.push(r.status)
          if (r.status === status) return seen
          await new Promise((res) => setTimeout(res, 50))
        }
        throw new Error(`never reached ${status}: ${seen.join(",")}`)
      }
      try {
        await send("PUT", `/secrets/lagging?${q()}`, { body: { value: "v" } })
        const backup = await send("POST", `/secrets/lagging/backup?${q()}`)
        expect((await send("DELETE", `/secrets/lagging?${q()}`)).status).toBe(200)
        const deletedSeen = await pollUntil(`/deletedsecrets/lagging?${q()}`, 200)
        expect(deletedSeen[0]).toBe(404)
        expect((await send("POST", `/deletedsecrets/lagging/recover?${q()}`)).status).toBe(200)
        const recoveredSeen = await pollUntil(`/secrets/lagging/?${q()}`, 200)
        expect(recoveredSeen[0]).toBe(404)
        await send("DELETE", `/secrets/lagging?${q()}`)
        await pollUntil(`/deletedsecrets/lagging?${q()}`, 200)
        expect((await send("DELETE", `/deletedsecrets/lagging?${q()}`)).status).toBe(204)
        const early = await send("POST", `/secrets/restore?${q()}`, { body: { value: backup.json.value } })
        expect(early.status).toBe(409)
        expect(early.json.error.code).toBe("Conflict")
        const earlySet = await send("PUT", `/secrets/lagging?${q()}`, { body: { value: "v" } })
        expect(earlySet.status).toBe(409)
        let restored = early
        for (let i = 0; i < 50 && restored.status === 409; i++) {
          await new Promise((res) => setTimeout(res, 50))
          restored = await send("POST", `/secrets/restore?${q()}`, { body: { value: backup.json.value } })
        }
        expect(restored.status).toBe(200)
      } finally {
        await server.close()
      }
    }))

  it.live("persistence: state and backup key survive a restart; writes are atomic (no temp left)", () =>
    Effect.promise(async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kv-emu-"))
      const dataFile = path.join(dir, "vault.json")
      try {
        const first = await Emulator.startServer({ tls: false, dataFile })
        const s1 = viaFetch(first.url)
        const a = await s1("PUT", `/secrets/kept?${q()}`, { body: { value: "one", tags: { x: "y" } } })
        await s1("PUT", `/secrets/kept?${q()}`, { body: { value: "two" } })
        await s1("PUT", `/secrets/binned?${q()}`, { body: { value: "gone" } })
        await s1("DELETE", `/secrets/binned?${q()}`)
        const backup = await s1("POST", `/secrets/kept/backup?${q()}`)
        await first.close()
        expect(fs.readdirSync(dir)).toEqual(["vault.json"])
        expect(fs.statSync(dataFile).mode & 0o077).toBe(0)

        const second = await Emulator.startServer({ tls: false, dataFile })
        const s2 = viaFetch(second.url)
        try {
          expect((await s2("GET", `/secrets/kept/?${q()}`)).json.value).toBe("two")
          const v1 = a.json.id.split("/").pop()
          expect((await s2("GET", `/secrets/kept/${v1}?${q()}`)).json).toMatchObject({ value: "one", tags: { x: "y" } })
          expect((await s2("GET", `/deletedsecrets/binned?${q()}`)).status).toBe(200)
          expect(await collect(s2, `/secrets/kept/versions?${q()}`)).toHaveLength(2)
          // a blob from before the restart is still accepted (the sealing key is persisted)
          await s2("DELETE", `/secrets/kept?${q()}`)
          await s2("DELETE", `/deletedsecrets/kept?${q()}`)
          expect((await s2("POST", `/secrets/restore?${q()}`, { body: { value: backup.json.value } })).status).toBe(200)
        } finally {
          await second.close()
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true })
      }
    }))

  it.live("50 concurrent writers over one socket all land as versions", () =>
    Effect.promise(async () => {
      const server = await Emulator.startServer({ tls: false })
      try {
        const send = viaFetch(server.url)
        const results = await Promise.all(
          Array.from({ length: 50 }, (_, i) => send("PUT", `/secrets/busy?${q()}`, { body: { value: `v${i}` } }))
        )
        expect(results.every((r) => r.status === 200)).toBe(true)
        expect(new Set(results.map((r) => r.json.id)).size).toBe(50)
        expect(await collect(send, `/secrets/busy/versions?${q()}`)).toHaveLength(50)
      } finally {
        await server.close()
      }
    }))
})
