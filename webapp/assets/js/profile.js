// The restaurant's (or shop's) settings (issue 15): one-tap switches for
// taking orders, rush mode and auto-accept; the profile (name, address,
// position, time zone, delivery or collection, minimum order, preparation
// time); opening hours in schema.org lines ("Mo-Fr 11:30-14:30") and
// closing dates. Each save publishes the whole catalogue profile
// (PUT /v1/catalog/profile); the node refuses a bad one with the path of
// the field at fault (hours[1], timezone, position…), shown by that field,
// and publishes nothing.
import { html, useState } from '../vendor/preact-htm.js';
import { api } from './api.js';
import { useForm, Field, FormError } from './forms.js';
import { PaymentSettings } from './payment.js';
import { t, dateTime, errorText } from './i18n.js';
import { useLive, LiveBadge, cents, amount } from './live.js';

async function loadProfile(session) {
  const rs = await api('GET', '/v1/restaurants');
  const mine = rs.find((r) => r.key === session.me);
  return { profile: (mine && mine.profile) || null };
}

// fieldOf maps the API's field paths to this screen's fields.
function fieldOf(path) {
  if (!path) return '';
  if (path.startsWith('hours')) return 'hours';
  if (path.startsWith('closings')) return 'closings';
  if (path.startsWith('position')) return 'lat';
  return path;
}

function localInput(ms) {
  if (!ms) return '';
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60000);
  return d.toISOString().slice(0, 16);
}

// publish puts the profile with changes; the API's field path is kept on
// the error for the form to place it.
async function publish(profile, changes) {
  try {
    return await api('PUT', '/v1/catalog/profile', { ...profile, ...changes });
  } catch (e) {
    e.field = fieldOf(e.field);
    throw e;
  }
}

// Switch is a one-tap setting saved at once.
function Switch({ profile, name, label, hint, reload }) {
  const [err, setErr] = useState(null);
  const [busy, setBusy] = useState(false);
  const on = !!profile[name];
  const flip = async () => {
    setBusy(true);
    try { await publish(profile, { [name]: !on }); setErr(null); reload(); } catch (e) { setErr(e); } finally { setBusy(false); }
  };
  return html`<div class="switch">
    <button role="switch" aria-checked=${on ? 'true' : 'false'} class=${'toggle ' + name + (on ? ' on' : '')} disabled=${busy} onClick=${flip}>
      <span class="knob"></span> ${label}: <strong>${t(on ? 'settings.on' : 'settings.off')}</strong></button>
    <p class="hint">${hint}</p>
    ${err ? html`<p class="form-error" role="alert" data-code=${err.code}>${errorText(err)}</p>` : null}
  </div>`;
}

