/**
 * The subcommands. Every handler gets a SecretClient for the vault chosen by the connection flags; values are
 * `Redacted` until the one place that must reveal them (`get` on stdout, `export` into a 0600 file, `run` into a
 * child's environment, `set`/`import` to the vault).
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Prompt from "@effect/cli/Prompt"
import type * as KeyVaultSecret from "@effect-keyvault/secrets/KeyVaultSecret"
import * as KeyVaultSecretIdentifier from "@effect-keyvault/secrets/KeyVaultSecretIdentifier"
import * as SecretClient from "@effect-keyvault/secrets/SecretClient"
import * as SecretError from "@effect-keyvault/secrets/SecretError"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as HashMap from "effect/HashMap"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import { CommandError, UsageError } from "../CliError.js"
import * as Dotenv from "./dotenv.js"
import * as Format from "./format.js"
import * as Io from "./io.js"
import * as Names from "./names.js"
import * as Spawn from "./spawn.js"
import * as Vault from "./vault.js"

// ---------------------------------------------------------------------------------------------------------------
// Shared arguments and options
// ---------------------------------------------------------------------------------------------------------------

const name = Args.text({ name: "name" }).pipe(Args.withDescription("The secret name (letters, digits and dashes)."))

const json = Options.boolean("json").pipe(Options.withDescription("Print JSON instead of text."))

const progressFlag = Options.boolean("progress").pipe(
  Options.withDescription("Show progress on stderr even when it is not a terminal.")
)

// Not --version: @effect/cli reads --version anywhere on the line as "print the CLI version".
const version = Options.text("secret-version").pipe(
  Options.withPseudoName("VERSION"),
  Options.withDescription("A specific version (default: the latest); NAME/VERSION or a full secret id work too."),
  Options.optional
)

// `get` and `show` take NAME, NAME/VERSION or a full secret id (https://<vault>/secrets/NAME[/VERSION]).
const target = (
  c: SecretClient.Service,
  arg: string,
  versionOption: Option.Option<string>
): Effect.Effect<{ readonly name: string; readonly version: string | undefined }, UsageError> =>
  Effect.gen(function*() {
    let n = arg
    let v: string | undefined
    if (/^https?:\/\//i.test(arg)) {
      const id = KeyVaultSecretIdentifier.parse(arg)
      if (Either.isLeft(id)) return yield* new UsageError({ message: `invalid secret id: ${id.left.message}` })
      if (id.right.vaultUrl.toLowerCase() !== c.vaultUrl.toLowerCase()) {
        return yield* new UsageError({ message: `${arg} is in ${id.right.vaultUrl}, not in ${c.vaultUrl}; pass --vault-url` })
      }
      n = id.right.name
      v = id.right.version
    } else if (arg.includes("/")) {
      ;[n, v] = arg.split("/", 2)
    }
    return { name: yield* checkName(n), version: Option.getOrElse(versionOption, () => v) || undefined }
  })

const contentType = Options.text("content-type").pipe(
  Options.withPseudoName("TYPE"),
  Options.withDescription("Content type to store with the secret, e.g. text/plain."),
  Options.optional
)

const tags = Options.keyValueMap(Options.text("tags").pipe(Options.withPseudoName("KEY=VALUE"))).pipe(
  Options.withDescription("Tags as key=value (repeat --tags for more). Tags are readable by anyone who can list."),
  Options.optional
)

const expires = Options.text("expires").pipe(
  Options.withPseudoName("WHEN"),
  Options.withDescription("Expiry: an ISO 8601 date/time (2027-01-31, 2027-01-31T12:00:00Z) or a duration from now (\"90 days\")."),
  Options.optional
)

const notBefore = Options.text("not-before").pipe(
  Options.withPseudoName("WHEN"),
  Options.withDescription("Not valid before: an ISO 8601 date/time or a duration from now."),
  Options.optional
)

const file = (description: string) => Options.text("file").pipe(Options.withAlias("f"), Options.withPseudoName("FILE"), Options.withDescription(description))

const force = Options.boolean("force").pipe(Options.withDescription("Replace the file if it exists."))

const prefix = Options.text("prefix").pipe(Options.withPseudoName("PREFIX"), 
  Options.withDescription("Only secrets whose name starts with this prefix; it is removed from the variable names."),
  Options.optional
)

const rawNames = Options.boolean("raw-names").pipe(
  Options.withDescription("Keep secret names as they are instead of mapping db-password <-> DB_PASSWORD.")
)

const concurrency = Options.integer("concurrency").pipe(Options.withPseudoName("N"), 
  Options.withDescription("How many requests to run at once."),
  Options.withDefault(16)
)

const checkName = (n: string): Effect.Effect<string, UsageError> =>
  Names.isValidSecretName(n)
    ? Effect.succeed(n)
    : Effect.fail(new UsageError({ message: `invalid secret name '${n}': use 1-127 letters, digits and dashes` }))

const parseWhen = (flag: string, text: string): Effect.Effect<Date, UsageError> => {
  const trimmed = text.trim()
  const duration = Duration.decodeUnknown(trimmed)
  if (Option.isSome(duration)) return Effect.succeed(new Date(Date.now() + Duration.toMillis(duration.value)))
  // Date-only and date-time forms of ISO 8601; anything Date.parse would guess at is refused.
  if (/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(trimmed)) {
    const ms = Date.parse(trimmed)
    if (!Number.isNaN(ms)) return Effect.succeed(new Date(ms))
  }
  return Effect.fail(new UsageError({ message: `invalid --${flag} '${text}': expected 2027-01-31, 2027-01-31T12:00:00Z or "90 days"` }))
}

const optionalWhen = (flag: string, o: Option.Option<string>) =>
  Option.match(o, { onNone: () => Effect.succeed(undefined), onSome: (t) => parseWhen(flag, t) })

const tagsRecord = (o: Option.Option<HashMap.HashMap<string, string>>): Record<string, string> | undefined =>
  Option.match(o, { onNone: () => undefined, onSome: (m) => Object.fromEntries(HashMap.toEntries(m)) })

/** A vault subcommand: its own flags plus the connection flags, run with a SecretClient for that vault. */
const vaultCommand = <const Name extends string, const Config extends Command.Command.Config, E, R>(
  commandName: Name,
  config: Config,
  description: string,
  handler: (config: Command.Command.ParseConfig<Config>) => Effect.Effect<void, E, R>
) =>
  Command.make(commandName, { ...config, vault: Vault.options }, (parsed) => {
    const c = parsed as unknown as Command.Command.ParseConfig<Config> & { readonly vault: Vault.VaultOptions }
    return Effect.provide(handler(c), Vault.layer(c.vault))
  }).pipe(Command.withDescription(description))

