/**
 * Every Key Vault secrets request described once, as data: method, path, query, body, the statuses that
 * succeed, the decoder of the answer and which failures keep their own tag. `SecretClient.make` runs all of
 * them through one executor whose per-client parts (URL prefix, headers, span attributes) are built once;
 * adding an operation is one description here, one method there, one test.
 */
import * as Either from "effect/Either"
import * as ApiVersion from "../ApiVersion.js"
import type { DeletedSecret, KeyVaultSecret, SecretProperties } from "../KeyVaultSecret.js"
import type { SetSecretOptions } from "../SecretClient.js"
import * as SecretError from "../SecretError.js"
import * as Transform from "./transform.js"
import * as Validate from "./validate.js"
import * as Wire from "./wire.js"

/** Failures reported with their own tag; any other error status becomes `HttpError`. */
export type StatusTag = "NotFound" | "Forbidden" | "Exists"

/** What a description may read about the client. */
export interface Env {
  readonly vaultUrl: string
  readonly apiVersion: ApiVersion.ApiVersion
}

/** One request/response exchange of the service. */
export interface Operation<I, A> {
  /** The SDK operation: span `SecretClient.<name>`, error messages, `ResponseInfo.operation`. */
  readonly name: string
  readonly method: "GET" | "PUT" | "PATCH" | "DELETE" | "POST"
  /** The secret this call is about (span attribute, errors). */
  readonly secret: (input: I) => string | undefined
  /** Client-side checks; nothing is sent when one fails. */
  readonly validate: (input: I, env: Env) => SecretError.InvalidArgument | undefined
  /** The encoded path under the vault URL. */
  readonly path: (input: I) => string
  /** Query parameters after `api-version`, as `&k=v` (encoded). */
  readonly query?: ((input: I) => string) | undefined
  /** A JSON body; it may carry a value, so it is sent opaque (never printed). */
  readonly body?: ((input: I) => unknown) | undefined
  /** Statuses that succeed (default 200). */
  readonly expected?: ReadonlyArray<number> | undefined
  /** The answer's JSON → result; absent: the body is ignored (the result is `undefined`). */
  readonly decode?: Transform.Decoder<A> | undefined
  readonly errors: ReadonlyArray<StatusTag>
}

const seg = encodeURIComponent
const isLatest = (version: string | undefined) => version === undefined || version === ""
const versionSegment = (version: string | undefined) => (isLatest(version) ? "" : seg(version!))

/** The first failing check, or undefined. */
const first = (...checks: ReadonlyArray<() => SecretError.InvalidArgument | undefined>) => {
  for (const check of checks) {
    const e = check()
    if (e !== undefined) return e
  }
  return undefined
}

// ---- inputs -----------------------------------------------------------------------------------------------

/** The attributes a write sets (`SecretClient.SetSecretOptions`). */
export type PropertiesInput = SetSecretOptions

export interface SetInput {
  readonly name: string
  /** The plain value, unwrapped from `Redacted` at the call; only the request body holds it. */
  readonly value: string
  readonly options: PropertiesInput
}

export interface GetInput {
  readonly name: string
  readonly version?: string | undefined
  readonly outContentType?: string | undefined
}

export interface UpdateInput extends PropertiesInput {
  readonly name: string
  readonly version?: string | undefined
}

export interface NameInput {
  readonly name: string
}

export interface ListInput {
  /** The secret whose versions are listed (versions listing only). */
  readonly name?: string | undefined
}

// ---- bodies -----------------------------------------------------------------------------------------------

const attributesBody = (o: PropertiesInput) => {
  const attributes: { enabled?: boolean; nbf?: number; exp?: number } = {}
  if (o.enabled !== undefined) attributes.enabled = o.enabled
  const nbf = Transform.toEpoch(o.notBefore)
  if (nbf !== undefined) attributes.nbf = nbf
  const exp = Transform.toEpoch(o.expiresOn)
  if (exp !== undefined) attributes.exp = exp
  return attributes
}

// ---- the operations ---------------------------------------------------------------------------------------

const byName = (input: NameInput) => input.name
const checkName = (input: NameInput, env: Env) => Validate.name(env.vaultUrl, input.name)

/** PUT /secrets/{name}: a new version. */
export const setSecret: Operation<SetInput, KeyVaultSecret> = {
  name: "setSecret",
  method: "PUT",
  secret: byName,
  validate: (i, env) =>
    first(
      () => Validate.name(env.vaultUrl, i.name),
      () => Validate.value(env.vaultUrl, i.name, i.value),
      () => Validate.properties(env.vaultUrl, i.name, i.options)
    ),
  path: (i) => `/secrets/${seg(i.name)}`,
  body: (i): Wire.SecretSetParameters => ({
    value: i.value,
    ...(i.options.tags !== undefined ? { tags: { ...i.options.tags } } : {}),
    ...(i.options.contentType !== undefined ? { contentType: i.options.contentType } : {}),
    // Always sent, like the official SDK (the recordings show `"attributes":{}`).
    attributes: attributesBody(i.options)
  }),
  decode: Transform.decodeSecret,
  errors: ["Exists", "Forbidden"]
}

/** GET /secrets/{name}/{version}. */
export const getSecret: Operation<GetInput, KeyVaultSecret> = {
  name: "getSecret",
  method: "GET",
  secret: byName,
  validate: (i, env) =>
    first(
      () => Validate.name(env.vaultUrl, i.name),
      () => Validate.version(env.vaultUrl, i.name, i.version),
      () =>
        i.outContentType === undefined || ApiVersion.supportsOutContentType(env.apiVersion)
          ? undefined
          : new SecretError.InvalidArgument({
            vault: env.vaultUrl,
            name: i.name,
            argument: "outContentType",
            message: `outContentType needs api-version 2025-07-01 or later; this client uses ${env.apiVersion}.`
          })
    ),
  path: (i) => `/secrets/${seg(i.name)}/${versionSegment(i.version)}`,
  query: (i) => (i.outContentType === undefined ? "" : `&outContentType=${seg(i.outContentType)}`),
  decode: Transform.decodeSecret,
  errors: ["NotFound", "Forbidden"]
}

