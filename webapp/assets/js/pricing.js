// The cooperative's pricing rules (issue 15): the rule set in force (its
// delivery-fee rules, the courier pay rule, the platform fees) and a live
// preview of what a sample delivery would cost and why, from the node's
// own pricing (POST /v1/coop/rules/preview, which signs nothing). A member
// may change the pay rule, the fees and each rule's fixed price in a draft
// and see the preview follow as they type; saving the draft is an admin's
// (PUT /v1/coop/rules), or a proposal when the constitution makes it a
// vote (vote_required).
import { html, useState, useEffect, useRef } from '../vendor/preact-htm.js';
import { api } from './api.js';
import { useForm, Field, FormError } from './forms.js';
import { t, money, errorText } from './i18n.js';
import { useLive, LiveBadge, cents, bps, pct, amount } from './live.js';

const PAY = ['base_cents', 'per_km_cents', 'per_dropoff_cents', 'min_cents'];
const PAY_BPS = ['fee_bps']; // no tip share: the tip is wholly the courier's (SPEC.md §20.5)
const FEES_BPS = ['delivery_bps', 'collection_bps'];

async function loadPricing() {
  const coop = await api('GET', '/v1/coop');
  let rules = null;
  try { rules = await api('GET', '/v1/coop/rules'); } catch (e) { if (e.code !== 'no_rules' && e.code !== 'not_found') throw e; }
  return { coop, rules };
}

function draftValues(rules) {
  const v = {};
  const pay = rules.pay || {}; const fees = rules.fees || {};
  for (const k of PAY) v[k] = amount(pay[k]);
  for (const k of PAY_BPS) v[k] = pct(pay[k]);
  for (const k of FEES_BPS) v[k] = pct(fees[k]);
  v.flat_cents = amount(fees.flat_cents);
  (rules.rules || []).forEach((r, i) => { v['rule' + i] = amount(r.fixed_cents); });
  return v;
}

// draftProblems checks the draft's fields; draftRules builds the rule set.
function draftProblems(v, rules) {
  const e = {};
  for (const k of [...PAY, 'flat_cents']) if (cents(v[k]) === null) e[k] = 'form.amount';
  for (const k of PAY_BPS) if (bps(v[k], 1000000) === null) e[k] = 'form.percent';
  for (const k of FEES_BPS) if (bps(v[k]) === null) e[k] = 'form.percent';
  (rules.rules || []).forEach((r, i) => { if (cents(v['rule' + i]) === null) e['rule' + i] = 'form.amount'; });
  return e;
}

function draftRules(v, rules) {
  const r = JSON.parse(JSON.stringify(rules));
  delete r.proposal;
  r.version = (r.version || 0) + 1;
  r.pay = { ...(r.pay || {}) };
  for (const k of PAY) r.pay[k] = cents(v[k]);
  for (const k of PAY_BPS) r.pay[k] = bps(v[k], 1000000);
  r.fees = { delivery_bps: bps(v.delivery_bps), collection_bps: bps(v.collection_bps), flat_cents: cents(v.flat_cents) };
  r.rules = (r.rules || []).map((x, i) => ({ ...x, fixed_cents: cents(v['rule' + i]) }));
  return r;
}

function conditions(r) {
  const c = [];
  if (r.target) c.push(t('pricing.target.' + r.target));
  if (r.min_distance_m || r.max_distance_m) c.push(t('pricing.km', { from: (r.min_distance_m || 0) / 1000, to: r.max_distance_m ? r.max_distance_m / 1000 : '∞' }));
  if (r.in_zone) c.push(t('pricing.in_zone', { z: r.in_zone }));
  if (r.out_zone) c.push(t('pricing.out_zone', { z: r.out_zone }));
  if (r.pickup_zone) c.push(t('pricing.pickup_zone', { z: r.pickup_zone }));
  return c.join(' · ') || t('pricing.always');
}

