// Translations live in /i18n/<locale>.json, one flat object of keys a
// translator can edit; "err.<code>" keys explain every code of node's
// table (a Go test checks both languages have them all). Amounts use the
// coop's currency and the locale's format; times the restaurant's zone.

export const LOCALES = ['en', 'fr'];
let dict = {};
let fallback = {};
export let locale = 'en';

export function pickLocale() {
  const saved = localStorage.getItem('coopnode.locale');
  if (LOCALES.includes(saved)) return saved;
  for (const l of navigator.languages || [navigator.language || 'en']) {
    const base = String(l).slice(0, 2).toLowerCase();
    if (LOCALES.includes(base)) return base;
  }
  return 'en';
}

async function fetchDict(l) {
  const r = await fetch(`/i18n/${l}.json`);
  return r.json();
}

export async function setLocale(l) {
  if (!LOCALES.includes(l)) l = 'en';
  const [d, f] = await Promise.all([fetchDict(l), l === 'en' ? null : fetchDict('en')]);
  dict = d;
  fallback = f || d;
  locale = l;
  document.documentElement.lang = l;
  localStorage.setItem('coopnode.locale', l);
}

// missing collects the keys asked for that the page's language lacks (the
// English text, or the key itself, was shown instead): the French screens
// test (locale_all_test.go) reads it as window.coopnodeMissing.
export const missing = new Set();
globalThis.coopnodeMissing = missing;

// t returns the text of key with {name} placeholders filled from vars.
export function t(key, vars) {
  if (!(key in dict)) missing.add(key);
  let s = dict[key] ?? fallback[key] ?? key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
  return s;
}

// has reports whether key has a text (a probe, not recorded as missing).
export function has(key) { return key in dict || key in fallback; }

// errorText explains an ApiError (or any error) in plain words.
export function errorText(err) {
  const code = (err && err.code) || 'internal';
  const k = 'err.' + code;
  return (k in dict || k in fallback) ? t(k) : t('err.internal');
}

export function money(cents, currency) {
  try {
    return new Intl.NumberFormat(locale, { style: 'currency', currency: currency || 'EUR' }).format((cents || 0) / 100);
  } catch {
    return ((cents || 0) / 100).toFixed(2) + ' ' + (currency || '');
  }
}

function fmt(opts, tz) {
  try { return new Intl.DateTimeFormat(locale, { ...opts, timeZone: tz || undefined }); } catch { return new Intl.DateTimeFormat(locale, opts); }
}

export function time(ms, tz) { return ms ? fmt({ hour: '2-digit', minute: '2-digit' }, tz).format(new Date(ms)) : ''; }
export function dateTime(ms, tz) { return ms ? fmt({ dateStyle: 'medium', timeStyle: 'short' }, tz).format(new Date(ms)) : ''; }

// dayKey is the calendar day of ms in zone tz ("2026-12-02").
export function dayKey(ms, tz) {
  const p = fmt({ year: 'numeric', month: '2-digit', day: '2-digit' }, tz).formatToParts(new Date(ms));
  const g = (ty) => (p.find((x) => x.type === ty) || {}).value;
  return `${g('year')}-${g('month')}-${g('day')}`;
}
