/**
 * Unit checks of the replay harness itself (no emulator needed): how recordings are read and planned.
 */
import { describe, expect, it } from "@effect/vitest"
import { listRecordings, loadRecording } from "./support/recording.js"
import { formatDivergences, planSteps, replay, settingsFor } from "./support/replay.js"
import { startReplayServer } from "./support/replayServer.js"

describe("recording harness", () => {
  it("derives the consistency windows each recording shows", () => {
    const s = (flavour: "js" | "cpp", file: string) => settingsFor(loadRecording(flavour, file))
    expect(s("js", "recording_can_restore_a_secret.json")).toEqual({
      recoveryLevel: "CustomizedRecoverable+Purgeable",
      recoverableDays: 7,
      consistencyDelay: { delete: true, purge: true }
    })
    expect(s("cpp", "KeyVaultSecretClientTest.Recover.json").consistencyDelay).toEqual({ delete: true, recover: true })
    // Restore right after purge succeeded in the C++ recording: no purge window there.
    expect(s("cpp", "KeyVaultSecretClientTest.BackupRestore.json").consistencyDelay).toEqual({ delete: true })
    expect(s("js", "recording_can_add_a_secret.json").consistencyDelay).toEqual({})
  })

  it("groups the 7-page C++ listing into one paged step and polls into poll steps", () => {
    const steps = planSteps(loadRecording("cpp", "KeyVaultSecretClientTest.TestGetPropertiesOfSecret.json"))
    const lists = steps.filter((s) => s._tag === "List")
    expect(lists.map((s) => s.entries.length)).toEqual([7])
    const restore = planSteps(loadRecording("js", "recording_can_restore_a_secret.json"))
    expect(restore.filter((s) => s._tag === "Poll").map((s) => s.entries.map((e) => e.status))).toEqual([
      [404, 200],
      [409, 200],
      [404, 404, 200]
    ])
  })
})

describe("recording loader", () => {
  it("derives C++ request bodies from the recorded responses (the C++ format stores none)", () => {
    const r = loadRecording("cpp", "KeyVaultSecretClientTest.UpdateTest.json")
    const put = r.entries[0]!
    expect(put.method).toBe("PUT")
    expect(put.requestBody).toEqual({ value: "secretValue", attributes: {} })
    const patch = r.entries.find((e) => e.method === "PATCH")!
    expect(patch.requestBody).toEqual({ contentType: "xyz", tags: {}, attributes: { enabled: true } })
    const restore = loadRecording("cpp", "KeyVaultSecretClientTest.BackupRestore.json").entries.find((e) => e.url.pathname === "/secrets/restore")!
    expect((restore.requestBody as { value: string }).value.startsWith("KUF6dXJl")).toBe(true)
  })

  it("keeps the JS challenge probe without token and without body", () => {
    const [probe, retry] = loadRecording("js", "recording_can_add_a_secret.json").entries
    expect(probe).toMatchObject({ authorized: false, requestBody: undefined, status: 401 })
    expect(retry).toMatchObject({ authorized: true, requestBody: { value: "SECRET_VALUE", attributes: {} }, status: 200 })
    expect(probe!.clientRequestId).toBe(retry!.clientRequestId)
  })
})

describe("replayer self-check against the recordings played back", () => {
  // The replayer must find no divergence when the target *is* the recorded service, and must point
  // at the exact entry when a response is changed. This keeps the comparison honest in both directions.
  for (const [flavour, file] of [
    ...listRecordings("js").map((f) => ["js", f] as const),
    ...listRecordings("cpp").map((f) => ["cpp", f] as const)
  ]) {
    it(`${flavour}/${file}: no divergence against itself`, async () => {
      const recording = loadRecording(flavour, file)
      const server = await startReplayServer(recording, { synthesizeChallenge: false })
      try {
        const result = await replay(recording, { url: server.url, token: "t" }, { nameSuffix: "", foreignItems: "ignore", pages: "recorded", pollIntervalMs: 1 })
        expect(result.divergences, formatDivergences(file, result.divergences)).toEqual([])
        expect(server.remaining()).toBe(0)
      } finally {
        await server.close()
      }
    })
  }

  it("reports the first diverging entry when a response gains a field", async () => {
    const original = loadRecording("js", "recording_can_update_a_secret.json")
    const tampered = {
      ...original,
      entries: original.entries.map((e) =>
        e.method === "PATCH" ? { ...e, responseBody: { ...(e.responseBody as object), value: "SECRET_VALUE" } } : e
      )
    }
    // The target answers with the tampered responses; the expectation is the original recording.
    const server = await startReplayServer(tampered)
    try {
      const result = await replay(original, { url: server.url, token: "t" }, { nameSuffix: "" })
      expect(result.divergences[0]).toMatchObject({ entry: 2, where: "$.value", expected: "absent" })
      expect(formatDivergences("f", result.divergences)).toContain("first diverging entry:\n  entry #2 PATCH")
    } finally {
      await server.close()
    }
  })

  it("reports a nested field that disappears and a list page without an explicit nextLink", async () => {
    const original = loadRecording("cpp", "KeyVaultSecretClientTest.SecondCreateTest.json")
    const tampered = {
      ...original,
      entries: original.entries.map((e) => {
        const body = e.responseBody as { attributes?: Record<string, unknown>; value?: unknown; nextLink?: unknown } | undefined
        if (e.index === 0 && body?.attributes !== undefined) {
          const { recoverableDays: _, ...attributes } = body.attributes
          return { ...e, responseBody: { ...body, attributes } }
        }
        if (e.url.pathname.endsWith("/versions") && body !== undefined) {
          const { nextLink: _, ...rest } = body
          return { ...e, responseBody: rest }
        }
        return e
      })
    }
    const server = await startReplayServer(tampered)
    try {
      const result = await replay(original, { url: server.url, token: "t" }, { nameSuffix: "", pages: "recorded" })
      expect(result.divergences[0]).toMatchObject({ entry: 0, where: "$.attributes.recoverableDays", expected: "present", actual: "absent" })
      expect(result.divergences.some((d) => d.where === "page 0 fields")).toBe(true)
    } finally {
      await server.close()
    }
  })
})
