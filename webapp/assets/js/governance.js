// The cooperative's decisions (issue 16; SPEC.md §19): the proposals by
// status (open, provisional while late votes may still arrive, final), one
// proposal with its decision, the member's vote (agree, abstain, disagree,
// block, with a reason; changed until the close), delegation, the results
// with who voted how (votes are signed events of the coop log, so they are
// public, §19.3), and the enactment of a passed decision once final. Every
// number is the node's own tally (GET /v1/proposals/{id}/tally), re-read on
// each change of the coop log.
import { html, useState } from '../vendor/preact-htm.js';
import { api } from './api.js';
import { useForm, Field, FormError } from './forms.js';
import { t, dateTime, money, errorText } from './i18n.js';
import { useLive, LiveBadge, memberName, rolesText } from './live.js';

export const CHOICES = [1, 2, 3, 4]; // agree, abstain, disagree, block (§19.2.2)
const STATUSES = ['open', 'provisional', 'final'];

// loadGovernance reads the coop (names, rules, constitution), every
// proposal and its tally.
async function loadGovernance() {
  const [coop, proposals] = await Promise.all([api('GET', '/v1/coop'), api('GET', '/v1/proposals')]);
  const tallies = {};
  await Promise.all(proposals.map(async (p) => { tallies[p.id] = await api('GET', `/v1/proposals/${p.id}/tally`); }));
  let rules = null;
  try { rules = await api('GET', '/v1/coop/rules'); } catch (e) { if (e.code !== 'no_rules') throw e; }
  return { coop, proposals, tallies, rules };
}

function electorate(p) {
  return p.open.role && p.open.role.length ? t('gov.electorate_role', { roles: rolesText(p.open.role) }) : t('gov.electorate_all');
}

function ruleText(open) {
  let s = t('gov.rule.' + open.rule);
  if (open.rule === 3) s += ' · ' + t('gov.blocks_stop', { n: open.blocks || 1 });
  s += ' · ' + (open.quorum_bps ? t('gov.quorum', { pct: open.quorum_bps / 100 }) : t('gov.no_quorum'));
  return s;
}

// Result says how the proposal stands: passing or failing (provisional
// while open or within the grace period), passed or rejected once final.
function Result({ tally }) {
  const final = tally.status === 'final';
  const key = tally.passed ? (final ? 'gov.passed' : 'gov.passing') : (final ? 'gov.rejected' : 'gov.failing');
  return html`<span class=${'result ' + (tally.passed ? 'yes' : 'no')} data-passed=${String(tally.passed)}>${t(key)}</span>`;
}

function Counts({ tally }) {
  return html`<p class="counts">
    ${CHOICES.map((c) => html`<span class=${'count c' + c} data-choice=${c}>${t('gov.choice.' + c)}: <strong>${tally[['', 'agree', 'abstain', 'disagree', 'block'][c]]}</strong></span> `)}
    <span class="turnout">${t('gov.turnout', { n: tally.turnout, of: tally.electorate })}${tally.delegated ? ' · ' + t('gov.delegated_n', { n: tally.delegated }) : ''}</span>
    ${tally.quorum_met ? null : html` <span class="no-quorum">${t('gov.quorum_not_met')}</span>`}
  </p>`;
}

// eligible says whether member may vote on p: a member, not revoked,
// holding a role of its electorate if it names one (SPEC.md §19.3).
function eligible(member, p) {
  return !!(member && !member.revoked_at && (!p.open.role || !p.open.role.length || (member.roles || []).some((r) => p.open.role.includes(r))));
}

