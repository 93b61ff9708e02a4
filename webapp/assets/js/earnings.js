// The courier's earnings: today's and this week's jobs, pay and tips, and
// the list of this week's jobs, from the coop's pay table for this courier
// (GET /v1/exports/pay.csv?courier=ME: SPEC.md §16.10.3, each job paid by
// the rules version it was priced with, tips only once delivered). Days
// are the coop's (the table's own day column); live as orders change.
import { html, useState, useEffect, useRef } from '../vendor/preact-htm.js';
import { events } from './api.js';
import { t, money, dayKey, errorText } from './i18n.js';
import { km } from './geo.js';

// parseCSV reads RFC 4180 text (quoted fields, doubled quotes) into rows.
export function parseCSV(text) {
  const rows = [];
  let row = [], f = '', q = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (q) {
      if (ch === '"' && text[i + 1] === '"') { f += '"'; i++; } else if (ch === '"') q = false; else f += ch;
    } else if (ch === '"') q = true;
    else if (ch === ',') { row.push(f); f = ''; } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(f); rows.push(row); row = []; f = '';
    } else f += ch;
  }
  if (f !== '' || row.length) { row.push(f); rows.push(row); }
  return rows;
}

// weekDays are the day keys from this week's Monday to today, in zone tz.
function weekDays(now, tz) {
  const wd = new Intl.DateTimeFormat('en-US', { weekday: 'short', timeZone: tz }).format(new Date(now));
  const back = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(wd);
  const out = [];
  for (let i = Math.max(back, 0); i >= 0; i--) out.push(dayKey(now - i * 86400000, tz));
  return out;
}

// loadPay reads the coop's pay table for courier me, one object a row.
export async function loadPay(me) {
  const res = await fetch('/v1/exports/pay.csv?courier=' + me, { credentials: 'same-origin' });
  const text = await res.text();
  if (!res.ok) {
    let body = {};
    try { body = JSON.parse(text); } catch { /* not JSON */ }
    throw Object.assign(new Error(body.error || res.statusText), { code: body.code || 'internal' });
  }
  const [head, ...rows] = parseCSV(text).filter((r) => r.length > 1);
  return rows.map((r) => Object.fromEntries(head.map((h, i) => [h, r[i]])));
}

function sum(jobs) {
  return { jobs: jobs.length, pay: jobs.reduce((s, j) => s + Number(j.pay_cents), 0), tips: jobs.reduce((s, j) => s + Number(j.tip_share_cents), 0),
    dist: jobs.reduce((s, j) => s + Number(j.distance_m), 0) };
}

function Figures({ id, title, s, currency }) {
  return html`<section class="figures-card" data-period=${id} data-pay=${s.pay} data-tips=${s.tips} data-jobs=${s.jobs}>
    <h2>${title}</h2>
    <p class="big">${money(s.pay, currency)}</p>
    <p class="meta">${t('earn.jobs', { n: s.jobs })} · ${t('earn.tips', { amount: money(s.tips, currency) })} · ${km(s.dist)} km</p></section>`;
}

export function Earnings({ session }) {
  const [rows, setRows] = useState(null);
  const [err, setErr] = useState(null);
  const seq = useRef(0);
  const tz = (session.coop && session.coop.timezone) || session.tz;
  const load = async () => {
    const n = ++seq.current;
    try {
      const r = await loadPay(session.me);
      if (n === seq.current) { setRows(r); setErr(null); }
    } catch (e) { if (n === seq.current) setErr(e); }
  };
  useEffect(() => {
    load();
    let timer = 0;
    return events((ch) => {
      if (ch.scope !== 'order' || !ch.order || ch.order.holder !== session.me) return;
      clearTimeout(timer);
      timer = setTimeout(load, 200);
    }, (on) => { if (on) load(); });
  }, []);
  const now = Date.now();
  const today = dayKey(now, tz);
  const week = new Set(weekDays(now, tz));
  const mine = rows || [];
  const weekJobs = mine.filter((j) => week.has(j.day)).sort((a, b) => (a.day < b.day ? 1 : -1));
  return html`<section class="screen courier earnings" data-loaded=${rows ? '1' : '0'}>
    <h1>${t('nav.earnings')}</h1>
    ${err ? html`<p class="error" role="alert" data-code=${err.code}>${errorText(err)}</p>` : null}
    ${rows === null && !err ? html`<p aria-busy="true">${t('app.loading')}</p>` : null}
    ${rows ? html`<div class="figures-row">
      <${Figures} id="today" title=${t('earn.today')} s=${sum(mine.filter((j) => j.day === today))} currency=${session.currency} />
      <${Figures} id="week" title=${t('earn.week')} s=${sum(weekJobs)} currency=${session.currency} /></div>
      ${weekJobs.length ? html`<table class="jobs-table"><caption>${t('earn.this_week')}</caption>
        <thead><tr><th scope="col">${t('earn.day')}</th><th scope="col">${t('earn.order')}</th><th scope="col">${t('earn.status')}</th>
          <th scope="col">${t('earn.pay')}</th><th scope="col">${t('earn.tip')}</th></tr></thead>
        <tbody>${weekJobs.map((j) => html`<tr data-order=${j.order}><td>${j.day}</td><td>#${j.order.slice(0, 6).toUpperCase()}</td>
          <td>${t('courier.status.' + j.status)}</td><td>${money(Number(j.pay_cents), session.currency)}</td>
          <td>${money(Number(j.tip_share_cents), session.currency)}</td></tr>`)}</tbody></table>`
        : html`<p class="empty">${t('earn.none')}</p>`}
      <p class="meta">${t('earn.how')}</p><p><a class="back" href=${'/v1/exports/pay.csv?courier=' + session.me} download>${t('earn.csv')}</a></p>` : null}
  </section>`;
}
