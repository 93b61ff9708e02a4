// The courier's "My deliveries": every order this courier holds or held
// (GET /v1/orders?mine=1, holder = this member), today's first then the
// earlier ones by day, each with its status in words, when it ended, the
// restaurant, the pay and tip from the coop's pay table for this courier
// (GET /v1/exports/pay.csv?courier=ME: what the rules give, SPEC.md
// §16.10.3) and the proof of delivery (proof.js). Live as orders change.
import { html, useState, useEffect, useRef } from '../vendor/preact-htm.js';
import { api, events } from './api.js';
import { t, has, money, time, dayKey, locale, errorText } from './i18n.js';
import { loadPay } from './earnings.js';
import { ProofNote } from './proof.js';

const ENDED = new Set(['delivered', 'fulfilled', 'failed', 'cancelled', 'refused', 'invalid']);
const short = (id) => id.slice(0, 6).toUpperCase();

// endedAt is when the order last changed: its last applied step.
function endedAt(o) {
  const s = o.steps || [];
  return s.length ? s[s.length - 1].wall : o.placed_at;
}

// dayTitle names a day ("Tuesday 1 December 2026") in the coop's zone.
function dayTitle(ms, tz) {
  try { return new Intl.DateTimeFormat(locale, { dateStyle: 'full', timeZone: tz }).format(new Date(ms)); } catch { return dayKey(ms, tz); }
}

function restaurantName(rs, key) {
  const r = rs.find((x) => x.key === key);
  return (r && r.profile && r.profile.name) || short(key);
}

function Row({ o, pay, rs, session, tz }) {
  const p = pay[o.id];
  return html`<li class=${'delivery status-' + o.status} data-order=${o.id} data-status=${o.status}
      data-pay=${p ? p.pay_cents : ''} data-tip=${p ? p.tip_share_cents : ''}>
    <header><h3>${restaurantName(rs, o.restaurant)} <span class="ref">#${short(o.id)}</span></h3>
      <span class="status">${t('courier.status.' + o.status)}</span>
      <span class="meta when">${ENDED.has(o.status) ? time(endedAt(o), tz) : t('deliveries.ongoing')}</span></header>
    <p class="pay">${p ? t('deliveries.pay', { pay: money(Number(p.pay_cents), session.currency), tip: money(Number(p.tip_share_cents), session.currency) })
      : ENDED.has(o.status) ? t('deliveries.no_pay') : t('deliveries.pay_later')}</p>
    ${o.reason ? html`<p class="meta reason">${has('fail.' + o.reason) ? t('fail.' + o.reason) : o.reason}</p>` : null}
    <${ProofNote} o=${o} mine=${true} />
    ${!ENDED.has(o.status) ? html`<p><a href="#/courier">${t('deliveries.continue')}</a></p>` : null}
  </li>`;
}

export function MyDeliveries({ session }) {
  const [orders, setOrders] = useState(null);
  const [pay, setPay] = useState({});
  const [rs, setRs] = useState([]);
  const [err, setErr] = useState(null);
  const seq = useRef(0);
  const tz = (session.coop && session.coop.timezone) || session.tz;
  const load = async () => {
    const n = ++seq.current;
    try {
      const [os, rows, r] = await Promise.all([api('GET', '/v1/orders?mine=1'), loadPay(session.me), api('GET', '/v1/restaurants')]);
      if (n !== seq.current) return;
      setOrders(os.filter((o) => o.holder === session.me).sort((a, b) => endedAt(b) - endedAt(a)));
      setPay(Object.fromEntries(rows.map((x) => [x.order, x])));
      setRs(r);
      setErr(null);
    } catch (e) {
      if (n === seq.current) setErr(e);
    }
  };
  useEffect(() => {
    load();
    let timer = 0;
    return events((ch) => {
      if (ch.scope !== 'order') return;
      clearTimeout(timer);
      timer = setTimeout(load, 200);
    }, (on) => { if (on) load(); });
  }, []);
  const today = dayKey(Date.now(), tz);
  const list = orders || [];
  const days = [];
  for (const o of list) {
    const d = dayKey(endedAt(o), tz);
    if (!days.length || days[days.length - 1].day !== d) days.push({ day: d, at: endedAt(o), orders: [] });
    days[days.length - 1].orders.push(o);
  }
  const todays = list.filter((o) => dayKey(endedAt(o), tz) === today);
  const done = todays.filter((o) => o.status === 'delivered' || o.status === 'fulfilled').length;
  const earned = todays.reduce((s, o) => s + (pay[o.id] ? Number(pay[o.id].pay_cents) : 0), 0);
  return html`<section class="screen courier deliveries" data-loaded=${orders ? '1' : '0'} data-count=${list.length}>
    <h1>${t('nav.tasks')}</h1>
    ${err ? html`<p class="error" role="alert" data-code=${err.code}>${errorText(err)}</p>` : null}
    ${orders === null && !err ? html`<p aria-busy="true">${t('app.loading')}</p>` : null}
    ${orders ? html`<p class="figures today-figures" data-delivered=${done} data-earned=${earned}>
        ${t('deliveries.today', { n: done, amount: money(earned, session.currency) })}</p>
      ${list.length === 0 ? html`<p class="empty">${t('deliveries.none')}</p>`
        : days.map((d) => html`<section class="day" data-day=${d.day}>
          <h2>${d.day === today ? t('earn.today') : dayTitle(d.at, tz)}</h2>
          <ul class="deliveries">${d.orders.map((o) => html`<${Row} key=${o.id} o=${o} pay=${pay} rs=${rs} session=${session} tz=${tz} />`)}</ul>
        </section>`)}` : null}
  </section>`;
}
