// The cooperative's members (issue 15): names and roles (not bitmasks),
// admission date, devices, revoked members; for admins, admitting a key
// (or changing a member's roles) and revoking. When the constitution
// makes a change a vote (SPEC.md §19.5) the node refuses it with
// vote_required and the screen links to a proposal instead. Also the
// invite (its QR code, drawn by the node: GET /v1/invite/qr.svg, and its
// text with a copy button) and the CSV exports.
import { html, useState } from '../vendor/preact-htm.js';
import { api, ApiError } from './api.js';
import { useForm, Field, FormError } from './forms.js';
import { t, dateTime, errorText } from './i18n.js';
import { useLive, LiveBadge, ROLES, rolesText } from './live.js';

const isAdmin = (session, coop) => {
  const m = coop.members[session.me];
  return !!(m && !m.revoked_at && (m.roles || []).includes('admin'));
};

function AdmitForm({ coop, initial, done }) {
  const f = useForm({ member: '', name: '', ...Object.fromEntries(ROLES.map((r) => [r, ''])), ...initial }, {
    check: (v) => {
      const e = {};
      if (!/^[0-9a-f]{64}$/.test(v.member.trim())) e.member = 'form.member_key';
      if (!ROLES.some((r) => v[r])) e.roles = 'members.need_role';
      return e;
    },
    send: (v) => api('POST', '/v1/coop/members', { member: v.member.trim(), name: v.name.trim(), roles: ROLES.filter((r) => v[r]) }),
    codeField: { bad_role: 'roles', not_member: 'member' },
    done: () => { f.setAll({ member: '', name: '', ...Object.fromEntries(ROLES.map((r) => [r, ''])) }); done && done(); },
  });
  const toggle = (r) => (e) => f.setAll({ ...f.values, [r]: e.target.checked ? 'on' : '' });
  return html`<form class="admit" onSubmit=${f.submit} novalidate>
    <${FormError} form=${f} />
    ${f.errors._code === 'vote_required' ? html`<p class="vote-link"><a href="#/coop/governance/new">${t('members.propose_instead')}</a></p>` : null}
    <${Field} form=${f} name="member" label=${t('members.key')} />
    <${Field} form=${f} name="name" label=${t('members.name')} />
    <fieldset class="roles" aria-invalid=${f.errors.roles ? 'true' : undefined}><legend>${t('members.roles')}</legend>
      ${ROLES.map((r) => html`<label><input type="checkbox" name=${'role-' + r} checked=${!!f.values[r]} onChange=${toggle(r)} /> ${t('role1.' + r)}</label>`)}
      ${f.errors.roles ? html`<p class="field-error" role="alert" data-code=${f.errors._code || 'local'}>${f.errors.roles}</p>` : null}
    </fieldset>
    <button class="primary" disabled=${f.busy}>${t('members.admit')}</button>
  </form>`;
}

function RevokeForm({ m, done }) {
  const [open, setOpen] = useState(false);
  const f = useForm({ reason: '' }, {
    send: (v) => api('POST', '/v1/coop/members/revoke', { member: m.key, reason: v.reason.trim() }),
    done: () => { setOpen(false); done && done(); },
  });
  if (!open) return html`<button class="revoke-open" onClick=${() => setOpen(true)}>${t('members.revoke')}</button>`;
  return html`<form class="revoke" onSubmit=${f.submit} novalidate>
    <${FormError} form=${f} />
    ${f.errors._code === 'vote_required' ? html`<p class="vote-link"><a href="#/coop/governance/new">${t('members.propose_instead')}</a></p>` : null}
    <${Field} form=${f} name="reason" label=${t('members.revoke_reason')} />
    <button class="danger" disabled=${f.busy}>${t('members.revoke_confirm', { name: m.name || m.key.slice(0, 8) })}</button>
    <button type="button" onClick=${() => setOpen(false)}>${t('members.cancel')}</button>
  </form>`;
}

function MemberRow({ m, admin, session, reload }) {
  const devices = Object.values(m.devices || {});
  return html`<tr data-member=${m.key} class=${m.revoked_at ? 'revoked' : ''}>
    <td><strong>${m.name || '—'}</strong>${m.key === session.me ? html` <span class="badge">${t('members.you')}</span>` : null}<br /><code class="key">${m.key.slice(0, 16)}…</code></td>
    <td class="roles">${(m.roles || []).map((r) => t('role1.' + r)).join(', ')}</td>
    <td>${dateTime(m.admitted_at, session.tz)}</td>
    <td>${m.revoked_at ? html`<span class="status revoked">${t('members.revoked_at', { at: dateTime(m.revoked_at, session.tz) })}</span>` : html`<span class="status active">${t('members.active')}</span>`}</td>
    <td>${devices.length ? html`<ul class="devices">${devices.map((d) => html`<li class=${d.revoked_at ? 'revoked' : ''}>${d.label || d.key.slice(0, 8)}${d.revoked_at ? ' (' + t('members.device_revoked') + ')' : ''}</li>`)}</ul>` : '—'}</td>
    <td>${admin && !m.revoked_at && m.key !== session.me ? html`<${RevokeForm} m=${m} done=${reload} />` : null}</td>
  </tr>`;
}