// Preview prices the sample with the rules in force or the draft, as the
// member types (a quarter second after the last key).
function Preview({ sample, draft, session }) {
  const [res, setRes] = useState(null);
  const seq = useRef(0);
  useEffect(() => {
    const mine = ++seq.current;
    const h = setTimeout(async () => {
      const body = { target: +sample.target, distance_m: Math.round(parseFloat(String(sample.km).replace(',', '.')) * 1000) };
      if (sample.zone) body.dropoff_zone = sample.zone;
      if (+sample.target === 1) body.items_cents = cents(sample.items) || 0;
      body.tip_cents = cents(sample.tip) || 0;
      if (draft) body.rules = draft;
      let r;
      try { r = { ok: await api('POST', '/v1/coop/rules/preview', body) }; } catch (e) { r = { err: e }; }
      if (mine === seq.current) setRes({ ...r, seq: mine });
    }, 250);
    return () => clearTimeout(h);
  }, [JSON.stringify(sample), JSON.stringify(draft)]);
  if (!res) return html`<div class="preview" aria-busy="true"></div>`;
  const m = (c) => money(c, session.currency);
  const ex = res.ok ? res.ok.explanation : res.err.explanation;
  return html`<div class="preview" role="status" aria-live="polite" data-seq=${res.seq} data-fee=${res.ok ? res.ok.fee_cents : ''}
      data-pay=${res.ok ? res.ok.pay.total_cents : ''} data-code=${res.err ? res.err.code : ''}>
    ${res.ok ? html`<p class="figures"><span>${t('pricing.fee')} <strong class="fee">${m(res.ok.fee_cents)}</strong></span>
      <span>${t('pricing.courier_gets')} <strong class="pay">${m(res.ok.pay.total_cents)}</strong></span>
      ${+sample.target === 1 ? html`<span>${t('pricing.platform_fee')} <strong>${m(res.ok.platform_fee_cents)}</strong></span>` : null}</p>
      <p class="hint">${t('pricing.billed', { km: (res.ok.billing_m / 1000).toFixed(2), v: res.ok.version })}${draft ? ' · ' + t('pricing.draft') : ''}</p>
      <p class="pay-parts">${t('pricing.pay_parts', { base: m(res.ok.pay.base_cents), km: m(res.ok.pay.distance_cents), fee: m(res.ok.pay.fee_cents), tip: m(res.ok.pay.tip_cents), top: m(res.ok.pay.top_up_cents) })}</p>`
      : html`<p class="error" role="alert">${errorText(res.err)}</p>`}
    ${ex ? html`<ol class="why">${(ex.rules || []).map((r) => html`<li class=${r.matched ? 'matched' : ''}>
      <strong>${r.name || t('pricing.rule_n', { n: r.index })}</strong>${': '}${!r.tried ? t('pricing.not_tried') : r.matched ? (r.parts || []).join(' + ') + ' = ' + m(r.cents) : t('pricing.no') + ' ' + (r.failed || []).join('; ')}</li>`)}</ol>
      <p class="summary">${ex.summary}</p>` : null}
  </div>`;
}

function Sample({ sample, setSample, zones }) {
  const set = (k) => (e) => setSample({ ...sample, [k]: e.target.value });
  const km = parseFloat(String(sample.km).replace(',', '.'));
  const bad = !(km >= 0 && km <= 1000);
  return html`<form class="sample row" onSubmit=${(e) => e.preventDefault()}>
    <div class="field"><label for="s-target">${t('pricing.sample_target')}</label>
      <select id="s-target" name="target" value=${sample.target} onChange=${set('target')}>
        <option value="1">${t('pricing.target.1')}</option><option value="2">${t('pricing.target.2')}</option></select></div>
    <div class="field"><label for="s-km">${t('pricing.distance')}</label>
      <input id="s-km" name="km" inputmode="decimal" value=${sample.km} onInput=${set('km')} aria-invalid=${bad ? 'true' : undefined} aria-describedby=${bad ? 's-km-err' : undefined} />
      ${bad ? html`<p class="field-error" id="s-km-err" role="alert" data-code="local">${t('pricing.bad_km')}</p>` : null}</div>
    <div class="field"><label for="s-zone">${t('pricing.zone')}</label>
      <select id="s-zone" name="zone" value=${sample.zone} onChange=${set('zone')}>
        <option value="">${t('pricing.no_zone')}</option>${zones.map((z) => html`<option value=${z}>${z}</option>`)}</select></div>
    ${sample.target === '1' ? html`<div class="field"><label for="s-items">${t('pricing.items')}</label>
      <input id="s-items" name="items" inputmode="decimal" value=${sample.items} onInput=${set('items')} /></div>` : null}
    <div class="field"><label for="s-tip">${t('pricing.tip')}</label>
      <input id="s-tip" name="tip" inputmode="decimal" value=${sample.tip} onInput=${set('tip')} /></div>
  </form>`;
}

