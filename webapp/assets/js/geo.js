// Positions and the plain map: micro-degree positions as the API has them
// ({lat_e6, lon_e6}), distances for sorting lists, and a vector map drawn
// from the positions alone (no tiles, so it works offline and fetches
// nothing: the app's CSP allows only its own files).
import { html } from '../vendor/preact-htm.js';

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

// MapView draws the points (each {id, pos, label, kind}) on a plain grid,
// north up, scaled to fit, with a line from the first to the second (the
// route from the restaurant to the customer). W×H is its viewBox.
const W = 320, H = 200, PAD = 28;
export function MapView({ points, label }) {
  const ps = points.filter((p) => isSet(p.pos));
  if (!ps.length) return null;
  const lat0 = ps.reduce((s, p) => s + p.pos.lat_e6, 0) / ps.length;
  const k = Math.cos((lat0 / 1e6) * Math.PI / 180);
  const xs = ps.map((p) => p.pos.lon_e6 * k), ys = ps.map((p) => p.pos.lat_e6);
  const minX = Math.min(...xs), maxX = Math.max(...xs), minY = Math.min(...ys), maxY = Math.max(...ys);
  // at least ~500 m across, so close points do not sit on each other
  const span = Math.max(maxX - minX, (maxY - minY) * (W / H), 4500);
  const scale = (W - 2 * PAD) / span;
  const cx = (minX + maxX) / 2, cy = (minY + maxY) / 2;
  const at = (p) => [W / 2 + (p.pos.lon_e6 * k - cx) * scale, H / 2 - (p.pos.lat_e6 - cy) * scale];
  const grid = [];
  for (let i = 1; i < 8; i++) grid.push(html`<line x1=${(i * W) / 8} y1="0" x2=${(i * W) / 8} y2=${H} />`);
  for (let i = 1; i < 5; i++) grid.push(html`<line x1="0" y1=${(i * H) / 5} x2=${W} y2=${(i * H) / 5} />`);
  const [a, b] = ps.length > 1 && ps[0].kind !== 'courier' && ps[1].kind !== 'courier' ? [at(ps[0]), at(ps[1])] : [null, null];
  // 500 m bar
  const bar = 500 * 9 * scale; // 1 m ≈ 9 µ° of latitude
  return html`<figure class="map">
    <svg viewBox=${`0 0 ${W} ${H}`} role="img" aria-label=${label}>
      <rect width=${W} height=${H} class="map-bg" />
      <g class="map-grid">${grid}</g>
      ${a ? html`<line class="map-route" x1=${a[0]} y1=${a[1]} x2=${b[0]} y2=${b[1]} />` : null}
      ${ps.map((p) => { const [x, y] = at(p); return html`<g class=${'map-pt map-' + p.kind} data-point=${p.kind}
        data-pos=${p.pos.lat_e6 + ',' + p.pos.lon_e6} transform=${`translate(${x.toFixed(1)},${y.toFixed(1)})`}>
        <circle r=${p.kind === 'courier' ? 8 : 6} /><text x="10" y="4">${p.label}</text></g>`; })}
      ${bar < W - 20 ? html`<g class="map-scale" transform=${`translate(10,${H - 10})`}>
        <line x1="0" y1="0" x2=${bar.toFixed(1)} y2="0" /><text x="0" y="-4">500 m</text></g>` : null}
    </svg></figure>`;
}
