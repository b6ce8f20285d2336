/**
 * Where tokens come from. Any `@azure/identity` `TokenCredential` works; a static token is there for the
 * emulator and tests.
 *
 * @example
 * ```ts
 * import { Credential } from "@effect-keyvault/secrets"
 *
 * // Production: whatever DefaultAzureCredential finds. Emulator and tests: a fixed token.
 * const CredentialLive = process.env.KEYVAULT_EMULATOR === "1"
 *   ? Credential.layerStatic("emulator-token")
 *   : Credential.layerDefaultAzure()
 * ```
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"

/**
 * A token and when it expires (epoch milliseconds).
 *
 * @since 0.1.0
 * @category Models
 *
 * @example
 * ```ts
 * import { Credential } from "@effect-keyvault/secrets"
 * import { Effect, Redacted } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const credential = yield* Credential.Credential
 *   const token: Credential.AccessToken = yield* credential.getToken(["https://vault.azure.net/.default"], {})
 *   // The token stays redacted until it is deliberately unwrapped
 *   return token.expiresOnTimestamp > Date.now() && Redacted.value(token.token).length > 0
 * })
 *
 * Effect.runPromise(program.pipe(Effect.provide(Credential.layerStatic("emulator-token")))).then((result) => assert.deepStrictEqual(result, true))
 * ```
 */
export interface AccessToken {
  readonly token: Redacted.Redacted<string>
  readonly expiresOnTimestamp: number
  /** When a proactive refresh may start (epoch ms), if the credential says so. */
  readonly refreshAfterTimestamp?: number | undefined
}

/**
 * Options passed to the credential for one token request.
 *
 * @since 0.1.0
 * @category Models
 *
 * @example
 * ```ts
 * import { Credential } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 *
 * // Ask for a token in a specific tenant, as a challenge from the vault would require
 * const options: Credential.GetTokenOptions = { tenantId: "72f988bf-86f1-41af-91ab-2d7cd011db47", enableCae: true }
 * const token = Effect.flatMap(Credential.Credential, (c) => c.getToken(["https://vault.azure.net/.default"], options))
 * ```
 */
export interface GetTokenOptions {
  readonly tenantId?: string | undefined
  /** Decoded CAE claims from an `insufficient_claims` challenge. */
  readonly claims?: string | undefined
  readonly enableCae?: boolean | undefined
}

/**
 * The credential could not produce a token.
 *
 * @since 0.1.0
 * @category Errors
 *
 * @example
 * ```ts
 * import { Credential } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 *
 * const token = Effect.flatMap(Credential.Credential, (c) => c.getToken(["https://vault.azure.net/.default"], {})).pipe(
 *   Effect.catchTag("TokenError", (e) => Effect.die(`no token: ${e.message}`))
 * )
 * ```
 */
export class TokenError extends Schema.TaggedError<TokenError>("@effect-keyvault/secrets/Credential/TokenError")(
  "TokenError",
  { message: Schema.String, cause: Schema.optional(Schema.Defect) }
) {}

/**
 * The shape of `@azure/core-auth`'s `TokenCredential`, so the package does not need it installed.
 *
 * @since 0.1.0
 * @category Models
 *
 * @example
 * ```ts
 * import { Credential } from "@effect-keyvault/secrets"
 *
 * // Any object with a compatible getToken works, e.g. one backed by a company token service
 * const fixed: Credential.TokenCredentialLike = {
 *   getToken: async () => ({ token: "t0k3n", expiresOnTimestamp: Date.now() + 3_600_000 })
 * }
 * const CredentialLive = Credential.fromTokenCredential(fixed)
 * ```
 */
export interface TokenCredentialLike {
  getToken(
    scopes: string | Array<string>,
    options?: { tenantId?: string; claims?: string; enableCae?: boolean }
  ): Promise<{ token: string; expiresOnTimestamp: number; refreshAfterTimestamp?: number } | null>
}

