/**
 * Streaming a large listing: `listPropertiesOfSecrets` is a Stream that follows `nextLink` page by page
 * (empty pages included), so memory stays flat however many secrets the vault has; the page variant
 * exposes page boundaries and continuation tokens.
 *
 *   pnpm tsx examples/streaming.ts
 */
import { SecretClient } from "@effect-keyvault/secrets"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Console, Effect, Option, Stream } from "effect"
import { uniqueName, VaultLive } from "./support/Vault.js"

const COUNT = 60

const program = Effect.gen(function*() {
  const client = yield* SecretClient.SecretClient
  const prefix = uniqueName("stream")
  const names = Array.from({ length: COUNT }, (_, i) => `${prefix}-${i}`)
  // Bounded concurrency: Key Vault allows 300 creates per 10 s per vault.
  yield* Effect.forEach(names, (n) => client.setSecret(n, `value ${n}`), { concurrency: 8, discard: true })

  // Item stream: filter and count without holding the listing in memory.
  const mine = yield* client.listPropertiesOfSecrets().pipe(
    Stream.filter((p) => p.name.startsWith(prefix)),
    Stream.runCount
  )
  yield* Console.log(`listed ${mine} of ${COUNT} secrets created`)

  // Page stream: 10 items per page, stop after 2 pages and keep the continuation token.
  const pages = yield* client.listPropertiesOfSecretsPages({ maxPageSize: 10 }).pipe(Stream.take(2), Stream.runCollect)
  let token: string | undefined
  for (const page of pages) {
    yield* Console.log(`page of ${page.items.length}, more: ${page.continuationToken !== undefined}`)
    token = page.continuationToken
  }
  // Resume later from where we stopped.
  const rest = yield* client.listPropertiesOfSecrets({ maxPageSize: 10, continuationToken: token }).pipe(Stream.runCount)
  yield* Console.log(`resumed from the token: ${rest} more item(s)`)

  const firstExpiring = yield* client.listPropertiesOfSecrets().pipe(
    Stream.filter((p) => p.expiresOn !== undefined),
    Stream.runHead
  )
  yield* Console.log(`a secret with an expiry: ${Option.match(firstExpiring, { onNone: () => "none", onSome: (p) => p.name })}`)

  yield* Effect.forEach(names, (n) => client.deleteSecret(n).pipe(Effect.zipRight(client.purgeDeletedSecret(n))), {
    concurrency: 8,
    discard: true
  })
})

program.pipe(Effect.provide(VaultLive), NodeRuntime.runMain)
