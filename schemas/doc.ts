/**
 * The records that flow between stages. Stages import these types; they never import each other.
 *
 *   read     -> RawPage   (one HTML response/resource record or one HTML file)
 *   extract  -> Doc       (interleaved segments in reading order)
 *   ...      -> Doc       (stages add signals and segment fields)
 *   write    -> Parquet rows (docs / rejects / side tables such as images)
 */

/** Where a record came from: enough to find it again in the input. */
export interface Provenance {
  /** Input file path as given on the command line (normalised, relative when it was relative). */
  file: string;
  /** Byte offset of the record in the file (compressed offset for .gz); 0 for plain HTML files. */
  offset: number;
  /** WARC-Record-ID when the record has one. */
  recordId: string | null;
  /** WARC-Type ('response', 'resource', ...) or 'file' for a plain HTML page. */
  recordType: string;
}

/** One fetched page, decoded to text. Produced by the readers. */
export interface RawPage {
  /** Target URI of the record, or canonical / og:url / file URL for local pages. */
  url: string;
  /** ISO-8601 time of the fetch (WARC-Date), or the file mtime. */
  fetchedAt: string | null;
  /** HTTP status; null for resource records and local files. */
  status: number | null;
  /** HTTP response headers, lower-cased names (first value wins). */
  headers: Record<string, string>;
  /** The HTML decoded to a JS string (charset resolved by the reader). */
  html: string;
  /** Charset used to decode, and how it was chosen ('header' | 'bom' | 'meta' | 'detected' | 'default'). */
  charset: string;
  charsetSource: string;
  /** Size of the (content-decoded) body in bytes. */
  bytes: number;
  source: Provenance;
}

export type SegmentKind = 'text' | 'image';

/**
 * One element of the interleaved sequence. A fixed struct (Parquet: STRUCT(...)[]), so every stage
 * fills the fields it owns and leaves the others null.
 */
export interface Segment {
  kind: SegmentKind;
  /** Element that produced the block: p, h1..h6, li, td, pre, blockquote, figcaption, img ... */
  tag?: string | null;
  /** Text of a text segment (null for images). */
  text?: string | null;
  /** Absolute URL of an image. */
  url?: string | null;
  /**
   * In-memory only (not a docs column): other URLs the page gives for the same image (srcset
   * candidates, `src`), best first; the images stage tries them when `url` cannot be had and then
   * sets `url` to the one whose bytes it used.
   */
  alternates?: string[] | null;
  /** alt text of an image. */
  alt?: string | null;
  /** sha256 of the image bytes, set by the images stage when the image could be had. */
  image_id?: string | null;
  /** Language of a text segment (ISO 639-3) and its confidence. */
  lang?: string | null;
  lang_score?: number | null;
  /** Pixel size of an image (decoded) or declared size when not decoded. */
  width?: number | null;
  height?: number | null;
  /** Tokens this segment takes in the training sequence (text tokens, or visual tokens + markers). */
  tokens?: number | null;
  /** InternVL tiles of an image and its V2PE position step. */
  tiles?: number | null;
  delta?: number | null;
  /** Why an image has no image_id (e.g. 'fetch:timeout'), or other per-segment note. */
  note?: string | null;
  /**
   * In-memory only (not a docs column; the images table stores it): cheap visual features the
   * images stage computes once for later stages (coherence), e.g. perceptual hash and colour histogram.
   */
  visual?: { phash?: string; colorHist?: number[]; [k: string]: unknown } | null;
}

/** Scalar or list values a stage may store as a column. */
export type SignalValue = number | string | boolean | null | number[] | string[] | bigint;

/** The unit that flows from extract to write. */
export interface Doc {
  /** Stable id: hash of the record identity (url + record id / file + offset). */
  id: string;
  url: string;
  domain: string;
  title: string | null;
  fetchedAt: string | null;
  source: Provenance;
  /** Document language (ISO 639-3) and confidence, set by langid. */
  lang: string | null;
  langScore: number | null;
  segments: Segment[];
  /**
   * Per-stage signal columns, keyed by column name. Each stage declares the columns it fills
   * (Stage.columns) so the writer can type them; a stage only writes the keys it declared.
   */
  signals: Record<string, SignalValue | undefined>;
}

/** A DuckDB column declaration, used to build Parquet schemas from the stages in a run. */
export interface ColumnSpec {
  name: string;
  /** DuckDB SQL type: 'DOUBLE', 'INTEGER', 'VARCHAR', 'BOOLEAN', 'INTEGER[]', 'FLOAT[]', ... */
  type: string;
  /** What it means and where its definition comes from; written into each output folder's dataset card (pipeline/card.ts). */
  description: string;
}

/** Why a document (or a record that never became one) left the pipeline. */
export interface Rejection {
  stage: string;
  reason: string;
  detail?: string | null;
}