/**
 * The credential service: gets an access token for the given scopes.
 *
 * @since 0.1.0
 * @category Models
 *
 * @example
 * ```ts
 * import { Credential } from "@effect-keyvault/secrets"
 * import { Effect, Redacted } from "effect"
 *
 * // A hand-written service that hands out a fresh short-lived token on each call
 * const service: Credential.Service = {
 *   getToken: () => Effect.succeed({ token: Redacted.make("local-token"), expiresOnTimestamp: Date.now() + 60_000 })
 * }
 * ```
 */
export interface Service {
  readonly getToken: (
    scopes: ReadonlyArray<string>,
    options: GetTokenOptions
  ) => Effect.Effect<AccessToken, TokenError>
}

/**
 * The tag under which the client finds its credential.
 *
 * @since 0.1.0
 * @category Context
 *
 * @example
 * ```ts
 * import { Credential } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 *
 * const expiresAt = Effect.gen(function*() {
 *   const credential = yield* Credential.Credential
 *   const token = yield* credential.getToken(["https://vault.azure.net/.default"], {})
 *   return new Date(token.expiresOnTimestamp)
 * })
 *
 * Effect.runPromise(Effect.provide(expiresAt, Credential.layerStatic("emulator-token"))).then((date) =>
 *   assert.ok(date.getTime() > Date.now()) // a static token is valid for a year
 * )
 * ```
 */
export class Credential extends Context.Tag("@effect-keyvault/secrets/Credential")<Credential, Service>() {}

/**
 * A credential that always returns the same token (valid for a year). Meant for the emulator.
 *
 * @since 0.1.0
 * @category Constructors
 *
 * @example
 * ```ts
 * import { Credential } from "@effect-keyvault/secrets"
 * import { Effect, Layer } from "effect"
 *
 * const service = Credential.makeStatic("emulator-token")
 * const CredentialLive = Layer.succeed(Credential.Credential, service)
 * const token = Effect.runSync(service.getToken(["https://vault.azure.net/.default"], {}))
 * assert.deepStrictEqual(String(token.token), "<redacted>")
 * ```
 */
export const makeStatic = (token: string | Redacted.Redacted<string>): Service => {
  const redacted = typeof token === "string" ? Redacted.make(token) : token
  return {
    getToken: () =>
      Effect.clockWith((clock) =>
        Effect.succeed({ token: redacted, expiresOnTimestamp: clock.unsafeCurrentTimeMillis() + 365 * 86_400_000 })
      )
  }
}

/**
 * A layer providing {@link makeStatic}: one fixed token. Meant for the emulator and tests.
 *
 * @since 0.1.0
 * @category Layers
 *
 * @example
 * ```ts
 * import { Credential, SecretClient } from "@effect-keyvault/secrets"
 * import { Layer } from "effect"
 *
 * // Talk to a local emulator that accepts any bearer token
 * const ClientLive = SecretClient.layer({ vaultUrl: "https://127.0.0.1:8443" }).pipe(
 *   Layer.provide(Credential.layerStatic("emulator-token"))
 * )
 * ```
 */
export const layerStatic = (token: string | Redacted.Redacted<string>): Layer.Layer<Credential> =>
  Layer.succeed(Credential, makeStatic(token))

/**
 * Wrap any `TokenCredential` (e.g. from `@azure/identity`) as a service value.
 *
 * @since 0.1.0
 * @category Constructors
 *
 * @example
 * ```ts
 * import { Credential } from "@effect-keyvault/secrets"
 * import { Effect } from "effect"
 *
 * const service = Credential.makeFromTokenCredential({
 *   getToken: async () => null // a credential that cannot produce a token
 * })
 * const result = Effect.runPromiseExit(service.getToken(["https://vault.azure.net/.default"], {}))
 * result.then((exit) => assert.strictEqual(exit._tag, "Failure")) // a TokenError
 * ```
 */
