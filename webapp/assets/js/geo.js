// Positions and the map: micro-degree positions as the API has them
// ({lat_e6, lon_e6}), distances for sorting lists, and one map component
// every screen uses (the courier's jobs, the dispatcher's couriers, the
// customer's tracking). The map is a vector layer drawn from the positions
// alone, so it works offline and fetches nothing; when the node was given
// a tile server (coopnode run -tiles, GET /v1/config) the tiles are drawn
// under it, in the same Web Mercator projection, and a tile that fails to
// load leaves the plain map showing (docs/webapp.md, "Maps").
import { html, useState, useEffect } from '../vendor/preact-htm.js';
import { api } from './api.js';
import { t } from './i18n.js';

// parseDeg reads a typed latitude or longitude in degrees as micro-degrees,
// or null when it is not a number within ±max.
export function parseDeg(s, max) {
  const v = Number(String(s).trim().replace(',', '.').replace('−', '-'));
  if (String(s).trim() === '' || !Number.isFinite(v) || Math.abs(v) > max) return null;
  return Math.round(v * 1e6);
}

export const isSet = (p) => !!p && (p.lat_e6 || p.lon_e6);

// distanceM is the great-circle distance in metres (for sorting and
// display; prices use the node's own measure, SPEC.md §16.4.1).
export function distanceM(a, b) {
  const r = Math.PI / 180 / 1e6;
  const la1 = a.lat_e6 * r, la2 = b.lat_e6 * r;
  const dla = la2 - la1, dlo = (b.lon_e6 - a.lon_e6) * r;
  const h = Math.sin(dla / 2) ** 2 + Math.cos(la1) * Math.cos(la2) * Math.sin(dlo / 2) ** 2;
  return 2 * 6371000 * Math.asin(Math.min(1, Math.sqrt(h)));
}

export const km = (m) => (m / 1000).toFixed(1);

// tileConfig reads the node's tile server once per page: {url,
// attribution}, or null (no tiles: nothing is fetched).
let config = null;
function tileConfig() {
  if (!config) config = api('GET', '/v1/config').then((c) => (c && c.tiles) || null, () => { config = null; return null; });
  return config;
}

function useTiles() {
  const [tiles, setTiles] = useState(undefined);
  useEffect(() => { let on = true; tileConfig().then((x) => { if (on) setTiles(x); }); return () => { on = false; }; }, []);
  return tiles;
}

// Web Mercator: a position as a fraction of the world (0..1 each way),
// the projection OpenStreetMap's tiles use.
function merc(p) {
  const lat = Math.max(-85.05, Math.min(85.05, p.lat_e6 / 1e6)) * Math.PI / 180;
  return [(p.lon_e6 / 1e6 + 180) / 360, (1 - Math.log(Math.tan(lat) + 1 / Math.cos(lat)) / Math.PI) / 2];
}

const EARTH_M = 40075016.686; // the equator, metres
const W = 640, H = 400, PAD = 40, MAX_Z = 18, MIN_SPAN_M = 600;
const BARS = [50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000];

// view fits the points in W×H: the scale s (map units per world), the
// centre and the tile zoom z (tiles drawn 256·2^(log2(s/256)−z) ≤ 256
// units wide, so never blown up).
function view(ps) {
  const ms = ps.map((p) => merc(p.pos));
  const xs = ms.map((m) => m[0]), ys = ms.map((m) => m[1]);
  const minX = Math.min(...xs), maxX = Math.max(...xs), minY = Math.min(...ys), maxY = Math.max(...ys);
  const lat = ps.reduce((a, p) => a + p.pos.lat_e6, 0) / ps.length / 1e6;
  const mPerWorld = EARTH_M * Math.cos(lat * Math.PI / 180);
  const span = Math.max(maxX - minX, (maxY - minY) * (W - 2 * PAD) / (H - 2 * PAD), MIN_SPAN_M / mPerWorld);
  const s = Math.min((W - 2 * PAD) / span, 256 * 2 ** MAX_Z);
  const z = Math.max(0, Math.min(MAX_Z, Math.ceil(Math.log2(s / 256) - 1e-9)));
  return { s, z, cx: (minX + maxX) / 2, cy: (minY + maxY) / 2, mPerUnit: mPerWorld / s };
}

function tileURL(tmpl, z, x, y) {
  return tmpl.replace('{z}', z).replace('{x}', x).replace('{y}', y);
}

// Tiles lays the tiles covering the view; one that fails is dropped and
// counted (the figure says data-tiles="failed", the plain map shows).
function Tiles({ tiles, v, onFail }) {
  const n = 2 ** v.z, size = v.s / n;
  const x0 = Math.floor((v.cx - W / 2 / v.s) * n), x1 = Math.floor((v.cx + W / 2 / v.s) * n);
  const y0 = Math.max(0, Math.floor((v.cy - H / 2 / v.s) * n)), y1 = Math.min(n - 1, Math.floor((v.cy + H / 2 / v.s) * n));
  const out = [];
  for (let tx = x0; tx <= x1; tx++) {
    for (let ty = y0; ty <= y1; ty++) {
      const href = tileURL(tiles.url, v.z, ((tx % n) + n) % n, ty);
      out.push(html`<image key=${href + tx} href=${href} x=${(W / 2 + (tx / n - v.cx) * v.s).toFixed(2)} y=${(H / 2 + (ty / n - v.cy) * v.s).toFixed(2)}
        width=${size + 0.5} height=${size + 0.5} preserveAspectRatio="none" onError=${() => onFail(href)} />`);
    }
  }
  return html`<g class="map-tiles" aria-hidden="true">${out}</g>`;
}