function ProfileForm({ profile, reload }) {
  const pos = profile.position || {};
  const f = useForm({
    name: profile.name || '', description: profile.description || '', address: profile.address || '', phone: profile.phone || '',
    lat: pos.lat_e6 ? String(pos.lat_e6 / 1e6) : '', lon: pos.lon_e6 ? String(pos.lon_e6 / 1e6) : '',
    timezone: profile.timezone || '', delivery: String(profile.fulfilment || '').includes('delivery') ? 'on' : '',
    collection: String(profile.fulfilment || '').includes('collection') ? 'on' : '',
    min_order: amount(profile.min_order_cents), prep_minutes: String(profile.prep_minutes || ''), rush_extra_min: String(profile.rush_extra_min || ''),
  }, {
    check: (v) => {
      const e = {};
      if (!v.name.trim()) e.name = 'settings.need_name';
      const lat = parseFloat(v.lat.replace(',', '.')); const lon = parseFloat(v.lon.replace(',', '.'));
      if ((v.lat || v.lon) && !(lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180)) e.lat = 'courier.bad_position';
      if (!v.delivery && !v.collection) e.delivery = 'settings.need_fulfilment';
      if (cents(v.min_order) === null) e.min_order = 'form.amount';
      for (const k of ['prep_minutes', 'rush_extra_min']) if (v[k] && !(/^\d+$/.test(v[k]) && +v[k] <= 1440)) e[k] = 'form.prep_range';
      return e;
    },
    send: (v) => publish(profile, {
      name: v.name.trim(), description: v.description.trim(), address: v.address.trim(), phone: v.phone.trim(),
      position: v.lat ? { lat_e6: Math.round(parseFloat(v.lat.replace(',', '.')) * 1e6), lon_e6: Math.round(parseFloat(v.lon.replace(',', '.')) * 1e6) } : { lat_e6: 0, lon_e6: 0 },
      timezone: v.timezone.trim(), fulfilment: [v.delivery && 'delivery', v.collection && 'collection'].filter(Boolean).join(','),
      min_order_cents: cents(v.min_order), prep_minutes: +v.prep_minutes || 0, rush_extra_min: +v.rush_extra_min || 0,
    }),
    codeField: { bad_timezone: 'timezone', bad_position: 'lat' }, done: reload,
  });
  const check = (k) => (e) => f.setAll({ ...f.values, [k]: e.target.checked ? 'on' : '' });
  return html`<form class="settings-form profile-form" onSubmit=${f.submit} novalidate>
    <${FormError} form=${f} />
    <div class="row">
      <${Field} form=${f} name="name" label=${t('settings.name')} />
      <${Field} form=${f} name="phone" label=${t('settings.phone')} />
      <${Field} form=${f} name="address" label=${t('settings.address')} />
    </div>
    <${Field} form=${f} name="description" label=${t('settings.description')} />
    <div class="row">
      <${Field} form=${f} name="lat" label=${t('courier.lat')} inputmode="decimal" />
      <${Field} form=${f} name="lon" label=${t('courier.lon')} inputmode="decimal" />
      <${Field} form=${f} name="timezone" label=${t('settings.timezone')} placeholder="Europe/Paris" />
    </div>
    <fieldset class="fulfilment" aria-invalid=${f.errors.delivery ? 'true' : undefined}><legend>${t('settings.fulfilment')}</legend>
      <label><input type="checkbox" name="delivery" checked=${!!f.values.delivery} onChange=${check('delivery')} /> ${t('order.delivery')}</label>
      <label><input type="checkbox" name="collection" checked=${!!f.values.collection} onChange=${check('collection')} /> ${t('order.collection')}</label>
      ${f.errors.delivery ? html`<p class="field-error" role="alert" data-code=${f.errors._code || 'local'}>${f.errors.delivery}</p>` : null}
    </fieldset>
    <div class="row">
      <${Field} form=${f} name="min_order" label=${t('settings.min_order')} inputmode="decimal" />
      <${Field} form=${f} name="prep_minutes" label=${t('settings.prep_minutes')} inputmode="numeric" />
      <${Field} form=${f} name="rush_extra_min" label=${t('settings.rush_extra')} inputmode="numeric" />
    </div>
    <button class="primary" disabled=${f.busy}>${t('settings.save')}</button>
  </form>`;
}

