// The customer's "coops in your city" screen (SPEC.md §22): the signed
// cards of the coops of the city this node follows (GET /v1/city), this
// node's own coop marked; when it follows no city, a form to follow one
// (POST /v1/city). Cards arrive by gossip, so the list reloads now and then.
// Under "coopnode run" (GET /v1/status lists the app's coops), each coop
// the app does not follow yet offers "Order from this coop" (POST
// /v1/city/coops): its restaurants then join the Restaurants screen.
import { html, useState, useEffect } from '../vendor/preact-htm.js';
import { api } from './api.js';
import { t, errorText } from './i18n.js';

export function CityCoops({ session }) {
  const [dir, setDir] = useState(null);
  const [err, setErr] = useState(null);
  const [city, setCity] = useState('');
  const load = () => api('GET', '/v1/city').then((x) => { setDir(x); setErr(null); }, setErr);
  useEffect(() => {
    load();
    const id = setInterval(load, 3000);
    return () => clearInterval(id);
  }, []);
  const follow = (e) => {
    e.preventDefault();
    api('POST', '/v1/city', { city: city.trim() }).then((x) => { setDir(x); setErr(null); }, setErr);
  };
  const mine = session.status && session.status.coop;
  const coops = (dir && dir.coops) || [];
  const app = session.status && session.status.coops; // the coops this app follows, when it may follow more
  const followed = new Set((app || []).map((c) => c.coop));
  const [busy, setBusy] = useState('');
  const followCoop = async (coop) => {
    setBusy(coop);
    try { await api('POST', '/v1/city/coops', { coop }); setErr(null); if (session.reload) await session.reload(); } catch (x) { setErr(x); } finally { setBusy(''); }
  };
  return html`<section class="screen city">
    <h1>${t('city.title')}</h1>
    ${err ? html`<p class="error" role="alert" data-code=${err.code}>${errorText(err)}</p>` : null}
    ${dir === null ? html`<p aria-busy="true">${t('app.loading')}</p>`
      : !dir.city ? html`<form class="follow-city" onSubmit=${follow}>
          <p class="hint">${t('city.none')}</p>
          <div class="field"><label for="city-name">${t('city.name')}</label>
            <input id="city-name" name="city" value=${city} onInput=${(e) => setCity(e.target.value)} /></div>
          <button class="primary follow">${t('city.follow')}</button>
        </form>`
      : html`<p class="meta city-name">${t('city.following', { city: dir.city })}</p>
        ${coops.length === 0 ? html`<p class="empty">${t('city.no_coops')}</p>`
          : html`<ul class="city-coops" data-count=${coops.length}>${coops.map((c) => html`<li class=${'coop-card' + (c.coop === mine ? ' mine' : '')} data-coop=${c.coop}>
            <h2>${c.name}${c.coop === mine ? html` <span class="your-coop">${t('city.your_coop')}</span>` : null}</h2>
            ${c.contact ? html`<p class="contact">${c.contact}</p>` : null}
            <p class="meta zones">${t('city.zones', { n: (c.zones || []).length })}</p>
            ${c.coop === mine || !app ? null : followed.has(c.coop) ? html`<p class="followed">${t('city.followed')} · <a href="#/customer">${t('nav.restaurants')}</a></p>`
              : html`<button class="follow-coop" disabled=${busy === c.coop} onClick=${() => followCoop(c.coop)}>${t('city.follow_coop')}</button>`}
          </li>`)}</ul>`}`}
  </section>`;
}
