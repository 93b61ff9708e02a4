// Shifts (issue 16; SPEC.md §21.1): the coop's shift slots by start, who
// is on shift now, and for couriers sign up, drop (with the notice the
// constitution requires: a late drop is refused with short_notice, and the
// screen offers a swap instead), offer a swap (to anyone, or to one
// courier, optionally for their seat on another shift) and accept an
// offer. Planners (admins and the roles the constitution names) publish
// shift slots. Every rule is the node's fold: a refusal is shown where it
// happened, and nothing is signed.
import { html, useState } from '../vendor/preact-htm.js';
import { api } from './api.js';
import { useForm, Field, FormError } from './forms.js';
import { t, dateTime, time, money, errorText } from './i18n.js';
import { useLive, LiveBadge, memberName, cents } from './live.js';

async function loadShifts() {
  const [coop, shifts] = await Promise.all([api('GET', '/v1/coop'), api('GET', '/v1/shifts')]);
  let rules = null;
  try { rules = await api('GET', '/v1/coop/rules'); } catch (e) { if (e.code !== 'no_rules' && e.code !== 'not_found') throw e; }
  return { coop, shifts, rules };
}

const hasRole = (coop, k, roles) => {
  const m = coop.members[k];
  return !!(m && !m.revoked_at && (m.roles || []).some((r) => roles.includes(r)));
};

function localInput(ms) {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60000);
  return d.toISOString().slice(0, 16);
}

function PlanForm({ data, reload }) {
  const start = Math.ceil(Date.now() / 3600000) * 3600000 + 3600000;
  const zones = ((data.rules && data.rules.zones) || []).map((z) => z.name);
  const f = useForm({ start: localInput(start), end: localInput(start + 4 * 3600000), zone: '', needed: '2', guarantee: '', note: '' }, {
    check: (v) => {
      const e = {};
      const s = new Date(v.start).getTime(); const en = new Date(v.end).getTime();
      if (!v.start || isNaN(s)) e.start = 'shifts.need_start';
      if (!v.end || isNaN(en) || en <= s) e.end = 'shifts.end_after';
      else if (en - s > 24 * 3600000) e.end = 'shifts.too_long';
      else if (en <= Date.now()) e.end = 'shifts.end_past';
      if (!/^\d+$/.test(v.needed.trim()) || +v.needed < 1 || +v.needed > 1000) e.needed = 'shifts.bad_needed';
      if (v.guarantee && cents(v.guarantee) === null) e.guarantee = 'form.amount';
      return e;
    },
    send: (v) => api('POST', '/v1/shifts', {
      start: new Date(v.start).getTime(), end: new Date(v.end).getTime(), zone: v.zone, needed: +v.needed,
      guarantee_cents: v.guarantee ? cents(v.guarantee) : 0, note: v.note.trim(),
    }),
    codeField: { not_planner: '_form' }, done: reload,
  });
  return html`<form class="plan-shift" onSubmit=${f.submit} novalidate>
    <${FormError} form=${f} />
    <${Field} form=${f} name="start" label=${t('shifts.start')} type="datetime-local" />
    <${Field} form=${f} name="end" label=${t('shifts.end')} type="datetime-local" />
    <${Field} form=${f} name="zone" label=${t('shifts.zone')} options=${[['', t('shifts.all_zones')], ...zones.map((z) => [z, z])]} />
    <${Field} form=${f} name="needed" label=${t('shifts.needed')} inputmode="numeric" />
    <${Field} form=${f} name="guarantee" label=${t('shifts.guarantee')} inputmode="decimal" />
    <${Field} form=${f} name="note" label=${t('shifts.note')} />
    <button class="primary" disabled=${f.busy}>${t('shifts.plan')}</button>
  </form>`;
}

// Act is a one-tap shift action with its refusal shown beside it.
function Act({ path, body, label, cls, reload }) {
  const f = useForm({}, { send: () => api('POST', path, body || {}), done: reload });
  return html`<form class=${'act ' + cls} onSubmit=${f.submit}><${FormError} form=${f} />
    <button class=${cls === 'signup' || cls === 'accept' ? 'primary' : ''} disabled=${f.busy}>${label}</button></form>`;
}

function DropForm({ s, reload }) {
  const f = useForm({ reason: '' }, {
    send: (v) => api('POST', `/v1/shifts/${s.id}/drop`, { reason: v.reason.trim() }), done: reload,
  });
  return html`<form class="act drop" onSubmit=${f.submit} novalidate><${FormError} form=${f} />
    <${Field} form=${f} name="reason" label=${t('shifts.drop_reason')} />
    <button disabled=${f.busy}>${t('shifts.drop')}</button></form>`;
}

function OfferForm({ s, data, session, reload }) {
  const others = Object.values(data.coop.members).filter((m) => m.key !== session.me && !m.revoked_at && (m.roles || []).includes('courier'));
  const theirs = data.shifts.filter((x) => x.id !== s.id && !(x.seats || []).some((q) => q.courier === session.me) && x.plan.start > Date.now());
  const f = useForm({ to: '', for: '' }, {
    send: (v) => api('POST', `/v1/shifts/${s.id}/offer`, { ...(v.to ? { to: v.to } : {}), ...(v.for ? { for: v.for } : {}) }),
    codeField: { not_courier: 'to', already_on_shift: 'for', unknown_shift: 'for' }, done: reload,
  });
  return html`<form class="act offer" onSubmit=${f.submit} novalidate><${FormError} form=${f} />
    <${Field} form=${f} name="to" label=${t('shifts.offer_to')} options=${[['', t('shifts.anyone')], ...others.map((m) => [m.key, m.name || m.key.slice(0, 8)])]} />
    <${Field} form=${f} name="for" label=${t('shifts.offer_for')} options=${[['', t('shifts.for_nothing')], ...theirs.map((x) => [x.id, dateTime(x.plan.start, session.tz)])]} />
    <button disabled=${f.busy}>${t('shifts.offer')}</button></form>`;
}

