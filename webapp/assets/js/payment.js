// Payments in the web app (SPEC.md §20): the customer's choice at
// checkout, the order's payment state, paying an online order (the
// customer's node asks the restaurant's node, which opens the payment at
// its own Stripe account), and for the restaurant the payment's state, a
// cash payment taken at the counter and a refund.
import { html, useState, useEffect } from '../vendor/preact-htm.js';
import { api } from './api.js';
import { t, money, errorText } from './i18n.js';
import { useForm, Field, FormError } from './forms.js';

// METHODS: each method and its bit in the profile's "payments".
const METHODS = [['cash', 1], ['card', 2], ['online', 4]];
const ENDED = new Set(['refused', 'cancelled', 'invalid']);

// offeredMethods lists what a restaurant's profile offers (none: cash).
export function offeredMethods(profile) {
  const bits = (profile && profile.payments) || 1;
  return METHODS.filter(([, b]) => bits & b).map(([m]) => m);
}

export const paymentMethod = (o) => (o.place && o.place.payment) || 'cash';
export const paymentState = (o) => (o.payment && o.payment.state) || 'none';

// PaymentChoice is the checkout's choice of method, shown when the
// restaurant offers more than one.
export function PaymentChoice({ profile, value, set, error }) {
  const ms = offeredMethods(profile);
  if (ms.length < 2) return null;
  return html`<fieldset class="payment-choice"><legend>${t('pay.how')}</legend>
    ${ms.map((m) => html`<label class="choice"><input type="radio" name="payment" value=${m} checked=${value === m}
      onChange=${() => set(m)} />${t('pay.method.' + m)}</label>`)}${error}</fieldset>`;
}

function stateText(o) {
  const p = o.payment;
  const s = t('pay.state.' + paymentState(o));
  return p && p.reason ? s + ' (' + p.reason + ')' : s;
}

// PaymentBox is the customer's view of the order's payment, with the
// button that opens an online payment (again, after a decline).
export function PaymentBox({ o, session }) {
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState(null);
  const [sess, setSess] = useState(null);
  const m = paymentMethod(o);
  const st = paymentState(o);
  const canPay = m === 'online' && (st === 'none' || st === 'failed' || st === 'pending') && !ENDED.has(o.status);
  const pay = async () => {
    setBusy(true);
    setErr(null);
    try { setSess(await api('POST', `/v1/orders/${o.id}/pay`)); } catch (x) { setErr(x); } finally { setBusy(false); }
  };
  return html`<div class="payment" data-method=${m} data-payment=${st}>
    <p><span class="pay-method">${t('pay.method.' + m)}</span> · <strong class="pay-state">${stateText(o)}</strong></p>
    ${st === 'failed' && m === 'online' ? html`<p class="form-error" role="alert" data-code="payment_declined">${t('err.payment_declined')}</p>` : null}
    ${canPay ? html`<button class="primary pay-online" disabled=${busy} onClick=${pay}>${t(st === 'failed' ? 'pay.retry' : st === 'pending' ? 'pay.resume' : 'pay.online')}</button>` : null}
    ${sess && st !== 'paid' && sess.state === 'pending' ? html`<p class="pay-session" data-ref=${sess.ref}>${t('pay.opened', { amount: money(sess.amount_cents, session.currency) })}</p>` : null}
    ${err ? html`<p class="form-error" role="alert" data-code=${err.code}>${errorText(err)}</p>` : null}
  </div>`;
}

// PaymentLine is the restaurant's view of an order's payment: its state,
// "paid at the counter" for a collection paid by hand, and a refund once
// paid (an online refund goes through the restaurant's Stripe account).
export function PaymentLine({ order }) {
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState(null);
  const [sure, setSure] = useState(false); // a refund takes a second click
  const m = paymentMethod(order);
  const st = paymentState(order);
  const delivery = order.place.fulfilment === 'delivery' || order.place.fulfilment === 1;
  const record = (state, reason) => async () => {
    if (state === 'refunded' && !sure) { setSure(true); return; }
    setBusy(true);
    setErr(null);
    try { await api('POST', `/v1/orders/${order.id}/payment`, { state, reason }); } catch (x) { setErr(x); } finally { setBusy(false); }
  };
  const counter = m !== 'online' && !delivery && st === 'none' && !ENDED.has(order.status) && order.status !== 'placed';
  return html`<p class="payment-line" data-method=${m} data-payment=${st}>
    <span class="pay-method">${t('pay.method.' + m)}</span> · <span class="pay-state">${stateText(order)}</span>
    ${counter ? html` <button class="pay-counter" disabled=${busy} onClick=${record('paid', '')}>${t('pay.mark_paid')}</button>` : null}
    ${st === 'paid' ? html` <button class="danger pay-refund" disabled=${busy} onClick=${record('refunded', 'restaurant')}>${t(sure ? 'pay.refund_confirm' : 'pay.refund')}</button>` : null}
    ${err ? html`<span class="form-error" role="alert" data-code=${err.code}>${errorText(err)}</span>` : null}
  </p>`;
}

