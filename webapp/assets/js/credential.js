// My credential (issue 16; SPEC.md §21.5, §18): a courier's work record as
// the coop's logs give it (GET /v1/reputation/{me}); on the node whose key
// the constitution designates as the credential issuer, issuing a courier's
// W3C Verifiable Credential (POST /v1/credentials/export) to copy or
// download; and on any node, verifying one offline (POST
// /v1/credentials/verify): the issuer, the courier, the validity and the
// record, or the named reason it fails (tampered, expired, …).
import { html, useState } from '../vendor/preact-htm.js';
import { api, ApiError } from './api.js';
import { useForm, Field, FormError } from './forms.js';
import { t, dateTime, errorText } from './i18n.js';
import { useLive, memberName } from './live.js';

const ZERO = '0'.repeat(64);

async function loadCredential(session) {
  const coop = await api('GET', '/v1/coop');
  const me = coop.members[session.me];
  let rep = null;
  if (me && (me.roles || []).includes('courier')) rep = await api('GET', `/v1/reputation/${session.me}?as=courier`);
  return { coop, rep };
}

function Record({ rep, session }) {
  return html`<section class="record" data-delivered=${rep.delivered} aria-labelledby="c-rec">
    <h2 id="c-rec">${t('cred.my_record')}</h2>
    <dl class="figures">
      <div><dt>${t('cred.deliveries')}</dt><dd class="deliveries">${rep.delivered}</dd></div>
      <div><dt>${t('cred.on_time')}</dt><dd>${rep.delivered ? Math.round((100 * rep.on_time) / rep.delivered) + ' %' : '—'}</dd></div>
      <div><dt>${t('cred.rating')}</dt><dd>${rep.shown ? (rep.mean_centistars / 100).toFixed(2) + ' ★ (' + rep.ratings + ')' : t('cred.too_few')}</dd></div>
      <div><dt>${t('cred.shifts')}</dt><dd>${rep.shifts_worked}</dd></div>
    </dl>
    ${(rep.why || []).length ? html`<ul class="hint why">${rep.why.map((w) => html`<li>${w}</li>`)}</ul>` : null}
  </section>`;
}

function save(text, name) {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/vc+json' }));
  const a = document.createElement('a');
  a.href = url; a.download = name; document.body.appendChild(a); a.click(); a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function IssueForm({ data, session, onIssued }) {
  const couriers = Object.values(data.coop.members).filter((m) => (m.roles || []).includes('courier') || (m.history || []).some((h) => (h.roles || []).includes('courier')));
  const f = useForm({ courier: couriers.some((m) => m.key === session.me) ? session.me : '', from: '', to: '', days: '365' }, {
    check: (v) => {
      const e = {};
      if (!v.courier) e.courier = 'cred.pick_courier';
      if (!/^\d+$/.test(v.days.trim()) || +v.days > 1830) e.days = 'cred.bad_days';
      if (v.from && v.to && v.from >= v.to) e.to = 'books.to_before_from';
      return e;
    },
    send: async (v) => {
      const res = await fetch('/v1/credentials/export', {
        method: 'POST', credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'X-Coopnode-CSRF': (document.cookie.match(/(?:^|;\s*)coopnode_csrf=([^;]*)/) || [])[1] || '' },
        body: JSON.stringify({ courier: v.courier, from: v.from ? new Date(v.from).getTime() : 0, to: v.to ? new Date(v.to).getTime() : 0, valid_days: +v.days }),
      });
      const text = await res.text();
      if (!res.ok) {
        let b = {}; try { b = JSON.parse(text); } catch { b = { error: text }; }
        throw new ApiError(res.status, b);
      }
      return { text, name: `work-record-${(memberName(data.coop, v.courier) || 'courier').replace(/[^\p{L}\p{N}]+/gu, '-')}.json` };
    },
    codeField: { not_issuer: '_form', bad_argument: 'courier' },
    done: onIssued,
  });
  return html`<form class="issue" onSubmit=${f.submit} novalidate>
    <${FormError} form=${f} />
    <${Field} form=${f} name="courier" label=${t('dispatch.courier')} options=${[['', t('gov.pick')], ...couriers.map((m) => [m.key, m.name || m.key.slice(0, 8)])]} />
    <${Field} form=${f} name="from" label=${t('cred.from')} type="date" />
    <${Field} form=${f} name="to" label=${t('cred.to')} type="date" />
    <${Field} form=${f} name="days" label=${t('cred.valid_days')} inputmode="numeric" />
    <button class="primary" disabled=${f.busy}>${t('cred.issue')}</button>
  </form>`;
}

