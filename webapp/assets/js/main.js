// The app shell: who this node is (GET /v1/status, /v1/coop), the
// navigation for every role, the language switch and hash routing
// (#/restaurant, #/restaurant/ticket/ID, …). Screens live in their own
// modules and get a shared `session` object.
import { html, render, useState, useEffect } from '../vendor/preact-htm.js';
import { api, events } from './api.js';
import { t, setLocale, pickLocale, locale, LOCALES, errorText } from './i18n.js';
import { RestaurantOrders, Ticket } from './restaurant.js';
import { MenuEditor } from './menu.js';
import { CourierJobs } from './courier.js';
import { coopRoute } from './coop-routes.js';
import { Restaurants, RestaurantMenu } from './customer.js';
import { MyOrders, Tracking } from './track.js';
import { Earnings } from './earnings.js';
import { MyDeliveries } from './deliveries.js';

// NAV is the navigation of every role (docs/webapp.md). `roles` are the
// member roles (or node role) that see a section; '*' is every member.
// Items without a screen yet show a placeholder saying what comes.
const NAV = [
  { id: 'restaurant', roles: ['restaurant', 'shop'], items: [
    ['orders', '/restaurant'], ['tickets', '/restaurant/tickets'], ['menu', '/restaurant/menu'], ['profile', '/restaurant/profile'], ['parcel', '/restaurant/parcel'], ['invoice', '/restaurant/invoice']] },
  { id: 'customer', roles: ['customer'], items: [['restaurants', '/customer'], ['my_orders', '/customer/orders'], ['city', '/customer/city']] },
  { id: 'courier', roles: ['courier'], items: [['jobs', '/courier'], ['tasks', '/courier/tasks'], ['earnings', '/courier/earnings']] },
  { id: 'dispatch', roles: ['dispatcher', 'admin'], items: [['board', '/dispatch']] },
  { id: 'coop', roles: ['*'], items: [
    ['members', '/coop/members'], ['invite', '/coop/invite'], ['pricing', '/coop/pricing'], ['exports', '/coop/exports'],
    ['governance', '/coop/governance'], ['shifts', '/coop/shifts'], ['books', '/coop/books'], ['invoices', '/coop/invoice'], ['credential', '/coop/credential'],
    ['network', '/coop/network']] },
];
// LATER are items whose feature is not in the node yet (none now).
const LATER = new Set([]);

