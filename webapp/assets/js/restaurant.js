// The restaurant's screens: incoming orders with a sound and a pop-up the
// moment they reach the node (the event stream), cancellations alike;
// accept with a preparation time, refuse with a reason, delay, ready,
// collected; today's orders and takings; the printable kitchen ticket.
import { html, useState, useEffect, useRef } from '../vendor/preact-htm.js';
import { api, events } from './api.js';
import { useForm, Field, FormError } from './forms.js';
import { t, money, time, dateTime, dayKey, errorText } from './i18n.js';
import { PaymentLine } from './payment.js';
import { ProofNote } from './proof.js';

const REFUSALS = ['sold_out', 'rush_hour', 'closing'];
const DELAYS = [10, 20, 30];
// MAX_PREP bounds the preparation time the form accepts (a day, as the
// profile's prep_minutes, spec §5.3.3).
const MAX_PREP = 1440;
const KITCHEN = new Set(['accepted', 'preparing']);
const LOST = new Set(['refused', 'cancelled']);

const short = (id) => id.slice(0, 6).toUpperCase();

// optionNames maps option value IDs to names from the menu.
function optionNames(menu) {
  const m = {};
  for (const s of (menu && menu.sections) || []) for (const p of s.products || []) {
    for (const o of p.options || []) for (const v of o.values || []) m[v.id] = v.name || v.id;
  }
  return m;
}

// playAlert rings the alert; window.coopnodeAlerts counts the plays that
// really started (the browser test asserts it), and a refusal by the
// browser's autoplay rule asks for one click to allow sound.
export function playAlert(setBlocked) {
  const a = document.getElementById('alert-sound');
  if (!a) return;
  a.currentTime = 0;
  a.play().then(() => { window.coopnodeAlerts = (window.coopnodeAlerts || 0) + 1; setBlocked(false); },
    () => setBlocked(true));
}

function Items({ order, names }) {
  return html`<ul class="items">${(order.place.items || []).map((it) => html`<li>
    <span class="qty">${it.quantity}×</span> <span class="name">${it.name || it.product}</span>
    ${!it.name && (it.options || []).length ? html`<span class="opts"> — ${it.options.map((o) => names[o] || o).join(', ')}</span>` : null}
  </li>`)}</ul>`;
}

function AcceptForm({ order, session, done }) {
  const f = useForm({ prep_minutes: String((session.profile && session.profile.prep_minutes) || 15) }, {
    check: (v) => (/^\d+$/.test(v.prep_minutes.trim()) && +v.prep_minutes >= 1 && +v.prep_minutes <= MAX_PREP ? {} : { prep_minutes: 'form.prep_range' }),
    send: (v) => api('POST', `/v1/orders/${order.id}/accept`, { prep_minutes: +v.prep_minutes }),
    codeField: { bad_field: 'prep_minutes' }, done,
  });
  return html`<form class="act accept" onSubmit=${f.submit} novalidate>
    <${FormError} form=${f} />
    <${Field} form=${f} name="prep_minutes" label=${t('order.prep_minutes')} type="text" inputmode="numeric" />
    <button class="primary" disabled=${f.busy}>${t('order.accept')}</button></form>`;
}

function RefuseForm({ order, done }) {
  const f = useForm({ reason: '' }, {
    send: (v) => api('POST', `/v1/orders/${order.id}/refuse`, { reason: v.reason }),
    codeField: { bad_reason: 'reason', bad_field: 'reason' }, done,
  });
  return html`<form class="act refuse" onSubmit=${f.submit} novalidate>
    <${FormError} form=${f} />
    <${Field} form=${f} name="reason" label=${t('order.reason')}
      options=${[['', t('order.reason_pick')], ...REFUSALS.map((r) => [r, t('reason.' + r)])]} />
    <button class="danger" disabled=${f.busy}>${t('order.refuse')}</button></form>`;
}

