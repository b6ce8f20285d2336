/**
 * Every real service recording (test/fixtures/recordings) replayed against our emulator, one test
 * per recording. The emulator is configured like the recorded vault (recovery level/days) and with
 * the consistency windows the recording shows, so polls see the same status sequences.
 * Paged listings are compared by page semantics (all items, nextLink chain, every page ≤ maxresults),
 * not by exact page sizes — see `Replayer.list` in support/replay.ts.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Emu from "./support/emulator.js"
import { listRecordings, loadRecording } from "./support/recording.js"
import { formatDivergences, planSteps, replay, settingsFor } from "./support/replay.js"

const DELAY = "300 millis"

for (const flavour of ["js", "cpp"] as const) {
  describe(`recordings/${flavour}`, () => {
    for (const file of listRecordings(flavour)) {
      it.scopedLive(file, () =>
        Effect.gen(function* () {
          const recording = loadRecording(flavour, file)
          const settings = settingsFor(recording)
          const emulator = yield* Emu.start({
            tls: false,
            ...(settings.recoveryLevel !== undefined ? { recoveryLevel: settings.recoveryLevel as never } : {}),
            ...(settings.recoverableDays !== undefined ? { recoverableDays: settings.recoverableDays } : {}),
            consistencyDelay: {
              ...(settings.consistencyDelay.delete ? { delete: DELAY } : {}),
              ...(settings.consistencyDelay.recover ? { recover: DELAY } : {}),
              ...(settings.consistencyDelay.purge ? { purge: DELAY } : {})
            }
          })
          const result = yield* Effect.promise(() => replay(recording, { url: emulator.url, token: Emu.TOKEN }))
          // Every recorded request was sent (lists may take a different number of pages).
          expect(result.requestsSent).toBeGreaterThanOrEqual(planSteps(recording).length)
          expect(result.divergences, formatDivergences(file, result.divergences)).toEqual([])
        })
      )
    }
  })
}
