/**
 * pack: Dataset Decomposition of tokenized documents into power-of-two buckets, the Grow-P2
 * curriculum and varlen rows. Pure functions; the commands in pipeline/commands/ read and write Parquet.
 */
import type { DecomposeOptions } from './decompose.ts';

export interface PackConfig extends DecomposeOptions {
  /** A bucket's Parquet file (part-NNNNN) is closed once it holds this many tokens. */
  tokensPerFile: number;
}

export const packDefaults: PackConfig = {
  minLog2: 8, // DD≥256: the paper's main setting keeps D_8..D_13
  maxLog2: 13, // 8192, the DD paper's longest bucket
  minFollow: 1, // v2pe-dd.md §4.2 R1: the </img> position must predict at least one token
  tokensPerFile: 2 ** 22, // ≈4M tokens (~50 MB before compression); DD's own shards hold 2^20 tokens
};

export * from './decompose.ts';
export * from './chunks.ts';
export * from './curriculum.ts';
export * from './varlen.ts';
