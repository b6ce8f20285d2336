/**
 * Secret names ↔ environment variable names. Key Vault names are `[0-9a-zA-Z-]{1,127}` and case-insensitive,
 * so `-` ↔ `_` plus a case change is a bijection on valid names (`db-password` ↔ `DB_PASSWORD`,
 * `ConnectionStrings--Db` ↔ `CONNECTIONSTRINGS__DB`).
 */

const validName = /^[0-9a-zA-Z-]{1,127}$/

/** @internal */
export const isValidSecretName = (name: string): boolean => validName.test(name)

/** @internal */
export const hasPrefix = (name: string, prefix: string): boolean =>
  name.toLowerCase().startsWith(prefix.toLowerCase())

/** The variable name for a secret, with `prefix` (matched case-insensitively) removed. */
export const toEnvName = (secretName: string, prefix = ""): string =>
  secretName.slice(hasPrefix(secretName, prefix) ? prefix.length : 0).toUpperCase().replace(/-/g, "_")

/** The secret name for a variable, with `prefix` put back in front. */
export const fromEnvName = (key: string, prefix = ""): string => `${prefix}${key.toLowerCase().replace(/_/g, "-")}`