function useHash() {
  const [h, setH] = useState(location.hash.slice(1) || '/');
  useEffect(() => {
    const on = () => setH(location.hash.slice(1) || '/');
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return h;
}

// loadSession reads who this node is and its coop's settings.
async function loadSession() {
  const status = await api('GET', '/v1/status');
  let coop = null;
  try { coop = await api('GET', '/v1/coop'); } catch (e) { if (e.code !== 'no_coop') throw e; }
  const me = status.member || status.key;
  const member = coop && coop.members ? coop.members[me] : null;
  const roles = new Set(member ? member.roles : []);
  roles.add(status.role);
  let profile = null;
  let menu = null;
  if (roles.has('restaurant') || roles.has('shop')) {
    const rs = await api('GET', '/v1/restaurants');
    const mine = rs.find((r) => r.key === me);
    profile = mine && mine.profile;
    menu = mine && mine.menu;
  }
  // mine: this app's keys, one per followed coop (GET /v1/status's coops
  // when it follows several: each further coop's node has its own key)
  const mine = new Set([me, status.key, ...(status.coops || []).map((c) => c.key)]);
  return {
    status, coop, me, mine, member, roles, profile, menu,
    currency: (coop && coop.currency) || 'EUR',
    tz: (profile && profile.timezone) || (coop && coop.timezone) || Intl.DateTimeFormat().resolvedOptions().timeZone,
  };
}

function visible(section, roles) {
  return section.roles.includes('*') || section.roles.some((r) => roles.has(r));
}

function Nav({ session, path }) {
  return html`<nav aria-label=${t('nav.label')} class="nav">
    ${NAV.filter((s) => visible(s, session.roles)).map((s) => html`
      <div class="nav-section"><h2>${t('nav.' + s.id)}</h2><ul>
        ${s.items.map(([id, href]) => html`<li><a href=${'#' + href} aria-current=${path === href ? 'page' : undefined}
          class=${LATER.has(id) ? 'later' : ''}>${t('nav.' + id)}</a></li>`)}
      </ul></div>`)}
  </nav>`;
}

function Placeholder({ id }) {
  return html`<section class="screen"><h1>${t('nav.' + id)}</h1>
    <p class="placeholder">${LATER.has(id) ? t('screen.later') : t('screen.planned')}</p></section>`;
}

function Login({ failed }) {
  return html`<main class="login"><h1>coopnode</h1>
    ${failed ? html`<p class="error" role="alert">${t('login.failed')}</p>` : null}
    <p>${t('login.help')}</p><pre>coopnode open -data DIR</pre></main>`;
}

function LangSwitch() {
  return html`<label class="lang">${t('nav.language')}
    <select onChange=${async (e) => { await setLocale(e.target.value); location.reload(); }}>
      ${LOCALES.map((l) => html`<option value=${l} selected=${l === locale}>${t('lang.' + l)}</option>`)}
    </select></label>`;
}

function route(path, session) {
  const m = path.match(/^\/restaurant\/ticket\/([0-9a-f]{64})$/);
  if (m) return html`<${Ticket} session=${session} id=${m[1]} />`;
  if (path === '/restaurant' || (path === '/' && (session.roles.has('restaurant') || session.roles.has('shop')))) {
    return html`<${RestaurantOrders} session=${session} />`;
  }
  if (path === '/restaurant/menu') return html`<${MenuEditor} session=${session} />`;
  if (path === '/courier' || (path === '/' && session.roles.has('courier'))) return html`<${CourierJobs} session=${session} />`;
  const coop = coopRoute(path, session);
  if (coop) return coop;
  const c = path.match(/^\/customer\/(r|order)\/([0-9a-f]{64})$/);
  if (c) return c[1] === 'r' ? html`<${RestaurantMenu} session=${session} restaurantKey=${c[2]} />` : html`<${Tracking} session=${session} id=${c[2]} />`;
  if (path === '/customer' || (path === '/' && session.roles.has('customer'))) return html`<${Restaurants} session=${session} />`;
  if (path === '/customer/orders') return html`<${MyOrders} session=${session} />`;
  if (path === '/courier/earnings') return html`<${Earnings} session=${session} />`;
  if (path === '/courier/tasks') return html`<${MyDeliveries} session=${session} />`;
  for (const s of NAV) for (const [id, href] of s.items) if (href === path) return html`<${Placeholder} id=${id} />`;
  return html`<section class="screen"><h1>coopnode</h1><p>${t('screen.home')}</p></section>`;
}

function App() {
  const path = useHash();
  const [session, setSession] = useState(null);
  const [err, setErr] = useState(null);
  // reload: read the session again (a coop followed from the city screen)
  const reload = () => loadSession().then((s) => setSession({ ...s, reload }), setErr);
  useEffect(() => { reload(); }, []);
  if (path.startsWith('/login')) return html`<${Login} failed=${path.includes('failed=1')} />`;
  if (err) {
    if (err.code === 'unauthorized') return html`<${Login} />`;
    return html`<main class="screen"><p class="error" role="alert">${errorText(err)}</p></main>`;
  }
  if (!session) return html`<main class="screen" aria-busy="true"><p>${t('app.loading')}</p></main>`;
  return html`<div class="shell">
    <header class="top"><a class="brand" href="#/">coopnode</a>
      <span class="who">${session.profile ? session.profile.name : (session.member && session.member.name) || session.status.role}</span>
      <${LangSwitch} /></header>
    <${Nav} session=${session} path=${path} />
    <main id="main">${route(path, session)}</main>
  </div>`;
}

await setLocale(pickLocale());
const root = document.getElementById('app');
root.textContent = ''; // the boot text, which render would keep
render(html`<${App} />`, root);
export { events };
