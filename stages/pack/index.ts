/**
 * pack: Dataset Decomposition of tokenized documents into power-of-two buckets, the Grow-P2
 * curriculum and varlen rows. Pure functions; the commands in pipeline/commands/ read and write Parquet.
 */
import type { ColumnSpec } from '../../schemas/doc.ts';
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


export const IMAGE_SPAN_STRUCT = 'STRUCT("offset" INTEGER, "length" INTEGER, image_id VARCHAR, tiles INTEGER, delta FLOAT)';

/** Columns of packed/len=N/part-NNNNN.parquet: one training sequence per row. */
export const packedColumns: ColumnSpec[] = [
  { name: 'bucket', type: 'INTEGER', description: 'bucket length N = 2^k: the row has at most N tokens (exactly N when its document is text-only); also the len=N directory' },
  { name: 'seq_index', type: 'INTEGER', description: 'index of the row within its bucket, in file order (what the schedule refers to)' },
  { name: 'doc_id', type: 'VARCHAR', description: 'document the chunk comes from' },
  { name: 'chunk_index', type: 'INTEGER', description: 'index of the chunk in its document decomposition' },
  { name: 'doc_offset', type: 'INTEGER', description: 'offset of the first token in the document input_ids' },
  { name: 'num_tokens', type: 'INTEGER', description: 'len(input_ids)' },
  { name: 'num_tiles', type: 'INTEGER', description: 'InternVL tiles of the images in the row (vision-encoder cost)' },
  { name: 'input_ids', type: 'INTEGER[]', description: 'token ids of the chunk' },
  { name: 'labels', type: 'INTEGER[]', description: 'input_ids with -100 on image spans (visual tokens and markers); unshifted: the trainer shifts' },
  { name: 'position_ids', type: 'FLOAT[]', description: 'V2PE positions (float32), restarting at 0 in every chunk, with each image\'s stored delta' },
  { name: 'image_spans', type: `${IMAGE_SPAN_STRUCT}[]`, description: 'images of the chunk: offset of <img>, span length (visual tokens + 2), image_id, tiles, delta' },
];
