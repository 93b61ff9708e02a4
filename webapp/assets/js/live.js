// Live data for the cooperative's screens: load() reads what a screen
// shows from the API; every change of the given scopes on the node's event
// stream (GET /v1/events) reads it again, and so does the stream coming
// back after a drop (changes made meanwhile are not replayed). The screen
// says "live" or "reconnecting…" from the stream's state.
import { html, useState, useEffect, useRef } from '../vendor/preact-htm.js';
import { events } from './api.js';
import { t } from './i18n.js';

export function useLive(load, scopes = ['coop'], deps = []) {
  const [data, setData] = useState(null);
  const [err, setErr] = useState(null);
  const [live, setLive] = useState(false);
  const seq = useRef(0);
  const reload = async () => {
    const mine = ++seq.current;
    try {
      const d = await load();
      if (mine === seq.current) { setData(d); setErr(null); }
    } catch (e) {
      if (mine === seq.current) setErr(e);
    }
  };
  useEffect(() => {
    reload();
    const stop = events((ch) => { if (scopes.includes(ch.scope)) reload(); }, (on) => { setLive(on); if (on) reload(); });
    return stop;
  }, deps);
  return { data, err, live, reload };
}

export function LiveBadge({ live }) {
  return html`<span class=${'live ' + (live ? 'on' : 'off')} role="status">${t(live ? 'live.on' : 'live.off')}</span>`;
}

// memberName names a member key from the coop state: its name, else the
// key's first characters.
export function memberName(coop, key) {
  const m = coop && coop.members && coop.members[key];
  return (m && m.name) || (key ? key.slice(0, 8) + '…' : '');
}

// ROLES are the member roles, in the order the screens list them.
export const ROLES = ['courier', 'dispatcher', 'admin', 'restaurant', 'shop'];

// rolesText names a list of roles in the page's language.
export function rolesText(roles) {
  return (roles || []).map((r) => t('role.' + r)).join(', ');
}

// cents reads an amount typed in the coop's currency ("4.50", "4,50") as
// cents, or null when it is not one.
export function cents(s) {
  const v = String(s).trim().replace(',', '.');
  if (!/^\d+(\.\d{1,2})?$/.test(v)) return null;
  return Math.round(parseFloat(v) * 100);
}

// bps reads a percentage ("15", "7.5") as basis points, or null.
export function bps(s, max = 10000) {
  const v = String(s).trim().replace(',', '.');
  if (!/^\d+(\.\d{1,2})?$/.test(v)) return null;
  const n = Math.round(parseFloat(v) * 100);
  return n <= max ? n : null;
}

export const pct = (n) => String((n || 0) / 100);
export const amount = (c) => ((c || 0) / 100).toFixed(2);
