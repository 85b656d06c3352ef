import { describe, expect, it } from 'vitest';
import { extractHtml } from '../stages/extract/index.ts';

describe('extract walk', () => {
  it('keeps reading order and resolves image URLs (relative, <base>, srcset, data-src, <picture>)', () => {
    const html = `<html><head><title>T</title><base href="https://cdn.example.org/assets/"></head><body>
      <p>First paragraph.</p>
      <img src="a.png" alt="A">
      <h2>Heading</h2>
      <img data-src="/lazy.jpg" src="data:image/gif;base64,R0lGOD">
      <p>Second <b>para</b>graph.</p>
      <img srcset="s.jpg 320w, l.jpg 1280w, m.jpg 640w">
      <picture><source srcset="p-big.webp 2x, p.webp 1x"><img src="p.jpg" alt="P"></picture>
      <script>var x = 1;</script><nav>menu</nav>
    </body></html>`;
    const ex = extractHtml(html, 'https://example.org/blog/post.html');
    expect(ex.title).toBe('T');
    expect(ex.segments.map((s) => (s.kind === 'text' ? s.text : s.url))).toEqual([
      'First paragraph.',
      'https://cdn.example.org/assets/a.png',
      'Heading',
      'https://cdn.example.org/lazy.jpg',
      'Second paragraph.',
      'https://cdn.example.org/assets/l.jpg',
      'https://cdn.example.org/assets/p.jpg',
    ]);
  });

  it('walks 100,000-deep nesting without overflowing the stack', () => {
    const html = '<div>'.repeat(100_000) + 'deep text' + '</div>'.repeat(100_000);
    const ex = extractHtml(html, 'https://example.org/');
    expect(ex.segments).toEqual([{ kind: 'text', tag: 'div', text: 'deep text' }]);
  });
});
