/** Text and JSON renderings of secret properties. None of them can contain a value. */
import * as KeyVaultSecret from "@effect-keyvault/secrets/KeyVaultSecret"
import * as DateTime from "effect/DateTime"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"

/** ISO 8601 without milliseconds, or "" for an absent date. @internal */
export const date = (d: DateTime.Utc | undefined): string =>
  d === undefined ? "" : DateTime.formatIso(d).replace(/\.\d{3}Z$/, "Z")

const tags = (t: Readonly<Record<string, string>>): string =>
  Object.entries(t).map(([k, v]) => `${k}=${v}`).join(", ")

/** Left-aligned columns separated by two spaces. @internal */
export const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)))
  const render = (r: ReadonlyArray<string>) => r.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd()
  return [render(header), ...rows.map(render)].map((l) => `${l}\n`).join("")
}

const encodeProperties = Schema.encodeSync(KeyVaultSecret.SecretProperties)

/** The JSON form of properties (dates as ISO strings), with `vaultUrl` dropped (it is in `id`). @internal */
export const propertiesJson = (p: KeyVaultSecret.SecretProperties): Record<string, unknown> => {
  const { vaultUrl: _, ...rest } = encodeProperties(p)
  return rest
}

/** @internal */
export const deletedJson = (d: KeyVaultSecret.DeletedSecret): Record<string, unknown> => ({
  ...propertiesJson(d.properties),
  deleted: true,
  ...(d.recoveryId !== undefined ? { recoveryId: d.recoveryId } : {}),
  ...(d.deletedOn !== undefined ? { deletedOn: date(d.deletedOn) } : {}),
  ...(d.scheduledPurgeDate !== undefined ? { scheduledPurgeDate: date(d.scheduledPurgeDate) } : {})
})

/** @internal */
export const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`

/** `show`: one "field  value" line per property that is set. @internal */
export const properties = (p: KeyVaultSecret.SecretProperties, deleted?: KeyVaultSecret.DeletedSecret): string => {
  const rows: Array<[string, string | undefined]> = [
    ["name", p.name],
    ["id", p.id],
    ["version", p.version],
    ["enabled", p.enabled === undefined ? undefined : String(p.enabled)],
    ["content type", p.contentType],
    ["created", date(p.createdOn)],
    ["updated", date(p.updatedOn)],
    ["not before", date(p.notBefore)],
    ["expires", date(p.expiresOn)],
    ["tags", tags(p.tags)],
    ["managed", p.managed === true ? "true (certificate-backed)" : undefined],
    [
      "recovery",
      p.recoveryLevel === undefined
        ? undefined
        : `${p.recoveryLevel}${p.recoverableDays !== undefined ? ` (${p.recoverableDays} days)` : ""}`
    ],
    ["deleted", deleted ? date(deleted.deletedOn) || "yes" : undefined],
    ["purge date", deleted ? date(deleted.scheduledPurgeDate) : undefined]
  ]
  const shown = rows.filter((r): r is [string, string] => r[1] !== undefined && r[1] !== "")
  const width = Math.max(...shown.map(([k]) => k.length))
  return shown.map(([k, v]) => `${k.padEnd(width)}  ${v}\n`).join("")
}

/** @internal */
export const enabledText = (p: KeyVaultSecret.SecretProperties): string =>
  p.enabled === false ? "no" : "yes"

/** @internal */
export const optionText = (o: Option.Option<string>): string => Option.getOrElse(o, () => "")
