/**
 * The official `@azure/keyvault-secrets` 4.12 client against the standalone emulator started through its
 * command line with DEFAULT flags: the official SDK's own "can resume from a stopped poller" scenarios
 * (lro.delete.spec.ts / lro.recover.spec.ts) need the service's consistency window (404 for a few seconds
 * after delete/recover), which the CLI now has by default. With `--instant` the first poll already
 * completes, so those scenarios cannot hold; the last test pins that difference.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import { type CliRun, runCli } from "../packages/emulator/test/cliProcess.js"
import { makeClient, uniqueName } from "./support/officialSdk.js"

const POLL = { intervalInMs: 50 }
const TIMEOUT = 90_000

const startCli = async (args: Array<string>) => {
  const run = runCli(args)
  const { url, cert } = await run.ready
  return { run, url, certificatePem: fs.readFileSync(cert!, "utf8") }
}

describe("official SDK against the CLI emulator with its default flags", () => {
  let cli: { run: CliRun; url: string; certificatePem: string }
  beforeAll(async () => {
    cli = await startCli([])
  }, TIMEOUT)
  afterAll(async () => {
    await cli?.run.stop()
  })

  it("delete: can resume from a stopped poller", async () => {
    const { client } = makeClient(cli, "any-token")
    const name = uniqueName("resume-delete")
    await client.setSecret(name, "value")
    const poller = await client.beginDeleteSecret(name, POLL)
    expect(poller.getOperationState().isStarted).toBe(true)
    const stopped = poller.pollUntilDone().then(() => undefined, (e: Error) => e)

    poller.stopPolling()
    expect(poller.isStopped()).toBe(true)
    expect(poller.getOperationState().isCompleted).not.toBe(true)
    const serialized = poller.toString()

    const resumed = await client.beginDeleteSecret(name, { resumeFrom: serialized, ...POLL })
    expect(resumed.getOperationState().isStarted).toBe(true)
    const deleted = await resumed.pollUntilDone()
    expect(deleted.name).toBe(name)
    expect(resumed.getOperationState().isCompleted).toBe(true)
    const e = await stopped
    expect(e?.name).toBe("PollerStoppedError")
    expect(e?.message).toBe("This poller is already stopped")
  }, TIMEOUT)

  it("recover: can resume from a stopped poller", async () => {
    const { client } = makeClient(cli, "any-token")
    const name = uniqueName("resume-recover")
    await client.setSecret(name, "value")
    await (await client.beginDeleteSecret(name, POLL)).pollUntilDone()

    const poller = await client.beginRecoverDeletedSecret(name, POLL)
    expect(poller.getOperationState().isStarted).toBe(true)
    const stopped = poller.pollUntilDone().then(() => undefined, (e: Error) => e)
    await poller.poll() // as the official test does: make sure it has some data

    poller.stopPolling()
    expect(poller.isStopped()).toBe(true)
    expect(poller.getOperationState().isCompleted).not.toBe(true)
    const serialized = poller.toString()

    const resumed = await client.beginRecoverDeletedSecret(name, { resumeFrom: serialized, ...POLL })
    const recovered = await resumed.pollUntilDone()
    expect(recovered.name).toBe(name)
    expect(resumed.getOperationState().isCompleted).toBe(true)
    expect((await client.getSecret(name)).value).toBe("value")
    expect((await stopped)?.name).toBe("PollerStoppedError")
  }, TIMEOUT)
})

describe("official SDK against the CLI emulator with --instant", () => {
  it("the first poll already completes the delete, so there is nothing to stop and resume", async () => {
    const cli = await startCli(["--instant"])
    try {
      const { client } = makeClient(cli, "any-token")
      const name = uniqueName("instant-delete")
      await client.setSecret(name, "value")
      const poller = await client.beginDeleteSecret(name, POLL)
      expect(poller.getOperationState().isCompleted).toBe(true)
    } finally {
      await cli.run.stop()
    }
  }, TIMEOUT)
})