function ProposalCard({ p, tally, data, session }) {
  const mine = (tally.votes || []).find((v) => v.member === session.me);
  const left = p.open.closes - Date.now();
  const remind = tally.status === 'open' && !mine && eligible(data.coop.members[session.me], p);
  return html`<li class="proposal" data-proposal=${p.id} data-status=${tally.status}>
    <header><h3><a href=${'#/coop/governance/' + p.id}>${p.open.title}</a></h3>
      <span class=${'badge status-' + tally.status}>${t('gov.status.' + tally.status)}</span> <${Result} tally=${tally} /></header>
    <p class="meta">${t('gov.by', { name: memberName(data.coop, p.author) })} · ${t(tally.status === 'open' ? 'gov.closes' : 'gov.closed', { at: dateTime(p.open.closes, session.tz) })}${' · '}${electorate(p)} · ${ruleText(p.open)}</p>
    <${Counts} tally=${tally} />
    ${remind ? html`<p class="reminder">${t(left < 86400000 ? 'gov.remind_hours' : 'gov.remind_days', { n: Math.max(1, Math.round(left / (left < 86400000 ? 3600000 : 86400000))) })}</p>` : null}
    ${mine ? html`<p class="my-vote">${t(mine.via ? 'gov.my_vote_via' : 'gov.my_vote', { choice: t('gov.choice.' + mine.choice), name: memberName(data.coop, mine.via) })}</p>` : null}
  </li>`;
}

// Governance is the list of proposals by status, live.
export function Governance({ session }) {
  const { data, err, live } = useLive(loadGovernance);
  if (err) return html`<section class="screen governance"><h1>${t('nav.governance')}</h1><p class="error" role="alert">${errorText(err)}</p></section>`;
  if (!data) return html`<section class="screen governance" aria-busy="true"><h1>${t('nav.governance')}</h1><p>${t('app.loading')}</p></section>`;
  const by = { open: [], provisional: [], final: [] };
  for (const p of [...data.proposals].reverse()) by[data.tallies[p.id].status].push(p);
  return html`<section class="screen governance" data-loaded="true">
    <h1>${t('nav.governance')} <${LiveBadge} live=${live} /></h1>
    <p class="intro">${t('gov.intro')}</p>
    <p><a class="button primary new-proposal" href="#/coop/governance/new">${t('gov.new')}</a></p>
    ${STATUSES.map((s) => html`<section class=${'group ' + s} aria-labelledby=${'g-' + s}>
      <h2 id=${'g-' + s}>${t('gov.group.' + s)} <span class="n">(${by[s].length})</span></h2>
      ${by[s].length ? html`<ul class="proposals">${by[s].map((p) => html`<${ProposalCard} p=${p} tally=${data.tallies[p.id]} data=${data} session=${session} />`)}</ul>`
        : html`<p class="none">${t('gov.none.' + s)}</p>`}
    </section>`)}
  </section>`;
}

// DecisionText says what a proposal enacts if it passes, against what is in
// force now for a rule change.
export function DecisionText({ d, data, session }) {
  const cur = data.rules || {};
  const m = (c) => money(c, session.currency);
  switch (d && d.kind) {
    case 'rules.set': {
      const rows = [];
      const pay = d.rules.pay || {}; const was = cur.pay || {};
      for (const [k, f] of [['base_cents', m], ['per_km_cents', m], ['per_dropoff_cents', m], ['fee_bps', (x) => (x || 0) / 100 + ' %'], ['min_cents', m]]) {
        if ((pay[k] || 0) !== (was[k] || 0)) rows.push([t('pay.' + k), f(was[k]), f(pay[k])]);
      }
      const fees = d.rules.fees || {}; const wasF = cur.fees || {};
      for (const [k, f] of [['delivery_bps', (x) => (x || 0) / 100 + ' %'], ['collection_bps', (x) => (x || 0) / 100 + ' %'], ['flat_cents', m]]) {
        if ((fees[k] || 0) !== (wasF[k] || 0)) rows.push([t('fees.' + k), f(wasF[k]), f(fees[k])]);
      }
      return html`<div class="decision rules"><p>${t('gov.decides.rules', { v: d.rules.version })}</p>
        ${rows.length ? html`<table class="diff"><thead><tr><th>${t('gov.what')}</th><th>${t('gov.now')}</th><th>${t('gov.then')}</th></tr></thead>
          <tbody>${rows.map(([a, b, c]) => html`<tr><td>${a}</td><td>${b}</td><td class="then">${c}</td></tr>`)}</tbody></table>`
          : html`<p>${t('gov.decides.rules_other')}</p>`}</div>`;
    }
    case 'member.admit': return html`<p class="decision">${t('gov.decides.admit', { name: d.admit.name || d.admit.member.slice(0, 8), roles: rolesText(d.admit.roles) })}</p>`;
    case 'member.revoke': return html`<p class="decision">${t('gov.decides.revoke', { name: memberName(data.coop, d.revoke.member) })}</p>`;
    case 'constitution.amend': return html`<p class="decision">${t('gov.decides.constitution', { matters: ((d.constitution.matters) || []).map((x) => t('matter.' + x.matter)).join(', ') || t('gov.nothing') })}</p>`;
    default: return html`<p class="decision">${t('gov.decides.nothing')}</p>`;
  }
}

