// The courier's main screen: the open jobs near the courier's position
// (GET /v1/jobs; the position from the browser's geolocation, else typed),
// each with the distance to its pickup, the ride to the customer's area and
// the delivery fee and tip; "Claim" asks the node and shows at once whether
// this courier won or another did (named when the coop knows its name).
// Then the task flow, one tap a step: start the pickup, picked up, start
// the delivery, delivered with the customer's PIN, a photo or the
// recipient's signature (proof.js), or failed with a reason;
// the customer's address once the claim is confirmed (GET …/personal).
import { html, useState, useEffect, useRef } from '../vendor/preact-htm.js';
import { api, events } from './api.js';
import { t, money, errorText } from './i18n.js';
import { CourierPayment } from './payment.js';
import { useNet, NetBanner, act as send } from './net.js';
import { MapView } from './geo.js';
import { useProof, ProofInputs } from './proof.js';

// FAIL_REASONS are the reasons a courier gives for a failed task (§5.4.5
// takes any non-empty reason; these are the ones the app offers).
const FAIL_REASONS = ['no_answer', 'closed', 'refused', 'damaged', 'other'];
const DONE = new Set(['delivered', 'fulfilled', 'refused', 'cancelled', 'failed', 'invalid']);
const RADII_KM = [1, 3, 5, 10, 0];

const short = (id) => id.slice(0, 6).toUpperCase();
const km = (m) => (m / 1000).toFixed(1);

function restaurantName(session, key, restaurants) {
  const r = restaurants.find((x) => x.key === key);
  if (r && r.profile && r.profile.name) return r.profile.name;
  const m = session.coop && session.coop.members && session.coop.members[key];
  return (m && m.name) || short(key);
}

// winnerName names the courier who took the order, if the coop knows them.
function winnerName(session, key) {
  const m = key && session.coop && session.coop.members && session.coop.members[key];
  return m && m.name ? m.name : '';
}

// parseDeg reads a typed latitude or longitude in degrees as micro-degrees.
function parseDeg(s, max) {
  const v = Number(String(s).trim().replace(',', '.'));
  if (String(s).trim() === '' || !Number.isFinite(v) || Math.abs(v) > max) return null;
  return Math.round(v * 1e6);
}

function Outcome({ session, o }) {
  if (o.error) return html`<p class="claim-outcome lost" role="alert" data-outcome="error" data-code=${o.error.code}>${errorText(o.error)}</p>`;
  const r = o.result || {};
  if (r.won) {
    const k = r.outcome === 'won' ? 'courier.won' : 'courier.won_provisional';
    return html`<p class="claim-outcome won" role="status" data-outcome="won" data-claim-ms=${o.ms}>${t(k)}</p>`;
  }
  if (r.outcome === 'lost') {
    const name = winnerName(session, r.winner);
    return html`<p class="claim-outcome lost" role="status" data-outcome="lost" data-winner=${r.winner} data-claim-ms=${o.ms}>
      ${name ? t('courier.lost_to', { name }) : t('courier.lost')}</p>`;
  }
  return html`<p class="claim-outcome" role="status" data-outcome="pending">${t('courier.pending')}</p>`;
}

function Job({ session, job, restaurants, outcome, claim }) {
  const o = job.order;
  const p = o.place || {};
  const tot = p.totals || {};
  const fee = (tot.delivery_cents || 0) + (tot.tip_cents || 0);
  return html`<li class="job" data-order=${o.id}>
    <header><h3>${restaurantName(session, o.restaurant, restaurants)}</h3><span class="ref">#${short(o.id)}</span></header>
    <p class="distances">${job.distance_m !== null ? t('courier.to_pickup', { km: km(job.distance_m) }) : null}
      ${job.distance_m !== null && p.distance_m ? ' · ' : null}${p.distance_m ? t('courier.ride', { km: km(p.distance_m) }) : null}</p>
    ${fee ? html`<p class="pay">${t('courier.fee_tip', { amount: money(fee, session.currency) })}</p>` : null}
    ${outcome ? html`<${Outcome} session=${session} o=${outcome} />`
      : html`<button class="claim primary" onClick=${() => claim(job)}>${t('courier.claim')}</button>`}
  </li>`;
}

