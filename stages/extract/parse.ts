/**
 * The one module that touches htmlparser2 (10.1.0, pinned): a streaming (SAX) parse of a page.
 *
 * Why SAX and not a DOM: the extractor builds its own small tree of block elements with the
 * statistics it scores, in the same pass, so it never pays for a full DOM (domhandler) and a second
 * walk. htmlparser2's Parser still does the HTML tree-building rules (implied end tags, void elements).
 *
 * Why a Parser subclass: htmlparser2 keeps its open-element stack with the top at index 0 and pushes
 * with Array#unshift / pops with Array#shift, which move the whole array: O(depth) per tag, so a
 * 100,000-deep page took ~4 s in the parser alone (measured: 25k deep 0.25 s, 50k 3.0 s, 100k 4.2 s).
 * We give it a stack with the same interface whose top is the array's end: O(1) per tag.
 */
import { Parser, Tokenizer, type Handler, type QuoteType } from 'htmlparser2';

/** Array-like stack whose index 0 is the top, with O(1) unshift/shift (what htmlparser2's Parser uses). */
class TopFirstStack<T> {
  private items: T[] = [];
  get length(): number {
    return this.items.length;
  }
  set length(n: number) {
    // Parser only ever truncates to 0 (reset); keep the top-first meaning for any n anyway.
    this.items.splice(0, Math.max(0, this.items.length - n));
  }
  /** The top of the stack (htmlparser2 reads `stack[0]`). */
  get 0(): T | undefined {
    return this.items[this.items.length - 1];
  }
  unshift(x: T): number {
    return this.items.push(x);
  }
  shift(): T | undefined {
    return this.items.pop();
  }
  indexOf(x: T): number {
    const i = this.items.lastIndexOf(x);
    return i < 0 ? -1 : this.items.length - 1 - i;
  }
  /** Top-first copy, as a plain array. */
  toArray(): T[] {
    return this.items.slice().reverse();
  }
}

interface ParserStacks {
  stack: TopFirstStack<string> | string[];
  foreignContext: TopFirstStack<boolean> | boolean[];
}

/** Parser fields the attribute overrides use (public at run time, not in its types). */
interface ParserAttribs {
  attribs: Record<string, string> | null;
  attribname: string;
  attribvalue: string;
  endIndex: number;
}

/** Tokenizer fields and states the fast paths use (private in its types; htmlparser2 10.1.0's dist/esm/Tokenizer.js). */
interface TokenizerInternals {
  buffer: string;
  offset: number;
  index: number;
  running: boolean;
  stateText(c: number): void;
  handleInAttributeValue(c: number, quote: number): void;
  stateInAttributeValueNoQuotes(c: number): void;
  stateInTagName(c: number): void;
  stateInAttributeName(c: number): void;
  stateInClosingTagName(c: number): void;
  fastForwardTo(c: number): boolean;
}

const LT = 0x3c;
const GT = 0x3e;
const AMP = 0x26;
const EQ = 0x3d;
const SLASH = 0x2f;

/** The tokenizer's white space (space, \n, \t, \f, \r). */
function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0c || c === 0x0d;
}

/**
 * htmlparser2's Tokenizer with the same states and events, but where a state only waits for one of a
 * few characters (text up to `<` or `&`, a quoted attribute value up to its quote or `&`, a tag or
 * attribute name up to its end) it moves straight to the character before it. Its main loop would
 * otherwise dispatch on the state once per character of the page (~40% of the extract path's CPU).
 * Each override leaves `index` on the character before the one the original would next act on, so the
 * loop's `index++` lands there and the original state method handles it: same events, same offsets.
 */