function Draft({ data, session, onDraft, reload }) {
  const rules = data.rules;
  const f = useForm(draftValues(rules), {
    check: (v) => draftProblems(v, rules),
    send: (v) => api('PUT', '/v1/coop/rules', draftRules(v, rules)),
    done: () => { onDraft(null); reload(); },
  });
  useEffect(() => {
    const bad = Object.keys(draftProblems(f.values, rules)).length > 0;
    onDraft(bad ? null : draftRules(f.values, rules));
  }, [JSON.stringify(f.values)]);
  const cur = session.currency;
  return html`<form class="draft" onSubmit=${f.submit} novalidate>
    <${FormError} form=${f} />
    ${f.errors._code === 'vote_required' ? html`<p class="vote-link"><a href="#/coop/governance/new">${t('members.propose_instead')}</a></p>` : null}
    <fieldset class="row"><legend>${t('pricing.fee_rules')}</legend>
      ${(rules.rules || []).map((r, i) => html`<${Field} form=${f} name=${'rule' + i} label=${(r.name || t('pricing.rule_n', { n: i + 1 })) + ' (' + cur + ')'} inputmode="decimal" />`)}</fieldset>
    <fieldset class="row"><legend>${t('pricing.pay')}</legend>
      ${PAY.map((k) => html`<${Field} form=${f} name=${k} label=${t('pay.' + k) + ' (' + cur + ')'} inputmode="decimal" />`)}
      ${PAY_BPS.map((k) => html`<${Field} form=${f} name=${k} label=${t('pay.' + k) + ' (%)'} inputmode="decimal" />`)}</fieldset>
    <fieldset class="row"><legend>${t('pricing.fees')}</legend>
      ${FEES_BPS.map((k) => html`<${Field} form=${f} name=${k} label=${t('fees.' + k) + ' (%)'} inputmode="decimal" />`)}
      <${Field} form=${f} name="flat_cents" label=${t('fees.flat_cents') + ' (' + cur + ')'} inputmode="decimal" /></fieldset>
    <button class="primary" disabled=${f.busy}>${t('pricing.save', { v: (rules.version || 0) + 1 })}</button>
    <p class="hint">${t('pricing.save_hint')}</p>
  </form>`;
}

export function Pricing({ session }) {
  const { data, err, live, reload } = useLive(loadPricing);
  const [sample, setSample] = useState({ target: '1', km: '3', zone: '', items: '25.00', tip: '2.00' });
  const [draft, setDraft] = useState(null);
  const [editing, setEditing] = useState(false);
  if (err) return html`<section class="screen pricing"><p class="error" role="alert">${errorText(err)}</p></section>`;
  if (!data) return html`<section class="screen pricing" aria-busy="true"><p>${t('app.loading')}</p></section>`;
  if (!data.rules) return html`<section class="screen pricing"><h1>${t('nav.pricing')}</h1><p>${t('err.no_rules')}</p></section>`;
  const r = data.rules;
  const zones = (r.zones || []).map((z) => z.name);
  const s = sample.zone || !r.service_zone ? sample : { ...sample, zone: r.service_zone };
  const m = (c) => money(c, session.currency);
  return html`<section class="screen pricing" data-version=${r.version}>
    <h1>${t('nav.pricing')} <${LiveBadge} live=${live} /></h1>
    <p class="intro">${t('pricing.intro', { v: r.version })}${r.proposal ? ' ' + t('pricing.by_vote') : ''}</p>
    <div class="pricing-cols">
      <div>
        <h2>${t('pricing.fee_rules')}</h2>
        <p class="hint">${t(r.strategy === 2 ? 'pricing.map' : 'pricing.find')}</p>
        <table class="rules"><tbody>${(r.rules || []).map((x, i) => html`<tr><td>${i + 1}. <strong>${x.name || ''}</strong></td>
          <td>${conditions(x)}</td><td>${m(x.fixed_cents)}${(x.steps || []).length ? ' + ' + t('pricing.steps') : ''}</td></tr>`)}</tbody></table>
        <h2>${t('pricing.pay')}</h2>
        <p class="pay-rule">${t('pricing.pay_rule', { base: m(r.pay.base_cents), km: m(r.pay.per_km_cents), fee: pct(r.pay.fee_bps), min: m(r.pay.min_cents) })}</p>
        <h2>${t('pricing.fees')}</h2>
        <p>${t('pricing.fees_rule', { d: pct(r.fees.delivery_bps), c: pct(r.fees.collection_bps), flat: m(r.fees.flat_cents) })}</p>
      </div>
      <div>
        <h2>${t('pricing.preview')}</h2>
        <${Sample} sample=${s} setSample=${setSample} zones=${zones} />
        <${Preview} sample=${s} draft=${editing ? draft : null} session=${session} />
        <p><label class="check"><input type="checkbox" name="edit" checked=${editing} onChange=${(e) => setEditing(e.target.checked)} /> ${t('pricing.try_draft')}</label></p>
        ${editing ? html`<${Draft} data=${data} session=${session} onDraft=${setDraft} reload=${reload} key=${r.version} />` : null}
      </div>
    </div>
  </section>`;
}
