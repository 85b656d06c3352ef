/** write: docs / rejects / side tables -> Parquet shards through DuckDB. */
export interface WriteConfig {
  /** Rows per Parquet shard (docs); a unit with more rows writes several shards. */
  shardRows: number;
  /** Parquet compression: zstd measured best size/speed (references/node-ecosystem.md §4.3). */
  compression: 'zstd' | 'snappy' | 'gzip' | 'uncompressed';
}

export const writeDefaults: WriteConfig = {
  shardRows: 20_000,
  compression: 'zstd',
};
