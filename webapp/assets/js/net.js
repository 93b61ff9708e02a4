// Working offline (issue 15, scenario 5), on two levels, said on screen:
//  - the node has no network (no peers): what the courier does is still
//    signed and stored by its own node, and reaches the others when the
//    network is back (gossip and sync). The page counts the steps taken
//    while offline until the node's sync has sent them (its sync_events_out
//    grew by as many, or two sync sessions ran since it reconnected).
//  - the page cannot reach its node (a browser on another device, or the
//    app's node stopped): actions are queued on this page (localStorage)
//    and sent in order once the node answers again.
import { html, useState, useEffect, useRef } from '../vendor/preact-htm.js';
import { api } from './api.js';
import { t, errorText } from './i18n.js';

const QUEUE = 'coopnode.courier.queue';
const RECORDED = 'coopnode.courier.recorded';
const POLL_MS = 2000;

const read = (k, d) => { try { return JSON.parse(localStorage.getItem(k)) ?? d; } catch { return d; } };
const write = (k, v) => localStorage.setItem(k, JSON.stringify(v));

// act posts an order action; when the node cannot be reached it is queued
// (resolves {queued: true}). A refusal by the node is thrown as usual.
export async function act(id, action, body, net) {
  if (read(QUEUE, []).length) { enqueue(id, action, body, net); return { queued: true }; } // keep the order
  try {
    const r = await api('POST', `/v1/orders/${id}/${action}`, body);
    if (net && net.peers === 0) net.recorded(1);
    return r;
  } catch (e) {
    if (e.code !== 'offline') throw e;
    enqueue(id, action, body, net);
    return { queued: true };
  }
}

function enqueue(id, action, body, net) {
  write(QUEUE, [...read(QUEUE, []), { id, action, body }]);
  if (net) net.changed();
}

// useNet polls GET /v1/status: reachable, the node's peers, and what is
// waiting (queued on the page, or recorded offline and not yet synced).
export function useNet(onBack) {
  const [s, setS] = useState({ state: 'unknown', peers: -1, queued: read(QUEUE, []).length, pending: read(RECORDED, { n: 0 }).n, errors: [] });
  const ref = useRef({});
  const poll = async () => {
    let st;
    try { st = await api('GET', '/v1/status'); } catch (e) {
      setS((x) => ({ ...x, state: 'unreachable', queued: read(QUEUE, []).length }));
      return;
    }
    const errors = await flush();
    const rec = read(RECORDED, { n: 0 });
    const stats = st.stats || {};
    if (rec.n > 0 && st.peers > 0) {
      if (rec.backSessions === undefined) { rec.backSessions = stats.sync_sessions; write(RECORDED, rec); }
      if (stats.sync_events_out - rec.out >= rec.n || stats.sync_sessions - rec.backSessions >= 2) { write(RECORDED, { n: 0 }); rec.n = 0; }
    } else if (rec.n > 0 && st.peers === 0 && rec.backSessions !== undefined) {
      delete rec.backSessions; write(RECORDED, rec);
    }
    ref.current.stats = stats;
    const queued = read(QUEUE, []).length;
    const state = queued ? 'unreachable' : st.peers === 0 ? 'offline' : rec.n > 0 ? 'syncing' : 'online';
    setS((x) => {
      if (x.state !== state && (state === 'online' || state === 'syncing') && onBack) onBack();
      return { state, peers: st.peers, queued, pending: rec.n, errors: errors.length ? errors : x.errors };
    });
  };
  const pollRef = useRef(poll);
  pollRef.current = poll;
  useEffect(() => {
    pollRef.current();
    const timer = setInterval(() => pollRef.current(), POLL_MS);
    const on = () => pollRef.current();
    addEventListener('online', on);
    return () => { clearInterval(timer); removeEventListener('online', on); };
  }, []);
  return {
    ...s,
    // recorded counts n steps taken while the node had no network
    recorded(n) {
      const r = read(RECORDED, { n: 0 });
      if (!r.n) r.out = (ref.current.stats || {}).sync_events_out || 0;
      r.n += n;
      delete r.backSessions;
      write(RECORDED, r);
      setS((x) => ({ ...x, pending: r.n }));
    },
    changed() { setS((x) => ({ ...x, queued: read(QUEUE, []).length, state: 'unreachable' })); },
  };
}

// flush sends the queued actions in order; it stops at the first the
// node still cannot be reached for, and drops (and reports) refused ones.
async function flush() {
  const errors = [];
  for (let q = read(QUEUE, []); q.length; q = read(QUEUE, [])) {
    try {
      await api('POST', `/v1/orders/${q[0].id}/${q[0].action}`, q[0].body);
    } catch (e) {
      if (e.code === 'offline') break;
      errors.push({ ...q[0], code: e.code });
    }
    write(QUEUE, read(QUEUE, []).slice(1));
  }
  return errors;
}

export function NetBanner({ net }) {
  const n = net.state === 'unreachable' ? net.queued : net.pending;
  return html`<div class=${'netstate ' + net.state} role="status" data-state=${net.state} data-pending=${net.pending} data-queued=${net.queued}>
    ${net.state === 'unreachable' ? t('net.unreachable', { n })
      : net.state === 'offline' ? t('net.offline', { n })
      : net.state === 'syncing' ? t('net.syncing', { n })
      : net.state === 'online' ? t('net.online', { n: net.peers }) : ''}
    ${net.errors.map((e) => html`<p class="field-error" data-code=${e.code}>${t('net.dropped', { action: e.action, id: e.id.slice(0, 6).toUpperCase() })} ${errorText(e)}</p>`)}
  </div>`;
}
