/**
 * Runs every example program as a user would (`tsx examples/<name>.ts`) against the embedded emulator,
 * and checks it exits 0 and prints what it promises. No AZURE_KEYVAULT_URL: CI has no cloud.
 */
import { execFile } from "node:child_process"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const root = fileURLToPath(new URL("..", import.meta.url))
const tsx = fileURLToPath(new URL("../node_modules/.bin/tsx", import.meta.url))

const run = (file: string) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const env = { ...process.env }
    delete env.AZURE_KEYVAULT_URL
    execFile(tsx, [`examples/${file}`], { cwd: root, env, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr })
    })
  })

const cases: ReadonlyArray<readonly [string, ReadonlyArray<RegExp>]> = [
  ["quickstart.ts", [/value prints as <redacted>/, /backup blob: \d+ bytes/, /recovered quickstart-/, /restored quickstart-/, /-> 200/, /^done$/m]],
  ["error-handling.ts", [/NotFound: errors-.* \(SecretNotFound/, /InvalidArgument: /, /Forbidden \(disabled=true\)/, /Exists \(DeletedButRecoverable\)/, /upsert wrote version [0-9a-f]{32}/]],
  ["rotate-secret.ts", [/disabled 2 older version\(s\)/, /enabled=true/]],
  ["streaming.ts", [/listed 60 of 60/, /page of 10, more: true/, /resumed from the token: \d+ more/]],
  ["backup-restore.ts", [/2 versions; same ids: true/, /malformed blob -> HttpError: .*invalid or corrupt/]],
  ["config.ts", [/api-version 2025-07-01/, /value prints as <redacted>/]],
  ["cache-outage.ts", [/outage: 10 reads, 0 failed, [1-9]\d* served stale/, /serving the new version: true/, /prints as <redacted>/, /^done$/m]],
  ["bulk-read.ts", [/loaded 20 of 21; failed: bulk-.*-missing: NotFound/, /streamed 20 secrets/]],
  ["soft-delete-writes.ts", [/onDeleted fail -> Exists \(DeletedButRecoverable\)/, /onDeleted recover -> 2 versions/, /onDeleted purge -> 1 version/, /deleteAndPurge -> getDeletedSecret: NotFound/]],
  ["watch.ts", [/event: Snapshot\nevent: Created watch-.*-api\nevent: Disabled watch-.*-db\nevent: Deleted watch-.*-api/, /watch done/]]
]

describe.concurrent("examples run against the embedded emulator", () => {
  for (const [file, expected] of cases) {
    it(file, async () => {
      const result = await run(file)
      expect(result.stderr, result.stdout).not.toMatch(/Error|error:/)
      expect(result.code, result.stderr).toBe(0)
      for (const pattern of expected) expect(result.stdout).toMatch(pattern)
      // The demo never prints a secret value.
      expect(result.stdout).not.toMatch(/first value|second value|third value|value bulk-|password-\d|recovered and rewritten/)
    }, 90_000)
  }
})
