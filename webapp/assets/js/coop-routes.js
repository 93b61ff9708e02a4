// The routes of the cooperative's, the dispatcher's and the restaurant's
// settings screens (issues 15 and 16), apart from the shell's so that each
// area adds its screens here: coopRoute returns the screen for a path, or
// null when the path is not one of these.
import { html } from '../vendor/preact-htm.js';
import { Governance, ProposalPage } from './governance.js';
import { NewProposal } from './proposal-form.js';
import { Members, Invite, Exports } from './members.js';
import { Pricing } from './pricing.js';
import { Dispatch } from './dispatch.js';
import { Settings } from './profile.js';
import { ParcelRequest } from './parcel.js';
import { Shifts } from './shifts.js';
import { Books } from './books.js';
import { Credential } from './credential.js';
import { CityCoops } from './city.js';
import { Invoice } from './invoice.js';
import { Network } from './network.js';

const ID = '([0-9a-f]{64})';

const ROUTES = [
  [/^\/customer\/city$/, (s) => html`<${CityCoops} session=${s} />`],
  [/^\/dispatch$/, (s) => html`<${Dispatch} session=${s} />`],
  [/^\/coop\/shifts$/, (s) => html`<${Shifts} session=${s} />`],
  [/^\/coop\/books$/, (s) => html`<${Books} session=${s} />`],
  [/^\/(restaurant|coop)\/invoice$/, (s) => html`<${Invoice} session=${s} />`],
  [/^\/coop\/credential$/, (s) => html`<${Credential} session=${s} />`],
  [/^\/restaurant\/profile$/, (s) => html`<${Settings} session=${s} />`],
  [/^\/restaurant\/parcel$/, (s) => html`<${ParcelRequest} session=${s} />`],
  [/^\/coop\/members$/, (s) => html`<${Members} session=${s} />`],
  [/^\/coop\/invite$/, (s) => html`<${Invite} session=${s} />`],
  [/^\/coop\/network$/, (s) => html`<${Network} session=${s} />`],
  [/^\/coop\/exports$/, (s) => html`<${Exports} session=${s} />`],
  [/^\/coop\/pricing$/, (s) => html`<${Pricing} session=${s} />`],
  [/^\/coop\/governance$/, (s) => html`<${Governance} session=${s} />`],
  [/^\/coop\/governance\/new$/, (s) => html`<${NewProposal} session=${s} />`],
  [new RegExp(`^/coop/governance/${ID}$`), (s, m) => html`<${ProposalPage} session=${s} id=${m[1]} key=${m[1]} />`],
];

export function coopRoute(path, session) {
  for (const [re, screen] of ROUTES) {
    const m = path.match(re);
    if (m) return screen(session, m);
  }
  return null;
}
