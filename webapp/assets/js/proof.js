// Proof of delivery beyond the PIN (issue 15): a photo of the handover
// (the phone's camera through a file input with `capture`, downscaled here
// to a small JPEG) or the recipient's signature drawn on a pad. The image
// goes to this node (POST /v1/proofs), which keeps it and answers its
// SHA-256; only that hash goes into the signed task.deliver proof
// (SPEC.md §5.4.5: images are kept off the network). ProofNote shows,
// on any node, that a delivered order has a proof and of which kind.
import { html, useState, useEffect, useRef } from '../vendor/preact-htm.js';
import { upload } from './api.js';
import { t } from './i18n.js';

// A photo is scaled so its longer side is at most PHOTO_PX, then encoded
// as JPEG from PHOTO_Q down until it fits PHOTO_BYTES (the node keeps at
// most 384 KiB: node.MaxProofImage).
const PHOTO_PX = 1024;
const PHOTO_Q = [0.72, 0.6, 0.45, 0.3];
const PHOTO_BYTES = 300 << 10;

const blobOf = (canvas, type, q) => new Promise((res) => canvas.toBlob(res, type, q));

// b64 turns a hex SHA-256 into the base64 the API's JSON uses for bytes.
export const b64 = (hex) => btoa(String.fromCharCode(...hex.match(/../g).map((h) => parseInt(h, 16))));
const hexOf = (b) => Array.from(atob(b), (c) => c.charCodeAt(0).toString(16).padStart(2, '0')).join('');

// downscale reads a picture file into a small JPEG and a thumbnail.
export async function downscale(file) {
  const bmp = await createImageBitmap(file);
  const k = Math.min(1, PHOTO_PX / Math.max(bmp.width, bmp.height));
  const c = document.createElement('canvas');
  c.width = Math.max(1, Math.round(bmp.width * k));
  c.height = Math.max(1, Math.round(bmp.height * k));
  c.getContext('2d').drawImage(bmp, 0, 0, c.width, c.height);
  if (bmp.close) bmp.close();
  let blob = null;
  for (const q of PHOTO_Q) {
    blob = await blobOf(c, 'image/jpeg', q);
    if (blob && blob.size <= PHOTO_BYTES) break;
  }
  return { blob, width: c.width, height: c.height, thumb: c.toDataURL('image/jpeg', 0.5) };
}

// keep sends an image to this node and returns its SHA-256 in hex.
async function keep(blob) {
  const r = await upload('/v1/proofs', blob);
  return r.sha256;
}

// SignaturePad is a canvas the recipient signs on with a finger, a pen or
// the mouse (pointer events). pad.current.strokes counts what was drawn;
// pad.current.png() gives the drawing as a PNG blob.
function SignaturePad({ pad, label, onDraw }) {
  const ref = useRef(null);
  useEffect(() => {
    const c = ref.current;
    const g = c.getContext('2d');
    const clear = () => { g.fillStyle = '#fff'; g.fillRect(0, 0, c.width, c.height); pad.current.strokes = 0; };
    pad.current = { strokes: 0, clear: () => { clear(); onDraw(0); }, png: () => blobOf(c, 'image/png') };
    clear();
    g.lineWidth = 3; g.lineCap = 'round'; g.lineJoin = 'round'; g.strokeStyle = '#111';
    let last = null;
    const at = (e) => { const r = c.getBoundingClientRect(); return [(e.clientX - r.left) * c.width / r.width, (e.clientY - r.top) * c.height / r.height]; };
    const down = (e) => { e.preventDefault(); c.setPointerCapture && c.setPointerCapture(e.pointerId); last = at(e); };
    const move = (e) => {
      if (!last) return;
      const p = at(e);
      g.beginPath(); g.moveTo(last[0], last[1]); g.lineTo(p[0], p[1]); g.stroke();
      last = p;
    };
    const up = () => { if (last) { last = null; pad.current.strokes++; onDraw(pad.current.strokes); } };
    c.addEventListener('pointerdown', down);
    c.addEventListener('pointermove', move);
    c.addEventListener('pointerup', up);
    c.addEventListener('pointerleave', up);
    c.dataset.ready = '1'; // listening (tests wait for it)
    return () => { c.removeEventListener('pointerdown', down); c.removeEventListener('pointermove', move); c.removeEventListener('pointerup', up); c.removeEventListener('pointerleave', up); };
  }, []);
  return html`<canvas ref=${ref} class="signature-pad" width="600" height="200" role="img" aria-label=${label}></canvas>`;
}

