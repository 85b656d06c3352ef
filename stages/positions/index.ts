/**
 * positions: V2PE position ids for each tokenized document (the last pipeline stage).
 * Text tokens and the <img>/</img> markers advance by 1, visual tokens by the image's δ
 * (references/v2pe-dd.md §1.3). δ is fixed for the run (V2PE `v2pe_fix`) or drawn per image from
 * {1, 1/2, ..., 1/256} (`v2pe_rnd`), deterministically from (seed, doc id, image index), and stored on
 * the image segment so the packer (which restarts positions in every chunk) uses the same δ.
 */
import { createHash } from 'node:crypto';
import type { ColumnSpec, Doc } from '../../schemas/doc.ts';
import { docStage, StageError } from '../../pipeline/stage.ts';
import { segmentImageSpans, v2pePositions, V2PE_DELTAS } from '../lib/v2pe.ts';

export interface PositionsConfig {
  /** 'sample' = one δ per image drawn from deltaChoices (V2PE training, v2pe_rnd); 'fixed' = `delta` for every image (v2pe_fix). */
  deltaMode: 'sample' | 'fixed';
  /** δ in 'fixed' mode. V2PE README evaluation commands use stride 64, i.e. δ = 1/4. */
  delta: number;
  /** δ values to draw from. V2PE: stride/256 for stride in {1, 2, ..., 256}, uniform. */
  deltaChoices: number[];
  /** Seed of the per-image draw; same seed, doc and image -> same δ on any machine. */
  seed: number;
}

export const positionsDefaults: PositionsConfig = {
  deltaMode: 'sample', // both released V2PE training scripts use --rope_pos_id_version v2pe_rnd
  delta: 0.25, // v2pe_fix with --rope_pos_id_stride 64 (every V2PE README evaluation example)
  deltaChoices: [...V2PE_DELTAS],
  seed: 0,
};

export const positionsColumns: ColumnSpec[] = [
  { name: 'position_ids', type: 'FLOAT[]', description: 'V2PE positions of input_ids (float32): +1 per text token and marker, +δ per visual token; </img> at ceil(last visual)+1' },
  { name: 'max_position_id', type: 'FLOAT', description: 'last position: the RoPE range the document occupies (float32 is exact for multiples of 1/256 below 65536)' },
];

/** δ of image `index` of document `docId`: deterministic, uniform over `choices`. */
export function sampleDelta(seed: number, docId: string, index: number, choices: readonly number[]): number {
  const h = createHash('sha256').update(`${seed}\n${docId}\n${index}`).digest();
  return choices[h.readUInt32BE(0) % choices.length]!;
}

export const positionsStage = docStage<Doc, Doc, { positions: PositionsConfig }>({
  name: 'positions',
  columns: positionsColumns,
  process(doc, ctx) {
    const cfg = ctx.config.positions;
    const ids = doc.signals.input_ids;
    if (!Array.isArray(ids)) throw new StageError('not_tokenized', 'positions needs input_ids (run the tokenize stage first)');
    const { spans, covered } = segmentImageSpans(doc.segments);
    if (covered > ids.length) {
      throw new StageError('segments_mismatch', `segments cover ${covered} tokens but input_ids has ${ids.length}`);
    }
    if (cfg.deltaMode === 'fixed' && !(cfg.delta > 0)) throw new StageError('config', `positions.delta must be > 0, got ${cfg.delta}`);
    const withDelta = spans.map((s, j) => {
      const delta = cfg.deltaMode === 'sample' ? sampleDelta(cfg.seed, doc.id, j, cfg.deltaChoices) : cfg.delta;
      doc.segments[s.segment]!.delta = delta;
      return { offset: s.offset, length: s.length, delta };
    });
    const pos = v2pePositions(ids.length, withDelta);
    doc.signals.position_ids = Array.from(pos);
    doc.signals.max_position_id = pos.length > 0 ? pos[pos.length - 1]! : null;
    if (pos.length > 0 && pos[pos.length - 1]! >= 65536) ctx.counters.add('position:beyond_float32_exact');
    return doc;
  },
});
