/**
 * A sample workflow: rotate a secret. Writes a new version, disables every older enabled version,
 * and reports the versions the secret now has. Composed from SecretClient operations; each step's
 * typed errors flow into the workflow's error type.
 */
import type { KeyVaultSecret } from "@effect-keyvault/secrets"
import { SecretClient } from "@effect-keyvault/secrets"
import { Chunk, Effect, Redacted, Stream } from "effect"

export interface RotationResult {
  readonly current: KeyVaultSecret.KeyVaultSecret
  readonly disabled: ReadonlyArray<string>
  readonly versions: ReadonlyArray<{ readonly version: string; readonly enabled: boolean }>
}

export const rotate = (name: string, next: Redacted.Redacted<string>) =>
  Effect.gen(function*() {
    const client = yield* SecretClient.SecretClient
    const current = yield* client.setSecret(name, next, { tags: { rotatedBy: "examples/rotate" } })
    const older = yield* client.listPropertiesOfSecretVersions(name).pipe(
      Stream.filter((p) => p.version !== current.properties.version && p.enabled !== false),
      Stream.runCollect
    )
    const disabled = yield* Effect.forEach(
      older,
      (p) => client.updateSecretProperties(name, { version: p.version!, enabled: false }).pipe(Effect.as(p.version!)),
      { concurrency: 4 }
    )
    const versions = yield* client.listPropertiesOfSecretVersions(name).pipe(
      Stream.map((p) => ({ version: p.version!, enabled: p.enabled !== false })),
      Stream.runCollect
    )
    return { current, disabled, versions: Chunk.toArray(versions) } satisfies RotationResult
  }).pipe(Effect.withSpan("examples.rotate", { attributes: { "secret.name": name } }))
