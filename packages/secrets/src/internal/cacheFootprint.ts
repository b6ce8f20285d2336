/**
 * What a `SecretCache` holds in memory besides its values' bytes, so that a test can check that it stays
 * bounded by the live entries (not by every name ever read or written). Not part of the public API.
 */
export interface Footprint {
  /** Cached entries (name × version). */
  readonly entries: number
  /** Loads in flight that readers can join. */
  readonly inflight: number
  /** Names with per-name bookkeeping (reads in flight that an invalidate must supersede). */
  readonly names: number
}

/** Keyed by the cache's service object; a weak map so that a cache that is dropped is not kept alive. */
export const footprints = new WeakMap<object, () => Footprint>()
