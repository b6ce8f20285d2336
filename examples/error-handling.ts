/**
 * Typed errors: every failure a SecretClient call can have is in its type, so `catchTags` is checked
 * by the compiler and nothing unexpected escapes as an exception.
 *
 *   pnpm tsx examples/error-handling.ts
 */
import { SecretClient } from "@effect-keyvault/secrets"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Console, Effect } from "effect"
import { uniqueName, VaultLive } from "./support/Vault.js"

const program = Effect.gen(function*() {
  const client = yield* SecretClient.SecretClient
  const name = uniqueName("errors")

  // 404 -> NotFound, with the vault, the name and the service's code; never a value.
  const missing = yield* client.getSecret(name).pipe(
    Effect.map(() => "unexpectedly found"),
    Effect.catchTags({
      NotFound: (e) => Effect.succeed(`NotFound: ${e.name} (${e.code}, request ${e.requestId ?? "-"})`)
    })
  )
  yield* Console.log(missing)

  // Caught before any request: invalid names, values over 25 KB, more than 15 tags, nbf after exp.
  const invalid = yield* client.setSecret("not a valid name!", "x").pipe(
    Effect.map(() => "unexpectedly accepted"),
    Effect.catchTag("InvalidArgument", (e) => Effect.succeed(`InvalidArgument: ${e.message}`))
  )
  yield* Console.log(invalid)

  // 403 on a disabled secret -> Forbidden, with `disabled` telling why.
  yield* client.setSecret(name, "v", { enabled: false })
  const disabled = yield* client.getSecret(name).pipe(
    Effect.map(() => "unexpectedly readable"),
    Effect.catchTag("Forbidden", (e) => Effect.succeed(`Forbidden (disabled=${e.disabled}): ${e.message}`))
  )
  yield* Console.log(disabled)

  // 409 while soft-deleted -> Exists with a reason, so the fix can be chosen in code.
  yield* client.deleteSecret(name)
  const conflict = yield* client.setSecret(name, "again").pipe(
    Effect.map(() => "unexpectedly created"),
    Effect.catchTag("Exists", (e) => Effect.succeed(`Exists (${e.reason}): recover or purge first`))
  )
  yield* Console.log(conflict)

  // Recover-then-set: the "upsert" every IaC tool writes by hand, in four lines.
  const upsert = (value: string) =>
    client.setSecret(name, value).pipe(
      Effect.catchTag("Exists", (e) =>
        e.reason === "DeletedButRecoverable"
          ? client.recoverDeletedSecret(name).pipe(Effect.zipRight(client.setSecret(name, value)))
          : Effect.fail(e))
    )
  const written = yield* upsert("recovered and rewritten")
  yield* Console.log(`upsert wrote version ${written.properties.version}`)

  yield* client.deleteSecret(name)
  yield* client.purgeDeletedSecret(name)
})

program.pipe(Effect.provide(VaultLive), NodeRuntime.runMain)