/** PATCH /secrets/{name}/{version}: properties only. */
export const updateSecretProperties: Operation<UpdateInput, SecretProperties> = {
  name: "updateSecretProperties",
  method: "PATCH",
  secret: byName,
  validate: (i, env) =>
    first(
      () => Validate.name(env.vaultUrl, i.name),
      () => Validate.version(env.vaultUrl, i.name, i.version),
      () => Validate.properties(env.vaultUrl, i.name, i)
    ),
  path: (i) => `/secrets/${seg(i.name)}/${versionSegment(i.version)}`,
  body: (i): Wire.SecretUpdateParameters => ({
    ...(i.contentType !== undefined ? { contentType: i.contentType } : {}),
    attributes: attributesBody(i),
    ...(i.tags !== undefined ? { tags: { ...i.tags } } : {})
  }),
  decode: Transform.decodeProperties,
  errors: ["NotFound", "Forbidden"]
}

/** DELETE /secrets/{name}: the request that starts a delete (polled by the caller). */
export const deleteSecret: Operation<NameInput, DeletedSecret> = {
  name: "deleteSecret",
  method: "DELETE",
  secret: byName,
  validate: checkName,
  path: (i) => `/secrets/${seg(i.name)}`,
  decode: Transform.decodeDeleted,
  errors: ["NotFound", "Forbidden", "Exists"]
}

/** GET /deletedsecrets/{name}. */
export const getDeletedSecret: Operation<NameInput, DeletedSecret> = {
  name: "getDeletedSecret",
  method: "GET",
  secret: byName,
  validate: checkName,
  path: (i) => `/deletedsecrets/${seg(i.name)}`,
  decode: Transform.decodeDeleted,
  errors: ["NotFound", "Forbidden"]
}

/** DELETE /deletedsecrets/{name}: 204. */
export const purgeDeletedSecret: Operation<NameInput, void> = {
  name: "purgeDeletedSecret",
  method: "DELETE",
  secret: byName,
  validate: checkName,
  path: (i) => `/deletedsecrets/${seg(i.name)}`,
  expected: [204, 200],
  errors: ["NotFound", "Forbidden", "Exists"]
}

/** POST /deletedsecrets/{name}/recover: the request that starts a recovery (polled by the caller). */
export const recoverDeletedSecret: Operation<NameInput, SecretProperties> = {
  name: "recoverDeletedSecret",
  method: "POST",
  secret: byName,
  validate: checkName,
  path: (i) => `/deletedsecrets/${seg(i.name)}/recover`,
  decode: Transform.decodeProperties,
  errors: ["NotFound", "Forbidden", "Exists"]
}

const decodeBackup = Transform.decoderFromSchema(Wire.BackupSecretResult)

/** POST /secrets/{name}/backup: opaque bytes. */
export const backupSecret: Operation<NameInput, Uint8Array> = {
  name: "backupSecret",
  method: "POST",
  secret: byName,
  validate: checkName,
  path: (i) => `/secrets/${seg(i.name)}/backup`,
  decode: (u) => Either.map(decodeBackup(u), (body) => Transform.fromBase64Url(body.value)),
  errors: ["NotFound", "Forbidden"]
}

/** POST /secrets/restore. */
export const restoreSecretBackup: Operation<Uint8Array, SecretProperties> = {
  name: "restoreSecretBackup",
  method: "POST",
  secret: () => undefined,
  validate: (backup, env) =>
    backup instanceof Uint8Array && backup.length > 0 ? undefined : new SecretError.InvalidArgument({
      vault: env.vaultUrl,
      argument: "backup",
      message: "The backup must be a non-empty Uint8Array from backupSecret."
    }),
  path: () => "/secrets/restore",
  body: (backup) => ({ value: Transform.toBase64Url(backup) }),
  decode: Transform.decodeProperties,
  errors: ["Exists", "Forbidden"]
}

/** One page of a listing; `path` is the first page's (later pages follow the service's nextLink). */
export interface ListOperation<A> extends Operation<ListInput, Transform.Page<A>> {
  readonly decode: Transform.Decoder<Transform.Page<A>>
}

/** GET /secrets. */
export const listPropertiesOfSecrets: ListOperation<SecretProperties> = {
  name: "listPropertiesOfSecrets",
  method: "GET",
  secret: () => undefined,
  validate: () => undefined,
  path: () => "/secrets",
  decode: Transform.decodeSecretPage,
  errors: ["Forbidden"]
}

/** GET /secrets/{name}/versions. */
export const listPropertiesOfSecretVersions: ListOperation<SecretProperties> = {
  name: "listPropertiesOfSecretVersions",
  method: "GET",
  secret: (i) => i.name,
  validate: (i, env) => Validate.name(env.vaultUrl, i.name ?? ""),
  path: (i) => `/secrets/${seg(i.name ?? "")}/versions`,
  decode: Transform.decodeSecretPage,
  errors: ["Forbidden"]
}

/** GET /deletedsecrets. */
export const listDeletedSecrets: ListOperation<DeletedSecret> = {
  name: "listDeletedSecrets",
  method: "GET",
  secret: () => undefined,
  validate: () => undefined,
  path: () => "/deletedsecrets",
  decode: Transform.decodeDeletedPage,
  errors: ["Forbidden"]
}
