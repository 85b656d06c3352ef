/** Settings of the writer (section `write` of the run config), apart from the writer so the config loads no DuckDB. */
export interface WriteConfig {
  /** Rows per Parquet shard; a unit with more rows writes several. It also bounds the rows buffered in memory. */
  shardRows: number;
  /**
   * A shard is also written once the rows waiting for it hold about this many bytes (strings, BLOBs,
   * lists), so memory stays bounded when rows are large: images with their bytes, long documents with
   * token ids. The estimate counts the JS values handed to DuckDB.
   */
  shardBytes: number;
  /** Parquet compression: zstd measured best size/speed here (references/node-ecosystem.md §4.3). */
  compression: 'zstd' | 'snappy' | 'gzip' | 'uncompressed';
}

export const writeDefaults: WriteConfig = {
  shardRows: 5_000,
  // 5,000 image rows of 300 kB each would be 1.5 GB. 32 MiB: on the 51 MB bench WARC (one segment,
  // 1 worker) peak RSS 1,049 MB at 128 MiB, 919 MB at 32 MiB, 871 MB at 16 MiB (load 8-10, one run each);
  // docs shards of ~6 MB of Parquet (scripts/bench-e2e.ts, docs/scale.md).
  shardBytes: 32 * 1024 * 1024,
  compression: 'zstd',
};
