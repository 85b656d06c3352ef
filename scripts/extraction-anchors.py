"""Side-by-side extraction anchors for scripts/eval-extraction.ts (not part of the pipeline).

    python3 scripts/extraction-anchors.py IN.jsonl OUT.json

IN.jsonl: one {"id", "url", "html"} per line (the decoded pages the eval scores). OUT.json:
{"extractors": {name: {"cpu_seconds", "failed", "texts": [...]}}}, texts in input order.
Extractors: resiliparse main_content=True (pip install --no-deps resiliparse) and readability-lxml
(apt-get install python3-readability). A missing one is skipped with a message; none at all exits 2.
"""
import html as htmlmod
import json
import re
import sys
import time

# Debian's python3-readability lives in the system dist-packages; a pyenv/venv python can use it too.
sys.path.append('/usr/lib/python3/dist-packages')

BLOCK_TAG = re.compile(r'<(?:/?(?:p|div|br|li|ul|ol|h[1-6]|tr|td|th|table|blockquote|pre|section|article|dd|dt|figcaption)\b)[^>]*>', re.I)
ANY_TAG = re.compile(r'<[^>]*>')


def html_to_text(fragment):
    """Readability's summary is HTML: block tags become line breaks, so words never run together."""
    return htmlmod.unescape(ANY_TAG.sub('', BLOCK_TAG.sub('\n', fragment)))


def load_extractors():
    found = {}
    try:
        from resiliparse.extract.html2text import extract_plain_text
        from resiliparse.parse.html import HTMLTree

        found['resiliparse (main_content=True)'] = lambda page: extract_plain_text(
            HTMLTree.parse(page['html']), main_content=True)
    except ImportError as e:
        print(f'anchors: resiliparse missing ({e}); pip install --no-deps resiliparse', file=sys.stderr)
    try:
        from readability import Document

        found['readability-lxml'] = lambda page: html_to_text(Document(page['html'], url=page['url']).summary(html_partial=True))
    except ImportError as e:
        print(f'anchors: readability-lxml missing ({e}); apt-get install -y python3-readability', file=sys.stderr)
    return found


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(1)
    pages = [json.loads(line) for line in open(sys.argv[1], encoding='utf-8') if line.strip()]
    extractors = load_extractors()
    if not extractors:
        sys.exit(2)
    out = {}
    for name, fn in extractors.items():
        texts = []
        failed = 0
        t = time.process_time()
        for page in pages:
            try:
                texts.append(fn(page))
            except Exception:  # an anchor that fails on a page scores it as empty
                failed += 1
                texts.append(None)
        out[name] = {'cpu_seconds': time.process_time() - t, 'failed': failed, 'texts': texts}
        print(f'anchors: {name}: {len(pages)} pages, {out[name]["cpu_seconds"]:.1f} CPU s, {failed} failed', file=sys.stderr)
    with open(sys.argv[2], 'w', encoding='utf-8') as f:
        json.dump({'extractors': out}, f)


if __name__ == '__main__':
    main()
