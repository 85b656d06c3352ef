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
import { Parser, type Handler, type QuoteType } from 'htmlparser2';

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

class DeepSafeParser extends Parser {
  constructor(cbs: Partial<Handler>) {
    super(cbs, { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true });
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
