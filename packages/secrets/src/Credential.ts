/**
 * Where tokens come from. Any `@azure/identity` `TokenCredential` works; a static token is there for the
 * emulator and tests.
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
 */
export interface TokenCredentialLike {
  getToken(
    scopes: string | Array<string>,
    options?: { tenantId?: string; claims?: string; enableCae?: boolean }
  ): Promise<{ token: string; expiresOnTimestamp: number; refreshAfterTimestamp?: number } | null>
}

/**
 * @since 0.1.0
 * @category Models
 */
export interface Service {
  readonly getToken: (
    scopes: ReadonlyArray<string>,
    options: GetTokenOptions
  ) => Effect.Effect<AccessToken, TokenError>
}

/**
 * @since 0.1.0
 * @category Context
 */
export class Credential extends Context.Tag("@effect-keyvault/secrets/Credential")<Credential, Service>() {}

/**
 * A credential that always returns the same token (valid for a year). Meant for the emulator.
 *
 * @since 0.1.0
 * @category Constructors
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
 * @since 0.1.0
 * @category Layers
 */
export const layerStatic = (token: string | Redacted.Redacted<string>): Layer.Layer<Credential> =>
  Layer.succeed(Credential, makeStatic(token))

/**
 * Wrap any `TokenCredential` (e.g. from `@azure/identity`) as a service value.
 *
 * @since 0.1.0
 * @category Constructors
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
 */
export const fromTokenCredential = (credential: TokenCredentialLike): Layer.Layer<Credential> =>
  Layer.succeed(Credential, makeFromTokenCredential(credential))

/**
 * Alias of {@link fromTokenCredential}.
 *
 * @since 0.1.0
 * @category Layers
 */
export const layerFromTokenCredential: (credential: TokenCredentialLike) => Layer.Layer<Credential> =
  fromTokenCredential

// A non-literal specifier keeps bundlers and the type-checker from requiring @azure/identity.
const identityModule = "@azure/identity"

/**
 * `DefaultAzureCredential` from `@azure/identity`, loaded lazily so the package works without it.
 * Fails with {@link TokenError} when `@azure/identity` is not installed.
 *
 * @since 0.1.0
 * @category Layers
 */
export const layerDefaultAzure = (options?: Record<string, unknown>): Layer.Layer<Credential, TokenError> =>
  Layer.effect(
    Credential,
    Effect.tryPromise({
      try: async () => {
        const mod: { DefaultAzureCredential: new(o?: unknown) => TokenCredentialLike } = await import(
          identityModule
        )
        return makeFromTokenCredential(new mod.DefaultAzureCredential(options))
      },
      catch: (cause) =>
        new TokenError({
          message: "Could not load DefaultAzureCredential; is @azure/identity installed?",
          cause
        })
    })
  )