function HoursForm({ profile, session, reload }) {
  const f = useForm({
    hours: (profile.hours || []).join('\n'),
    closings: (profile.closings || []).map((c) => ({ start: localInput(c.start), end: localInput(c.end), reason: c.reason || '' })),
  }, {
    check: (v) => {
      const e = {};
      v.closings.forEach((c, i) => {
        const s = new Date(c.start).getTime(); const en = new Date(c.end).getTime();
        if (!c.start || !c.end || isNaN(s) || isNaN(en) || en <= s) e['closing' + i] = 'settings.bad_closing';
      });
      return e;
    },
    send: (v) => publish(profile, {
      hours: v.hours.split('\n').map((l) => l.trim()).filter(Boolean),
      closings: v.closings.map((c) => ({ start: new Date(c.start).getTime(), end: new Date(c.end).getTime(), reason: c.reason.trim() })),
    }),
    codeField: { bad_hours: 'hours' }, done: reload,
  });
  const setClosing = (i, k) => (e) => f.setAll({ ...f.values, closings: f.values.closings.map((c, j) => (j === i ? { ...c, [k]: e.target.value } : c)) });
  const hoursErr = f.errors.hours;
  const now = Date.now();
  return html`<form class="settings-form hours-form" onSubmit=${f.submit} novalidate>
    <${FormError} form=${f} />
    <div class="field wide"><label for=${f.id + '-hours'}>${t('settings.hours')}</label>
      <textarea id=${f.id + '-hours'} name="hours" rows="4" value=${f.values.hours} onInput=${f.set('hours')}
        aria-invalid=${hoursErr ? 'true' : undefined} aria-describedby=${f.id + '-hours-help'}></textarea>
      <p class="hint" id=${f.id + '-hours-help'}>${t('settings.hours_help')}</p>
      ${hoursErr ? html`<p class="field-error" role="alert" data-code=${f.errors._code || 'local'}>${hoursErr}</p>` : null}</div>
    <fieldset class="closings"><legend>${t('settings.closings')}</legend>
      ${f.values.closings.length ? null : html`<p class="hint">${t('settings.no_closings')}</p>`}
      ${f.values.closings.map((c, i) => html`<div class="row closing" data-i=${i}>
        <div class="field"><label for=${f.id + '-cs' + i}>${t('settings.from')}</label>
          <input id=${f.id + '-cs' + i} type="datetime-local" name=${'start' + i} value=${c.start} onInput=${setClosing(i, 'start')} aria-invalid=${f.errors['closing' + i] ? 'true' : undefined} /></div>
        <div class="field"><label for=${f.id + '-ce' + i}>${t('settings.to')}</label>
          <input id=${f.id + '-ce' + i} type="datetime-local" name=${'end' + i} value=${c.end} onInput=${setClosing(i, 'end')} aria-invalid=${f.errors['closing' + i] ? 'true' : undefined} /></div>
        <div class="field"><label for=${f.id + '-cr' + i}>${t('settings.closing_reason')}</label>
          <input id=${f.id + '-cr' + i} name=${'reason' + i} value=${c.reason} onInput=${setClosing(i, 'reason')} /></div>
        <button type="button" class="remove" onClick=${() => f.setAll({ ...f.values, closings: f.values.closings.filter((_, j) => j !== i) })}>${t('settings.remove')}</button>
        ${f.errors['closing' + i] ? html`<p class="field-error" role="alert" data-code=${f.errors._code || 'local'}>${f.errors['closing' + i]}</p>` : null}
      </div>`)}
      <button type="button" class="add-closing" onClick=${() => f.setAll({ ...f.values, closings: [...f.values.closings, { start: localInput(now + 86400000), end: localInput(now + 2 * 86400000), reason: '' }] })}>${t('settings.add_closing')}</button>
      ${f.errors.closings ? html`<p class="field-error" role="alert" data-code=${f.errors._code}>${f.errors.closings}</p>` : null}
    </fieldset>
    <button class="primary" disabled=${f.busy}>${t('settings.save_hours')}</button>
    ${(profile.closings || []).some((c) => c.start <= now && now < c.end) ? html`<p class="closed-now">${t('settings.closed_now')}</p>` : null}
    <p class="hint">${t('settings.tz', { tz: session.tz })}</p>
  </form>`;
}

export function Settings({ session }) {
  const { data, err, live, reload } = useLive(() => loadProfile(session), ['catalog']);
  if (err) return html`<section class="screen settings"><p class="error" role="alert">${errorText(err)}</p></section>`;
  if (!data) return html`<section class="screen settings" aria-busy="true"><p>${t('app.loading')}</p></section>`;
  const p = data.profile || { name: '', fulfilment: 'delivery', enabled: false };
  const v = JSON.stringify(p);
  return html`<section class="screen settings" data-enabled=${String(!!p.enabled)} data-rush=${String(!!p.rush)} data-auto=${String(!!p.auto_accept)}>
    <h1>${t('nav.profile')} <${LiveBadge} live=${live} /></h1>
    <div class="switches">
      <${Switch} profile=${p} name="enabled" label=${t('settings.taking_orders')} hint=${t('settings.enabled_hint')} reload=${reload} />
      <${Switch} profile=${p} name="rush" label=${t('settings.rush')} hint=${t('settings.rush_hint', { n: p.rush_extra_min || 0 })} reload=${reload} />
      <${Switch} profile=${p} name="auto_accept" label=${t('settings.auto_accept')} hint=${t('settings.auto_hint')} reload=${reload} />
    </div>
    <h2>${t('settings.profile')}</h2>
    <${ProfileForm} profile=${p} reload=${reload} key=${'p' + v} />
    <h2>${t('pay.settings')}</h2>
    <${PaymentSettings} profile=${p} reload=${reload} key=${'pay' + v} />
    <h2>${t('settings.hours_title')}</h2>
    <${HoursForm} profile=${p} session=${session} reload=${reload} key=${'h' + v} />
    <p class="hint">${t('settings.parcels_link')} <a href="#/restaurant/parcel">${t('nav.parcel')}</a></p>
  </section>`;
}