// Address shows the customer's details, which the node opens once the
// courier's claim is confirmed.
// version changes with the order's steps, so a share that arrives after
// the confirmation is read again.
function Address({ id, version }) {
  const [p, setP] = useState(null);
  const [err, setErr] = useState(null);
  useEffect(() => {
    if (p) return;
    api('GET', `/v1/orders/${id}/personal`).then((x) => { setP(x); setErr(null); }, setErr);
  }, [id, version]);
  if (err) return html`<p class="error" role="alert" data-code=${err.code}>${errorText(err)}</p>`;
  if (!p) return null;
  return html`<dl class="address">
    ${p.name ? html`<dt>${t('courier.customer')}</dt><dd class="name">${p.name}</dd>` : null}
    ${p.address ? html`<dt>${t('courier.address')}</dt><dd class="street">${p.address}</dd>` : null}
    ${p.phone ? html`<dt>${t('courier.phone')}</dt><dd><a href=${'tel:' + p.phone}>${p.phone}</a></dd>` : null}
    ${p.instructions ? html`<dt>${t('courier.instructions')}</dt><dd>${p.instructions}</dd>` : null}
  </dl>`;
}

// Task is one order this courier holds, with the next step's button.
function Task({ session, order, restaurants, reload, net }) {
  const [pin, setPin] = useState('');
  const [reason, setReason] = useState('');
  const [err, setErr] = useState(null);
  const [busy, setBusy] = useState(false);
  const [queued, setQueued] = useState('');
  const proof = useProof();
  const needPin = !!(order.place && order.place.pin_hash);
  const pickup = (order.pickup && order.pickup.status) || 'TODO';
  const dropoff = (order.dropoff && order.dropoff.status) || 'TODO';
  const task = pickup === 'DONE' ? 2 : 1;
  const act = async (action, body) => {
    setBusy(true);
    setErr(null);
    try {
      const r = await send(order.id, action, body, net);
      setQueued(r && r.queued ? action : '');
      if (!(r && r.queued)) await reload();
    } catch (e) {
      setErr(e);
    } finally {
      setBusy(false);
    }
  };
  // delivered: the PIN when the order has one, else a photo or a
  // signature; the signature, if drawn, is kept on the node first
  const deliver = async (e) => {
    e.preventDefault();
    if (needPin && pin.trim() === '') { setErr({ code: 'local', text: t('courier.pin_empty') }); return; }
    if (!needPin && !proof.given) { setErr({ code: 'local', text: t('proof.needed') }); return; }
    let hashes;
    try {
      hashes = await proof.hashes();
    } catch (x) {
      setErr(x);
      return;
    }
    act('deliver', { proof: { ...(pin.trim() ? { pin: pin.trim() } : {}), ...hashes } });
  };
  const fail = (e) => {
    e.preventDefault();
    if (!reason) { setErr({ code: 'bad_reason' }); return; }
    act('fail', { task, reason });
  };
  let step;
  if (pickup === 'TODO') step = html`<button class="step start-pickup primary" disabled=${busy} onClick=${() => act('start-task', { task: 1 })}>${t('courier.start_pickup')}</button>`;
  else if (pickup === 'DOING') step = html`<button class="step pickup primary" disabled=${busy} onClick=${() => act('pickup')}>${t('courier.picked_up')}</button>`;
  else if (dropoff === 'TODO') step = html`<button class="step start-dropoff primary" disabled=${busy} onClick=${() => act('start-task', { task: 2 })}>${t('courier.start_dropoff')}</button>`;
  else step = html`<form class="deliver" onSubmit=${deliver} data-need-pin=${needPin ? '1' : '0'}>
      ${needPin ? html`<label for=${'pin-' + order.id}>${t('courier.pin')}</label>
      <input id=${'pin-' + order.id} name="pin" inputmode="numeric" autocomplete="off" value=${pin} onInput=${(e) => setPin(e.target.value)}
        aria-invalid=${err && (err.code === 'pin_mismatch' || err.code === 'bad_pin') ? 'true' : undefined} />` : null}
      <${ProofInputs} id=${order.id} p=${proof} disabled=${busy} />
      ${proof.err ? html`<p class="field-error" role="alert" data-code=${proof.err.code}>${errorText(proof.err)}</p>` : null}
      <button class="step delivered primary" disabled=${busy || proof.busy}>${t('courier.delivered')}</button></form>`;
  return html`<li class="task" data-order=${order.id} data-status=${order.status} data-pickup=${pickup} data-dropoff=${dropoff}>
    <header><h3>${restaurantName(session, order.restaurant, restaurants)}</h3><span class="ref">#${short(order.id)}</span>
      <span class="status">${t('courier.status.' + order.status)}</span></header>
    ${order.holder_confirmed ? html`<${Address} id=${order.id} version=${(order.steps || []).length + (order.shares || []).length} />` : html`<p class="hint">${t('courier.unconfirmed')}</p>`}
    <${CourierPayment} order=${order} session=${session} reload=${reload} />
    ${queued && net.queued ? html`<p class="queued" role="status" data-queued=${queued}>${t('net.queued_step')}</p>` : step}
    ${err ? html`<p class="field-error" role="alert" data-code=${err.code}>${err.text || errorText(err)}</p>` : null}
    <form class="fail" onSubmit=${fail}>
      <label for=${'reason-' + order.id}>${t(task === 1 ? 'courier.fail_pickup' : 'courier.fail_dropoff')}</label>
      <select id=${'reason-' + order.id} name="reason" value=${reason} onChange=${(e) => setReason(e.target.value)}>
        <option value="">${t('courier.fail_choose')}</option>
        ${FAIL_REASONS.map((r) => html`<option value=${r}>${t('fail.' + r)}</option>`)}</select>
      <button class="step failed" disabled=${busy}>${t('courier.failed')}</button></form>
  </li>`;
}

