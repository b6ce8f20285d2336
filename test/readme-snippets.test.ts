/**
 * The README snippet checker (scripts/readme-snippets.ts, run by `pnpm check`) catches a broken block, reports
 * it at its README line, passes a good one and skips a block marked `no-check`.
 */
import { afterAll, describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { check, extract, readmes } from "../scripts/readme-snippets.js"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const dir = path.join(root, `.readme-snippets-test-${process.pid}`)
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

const markdown = [
  "# A README", //                                              1
  "", //                                                        2
  "```ts", //                                                   3
  `import { SecretCache } from "@effect-keyvault/secrets"`, //   4
  `import { Effect } from "effect"`, //                          5
  "", //                                                        6
  `export const read = SecretCache.get("db-password")`, //        7  (no such export)
  "```", //                                                     8
  "", //                                                        9
  "```ts", //                                                  10
  `import { Effect } from "effect"`, //                         11
  `const names = ["a", "b"]`, //                                12
  `export const all = Effect.forEach(names, (n) => Effect.succeed(n), { concurrency: 8, mode: "either" })`, // 13
  "```", //                                                    14
  "", //                                                       15
  "```typescript", //                                          16
  `import { Credential, SecretClient } from "@effect-keyvault/secrets"`, // 17
  `import { FetchHttpClient } from "@effect/platform"`, //     18
  `import { Layer } from "effect"`, //                         19
  `export const Live = SecretClient.layer({ vaultUrl: "https://v.vault.azure.net" }).pipe(`, // 20
  `  Layer.provide(Credential.layerStatic("t")), Layer.provide(FetchHttpClient.layer))`, // 21
  "```", //                                                    22
  "", //                                                       23
  "```ts no-check", //                                         24
  `client.getSecret(name) // a fragment`, //                   25
  "```" //                                                     26
].join("\n")

describe("README snippet checker", () => {
  it("extracts ts/typescript blocks with their README lines and no-check marks", () => {
    const snippets = extract(markdown, "FAKE.md")
    expect(snippets.map((s) => [s.line, s.skip])).toEqual([[4, false], [11, false], [17, false], [25, true]])
    expect(readmes()).toEqual(expect.arrayContaining(["README.md", "packages/secrets/README.md", "packages/emulator/README.md"]))
  })

  it("reports each broken block at its README line; the good and the no-check blocks give nothing", () => {
    const errors = check(extract(markdown, "FAKE.md"), dir)
    expect(errors.map((e) => e.line).sort((a, b) => a - b)).toEqual([7, 13])
    expect(errors.every((e) => e.source === "FAKE.md")).toBe(true)
    expect(errors.find((e) => e.line === 7)!.message).toContain("get")
    expect(errors.find((e) => e.line === 13)!.message).toContain("mode")
  }, 120_000)
})