export const makeFromTokenCredential = (credential: TokenCredentialLike): Service => ({
  getToken: (scopes, options) =>
    Effect.tryPromise({
      try: () =>
        credential.getToken([...scopes], {
          ...(options.tenantId !== undefined ? { tenantId: options.tenantId } : {}),
          ...(options.claims !== undefined ? { claims: options.claims } : {}),
          enableCae: options.enableCae ?? true
        }),
      catch: (cause) =>
        new TokenError({
          message: `The credential failed to get a token for ${scopes.join(" ")}: ${
            cause instanceof Error ? cause.message : String(cause)
          }`,
          cause
        })
    }).pipe(
      Effect.flatMap((t) =>
        t === null
          ? Effect.fail(new TokenError({ message: `The credential returned no token for ${scopes.join(" ")}` }))
          : Effect.succeed<AccessToken>({
            token: Redacted.make(t.token),
            expiresOnTimestamp: t.expiresOnTimestamp,
            refreshAfterTimestamp: t.refreshAfterTimestamp
          })
      )
    )
})

/**
 * A layer from an existing `TokenCredential` object (e.g. `new ClientSecretCredential(...)`).
 *
 * @since 0.1.0
 * @category Layers
 *
 * @example
 * ```ts
 * import { ClientSecretCredential } from "@azure/identity"
 * import { Credential, SecretClient } from "@effect-keyvault/secrets"
 * import { Layer } from "effect"
 *
 * const credential = new ClientSecretCredential("tenant-id", "client-id", "client-secret")
 * const ClientLive = SecretClient.layer({ vaultUrl: "https://my-vault.vault.azure.net" }).pipe(
 *   Layer.provide(Credential.fromTokenCredential(credential))
 * )
 * ```
 */
export const fromTokenCredential = (credential: TokenCredentialLike): Layer.Layer<Credential> =>
  Layer.succeed(Credential, makeFromTokenCredential(credential))

/**
 * Alias of {@link fromTokenCredential}.
 *
 * @since 0.1.0
 * @category Layers
 *
 * @example
 * ```ts
 * import { AzureCliCredential } from "@azure/identity"
 * import { Credential } from "@effect-keyvault/secrets"
 *
 * const CredentialLive = Credential.layerFromTokenCredential(new AzureCliCredential())
 * ```
 */
export const layerFromTokenCredential: (credential: TokenCredentialLike) => Layer.Layer<Credential> =
  fromTokenCredential

/**
 * `DefaultAzureCredential` from `@azure/identity`, loaded lazily so the package works without it.
 * Fails with {@link TokenError} when `@azure/identity` is not installed.
 *
 * Bundlers: the literal `import("@azure/identity")` is bundled when the package is installed (esbuild, Vite,
 * webpack), and left as a runtime import when it is not. For an explicit dependency, construct the credential
 * yourself: `Credential.fromTokenCredential(new DefaultAzureCredential())`.
 *
 * @since 0.1.0
 * @category Layers
 *
 * @example
 * ```ts
 * import { Credential, SecretClient } from "@effect-keyvault/secrets"
 * import { Layer } from "effect"
 *
 * // Environment variables, managed identity, Azure CLI, ... in the usual DefaultAzureCredential order
 * const ClientLive = SecretClient.layer({ vaultUrl: "https://my-vault.vault.azure.net" }).pipe(
 *   Layer.provide(Credential.layerDefaultAzure())
 * )
 * ```
 */
export const layerDefaultAzure = (options?: Record<string, unknown>): Layer.Layer<Credential, TokenError> =>
  Layer.effect(
    Credential,
    Effect.tryPromise({
      try: async () => {
        const { DefaultAzureCredential } = await importIdentity()
        return makeFromTokenCredential(new DefaultAzureCredential(options))
      },
      catch: (cause) =>
        cause instanceof TokenError ? cause : new TokenError({
          message: `Could not create DefaultAzureCredential: ${cause instanceof Error ? cause.message : String(cause)}`,
          cause
        })
    })
  )

// A string literal, so bundlers see the import and bundle @azure/identity when it is installed. Inside a `try`
// statement, so esbuild leaves it as a run-time import (no build error) when it is not installed.
const importIdentity = async () => {
  try {
    return await import("@azure/identity")
  } catch (cause) {
    throw new TokenError({ message: "Could not load DefaultAzureCredential; is @azure/identity installed?", cause })
  }
}
