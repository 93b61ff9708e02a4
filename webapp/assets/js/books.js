// The open books (issue 16; SPEC.md §21.3): the cooperative's accounts as
// this node computes them from the signed logs it holds — totals per day,
// week, month, courier and restaurant; the pricing rules in force each day;
// every order and shift line; a courier's own pay statement — with the
// books' digest, which every member's node holding the same events prints
// the same: compare it with another member's to audit. No customer data
// is in the books. The canonical CSV downloads with its digest.
import { html, useState } from '../vendor/preact-htm.js';
import { api, ApiError } from './api.js';
import { useForm, Field, FormError } from './forms.js';
import { t, money, errorText } from './i18n.js';
import { useLive, LiveBadge, memberName } from './live.js';

const VIEWS = ['days', 'weeks', 'months', 'couriers', 'restaurants'];
const COLS = ['orders', 'takings_cents', 'delivery_cents', 'platform_fee_cents', 'courier_pay_cents', 'tip_share_cents', 'top_up_cents'];

function monthStart() {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-01`;
}

function query(p) {
  const q = new URLSearchParams();
  if (p.from) q.set('from', p.from);
  if (p.to) q.set('to', p.to);
  return q.toString();
}

async function loadBooks(p) {
  const [coop, books] = await Promise.all([api('GET', '/v1/coop'), api('GET', '/v1/books' + (query(p) ? '?' + query(p) : ''))]);
  for (const k of ['orders', 'shifts', 'rules']) books[k] = { header: (books[k] && books[k].header) || [], rows: (books[k] && books[k].rows) || [] };
  return { coop, books };
}

function Totals({ rows, view, data, session }) {
  const m = (c) => money(c, session.currency);
  const key = (k) => (view === 'couriers' || view === 'restaurants' ? memberName(data.coop, k) : k);
  if (!rows.length) return html`<p class="none">${t('books.empty')}</p>`;
  return html`<table class="books-totals" data-view=${view}><thead><tr><th>${t('books.key.' + view)}</th>
      ${COLS.map((c) => html`<th class="num">${t('books.col.' + c)}</th>`)}</tr></thead>
    <tbody>${rows.map((r) => html`<tr data-key=${r.key}><td>${key(r.key)}</td>
      ${COLS.map((c) => html`<td class="num">${c === 'orders' ? r.orders : m(r[c])}</td>`)}</tr>`)}</tbody></table>`;
}

// Statement is a courier's own pay statement: their lines of the books.
function Statement({ data, session }) {
  const b = data.books;
  const h = b.orders.header;
  const ci = h.indexOf('courier');
  const mine = b.orders.rows.filter((r) => r[ci] === session.me);
  const shifts = b.shifts.rows.filter((r) => r[b.shifts.header.indexOf('courier')] === session.me);
  const tot = (b.couriers || []).find((x) => x.key === session.me);
  const m = (c) => money(+c, session.currency);
  const col = (r, name) => r[h.indexOf(name)];
  return html`<section class="statement" data-lines=${mine.length} aria-labelledby="b-statement">
    <h2 id="b-statement">${t('books.statement')}</h2>
    ${tot ? html`<p class="figures">${t('books.statement_total', { n: tot.orders, pay: money(tot.courier_pay_cents, session.currency), tips: money(tot.tip_share_cents, session.currency), top: money(tot.top_up_cents, session.currency) })}</p>` : html`<p class="none">${t('books.empty')}</p>`}
    ${mine.length ? html`<table class="books-lines"><thead><tr><th>${t('books.day')}</th><th>${t('books.order')}</th><th>${t('books.key.restaurants')}</th>
      <th class="num">${t('books.col.courier_pay_cents')}</th><th class="num">${t('books.col.tip_share_cents')}</th></tr></thead>
      <tbody>${mine.map((r) => html`<tr><td>${col(r, 'day')}</td><td>#${col(r, 'order').slice(0, 6).toUpperCase()}</td><td>${memberName(data.coop, col(r, 'restaurant'))}</td>
        <td class="num">${m(col(r, 'courier_pay_cents'))}</td><td class="num">${m(col(r, 'tip_share_cents'))}</td></tr>`)}</tbody></table>` : null}
    ${shifts.length ? html`<p>${t('books.shift_lines', { n: shifts.length })}</p>` : null}
  </section>`;
}

function Table({ table, cls }) {
  return html`<table class=${'books-raw ' + cls}><thead><tr>${table.header.map((c) => html`<th>${c}</th>`)}</tr></thead>
    <tbody>${table.rows.map((r) => html`<tr>${r.map((v) => html`<td>${/^[0-9a-f]{64}$/.test(v) ? v.slice(0, 8) + '…' : v}</td>`)}</tr>`)}</tbody></table>`;
}

export function Books({ session }) {
  const [period, setPeriod] = useState({ from: monthStart(), to: '' });
  const { data, err, live } = useLive(() => loadBooks(period), ['coop', 'order'], [period.from, period.to]);
  const [view, setView] = useState('days');
  const [copied, setCopied] = useState(false);
  const [csv, setCsv] = useState(null);
  const f = useForm({ from: period.from, to: '' }, {
    check: (v) => (v.from && v.to && v.from > v.to ? { to: 'books.to_before_from' } : {}),
    send: async (v) => {
      await api('GET', '/v1/books?' + query(v)); // the node's refusal, by its field
      setPeriod({ from: v.from, to: v.to });
    },
    codeField: { bad_argument: 'from' },
  });
  const download = async () => {
    const res = await fetch('/v1/books?format=csv' + (query(period) ? '&' + query(period) : ''), { credentials: 'same-origin' });
    const text = await res.text();
    if (!res.ok) { let b = {}; try { b = JSON.parse(text); } catch { b = { error: text }; } setCsv({ err: new ApiError(res.status, b) }); return; }
    const name = `books-${period.from || 'start'}-${period.to || 'now'}.csv`;
    const url = URL.createObjectURL(new Blob([text], { type: 'text/csv' }));
    const a = document.createElement('a');
    a.href = url; a.download = name; document.body.appendChild(a); a.click(); a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
    setCsv({ name, digest: res.headers.get('X-Books-Digest') });
  };
  const copy = async () => {
    try { await navigator.clipboard.writeText(data.books.digest); } catch { /* the digest stays selectable */ }
    setCopied(true);
  };
  const courier = data && (data.coop.members[session.me] || {}).roles && data.coop.members[session.me].roles.includes('courier');
  return html`<section class="screen books" data-digest=${data ? data.books.digest : ''}>
    <h1>${t('nav.books')} <${LiveBadge} live=${live} /></h1>
    <p class="intro">${t('books.intro')}</p>
    <form class="period" onSubmit=${f.submit} novalidate>
      <${FormError} form=${f} />
      <${Field} form=${f} name="from" label=${t('books.from')} type="date" />
      <${Field} form=${f} name="to" label=${t('books.to')} type="date" />
      <button class="primary" disabled=${f.busy}>${t('books.show')}</button>
    </form>
    ${err ? html`<p class="error" role="alert">${errorText(err)}</p>` : null}
    ${!data ? html`<p aria-busy="true">${t('app.loading')}</p>` : html`
      <div class="digest"><p>${t('books.digest')}</p><code class="digest-value">${data.books.digest}</code>
        <p><button class="copy" onClick=${copy}>${t('books.copy_digest')}</button>${copied ? html` <span role="status">${t('invite.copied')}</span>` : null}
          <button class="download" onClick=${download}>${t('books.csv')}</button>
          ${csv && csv.name ? html` <span class="csv-done" role="status" data-digest=${csv.digest}>${t('books.csv_done', { name: csv.name })}</span>` : null}
          ${csv && csv.err ? html` <span class="error" role="alert">${errorText(csv.err)}</span>` : null}</p>
        <p class="hint">${t('books.digest_hint')}</p></div>
      ${courier ? html`<${Statement} data=${data} session=${session} />` : null}
      <h2>${t('books.totals')}</h2>
      <div class="tabs" role="tablist">${VIEWS.map((v) => html`<button role="tab" aria-selected=${view === v ? 'true' : 'false'} class=${'tab ' + v} onClick=${() => setView(v)}>${t('books.view.' + v)}</button>`)}</div>
      <${Totals} rows=${data.books[view] || []} view=${view} data=${data} session=${session} />
      <h2>${t('books.rules')}</h2>
      <${Table} table=${data.books.rules} cls="rules" />
      <details><summary>${t('books.lines', { n: data.books.orders.rows.length, s: data.books.shifts.rows.length })}</summary>
        <${Table} table=${data.books.orders} cls="orders" /><${Table} table=${data.books.shifts} cls="shifts" /></details>`}
  </section>`;
}
