// The customer's orders and live tracking: the status timeline from the
// order's signed steps, the courier's position on the plain map and the
// ETA (GET /v1/orders/{id}/tracking, refreshed on each "tracking" change of
// the event stream), the handover PIN kept on this device at checkout,
// cancel before acceptance, and the rating once delivered.
import { html, useState, useEffect, useRef } from '../vendor/preact-htm.js';
import { api, events } from './api.js';
import { t, has, money, time, dateTime, errorText } from './i18n.js';
import { MapView } from './geo.js';
import { pinKey, loadWhere } from './customer.js';
import { PaymentBox } from './payment.js';
import { ProofNote } from './proof.js';

const short = (id) => id.slice(0, 6).toUpperCase();
const ENDED = new Set(['refused', 'cancelled', 'failed', 'invalid']);

// TIMELINE: each step of a delivery, the status that reaches it and the
// event kinds that date it.
const TIMELINE = [
  ['placed', ['order.place']],
  ['accepted', ['order.accept']],
  ['preparing', ['order.start_preparing']],
  ['ready', ['order.ready']],
  ['courier', ['courier.claim', 'courier.assign']],
  ['picked_up', ['task.pickup']],
  ['delivered', ['task.deliver', 'order.fulfil']],
];
const RANK = { placed: 0, accepted: 1, preparing: 2, ready: 3, picked_up: 5, delivered: 6, fulfilled: 6 };

function restaurantName(rs, key) {
  const r = rs.find((x) => x.key === key);
  return (r && r.profile && r.profile.name) || short(key);
}

export function MyOrders({ session }) {
  const [os, setOs] = useState(null);
  const [rs, setRs] = useState([]);
  const [err, setErr] = useState(null);
  const load = () => Promise.all([api('GET', '/v1/orders?mine=1'), api('GET', '/v1/restaurants')])
    .then(([o, r]) => { setOs(o.filter((x) => session.mine.has(x.customer)).sort((a, b) => b.placed_at - a.placed_at)); setRs(r); setErr(null); }, setErr);
  useEffect(() => {
    load();
    return events((ch) => { if (ch.scope === 'order') load(); }, (on) => { if (on) load(); });
  }, []);
  return html`<section class="screen customer">
    <h1>${t('nav.my_orders')}</h1>
    ${err ? html`<p class="error" role="alert" data-code=${err.code}>${errorText(err)}</p>` : null}
    ${os === null ? html`<p aria-busy="true">${t('app.loading')}</p>` : os.length === 0 ? html`<p class="empty">${t('cust.no_orders')}</p>`
      : html`<ul class="my-orders">${os.map((o) => html`<li data-order=${o.id} data-status=${o.status}>
        <a href=${'#/customer/order/' + o.id}>${restaurantName(rs, o.restaurant)} #${short(o.id)}</a>
        <span class="status">${t('courier.status.' + o.status)}</span>
        <span class="meta">${dateTime(o.placed_at, session.tz)} · ${money(o.place.totals.total_cents, session.currency)}</span></li>`)}</ul>`}
  </section>`;
}

function Timeline({ o, tz, courier }) {
  const at = (kinds) => { const s = (o.steps || []).filter((x) => kinds.includes(x.kind)); return s.length ? s[s.length - 1].wall : 0; };
  const rank = RANK[o.status] ?? -1;
  const delivery = o.place.fulfilment === 'delivery';
  const steps = TIMELINE.filter(([k]) => delivery || (k !== 'courier' && k !== 'picked_up'));
  return html`<ol class="timeline">${steps.map(([k, kinds], i) => {
    const when = at(kinds);
    const done = k === 'courier' ? !!o.holder : when > 0 || rank >= (RANK[k] ?? 99);
    const current = done && !steps.slice(i + 1).some(([k2, ks2]) => at(ks2) > 0 || (k2 === 'courier' ? !!o.holder : rank >= (RANK[k2] ?? 99)));
    return html`<li data-step=${k} data-done=${done ? '1' : '0'} class=${(done ? 'done' : 'todo') + (current ? ' current' : '')}
      aria-current=${current ? 'step' : undefined}>
      <span class="step-name">${t('track.' + (k === 'delivered' && !delivery ? 'collected' : k))}${k === 'courier' && courier ? ': ' + courier : ''}</span>
      ${when ? html` <span class="meta">${time(when, tz)}</span>` : null}</li>`; })}
    ${ENDED.has(o.status) ? html`<li class="ended" data-step=${o.status} data-done="1">${t('courier.status.' + o.status)}${o.reason ? ' — ' + (has('reason.' + o.reason) ? t('reason.' + o.reason) : o.reason) : ''}</li>` : null}
  </ol>`;
}

