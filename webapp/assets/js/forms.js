// Forms whose errors sit by their field: a local check first (nothing is
// sent), then the API's refusal placed by its `field`, or by the field the
// form says a code concerns (bad_reason → the reason), else at the form's
// top. Every message comes from the translations (err.<code>, form.<key>).
import { html, useState } from '../vendor/preact-htm.js';
import { t, errorText } from './i18n.js';

let seq = 0;

// useForm returns the form's state and a submit wrapper.
//   check(values) → {field: messageKey} for local refusals;
//   send(values) → a promise (the API call);
//   codeField maps API codes to the field they concern;
//   fieldOK(name) accepts API fields not among the values (lists).
export function useForm(initial, { check, send, codeField = {}, done, fieldOK }) {
  const [values, setValues] = useState(initial);
  const [errors, setErrors] = useState({});
  const [busy, setBusy] = useState(false);
  const [id] = useState(() => 'f' + ++seq);
  const set = (k) => (e) => setValues({ ...values, [k]: e.target.value });
  const setAll = (v) => setValues(v);
  const submit = async (e) => {
    if (e) e.preventDefault();
    const local = check ? check(values) : {};
    if (Object.keys(local).length) {
      setErrors(Object.fromEntries(Object.entries(local).map(([k, v]) => [k, t(v)])));
      return;
    }
    setBusy(true);
    setErrors({});
    try {
      const r = await send(values);
      if (done) done(r);
    } catch (err) {
      const field = (err.field && (err.field in values || (fieldOK && fieldOK(err.field)))) ? err.field : (codeField[err.code] || '_form');
      setErrors({ [field]: errorText(err), _code: err.code });
    } finally {
      setBusy(false);
    }
  };
  return { id, values, set, setAll, errors, busy, submit };
}

// Field is a labelled input or select with its error beneath it.
export function Field({ form, name, label, type = 'text', options, ...rest }) {
  const id = `${form.id}-${name}`;
  const err = form.errors[name];
  const common = { id, name, 'aria-invalid': err ? 'true' : undefined, 'aria-describedby': err ? id + '-err' : undefined };
  return html`<div class="field">
    <label for=${id}>${label}</label>
    ${options
      ? html`<select ...${common} value=${form.values[name]} onChange=${form.set(name)}>
          ${options.map(([v, l]) => html`<option value=${v}>${l}</option>`)}</select>`
      : html`<input ...${common} type=${type} value=${form.values[name]} onInput=${form.set(name)} ...${rest} />`}
    ${err ? html`<p class="field-error" id=${id + '-err'} role="alert" data-code=${form.errors._code || 'local'}>${err}</p>` : null}
  </div>`;
}

export function FormError({ form }) {
  const err = form.errors._form;
  return err ? html`<p class="form-error" role="alert" data-code=${form.errors._code}>${err}</p>` : null;
}
