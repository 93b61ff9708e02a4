package node

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"

	"github.com/coopnode/coopnode/credential"
	"github.com/coopnode/coopnode/market"
)

// The one table of error codes. Every error a node, its HTTP API, package
// mobile or the coopnode CLI reports carries one of these stable
// snake_case codes, found by Code(err): the HTTP API sends it as "code",
// mobile errors read "code: message", the CLI prints "error: code:
// message". A code never changes meaning; new ones are added here, with
// its plain-words message in webapp/assets/i18n/{en,fr}.json ("err.<code>";
// the web app's TestEveryCodeExplained checks both).
//
// Four families share the namespace, with no code in two of them:
//   - the node's and the surfaces' sentinels (errors.go and the sentinels
//     of sync, gossip, discovery, invites and the store);
//   - the fold's refusal reasons (crdt.Reason, SPEC.md §6.4);
//   - the gate's reasons (protocol.Reason, SPEC.md §9);
//   - checkout's and document validation's refusals (market.Codes,
//     SPEC.md §16.6);
//   - a work record credential's refusals (credential.Codes, SPEC.md §18),
//     "malformed" shared with the gate's.

// CodeInfo is one row of the table.
type CodeInfo struct {
	// Code is the stable code.
	Code string `json:"code"`
	// Status is the HTTP status the API answers with.
	Status int `json:"status"`
	// Doc says what the code means, for people.
	Doc string `json:"doc"`
	// Errs are the sentinels Code maps to this code (with errors.Is). A
	// refusal reason of the fold or the gate has none: a *RefusedError
	// carries it as its Reason.
	Errs []error `json:"-"`
}

// Codes returns the whole table, in a fixed order.
func Codes() []CodeInfo {
	t := table()
	out := make([]CodeInfo, len(t.rows))
	copy(out, t.rows)
	return out
}

// Code returns the code of err: the Reason of a *RefusedError, else the
// code of the first sentinel in the table that err wraps, else "internal".
// It returns "" for nil.
func Code(err error) string {
	if err == nil {
		return ""
	}
	t := table()
	var re *RefusedError
	if errors.As(err, &re) {
		if _, ok := t.by[re.Reason]; ok {
			return re.Reason
		}
		return CodeRefused
	}
	for _, r := range t.rows {
		for _, s := range r.Errs {
			if errors.Is(err, s) {
				return r.Code
			}
		}
	}
	return CodeInternal
}

// Describe returns what code means, or "" for an unknown code.
func Describe(code string) string {
	if r, ok := table().by[code]; ok {
		return r.Doc
	}
	return ""
}

// HTTPStatus returns the HTTP status of code (500 for an unknown code).
func HTTPStatus(code string) int {
	if r, ok := table().by[code]; ok {
		return r.Status
	}
	return http.StatusInternalServerError
}

// Codes the surfaces name directly.
const (
	CodeRefused  = "refused"
	CodeInternal = "internal"
)

const (
	sBad      = http.StatusBadRequest
	sAuth     = http.StatusUnauthorized
	sForbid   = http.StatusForbidden
	sNotFound = http.StatusNotFound
	sConflict = http.StatusConflict
	sTooLarge = http.StatusRequestEntityTooLarge
	sInternal = http.StatusInternalServerError
	sUnavail  = http.StatusServiceUnavailable
	sTimeout  = http.StatusGatewayTimeout
)

func errs(e ...error) []error { return e }

