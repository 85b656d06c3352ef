/**
 * The order of the document stages in `corpus run`. The pipeline composes them and knows nothing of
 * their insides; each stage is one module under stages/. To add a stage: import it and place it in
 * the list (its config section goes in pipeline/config.ts).
 *
 *   read -> extract -> images -> langid -> quality -> safety -> dedup -> coherence -> pixels -> tokenize -> positions -> write
 */
import type { Doc, RawPage } from '../schemas/doc.ts';
import type { Config } from './config.ts';
import type { Stage } from './stage.ts';
import type { Rule } from '../stages/lib/rules.ts';
import { extractStage } from '../stages/extract/index.ts';
import { imagesStage } from '../stages/images/index.ts';
import { coherenceStage } from '../stages/coherence/index.ts';
import { langidStage } from '../stages/langid/index.ts';
import { qualityStage } from '../stages/quality/index.ts';
import { safetyStage } from '../stages/safety/index.ts';
import { dedupStage } from '../stages/dedup/index.ts';
import { pixelsStage } from '../stages/pixels/index.ts';
import { tokenizeStage } from '../stages/tokenize/index.ts';
import { positionsStage } from '../stages/positions/index.ts';

export interface StagePlan {
  /** RawPage -> Doc */
  extract: Stage<RawPage, Doc>;
  /** Doc -> Doc, in order. */
  docStages: Stage<Doc, Doc>[];
}

export function planStages(_config: Config): StagePlan {
  const docStages: Stage<Doc, Doc>[] = [
    imagesStage,
    langidStage,
    qualityStage,
    safetyStage,
    dedupStage,
    coherenceStage, // after dedup, before tokenize
    pixelsStage, // after every stage that refuses or removes images: only images with pixels are tokenized
    tokenizeStage,
    positionsStage, // last: V2PE positions of the final token sequence
  ];
  return { extract: extractStage, docStages };
}

/** The document decisions of every stage that states them as rules, in pipeline order. */
export function documentRules(config: Config): { stage: string; rules: Rule[] }[] {
  return planStages(config).docStages.flatMap((s) => (s.rules ? [{ stage: s.name, rules: s.rules(config) }] : []));
}
