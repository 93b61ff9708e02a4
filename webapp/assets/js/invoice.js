// A restaurant's monthly invoice (issue 17; SPEC.md §16.10.6), as a
// printable page: the node's invoice table (GET /v1/exports/invoice.csv)
// for one restaurant and month, with the settlement between the
// restaurant, the coop and its couriers said in words — who pays whom, and
// how much, never a negative figure — then every order line. The page
// prints on A4 (print CSS in invoice.css): the app's navigation and the
// controls are left out, the table's header repeats on every page.
import { html, useState } from '../vendor/preact-htm.js';
import { api, ApiError } from './api.js';
import { t, money, errorText, dayKey } from './i18n.js';
import { useLive, LiveBadge, memberName } from './live.js';
import { parseCSV } from './earnings.js';

// the amount columns of the lines, in the order the table shows them
const COLS = ['items_cents', 'delivery_cents', 'tip_cents', 'platform_fee_cents', 'restaurant_net_cents',
  'restaurant_owes_coop_cents', 'coop_owes_restaurant_cents', 'restaurant_owes_courier_cents'];

async function loadInvoice(restaurant, month) {
  const coop = await api('GET', '/v1/coop');
  if (!restaurant) return { coop, lines: [], total: null, balance: null };
  const res = await fetch(`/v1/exports/invoice.csv?restaurant=${restaurant}&month=${month}`, { credentials: 'same-origin' });
  const text = await res.text();
  if (!res.ok) { let b = {}; try { b = JSON.parse(text); } catch { b = { error: text }; } throw new ApiError(res.status, b); }
  const [head, ...rows] = parseCSV(text).filter((r) => r.length > 1);
  const recs = rows.map((r) => Object.fromEntries(head.map((h, i) => [h, r[i]])));
  return { coop, text, lines: recs.filter((r) => r.order !== 'total' && r.order !== 'balance'),
    total: recs.find((r) => r.order === 'total'), balance: recs.find((r) => r.order === 'balance') };
}

// Settlement says the month's balance and what else changes hands.
function Settlement({ data, restaurant, cur }) {
  const m = (c) => money(Number(c || 0), cur);
  const rname = memberName(data.coop, restaurant);
  const coop = data.coop.name;
  const b = data.balance || {};
  const owes = Number(b.restaurant_owes_coop_cents || 0), owed = Number(b.coop_owes_restaurant_cents || 0);
  const dir = owes > 0 ? 'restaurant_pays' : owed > 0 ? 'coop_pays' : 'even';
  const tot = data.total || {};
  const unrecorded = data.lines.filter((l) => l.collected_by === 'unrecorded').length;
  const line = (key, cents) => (Number(cents || 0) ? html`<tr><th scope="row">${t(key)}</th><td class="num">${m(cents)}</td></tr>` : null);
  return html`<section class="settlement" data-balance-dir=${dir} data-balance=${owes || owed} aria-labelledby="inv-settle">
    <h2 id="inv-settle">${t('inv.settlement')}</h2>
    <p class="balance">${dir === 'even' ? t('inv.even') : t('inv.pays', dir === 'restaurant_pays'
      ? { payer: rname, payee: coop, amount: m(owes) } : { payer: coop, payee: rname, amount: m(owed) })}</p>
    <table class="settle-lines"><tbody>
      ${line('inv.restaurant_owes_coop', tot.restaurant_owes_coop_cents)}
      ${line('inv.coop_owes_restaurant', tot.coop_owes_restaurant_cents)}
      ${line('inv.restaurant_owes_courier', tot.restaurant_owes_courier_cents)}
      ${line('inv.courier_owes_coop', tot.courier_owes_coop_cents)}
    </tbody></table>
    <p class="hint">${t('inv.tips', { amount: m(tot.tip_to_courier_cents) })}</p>
    ${unrecorded ? html`<p class="unrecorded" role="note">${t('inv.unrecorded', { n: unrecorded })}</p>` : null}
  </section>`;
}