// sentinelRows: the node's sentinels and the surfaces'. More specific rows
// come first: Code takes the first match.
func sentinelRows() []CodeInfo {
	return []CodeInfo{
		{"bad_json", sBad, "the request body or file is not the documented JSON object", errs(ErrBadJSON)},
		{"too_large", sTooLarge, "the request body is over the API's limit", errs(ErrTooLarge)},
		{"unauthorized", sAuth, "missing or wrong access token (send Authorization: Bearer TOKEN)", errs(ErrUnauthorized)},
		{"no_route", sNotFound, "no such API path (see docs: the HTTP API)", errs(ErrNoRoute)},
		{"method_not_allowed", http.StatusMethodNotAllowed, "the API path exists with another method", errs(ErrBadMethod)},
		{"bad_role", sBad, "unknown role name", errs(ErrBadRole)},
		{"bad_invite", sBad, "not a well-formed invite", errs(ErrBadInvite)},
		{"bad_bootstrap", sBad, "a bootstrap address without /p2p/<peer ID>", errs(ErrBadBootstrap)},
		{"bad_image", sBad, "a delivery proof's photo or signature that is not a JPEG or PNG image", errs(ErrBadImage)},
		{"bad_argument", sBad, "a missing, malformed or out-of-range argument", errs(ErrBadArgument)},
		{"not_found", sNotFound, "no such order, restaurant, rules version or scope here", errs(ErrUnknown, ErrNotFound)},
		{"no_coop", sConflict, "no cooperative joined yet", errs(ErrNoCoop)},
		{"not_member", sForbid, "the key acts for no active member of the cooperative", errs(ErrNotMember)},
		{"archived", sConflict, "the order finished more than 7 days ago and is archived: it can no longer change (SPEC.md §4.5)", errs(ErrArchived)},
		{"not_shared", sForbid, "the order's personal data is not shared with this node (yet)", errs(ErrNotShared)},
		{"wrong_role", sConflict, "an action of another role than this node's", errs(ErrWrongRole)},
		{"offline", sUnavail, "the call needs the network and no peer is reachable", errs(ErrOffline)},
		{"peer_unreachable", sUnavail, "the peer answered on none of its known addresses nor through a coop relay (SPEC.md §10.6)", errs(ErrUnreachablePeer)},
		{"timeout", sTimeout, "a wait ran out", errs(ErrTimeout, context.DeadlineExceeded)},
		{"stopped", sUnavail, "the node was stopped", errs(ErrClosed, context.Canceled)},
		{"already_running", sConflict, "a node already runs on this data folder: stop it first, or use another folder", errs(ErrAlreadyRunning)},
		{"no_key", sInternal, "the node was built without an identity key", errs(ErrNoKey)},
		{"not_ed25519", sBad, "a key or peer ID that is not Ed25519", errs(ErrNotEd25519)},
		{"bad_meta_name", sInternal, "a store metadata name outside [a-z0-9._-]{1,64}", errs(ErrBadMetaName)},
		{"bad_topic", sInternal, "an empty gossip topic name", errs(ErrBadTopic)},
		{"sync_coop", sConflict, "the sync peer follows another cooperative", errs(ErrSyncCoop)},
		{"sync_protocol", sBad, "the sync peer broke the sync protocol (SPEC.md §8.6)", errs(ErrSyncProtocol)},
		{"not_issuer", sForbid, "this node's key is not the credential issuer the constitution designates (SPEC.md §21.5)", errs(ErrNotIssuer)},
		{"wrong_subject", sConflict, "the credential is about another key than the member named", errs(ErrWrongSubject)},
		{"not_offered_yet", sConflict, "couriers on shift see this job first: it opens to others after the head start (SPEC.md §21.2)", errs(ErrNotOfferedYet)},
		{"payments_off", sConflict, "this node has no online payment account: the restaurant sets one with coopnode payments account", errs(ErrPaymentsOff)},
		{"payment_provider", http.StatusBadGateway, "the payment provider failed or refused the call; try again", errs(ErrPaymentProvider)},
		{"payment_declined", http.StatusPaymentRequired, "the payment was declined: pay another way or with another card", errs(ErrPaymentDeclined)},
		{"webhook_bad_signature", sBad, "the webhook's signature does not verify with the signing secret (SPEC.md §20.3.3)", errs(ErrWebhookSignature)},
		{"webhook_replayed", sBad, "the webhook was already processed or was signed more than 300 s away from this node's clock (SPEC.md §20.3.3)", errs(ErrWebhookReplayed)},
		{CodePaymentAlreadyPaid, sConflict, "the payment is already recorded paid (cash on delivery: by the courier who took the cash): nothing more to record; the month's invoice settles the cash between courier, coop and restaurant", nil},
		{CodePaymentNotPaid, sConflict, "only a payment recorded paid can be refunded", nil},
		{CodePaymentAlreadyRefunded, sConflict, "the payment was already refunded: nothing more to record", nil},
		{CodePaymentBeforeAccept, sConflict, "money changes hands only for an accepted order: accept the order first", nil},
		{CodeRefused, sConflict, "the rules refuse the action", errs(ErrRefused)},
	}
}