// JobsMap shows the jobs on the map: the courier's position, each job's
// pickup (its number) and customer area (the same number), joined; picking
// either shows that job's card below, with the same Claim and outcome as
// the list.
function JobsMap({ session, jobs, me, restaurants, outcomes, claim }) {
  const [sel, setSel] = useState('');
  const card = useRef(null);
  // the picked job's card is brought into view (it sits under the map)
  useEffect(() => { if (sel && card.current && card.current.scrollIntoView) card.current.scrollIntoView({ block: 'nearest' }); }, [sel]);
  const points = [];
  const lines = [];
  if (me) points.push({ kind: 'courier', pos: { lat_e6: me.lat, lon_e6: me.lon }, label: t('courier.you') });
  jobs.forEach((j, i) => {
    const o = j.order, p = o.place || {}, n = String(i + 1), name = restaurantName(session, o.restaurant, restaurants);
    points.push({ id: o.id, kind: 'restaurant', pos: p.pickup, label: n,
      name: t('courier.map_pickup', { n, name }) + (j.distance_m !== null && j.distance_m !== undefined ? ', ' + t('courier.to_pickup', { km: km(j.distance_m) }) : '') });
    points.push({ id: o.id, kind: 'home', pos: p.dropoff_area, label: n, name: t('courier.map_dropoff', { n, name }) });
    lines.push([p.pickup, p.dropoff_area, 'job']);
  });
  const job = jobs.find((j) => j.order.id === sel);
  return html`<div class="jobs-map" data-jobs=${jobs.length}>
    <${MapView} points=${points} lines=${lines} label=${t('courier.map')} onPick=${setSel} selected=${sel} />
    ${job ? html`<ul class="jobs picked" aria-live="polite" ref=${card}><${Job} key=${job.order.id} session=${session} job=${job}
        restaurants=${restaurants} outcome=${outcomes[job.order.id]} claim=${claim} /></ul>`
      : html`<p class=${jobs.length ? 'hint' : 'empty'} aria-live="polite">${t(jobs.length ? 'courier.map_pick' : 'courier.no_jobs')}</p>`}
  </div>`;
}

