// The customer's screens: restaurants near an address with their open or
// closed state (GET /v1/restaurants: the node judges the hours), a
// restaurant's menu with the cart (options within their min..max), ASAP or
// a slot, a tip, the live quote with how the delivery fee was derived
// (POST /v1/quote), and checkout (POST /v1/checkout: the name, address and
// phone are sealed to the restaurant by the node; the handover PIN is made
// here and kept on this device). Tracking is in track.js.
import { html, useState, useEffect, useRef } from '../vendor/preact-htm.js';
import { api, events } from './api.js';
import { t, money, time, dateTime, dayKey, locale, errorText } from './i18n.js';
import { PaymentChoice, offeredMethods } from './payment.js';
import { parseDeg, isSet, distanceM, km } from './geo.js';

const WHERE = 'coopnode.where';
const TIPS = [0, 100, 200, 300];

// where is the customer's address and position, kept on this device.
export function loadWhere() {
  try { return JSON.parse(localStorage.getItem(WHERE)) || {}; } catch { return {}; }
}
function saveWhere(w) { localStorage.setItem(WHERE, JSON.stringify(w)); }

export const pinKey = (id) => 'coopnode.pin.' + id;

// newPIN makes the 4-digit handover PIN the customer tells the courier.
function newPIN() {
  const a = new Uint32Array(1);
  crypto.getRandomValues(a);
  return String(a[0] % 10000).padStart(4, '0');
}

// inCoop is the query that sends a request about restaurant r to its
// coop's node, when the app follows several coops (GET /v1/restaurants
// then names each restaurant's coop); the order is then priced by that
// coop's rules.
const inCoop = (r) => (r && r.coop ? '?coop=' + r.coop : '');

// offers: whether a profile's fulfilment ("delivery,collection" in JSON)
// includes method m.
export const offers = (p, m) => String(p.fulfilment || '').split(',').includes(m);

// dateLong names a day ("Wednesday 2 December") in zone tz.
function dateLong(ms, tz) {
  try { return new Intl.DateTimeFormat(locale, { weekday: 'long', day: 'numeric', month: 'long', timeZone: tz }).format(new Date(ms)); } catch { return dayKey(ms, tz); }
}

function tzOf(r, session) { return (r.profile && r.profile.timezone) || session.tz; }

// WhereForm: the address (text, for the courier) and its position (typed,
// or from the device). The list sorts by distance from it.
function WhereForm({ where, setWhere }) {
  const [addr, setAddr] = useState(where.address || '');
  const [lat, setLat] = useState(isSet(where.pos) ? String(where.pos.lat_e6 / 1e6) : '');
  const [lon, setLon] = useState(isSet(where.pos) ? String(where.pos.lon_e6 / 1e6) : '');
  const [err, setErr] = useState('');
  const [geo, setGeo] = useState('');
  const submit = (e) => {
    e.preventDefault();
    const la = parseDeg(lat, 90), lo = parseDeg(lon, 180);
    if (la === null || lo === null) { setErr(t('courier.bad_position')); return; }
    setErr('');
    const w = { address: addr.trim(), pos: { lat_e6: la, lon_e6: lo } };
    saveWhere(w);
    setWhere(w);
  };
  const locate = () => {
    if (!navigator.geolocation) { setGeo('denied'); return; }
    setGeo('asking');
    navigator.geolocation.getCurrentPosition((p) => {
      setLat(p.coords.latitude.toFixed(6)); setLon(p.coords.longitude.toFixed(6)); setGeo('ok');
    }, () => setGeo('denied'), { timeout: 8000, maximumAge: 60000 });
  };
  return html`<form class="where" onSubmit=${submit} novalidate>
    <div class="field wide"><label for="w-addr">${t('cust.address')}</label>
      <input id="w-addr" name="address" autocomplete="street-address" value=${addr} onInput=${(e) => setAddr(e.target.value)} /></div>
    <div class="field"><label for="w-lat">${t('courier.lat')}</label>
      <input id="w-lat" name="lat" inputmode="decimal" value=${lat} onInput=${(e) => setLat(e.target.value)} aria-invalid=${err ? 'true' : undefined} aria-describedby=${err ? 'w-err' : undefined} /></div>
    <div class="field"><label for="w-lon">${t('courier.lon')}</label>
      <input id="w-lon" name="lon" inputmode="decimal" value=${lon} onInput=${(e) => setLon(e.target.value)} aria-invalid=${err ? 'true' : undefined} aria-describedby=${err ? 'w-err' : undefined} /></div>
    <button type="button" class="locate" onClick=${locate}>${t('cust.locate')}</button>
    <button class="primary set-where">${t('cust.set_where')}</button>
    ${geo ? html`<p class="hint">${t('courier.geo.' + geo)}</p>` : null}
    ${err ? html`<p class="field-error" id="w-err" role="alert" data-code="local">${err}</p>` : null}
  </form>`;
}