function VoteForm({ p, tally, mine, reload }) {
  const f = useForm({ choice: mine && !mine.via ? String(mine.choice) : '', reason: '' }, {
    check: (v) => (v.choice ? {} : { choice: 'gov.pick_choice' }),
    send: (v) => api('POST', `/v1/proposals/${p.id}/vote`, { choice: +v.choice, reason: v.reason.trim() }),
    codeField: { not_eligible: 'choice', vote_closed: 'choice', bad_argument: 'choice' }, done: reload,
  });
  const err = f.errors.choice;
  return html`<form class="vote" onSubmit=${f.submit} novalidate>
    <${FormError} form=${f} />
    <fieldset aria-describedby=${err ? f.id + '-choice-err' : undefined} aria-invalid=${err ? 'true' : undefined}>
      <legend>${t(mine && !mine.via ? 'gov.change_vote' : 'gov.your_vote')}</legend>
      ${CHOICES.map((c) => html`<label class=${'choice c' + c}><input type="radio" name="choice" value=${c} checked=${f.values.choice === String(c)}
        onChange=${f.set('choice')} /> ${t('gov.choice.' + c)}</label>`)}
      ${err ? html`<p class="field-error" id=${f.id + '-choice-err'} role="alert" data-code=${f.errors._code || 'local'}>${err}</p>` : null}
    </fieldset>
    <${Field} form=${f} name="reason" label=${t('gov.reason')} />
    <button class="primary" disabled=${f.busy}>${t(mine && !mine.via ? 'gov.change' : 'gov.vote')}</button>
  </form>`;
}

function DelegateForm({ p, data, session, reload }) {
  const [done, setDone] = useState('');
  const others = Object.values(data.coop.members || {}).filter((m) => m.key !== session.me && !m.revoked_at);
  const f = useForm({ to: '' }, {
    check: (v) => (v.to ? {} : { to: 'gov.pick_delegate' }),
    send: (v) => api('POST', `/v1/proposals/${p.id}/delegate`, v.to === 'none' ? {} : { to: v.to }),
    codeField: { not_eligible: 'to', bad_field: 'to', bad_argument: 'to' },
    done: () => { setDone(f.values.to); reload(); },
  });
  return html`<form class="delegate" onSubmit=${f.submit} novalidate>
    <${FormError} form=${f} />
    <${Field} form=${f} name="to" label=${t('gov.delegate_to')}
      options=${[['', t('gov.pick')], ...others.map((m) => [m.key, m.name || m.key.slice(0, 8)]), ['none', t('gov.withdraw')]]} />
    <button disabled=${f.busy}>${t('gov.delegate')}</button>
    ${done ? html`<p class="done" role="status" data-delegated=${done}>${done === 'none' ? t('gov.withdrawn') : t('gov.delegated', { name: memberName(data.coop, done) })}</p>` : null}
    <p class="hint">${t('gov.delegate_hint')}</p>
  </form>`;
}