const client = SecretClient.SecretClient

// ---------------------------------------------------------------------------------------------------------------
// Single secrets
// ---------------------------------------------------------------------------------------------------------------

const get = vaultCommand(
  "get",
  { name, version },
  "Print a secret's value alone on stdout (for scripts).",
  ({ name, version }) =>
    Effect.gen(function*() {
      const c = yield* client
      const t = yield* target(c, name, version)
      const secret = yield* c.getSecret(t.name, { version: t.version })
      const value = Redacted.value(secret.value)
      // A newline only for a person at a terminal: $(...) and files get the exact value.
      yield* Io.stdout(process.stdout.isTTY === true ? `${value}\n` : value)
    })
)

const show = vaultCommand(
  "show",
  { name, version, json, deleted: Options.boolean("deleted").pipe(Options.withDescription("Show a deleted secret.")) },
  "Show a secret's properties, never its value.",
  ({ deleted, json, name, version }) =>
    Effect.gen(function*() {
      const c = yield* client
      const t = yield* target(c, name, version)
      if (deleted) {
        const d = yield* c.getDeletedSecret(t.name)
        return yield* Io.stdout(json ? Format.json(Format.deletedJson(d)) : Format.properties(d.properties, d))
      }
      const secret = yield* c.getSecret(t.name, { version: t.version })
      yield* Io.stdout(json ? Format.json(Format.propertiesJson(secret.properties)) : Format.properties(secret.properties))
    })
)

// The value for `set`: a file (exact bytes as UTF-8), a hidden prompt on a terminal, or stdin (one trailing
// newline removed, since `echo` adds one).
const readValue = (name: string, fileOption: Option.Option<string>) =>
  Effect.gen(function*() {
    if (Option.isSome(fileOption)) {
      return Redacted.make((yield* Io.readFile(fileOption.value)).toString("utf8"))
    }
    if (process.stdin.isTTY === true) {
      return yield* Prompt.hidden({ message: `Value for ${name}` }).pipe(
        Effect.mapError(() => new CommandError({ message: "cancelled", exitCode: 130 }))
      )
    }
    return Redacted.make((yield* Io.readStdin).replace(/\r?\n$/, ""))
  })