function Lines({ data, cur }) {
  const m = (c) => (c === '' ? '' : money(Number(c), cur));
  if (!data.lines.length) return html`<p class="none">${t('inv.none')}</p>`;
  const tot = data.total || {};
  return html`<table class="invoice-lines"><thead><tr>
      <th scope="col">${t('inv.day')}</th><th scope="col">${t('inv.order')}</th><th scope="col">${t('inv.how')}</th>
      ${COLS.map((c) => html`<th scope="col" class="num">${t('inv.col.' + c)}</th>`)}</tr></thead>
    <tbody>${data.lines.map((l) => html`<tr data-order=${l.order} data-collected=${l.collected_by}>
      <td>${l.day}</td><td>#${l.order.slice(0, 6).toUpperCase()}</td>
      <td>${t('inv.method.' + l.method)}, ${t('inv.collected.' + (l.collected_by || 'none'))}${l.status === 'delivered' || l.status === 'fulfilled' ? '' : ' · ' + l.status}</td>
      ${COLS.map((c) => html`<td class="num">${m(l[c])}</td>`)}</tr>`)}</tbody>
    <tfoot><tr><th scope="row" colspan="3">${t('inv.total')}</th>${COLS.map((c) => html`<td class="num">${m(tot[c] || '0')}</td>`)}</tr></tfoot></table>`;
}

function thisMonth(tz) {
  return dayKey(Date.now(), tz).slice(0, 7);
}

export function Invoice({ session }) {
  const isResto = session.roles.has('restaurant') || session.roles.has('shop');
  const tz = (session.coop && session.coop.timezone) || session.tz;
  const [month, setMonth] = useState(thisMonth(tz));
  const restos = session.coop ? Object.values(session.coop.members || {}).filter((x) => (x.roles || []).some((r) => r === 'restaurant' || r === 'shop')) : [];
  const [restaurant, setRestaurant] = useState(isResto ? session.me : (restos[0] && restos[0].key) || '');
  const { data, err, live } = useLive(() => loadInvoice(restaurant, month), ['coop', 'order'], [restaurant, month]);
  const cur = session.currency;
  const monthName = (() => { try { return new Intl.DateTimeFormat(undefined, { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(month + '-01T12:00:00Z')); } catch { return month; } })();
  const download = () => {
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([data.text || ''], { type: 'text/csv' }));
    a.download = `invoice-${month}.csv`;
    document.body.appendChild(a); a.click(); a.remove();
  };
  return html`<section class="screen invoice-screen">
    <div class="controls no-print">
      <h1>${t('nav.invoice')} <${LiveBadge} live=${live} /></h1>
      <p class="intro">${t('inv.intro')}</p>
      <div class="row">
        <label class="field">${t('inv.month')}<input type="month" name="month" value=${month} onInput=${(e) => /^\d{4}-\d{2}$/.test(e.target.value) && setMonth(e.target.value)} /></label>
        ${isResto ? null : html`<label class="field">${t('role1.restaurant')}<select name="restaurant" onChange=${(e) => setRestaurant(e.target.value)}>
          ${restos.map((r) => html`<option value=${r.key} selected=${r.key === restaurant}>${r.name || r.key.slice(0, 8)}</option>`)}</select></label>`}
        <button class="primary print" onClick=${() => window.print()} disabled=${!data}>${t('inv.print')}</button>
        <button class="download" onClick=${download} disabled=${!data || !data.text}>${t('inv.csv')}</button>
      </div>
    </div>
    ${err ? html`<p class="error" role="alert" data-code=${err.code}>${errorText(err)}</p>` : null}
    ${!data ? html`<p aria-busy="true">${t('app.loading')}</p>` : !restaurant ? html`<p class="none">${t('inv.no_restaurant')}</p>` : html`
      <article class="invoice-doc" data-rows=${data.lines.length} data-month=${month}>
        <header class="doc-head">
          <h1 class="doc-title">${t('inv.title', { restaurant: memberName(data.coop, restaurant), month: monthName })}</h1>
          <p>${t('inv.between', { coop: data.coop.name, city: data.coop.city || '' })}</p>
          <p class="meta">${t('inv.issued', { day: dayKey(Date.now(), tz), currency: cur })}</p>
        </header>
        <${Settlement} data=${data} restaurant=${restaurant} cur=${cur} />
        <h2>${t('inv.lines', { n: data.lines.length })}</h2>
        <${Lines} data=${data} cur=${cur} />
        <p class="hint doc-foot">${t('inv.foot')}</p>
      </article>`}
  </section>`;
}
