/**
 * Backup blobs: self-describing, versioned and sealed (AES-256-GCM) with a key the emulator holds.
 * Layout (before base64url): MAGIC | iv(12) | tag(16) | ciphertext(gzip(JSON content)) (V1: not gzipped).
 */
import * as crypto from "node:crypto"
import * as zlib from "node:zlib"
import type { StoredVersion } from "../VaultEngine.js"

// V1: the JSON content is sealed as is. V2 (current): gzip-compressed before sealing, so backups of many
// large versions still fit a restore request. Both are opened; only V2 is written.
const MAGIC_V1 = Buffer.from("EffectKeyVaultEmulatorSecretBackupV1", "utf8")
const MAGIC_V2 = Buffer.from("EffectKeyVaultEmulatorSecretBackupV2", "utf8")
const MAGIC_LENGTH = MAGIC_V1.length

/** @internal Largest blob (base64url characters) a backup produces; restore bodies up to it are accepted. */
export const MAX_BLOB_CHARS = 32 * 1024 * 1024 - 1024

/** @internal */
export interface BackupContent {
  readonly name: string
  readonly versions: ReadonlyArray<StoredVersion>
}

/** @internal */
export const seal = (key: Uint8Array, content: BackupContent): string => {
  const iv = crypto.randomBytes(12)
  const cipher = crypto.createCipheriv("aes-256-gcm", key, iv)
  // The magic is authenticated too, so a blob cannot be relabelled.
  cipher.setAAD(MAGIC_V2)
  const plain = zlib.gzipSync(Buffer.from(JSON.stringify({ format: 1, name: content.name, versions: content.versions }), "utf8"))
  const body = Buffer.concat([cipher.update(plain), cipher.final()])
  return Buffer.concat([MAGIC_V2, iv, cipher.getAuthTag(), body]).toString("base64url")
}

/** @internal undefined = malformed, tampered or sealed by another key */
export const open = (key: Uint8Array, blob: string): BackupContent | undefined => {
  try {
    if (typeof blob !== "string" || !/^[A-Za-z0-9_\-+/=]*$/.test(blob)) return undefined
    const raw = Buffer.from(blob, "base64url")
    if (raw.length < MAGIC_LENGTH + 28) return undefined
    const magic = raw.subarray(0, MAGIC_LENGTH)
    const compressed = magic.equals(MAGIC_V2)
    if (!compressed && !magic.equals(MAGIC_V1)) return undefined
    const iv = raw.subarray(MAGIC_LENGTH, MAGIC_LENGTH + 12)
    const tag = raw.subarray(MAGIC_LENGTH + 12, MAGIC_LENGTH + 28)
    const decipher = crypto.createDecipheriv("aes-256-gcm", key, iv)
    decipher.setAAD(magic)
    decipher.setAuthTag(tag)
    const sealed = Buffer.concat([decipher.update(raw.subarray(MAGIC_LENGTH + 28)), decipher.final()])
    // Authenticated before inflating, so only our own (bounded) output is ever decompressed.
    const plain = (compressed ? zlib.gunzipSync(sealed) : sealed).toString("utf8")
    const parsed = JSON.parse(plain) as { format?: unknown; name?: unknown; versions?: unknown }
    if (parsed.format !== 1 || typeof parsed.name !== "string" || !Array.isArray(parsed.versions)) return undefined
    return { name: parsed.name, versions: parsed.versions as ReadonlyArray<StoredVersion> }
  } catch {
    return undefined
  }
}
