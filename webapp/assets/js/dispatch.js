// The dispatcher's board (issue 15): the open delivery orders no courier
// holds, and each courier's column with the orders they hold, live from the
// event stream. Assign by dragging a card onto a courier's column, or with
// the card's courier list and button (keyboard and screen readers); a held
// order is released with Unassign so another courier can claim it. The
// node refuses what the rules refuse (not_dispatcher, not_courier,
// bad_transition), shown on the card. Beside the board, the map: the
// couriers' last known positions (GET /v1/tracking: live tracking, which a
// node has only for orders it is a party of, §16.11), each joined to the
// next stop of the orders they hold, and the pickups of the open orders.
import { html, useState } from '../vendor/preact-htm.js';
import { MapView } from './geo.js';
import { api } from './api.js';
import { useForm, Field, FormError } from './forms.js';
import { t, time, money, errorText } from './i18n.js';
import { useLive, LiveBadge, memberName } from './live.js';

const ZERO = '0'.repeat(64);
const short = (id) => id.slice(0, 6).toUpperCase();
const held = (o) => o.holder && o.holder !== ZERO;
const isDelivery = (o) => o.place && String(o.place.fulfilment).includes('delivery');

async function loadBoard() {
  const [coop, orders, tracks] = await Promise.all([api('GET', '/v1/coop'), api('GET', '/v1/orders?open=1'),
    api('GET', '/v1/tracking').catch(() => [])]);
  return { coop, tracks, orders: orders.filter((o) => isDelivery(o) && !['placed', 'refused', 'cancelled', 'delivered', 'failed', 'fulfilled', 'invalid'].includes(o.status)) };
}

function AssignForm({ order, couriers }) {
  const f = useForm({ courier: '' }, {
    check: (v) => (v.courier ? {} : { courier: 'dispatch.pick_courier' }),
    send: (v) => api('POST', `/v1/orders/${order.id}/assign`, { courier: v.courier }),
    codeField: { not_courier: 'courier' },
  });
  return html`<form class="assign" onSubmit=${f.submit} novalidate>
    <${FormError} form=${f} />
    <${Field} form=${f} name="courier" label=${t('dispatch.courier')} options=${[['', t('gov.pick')], ...couriers.map((m) => [m.key, m.name || m.key.slice(0, 8)])]} />
    <button class="primary" disabled=${f.busy}>${t('dispatch.assign')}</button></form>`;
}

function UnassignForm({ order }) {
  const f = useForm({}, { send: () => api('POST', `/v1/orders/${order.id}/unassign`, { reason: 'dispatcher' }) });
  return html`<form class="unassign" onSubmit=${f.submit}><${FormError} form=${f} />
    <button disabled=${f.busy}>${t('dispatch.unassign')}</button></form>`;
}

function Card({ order, data, session, couriers, dragErr }) {
  const ready = order.accepted_at ? order.accepted_at + ((order.prep_minutes || 0) + (order.delay_minutes || 0)) * 60000 : 0;
  const p = order.place || {};
  return html`<li class=${'dcard status-' + order.status} data-order=${order.id} draggable="true"
      onDragStart=${(e) => { e.dataTransfer.setData('text/plain', order.id); e.dataTransfer.effectAllowed = 'move'; }}>
    <header><strong>#${short(order.id)}</strong> <span class="badge">${t('status.' + order.status)}</span>
      ${held(order) && !order.holder_confirmed ? html`<span class="badge pending">${t('dispatch.unconfirmed')}</span>` : null}</header>
    <p class="meta">${memberName(data.coop, order.restaurant)}${ready ? ' · ' + t('order.ready_at', { at: time(ready, session.tz) }) : ''}
      ${p.totals ? ' · ' + money(p.totals.delivery_cents, session.currency) : ''}</p>
    ${dragErr ? html`<p class="form-error" role="alert" data-code=${dragErr.code}>${errorText(dragErr)}</p>` : null}
    ${held(order) ? html`<${UnassignForm} order=${order} />` : html`<${AssignForm} order=${order} couriers=${couriers} />`}
  </li>`;
}