function VerifyForm({ data, initial }) {
  const [ok, setOk] = useState(null);
  const members = Object.values(data.coop.members);
  const f = useForm({ credential: initial || '', subject: '' }, {
    check: (v) => {
      try { const o = JSON.parse(v.credential); return o && typeof o === 'object' && !Array.isArray(o) ? {} : { credential: 'cred.not_json' }; } catch { return { credential: 'cred.not_json' }; }
    },
    send: (v) => { setOk(null); return api('POST', '/v1/credentials/verify', { credential: JSON.parse(v.credential), ...(v.subject ? { subject: v.subject } : {}) }); },
    codeField: new Proxy({}, { get: (_, code) => (code === 'bad_argument' || code === 'bad_json' ? '_form' : 'credential') }),
    done: setOk,
  });
  const err = f.errors.credential;
  return html`<form class="verify" onSubmit=${f.submit} novalidate>
    <${FormError} form=${f} />
    <div class="field wide"><label for=${f.id + '-credential'}>${t('cred.paste')}</label>
      <textarea id=${f.id + '-credential'} name="credential" rows="8" value=${f.values.credential} onInput=${(e) => { setOk(null); f.set('credential')(e); }}
        aria-invalid=${err ? 'true' : undefined} aria-describedby=${err ? f.id + '-credential-err' : undefined}></textarea>
      ${err ? html`<p class="field-error" id=${f.id + '-credential-err'} role="alert" data-code=${f.errors._code || 'local'}>${err}</p>` : null}</div>
    <p><label class="file">${t('cred.or_file')} <input type="file" accept=".json,application/json" onChange=${async (e) => {
      const file = e.target.files[0]; if (file) f.setAll({ ...f.values, credential: await file.text() });
    }} /></label></p>
    <${Field} form=${f} name="subject" label=${t('cred.about')} options=${[['', t('cred.anyone')], ...members.map((m) => [m.key, m.name || m.key.slice(0, 8)])]} />
    <button class="primary" disabled=${f.busy}>${t('cred.verify')}</button>
    ${ok ? html`<div class="verified" role="status" data-deliveries=${ok.record.deliveries}>
      <p><strong>${t('cred.valid')}</strong> ${t('cred.issued_by', { name: ok.issuer_name || ok.issuer.slice(0, 24) + '…' })}</p>
      <p>${t('cred.validity', { from: dateTime(Date.parse(ok.valid_from)), until: ok.valid_until ? dateTime(Date.parse(ok.valid_until)) : '—' })}</p>
      <p>${t('cred.record', { n: ok.record.deliveries, on: Math.round(ok.record.on_time_share * 100), r: ok.record.ratings ? ok.record.mean_rating.toFixed(2) + ' ★' : '—', s: ok.record.shifts_worked })}</p>
      <p class="hint subject">${ok.subject}</p></div>` : null}
  </form>`;
}

export function Credential({ session }) {
  const { data, err } = useLive(() => loadCredential(session));
  const [issued, setIssued] = useState(null);
  if (err) return html`<section class="screen credential"><h1>${t('nav.credential')}</h1><p class="error" role="alert">${errorText(err)}</p></section>`;
  if (!data) return html`<section class="screen credential" aria-busy="true"><p>${t('app.loading')}</p></section>`;
  const iss = data.coop.constitution.credential_issuer;
  const issuer = iss && iss !== ZERO && iss === session.status.key;
  return html`<section class="screen credential">
    <h1>${t('nav.credential')}</h1>
    <p class="intro">${t('cred.intro')}</p>
    ${data.rep ? html`<${Record} rep=${data.rep} session=${session} />` : null}
    <h2>${t('cred.issue_title')}</h2>
    ${issuer ? html`<${IssueForm} data=${data} session=${session} onIssued=${setIssued} />`
      : html`<p class="issuer">${iss && iss !== ZERO ? t('cred.ask_issuer', { name: memberName(data.coop, iss) }) : t('cred.no_issuer')}</p>`}
    ${issued ? html`<div class="issued" data-bytes=${issued.text.length}>
      <textarea class="credential-json" readonly rows="8" value=${issued.text}></textarea>
      <p><button class="download" onClick=${() => { save(issued.text, issued.name); setIssued({ ...issued, saved: true }); }}>${t('cred.download')}</button>
        ${issued.saved ? html` <span class="saved" role="status">${t('books.csv_done', { name: issued.name })}</span>` : null}</p></div>` : null}
    <h2>${t('cred.verify_title')}</h2>
    <p class="hint">${t('cred.verify_hint')}</p>
    <${VerifyForm} data=${data} key=${issued ? issued.text.length : 0} initial=${issued ? issued.text : ''} />
  </section>`;
}
