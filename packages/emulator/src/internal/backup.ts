/**
 * Backup blobs: self-describing, versioned and sealed (AES-256-GCM) with a key the emulator holds.
 * Layout (before base64url): MAGIC | iv(12) | tag(16) | ciphertext(JSON content).
 */
import * as crypto from "node:crypto"
import type { StoredVersion } from "../VaultEngine.js"

const MAGIC = Buffer.from("EffectKeyVaultEmulatorSecretBackupV1", "utf8")

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
  cipher.setAAD(MAGIC)
  const body = Buffer.concat([
    cipher.update(JSON.stringify({ format: 1, name: content.name, versions: content.versions }), "utf8"),
    cipher.final()
  ])
  return Buffer.concat([MAGIC, iv, cipher.getAuthTag(), body]).toString("base64url")
}

/** @internal undefined = malformed, tampered or sealed by another key */
export const open = (key: Uint8Array, blob: string): BackupContent | undefined => {
  try {
    if (typeof blob !== "string" || !/^[A-Za-z0-9_\-+/=]*$/.test(blob)) return undefined
    const raw = Buffer.from(blob, "base64url")
    if (raw.length < MAGIC.length + 28 || !raw.subarray(0, MAGIC.length).equals(MAGIC)) return undefined
    const iv = raw.subarray(MAGIC.length, MAGIC.length + 12)
    const tag = raw.subarray(MAGIC.length + 12, MAGIC.length + 28)
    const decipher = crypto.createDecipheriv("aes-256-gcm", key, iv)
    decipher.setAAD(MAGIC)
    decipher.setAuthTag(tag)
    const plain = Buffer.concat([decipher.update(raw.subarray(MAGIC.length + 28)), decipher.final()]).toString("utf8")
    const parsed = JSON.parse(plain) as { format?: unknown; name?: unknown; versions?: unknown }
    if (parsed.format !== 1 || typeof parsed.name !== "string" || !Array.isArray(parsed.versions)) return undefined
    return { name: parsed.name, versions: parsed.versions as ReadonlyArray<StoredVersion> }
  } catch {
    return undefined
  }
}