// foldRows: the fold's reasons (crdt.Reason, SPEC.md §6.4).
func foldRows() []CodeInfo {
	c := sConflict
	return []CodeInfo{
		{"wrong_body", c, "the body does not match the event kind", nil},
		{"wrong_scope", c, "the event does not belong to the scope it names", nil},
		{"bad_lamport", c, "the Lamport clock is not above the parents'", nil},
		{"parent_out_of_scope", c, "a parent is outside the event's scope", nil},
		{"unknown_coop", c, "the cooperative is not known here", nil},
		{"scope_full", c, "the scope holds the most events it may", nil},
		{"bad_field", c, "a field is missing or out of range", nil},
		{"duplicate_root", c, "the scope already has its first event", nil},
		{"duplicate_event", c, "the very same event is already held", nil},
		{"small_order_key", c, "a small-order Ed25519 key, which signs anything, as author, admin, member or device (SPEC.md §3.3)", nil},
		{"not_admin", sForbid, "only an admin may do this", nil},
		{"revoked_key", sForbid, "the key or its member was revoked", nil},
		{"not_courier", sForbid, "this key is not admitted with the courier role: an admin of the cooperative runs coopnode admit -data ADMIN_DIR -member KEY -roles courier", nil},
		{"not_restaurant", sForbid, "only the order's restaurant may do this", nil},
		{"restaurant_not_member", c, "the order names no partner restaurant of the cooperative", nil},
		{"not_customer", sForbid, "only the order's customer may do this", nil},
		{"not_party", sForbid, "only a party to the order may do this", nil},
		{"not_dispatcher", sForbid, "only a dispatcher may do this", nil},
		{"not_holder", sForbid, "only the courier holding the order may do this", nil},
		{"not_owner", sForbid, "a catalogue document may be written only by its restaurant", nil},
		{"genesis_author_not_admin", sForbid, "the founder must be one of the first admins", nil},
		{"invalid_transition", c, "the order is not in a state that allows this", nil},
		{"customer_cancel_after_accept", c, "a customer may cancel only before the restaurant accepts", nil},
		{"not_claimable", c, "the order cannot be claimed now", nil},
		{"already_holder", c, "this courier already holds the order", nil},
		{"no_holder", c, "no courier holds the order", nil},
		{"collection_only", c, "a collection order has no courier", nil},
		{"delivery_only", c, "only a delivery order allows this", nil},
		{"pin_mismatch", c, "the handover PIN does not match the order's", nil},
		{"never_accepted", c, "the order was never accepted", nil},
		{"already_revoked", c, "the member or device is already revoked", nil},
		{"unknown_member", c, "no such member", nil},
		{"unknown_device", c, "no such device", nil},
		{"device_taken", c, "the device key already acts for a member", nil},
		{"bad_reason", c, "a reason outside the ones SPEC.md lists for this action", nil},
		{"stale_version", c, "the rules version is not above every version applied before", nil},
		{"too_many_claims", c, "the courier already has the most claims on this order it may (SPEC.md §9)", nil},
		{"payment_method_mismatch", c, "the payment does not use the order's payment method (SPEC.md §20.2)", nil},
		{"payment_ref_mismatch", c, "the payment names another provider reference than the order's (SPEC.md §20.2)", nil},
		{"unknown_proposal", c, "no such proposal in the cooperative", nil},
		{"vote_closed", c, "the proposal closed before this vote was signed", nil},
		{"not_eligible", sForbid, "the member is not in the proposal's electorate", nil},
		{"vote_required", sForbid, "the constitution requires a passed proposal for this change", nil},
		{"not_final", c, "the proposal's result is not final yet (close + 10 minutes)", nil},
		{"not_passed", c, "the proposal did not pass", nil},
		{"decision_mismatch", c, "the change is not the one the proposal decided", nil},
		{"wrong_rule", c, "the proposal did not use the decision rule the constitution requires", nil},
		{"already_enacted", c, "the proposal was already enacted", nil},
		{"not_planner", sForbid, "only an admin, or a member of a role the constitution names, may publish shifts (SPEC.md §21.1.4)", nil},
		{"unknown_shift", c, "no such shift in the cooperative", nil},
		{"shift_full", c, "every seat of the shift is taken", nil},
		{"already_on_shift", c, "the courier already holds a seat on the shift", nil},
		{"not_on_shift", c, "the courier holds no seat on the shift", nil},
		{"short_notice", c, "a drop later than the notice the constitution requires: offer a swap instead", nil},
		{"shift_started", c, "the shift has started: seats are no longer swapped", nil},
		{"shift_over", c, "the shift is over", nil},
		{"unknown_offer", c, "no such swap offer", nil},
		{"offer_closed", c, "the swap offer was taken, or its courier left the shift", nil},
		{"not_offered", sForbid, "the swap offer names another courier", nil},
		{"feedback_closed", c, "the order finished more than 14 days before this rating or report (SPEC.md §21.4.2)", nil},
	}
}

