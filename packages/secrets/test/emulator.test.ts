/**
 * Every operation against the emulator over HTTP: in-process (no sockets) for the bulk, a real socket
 * server for plain loopback HTTP and HTTPS with the emulator's self-signed certificate.
 */
import { assert, describe, it, layer } from "@effect/vitest"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import Undici from "@effect/platform-node/Undici"
// Relative: this package cannot depend on the emulator (the emulator depends on it).
import { Emulator } from "../../emulator/src/index.js"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { Chunk, DateTime, Effect, Layer, Redacted, Stream } from "effect"
import { Credential, PollingPolicy, SecretClient } from "../src/index.js"
import * as UndiciHttpClient from "../src/UndiciHttpClient.js"

const TOKEN = "emulator-token"

let counter = 0
const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}`

const inProcess = (options: Partial<SecretClient.SecretClientOptions> = {}, emulatorOptions: Parameters<typeof Emulator.layerInProcess>[0] = {}) =>
  SecretClient.layer({ vaultUrl: "https://emulator.vault.azure.net", ...options }).pipe(
    Layer.provide(Credential.layerStatic(TOKEN)),
    Layer.provideMerge(Emulator.layerInProcess({ token: TOKEN, ...emulatorOptions })),
    Layer.provide(PollingPolicy.layer(PollingPolicy.make({ interval: "50 millis", maxWait: "20 seconds" })))
  )

/** The same suite over real HTTPS sockets on the package's undici transport, trusting the emulator's certificate. */
const overHttps = () =>
  Layer.unwrapScoped(Effect.gen(function*() {
    const emu = yield* Emulator.Emulator
    const agent = yield* Effect.acquireRelease(
      Effect.sync(() => new Undici.Agent({ connect: { ca: emu.certificatePem } })),
      (a) => Effect.promise(() => a.destroy())
    )
    return SecretClient.layer({ vaultUrl: emu.url }).pipe(
      Layer.provide(Credential.layerStatic(TOKEN)),
      Layer.provide(UndiciHttpClient.layerWithDispatcher(agent)),
      Layer.provide(PollingPolicy.layer(PollingPolicy.make({ interval: "50 millis", maxWait: "20 seconds" })))
    )
  })).pipe(
    Layer.provideMerge(Emulator.layer({ tls: true, token: TOKEN, host: "127.0.0.1", port: 0, challengeResource: "https://127.0.0.1" })),
    Layer.orDie
  )

const client = SecretClient.SecretClient

const suites = [["in-process", inProcess()], ["UndiciHttpClient over HTTPS", overHttps()]] as const
for (const [label, clientLayer] of suites) layer(clientLayer)(`SecretClient against the ${label} emulator`, (it) => {
  it.effect("set / get / get by version / update / list versions", () =>
    Effect.gen(function*() {
      const c = yield* client
      const name = unique("crud")
      const v1 = yield* c.setSecret(name, "first", {
        contentType: "text/plain",
        tags: { env: "test", team: "kv" },
        notBefore: new Date("2026-01-01T00:00:00Z"),
        expiresOn: new Date("3000-01-01T00:00:00Z")
      })
      assert.strictEqual(Redacted.value(v1.value), "first")
      assert.strictEqual(v1.properties.contentType, "text/plain")
      assert.deepStrictEqual(v1.properties.tags, { env: "test", team: "kv" })
      assert.strictEqual(DateTime.formatIso(v1.properties.expiresOn!), "3000-01-01T00:00:00.000Z")
      assert.match(v1.properties.version!, /^[0-9a-f]{32}$/)
      const v2 = yield* c.setSecret(name, Redacted.make("second"))
      const latest = yield* c.getSecret(name)
      assert.strictEqual(Redacted.value(latest.value), "second")
      assert.strictEqual(latest.properties.version, v2.properties.version)
      const old = yield* c.getSecret(name, { version: v1.properties.version })
      assert.strictEqual(Redacted.value(old.value), "first")
      const updated = yield* c.updateSecretProperties(name, { contentType: "application/json", tags: { a: "b" }, enabled: true })
      assert.strictEqual(updated.version, v2.properties.version)
      assert.strictEqual(updated.contentType, "application/json")
      assert.deepStrictEqual(updated.tags, { a: "b" })
      const updatedOld = yield* c.updateSecretProperties(name, { version: v1.properties.version, enabled: false })
      assert.strictEqual(updatedOld.enabled, false)
      const disabled = yield* Effect.flip(c.getSecret(name, { version: v1.properties.version }))
      assert.strictEqual(disabled._tag, "Forbidden")
      if (disabled._tag === "Forbidden") assert.isTrue(disabled.disabled)
      const versions = yield* Stream.runCollect(c.listPropertiesOfSecretVersions(name, { maxPageSize: 1 }))
      assert.deepStrictEqual(
        Chunk.toReadonlyArray(versions).map((p) => p.version).sort(),
        [v1.properties.version, v2.properties.version].sort()
      )
      const none = yield* Stream.runCollect(c.listPropertiesOfSecretVersions(unique("never")))
      assert.strictEqual(Chunk.size(none), 0)
    }))

  it.effect("errors: NotFound, InvalidArgument before sending", () =>
    Effect.gen(function*() {
      const c = yield* client
      const nf = yield* Effect.flip(c.getSecret(unique("missing")))
      assert.strictEqual(nf._tag, "NotFound")
      if (nf._tag === "NotFound") assert.strictEqual(nf.code, "SecretNotFound")
      assert.strictEqual((yield* Effect.flip(c.backupSecret(unique("missing"))))._tag, "NotFound")
      assert.strictEqual((yield* Effect.flip(c.getDeletedSecret(unique("missing"))))._tag, "NotFound")
      assert.strictEqual((yield* Effect.flip(c.setSecret("not_valid", "v")))._tag, "InvalidArgument")
    }))

  it.effect("list secrets pages through maxPageSize and continuation tokens", () =>
    Effect.gen(function*() {
      const c = yield* client
      const prefix = unique("page")
      const names = Array.from({ length: 5 }, (_, i) => `${prefix}-${i}`)
      yield* Effect.forEach(names, (n) => c.setSecret(n, "v"), { discard: true })
      const pages = Chunk.toReadonlyArray(yield* Stream.runCollect(c.listPropertiesOfSecretsPages({ maxPageSize: 2 })))
      assert.isAbove(pages.length, 2)
      for (const p of pages) assert.isAtMost(p.items.length, 2)
      const all = pages.flatMap((p) => p.items.map((i) => i.name))
      for (const n of names) assert.include(all, n)
      const resumed = yield* Stream.runCollect(c.listPropertiesOfSecrets({ continuationToken: pages[0].continuationToken, maxPageSize: 2 }))
      assert.strictEqual(Chunk.size(resumed), all.length - pages[0].items.length)
    }))

  it.effect("delete → getDeleted → listDeleted → set conflicts → recover → delete → purge", () =>
    Effect.gen(function*() {
      const c = yield* client
      const name = unique("lifecycle")
      yield* c.setSecret(name, "v", { tags: { t: "1" } })
      const deleted = yield* c.deleteSecret(name)
      assert.strictEqual(deleted.name, name)
      assert.match(deleted.recoveryId!, new RegExp(`/deletedsecrets/${name}$`))
      assert.isDefined(deleted.deletedOn)
      assert.isDefined(deleted.scheduledPurgeDate)
      const got = yield* c.getDeletedSecret(name)
      assert.deepStrictEqual(got.properties.tags, { t: "1" })
      const listed = yield* Stream.runCollect(c.listDeletedSecrets())
      assert.isTrue(Chunk.some(listed, (d) => d.name === name))
      const conflict = yield* Effect.flip(c.setSecret(name, "again"))
      assert.strictEqual(conflict._tag, "Exists")
      if (conflict._tag === "Exists") assert.strictEqual(conflict.reason, "DeletedButRecoverable")
      const recovered = yield* c.recoverDeletedSecret(name)
      assert.strictEqual(recovered.name, name)
      assert.strictEqual(Redacted.value((yield* c.getSecret(name)).value), "v")
      yield* c.deleteSecret(name)
      yield* c.purgeDeletedSecret(name)
      assert.strictEqual((yield* Effect.flip(c.getDeletedSecret(name)))._tag, "NotFound")
    }))

  it.effect("backup → delete → purge → restore; restore over an existing secret conflicts", () =>
    Effect.gen(function*() {
      const c = yield* client
      const name = unique("backup")
      yield* c.setSecret(name, "backed-up", { contentType: "text/plain" })
      const blob = yield* c.backupSecret(name)
      assert.isAbove(blob.length, 0)
      const conflict = yield* Effect.flip(c.restoreSecretBackup(blob))
      assert.strictEqual(conflict._tag, "Exists")
      if (conflict._tag === "Exists") assert.strictEqual(conflict.reason, "RestoreConflict")
      yield* c.deleteSecret(name)
      yield* c.purgeDeletedSecret(name)
      const restored = yield* c.restoreSecretBackup(blob)
      assert.strictEqual(restored.name, name)
      assert.strictEqual(restored.contentType, "text/plain")
      assert.strictEqual(Redacted.value((yield* c.getSecret(name)).value), "backed-up")
      const bad = yield* Effect.flip(c.restoreSecretBackup(new Uint8Array(64)))
      assert.strictEqual(bad._tag, "HttpError")
    }))

  it.effect("begin* handles resume from serialized state", () =>
    Effect.gen(function*() {
      const c = yield* client
      const name = unique("resume")
      yield* c.setSecret(name, "v")
      const p = yield* c.beginDeleteSecret(name)
      const saved = yield* p.serialize
      const resumed = yield* c.beginDeleteSecret(name, { resumeFrom: saved })
      const done = yield* resumed.pollUntilDone
      assert.strictEqual(done.name, name)
      const r = yield* c.beginRecoverDeletedSecret(name)
      const props = yield* r.pollUntilDone
      assert.strictEqual(props.name, name)
    }))
})

describe("api-version selection", () => {
  for (const apiVersion of ["7.0", "7.5", "7.6", "2025-07-01", "2026-04-01"] as const) {
    it.effect(`round trip with api-version ${apiVersion}`, () =>
      Effect.gen(function*() {
        const c = yield* client
        assert.strictEqual(c.apiVersion, apiVersion)
        const name = unique("ver")
        yield* c.setSecret(name, "v")
        assert.strictEqual(Redacted.value((yield* c.getSecret(name)).value), "v")
      }).pipe(Effect.provide(inProcess({ apiVersion }))))
  }
})

describe("consistency delays", () => {
  it.live("delete and recover pollers wait through the emulator's consistency delay", () =>
    Effect.gen(function*() {
      const c = yield* client
      const name = unique("slow")
      yield* c.setSecret(name, "v")
      const start = Date.now()
      const d = yield* c.deleteSecret(name)
      assert.strictEqual(d.name, name)
      assert.isAtLeast(Date.now() - start, 250)
      const p = yield* c.recoverDeletedSecret(name)
      assert.strictEqual(p.name, name)
    }).pipe(Effect.provide(inProcess({}, { consistencyDelay: { delete: "300 millis", recover: "300 millis" } }))))
})

describe("over sockets", () => {
  it.live("plain HTTP to 127.0.0.1 works only with allowInsecureLoopback", () =>
    Effect.gen(function*() {
      const emu = yield* Emulator.Emulator
      const make = (allow: boolean) =>
        SecretClient.layer({ vaultUrl: emu.url, allowInsecureLoopback: allow }).pipe(
          Layer.provide(Credential.layerStatic(TOKEN)),
          Layer.provide(NodeHttpClient.layerUndici)
        )
      const refused = yield* Effect.flip(Effect.flatMap(client, (c) => c.getSecret("x")).pipe(Effect.provide(make(false))))
      assert.strictEqual(refused._tag, "ChallengeError")
      const name = unique("http")
      const s = yield* Effect.flatMap(client, (c) => Effect.zipRight(c.setSecret(name, "v"), c.getSecret(name))).pipe(Effect.provide(make(true)))
      assert.strictEqual(Redacted.value(s.value), "v")
      // The full lifecycle over both Node transports: a body answered 404 (poll "not yet", recover's
      // pre-check) must be read exactly once — a second read of a node:http body never settles.
      for (const transport of [NodeHttpClient.layerUndici, NodeHttpClient.layer]) {
        const recovered = yield* Effect.flatMap(client, (c) =>
          c.deleteSecret(name).pipe(
            Effect.zipRight(c.recoverDeletedSecret(name)),
            Effect.zipRight(c.getSecret(name))
          )).pipe(
            Effect.provide(SecretClient.layer({ vaultUrl: emu.url, allowInsecureLoopback: true }).pipe(
              Layer.provide(Credential.layerStatic(TOKEN)),
              Layer.provide(transport)
            )),
            Effect.timeout("20 seconds")
          )
        assert.strictEqual(Redacted.value(recovered.value), "v")
      }
    }).pipe(Effect.provide(Emulator.layer({ tls: false, token: TOKEN, host: "127.0.0.1", port: 0, challengeResource: "https://127.0.0.1" }))))

  it.live("HTTPS with the emulator's self-signed certificate trusted per client", () =>
    Effect.gen(function*() {
      const emu = yield* Emulator.Emulator
      const dispatcher = Layer.scoped(
        NodeHttpClient.Dispatcher,
        Effect.acquireRelease(
          Effect.sync(() => new Undici.Agent({ connect: { ca: emu.certificatePem } })),
          (agent) => Effect.promise(() => agent.destroy())
        )
      )
      const name = unique("tls")
      const s = yield* Effect.flatMap(client, (c) => Effect.zipRight(c.setSecret(name, "over-tls"), c.getSecret(name))).pipe(
        Effect.provide(SecretClient.layer({ vaultUrl: emu.url }).pipe(
          Layer.provide(Credential.layerStatic(TOKEN)),
          Layer.provide(NodeHttpClient.layerUndiciWithoutDispatcher),
          Layer.provide(dispatcher)
        ))
      )
      assert.strictEqual(Redacted.value(s.value), "over-tls")
      assert.isTrue(emu.url.startsWith("https://"))
    }).pipe(Effect.provide(Emulator.layer({ tls: true, token: TOKEN, host: "127.0.0.1", port: 0, challengeResource: "https://127.0.0.1" }))))
})

describe("auth and error cases against the emulator", () => {
  it.effect("a token the vault rejects is Unauthorized after the challenge", () =>
    Effect.gen(function*() {
      const e = yield* Effect.flip(Effect.flatMap(client, (c) => c.getSecret("any")))
      assert.strictEqual(e._tag, "Unauthorized")
      if (e._tag === "Unauthorized") assert.strictEqual(e.status, 401)
      assert.notInclude(e.message, "wrong-token")
    }).pipe(Effect.provide(
      SecretClient.layer({ vaultUrl: "https://emulator.vault.azure.net" }).pipe(
        Layer.provide(Credential.layerStatic("wrong-token")),
        Layer.provide(Emulator.layerInProcess({ token: TOKEN }))
      )
    )))

  it.effect("a challenge for another resource is refused unless verification is disabled", () =>
    Effect.gen(function*() {
      const emulator = Emulator.layerInProcess({ token: TOKEN, challengeResource: "https://evil.example.com" })
      const mk = (verify: boolean) =>
        SecretClient.layer({ vaultUrl: "https://emulator.vault.azure.net", verifyChallengeResource: verify }).pipe(
          Layer.provide(Credential.layerStatic(TOKEN)),
          Layer.provide(emulator)
        )
      const e = yield* Effect.flip(Effect.flatMap(client, (c) => c.setSecret("n", "v")).pipe(Effect.provide(mk(true))))
      assert.strictEqual(e._tag, "ChallengeError")
      if (e._tag === "ChallengeError") assert.strictEqual(e.reason, "ResourceMismatch")
      const s = yield* Effect.flatMap(client, (c) => c.setSecret("n", "v")).pipe(Effect.provide(mk(false)))
      assert.strictEqual(s.name, "n")
    }))

  it.live("set right after purge is Exists(BeingDeleted) while the purge finishes", () =>
    Effect.gen(function*() {
      const c = yield* client
      const name = unique("purging")
      yield* c.setSecret(name, "v")
      yield* c.deleteSecret(name)
      yield* c.purgeDeletedSecret(name)
      const e = yield* Effect.flip(c.setSecret(name, "v2"))
      assert.strictEqual(e._tag, "Exists")
      if (e._tag === "Exists") assert.strictEqual(e.reason, "BeingDeleted")
    }).pipe(Effect.provide(inProcess({}, { consistencyDelay: { purge: "30 seconds" } }))))

  it.live("a poller whose schedule ends before the service finishes fails with PollingTimeout", () =>
    Effect.gen(function*() {
      const c = yield* client
      const name = unique("timeout")
      yield* c.setSecret(name, "v")
      const short = PollingPolicy.layer(PollingPolicy.make({ interval: "20 millis", maxWait: "100 millis" }))
      const poller = yield* c.beginDeleteSecret(name)
      const e = yield* Effect.flip(Effect.provide(poller.pollUntilDone, short))
      assert.strictEqual(e._tag, "PollingTimeout")
      // The handle's state says "not finished", so it can be resumed later.
      const state = yield* poller.state
      assert.isFalse(state.isCompleted)
      assert.strictEqual(state.name, name)
    }).pipe(Effect.provide(inProcess({}, { consistencyDelay: { delete: "30 seconds" } }))))

  it.effect("sendRequest goes through the same pipeline; outContentType on a plain secret", () =>
    Effect.gen(function*() {
      const c = yield* client
      const name = unique("raw")
      yield* c.setSecret(name, "v")
      const res = yield* c.sendRequest(HttpClientRequest.get(`/secrets/${name}/`))
      assert.strictEqual(res.status, 200)
      const body = (yield* Effect.orDie(res.json)) as { id: string }
      assert.match(body.id, new RegExp(`/secrets/${name}/[0-9a-f]{32}$`))
      const missing = yield* c.sendRequest(HttpClientRequest.get(`/secrets/${unique("nope")}/`))
      assert.strictEqual(missing.status, 404)
      const pem = yield* Effect.either(c.getSecret(name, { outContentType: "application/x-pem-file" }))
      // The service either converts or refuses with 400 on a non-certificate secret.
      if (pem._tag === "Left") assert.strictEqual(pem.left._tag, "HttpError")
    }).pipe(Effect.provide(inProcess())))
})

describe("paging edge cases against the emulator", () => {
  it.effect("a continuation whose items vanished yields an empty last page, which ends the stream", () =>
    Effect.gen(function*() {
      const c = yield* client
      yield* c.setSecret("a-first", "v")
      yield* c.setSecret("b-second", "v")
      const [first] = Chunk.toReadonlyArray(yield* Stream.runCollect(Stream.take(c.listPropertiesOfSecretsPages({ maxPageSize: 1 }), 1)))
      assert.deepStrictEqual(first.items.map((p) => p.name), ["a-first"])
      assert.isDefined(first.continuationToken)
      yield* c.deleteSecret("b-second")
      const rest = Chunk.toReadonlyArray(yield* Stream.runCollect(c.listPropertiesOfSecretsPages({ continuationToken: first.continuationToken })))
      assert.strictEqual(rest.length, 1)
      assert.strictEqual(rest[0].items.length, 0)
      assert.strictEqual(rest[0].continuationToken, undefined)
    }).pipe(Effect.provide(inProcess())))
})
