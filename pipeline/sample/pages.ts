/**
 * The embedded sample: a few small web pages written for this project (no third-party text), in
 * three languages, with images, site chrome, an error page and a page that is all menu. `corpus
 * sample` (npm start) writes them, with generated images, into a WARC and runs the pipeline on it.
 */

export interface SamplePage {
  path: string;
  status: number;
  lang: string;
  title: string;
  /** Body HTML inside the site template. */
  body: string;
}

const chrome = (inner: string, title: string, lang: string) => `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><title>${title}</title>
<link rel="stylesheet" href="/site.css"><script>window.analytics = [];</script></head>
<body>
<header><a href="/">Allotment Notes</a><nav><a href="/garden/">Garden</a> <a href="/kitchen/">Kitchen</a> <a href="/about/">About</a></nav></header>
<main>
${inner}
</main>
<aside class="related"><h3>Related</h3><ul><li><a href="/garden/compost.html">Compost basics</a></li><li><a href="/kitchen/jam.html">Plum jam</a></li></ul></aside>
<footer><p>© 2026 Allotment Notes · <a href="/privacy">Privacy</a> · <a href="/contact">Contact</a></p></footer>
<img src="/pixel.gif" width="1" height="1" alt="">
</body></html>`;

export const SAMPLE_PAGES: SamplePage[] = [
  {
    path: '/garden/balcony-tomatoes.html',
    status: 200,
    lang: 'en',
    title: 'Growing tomatoes on a small balcony',
    body: `<article><h1>Growing tomatoes on a small balcony</h1>
<p>A balcony that gets six hours of sun is enough for a good crop of tomatoes. The trick is to choose compact
varieties, give each plant a deep container and water at the same time every evening, so that the soil never
swings from soaked to dry.</p>
<figure><img src="/img/seedlings.jpg" alt="Tomato seedlings in paper pots" width="480" height="360">
<figcaption>Seedlings after three weeks on a bright windowsill.</figcaption></figure>
<p>Start the seeds indoors about eight weeks before the last frost. Sow them shallowly in small pots, keep them
warm until they sprout, then move them to the brightest window you have. Leggy seedlings are a sign of too little
light, not of too little water.</p>
<h2>Containers and soil</h2>
<p>Each plant wants at least twenty litres of soil. Mix garden compost with a little sand so that water drains
well, and put a saucer under every pot to catch what runs through. A layer of straw on top keeps the roots cool
during hot afternoons.</p>
<img src="/img/balcony.jpg" alt="Tomato plants in large pots along a balcony railing" width="480" height="360">
<p>Tie the main stem loosely to a cane as it grows and pinch out the side shoots of cordon varieties once a week.
Bush varieties need no pinching at all, which is why they suit beginners.</p></article>`,
  },
  {
    path: '/kitchen/sourdough-starter.html',
    status: 200,
    lang: 'en',
    title: 'A sourdough starter in seven days',
    body: `<article><h1>A sourdough starter in seven days</h1>
<p>A starter is nothing more than flour and water in which wild yeast and bacteria have settled. It needs
warmth, regular feeding and a little patience; the first week decides whether it will be lively or sluggish.</p>
<h2>Day one to three</h2>
<p>Stir fifty grams of wholemeal rye flour into fifty grams of lukewarm water in a clean jar. Cover it loosely
and leave it somewhere warm. After a day or two small bubbles appear and the smell turns slightly sour.</p>
<img src="/img/jar-day2.jpg" alt="Glass jar with a bubbly flour and water mixture" width="480" height="360">
<h2>Day four to seven</h2>
<p>Every morning discard half of the mixture and feed the rest with fresh flour and water. By the end of the week
the starter should double in size within a few hours of a feed. That is the moment to bake the first loaf.</p>
<ol><li>Discard half of the starter.</li><li>Add fifty grams of flour and fifty grams of water.</li>
<li>Mark the level on the jar with a rubber band and watch it rise.</li></ol>
<img src="/img/loaf.jpg" alt="A round sourdough loaf with an open crumb" width="480" height="360">
<p>Keep the starter in the fridge between bakes and feed it once a week. It will sleep through the cold and wake
up after one or two feeds at room temperature.</p></article>`,
  },
  {
    path: '/de/fahrrad-kette.html',
    status: 200,
    lang: 'de',
    title: 'Die Fahrradkette richtig pflegen',
    body: `<article><h1>Die Fahrradkette richtig pflegen</h1>
<p>Eine saubere und gut geölte Kette läuft leiser, schaltet präziser und hält deutlich länger. Dafür braucht es
weder teures Werkzeug noch viel Zeit, sondern nur einen Lappen, etwas Kettenöl und ein wenig Regelmäßigkeit.</p>
<img src="/img/chain.jpg" alt="Nahaufnahme einer geölten Fahrradkette" width="480" height="360">
<p>Zuerst wird die Kette mit einem trockenen Lappen abgewischt, während man die Kurbel langsam rückwärts dreht.
Danach gibt man auf jedes Kettenglied einen kleinen Tropfen Öl und lässt es einige Minuten einziehen. Zum Schluss
wird das überschüssige Öl gründlich abgewischt, damit sich kein Staub daran festsetzt.</p>
<p>Wer bei Regen fährt, sollte die Kette danach trocknen und neu ölen. So bleibt sie auch im Winter geschmeidig
und rostet nicht.</p></article>`,
  },
  {
    path: '/fr/randonnee-automne.html',
    status: 200,
    lang: 'fr',
    title: 'Préparer une randonnée en automne',
    body: `<article><h1>Préparer une randonnée en automne</h1>
<p>L'automne est une saison idéale pour marcher en montagne : les sentiers sont plus calmes, la lumière est douce
et les couleurs des forêts changent chaque semaine. Il faut pourtant tenir compte des journées plus courtes et
des changements de temps rapides.</p>
<img src="/img/trail.jpg" alt="Sentier de montagne bordé d'arbres aux feuilles rouges" width="480" height="360">
<p>Partez tôt le matin et prévoyez de revenir avant la tombée de la nuit. Emportez une couche chaude, une veste
imperméable et une lampe frontale, même pour une sortie courte. Consultez la météo la veille et le matin même.</p>
<p>Enfin, prévenez toujours quelqu'un de votre itinéraire et de l'heure prévue de votre retour. C'est une
précaution simple qui peut tout changer en cas de problème.</p></article>`,
  },
  {
    path: '/garden/old-page.html',
    status: 404,
    lang: 'en',
    title: 'Page not found',
    body: '<h1>Page not found</h1><p>The page you asked for has moved.</p>',
  },
  {
    path: '/tags/',
    status: 200,
    lang: 'en',
    title: 'Tags',
    body: '',
  },
];

export function pageHtml(p: SamplePage): string {
  return chrome(p.body, p.title, p.lang);
}

/** Images the pages reference, with the colours they are drawn in (generated with sharp). */
export const SAMPLE_IMAGES: { path: string; width: number; height: number; colors: [string, string] }[] = [
  { path: '/img/seedlings.jpg', width: 640, height: 480, colors: ['#2e7d32', '#c5e1a5'] },
  { path: '/img/balcony.jpg', width: 640, height: 480, colors: ['#d84315', '#81c784'] },
  { path: '/img/jar-day2.jpg', width: 480, height: 640, colors: ['#f5f0e1', '#a1887f'] },
  { path: '/img/loaf.jpg', width: 640, height: 480, colors: ['#8d6e63', '#ffe0b2'] },
  { path: '/img/chain.jpg', width: 640, height: 400, colors: ['#37474f', '#b0bec5'] },
  { path: '/img/trail.jpg', width: 640, height: 480, colors: ['#bf360c', '#ffcc80'] },
  { path: '/pixel.gif', width: 1, height: 1, colors: ['#ffffff', '#ffffff'] },
];