// Stars is a 1–5 choice as radio buttons (keyboard and screen readers get
// a plain radio group).
function Stars({ name, label, value, set }) {
  return html`<fieldset class="stars" data-stars=${name}><legend>${label}</legend>
    ${[1, 2, 3, 4, 5].map((n) => html`<label class="star"><input type="radio" name=${name} value=${n} checked=${value === n}
      onChange=${() => set(n)} /><span aria-hidden="true">${n <= value ? '★' : '☆'}</span><span class="sr">${t('track.stars', { n })}</span></label>`)}
  </fieldset>`;
}

function RateForm({ o, reload }) {
  const [rest, setRest] = useState(0);
  const [cour, setCour] = useState(0);
  const [comment, setComment] = useState('');
  const [err, setErr] = useState(null);
  const [busy, setBusy] = useState(false);
  const delivery = o.place.fulfilment === 'delivery';
  if (o.rating) {
    return html`<p class="rated" data-rated="1">${t('track.rated', { r: o.rating.restaurant_stars || '–', c: o.rating.courier_stars || '–' })}</p>`;
  }
  const submit = async (e) => {
    e.preventDefault();
    if (!rest && !cour) { setErr({ code: 'local', text: t('track.need_stars') }); return; }
    setBusy(true);
    setErr(null);
    try {
      await api('POST', `/v1/orders/${o.id}/rate`, { restaurant_stars: rest, courier_stars: delivery ? cour : 0, comment: comment.trim() });
      await reload();
    } catch (x) { setErr(x); } finally { setBusy(false); }
  };
  return html`<form class="rate" onSubmit=${submit} novalidate><h2>${t('track.rate')}</h2>
    <${Stars} name="restaurant" label=${t('track.rate_restaurant')} value=${rest} set=${setRest} />
    ${delivery ? html`<${Stars} name="courier" label=${t('track.rate_courier')} value=${cour} set=${setCour} />` : null}
    <div class="field wide"><label for="r-comment">${t('track.comment')}</label>
      <input id="r-comment" name="comment" value=${comment} onInput=${(e) => setComment(e.target.value)} /></div>
    ${err ? html`<p class="field-error" role="alert" data-code=${err.code}>${err.text || errorText(err)}</p>` : null}
    <button class="primary send-rating" disabled=${busy}>${t('track.send_rating')}</button></form>`;
}

