/**
 * Rows for varlen-attention trainers (references/v2pe-dd.md §3.5, R7b): chunks of one bucket are
 * concatenated until the next would exceed the token budget; `cu_seqlens` marks the boundaries
 * (flash_attn_varlen / Megatron THD / InternVL packed). No padding inside a row.
 */
import { IGNORE_INDEX, type ImageSpanRow } from './chunks.ts';

export interface VarlenPart {
  doc_id: string;
  chunk_index: number;
  input_ids: ArrayLike<number>;
  labels: ArrayLike<number>;
  position_ids: ArrayLike<number>;
  image_spans: ImageSpanRow[];
}

export interface VarlenRow {
  input_ids: Int32Array;
  /** Labels with the first token of every sub-sequence ignored (it must not be predicted from the previous one). */
  labels: Int32Array;
  /** V2PE positions, restarting at 0 in every sub-sequence. */
  position_ids: Float32Array;
  /** [0, end of seq 1, ..., total]: S+1 boundaries. */
  cu_seqlens: Int32Array;
  max_seqlen: number;
  sequences: { doc_id: string; chunk_index: number }[];
  /** Image spans with offsets in row coordinates. */
  image_spans: ImageSpanRow[];
}

export function concatVarlen(parts: readonly VarlenPart[]): VarlenRow {
  const total = parts.reduce((n, p) => n + p.input_ids.length, 0);
  const row: VarlenRow = {
    input_ids: new Int32Array(total),
    labels: new Int32Array(total),
    position_ids: new Float32Array(total),
    cu_seqlens: new Int32Array(parts.length + 1),
    max_seqlen: 0,
    sequences: [],
    image_spans: [],
  };
  let at = 0;
  parts.forEach((p, i) => {
    const n = p.input_ids.length;
    row.input_ids.set(p.input_ids, at);
    row.labels.set(p.labels, at);
    if (n > 0) row.labels[at] = IGNORE_INDEX;
    row.position_ids.set(p.position_ids, at);
    for (const s of p.image_spans) row.image_spans.push({ ...s, offset: s.offset + at });
    row.sequences.push({ doc_id: p.doc_id, chunk_index: p.chunk_index });
    row.max_seqlen = Math.max(row.max_seqlen, n);
    at += n;
    row.cu_seqlens[i + 1] = at;
  });
  return row;
}

/**
 * Greedy, order-preserving rows: consecutive parts are concatenated while the row stays within
 * `budget` tokens. Streams: at most one row's parts are held in memory.
 */
export async function* varlenRows(parts: AsyncIterable<VarlenPart> | Iterable<VarlenPart>, budget: number): AsyncGenerator<VarlenRow> {
  let pending: VarlenPart[] = [];
  let total = 0;
  for await (const p of parts) {
    const n = p.input_ids.length;
    if (n > budget) throw new RangeError(`a sequence of ${n} tokens exceeds the row budget ${budget}`);
    if (pending.length > 0 && total + n > budget) {
      yield concatVarlen(pending);
      pending = [];
      total = 0;
    }
    pending.push(p);
    total += n;
  }
  if (pending.length > 0) yield concatVarlen(pending);
}
