// Opening a proposal (SPEC.md §19.2.1): title, text, the decision it
// enacts if it passes (none, the courier pay rule, the platform fees,
// admitting or revoking a member), the closing time, the decision rule
// (majority, two-thirds, consent), the quorum and who votes (every member
// or the members of a role). When the constitution says a matter needs a
// given rule, quorum or electorate, the form starts from those (else the
// enactment would be refused with wrong_rule). Bad input is refused by its
// field before anything is signed.
import { html } from '../vendor/preact-htm.js';
import { api } from './api.js';
import { useForm, Field, FormError } from './forms.js';
import { t, errorText } from './i18n.js';
import { useLive, memberName, ROLES, cents, bps, pct, amount } from './live.js';

// MATTER is the constitution's matter of each decision (SPEC.md §19.5).
const MATTER = { pay: 2, fees: 3, admit: 4, revoke: 5 };
const DECISIONS = ['none', 'pay', 'fees', 'admit', 'revoke'];
const PAY = ['base_cents', 'per_km_cents', 'per_dropoff_cents', 'min_cents'];
const PAY_BPS = ['fee_bps']; // no tip share: the tip is wholly the courier's (SPEC.md §20.5)
const FEES_BPS = ['delivery_bps', 'collection_bps'];
const DAY = 24 * 3600 * 1000;

// localInput formats ms for a datetime-local input (the browser's zone).
function localInput(ms) {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60000);
  return d.toISOString().slice(0, 16);
}

async function loadForm() {
  const coop = await api('GET', '/v1/coop');
  let rules = null;
  try { rules = await api('GET', '/v1/coop/rules'); } catch (e) { if (e.code !== 'no_rules') throw e; }
  return { coop, rules };
}

function initial(rules) {
  const pay = (rules && rules.pay) || {};
  const fees = (rules && rules.fees) || {};
  const v = { title: '', text: '', decision: 'none', closes: localInput(Date.now() + 7 * DAY), rule: '1', quorum: '0', blocks: '1', role: '',
    member: '', name: '', roles: 'courier', revoke: '', revoke_reason: '' };
  for (const k of PAY) v[k] = amount(pay[k]);
  for (const k of PAY_BPS) v[k] = pct(pay[k]);
  for (const k of FEES_BPS) v[k] = pct(fees[k]);
  v.flat_cents = amount(fees.flat_cents);
  return v;
}

// required is the constitution's rule for the form's decision, if any.
function required(coop, decision) {
  const m = MATTER[decision];
  return m && ((coop.constitution && coop.constitution.matters) || []).find((r) => r.matter === m);
}

function check(v) {
  const e = {};
  if (!v.title.trim()) e.title = 'gov.need_title';
  const closes = new Date(v.closes).getTime();
  if (!v.closes || isNaN(closes)) e.closes = 'gov.need_closes';
  else if (closes <= Date.now()) e.closes = 'gov.closes_past';
  else if (closes - Date.now() > 90 * DAY) e.closes = 'gov.closes_far';
  if (bps(v.quorum) === null) e.quorum = 'gov.bad_quorum';
  if (v.rule === '3' && !/^[1-9]\d*$/.test(v.blocks.trim())) e.blocks = 'gov.bad_blocks';
  if (v.decision === 'pay') {
    for (const k of PAY) if (cents(v[k]) === null) e[k] = 'form.amount';
    for (const k of PAY_BPS) if (bps(v[k], 1000000) === null) e[k] = 'form.percent';
  }
  if (v.decision === 'fees') {
    for (const k of FEES_BPS) if (bps(v[k]) === null) e[k] = 'form.percent';
    if (cents(v.flat_cents) === null) e.flat_cents = 'form.amount';
  }
  if (v.decision === 'admit' && !/^[0-9a-f]{64}$/.test(v.member.trim())) e.member = 'form.member_key';
  if (v.decision === 'revoke' && !v.revoke) e.revoke = 'gov.pick_member';
  return e;
}

// decision builds the proposal's decision from the form: a rule change
// is the rule set in force with the next version and the fields changed.
function decision(v, rules) {
  const next = () => {
    const r = JSON.parse(JSON.stringify(rules || { version: 0, strategy: 1 }));
    delete r.proposal;
    r.version = (r.version || 0) + 1;
    return r;
  };
  switch (v.decision) {
    case 'pay': {
      const r = next();
      r.pay = { ...(r.pay || {}) };
      for (const k of PAY) r.pay[k] = cents(v[k]);
      for (const k of PAY_BPS) r.pay[k] = bps(v[k], 1000000);
      return { kind: 'rules.set', rules: r };
    }
    case 'fees': {
      const r = next();
      r.fees = { delivery_bps: bps(v.delivery_bps), collection_bps: bps(v.collection_bps), flat_cents: cents(v.flat_cents) };
      return { kind: 'rules.set', rules: r };
    }
    case 'admit': return { kind: 'member.admit', admit: { member: v.member.trim(), roles: [v.roles], name: v.name.trim() } };
    case 'revoke': return { kind: 'member.revoke', revoke: { member: v.revoke, reason: v.revoke_reason.trim() } };
    default: return undefined;
  }
}

