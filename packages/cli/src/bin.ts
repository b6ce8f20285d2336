#!/usr/bin/env node
/**
 * The `effect-keyvault` executable: run the command line and exit with its code.
 *
 * Not `NodeRuntime.runMain`: while `run` has a program running, SIGINT/SIGTERM go to that program and we wait
 * for its exit code; otherwise they interrupt the command (exit 130).
 *
 * @since 0.1.0
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Cli from "./Cli.js"
import * as Spawn from "./internal/spawn.js"

const fiber = Effect.runFork(Cli.run(process.argv).pipe(Effect.provide(NodeContext.layer)))

const onSignal = (signal: NodeJS.Signals) => {
  if (!Spawn.forwardSignal(signal)) fiber.unsafeInterruptAsFork(fiber.id())
}
process.on("SIGINT", onSignal)
process.on("SIGTERM", onSignal)

// Exit at once with the command's code: idle keep-alive sockets must not hold the process open.
fiber.addObserver((exit) => process.exit(Exit.isSuccess(exit) ? exit.value : 130))