const set = vaultCommand(
  "set",
  {
    name,
    file: file("Read the value from this file (as UTF-8, exactly) instead of stdin.").pipe(Options.optional),
    contentType,
    tags,
    expires,
    notBefore,
    disabled: Options.boolean("disabled").pipe(Options.withDescription("Create the version disabled.")),
    json
  },
  "Set a new version from stdin, --file or a hidden prompt (never argv); prints its id.",
  (o) =>
    Effect.gen(function*() {
      const n = yield* checkName(o.name)
      const expiresOn = yield* optionalWhen("expires", o.expires)
      const notBeforeDate = yield* optionalWhen("not-before", o.notBefore)
      const value = yield* readValue(n, o.file)
      if (Redacted.value(value) === "") {
        return yield* new UsageError({ message: "empty value: pipe the value on stdin or pass --file" })
      }
      const secret = yield* (yield* client).setSecret(n, value, {
        contentType: Option.getOrUndefined(o.contentType),
        tags: tagsRecord(o.tags),
        expiresOn,
        notBefore: notBeforeDate,
        enabled: o.disabled ? false : undefined
      })
      yield* Io.stdout(o.json ? Format.json(Format.propertiesJson(secret.properties)) : `${secret.properties.id}\n`)
    })
)

const update = vaultCommand(
  "update",
  {
    name,
    version,
    enable: Options.boolean("enable").pipe(Options.withDescription("Enable the version.")),
    disable: Options.boolean("disable").pipe(Options.withDescription("Disable the version (reads then fail with 403).")),
    contentType,
    tags,
    expires,
    notBefore,
    json
  },
  "Change enabled, dates, content type or tags (--tags replaces all).",
  (o) =>
    Effect.gen(function*() {
      const n = yield* checkName(o.name)
      if (o.enable && o.disable) return yield* new UsageError({ message: "--enable and --disable exclude each other" })
      const expiresOn = yield* optionalWhen("expires", o.expires)
      const notBeforeDate = yield* optionalWhen("not-before", o.notBefore)
      const enabled = o.enable ? true : o.disable ? false : undefined
      const tagMap = tagsRecord(o.tags)
      const contentTypeValue = Option.getOrUndefined(o.contentType)
      if (
        enabled === undefined && expiresOn === undefined && notBeforeDate === undefined && tagMap === undefined &&
        contentTypeValue === undefined
      ) {
        return yield* new UsageError({
          message: "nothing to update: pass --enable, --disable, --expires, --not-before, --content-type or --tags"
        })
      }
      const p = yield* (yield* client).updateSecretProperties(n, {
        version: Option.getOrUndefined(o.version),
        enabled,
        expiresOn,
        notBefore: notBeforeDate,
        tags: tagMap,
        contentType: contentTypeValue
      })
      yield* Io.stdout(o.json ? Format.json(Format.propertiesJson(p)) : Format.properties(p))
    })
)

const deleteCommand = vaultCommand(
  "delete",
  {
    name,
    noWait: Options.boolean("no-wait").pipe(Options.withDescription("Return once the delete is accepted.")),
    progress: progressFlag
  },
  "Delete a secret (all versions) and wait until it is gone.",
  ({ name, noWait, progress }) =>
    Effect.gen(function*() {
      const c = yield* client
      const n = yield* checkName(name)
      if (noWait) {
        yield* c.beginDeleteSecret(n)
        return yield* Io.line(`Deleting ${n} (not waiting)`)
      }
      const p = Io.progress(progress)
      yield* p.update(`deleting ${n}...`)
      const deleted = yield* c.deleteSecret(n).pipe(Effect.ensuring(p.done))
      const purge = Format.date(deleted.scheduledPurgeDate)
      yield* Io.line(
        deleted.recoveryId === undefined
          ? `Deleted ${n}`
          : `Deleted ${n}; recoverable${purge ? ` until ${purge}` : ""} (effect-keyvault recover ${n})`
      )
    })
)

const recover = vaultCommand(
  "recover",
  {
    name,
    noWait: Options.boolean("no-wait").pipe(Options.withDescription("Return once the recovery is accepted.")),
    progress: progressFlag
  },
  "Recover a deleted secret and wait until it is readable.",
  ({ name, noWait, progress }) =>
    Effect.gen(function*() {
      const c = yield* client
      const n = yield* checkName(name)
      if (noWait) {
        yield* c.beginRecoverDeletedSecret(n)
        return yield* Io.line(`Recovering ${n} (not waiting)`)
      }
      const p = Io.progress(progress)
      yield* p.update(`recovering ${n}...`)
      yield* c.recoverDeletedSecret(n).pipe(Effect.ensuring(p.done))
      yield* Io.line(`Recovered ${n}`)
    })
)

