// "The network" (issue 13 item 7, issue 15): the peers this node is
// connected to (GET /v1/peers), each named as the coop knows it — the
// member's name and roles in words, or "not a member" — whether the link
// is direct or goes through a relay, its transport and round-trip time;
// and this node itself (GET /v1/status: its peer ID and addresses). Links
// come and go without events, so the list is read again every few seconds.
import { html, useState, useEffect, useRef } from '../vendor/preact-htm.js';
import { api } from './api.js';
import { t, errorText } from './i18n.js';

const EVERY_MS = 3000;

function rtt(ms) {
  if (!ms) return '—';
  return t('network.ms', { ms: ms < 10 ? ms.toFixed(1) : String(Math.round(ms)) });
}

function PeerRow({ p }) {
  const roles = p.role ? p.role.split(',').map((r) => t('role1.' + r)).join(', ') : t('network.no_role');
  return html`<tr data-peer=${p.peer_id} data-key=${p.key} data-member=${p.member ? '1' : '0'} data-link=${p.link} class=${p.member ? '' : 'stranger'}>
    <td class="who">${p.member ? html`<strong>${p.name || t('network.unnamed')}</strong>` : html`<span class="not-member">${t('network.not_member')}</span>`}
      <br /><code class="key" title=${p.peer_id}>${p.key.slice(0, 12)}…</code></td>
    <td class="roles">${p.member ? roles : '—'}</td>
    <td class="link"><span class=${'link-' + p.link}>${t('network.link.' + p.link)}</span></td>
    <td class="transport">${p.transport}</td>
    <td class="rtt" data-ms=${p.rtt_ms}>${rtt(p.rtt_ms)}</td>
    <td class="addr"><code>${p.addr}</code></td>
  </tr>`;
}

export function Network({ session }) {
  const [peers, setPeers] = useState(null);
  const [status, setStatus] = useState(session.status);
  const [err, setErr] = useState(null);
  const seq = useRef(0);
  const load = async () => {
    const n = ++seq.current;
    try {
      const [ps, st] = await Promise.all([api('GET', '/v1/peers'), api('GET', '/v1/status')]);
      if (n !== seq.current) return;
      setPeers(ps);
      setStatus(st);
      setErr(null);
    } catch (e) {
      if (n === seq.current) setErr(e);
    }
  };
  useEffect(() => {
    load();
    const id = setInterval(load, EVERY_MS);
    return () => clearInterval(id);
  }, []);
  const list = peers || [];
  const direct = list.filter((p) => p.link === 'direct').length;
  const members = list.filter((p) => p.member).sort((a, b) => (a.name || a.key).localeCompare(b.name || b.key));
  const others = list.filter((p) => !p.member);
  return html`<section class="screen network" data-count=${peers ? list.length : ''}>
    <h1>${t('nav.network')}</h1>
    <p class="intro">${t('network.intro')}</p>
    ${err ? html`<p class="error" role="alert" data-code=${err.code}>${errorText(err)}</p>` : null}
    ${peers === null && !err ? html`<p aria-busy="true">${t('app.loading')}</p>` : null}
    ${peers ? html`<p class="summary" role="status">${list.length === 0 ? t('network.none')
        : t('network.summary', { n: list.length, direct, relayed: list.length - direct })}</p>
      ${list.length ? html`<div class="table-scroll"><table class="peers" aria-label=${t('network.caption')}>
        <thead><tr><th scope="col">${t('network.who')}</th><th scope="col">${t('network.roles')}</th><th scope="col">${t('network.link')}</th>
          <th scope="col">${t('network.transport')}</th><th scope="col">${t('network.rtt')}</th><th scope="col">${t('network.addr')}</th></tr></thead>
        <tbody>${members.concat(others).map((p) => html`<${PeerRow} key=${p.peer_id} p=${p} />`)}</tbody></table></div>` : null}` : null}
    <h2>${t('network.this_node')}</h2>
    <dl class="this-node">
      <dt>${t('network.peer_id')}</dt><dd><code class="peer-id">${status.peer_id}</code></dd>
      <dt>${t('network.addrs')}</dt><dd>${(status.addrs || []).length
        ? html`<ul class="addrs">${status.addrs.map((a) => html`<li><code>${a}</code></li>`)}</ul>` : t('network.no_addrs')}</dd>
    </dl>
  </section>`;
}