export function CourierJobs({ session }) {
  const [lat, setLat] = useState('');
  const [lon, setLon] = useState('');
  const [radius, setRadius] = useState('5');
  const [posErr, setPosErr] = useState('');
  const [geo, setGeo] = useState('asking');
  const [jobs, setJobs] = useState(null);
  const [mine, setMine] = useState([]);
  const [restaurants, setRestaurants] = useState([]);
  const [outcomes, setOutcomes] = useState({});
  const [err, setErr] = useState(null);
  const [view, setView] = useState(localStorage.getItem('coopnode.jobs_view') || 'list');
  const typed = useRef(false);
  const pos = useRef(null);
  const net = useNet(() => reloadRef.current());

  const seq = useRef(0);
  // reload reads the jobs, this courier's tasks and the restaurants; an
  // answer older than the latest request is dropped.
  const reload = async () => {
    const n = ++seq.current;
    try {
      const p = pos.current;
      const q = p ? `lat_e6=${p.lat}&lon_e6=${p.lon}&radius_m=${Number(radius) * 1000}` : 'radius_m=0';
      const [js, os, rs] = await Promise.all([api('GET', '/v1/jobs?' + q), api('GET', '/v1/orders?open=1&mine=1'), api('GET', '/v1/restaurants')]);
      if (n !== seq.current) return;
      setJobs(p ? js : js.map((j) => ({ ...j, distance_m: null })));
      setMine(os.filter((o) => o.holder === session.me && !DONE.has(o.status)));
      setRestaurants(rs);
      setErr(null);
    } catch (e) {
      if (n === seq.current) setErr(e);
    }
  };
  const reloadRef = useRef(reload);
  reloadRef.current = reload;

  const search = (e) => {
    if (e) e.preventDefault();
    const la = parseDeg(lat, 90);
    const lo = parseDeg(lon, 180);
    if (la === null || lo === null) { setPosErr(t('courier.bad_position')); return; }
    setPosErr('');
    pos.current = { lat: la, lon: lo };
    reload();
  };

  useEffect(() => {
    if (navigator.geolocation) {
      navigator.geolocation.getCurrentPosition((p) => {
        if (typed.current) return;
        setLat(p.coords.latitude.toFixed(6));
        setLon(p.coords.longitude.toFixed(6));
        pos.current = { lat: Math.round(p.coords.latitude * 1e6), lon: Math.round(p.coords.longitude * 1e6) };
        setGeo('ok');
        reloadRef.current();
      }, () => setGeo('denied'), { timeout: 5000, maximumAge: 60000 });
    } else setGeo('denied');
    reloadRef.current();
    let timer = 0;
    return events((ch) => {
      if (ch.scope !== 'order') return;
      clearTimeout(timer);
      timer = setTimeout(() => reloadRef.current(), 100);
    }, (on) => { if (on) reloadRef.current(); });
  }, []);

  const claim = async (job) => {
    const id = job.order.id;
    const t0 = performance.now();
    setOutcomes((m) => ({ ...m, [id]: { pending: true, job } }));
    const position = pos.current ? { lat_e6: pos.current.lat, lon_e6: pos.current.lon } : undefined;
    let o;
    try {
      const r = await api('POST', `/v1/orders/${id}/claim`, { position, wait: true });
      o = { job, result: r.result || {}, ms: Math.round(performance.now() - t0) };
    } catch (e) {
      o = { job, error: e, ms: Math.round(performance.now() - t0) };
    }
    setOutcomes((m) => ({ ...m, [id]: o }));
    reload();
  };

  const type = (set) => (e) => { typed.current = true; set(e.target.value); };
  // a job this courier claimed stays listed with its outcome, even once
  // it is no longer open
  const listed = Object.values(outcomes).map((o) => o.job).concat((jobs || []).filter((j) => !outcomes[j.order.id]));
  return html`<section class="screen courier">
    <h1>${t('nav.jobs')}</h1>
    <${NetBanner} net=${net} />
    ${err ? html`<p class="error" role="alert" data-code=${err.code}>${errorText(err)}</p>` : null}
    ${mine.length ? html`<h2>${t('courier.my_tasks')}</h2><ul class="tasks">
      ${mine.map((o) => html`<${Task} key=${o.id} session=${session} order=${o} restaurants=${restaurants} reload=${reload} net=${net} />`)}</ul>` : null}
    <form class="position" onSubmit=${search}>
      <p class="hint" data-geo=${geo}>${t('courier.geo.' + geo)}</p>
      <div class="field"><label for="c-lat">${t('courier.lat')}</label>
        <input id="c-lat" name="lat" inputmode="decimal" value=${lat} onInput=${type(setLat)} aria-invalid=${posErr ? 'true' : undefined} /></div>
      <div class="field"><label for="c-lon">${t('courier.lon')}</label>
        <input id="c-lon" name="lon" inputmode="decimal" value=${lon} onInput=${type(setLon)} aria-invalid=${posErr ? 'true' : undefined} /></div>
      <div class="field"><label for="c-radius">${t('courier.radius')}</label>
        <select id="c-radius" name="radius" value=${radius} onChange=${(e) => setRadius(e.target.value)}>
          ${RADII_KM.map((r) => html`<option value=${String(r)}>${r ? r + ' km' : t('courier.any_distance')}</option>`)}</select></div>
      <button class="search">${t('courier.search')}</button>
      ${posErr ? html`<p class="field-error" role="alert" data-code="local">${posErr}</p>` : null}
    </form>
    <div class="view-switch" role="group" aria-label=${t('courier.view')}>
      ${['list', 'map'].map((v) => html`<button type="button" class=${'view-' + v} aria-pressed=${String(view === v)}
        onClick=${() => { setView(v); localStorage.setItem('coopnode.jobs_view', v); }}>${t('courier.view_' + v)}</button>`)}</div>
    ${jobs === null ? html`<p aria-busy="true">${t('app.loading')}</p>`
      : view === 'map' ? html`<${JobsMap} session=${session} jobs=${listed} me=${pos.current} restaurants=${restaurants} outcomes=${outcomes} claim=${claim} />`
      : listed.length === 0 ? html`<p class="empty">${t('courier.no_jobs')}</p>`
      : html`<ul class="jobs">${listed.map((j) => html`<${Job} key=${j.order.id} session=${session} job=${j}
          restaurants=${restaurants} outcome=${outcomes[j.order.id]} claim=${claim} />`)}</ul>`}
  </section>`;
}
