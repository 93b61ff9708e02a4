// A shop (or restaurant) requests a parcel delivery (issue 15;
// POST /v1/deliveries): one to several drop-offs, each with its position,
// packages, weight, a reference and a note, picked up at the shop's
// position as soon as possible. The node prices it with the coop's rules
// and publishes the order; couriers see it as a job. Refusals (a position
// off the globe or outside the service zone, no packages) are shown by the
// drop-off they concern.
import { html, useState } from '../vendor/preact-htm.js';
import { api } from './api.js';
import { useForm, FormError } from './forms.js';
import { t, money } from './i18n.js';

const blank = () => ({ lat: '', lon: '', packages: '1', weight: '', ref: '', note: '' });
const num = (s) => parseFloat(String(s).trim().replace(',', '.'));

function check(v) {
  const e = {};
  v.dropoffs.forEach((d, i) => {
    const lat = num(d.lat); const lon = num(d.lon);
    if (!(lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180)) e['lat' + i] = 'courier.bad_position';
    if (!/^[1-9]\d*$/.test(d.packages.trim())) e['packages' + i] = 'parcel.bad_packages';
    if (d.weight && !(num(d.weight) > 0)) e['weight' + i] = 'parcel.bad_weight';
  });
  return e;
}

// dropoffOf reads "dropoff 2: …" in a refusal's words as the index 1.
function dropoffOf(err) {
  const m = /dropoff (\d+)/.exec(err.message || '');
  return m ? +m[1] - 1 : 0;
}

export function ParcelRequest({ session }) {
  const [done, setDone] = useState(null);
  const f = useForm({ dropoffs: [blank()] }, {
    check,
    send: async (v) => {
      try {
        return await api('POST', '/v1/deliveries', {
          dropoffs: v.dropoffs.map((d) => ({
            position: { lat_e6: Math.round(num(d.lat) * 1e6), lon_e6: Math.round(num(d.lon) * 1e6) },
            packages: +d.packages, weight_g: d.weight ? Math.round(num(d.weight) * 1000) : 0, ref: d.ref.trim(), note: d.note.trim(),
          })),
        });
      } catch (e) {
        const i = dropoffOf(e);
        if (e.code === 'bad_position' || e.code === 'outside_zone') e.field = 'lat' + i;
        else if (e.code === 'bad_parcel' && /packages/.test(e.message)) e.field = 'packages' + i;
        throw e;
      }
    },
    fieldOK: (name) => /^(lat|packages)\d+$/.test(name), // errors by drop-off
    done: (r) => { setDone(r); f.setAll({ dropoffs: [blank()] }); },
  });
  const set = (i, k) => (e) => f.setAll({ ...f.values, dropoffs: f.values.dropoffs.map((d, j) => (j === i ? { ...d, [k]: e.target.value } : d)) });
  const input = (i, k, label, extra = {}) => {
    const id = `${f.id}-${k}${i}`; const err = f.errors[k + i];
    return html`<div class="field"><label for=${id}>${label}</label>
      <input id=${id} name=${k + i} value=${f.values.dropoffs[i][k]} onInput=${set(i, k)} aria-invalid=${err ? 'true' : undefined}
        aria-describedby=${err ? id + '-err' : undefined} ...${extra} />
      ${err ? html`<p class="field-error" id=${id + '-err'} role="alert" data-code=${f.errors._code || 'local'}>${err}</p>` : null}</div>`;
  };
  return html`<section class="screen parcel">
    <h1>${t('nav.parcel')}</h1>
    <p class="intro">${t('parcel.intro')}</p>
    <form class="parcel-form" onSubmit=${f.submit} novalidate>
      <${FormError} form=${f} />
      ${f.values.dropoffs.map((d, i) => html`<fieldset class="dropoff" data-i=${i}><legend>${t('parcel.dropoff', { n: i + 1 })}</legend>
        <div class="row">
          ${input(i, 'lat', t('courier.lat'), { inputmode: 'decimal' })}
          ${input(i, 'lon', t('courier.lon'), { inputmode: 'decimal' })}
          ${input(i, 'packages', t('parcel.packages'), { inputmode: 'numeric' })}
          ${input(i, 'weight', t('parcel.weight'), { inputmode: 'decimal' })}
        </div>
        <div class="row">
          ${input(i, 'ref', t('parcel.ref'))}
          ${input(i, 'note', t('parcel.note'))}
          ${f.values.dropoffs.length > 1 ? html`<button type="button" onClick=${() => f.setAll({ ...f.values, dropoffs: f.values.dropoffs.filter((_, j) => j !== i) })}>${t('settings.remove')}</button>` : null}
        </div></fieldset>`)}
      <p><button type="button" class="add-dropoff" onClick=${() => f.setAll({ ...f.values, dropoffs: [...f.values.dropoffs, blank()] })}>${t('parcel.add')}</button></p>
      <p class="hint">${t('parcel.public')}</p>
      <button class="primary" disabled=${f.busy}>${t('parcel.request')}</button>
    </form>
    ${done ? html`<p class="done" role="status" data-order=${done.id}>${t('parcel.done', {
      id: done.id.slice(0, 6).toUpperCase(), fee: money(done.quote.fee_cents, session.currency), km: ((done.quote.distance_m || 0) / 1000).toFixed(1) })}</p>` : null}
  </section>`;
}