// Restaurants: every restaurant the node knows, open ones first, nearest
// first; live as catalogues change.
export function Restaurants({ session }) {
  const [rs, setRs] = useState(null);
  const [err, setErr] = useState(null);
  const [where, setWhere] = useState(loadWhere);
  const load = () => api('GET', '/v1/restaurants').then((x) => { setRs(x); setErr(null); }, setErr);
  useEffect(() => {
    load();
    return events((ch) => { if (ch.scope === 'catalog') load(); }, (on) => { if (on) load(); });
  }, []);
  const list = (rs || []).filter((r) => r.profile && !r.profile.shop).map((r) => ({
    ...r, dist: isSet(where.pos) && isSet(r.profile.position) ? distanceM(where.pos, r.profile.position) : null,
  }));
  list.sort((a, b) => (b.open - a.open) || ((a.dist ?? 1e12) - (b.dist ?? 1e12)) || a.profile.name.localeCompare(b.profile.name));
  return html`<section class="screen customer">
    <h1>${t('nav.restaurants')}</h1>
    <${WhereForm} where=${where} setWhere=${setWhere} />
    ${err ? html`<p class="error" role="alert" data-code=${err.code}>${errorText(err)}</p>` : null}
    ${rs === null ? html`<p aria-busy="true">${t('app.loading')}</p>`
      : list.length === 0 ? html`<p class="empty">${t('cust.no_restaurants')}</p>`
      : html`<ul class="restaurants" data-count=${list.length}>${list.map((r) => html`<li class=${'restaurant-card ' + (r.open ? 'open' : 'closed')} data-key=${r.key} data-open=${r.open ? '1' : '0'} data-coop=${r.coop || undefined}>
        <a href=${'#/customer/r/' + r.key}><h2>${r.profile.name}</h2></a>
        ${r.coop_name ? html`<p class="meta coop-name">${t('cust.by_coop', { coop: r.coop_name })}</p>` : null}
        <p><span class=${'state ' + (r.open ? 'open' : 'closed')}>${r.open ? t('cust.open') : t('cust.closed')}</span>
          ${!r.open && r.next_open ? html` · <span class="next-open">${t('cust.opens_at', { at: dateTime(r.next_open, tzOf(r, session)) })}</span>` : null}
          ${r.dist !== null ? html` · <span class="dist">${t('cust.km_away', { km: km(r.dist) })}</span>` : null}</p>
        ${r.profile.description ? html`<p class="meta">${r.profile.description}</p>` : null}
        ${(r.profile.tags || []).length ? html`<p class="meta">${r.profile.tags.join(' · ')}</p>` : null}
      </li>`)}</ul>`}
  </section>`;
}

// optionError is the message key when a choice of option o counts n values.
function optionError(o, n) {
  const hi = o.max || (o.values || []).length;
  if (n >= (o.min || 0) && n <= hi) return '';
  if (o.min === hi) return t('cust.choose_exactly', { n: hi });
  return n < (o.min || 0) ? t('cust.choose_at_least', { n: o.min }) : t('cust.choose_at_most', { n: hi });
}

