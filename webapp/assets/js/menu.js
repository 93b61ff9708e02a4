// The restaurant's menu editor: sections, products (price, tax category,
// allergens, diets, enabled, sold out) and options (min..max choices of
// priced values). Saving publishes the whole menu (PUT /v1/catalog/menu);
// the node refuses an invalid menu with the path of the field at fault
// (sections[0].products[1].price_cents), and the message appears by that
// field. Nothing is published until the whole menu is valid.
import { html, useState, useEffect } from '../vendor/preact-htm.js';
import { api } from './api.js';
import { t, errorText } from './i18n.js';

// The 14 allergens of EU regulation 1169/2011, as the menu names them.
export const ALLERGENS = ['gluten', 'crustaceans', 'eggs', 'fish', 'peanuts', 'soybeans', 'milk', 'nuts', 'celery', 'mustard', 'sesame', 'sulphites', 'lupin', 'molluscs'];

const clone = (v) => JSON.parse(JSON.stringify(v));
const cents = (s) => Math.round(parseFloat(String(s).replace(',', '.')) * 100);
const units = (c) => ((c || 0) / 100).toFixed(2);

// toForm turns a menu into editable strings; fromForm back, with local
// refusals keyed by the API's field paths.
function toForm(menu) {
  const m = clone(menu || { sections: [] });
  for (const s of m.sections || []) for (const p of (s.products = s.products || [])) {
    p.price = units(p.price_cents);
    p.allergens = p.allergens || [];
    p.diets = (p.diets || []).join(', ');
    for (const o of (p.options = p.options || [])) {
      o.min = String(o.min || 0); o.max = String(o.max || 0);
      for (const v of (o.values = o.values || [])) v.price = units(v.price_cents);
    }
  }
  return m;
}

function fromForm(f) {
  const errs = {};
  const num = /^-?\d+([.,]\d{1,2})?$/;
  const int = /^\d+$/;
  const sections = f.sections.map((s, i) => ({ name: s.name, products: s.products.map((p, j) => {
    const at = `sections[${i}].products[${j}]`;
    if (!num.test(String(p.price).trim())) errs[at + '.price_cents'] = 'menu.err_price';
    const out = { id: p.id, name: p.name, description: p.description || undefined, price_cents: cents(p.price),
      tax_category: p.tax_category || undefined, enabled: !!p.enabled, sold_out: !!p.sold_out || undefined,
      allergens: p.allergens.length ? p.allergens : undefined,
      diets: p.diets.split(',').map((d) => d.trim()).filter(Boolean) };
    if (!out.diets.length) delete out.diets;
    out.options = p.options.map((o, k) => {
      const oat = `${at}.options[${k}]`;
      if (!int.test(o.min)) errs[oat + '.min'] = 'menu.err_count';
      if (!int.test(o.max)) errs[oat + '.max'] = 'menu.err_count';
      return { id: o.id, name: o.name, min: +o.min, max: +o.max, values: o.values.map((v, l) => {
        if (!num.test(String(v.price).trim())) errs[`${oat}.values[${l}].price_cents`] = 'menu.err_price';
        return { id: v.id, name: v.name, price_cents: cents(v.price) || undefined, enabled: !!v.enabled };
      }) };
    });
    if (!out.options.length) delete out.options;
    return out;
  }) }));
  return { menu: { sections }, errs };
}

// hint is the message for an API refusal at a field: the code's words,
// made precise for the fields people get wrong most.
function hint(err) {
  if (err.code === 'bad_menu' && /price_cents$/.test(err.field)) return t('menu.err_price');
  if (err.code === 'bad_menu' && /\.(min|max)$/.test(err.field)) return t('menu.err_minmax');
  return errorText(err);
}

