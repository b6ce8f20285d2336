/**
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 */
export * as ApiVersion from "./ApiVersion.js"

/**
 * @since 0.1.0
 */
export * as Credential from "./Credential.js"

/**
 * @since 0.1.0
 */
export * as KeyVaultSecret from "./KeyVaultSecret.js"

/**
 * @since 0.1.0
 */
export * as KeyVaultSecretIdentifier from "./KeyVaultSecretIdentifier.js"

/**
 * @since 0.1.0
 */
export * as PollingPolicy from "./PollingPolicy.js"

/**
 * @since 0.1.0
 */
export * as Poller from "./Poller.js"

/**
 * @since 0.1.0
 */
export * as RetryPolicy from "./RetryPolicy.js"

/**
 * @since 0.1.0
 */
export * as SecretCache from "./SecretCache.js"

/**
 * @since 0.1.0
 */
export * as SecretClient from "./SecretClient.js"

/**
 * @since 0.1.0
 */
export * as SecretConfigProvider from "./SecretConfigProvider.js"

/**
 * @since 0.1.0
 */
export * as SecretError from "./SecretError.js"