// Product is one menu item: "Add" (options first, when it has any).
function Product({ p, session, add }) {
  const [open, setOpen] = useState(false);
  const [chosen, setChosen] = useState({}); // option id → [value ids]
  const [errs, setErrs] = useState({});
  const avail = p.enabled && !p.sold_out;
  const opts = p.options || [];
  const toggle = (o, v, single) => (e) => {
    const cur = chosen[o.id] || [];
    const next = single ? [v.id] : e.target.checked ? [...cur, v.id] : cur.filter((x) => x !== v.id);
    setChosen({ ...chosen, [o.id]: next });
    if (errs[o.id]) setErrs({ ...errs, [o.id]: optionError(o, next.length) });
  };
  const confirm = (e) => {
    e.preventDefault();
    const es = {};
    for (const o of opts) { const m = optionError(o, (chosen[o.id] || []).length); if (m) es[o.id] = m; }
    setErrs(es);
    if (Object.keys(es).length) return;
    // option values in menu order, as the node lists them
    const ids = opts.flatMap((o) => (o.values || []).filter((v) => (chosen[o.id] || []).includes(v.id)).map((v) => v.id));
    add(p, ids);
    setOpen(false);
    setChosen({});
  };
  return html`<li class=${'product' + (avail ? '' : ' unavailable')} data-product=${p.id}>
    <div class="product-head"><h3>${p.name}</h3><span class="price">${money(p.price_cents, session.currency)}</span></div>
    ${p.description ? html`<p class="meta">${p.description}</p>` : null}
    ${(p.allergens || []).length ? html`<p class="meta allergens">${t('cust.allergens')}: ${p.allergens.map((a) => t('allergen.' + a)).join(', ')}</p>` : null}
    ${(p.diets || []).length ? html`<p class="meta">${p.diets.join(', ')}</p>` : null}
    ${!avail ? html`<p class="meta sold-out">${t('cust.sold_out')}</p>`
      : !opts.length ? html`<button class="add" onClick=${() => add(p, [])}>${t('cust.add')}</button>`
      : !open ? html`<button class="add" aria-expanded="false" onClick=${() => setOpen(true)}>${t('cust.add')}…</button>`
      : html`<form class="options" onSubmit=${confirm} novalidate>
        ${opts.map((o) => { const hi = o.max || (o.values || []).length; const single = hi === 1; return html`<fieldset class="option" data-option=${o.id}
          aria-invalid=${errs[o.id] ? 'true' : undefined}>
          <legend>${o.name} <span class="meta">${o.min === hi ? t('cust.pick_n', { n: hi }) : t('cust.pick_range', { min: o.min || 0, max: hi })}</span></legend>
          ${(o.values || []).filter((v) => v.enabled).map((v) => html`<label class="choice">
            <input type=${single ? 'radio' : 'checkbox'} name=${p.id + '-' + o.id} value=${v.id}
              checked=${(chosen[o.id] || []).includes(v.id)} onChange=${toggle(o, v, single)} />
            ${v.name}${v.price_cents ? html` <span class="meta">+${money(v.price_cents, session.currency)}</span>` : null}</label>`)}
          ${errs[o.id] ? html`<p class="field-error" role="alert" data-code="local">${errs[o.id]}</p>` : null}
        </fieldset>`; })}
        <button class="primary add-confirm">${t('cust.add_to_cart')}</button>
        <button type="button" onClick=${() => { setOpen(false); setErrs({}); }}>${t('cust.cancel')}</button>
      </form>`}
  </li>`;
}

// tipCents reads a typed tip in the currency's units, or null.
function tipCents(s) {
  const v = String(s).trim().replace(',', '.');
  if (!/^\d{1,6}(\.\d{1,2})?$/.test(v)) return null;
  return Math.round(Number(v) * 100);
}