// Column is a drop target: a card dropped on a courier's column assigns
// the order to that courier.
function Column({ id, title, orders, courier, onDrop, children }) {
  const [over, setOver] = useState(false);
  return html`<section class=${'dcol' + (over ? ' over' : '')} data-courier=${courier || ''} aria-labelledby=${'dc-' + id}
      onDragOver=${courier ? (e) => { e.preventDefault(); setOver(true); } : undefined}
      onDragLeave=${() => setOver(false)}
      onDrop=${courier ? (e) => { e.preventDefault(); setOver(false); onDrop(e.dataTransfer.getData('text/plain'), courier); } : undefined}>
    <h2 id=${'dc-' + id}>${title} <span class="n">(${orders.length})</span></h2>
    <ul class="dcards">${children}</ul>
  </section>`;
}

// CouriersMap: each courier's latest position (by the orders they hold),
// the next stop of each held order and the open orders' pickups.
function CouriersMap({ data, open, session }) {
  const byOrder = Object.fromEntries(data.orders.map((o) => [o.id, o]));
  const last = {};
  for (const tr of data.tracks || []) {
    const o = byOrder[tr.order];
    if (!o || !held(o)) continue;
    if (!last[o.holder] || last[o.holder].at < tr.at) last[o.holder] = tr;
  }
  const points = [], lines = [];
  for (const o of open) points.push({ kind: 'restaurant', pos: o.place.pickup, label: '#' + short(o.id) });
  for (const o of data.orders.filter(held)) {
    const stop = o.status === 'picked_up' ? o.place.dropoff_area : o.place.pickup;
    points.push({ kind: o.status === 'picked_up' ? 'home' : 'restaurant', pos: stop, label: '#' + short(o.id) });
    if (last[o.holder]) lines.push([last[o.holder].position, stop, 'job']);
  }
  const seen = Object.entries(last).map(([k, tr]) => ({ key: k, tr, name: memberName(data.coop, k) }));
  for (const c of seen) points.push({ kind: 'courier', pos: c.tr.position, label: c.name, id: c.key });
  return html`<aside class="dispatch-map" aria-labelledby="dm-h"><h2 id="dm-h" class="sr">${t('dispatch.map')}</h2>
    <${MapView} points=${points} lines=${lines} label=${t('dispatch.map')} />
    ${seen.length ? html`<ul class="seen">${seen.map((c) => html`<li data-courier=${c.key}>${t('dispatch.seen', { name: c.name, at: time(c.tr.at, session.tz) })}</li>`)}</ul>`
      : html`<p class="hint no-positions">${t('dispatch.no_positions')}</p>`}
    <p class="hint">${t('dispatch.positions')}</p></aside>`;
}

export function Dispatch({ session }) {
  const { data, err, live } = useLive(loadBoard, ['order', 'coop', 'tracking']);
  const [dragErr, setDragErr] = useState({});
  if (err) return html`<section class="screen dispatch"><h1>${t('nav.board')}</h1><p class="error" role="alert">${errorText(err)}</p></section>`;
  if (!data) return html`<section class="screen dispatch" aria-busy="true"><p>${t('app.loading')}</p></section>`;
  const couriers = Object.values(data.coop.members || {}).filter((m) => !m.revoked_at && (m.roles || []).includes('courier'))
    .sort((a, b) => (a.name || a.key).localeCompare(b.name || b.key));
  const open = data.orders.filter((o) => !held(o));
  const drop = async (id, courier) => {
    try {
      await api('POST', `/v1/orders/${id}/assign`, { courier });
      setDragErr({});
    } catch (e) { setDragErr({ [id]: e }); }
  };
  const card = (o) => html`<${Card} order=${o} data=${data} session=${session} couriers=${couriers} dragErr=${dragErr[o.id]} key=${o.id} />`;
  return html`<section class="screen dispatch" data-open=${open.length}>
    <h1>${t('nav.board')} <${LiveBadge} live=${live} /></h1>
    <p class="intro">${t('dispatch.intro')}</p>
    <div class="dispatch-grid"><div class="board">
      <${Column} id="open" title=${t('dispatch.open')} orders=${open}>${open.map(card)}<//>
      ${couriers.map((c) => {
        const mine = data.orders.filter((o) => o.holder === c.key);
        return html`<${Column} id=${c.key.slice(0, 8)} title=${c.name || c.key.slice(0, 8)} orders=${mine} courier=${c.key} onDrop=${drop}>${mine.map(card)}
          ${mine.length ? null : html`<li class="empty">${t('dispatch.drop_here')}</li>`}<//>`;
      })}
    </div>
    <${CouriersMap} data=${data} open=${open} session=${session} /></div>
  </section>`;
}