const purge = vaultCommand(
  "purge",
  { name },
  "Permanently remove a deleted secret (cannot be undone).",
  ({ name }) =>
    Effect.gen(function*() {
      const n = yield* checkName(name)
      yield* (yield* client).purgeDeletedSecret(n)
      yield* Io.line(`Purged ${n}`)
    })
)

const backup = vaultCommand(
  "backup",
  { name, file: file("Write the backup blob to this file (mode 0600)."), force },
  "Save a secret (all versions) as an opaque blob in a file.",
  ({ file, force, name }) =>
    Effect.gen(function*() {
      const n = yield* checkName(name)
      const blob = yield* (yield* client).backupSecret(n)
      yield* Io.writeSecretFile(file, blob, force)
      yield* Io.line(`Backed up ${n} to ${file} (${blob.length} bytes)`)
    })
)

const restore = vaultCommand(
  "restore",
  { file: file("The backup blob written by backup.") },
  "Restore a secret from a backup file.",
  ({ file }) =>
    Effect.gen(function*() {
      const blob = yield* Io.readFile(file)
      const p = yield* (yield* client).restoreSecretBackup(new Uint8Array(blob))
      yield* Io.line(`Restored ${p.name}`)
    })
)

// ---------------------------------------------------------------------------------------------------------------
// Listings
// ---------------------------------------------------------------------------------------------------------------

const counted = <A, E, R>(stream: Stream.Stream<A, E, R>, p: Io.Progress, what: string) =>
  stream.pipe(
    Stream.zipWithIndex,
    Stream.tap(([, i]) => p.update(`listed ${i + 1} ${what}`)),
    Stream.map(([a]) => a),
    Stream.runCollect,
    Effect.map((chunk) => Array.from(chunk)),
    Effect.ensuring(p.done)
  )

const list = vaultCommand(
  "list",
  {
    json,
    includeDeleted: Options.boolean("include-deleted").pipe(
      Options.withDescription("Also list deleted (recoverable) secrets.")
    ),
    prefix: Options.text("prefix").pipe(Options.withPseudoName("PREFIX"), Options.withDescription("Only names starting with this prefix."), Options.optional),
    progress: progressFlag
  },
  "List secrets as a table or JSON (never values).",
  (o) =>
    Effect.gen(function*() {
      const c = yield* client
      const p = Io.progress(o.progress)
      const keep = (n: string) => Option.match(o.prefix, { onNone: () => true, onSome: (pre) => Names.hasPrefix(n, pre) })
      const secrets = (yield* counted(c.listPropertiesOfSecrets(), p, "secrets")).filter((s) => keep(s.name))
      const deleted = o.includeDeleted
        ? (yield* counted(c.listDeletedSecrets(), p, "deleted secrets")).filter((d) => keep(d.name))
        : []
      secrets.sort((a, b) => a.name.localeCompare(b.name))
      deleted.sort((a, b) => a.name.localeCompare(b.name))
      if (o.json) {
        return yield* Io.stdout(Format.json([...secrets.map(Format.propertiesJson), ...deleted.map(Format.deletedJson)]))
      }
      const rows = [
        ...secrets.map((s) => [
          s.name,
          Format.enabledText(s),
          s.contentType ?? "",
          Format.date(s.expiresOn),
          Format.date(s.updatedOn),
          ...(o.includeDeleted ? [""] : [])
        ]),
        ...deleted.map((d) => [
          d.name,
          Format.enabledText(d.properties),
          d.properties.contentType ?? "",
          Format.date(d.properties.expiresOn),
          Format.date(d.properties.updatedOn),
          `deleted ${Format.date(d.deletedOn)}`.trim()
        ])
      ]
      yield* Io.stdout(Format.table(
        ["NAME", "ENABLED", "CONTENT TYPE", "EXPIRES", "UPDATED", ...(o.includeDeleted ? ["STATE"] : [])],
        rows
      ))
    })
)

