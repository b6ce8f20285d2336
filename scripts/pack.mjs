// `pnpm run pack`: build and pack the three packages into <repo>/.tarballs/ as a publisher would
// (pnpm pack applies publishConfig and turns workspace:^ into a real range; prepack builds dist/).
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const out = path.join(root, ".tarballs")
fs.rmSync(out, { recursive: true, force: true })
fs.mkdirSync(out)
for (const name of ["secrets", "emulator", "cli"]) {
  execFileSync("pnpm", ["pack", "--pack-destination", out], {
    cwd: path.join(root, "packages", name),
    stdio: ["ignore", "ignore", "inherit"]
  })
}
for (const file of fs.readdirSync(out).sort()) {
  console.log(`${path.relative(root, path.join(out, file))} ${fs.statSync(path.join(out, file)).size} bytes`)
}
