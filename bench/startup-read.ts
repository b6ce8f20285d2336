/**
 * Start-up read of 50 secrets (issue 9 figures): wall time, requests and 401 challenges for the official SDK's usual
 * `for … await getSecret` loop, our sequential loop, and `getSecrets` at concurrency 8 and 50. One HTTPS emulator on
 * 127.0.0.1; every request (challenge probe included) gets a 20 ms delay on the client side to stand in for a
 * network round trip. Two rounds; the first includes warm-up.
 *
 *   pnpm tsx bench/startup-read.ts
 */
import { SecretClient as Official } from "@azure/keyvault-secrets"
import * as HttpClient from "@effect/platform/HttpClient"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { Effect, Layer } from "effect"
import { Emulator } from "../packages/emulator/src/index.js"
import { Credential, SecretClient } from "../packages/secrets/src/index.js"
import { fixedCredential } from "../test/support/officialSdk.js"

const TOKEN = "emulator-token"
const LATENCY = 20
const names = Array.from({ length: 50 }, (_, i) => `startup-${i}`)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

const emulator = await Emulator.startServer({ tls: true, host: "127.0.0.1", token: TOKEN })
let requests = 0
let challenges = 0
const count = (status: number) => {
  requests++
  if (status === 401) challenges++
}

const ours = async (label: string, f: (c: SecretClient.Service) => Effect.Effect<unknown, unknown>) => {
  requests = 0
  challenges = 0
  const t0 = performance.now()
  await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const deps = yield* Layer.build(Layer.mergeAll(
      Credential.layerStatic(TOKEN),
      NodeHttpClient.layerWithoutAgent.pipe(Layer.provide(NodeHttpClient.makeAgentLayer({ ca: emulator.certificatePem, keepAlive: true })))
    ))
    const client = yield* SecretClient.make({
      vaultUrl: emulator.url,
      verifyChallengeResource: false,
      // A 20 ms round trip on every request, the challenge probe included.
      transformClient: (http) =>
        HttpClient.transform(http, (effect) =>
          Effect.delay(effect, LATENCY).pipe(Effect.tap((res) => count(res.status))))
    }).pipe(Effect.provide(deps))
    yield* f(client)
  })))
  console.log(`${label}: ${(performance.now() - t0).toFixed(0)} ms, ${requests} requests, ${challenges} x 401`)
}

const official = async () => {
  requests = 0
  challenges = 0
  const t0 = performance.now()
  const client = new Official(emulator.url, fixedCredential(TOKEN), {
    disableChallengeResourceVerification: true,
    tlsOptions: { ca: emulator.certificatePem },
    additionalPolicies: [{
      position: "perRetry",
      policy: {
        name: "latency",
        sendRequest: async (request, next) => {
          await sleep(LATENCY)
          const res = await next(request)
          count(res.status)
          return res
        }
      }
    }]
  })
  for (const n of names) await client.getSecret(n)
  console.log(`official SDK, for-await loop: ${(performance.now() - t0).toFixed(0)} ms, ${requests} requests, ${challenges} x 401`)
}

for (const n of names) await Effect.runPromise(emulator.engine.setSecret(n, { value: `v-${n}` }))
for (let round = 0; round < 2; round++) {
  console.log(`-- round ${round + 1}`)
  await official()
  await ours("ours, sequential getSecret", (c) => Effect.forEach(names, (n) => c.getSecret(n)))
  await ours("ours, getSecrets (concurrency 8)", (c) => c.getSecrets(names))
  await ours("ours, getSecrets (concurrency 50)", (c) => c.getSecrets(names, { concurrency: 50 }))
}
await emulator.close()