export function Tracking({ session, id }) {
  const [o, setO] = useState(null);
  const [tr, setTr] = useState(null);
  const [rs, setRs] = useState([]);
  const [err, setErr] = useState(null);
  const [actErr, setActErr] = useState(null);
  const [live, setLive] = useState(false);
  const pin = localStorage.getItem(pinKey(id));
  const loadTrack = () => api('GET', `/v1/orders/${id}/tracking`).then(setTr, () => {});
  const load = () => Promise.all([api('GET', `/v1/orders/${id}`), api('GET', '/v1/restaurants')])
    .then(([x, r]) => { setO(x); setRs(r); setErr(null); loadTrack(); }, setErr);
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    load();
    return events((ch) => {
      if (ch.id !== id) return;
      if (ch.scope === 'order' && ch.order) { setO(ch.order); loadTrack(); } else if (ch.scope === 'tracking') loadTrack();
    }, (on) => { setLive(on); if (on) loadRef.current(); });
  }, [id]);
  if (err) return html`<section class="screen"><p class="error" role="alert" data-code=${err.code}>${errorText(err)}</p></section>`;
  if (!o) return html`<section class="screen" aria-busy="true"><p>${t('app.loading')}</p></section>`;
  const r = rs.find((x) => x.key === o.restaurant);
  const tz = (r && r.profile && r.profile.timezone) || session.tz;
  const delivery = o.place.fulfilment === 'delivery';
  const done = o.status === 'delivered' || o.status === 'fulfilled';
  const where = loadWhere();
  const eta = tr && tr.eta && !done && !ENDED.has(o.status) ? tr.eta : 0;
  const readyAt = o.accepted_at ? o.accepted_at + (o.prep_minutes + (o.delay_minutes || 0)) * 60000 : 0;
  const points = [
    { kind: 'restaurant', pos: o.place.pickup, label: restaurantName(rs, o.restaurant) },
    { kind: 'home', pos: (where.pos && where.pos.lat_e6 ? where.pos : o.place.dropoff_area), label: t('track.you') },
  ];
  if (tr && !done) points.push({ kind: 'courier', pos: tr.position, label: t('track.courier') });
  const cancel = async () => {
    setActErr(null);
    try { setO(await api('POST', `/v1/orders/${id}/cancel`, { reason: 'customer' })); } catch (x) { setActErr(x); }
  };
  return html`<section class="screen customer tracking" data-order=${o.id} data-status=${o.status}>
    <h1>${restaurantName(rs, o.restaurant)} <span class="ref">#${short(o.id)}</span>
      <span class=${'live ' + (live ? 'on' : 'off')}>${live ? t('live.on') : t('live.off')}</span></h1>
    <p class="status-line" data-status=${o.status}>${t('courier.status.' + o.status)}</p>
    <div class="track-grid">
      <div>
        <${Timeline} o=${o} tz=${tz} courier=${o.holder && session.coop && session.coop.members && session.coop.members[o.holder] ? session.coop.members[o.holder].name : ''} />
        ${done ? html`<${ProofNote} o=${o} />` : null}
        ${pin && delivery && !done && !ENDED.has(o.status) ? html`<p class="pin">${t('track.pin')} <strong class="pin-code" data-pin=${pin}>${pin}</strong></p>` : null}
        ${eta ? html`<p class="eta" data-eta=${eta}>${t(tr.approaching ? 'track.approaching' : 'track.eta', { at: time(eta, tz) })}</p>`
          : readyAt && !done && !ENDED.has(o.status) && !o.holder ? html`<p class="eta">${t('order.ready_at', { at: time(readyAt, tz) })}</p>` : null}
        ${o.status === 'placed' ? html`<button class="danger cancel-order" onClick=${cancel}>${t('track.cancel')}</button>` : null}
        ${actErr ? html`<p class="form-error" role="alert" data-code=${actErr.code}>${errorText(actErr)}</p>` : null}
        <table class="quote-table">${(o.place.items || []).map((it) => html`<tr><th scope="row">${it.quantity}× ${it.name || it.product}</th><td>${money(it.total_cents, session.currency)}</td></tr>`)}
          <tr class="total"><th scope="row">${t('order.total')}</th><td>${money(o.place.totals.total_cents, session.currency)}</td></tr></table>
        <${PaymentBox} o=${o} session=${session} />
        ${done ? html`<${RateForm} o=${o} reload=${load} />` : null}
      </div>
      ${delivery ? html`<div data-courier=${tr && !done ? tr.position.lat_e6 + ',' + tr.position.lon_e6 : ''}><${MapView} points=${points} label=${t('track.map')} />
        ${tr && !done ? html`<p class="meta">${t('track.seen_at', { at: time(tr.at, tz) })}</p>` : null}</div>` : null}
    </div>
  </section>`;
}