function DelayForm({ order }) {
  const f = useForm({ minutes: '10' }, {
    send: (v) => api('POST', `/v1/orders/${order.id}/delay`, { minutes: +v.minutes }),
    codeField: { bad_field: 'minutes' },
  });
  return html`<form class="act delay" onSubmit=${f.submit} novalidate>
    <${FormError} form=${f} />
    <${Field} form=${f} name="minutes" label=${t('order.delay_by')} options=${DELAYS.map((m) => [String(m), t('order.minutes', { n: m })])} />
    <button disabled=${f.busy}>${t('order.delay')}</button></form>`;
}

// Step is a one-tap action (start preparing, ready, collected).
function Step({ order, action, label, primary }) {
  const f = useForm({}, { send: () => api('POST', `/v1/orders/${order.id}/${action}`) });
  return html`<form class="act step" onSubmit=${f.submit}><${FormError} form=${f} />
    <button class=${primary ? 'primary' : ''} disabled=${f.busy} data-action=${action}>${label}</button></form>`;
}

function OrderCard({ order, session, names }) {
  const p = order.place;
  const delivery = p.fulfilment === 'delivery' || p.fulfilment === 1;
  const ready = order.accepted_at ? order.accepted_at + ((order.prep_minutes || 0) + (order.delay_minutes || 0)) * 60000 : 0;
  return html`<article class=${'order status-' + order.status} data-order=${order.id} aria-labelledby=${'o-' + order.id}>
    <header><h3 id=${'o-' + order.id}>#${short(order.id)}</h3>
      <span class="badge">${t('status.' + order.status)}</span>
      <span class="meta">${time(order.placed_at, session.tz)} · ${t(delivery ? 'order.delivery' : 'order.collection')}
        ${p.slot && p.slot.start ? ' · ' + t('order.slot', { from: time(p.slot.start, session.tz), to: time(p.slot.end, session.tz) }) : ' · ' + t('order.asap')}</span>
    </header>
    <${Items} order=${order} names=${names} />
    ${p.note ? html`<p class="note">${p.note}</p>` : null}
    <p class="total">${t('order.total')} <strong>${money(p.totals && p.totals.total_cents, session.currency)}</strong>
      ${ready && KITCHEN.has(order.status) ? html` · ${t('order.ready_at', { at: time(ready, session.tz) })}` : null}</p>
    <${PaymentLine} order=${order} />
    <div class="actions">
      ${order.status === 'placed' ? html`<${AcceptForm} order=${order} session=${session} /><${RefuseForm} order=${order} />` : null}
      ${order.status === 'accepted' ? html`<${Step} order=${order} action="start-preparing" label=${t('order.start_preparing')} />` : null}
      ${KITCHEN.has(order.status) ? html`<${Step} order=${order} action="ready" label=${t('order.ready')} primary /><${DelayForm} order=${order} />` : null}
      ${order.status === 'ready' && !delivery ? html`<${Step} order=${order} action="fulfil" label=${t('order.collected')} primary />` : null}
      ${order.status === 'ready' && delivery ? html`<p class="wait">${t('order.wait_courier')}</p>` : null}
      <a class="ticket-link" href=${'#/restaurant/ticket/' + order.id}>${t('order.ticket')}</a>
    </div>
  </article>`;
}

// Popup is the alert for a new or cancelled order. data-shown-at is the
// wall time it appeared (the browser test measures the alert latency).
function Popup({ alert, session, names, onClose }) {
  const ref = useRef(null);
  useEffect(() => {
    if (ref.current) {
      ref.current.dataset.shownAt = String(Date.now());
      const b = ref.current.querySelector('input, select, button');
      if (b) b.focus();
    }
  }, [alert.key]);
  const o = alert.order;
  const isNew = alert.type === 'new';
  return html`<div class="popup-back"><div class=${'popup popup-' + alert.type} role="alertdialog" aria-modal="true"
      aria-labelledby="popup-title" ref=${ref} data-order=${o.id} data-type=${alert.type}>
    <h2 id="popup-title">${t(isNew ? 'alert.new_order' : 'alert.cancelled', { id: short(o.id) })}</h2>
    <p class="meta">${time(o.placed_at, session.tz)} · ${money(o.place.totals && o.place.totals.total_cents, session.currency)}</p>
    <${Items} order=${o} names=${names} />
    ${isNew && o.status === 'placed'
      ? html`<div class="actions"><${AcceptForm} order=${o} session=${session} done=${onClose} /><${RefuseForm} order=${o} done=${onClose} /></div>`
      : null}
    <button class="close" onClick=${onClose}>${isNew ? t('alert.later') : t('alert.ok')}</button>
  </div></div>`;
}