export function Members({ session }) {
  const { data, err, live, reload } = useLive(() => api('GET', '/v1/coop'));
  if (err) return html`<section class="screen members"><p class="error" role="alert">${errorText(err)}</p></section>`;
  if (!data) return html`<section class="screen members" aria-busy="true"><p>${t('app.loading')}</p></section>`;
  const admin = isAdmin(session, data);
  const ms = Object.values(data.members || {}).sort((a, b) => (!!a.revoked_at - !!b.revoked_at) || (a.name || a.key).localeCompare(b.name || b.key));
  const needs = ((data.constitution && data.constitution.matters) || []).map((x) => t('matter.' + x.matter));
  return html`<section class="screen members" data-count=${ms.filter((m) => !m.revoked_at).length}>
    <h1>${t('nav.members')} <${LiveBadge} live=${live} /></h1>
    <p class="intro">${t('members.intro', { name: data.name, n: ms.filter((m) => !m.revoked_at).length })}</p>
    ${needs.length ? html`<p class="hint constitution">${t('members.constitution', { matters: needs.join(', ') })}</p>` : null}
    <table class="members"><thead><tr><th>${t('members.name')}</th><th>${t('members.roles')}</th><th>${t('members.admitted')}</th>
      <th>${t('members.status')}</th><th>${t('members.devices')}</th><th></th></tr></thead>
      <tbody>${ms.map((m) => html`<${MemberRow} m=${m} admin=${admin} session=${session} reload=${reload} />`)}</tbody></table>
    ${admin ? html`<h2>${t('members.admit_title')}</h2><p class="hint">${t('members.admit_hint')}</p><${AdmitForm} coop=${data} done=${reload} />`
      : html`<p class="hint">${t('members.not_admin')}</p>`}
  </section>`;
}

// Invite shows the coop's invite for a new member's node: its QR code for
// the new member's phone to scan, the text to paste into `coopnode join`
// or the app with a copy button, and the PNG to print or send.
export function Invite() {
  const { data, err } = useLive(() => api('GET', '/v1/invite'));
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    const ta = document.getElementById('invite-text');
    try { await navigator.clipboard.writeText(data.invite); } catch { ta.select(); document.execCommand('copy'); }
    setCopied(true);
  };
  if (err) return html`<section class="screen invite"><h1>${t('nav.invite')}</h1><p class="error" role="alert">${errorText(err)}</p></section>`;
  if (!data) return html`<section class="screen invite" aria-busy="true"><p>${t('app.loading')}</p></section>`;
  return html`<section class="screen invite">
    <h1>${t('nav.invite')}</h1>
    <p class="intro">${t('invite.intro')}</p>
    <figure class="invite-qr-fig">
      <img class="invite-qr" src=${'/v1/invite/qr.svg?v=' + encodeURIComponent(data.invite.length + ':' + data.invite.slice(-12))}
        alt=${t('invite.qr_alt')} width="256" height="256" />
      <figcaption class="hint">${t('invite.qr_scan')} <a class="qr-png" href="/v1/invite/qr.png" download="coopnode-invite.png">${t('invite.qr_png')}</a></figcaption>
    </figure>
    <label for="invite-text">${t('invite.text')}</label>
    <textarea id="invite-text" class="invite-text" readonly rows="4" value=${data.invite} onFocus=${(e) => e.target.select()}></textarea>
    <p><button class="primary copy" onClick=${copy}>${t('invite.copy')}</button>
      ${copied ? html` <span class="copied" role="status">${t('invite.copied')}</span>` : null}</p>
    <p class="hint">${t('invite.then')}</p><pre>coopnode join -invite '…'</pre>
  </section>`;
}

const EXPORTS = ['orders', 'deliveries', 'pay', 'pay-summary'];

// Exports downloads the CSV exports, optionally for one day, courier or
// restaurant; a refusal is shown by its field.
export function Exports({ session }) {
  const { data: coop } = useLive(() => api('GET', '/v1/coop'));
  const f = useForm({ file: 'orders', day: '', courier: '', restaurant: '' }, {
    check: (v) => (v.day && !/^\d{4}-\d{2}-\d{2}$/.test(v.day) ? { day: 'exports.bad_day' } : {}),
    send: async (v) => {
      const q = new URLSearchParams();
      for (const k of ['day', 'courier', 'restaurant']) if (v[k]) q.set(k, v[k]);
      const res = await fetch(`/v1/exports/${v.file}.csv${q.toString() ? '?' + q : ''}`, { credentials: 'same-origin' });
      const text = await res.text();
      if (!res.ok) { let b = {}; try { b = JSON.parse(text); } catch { b = { error: text }; } throw new ApiError(res.status, b); }
      const url = URL.createObjectURL(new Blob([text], { type: 'text/csv' }));
      const a = document.createElement('a');
      a.href = url; a.download = `${v.file}${v.day ? '-' + v.day : ''}.csv`;
      document.body.appendChild(a); a.click(); a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
      return { lines: text.trim().split('\n').length - 1, file: a.download };
    },
    codeField: { bad_argument: 'day' },
    done: (r) => setDone(r),
  });
  const [done, setDone] = useState(null);
  const ms = coop ? Object.values(coop.members || {}) : [];
  const who = (role) => [['', t('exports.everyone')], ...ms.filter((m) => (m.roles || []).includes(role)).map((m) => [m.key, m.name || m.key.slice(0, 8)])];
  return html`<section class="screen exports">
    <h1>${t('nav.exports')}</h1>
    <p class="intro">${t('exports.intro')}</p>
    <form class="export" onSubmit=${f.submit} novalidate>
      <${FormError} form=${f} />
      <${Field} form=${f} name="file" label=${t('exports.file')} options=${EXPORTS.map((x) => [x, t('exports.' + x)])} />
      <${Field} form=${f} name="day" label=${t('exports.day')} type="date" />
      <${Field} form=${f} name="courier" label=${t('role1.courier')} options=${who('courier')} />
      <${Field} form=${f} name="restaurant" label=${t('role1.restaurant')} options=${who('restaurant')} />
      <button class="primary" disabled=${f.busy}>${t('exports.download')}</button>
    </form>
    ${done ? html`<p class="done" role="status" data-lines=${done.lines}>${t('exports.done', { file: done.file, n: done.lines })}</p>` : null}
  </section>`;
}
