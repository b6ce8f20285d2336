/**
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 */
export * as Emulator from "./Emulator.js"

/**
 * @since 0.1.0
 */
export * as VaultEngine from "./VaultEngine.js"

/**
 * @since 0.1.0
 */
export * as TestVault from "./TestVault.js"
