// `pnpm run lint:package`: lint the packed tarballs (run `pnpm run pack` first) as a publisher would:
// publint --strict and @arethetypeswrong/cli with its strict (default) profile: node16 from ESM and from CJS,
// bundler, and node10 (TypeScript's `moduleResolution: node`, served by typesVersions).
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const tarballs = fs.readdirSync(path.join(root, ".tarballs")).filter((f) => f.endsWith(".tgz")).sort()
if (tarballs.length !== 3) {
  console.error(`expected 3 tarballs in .tarballs/, found ${tarballs.length}; run \`pnpm run pack\` first`)
  process.exit(1)
}
const bin = (name) => path.join(root, "node_modules/.bin", name)
for (const tarball of tarballs) {
  const file = path.join(".tarballs", tarball)
  console.log(`\n# publint --strict ${file}`)
  execFileSync(bin("publint"), ["run", file, "--strict"], { cwd: root, stdio: "inherit" })
  console.log(`\n# attw ${file}`)
  execFileSync(bin("attw"), [file, "--format", "table-flipped", "--no-color"], { cwd: root, stdio: "inherit" })
}
