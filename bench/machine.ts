/** What a result was measured on: the machine and the versions of the packages under test. */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { repoRoot } from "./emulator.js"

export const machine = () => {
  const cpus = os.cpus()
  return {
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpu: cpus[0]?.model ?? "?",
    cores: cpus.length,
    memory: `${(os.totalmem() / 1073741824).toFixed(1)} GiB`,
    loadAverage: os.loadavg().map((l) => Number(l.toFixed(2)))
  }
}

export const packageVersion = (name: string) => {
  // The official SDK's own dependencies are not hoisted; pnpm puts them next to it.
  const official = fs.realpathSync(path.join(repoRoot, "node_modules/@azure/keyvault-secrets"))
  for (const dir of [path.join(repoRoot, "node_modules", name), path.join(official, "../..", name)]) {
    try {
      return (JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as { version: string }).version
    } catch {
      // try the next place
    }
  }
  return "?"
}

export const packageVersions = (names: ReadonlyArray<string>) =>
  Object.fromEntries(names.map((n) => [n, packageVersion(n)]))