function ShiftCard({ s, data, session, reload, courier }) {
  const now = Date.now();
  const seats = s.seats || [];
  const mine = seats.some((q) => q.courier === session.me);
  const nowOn = s.plan.start <= now && now < s.plan.end;
  const over = now >= s.plan.end;
  const offers = (s.offers || []).filter((o) => o.status === 'open');
  const dn = data.coop.constitution.drop_notice_min || 0;
  return html`<li class=${'shift' + (nowOn ? ' now' : '') + (mine ? ' mine' : '')} data-shift=${s.id} data-seats=${seats.length} data-mine=${String(mine)}>
    <header><h3>${dateTime(s.plan.start, session.tz)} – ${time(s.plan.end, session.tz)}</h3>
      ${nowOn ? html`<span class="badge now">${t('shifts.now')}</span>` : null}
      <span class="badge">${s.plan.zone || t('shifts.all_zones')}</span>
      <span class="seats">${t('shifts.seats', { n: seats.length, of: s.plan.needed })}</span>
      ${s.plan.guarantee_cents ? html`<span class="guarantee">${t('shifts.guaranteed', { amount: money(s.plan.guarantee_cents, session.currency) })}</span>` : null}</header>
    ${s.plan.note ? html`<p class="note">${s.plan.note}</p>` : null}
    <p class="who">${seats.length ? seats.map((q) => memberName(data.coop, q.courier)).join(', ') : t('shifts.nobody')}</p>
    ${offers.length ? html`<ul class="offers">${offers.map((o) => html`<li data-offer=${o.event}>
      ${t('shifts.offered', { from: memberName(data.coop, o.from), to: o.to ? memberName(data.coop, o.to) : t('shifts.anyone') })}
      ${o.for ? ' ' + t('shifts.in_exchange', { at: dateTime((data.shifts.find((x) => x.id === o.for) || { plan: {} }).plan.start, session.tz) }) : ''}
      ${courier && o.from !== session.me && (!o.to || o.to === session.me) && !mine ? html`<${Act} path=${`/v1/offers/${o.event}/accept`} label=${t('shifts.accept')} cls="accept" reload=${reload} />` : null}
    </li>`)}</ul>` : null}
    ${courier && !over ? html`<div class="actions">
      ${!mine ? html`<${Act} path=${`/v1/shifts/${s.id}/signup`} label=${t('shifts.signup')} cls="signup" reload=${reload} />` : null}
      ${mine ? html`<${DropForm} s=${s} reload=${reload} />` : null}
      ${mine && now < s.plan.start ? html`<${OfferForm} s=${s} data=${data} session=${session} reload=${reload} />` : null}
    </div>` : null}
    ${mine && dn ? html`<p class="hint">${t('shifts.notice', { n: dn })}</p>` : null}
  </li>`;
}

export function Shifts({ session }) {
  const { data, err, live, reload } = useLive(loadShifts);
  const [showPast, setShowPast] = useState(false);
  if (err) return html`<section class="screen shifts"><h1>${t('nav.shifts')}</h1><p class="error" role="alert">${errorText(err)}</p></section>`;
  if (!data) return html`<section class="screen shifts" aria-busy="true"><p>${t('app.loading')}</p></section>`;
  const c = data.coop.constitution || {};
  const planners = ['admin', ...((c.shift_planners) || [])];
  const planner = hasRole(data.coop, session.me, planners);
  const courier = hasRole(data.coop, session.me, ['courier']);
  const now = Date.now();
  const shown = data.shifts.filter((s) => showPast || s.plan.end > now);
  const onNow = data.shifts.filter((s) => s.plan.start <= now && now < s.plan.end).flatMap((s) => (s.seats || []).map((q) => q.courier));
  return html`<section class="screen shifts" data-count=${shown.length}>
    <h1>${t('nav.shifts')} <${LiveBadge} live=${live} /></h1>
    <p class="intro">${t('shifts.intro')}</p>
    <p class="on-now"><strong>${t('shifts.on_now')}</strong> ${onNow.length ? [...new Set(onNow)].map((k) => memberName(data.coop, k)).join(', ') : t('shifts.nobody')}</p>
    <p class="hint">${t('shifts.rules', { notice: c.drop_notice_min || 0, head: c.head_start_sec || 0 })}</p>
    <label class="check"><input type="checkbox" name="past" checked=${showPast} onChange=${(e) => setShowPast(e.target.checked)} /> ${t('shifts.show_past')}</label>
    ${shown.length ? html`<ul class="shift-list">${shown.map((s) => html`<${ShiftCard} s=${s} data=${data} session=${session} reload=${reload} courier=${courier} key=${s.id} />`)}</ul>`
      : html`<p class="none">${t('shifts.none')}</p>`}
    ${planner ? html`<h2>${t('shifts.plan_title')}</h2><${PlanForm} data=${data} reload=${reload} />` : null}
  </section>`;
}