export function MenuEditor({ session }) {
  const [form, setForm] = useState(() => toForm(session.menu));
  const [errs, setErrs] = useState({});
  const [state, setState] = useState('');
  const [taxes, setTaxes] = useState([]);
  useEffect(() => { api('GET', '/v1/coop/rules').then((r) => setTaxes((r.taxes || []).map((x) => x.category)), () => {}); }, []);
  const edit = (fn) => { const f = clone(form); fn(f); setForm(f); setState(''); };

  // In: a labelled input bound to obj[key], its error at the API's path.
  const In = ({ obj, k, label, path, type = "text", size }) => {
    const id = 'm-' + path.replace(/[^a-z0-9]+/gi, '-');
    const err = errs[path];
    const bound = type === 'checkbox'
      ? { checked: !!obj[k], onChange: (e) => { obj[k] = e.target.checked; setForm(clone(form)); } }
      : { value: obj[k] ?? '', onInput: (e) => { obj[k] = e.target.value; setForm(clone(form)); } };
    return html`<div class=${'field ' + (type === 'checkbox' ? 'check' : '')}>
      <label for=${id}>${label}</label>
      <input id=${id} type=${type} size=${size} data-path=${path} aria-invalid=${err ? 'true' : undefined}
        aria-describedby=${err ? id + '-err' : undefined} ...${bound} />
      ${err ? html`<p class="field-error" id=${id + '-err'} role="alert">${err}</p>` : null}</div>`;
  };

  const save = async (e) => {
    e.preventDefault();
    const { menu, errs: local } = fromForm(form);
    if (Object.keys(local).length) {
      setErrs(Object.fromEntries(Object.entries(local).map(([k, v]) => [k, t(v)])));
      setState('invalid');
      return;
    }
    setState('saving');
    try {
      await api('PUT', '/v1/catalog/menu', menu);
      setErrs({});
      setState('saved');
    } catch (err) {
      setErrs({ [err.field || '_form']: hint(err) });
      setState('invalid');
    }
  };

  return html`<section class="screen menu-editor"><h1>${t('nav.menu')}</h1>
    <form onSubmit=${save} novalidate>
    ${errs._form ? html`<p class="form-error" role="alert">${errs._form}</p>` : null}
    ${form.sections.map((s, i) => html`<fieldset class="section"><legend>${t('menu.section')} ${i + 1}</legend>
      ${In({ obj: s, k: 'name', label: t('menu.section_name'), path: `sections[${i}].name` })}
      ${s.products.map((p, j) => {
        const at = `sections[${i}].products[${j}]`;
        return html`<fieldset class="product" data-path=${at}><legend>${p.name || t('menu.product')}</legend>
          <div class="row">
            ${In({ obj: p, k: 'id', label: t('menu.id'), path: at + '.id', size: '8' })}
            ${In({ obj: p, k: 'name', label: t('menu.name'), path: at + '.name' })}
            ${In({ obj: p, k: 'price', label: t('menu.price', { currency: session.currency }), path: at + '.price_cents', size: '6' })}
            <div class="field"><label for=${'tax-' + i + '-' + j}>${t('menu.tax')}</label>
              <input id=${'tax-' + i + '-' + j} list="tax-categories" value=${p.tax_category || ''} data-path=${at + '.tax_category'}
                onChange=${(e) => { p.tax_category = e.target.value; setForm(clone(form)); }} /></div>
            ${In({ obj: p, k: 'enabled', label: t('menu.enabled'), path: at + '.enabled', type: 'checkbox' })}
            ${In({ obj: p, k: 'sold_out', label: t('menu.sold_out'), path: at + '.sold_out', type: 'checkbox' })}
          </div>
          <fieldset class="allergens"><legend>${t('menu.allergens')}</legend>
            ${ALLERGENS.map((a) => html`<label class="check"><input type="checkbox" checked=${p.allergens.includes(a)}
              onChange=${(e) => edit((f) => { const q = f.sections[i].products[j]; q.allergens = e.target.checked ? [...q.allergens, a] : q.allergens.filter((x) => x !== a); })} />
              ${t('allergen.' + a)}</label>`)}</fieldset>
          ${In({ obj: p, k: 'diets', label: t('menu.diets'), path: at + '.diets' })}
          ${p.options.map((o, k) => {
            const oat = `${at}.options[${k}]`;
            return html`<fieldset class="option"><legend>${t('menu.option')} ${o.name || k + 1}</legend><div class="row">
              ${In({ obj: o, k: 'id', label: t('menu.id'), path: oat + '.id', size: '8' })}
              ${In({ obj: o, k: 'name', label: t('menu.name'), path: oat + '.name' })}
              ${In({ obj: o, k: 'min', label: t('menu.min'), path: oat + '.min', size: '3' })}
              ${In({ obj: o, k: 'max', label: t('menu.max'), path: oat + '.max', size: '3' })}</div>
              ${o.values.map((v, l) => html`<div class="row value">
                ${In({ obj: v, k: 'id', label: t('menu.id'), path: `${oat}.values[${l}].id`, size: '8' })}
                ${In({ obj: v, k: 'name', label: t('menu.name'), path: `${oat}.values[${l}].name` })}
                ${In({ obj: v, k: 'price', label: t('menu.extra', { currency: session.currency }), path: `${oat}.values[${l}].price_cents`, size: '6' })}
                ${In({ obj: v, k: 'enabled', label: t('menu.enabled'), path: `${oat}.values[${l}].enabled`, type: 'checkbox' })}</div>`)}
              <button type="button" onClick=${() => edit((f) => f.sections[i].products[j].options[k].values.push({ id: '', name: '', price: '0.00', enabled: true }))}>${t('menu.add_value')}</button>
            </fieldset>`;
          })}
          <button type="button" onClick=${() => edit((f) => f.sections[i].products[j].options.push({ id: '', name: '', min: '0', max: '1', values: [] }))}>${t('menu.add_option')}</button>
          <button type="button" class="danger" onClick=${() => edit((f) => f.sections[i].products.splice(j, 1))}>${t('menu.remove_product')}</button>
        </fieldset>`;
      })}
      <button type="button" onClick=${() => edit((f) => f.sections[i].products.push({ id: '', name: '', price: '0.00', enabled: true, allergens: [], diets: '', options: [] }))}>${t('menu.add_product')}</button>
    </fieldset>`)}
    <datalist id="tax-categories">${taxes.map((c) => html`<option value=${c} />`)}</datalist>
    <p class="menu-actions"><button type="button" onClick=${() => edit((f) => f.sections.push({ name: '', products: [] }))}>${t('menu.add_section')}</button>
      <button class="primary" disabled=${state === 'saving'}>${t('menu.publish')}</button>
      <span role="status" class=${'menu-state ' + state}>${state === 'saved' ? t('menu.saved') : state === 'invalid' ? t('menu.invalid') : ''}</span></p>
    </form></section>`;
}
