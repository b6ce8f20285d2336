/** The dotenv writer/reader and the name mapping, on their own (export/import run them end to end). */
import * as fc from "fast-check"
import { Either } from "effect"
import { describe, expect, it } from "vitest"
import * as Dotenv from "../src/internal/dotenv.js"
import * as Names from "../src/internal/names.js"

const key = fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,20}$/)

describe("dotenv", () => {
  it("round-trips any values (quotes, $, backslashes, CR/LF, unicode)", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(key, fc.string({ unit: "binary" })), { selector: ([k]) => k }), (entries) => {
        const parsed = Dotenv.parse(Dotenv.format(entries))
        expect(Either.getOrThrow(parsed)).toEqual(entries)
      }),
      { numRuns: 200 }
    )
  })

  it("reads what people write: export, comments, unquoted values, blank lines, CRLF", () => {
    const text = "# settings\r\nexport A=1\r\n\r\nB = two words # comment\nC='lit $X \\n'\nD=\"x\\ty\"\nA=again\n"
    expect(Either.getOrThrow(Dotenv.parse(text))).toEqual([["A", "again"], ["B", "two words"], ["C", "lit $X \\n"], ["D", "x\ty"]])
  })

  it("reports the line of a malformed entry without its value", () => {
    const result = Dotenv.parse("OK=1\nBAD KEY=hunter2\n")
    expect(result).toEqual(Either.left({ line: 2, message: "invalid variable name" }))
    expect(Dotenv.parse("A=1\nB=\"open\n\nC=2")).toEqual(Either.left({ line: 2, message: "unterminated double quote" }))
    expect(Dotenv.parse("A='x' y")).toEqual(Either.left({ line: 1, message: "unexpected text after the closing quote" }))
  })
})

describe("names", () => {
  it("db-password <-> DB_PASSWORD, with prefixes stripped and put back", () => {
    expect(Names.toEnvName("db-password")).toBe("DB_PASSWORD")
    expect(Names.toEnvName("App-ConnectionStrings--Main", "app-")).toBe("CONNECTIONSTRINGS__MAIN")
    expect(Names.fromEnvName("DB_PASSWORD", "app-")).toBe("app-db-password")
  })

  it("the mapping is a bijection on valid (lower-case) secret names", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9a-z-]{1,127}$/), (name) => {
        expect(Names.fromEnvName(Names.toEnvName(name))).toBe(name)
        expect(Names.isValidSecretName(name)).toBe(true)
      })
    )
  })
})