// PaymentSettings is the restaurant's choice of methods (the profile's
// "payments" bits) and its own Stripe account: the secret key and the
// webhook signing secret go to its node, which keeps them sealed and
// never shows them again.
export function PaymentSettings({ profile, reload }) {
  const [account, setAccount] = useState(null);
  const loadAccount = () => api('GET', '/v1/payments/account').then(setAccount, () => setAccount(null));
  useEffect(() => { loadAccount(); }, []);
  const bits = profile.payments || 1;
  const m = useForm(Object.fromEntries(METHODS.map(([k, b]) => [k, bits & b ? 'on' : ''])), {
    check: (v) => (METHODS.some(([k]) => v[k]) ? {} : { cash: 'pay.need_method' }),
    send: (v) => api('PUT', '/v1/catalog/profile', { ...profile, payments: METHODS.reduce((n, [k, b]) => (v[k] ? n | b : n), 0) }),
    done: reload,
  });
  const a = useForm({ secret_key: '', webhook_secret: '', api_base: '' }, {
    check: (v) => (v.secret_key.trim().startsWith('sk_') || v.secret_key.trim().startsWith('rk_') ? {} : { secret_key: 'pay.need_key' }),
    send: (v) => api('PUT', '/v1/payments/account', { provider: 'stripe', secret_key: v.secret_key.trim(), webhook_secret: v.webhook_secret.trim(), api_base: v.api_base.trim() }),
    codeField: { bad_argument: 'secret_key' },
    done: () => { a.setAll({ secret_key: '', webhook_secret: '', api_base: '' }); loadAccount(); },
  });
  const check = (k) => (e) => m.setAll({ ...m.values, [k]: e.target.checked ? 'on' : '' });
  return html`<div class="payment-settings" data-account=${account && account.set ? 'set' : 'none'}>
    <form class="settings-form payment-methods" onSubmit=${m.submit} novalidate>
      <${FormError} form=${m} />
      <fieldset><legend>${t('pay.methods')}</legend>
        ${METHODS.map(([k]) => html`<label><input type="checkbox" name=${k} checked=${!!m.values[k]} onChange=${check(k)} /> ${t('pay.method.' + k)}</label>`)}
        ${m.errors.cash ? html`<p class="field-error" role="alert" data-code=${m.errors._code || 'local'}>${m.errors.cash}</p>` : null}
      </fieldset>
      <button class="primary" disabled=${m.busy}>${t('settings.save')}</button>
    </form>
    <form class="settings-form payment-account" onSubmit=${a.submit} novalidate autocomplete="off">
      <${FormError} form=${a} />
      <p class="hint">${account && account.set ? t('pay.account_set', { provider: account.provider }) : t('pay.account_none')}</p>
      <div class="row">
        <${Field} form=${a} name="secret_key" type="password" label=${t('pay.secret_key')} />
        <${Field} form=${a} name="webhook_secret" type="password" label=${t('pay.webhook_secret')} />
        <${Field} form=${a} name="api_base" label=${t('pay.api_base')} placeholder="https://api.stripe.com" />
      </div>
      <button class="primary" disabled=${a.busy}>${t('pay.save_account')}</button>
    </form>
  </div>`;
}

// CourierPayment tells the courier holding an order what to collect at the
// door, and records cash or card taken there (SPEC.md §20.2: the holder's
// word); an online order is shown as paid or not, never collected.
export function CourierPayment({ order, session, reload }) {
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState(null);
  const m = paymentMethod(order);
  const st = paymentState(order);
  const picked = order.pickup && order.pickup.status === 'DONE';
  const take = async () => {
    setBusy(true);
    setErr(null);
    try { await api('POST', `/v1/orders/${order.id}/payment`, { state: 'paid' }); if (reload) await reload(); } catch (x) { setErr(x); } finally { setBusy(false); }
  };
  const total = money(order.place.totals && order.place.totals.total_cents, session.currency);
  return html`<p class="courier-payment" data-method=${m} data-payment=${st}>
    <span class="pay-method">${t('pay.method.' + m)}</span> · <span class="pay-state">${stateText(order)}</span>
    ${m !== 'online' && st === 'none' && picked ? html` <button class="pay-collect" disabled=${busy} onClick=${take}>${t('pay.collected', { amount: total })}</button>` : null}
    ${err ? html`<span class="field-error" role="alert" data-code=${err.code}>${errorText(err)}</span>` : null}
  </p>`;
}