function Today({ orders, session }) {
  const today = dayKey(Date.now(), session.tz);
  const list = orders.filter((o) => dayKey(o.placed_at, session.tz) === today);
  const kept = list.filter((o) => !LOST.has(o.status));
  const takings = kept.reduce((s, o) => s + ((o.place.totals && o.place.totals.items_cents) || 0), 0);
  return html`<section class="today" aria-labelledby="today-h"><h2 id="today-h">${t('today.title')}</h2>
    <p class="figures"><span data-today-count>${t('today.orders', { n: kept.length })}</span>${' · '}<span data-today-takings>${t('today.takings', { amount: money(takings, session.currency) })}</span></p>
    <table><thead><tr><th>${t('today.time')}</th><th>${t('today.order')}</th><th>${t('today.status')}</th><th>${t('today.amount')}</th><th>${t('pay.title')}</th></tr></thead>
    <tbody>${list.map((o) => html`<tr><td>${time(o.placed_at, session.tz)}</td>
      <td><a href=${'#/restaurant/ticket/' + o.id}>#${short(o.id)}</a></td><td>${t('status.' + o.status)}${o.proof ? html`<br /><${ProofNote} o=${o} compact=${true} />` : null}</td>
      <td>${money(o.place.totals && o.place.totals.items_cents, session.currency)}</td><td data-pay-order=${o.id}><${PaymentLine} order=${o} /></td></tr>`)}</tbody></table></section>`;
}

export function RestaurantOrders({ session }) {
  const [orders, setOrders] = useState({});
  const [alerts, setAlerts] = useState([]);
  const [live, setLive] = useState(false);
  const [blocked, setBlocked] = useState(false);
  const [err, setErr] = useState(null);
  const names = optionNames(session.menu);

  useEffect(() => {
    let gone = false;
    const mine = (o) => o && o.restaurant === session.me;
    const load = async () => {
      try {
        const open = await api('GET', '/v1/orders?open=1&mine=1');
        if (gone) return;
        setOrders((cur) => ({ ...cur, ...Object.fromEntries(open.filter(mine).map((o) => [o.id, o])) }));
        // first paint: the frame after the open orders are rendered
        requestAnimationFrame(() => requestAnimationFrame(() => { window.coopnodeFirstPaint = window.coopnodeFirstPaint || performance.now(); }));
        const all = await api('GET', '/v1/orders?mine=1');
        if (!gone) setOrders(Object.fromEntries(all.filter(mine).map((o) => [o.id, o])));
      } catch (e) { setErr(e); }
    };
    load();
    let wasDown = false;
    const stop = events((ch) => {
      if (ch.scope !== 'order' || !mine(ch.order)) return;
      const o = ch.order;
      setOrders((cur) => ({ ...cur, [o.id]: o }));
      let type = null;
      if (ch.kind === 'order.place' && o.status === 'placed' && !ch.local) type = 'new';
      if (ch.kind === 'order.cancel' && !ch.local) type = 'cancel';
      if (type) {
        setAlerts((cur) => [...cur.filter((a) => a.order.id !== o.id), { type, order: o, key: ch.event }]);
        playAlert(setBlocked);
      } else {
        // an alert shows the order as it is now (accepted elsewhere, …)
        setAlerts((cur) => cur.map((a) => (a.order.id === o.id ? { ...a, order: o } : a)));
      }
    }, (up) => {
      setLive(up);
      if (up && wasDown) load(); // changes while away are not replayed: re-read
      wasDown = !up;
    });
    return () => { gone = true; stop(); };
  }, [session.me]);

  const list = Object.values(orders).sort((a, b) => a.placed_at - b.placed_at);
  const col = (pred) => list.filter(pred);
  const close = () => setAlerts((cur) => cur.slice(1));
  return html`<section class="screen restaurant">
    <h1>${t('nav.orders')} <span class=${'live ' + (live ? 'on' : 'off')} role="status">${t(live ? 'live.on' : 'live.off')}</span></h1>
    ${blocked ? html`<p class="sound-blocked" role="alert"><button onClick=${() => playAlert(setBlocked)}>${t('alert.enable_sound')}</button></p>` : null}
    ${err ? html`<p class="error" role="alert">${errorText(err)}</p>` : null}
    <div class="columns">
      <section aria-labelledby="col-new"><h2 id="col-new">${t('col.new')}</h2>
        ${col((o) => o.status === 'placed').map((o) => html`<${OrderCard} key=${o.id} order=${o} session=${session} names=${names} />`)}</section>
      <section aria-labelledby="col-kitchen"><h2 id="col-kitchen">${t('col.kitchen')}</h2>
        ${col((o) => KITCHEN.has(o.status)).map((o) => html`<${OrderCard} key=${o.id} order=${o} session=${session} names=${names} />`)}</section>
      <section aria-labelledby="col-ready"><h2 id="col-ready">${t('col.ready')}</h2>
        ${col((o) => o.status === 'ready').map((o) => html`<${OrderCard} key=${o.id} order=${o} session=${session} names=${names} />`)}</section>
    </div>
    <${Today} orders=${list} session=${session} />
    ${alerts.length ? html`<${Popup} key=${alerts[0].key} alert=${alerts[0]} session=${session} names=${names} onClose=${close} />` : null}
  </section>`;
}