class FastTokenizer extends Tokenizer {
  /** Position in `buffer` of the next `&` at or after the last search's start (buffer.length: none). */
  ampAt = -1;
  override write(chunk: string): void {
    this.ampAt = -1;
    super.write(chunk);
  }
}
{
  const base = Tokenizer.prototype as unknown as TokenizerInternals;
  const fast = FastTokenizer.prototype as unknown as TokenizerInternals & { ampAt: number };
  /** Leave `index` before the first position from index+1 on where `stop` holds (or on the last character). */
  const skipUntil = (t: TokenizerInternals, stop: (c: number) => boolean): void => {
    const b = t.buffer;
    const n = b.length;
    let i = t.index - t.offset + 1;
    while (i < n && !stop(b.charCodeAt(i))) i++;
    t.index = i - 1 + t.offset;
  };
  /**
   * Leave `index` before the next `ch` or `&` after it: native indexOf for `ch`, and the next `&` kept
   * from one search to the next (searched again only once passed), so a page without `&` is not scanned
   * to its end at every call.
   */
  const skipTo = (t: TokenizerInternals & { ampAt: number }, ch: string): void => {
    const b = t.buffer;
    const from = t.index - t.offset + 1;
    let at = b.indexOf(ch, from);
    if (at < 0) at = b.length;
    if (t.ampAt < from) {
      t.ampAt = b.indexOf('&', from);
      if (t.ampAt < 0) t.ampAt = b.length;
    }
    if (t.ampAt < at) at = t.ampAt;
    t.index = at - 1 + t.offset;
  };
  fast.stateText = function (this: TokenizerInternals & { ampAt: number }, c: number) {
    if (c === LT || c === AMP) base.stateText.call(this, c);
    else skipTo(this, '<');
  };
  fast.handleInAttributeValue = function (this: TokenizerInternals & { ampAt: number }, c: number, quote: number) {
    if (c === quote || c === AMP) base.handleInAttributeValue.call(this, c, quote);
    else skipTo(this, quote === 0x22 ? '"' : "'");
  };
  const nqStop = (c: number) => c === GT || c === AMP || isSpace(c);
  fast.stateInAttributeValueNoQuotes = function (this: TokenizerInternals, c: number) {
    if (nqStop(c)) base.stateInAttributeValueNoQuotes.call(this, c);
    else skipUntil(this, nqStop);
  };
  const tagEnd = (c: number) => c === SLASH || c === GT || isSpace(c);
  fast.stateInTagName = function (this: TokenizerInternals, c: number) {
    if (tagEnd(c)) base.stateInTagName.call(this, c);
    else skipUntil(this, tagEnd);
  };
  const attrNameEnd = (c: number) => c === EQ || tagEnd(c);
  fast.stateInAttributeName = function (this: TokenizerInternals, c: number) {
    if (attrNameEnd(c)) base.stateInAttributeName.call(this, c);
    else skipUntil(this, attrNameEnd);
  };
  const closeNameEnd = (c: number) => c === GT || isSpace(c);
  fast.stateInClosingTagName = function (this: TokenizerInternals, c: number) {
    if (closeNameEnd(c)) base.stateInClosingTagName.call(this, c);
    else skipUntil(this, closeNameEnd);
  };
  /** The original compares character by character; indexOf finds the same position. */
  fast.fastForwardTo = function (this: TokenizerInternals, c: number) {
    const i = this.buffer.indexOf(String.fromCharCode(c), this.index + 1 - this.offset);
    if (i >= 0) {
      this.index = i + this.offset;
      return true;
    }
    this.index = this.buffer.length + this.offset - 1;
    return false;
  };
}

class DeepSafeParser extends Parser {
  constructor(cbs: Partial<Handler>) {
    super(cbs, { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true, Tokenizer: FastTokenizer });
    const self = this as unknown as ParserStacks;
    self.stack = new TopFirstStack<string>();
    const fc = new TopFirstStack<boolean>();
    fc.unshift(false); // HTML mode starts outside foreign content, as Parser's constructor does
    self.foreignContext = fc;
  }
  /**
   * Attributes go into an object without a prototype (a hash table from the start) instead of `{}`,
   * which V8 moves through a hidden class per attribute name seen: ~10% of the parse on real pages.
   * Same entries, same first-one-wins rule for a repeated attribute; no `onattribute` callback (saxParse
   * passes none).
   */
  override onopentagname(start: number, endIndex: number): void {
    super.onopentagname(start, endIndex);
    const self = this as unknown as ParserAttribs;
    if (self.attribs) self.attribs = Object.create(null) as Record<string, string>;
  }
  override onattribend(_quote: QuoteType, endIndex: number): void {
    const self = this as unknown as ParserAttribs;
    self.endIndex = endIndex;
    const a = self.attribs;
    if (a !== null && a[self.attribname] === undefined) a[self.attribname] = self.attribvalue;
    self.attribvalue = '';
  }
  override onend(): void {
    // Parser's onend indexes every stack entry; hand it a plain top-first array for that one call.
    const self = this as unknown as ParserStacks;
    if (self.stack instanceof TopFirstStack) self.stack = self.stack.toArray();
    super.onend();
  }
}

export type SaxHandler = Pick<Handler, 'onopentag' | 'onclosetag' | 'ontext'>;

/** Parse a whole page, calling `handler` for every open tag, close tag (implied ones too) and text run. */
export function saxParse(html: string, handler: Partial<SaxHandler>): void {
  new DeepSafeParser(handler).end(html);
}

/** Parse only, doing nothing with the events: the speed ceiling for anything built on this parser. */
export function saxParseOnly(html: string): void {
  new Parser({}).end(html);
}