// Explanation says how the node derived the delivery fee: the inputs,
// each rule tried, which held, and what failed.
function Explanation({ e, currency }) {
  if (!e) return null;
  return html`<details class="explain"><summary>${t('cust.why_fee')}</summary>
    <p class="meta">${(e.inputs || []).join(' · ')}</p>
    <ol>${(e.rules || []).filter((r) => r.tried).map((r) => html`<li class=${r.matched ? 'matched' : 'unmatched'}>
      <strong>${r.name || '#' + r.index}</strong>: ${r.matched ? t('cust.rule_matched', { amount: money(r.cents, currency) }) : t('cust.rule_failed')}
      ${(r.parts || []).length ? html` <span class="meta">(${r.parts.join(', ')})</span>` : null}
      ${(r.failed || []).length ? html` <span class="meta">— ${r.failed.join('; ')}</span>` : null}</li>`)}</ol>
    ${e.summary ? html`<p class="meta summary">${e.summary}</p>` : null}</details>`;
}

function QuoteView({ q, session }) {
  const c = session.currency;
  const row = (k, v, cls = '') => html`<tr class=${cls}><th scope="row">${k}</th><td>${money(v, c)}</td></tr>`;
  return html`<table class="quote-table">
    ${row(t('cust.items'), q.items_cents)}
    ${q.fulfilment === 'delivery' ? row(t('cust.delivery_fee'), q.delivery_cents, 'delivery-fee') : null}
    ${row(t('cust.tip'), q.tip_cents)}
    ${row(t('order.total'), q.total_cents, 'total')}
    <tr class="meta"><th scope="row">${t('cust.tax_included')}</th><td>${money(q.tax_cents, c)}</td></tr></table>
    ${q.distance_m ? html`<p class="meta">${t('cust.distance', { km: km(q.distance_m) })}</p>` : null}
    ${q.ready_by ? html`<p class="meta ready-by">${t('cust.ready_by', { at: time(Date.parse(q.ready_by), session.tz) })}</p>` : null}
    <${Explanation} e=${q.delivery} currency=${c} />`;
}

// The fields of the checkout form; an API refusal naming another field or
// code lands by the field it concerns.
const CODE_FIELD = { bad_tip: 'tip', slot_unavailable: 'when', closed: 'when', outside_zone: 'address', bad_position: 'address',
  fulfilment_not_offered: 'fulfilment', bad_pin: 'name', payment_not_offered: 'payment' };