const versions = vaultCommand(
  "versions",
  { name, json, progress: progressFlag },
  "List the versions of a secret, newest first.",
  (o) =>
    Effect.gen(function*() {
      const c = yield* client
      const n = yield* checkName(o.name)
      const all = yield* counted(c.listPropertiesOfSecretVersions(n), Io.progress(o.progress), "versions")
      if (all.length === 0) {
        return yield* new SecretError.NotFound({ vault: c.vaultUrl, name: n, status: 404, message: `no versions of ${n}` })
      }
      const created = (p: KeyVaultSecret.SecretProperties) => p.createdOn?.epochMillis ?? 0
      all.sort((a, b) => created(b) - created(a))
      if (o.json) return yield* Io.stdout(Format.json(all.map(Format.propertiesJson)))
      yield* Io.stdout(Format.table(
        ["VERSION", "ENABLED", "CREATED", "EXPIRES", "CONTENT TYPE"],
        all.map((p) => [p.version ?? "", Format.enabledText(p), Format.date(p.createdOn), Format.date(p.expiresOn), p.contentType ?? ""])
      ))
    })
)

// ---------------------------------------------------------------------------------------------------------------
// Bulk: export, import, run
// ---------------------------------------------------------------------------------------------------------------

interface Loaded {
  readonly entries: Array<[string, Redacted.Redacted<string>]>
  readonly skipped: number
}

/** Every enabled secret (under `prefix`) with its value, keyed by variable name (or secret name). */
const loadAll = (o: {
  readonly prefix: Option.Option<string>
  readonly rawNames: boolean
  readonly concurrency: number
  readonly progress: boolean
}) =>
  Effect.gen(function*() {
    const c = yield* client
    const p = Io.progress(o.progress)
    const pre = Option.getOrElse(o.prefix, () => "")
    const listed = yield* counted(c.listPropertiesOfSecrets(), p, "secrets")
    const wanted = listed.filter((s) =>
      s.enabled !== false && s.managed !== true && Names.hasPrefix(s.name, pre) && s.name.length > pre.length
    )
    let done = 0
    let skipped = listed.length - wanted.length
    const fetched = yield* Effect.forEach(wanted, (s) =>
      c.getSecret(s.name).pipe(
        Effect.map((secret) => Option.some([o.rawNames ? s.name.slice(pre.length) : Names.toEnvName(s.name, pre), secret.value] as [string, Redacted.Redacted<string>])),
        // Disabled between the listing and the read: skipped like the others.
        Effect.catchIf((e): e is SecretError.Forbidden => e._tag === "Forbidden" && e.disabled, () => Effect.sync(() => {
          skipped++
          return Option.none()
        })),
        Effect.tap(() => p.update(`read ${++done}/${wanted.length} secrets`))
      ), { concurrency: o.concurrency }).pipe(Effect.ensuring(p.done))
    const entries = fetched.flatMap((e) => Option.isSome(e) ? [e.value] : [])
    entries.sort(([a], [b]) => a.localeCompare(b))
    return { entries, skipped } satisfies Loaded
  })

const format = Options.choice("format", ["dotenv", "json"]).pipe(
  Options.withDescription("File format (default: json for a .json file, dotenv otherwise)."),
  Options.optional
)

const formatOf = (f: Option.Option<"dotenv" | "json">, path: string) =>
  Option.getOrElse(f, () => (path.toLowerCase().endsWith(".json") ? "json" as const : "dotenv" as const))

const checkConcurrency = (n: number) =>
  n >= 1 && n <= 256 ? Effect.succeed(n) : Effect.fail(new UsageError({ message: "--concurrency must be 1..256" }))

const exportCommand = vaultCommand(
  "export",
  {
    file: file("Write to this file (mode 0600, replaced all at once)."),
    format,
    prefix,
    rawNames,
    force,
    concurrency,
    progress: progressFlag
  },
  "Write enabled secrets to a 0600 dotenv/JSON file (db-password -> DB_PASSWORD).",
  (o) =>
    Effect.gen(function*() {
      yield* checkConcurrency(o.concurrency)
      const { entries, skipped } = yield* loadAll(o)
      const fmt = formatOf(o.format, o.file)
      const plain = entries.map(([k, v]) => [k, Redacted.value(v)] as const)
      const text = fmt === "json" ? Format.json(Object.fromEntries(plain)) : Dotenv.format(plain)
      yield* Io.writeSecretFile(o.file, text, o.force)
      yield* Io.line(
        `Exported ${entries.length} secret${entries.length === 1 ? "" : "s"} to ${o.file}${skipped > 0 ? ` (${skipped} disabled, certificate-backed or outside the prefix skipped)` : ""}`
      )
    })
)

