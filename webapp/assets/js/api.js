// The node's HTTP API (docs/http-api.md) as the web app uses it: the
// session cookie set by the login link authenticates; writes echo the
// csrf cookie in X-Coopnode-CSRF (node/httpapi/web.go). Every error is an
// ApiError carrying the API's code from node's one table, the field at
// fault and the kind refused.

export class ApiError extends Error {
  constructor(status, body) {
    super(body.error || `HTTP ${status}`);
    this.status = status;
    this.code = body.code || 'internal';
    this.field = body.field || '';
    this.kind = body.kind || '';
    this.detail = body.detail || '';
    this.line = body.line || 0; // the cart line refused (1-based)
    this.nextOpen = body.next_open || '';
    this.explanation = body.explanation || null; // how a delivery fee was (not) derived
  }
}

function csrf() {
  const m = document.cookie.match(/(?:^|;\s*)coopnode_csrf=([^;]*)/);
  return m ? m[1] : '';
}

export async function api(method, path, body) {
  const init = { method, headers: {}, credentials: 'same-origin' };
  if (method !== 'GET' && method !== 'HEAD') init.headers['X-Coopnode-CSRF'] = csrf();
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  return send(path, init);
}

// upload POSTs a file (a Blob: an image) as the raw body, with its type.
export function upload(path, blob) {
  return send(path, { method: 'POST', credentials: 'same-origin', body: blob,
    headers: { 'X-Coopnode-CSRF': csrf(), 'Content-Type': blob.type || 'application/octet-stream' } });
}

async function send(path, init) {
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, { code: 'offline', error: String(e) });
  }
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = { error: text }; }
  if (!res.ok) throw new ApiError(res.status, data || {});
  return data;
}

// events follows GET /v1/events. onChange gets each change (§13.4);
// onState(connected) is told when the stream opens or drops, so the page
// can re-read what it shows (changes made while away are not replayed).
export function events(onChange, onState) {
  const es = new EventSource('/v1/events');
  const handle = (e) => { try { onChange(JSON.parse(e.data)); } catch (err) { console.error(err); } };
  for (const scope of ['order', 'coop', 'catalog', 'tracking']) es.addEventListener(scope, handle);
  es.onopen = () => onState(true);
  es.onerror = () => onState(false);
  return () => es.close();
}