// RestaurantMenu: the menu, the cart, the quote and checkout.
export function RestaurantMenu({ session, restaurantKey }) {
  const cartKey = 'coopnode.cart.' + restaurantKey;
  const [r, setR] = useState(null);
  const [err, setErr] = useState(null);
  const [slots, setSlots] = useState([]);
  const [lines, setLines] = useState(() => { try { return JSON.parse(localStorage.getItem(cartKey)) || []; } catch { return []; } });
  const [fulfilment, setFulfilment] = useState('delivery');
  const [when, setWhen] = useState('asap');
  const [day, setDay] = useState(''); // '' is as soon as possible
  const [tip, setTip] = useState('0');
  const [tipOther, setTipOther] = useState('');
  const [payment, setPayment] = useState('');
  const [quote, setQuote] = useState({ state: 'empty' });
  const [who, setWho] = useState({ name: '', phone: '', instructions: '' });
  const [errs, setErrs] = useState({});
  const [busy, setBusy] = useState(false);
  const where = loadWhere();
  const [address, setAddress] = useState(where.address || '');
  const seq = useRef(0);

  const load = async () => {
    try {
      const rs = await api('GET', '/v1/restaurants');
      const x = rs.find((y) => y.key === restaurantKey);
      if (!x) { setErr({ code: 'not_found' }); return; }
      setR(x);
      setErr(null);
      if (x.profile && !offers(x.profile, 'delivery')) setFulfilment('collection');
      setPayment((cur) => (offeredMethods(x.profile).includes(cur) ? cur : offeredMethods(x.profile)[0]));
      api('GET', `/v1/restaurants/${restaurantKey}/slots${inCoop(x)}`).then(setSlots, () => setSlots([]));
    } catch (e) { setErr(e); }
  };
  useEffect(() => {
    load();
    return events((ch) => { if (ch.scope === 'catalog' && ch.id === restaurantKey) load(); }, (on) => { if (on) load(); });
  }, [restaurantKey]);
  useEffect(() => { localStorage.setItem(cartKey, JSON.stringify(lines)); }, [lines]);

  const tipValue = tip === 'other' ? tipCents(tipOther) : Number(tip);
  const cart = () => {
    const c = { restaurant: restaurantKey, fulfilment, items: lines.map((l) => ({ product: l.product, quantity: l.quantity, options: l.options })),
      tip_cents: tipValue || 0 };
    if (payment) c.payment = payment;
    if (when !== 'asap') { const [s, e] = when.split('-').map(Number); c.slot = { start: s, end: e }; }
    if (fulfilment === 'delivery' && isSet(where.pos)) c.dropoff = where.pos;
    return c;
  };

  // the live quote: asked again whenever the cart changes; older answers
  // are dropped
  useEffect(() => {
    if (!lines.length) { setQuote({ state: 'empty' }); return; }
    if (tipValue === null) { setQuote({ state: 'error', err: { code: 'bad_tip' } }); return; }
    if (fulfilment === 'delivery' && !isSet(where.pos)) { setQuote({ state: 'error', err: { code: 'no_position' } }); return; }
    const n = ++seq.current;
    setQuote((q) => ({ ...q, state: 'loading' }));
    const timer = setTimeout(() => {
      api('POST', '/v1/quote' + inCoop(r), cart()).then((q) => { if (n === seq.current) setQuote({ state: 'ok', q }); },
        (e) => { if (n === seq.current) setQuote({ state: 'error', err: e }); });
    }, 150);
    return () => clearTimeout(timer);
  }, [JSON.stringify(lines), fulfilment, when, tip, tipOther, payment, r && r.version]);

  const add = (p, options) => {
    const names = (p.options || []).flatMap((o) => (o.values || []).filter((v) => options.includes(v.id)).map((v) => v.name));
    const same = lines.findIndex((l) => l.product === p.id && JSON.stringify(l.options) === JSON.stringify(options));
    if (same >= 0) setLines(lines.map((l, i) => (i === same ? { ...l, quantity: l.quantity + 1 } : l)));
    else setLines([...lines, { product: p.id, name: p.name, options, names, quantity: 1 }]);
  };
  const setQty = (i, d) => setLines(lines.map((l, j) => (j === i ? { ...l, quantity: l.quantity + d } : l)).filter((l) => l.quantity > 0));

  const checkout = async (e) => {
    e.preventDefault();
    const es = {};
    if (!lines.length) es._form = t('cust.cart_empty');
    if (!who.name.trim()) es.name = t('cust.need_name');
    if (fulfilment === 'delivery' && !address.trim()) es.address = t('cust.need_address');
    if (fulfilment === 'delivery' && !isSet(where.pos)) es.address = t('cust.need_position');
    if (tipValue === null) es.tip = t('cust.bad_tip');
    setErrs(es);
    if (Object.keys(es).length) return;
    setBusy(true);
    const pin = newPIN();
    try {
      const personal = { name: who.name.trim(), phone: who.phone.trim(), instructions: who.instructions.trim() };
      if (fulfilment === 'delivery') { personal.address = address.trim(); personal.dropoff = where.pos; }
      const res = await api('POST', '/v1/checkout' + inCoop(r), { cart: cart(), personal, pin });
      localStorage.setItem(pinKey(res.id), pin);
      localStorage.removeItem(cartKey);
      location.hash = '#/customer/order/' + res.id;
    } catch (er) {
      const f = er.line ? 'line' + er.line : (er.field && er.field in who ? er.field : CODE_FIELD[er.code] || '_form');
      setErrs({ [f]: errorText(er), _code: er.code });
    } finally { setBusy(false); }
  };

  if (err) return html`<section class="screen"><p class="error" role="alert" data-code=${err.code}>${errorText(err)}</p></section>`;
  if (!r) return html`<section class="screen" aria-busy="true"><p>${t('app.loading')}</p></section>`;
  const p = r.profile || {};
  const tz = tzOf(r, session);
  // the slots by day in the restaurant's zone: a day, then a time
  const byDay = {};
  const days = [];
  for (const x of slots) {
    const a = Date.parse(x.start), k = dayKey(a, tz);
    if (!byDay[k]) { byDay[k] = []; days.push([k, dateLong(a, tz)]); }
    byDay[k].push(a + '-' + Date.parse(x.end));
  }
  const pickDay = (k) => { setDay(k); setWhen(k ? byDay[k][0] : 'asap'); };
  const qErr = quote.state === 'error' ? quote.err : null;
  const lineErr = (i) => errs['line' + (i + 1)] || (qErr && qErr.line === i + 1 ? errorText(qErr) : '');
  const fieldErr = (k) => errs[k] ? html`<p class="field-error" role="alert" data-code=${errs._code || 'local'}>${errs[k]}</p>` : null;
  const who_ = (k) => (e) => setWho({ ...who, [k]: e.target.value });
  return html`<section class="screen customer menu-screen" data-restaurant=${r.key}>
    <p><a class="back" href="#/customer">← ${t('nav.restaurants')}</a></p>
    <h1>${p.name || r.key.slice(0, 8)} <span class=${'state ' + (r.open ? 'open' : 'closed')}>${r.open ? t('cust.open') : t('cust.closed')}</span></h1>
    ${r.coop_name ? html`<p class="meta coop-name">${t('cust.by_coop', { coop: r.coop_name })}</p>` : null}
    ${!r.open && r.next_open ? html`<p class="next-open">${t('cust.opens_at', { at: dateTime(r.next_open, tz) })}</p>` : null}
    ${p.min_order_cents ? html`<p class="meta">${t('cust.minimum', { amount: money(p.min_order_cents, session.currency) })}</p>` : null}
    <div class="menu-cart">
      <div class="menu">${((r.menu && r.menu.sections) || []).map((s) => html`<section class="menu-section"><h2>${s.name}</h2>
        <ul class="products">${(s.products || []).filter((x) => x.enabled || x.sold_out).map((x) => html`<${Product} key=${x.id} p=${x} session=${session} add=${add} />`)}</ul></section>`)}
      </div>
      <form class="cart" onSubmit=${checkout} novalidate aria-labelledby="cart-h">
        <h2 id="cart-h">${t('cust.cart')}</h2>
        ${fieldErr('_form')}
        ${lines.length === 0 ? html`<p class="empty">${t('cust.cart_empty')}</p>` : html`<ul class="cart-lines">${lines.map((l, i) => html`<li data-line=${i + 1} data-product=${l.product}>
          <span class="qty">${l.quantity}×</span> ${l.name}${l.names.length ? html` <span class="opts">(${l.names.join(', ')})</span>` : null}
          <span class="qty-buttons"><button type="button" class="less" aria-label=${t('cust.less', { name: l.name })} onClick=${() => setQty(i, -1)}>−</button>
          <button type="button" class="more" aria-label=${t('cust.more', { name: l.name })} onClick=${() => setQty(i, 1)}>+</button></span>
          ${lineErr(i) ? html`<p class="field-error" role="alert" data-code=${(qErr && qErr.code) || errs._code}>${lineErr(i)}</p>` : null}</li>`)}</ul>`}
        ${offers(p, 'delivery') && offers(p, 'collection') ? html`<fieldset class="fulfilment"><legend>${t('cust.how')}</legend>
          ${[['delivery', 'order.delivery'], ['collection', 'order.collection']].map(([v, k]) => html`<label class="choice"><input type="radio" name="fulfilment" value=${v}
            checked=${fulfilment === v} onChange=${() => setFulfilment(v)} />${t(k)}</label>`)}${fieldErr('fulfilment')}</fieldset>` : null}
        <div class="when-row">
        <div class="field"><label for="c-day">${t('cust.when')}</label>
          <select id="c-day" name="day" value=${day} onChange=${(e) => pickDay(e.target.value)}>
            <option value="">${t('cust.asap')}</option>
            ${days.map(([k, label]) => html`<option value=${k}>${label}</option>`)}
          </select></div>
        ${day ? html`<div class="field"><label for="c-when">${t('cust.slot')}</label>
          <select id="c-when" name="when" value=${when} onChange=${(e) => setWhen(e.target.value)} aria-invalid=${errs.when || (qErr && CODE_FIELD[qErr.code] === 'when') ? 'true' : undefined}>
            ${(byDay[day] || []).map((v) => { const [a, b] = v.split('-').map(Number); return html`<option value=${v}>${time(a, tz)}–${time(b, tz)}</option>`; })}
          </select></div>` : null}
          ${fieldErr('when')}</div>
        <${PaymentChoice} profile=${p} value=${payment} set=${setPayment} error=${fieldErr('payment')} />
        <fieldset class="tip"><legend>${t('cust.tip')}</legend>
          ${TIPS.map((c) => html`<label class="choice"><input type="radio" name="tip" value=${c} checked=${tip === String(c)} onChange=${() => setTip(String(c))} />${c ? money(c, session.currency) : t('cust.no_tip')}</label>`)}
          <label class="choice"><input type="radio" name="tip" value="other" checked=${tip === 'other'} onChange=${() => setTip('other')} />${t('cust.tip_other')}</label>
          ${tip === 'other' ? html`<input name="tip_other" class="tip-other" inputmode="decimal" aria-label=${t('cust.tip_other')} value=${tipOther}
            onInput=${(e) => setTipOther(e.target.value)} aria-invalid=${tipValue === null ? 'true' : undefined} />` : null}
          ${tipValue === null && !errs.tip ? html`<p class="field-error" role="alert" data-code="local">${t('cust.bad_tip')}</p>` : fieldErr('tip')}
        </fieldset>
        <div class="quote" aria-live="polite" data-state=${quote.state} data-total=${quote.q ? quote.q.total_cents : ''}>
          ${quote.q && quote.state !== 'error' ? html`<${QuoteView} q=${quote.q} session=${session} />` : null}
          ${qErr && !qErr.line ? html`<p class="form-error" role="alert" data-code=${qErr.code}>${qErr.code === 'no_position' ? t('cust.need_position')
            : errorText(qErr)}${qErr.nextOpen ? ' ' + t('cust.opens_at', { at: dateTime(Date.parse(qErr.nextOpen), tz) }) : ''}</p>` : null}
          ${qErr && qErr.explanation ? html`<${Explanation} e=${qErr.explanation} currency=${session.currency} />` : null}
        </div>
        <h3>${t('cust.your_details')}</h3>
        <p class="meta">${t('cust.sealed')}</p>
        <div class="field"><label for="c-name">${t('cust.name')}</label>
          <input id="c-name" name="name" autocomplete="name" value=${who.name} onInput=${who_('name')} aria-invalid=${errs.name ? 'true' : undefined} />${fieldErr('name')}</div>
        <div class="field"><label for="c-phone">${t('courier.phone')}</label>
          <input id="c-phone" name="phone" type="tel" autocomplete="tel" value=${who.phone} onInput=${who_('phone')} />${fieldErr('phone')}</div>
        ${fulfilment === 'delivery' ? html`<div class="field"><label for="c-address">${t('cust.address')}</label>
          <input id="c-address" name="address" autocomplete="street-address" value=${address} onInput=${(e) => setAddress(e.target.value)}
            aria-invalid=${errs.address ? 'true' : undefined} />${fieldErr('address')}</div>
          <div class="field"><label for="c-instr">${t('courier.instructions')}</label>
          <input id="c-instr" name="instructions" value=${who.instructions} onInput=${who_('instructions')} /></div>` : null}
        <button class="primary checkout" disabled=${busy}>${t('cust.place_order')}</button>
      </form>
    </div>
  </section>`;
}