const importCommand = vaultCommand(
  "import",
  {
    file: file("A dotenv or JSON file ({\"NAME\": \"value\"}), as written by export."),
    format,
    prefix: Options.text("prefix").pipe(Options.withPseudoName("PREFIX"), 
      Options.withDescription("Put this prefix in front of every secret name."),
      Options.optional
    ),
    rawNames,
    contentType,
    concurrency: Options.integer("concurrency").pipe(Options.withPseudoName("N"), 
      Options.withDescription("How many secrets to write at once."),
      Options.withDefault(8)
    ),
    progress: progressFlag
  },
  "Set one secret per entry of a dotenv/JSON file (DB_PASSWORD -> db-password).",
  (o) =>
    Effect.gen(function*() {
      yield* checkConcurrency(o.concurrency)
      const raw = (yield* Io.readFile(o.file)).toString("utf8")
      const fmt = formatOf(o.format, o.file)
      let pairs: Array<[string, string]>
      if (fmt === "json") {
        let parsed: unknown
        try {
          parsed = JSON.parse(raw)
        } catch {
          return yield* new UsageError({ message: `${o.file} is not valid JSON` })
        }
        if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
          return yield* new UsageError({ message: `${o.file}: expected a JSON object of "NAME": "value"` })
        }
        pairs = []
        for (const [k, v] of Object.entries(parsed)) {
          if (typeof v !== "string") return yield* new UsageError({ message: `${o.file}: the value of ${k} is not a string` })
          pairs.push([k, v])
        }
      } else {
        const result = Dotenv.parse(raw)
        if (Either.isLeft(result)) {
          return yield* new UsageError({ message: `${o.file}:${result.left.line}: ${result.left.message}` })
        }
        pairs = result.right
      }
      const pre = Option.getOrElse(o.prefix, () => "")
      const named = pairs.map(([k, v]) => [o.rawNames ? `${pre}${k}` : Names.fromEnvName(k, pre), k, v] as const)
      const bad = named.find(([n]) => !Names.isValidSecretName(n))
      if (bad !== undefined) {
        return yield* new UsageError({ message: `${o.file}: ${bad[1]} does not make a valid secret name ('${bad[0]}')` })
      }
      // Key Vault names are case-insensitive: DB_PASSWORD and db_password would race for one secret.
      const seen = new Map<string, string>()
      for (const [n, k] of named) {
        const other = seen.get(n.toLowerCase())
        if (other !== undefined) {
          return yield* new UsageError({ message: `${o.file}: ${other} and ${k} both map to the secret ${n}` })
        }
        seen.set(n.toLowerCase(), k)
      }
      const empty = named.find(([, , v]) => v === "")
      if (empty !== undefined) return yield* new UsageError({ message: `${o.file}: ${empty[1]} has an empty value` })
      const c = yield* client
      const p = Io.progress(o.progress)
      let done = 0
      yield* Effect.forEach(named, ([n, , v]) =>
        c.setSecret(n, Redacted.make(v), { contentType: Option.getOrUndefined(o.contentType) }).pipe(
          Effect.tap(() => p.update(`imported ${++done}/${named.length} secrets`))
        ), { concurrency: o.concurrency, discard: true }).pipe(Effect.ensuring(p.done))
      yield* Io.line(`Imported ${named.length} secret${named.length === 1 ? "" : "s"} from ${o.file}`)
    })
)

/** @internal */
export class ExitWith {
  constructor(readonly code: number) {}
}

const run = vaultCommand(
  "run",
  {
    prefix,
    concurrency,
    progress: progressFlag,
    command: Args.text({ name: "command" }).pipe(
      Args.repeated,
      Args.withDescription("The program and its arguments, after --.")
    )
  },
  "Run a program with the secrets as env vars: run [--prefix P] -- cmd args...",
  (o) =>
    Effect.gen(function*() {
      const [program, ...args] = o.command
      if (program === undefined) {
        return yield* new UsageError({ message: "no program to run: effect-keyvault run [--prefix P] -- <command> [args...]" })
      }
      yield* checkConcurrency(o.concurrency)
      const { entries } = yield* loadAll({ ...o, rawNames: false })
      const env = Object.fromEntries(entries.map(([k, v]) => [k, Redacted.value(v)]))
      const code = yield* Spawn.run(program, args, env)
      return yield* Effect.fail(new ExitWith(code))
    })
)

/** @internal */
export const all = [get, show, set, list, versions, update, deleteCommand, recover, purge, backup, restore, exportCommand, importCommand, run] as const