// useProof is the proof the courier is gathering for one order: a photo
// (taken and kept on the node at once) and/or a signature (drawn, kept on
// the node when Delivered is tapped: hashes() does it).
export function useProof() {
  const [photo, setPhoto] = useState(null); // {sha256, thumb, bytes} once kept
  const [busy, setBusy] = useState(false);
  const [signing, setSigning] = useState(false);
  const [strokes, setStrokes] = useState(0);
  const [err, setErr] = useState(null);
  const pad = useRef({ strokes: 0 });
  const takePhoto = async (file) => {
    if (!file) return;
    setBusy(true);
    setErr(null);
    try {
      const d = await downscale(file);
      setPhoto({ sha256: await keep(d.blob), thumb: d.thumb, bytes: d.blob.size, width: d.width });
    } catch (e) {
      setErr(e.code ? e : { code: 'bad_image' });
    } finally {
      setBusy(false);
    }
  };
  // hashes keeps the signature, if one was drawn, and returns the proof's
  // hash fields.
  const hashes = async () => {
    const out = {};
    if (photo) out.photo_hash = b64(photo.sha256);
    if (signing && pad.current.strokes > 0) out.signature_hash = b64(await keep(await pad.current.png()));
    return out;
  };
  return { photo, setPhoto, busy, signing, setSigning, strokes, setStrokes, err, setErr, pad, takePhoto, hashes,
    given: !!photo || (signing && strokes > 0) };
}

// ProofInputs are the photo and signature buttons of the delivery step,
// with the photo's thumbnail and the signature pad once asked for.
export function ProofInputs({ id, p, disabled }) {
  return html`<div class="proof-inputs" data-photo=${p.photo ? p.photo.sha256 : ''} data-photo-bytes=${p.photo ? p.photo.bytes : ''}
      data-photo-width=${p.photo ? p.photo.width : ''} data-strokes=${p.strokes} aria-busy=${p.busy ? 'true' : undefined}>
    <label class=${'button take-photo' + (disabled || p.busy ? ' disabled' : '')}>
      <input type="file" name="photo" accept="image/*" capture="environment" disabled=${disabled || p.busy}
        onChange=${(e) => { p.takePhoto(e.target.files[0]); e.target.value = ''; }} />
      ${p.photo ? t('proof.retake') : t('proof.photo')}</label>
    ${p.signing ? html`<button type="button" class="clear-signature" onClick=${() => p.pad.current.clear()}>${t('proof.clear')}</button>`
      : html`<button type="button" class="sign" disabled=${disabled} onClick=${() => p.setSigning(true)}>${t('proof.signature')}</button>`}
    ${p.busy ? html`<span class="hint" role="status">${t('proof.saving')}</span>` : null}
    ${p.photo ? html`<img class="proof-thumb" src=${p.photo.thumb} alt=${t('proof.photo_alt')} />` : null}
    ${p.signing ? html`<div class="signature"><p class="hint" id=${'sig-' + id}>${t('proof.sign_here')}</p>
      <${SignaturePad} pad=${p.pad} label=${t('proof.pad_label')} onDraw=${p.setStrokes} /></div>` : null}
  </div>`;
}

// ProofNote says a delivered order's proof: the PIN checked (an order with
// a PIN is only delivered with the right one), a photo, a signature, the
// recipient. On the node that keeps the photo (the courier's: `mine`) it
// shows the photo; elsewhere it says the courier keeps it.
// With compact it is one short line for a table cell.
export function ProofNote({ o, mine, compact }) {
  const pr = o.proof;
  const photo = pr && pr.photo_hash ? '/v1/proofs/' + hexOf(pr.photo_hash) : '';
  if (!pr) return null;
  const kinds = [];
  if (o.place && o.place.pin_hash) kinds.push(t('proof.kind.pin'));
  if (pr.photo_hash) kinds.push(t('proof.kind.photo'));
  if (pr.signature_hash) kinds.push(t('proof.kind.signature'));
  if (compact) {
    return html`<span class="proof-note compact" data-photo=${pr.photo_hash ? '1' : '0'} data-signature=${pr.signature_hash ? '1' : '0'}>
      ${kinds.length ? t('proof.short', { kinds: kinds.join(', ') }) : t('proof.none')}</span>`;
  }
  return html`<p class="proof-note" data-photo=${pr.photo_hash ? '1' : '0'} data-signature=${pr.signature_hash ? '1' : '0'}
      data-pin=${o.place && o.place.pin_hash ? '1' : '0'}>
    ${kinds.length ? t('proof.given', { kinds: kinds.join(', ') }) : t('proof.none')}
    ${pr.recipient ? ' ' + t('proof.recipient', { name: pr.recipient }) : ''}
    ${photo && !mine ? html` <span class="hint">${t('proof.kept_by_courier')}</span>` : null}
    ${photo && mine ? html`<br /><img class="proof-photo" src=${photo} alt=${t('proof.photo_alt')} />` : null}</p>`;
}
