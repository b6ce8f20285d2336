#!/usr/bin/env node
/**
 * `effect-keyvault-emulator` (in this repository: `pnpm emulator`): a standalone Key Vault emulator.
 * `--help` lists the flags. Stops cleanly on SIGINT/SIGTERM.
 *
 * @since 0.1.0
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Effect from "effect/Effect"
import * as Cli from "./internal/cli.js"

Cli.main(process.argv).pipe(
  Effect.flatMap((code) => Effect.sync(() => (process.exitCode = code))),
  NodeRuntime.runMain
)