const PRINTED = 'coopnode.printed';
const printed = () => JSON.parse(localStorage.getItem(PRINTED) || '{}');

// Ticket is the kitchen ticket: large quantities, options, the note, and
// the customer's name when the order's personal data is shared with this
// node. Printing marks it printed (on this browser).
export function Ticket({ session, id }) {
  const [o, setO] = useState(null);
  const [who, setWho] = useState(null);
  const [err, setErr] = useState(null);
  const [when, setWhen] = useState(printed()[id] || 0);
  useEffect(() => {
    api('GET', `/v1/orders/${id}`).then(setO, setErr);
    api('GET', `/v1/orders/${id}/personal`).then(setWho, () => setWho(null));
  }, [id]);
  if (err) return html`<p class="error" role="alert">${errorText(err)}</p>`;
  if (!o) return html`<p aria-busy="true">${t('app.loading')}</p>`;
  const print = () => {
    const all = printed();
    all[id] = Date.now();
    localStorage.setItem(PRINTED, JSON.stringify(all));
    setWhen(all[id]);
    window.print();
  };
  const p = o.place;
  const delivery = p.fulfilment === 'delivery' || p.fulfilment === 1;
  return html`<section class="screen">
    <p class="no-print"><a href="#/restaurant">← ${t('nav.orders')}</a>
      <button class="primary" onClick=${print}>${t('ticket.print')}</button>
      ${when ? html`<span class="printed">${t('ticket.printed', { at: time(when, session.tz) })}</span>` : null}</p>
    <article class="ticket" aria-label=${t('order.ticket')}>
      <h1>#${short(o.id)}</h1>
      <p class="ticket-meta">${session.profile ? session.profile.name : ''}<br />${dateTime(o.placed_at, session.tz)}<br />
        <strong>${t(delivery ? 'order.delivery' : 'order.collection')}</strong> ·
        ${p.slot && p.slot.start ? t('order.slot', { from: time(p.slot.start, session.tz), to: time(p.slot.end, session.tz) }) : t('order.asap')}</p>
      <${Items} order=${o} names=${optionNames(session.menu)} />
      ${p.note ? html`<p class="note">${p.note}</p>` : null}
      ${who ? html`<p class="customer">${who.name}${who.instructions ? html`<br />${who.instructions}` : null}</p>` : null}
      <p class="total">${t('order.total')} ${money(p.totals && p.totals.total_cents, session.currency)}</p>
      <p class="status">${t('status.' + o.status)}</p>
    </article></section>`;
}
