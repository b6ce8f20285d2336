/**
 * Crash-safe file persistence: write a temp file, fsync it, rename over the target, fsync the directory.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import type { Snapshot } from "../VaultEngine.js"

/** @internal undefined when the file does not exist */
export const load = (file: string): Snapshot | undefined => {
  let text: string
  try {
    text = fs.readFileSync(file, "utf8")
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined
    throw e
  }
  const parsed = JSON.parse(text) as Snapshot
  if (parsed.format !== 1 || !Array.isArray(parsed.secrets) || typeof parsed.backupKey !== "string") {
    throw new Error(`Unrecognised data file format: ${file}`)
  }
  return parsed
}

/** @internal Removes `<file>.<pid>.tmp` files left by a crash mid-write (the target itself is never partial). */
export const removeStaleTemp = (file: string): void => {
  const dir = path.dirname(path.resolve(file))
  const base = path.basename(file)
  let names: Array<string>
  try {
    names = fs.readdirSync(dir)
  } catch {
    return
  }
  for (const n of names) {
    if (n.startsWith(`${base}.`) && /^\d+\.tmp$/.test(n.slice(base.length + 1))) {
      try {
        fs.rmSync(path.join(dir, n), { force: true })
      } catch {
        // Not ours to remove (e.g. a directory); the next write uses its own name anyway.
      }
    }
  }
}

/** @internal Crash-safe write (temp file, fsync, rename, fsync of the directory) without blocking the event loop. */
export const saveAsync = async (file: string, snapshot: Snapshot): Promise<void> => {
  const dir = path.dirname(path.resolve(file))
  await fs.promises.mkdir(dir, { recursive: true })
  const tmp = `${file}.${process.pid}.tmp`
  const handle = await fs.promises.open(tmp, "w", 0o600)
  try {
    await handle.writeFile(JSON.stringify(snapshot))
    await handle.sync()
  } finally {
    await handle.close()
  }
  await fs.promises.rename(tmp, file)
  try {
    const dh = await fs.promises.open(dir, "r")
    try {
      await dh.sync()
    } finally {
      await dh.close()
    }
  } catch {
    // Some platforms cannot fsync a directory; the rename is still atomic.
  }
}