// gateRows: the gate's reasons (protocol.Reason, SPEC.md §9).
func gateRows() []CodeInfo {
	c := sConflict
	return []CodeInfo{
		{"malformed", c, "the event does not decode", nil},
		{"non_canonical", c, "the event is not canonically encoded", nil},
		{"oversized", c, "the event is over its size limit", nil},
		{"bad_signature", c, "the signature does not verify", nil},
		{"unknown_kind", c, "no such event kind", nil},
		{"too_many_parents", c, "the event names too many parents", nil},
		{"clock_skew", c, "the event's wall clock is in the future", nil},
		{"stale", c, "the event is older than the gossip age limit, or superseded", nil},
		{"duplicate", c, "the event is already held", nil},
		{"pending", c, "the event waits for an event it depends on", nil},
	}
}

// marketRows: checkout's and validation's refusals, from market.Codes.
func marketRows() []CodeInfo {
	var out []CodeInfo
	for _, c := range market.Codes() {
		out = append(out, CodeInfo{Code: c.Code, Status: sConflict, Doc: strings.TrimPrefix(c.Err.Error(), "market: "), Errs: errs(c.Err)})
	}
	return out
}

// addCredentialRows folds credential.Codes in: a code the table has
// already (only "malformed": does not decode) takes the sentinel too.
func addCredentialRows(rows []CodeInfo) []CodeInfo {
	for _, c := range credential.Codes() {
		i := 0
		for i < len(rows) && rows[i].Code != c.Code {
			i++
		}
		if i < len(rows) {
			rows[i].Errs = append(rows[i].Errs, c.Err)
			continue
		}
		rows = append(rows, CodeInfo{Code: c.Code, Status: sConflict, Doc: strings.TrimPrefix(c.Err.Error(), "credential: "), Errs: errs(c.Err)})
	}
	return rows
}

type codeTable struct {
	rows []CodeInfo
	by   map[string]CodeInfo
}

var (
	tableOnce sync.Once
	theTable  codeTable
)

func table() *codeTable {
	tableOnce.Do(func() {
		var rows []CodeInfo
		// market rows first: a market refusal wrapped in ErrBadArgument
		// keeps its precise code.
		rows = append(rows, marketRows()...)
		rows = append(rows, sentinelRows()...)
		rows = append(rows, foldRows()...)
		rows = append(rows, gateRows()...)
		rows = addCredentialRows(rows)
		rows = append(rows, CodeInfo{CodeInternal, sInternal, "anything else (disk, network, a bug)", nil})
		theTable.rows = rows
		theTable.by = make(map[string]CodeInfo, len(rows))
		for _, r := range rows {
			if _, dup := theTable.by[r.Code]; !dup { // TestCodeTable checks there is none
				theTable.by[r.Code] = r
			}
		}
	})
	return &theTable
}