// MapView draws points (each {pos, kind, label, id?, name?}) north up,
// fitted to the view, with lines between positions (each [from, to,
// kind]; by default the route from the first point to the second when
// neither is a courier). A point with an id is a button when onPick is
// given (click, Enter or Space: onPick(id)); name is what a screen reader
// says of it; the point whose id is selected is drawn marked. Points of one
// kind at one place share a marker and their labels (three orders at one
// restaurant), except buttons, which are set around it so each can be
// picked.
export function MapView({ points, label, lines, onPick, selected }) {
  const tiles = useTiles();
  const [failed, setFailed] = useState({});
  const ps = [];
  const same = {};
  for (const p of points.filter((q) => isSet(q.pos))) {
    const k = p.kind + ' ' + p.pos.lat_e6 + ',' + p.pos.lon_e6;
    if (!(onPick && p.id) && same[k]) { same[k].label += ', ' + p.label; continue; }
    const q = { ...p };
    if (!(onPick && p.id)) same[k] = q;
    ps.push(q);
  }
  if (!ps.length) return null;
  const v = view(ps);
  const at = (pos) => { const [x, y] = merc(pos); return [W / 2 + (x - v.cx) * v.s, H / 2 + (y - v.cy) * v.s]; };
  // a marker on top of one already placed is set beside it
  const placed = [];
  for (const p of ps) {
    const [x, y] = at(p.pos);
    const n = placed.filter(([a, b]) => Math.hypot(a - x, b - y) < 14).length;
    placed.push([x, y]);
    p.xy = n ? [x + 26 * Math.cos(n * 1.1), y - 26 * Math.sin(n * 1.1)] : [x, y];
  }
  const grid = [];
  for (let i = 1; i < 8; i++) grid.push(html`<line x1=${(i * W) / 8} y1="0" x2=${(i * W) / 8} y2=${H} />`);
  for (let i = 1; i < 5; i++) grid.push(html`<line x1="0" y1=${(i * H) / 5} x2=${W} y2=${(i * H) / 5} />`);
  if (!lines) lines = ps.length > 1 && ps[0].kind !== 'courier' && ps[1].kind !== 'courier' ? [[ps[0].pos, ps[1].pos, 'route']] : [];
  const bar = BARS.filter((m) => m / v.mPerUnit <= W / 4).pop() || BARS[0];
  const nFailed = Object.keys(failed).length;
  const onFail = (href) => setFailed((f) => (f[href] ? f : { ...f, [href]: 1 }));
  const pick = (p) => (e) => {
    if (e.type === 'keydown' && e.key !== 'Enter' && e.key !== ' ') return;
    e.preventDefault();
    onPick(p.id);
  };
  const point = (p) => {
    const [x, y] = p.xy;
    // the label reads rightwards, else leftwards, else under the marker,
    // whichever fits (≈14 units a character)
    const wl = String(p.label).length * 14;
    const [tx, ty, anchor] = x + 15 + wl <= W ? [15, 6] : x - 15 - wl >= 0 ? [-15, 6, 'end'] : [0, 34, 'middle'];
    const button = onPick && p.id;
    return html`<g class=${'map-pt map-' + p.kind + (selected && p.id === selected ? ' sel' : '')} data-point=${p.kind} data-id=${p.id}
      data-pos=${p.pos.lat_e6 + ',' + p.pos.lon_e6} transform=${`translate(${x.toFixed(1)},${y.toFixed(1)})`}
      role=${button ? 'button' : undefined} tabindex=${button ? '0' : undefined} aria-label=${button ? p.name || p.label : undefined}
      aria-pressed=${button ? String(p.id === selected) : undefined}
      onClick=${button ? pick(p) : undefined} onKeyDown=${button ? pick(p) : undefined}>
      <circle r=${p.kind === 'courier' ? 12 : 10} /><text x=${tx} y=${ty} text-anchor=${anchor}>${p.label}</text></g>`;
  };
  const state = !tiles ? 'off' : nFailed ? 'failed' : 'on';
  return html`<figure class="map" data-tiles=${tiles === undefined ? 'loading' : state}>
    <svg viewBox=${`0 0 ${W} ${H}`} role=${onPick ? 'group' : 'img'} aria-label=${label}>
      <rect width=${W} height=${H} class="map-bg" />
      <g class="map-grid">${grid}</g>
      ${tiles ? html`<${Tiles} tiles=${{ url: tiles.url }} v=${v} onFail=${onFail} />` : null}
      ${lines.map(([a, b, kind]) => { if (!isSet(a) || !isSet(b)) return null; const [x1, y1] = at(a), [x2, y2] = at(b);
        return html`<line class=${'map-line map-' + (kind || 'route')} x1=${x1.toFixed(1)} y1=${y1.toFixed(1)} x2=${x2.toFixed(1)} y2=${y2.toFixed(1)} />`; })}
      ${ps.filter((p) => !(selected && p.id === selected)).map(point)}
      ${ps.filter((p) => selected && p.id === selected).map(point)}
      <g class="map-scale" transform=${`translate(16,${H - 16})`}>
        <line x1="0" y1="0" x2=${(bar / v.mPerUnit).toFixed(1)} y2="0" /><text x="0" y="-8">${bar >= 1000 ? bar / 1000 + ' km' : bar + ' m'}</text></g>
    </svg>
    ${tiles ? html`<figcaption class="map-credit">${t('map.tiles_credit', { credit: tiles.attribution })}
      ${nFailed ? html` · <span class="map-failed" role="status">${t('map.tiles_failed')}</span>` : null}</figcaption>` : null}
  </figure>`;
}