function EnactForm({ p, reload }) {
  const f = useForm({}, { send: () => api('POST', `/v1/proposals/${p.id}/enact`), done: reload });
  return html`<form class="enact" onSubmit=${f.submit}><${FormError} form=${f} />
    <button class="primary" disabled=${f.busy}>${t('gov.enact')}</button> <span class="hint">${t('gov.enact_hint')}</span></form>`;
}

// ProposalPage is one proposal: its text and decision, the member's vote
// and delegation while open, the results, and the enactment once final.
export function ProposalPage({ session, id }) {
  const { data, err, live, reload } = useLive(loadGovernance);
  if (err) return html`<section class="screen proposal-page"><p class="error" role="alert">${errorText(err)}</p></section>`;
  if (!data) return html`<section class="screen proposal-page" aria-busy="true"><p>${t('app.loading')}</p></section>`;
  const p = data.proposals.find((x) => x.id === id);
  const tally = data.tallies[id];
  if (!p) return html`<section class="screen proposal-page"><p class="error" role="alert">${t('err.unknown_proposal')}</p></section>`;
  const mine = (tally.votes || []).find((v) => v.member === session.me);
  const mayVote = eligible(data.coop.members[session.me], p);
  return html`<section class="screen proposal-page" data-proposal=${p.id} data-status=${tally.status} data-agree=${tally.agree}
      data-turnout=${tally.turnout} data-passed=${String(tally.passed)} data-enacted=${tally.enacted ? 'true' : 'false'}>
    <p><a href="#/coop/governance">← ${t('nav.governance')}</a></p>
    <h1>${p.open.title} <${LiveBadge} live=${live} /></h1>
    <p><span class=${'badge status-' + tally.status}>${t('gov.status.' + tally.status)}</span> <${Result} tally=${tally} />
      ${tally.enacted ? html` <span class="enacted">${t('gov.enacted')}</span>` : null}
      <button class="refresh" onClick=${reload}>${t('gov.refresh')}</button></p>
    <p class="meta">${t('gov.by', { name: memberName(data.coop, p.author) })} · ${t('gov.opened', { at: dateTime(p.opened, session.tz) })}${' · '}${t(tally.status === 'open' ? 'gov.closes' : 'gov.closed', { at: dateTime(p.open.closes, session.tz) })}</p>
    <p class="meta">${electorate(p)} · ${ruleText(p.open)}</p>
    ${p.open.text ? html`<div class="text">${p.open.text.split('\n').map((l) => html`<p>${l}</p>`)}</div>` : null}
    <${DecisionText} d=${p.open.decision} data=${data} session=${session} />
    ${tally.status === 'provisional' ? html`<p class="hint">${t('gov.provisional_hint')}</p>` : null}
    ${tally.status === 'open' && mayVote ? html`<div class="ballot">
      <${VoteForm} p=${p} tally=${tally} mine=${mine} reload=${reload} key=${'v' + (mine ? mine.event : '')} />
      <${DelegateForm} p=${p} data=${data} session=${session} reload=${reload} /></div>` : null}
    ${tally.status === 'open' && !mayVote ? html`<p class="not-eligible">${t('err.not_eligible')}</p>` : null}
    ${tally.status === 'final' && tally.passed && p.open.decision && p.open.decision.kind && !tally.enacted ? html`<${EnactForm} p=${p} reload=${reload} />` : null}
    <h2>${t('gov.results')}</h2>
    <${Counts} tally=${tally} />
    <p class="hint">${t('gov.public')}</p>
    <table class="votes"><thead><tr><th>${t('gov.member')}</th><th>${t('gov.choice')}</th><th>${t('gov.reason')}</th></tr></thead>
      <tbody>${(tally.votes || []).map((v) => html`<tr data-member=${v.member} data-choice=${v.choice}>
        <td>${memberName(data.coop, v.member)}</td>
        <td class=${'c' + v.choice}>${t('gov.choice.' + v.choice)}${v.via ? ' ' + t('gov.via', { name: memberName(data.coop, v.via) }) : ''}</td>
        <td>${v.reason || ''}</td></tr>`)}</tbody></table>
  </section>`;
}
