#!/usr/bin/env node
// The published `effect-keyvault` executable (copied to dist/bin/ by scripts/build-package.mjs --bundle-bin).
// Everyday commands run dist/bin/bundle.js, bin.ts bundled with its dependencies: one file to load, a cold start
// about 4x faster than the hundreds of modules of the unbundled build. The bundle carries its own copy of
// `effect`, though, and the optional @effect-keyvault/emulator peer imports the installed one; so `--emulator`
// (and `--emulator-data`) run the unbundled dist/esm/bin.js, which shares the installed Effect with the emulator.
const unbundled = process.argv.slice(2).some((arg) => arg.startsWith("--emulator"))
await import(unbundled ? "../esm/bin.js" : "./bundle.js")