function ProposalForm({ data, session }) {
  const f = useForm(initial(data.rules), {
    check,
    send: (v) => api('POST', '/v1/proposals', {
      title: v.title.trim(), text: v.text.trim(), closes: new Date(v.closes).getTime(), rule: +v.rule,
      quorum_bps: bps(v.quorum), blocks: v.rule === '3' ? +v.blocks : 0, role: v.role ? v.role.split(',') : [],
      decision: decision(v, data.rules),
    }),
    done: (r) => { location.hash = '#/coop/governance/' + r.id; },
  });
  const v = f.values;
  // choosing a decision starts from what the constitution requires for it
  const setDecision = (e) => {
    const d = e.target.value;
    const req = required(data.coop, d);
    const next = { ...f.values, decision: d };
    if (req) {
      if (req.rule) next.rule = String(req.rule);
      if (req.quorum_bps && (bps(next.quorum) || 0) < req.quorum_bps) next.quorum = pct(req.quorum_bps);
      next.role = (req.role || []).join(',');
    }
    f.setAll(next);
  };
  const req = required(data.coop, v.decision);
  const roleOptions = [['', t('gov.electorate_all')], ...ROLES.map((r) => [r, t('gov.electorate_role', { roles: t('role.' + r) })])];
  if (v.role && !roleOptions.some(([x]) => x === v.role)) roleOptions.push([v.role, v.role]);
  const members = Object.values(data.coop.members || {}).filter((m) => !m.revoked_at);
  return html`<form class="proposal-form" onSubmit=${f.submit} novalidate>
    <${FormError} form=${f} />
    <${Field} form=${f} name="title" label=${t('gov.title')} />
    <div class="field wide"><label for=${f.id + '-text'}>${t('gov.text')}</label>
      <textarea id=${f.id + '-text'} name="text" rows="5" value=${v.text} onInput=${f.set('text')}></textarea></div>
    <div class="field"><label for=${f.id + '-decision'}>${t('gov.decision')}</label>
      <select id=${f.id + '-decision'} name="decision" value=${v.decision} onChange=${setDecision}>
        ${DECISIONS.map((d) => html`<option value=${d} selected=${v.decision === d}>${t('gov.decision.' + d)}</option>`)}</select></div>
    ${v.decision === 'pay' ? html`<fieldset class="row pay"><legend>${t('gov.decision.pay')}</legend>
      ${PAY.map((k) => html`<${Field} form=${f} name=${k} label=${t('pay.' + k) + ' (' + session.currency + ')'} inputmode="decimal" />`)}
      ${PAY_BPS.map((k) => html`<${Field} form=${f} name=${k} label=${t('pay.' + k) + ' (%)'} inputmode="decimal" />`)}
    </fieldset>` : null}
    ${v.decision === 'fees' ? html`<fieldset class="row fees"><legend>${t('gov.decision.fees')}</legend>
      ${FEES_BPS.map((k) => html`<${Field} form=${f} name=${k} label=${t('fees.' + k) + ' (%)'} inputmode="decimal" />`)}
      <${Field} form=${f} name="flat_cents" label=${t('fees.flat_cents') + ' (' + session.currency + ')'} inputmode="decimal" />
    </fieldset>` : null}
    ${v.decision === 'admit' ? html`<fieldset class="row admit"><legend>${t('gov.decision.admit')}</legend>
      <${Field} form=${f} name="member" label=${t('members.key')} />
      <${Field} form=${f} name="name" label=${t('members.name')} />
      <${Field} form=${f} name="roles" label=${t('members.role')} options=${ROLES.map((r) => [r, t('role.' + r)])} />
    </fieldset>` : null}
    ${v.decision === 'revoke' ? html`<fieldset class="row revoke"><legend>${t('gov.decision.revoke')}</legend>
      <${Field} form=${f} name="revoke" label=${t('gov.member')} options=${[['', t('gov.pick')], ...members.map((m) => [m.key, memberName(data.coop, m.key)])]} />
      <${Field} form=${f} name="revoke_reason" label=${t('gov.reason')} />
    </fieldset>` : null}
    ${req ? html`<p class="hint constitution">${t('gov.constitution_requires')}</p>` : null}
    <div class="row">
      <${Field} form=${f} name="closes" label=${t('gov.closes_at')} type="datetime-local" />
      <${Field} form=${f} name="rule" label=${t('gov.rule')} options=${[1, 2, 3].map((r) => [String(r), t('gov.rule.' + r)])} />
      ${v.rule === '3' ? html`<${Field} form=${f} name="blocks" label=${t('gov.blocks')} inputmode="numeric" />` : null}
      <${Field} form=${f} name="quorum" label=${t('gov.quorum_pct')} inputmode="decimal" />
      <${Field} form=${f} name="role" label=${t('gov.who_votes')} options=${roleOptions} />
    </div>
    <p class="hint">${t('gov.rule_hint.' + v.rule)}</p>
    <button class="primary" disabled=${f.busy}>${t('gov.open')}</button>
  </form>`;
}

export function NewProposal({ session }) {
  const { data, err } = useLive(loadForm);
  if (err) return html`<section class="screen"><p class="error" role="alert">${errorText(err)}</p></section>`;
  if (!data) return html`<section class="screen" aria-busy="true"><p>${t('app.loading')}</p></section>`;
  return html`<section class="screen new-proposal-page">
    <p><a href="#/coop/governance">← ${t('nav.governance')}</a></p>
    <h1>${t('gov.new')}</h1>
    <p class="intro">${t('gov.new_intro')}</p>
    <${ProposalForm} data=${data} session=${session} /></section>`;
}
