package mobile

import (
	"context"
	"encoding/hex"
	"errors"
	"slices"
	"time"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/node"
)

// The courier's actions. Each takes a JSON request and returns a JSON
// answer (API.md, "Courier"). Actions go through the node: checked
// against the replicated rules, persisted, then published; a refused
// action returns "<reason>: ..." (a refusal code) and publishes nothing.

type shiftRequest struct {
	Position *position `json:"position"`
	RadiusM  int       `json:"radius_m"`
}

type shiftResult struct {
	OnShift bool      `json:"on_shift"`
	RadiusM int       `json:"radius_m"`
	Jobs    []jobView `json:"jobs"`
}

func checkPosition(p *position) error {
	if p != nil && !p.Valid() {
		return errorf(node.ErrBadArgument, "position out of range (microdegrees)")
	}
	return nil
}

// GoOnShift starts a shift: the node follows the job board, announces
// new jobs within the radius with OnJobNearby, and returns the jobs open
// now. Request: {"position":{"lat_e6":47218000,"lon_e6":-1553000},"radius_m":3000}.
func (m *Node) GoOnShift(requestJSON string) (string, error) {
	return m.call(func(ctx context.Context) (any, error) {
		if err := m.requireRole(node.RoleCourier); err != nil {
			return nil, err
		}
		var req shiftRequest
		if err := decode(requestJSON, &req); err != nil {
			return nil, err
		}
		if err := checkPosition(req.Position); err != nil {
			return nil, err
		}
		if req.RadiusM < 0 {
			return nil, errorf(node.ErrBadArgument, "radius_m must not be negative")
		}
		m.mu.Lock()
		m.st.onShift = true
		if req.Position != nil {
			p := *req.Position
			m.st.pos = &p
		}
		if req.RadiusM > 0 {
			m.st.radiusM = req.RadiusM
		} else {
			m.st.radiusM = m.cfg.JobRadiusM
		}
		m.st.notified = map[crdt.ID]bool{}
		m.mu.Unlock()
		if err := m.apply(ctx); err != nil {
			return nil, err
		}
		jobs, err := m.jobs(ctx, nil, 0, true)
		if err != nil {
			return nil, err
		}
		m.mu.Lock()
		radius := m.st.radiusM
		m.mu.Unlock()
		return shiftResult{OnShift: true, RadiusM: radius, Jobs: jobs}, nil
	})
}

// GoOffShift ends the shift: no more job announcements, and the node
// stops following the job board unless it still carries an order.
func (m *Node) GoOffShift() (string, error) {
	return m.call(func(ctx context.Context) (any, error) {
		if err := m.requireRole(node.RoleCourier); err != nil {
			return nil, err
		}
		m.mu.Lock()
		m.st.onShift = false
		m.st.notified = map[crdt.ID]bool{}
		m.mu.Unlock()
		if err := m.apply(ctx); err != nil {
			return nil, err
		}
		return shiftResult{OnShift: false, Jobs: []jobView{}}, nil
	})
}

type jobsRequest struct {
	Position *position `json:"position"`
	RadiusM  int       `json:"radius_m"`
}

type jobsResult struct {
	Jobs []jobView `json:"jobs"`
}

// Jobs lists deliveries a courier could take near a position, nearest
// first. Request: {"position":{...},"radius_m":3000}; both optional (the
// last known position and the shift radius).
func (m *Node) Jobs(requestJSON string) (string, error) {
	return m.call(func(ctx context.Context) (any, error) {
		var req jobsRequest
		if err := decode(requestJSON, &req); err != nil {
			return nil, err
		}
		if err := checkPosition(req.Position); err != nil {
			return nil, err
		}
		if req.RadiusM < 0 {
			return nil, errorf(node.ErrBadArgument, "radius_m must not be negative")
		}
		jobs, err := m.jobs(ctx, req.Position, req.RadiusM, false)
		if err != nil {
			return nil, err
		}
		return jobsResult{Jobs: jobs}, nil
	})
}

// jobs lists the job board; markNotified records the jobs as announced
// (the start of a shift returns them instead of calling back).
func (m *Node) jobs(ctx context.Context, pos *position, radius int, markNotified bool) ([]jobView, error) {
	m.mu.Lock()
	if pos == nil {
		pos = m.st.pos
	}
	if radius == 0 {
		radius = m.st.radiusM
	}
	m.mu.Unlock()
	at := crdt.Position{}
	if pos != nil {
		at = *pos
	} else {
		radius = 0 // no position: every distance
	}
	js, err := m.n.Jobs(ctx, at, radius)
	if err != nil {
		return nil, err
	}
	vc := m.viewCtx(ctx)
	out := []jobView{}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, j := range js {
		out = append(out, vc.job(j.Order, pos, true))
		if markNotified {
			m.st.notified[j.Order.ID] = true
		}
	}
	return out, nil
}

type orderRequest struct {
	Order string `json:"order"`
}

type claimRequest struct {
	Order    string    `json:"order"`
	Position *position `json:"position"`
}

// Claim asks to carry an order and answers at once with the provisional
// outcome; the final one arrives through OnClaimResult (or AwaitClaim).
// Request: {"order":"<64 hex>","position":{...}} (position optional: the
// last known one).
func (m *Node) Claim(requestJSON string) (string, error) {
	return m.call(func(ctx context.Context) (any, error) {
		if err := m.requireRole(node.RoleCourier); err != nil {
			return nil, err
		}
		var req claimRequest
		if err := decode(requestJSON, &req); err != nil {
			return nil, err
		}
		id, err := parseOrderID("order", req.Order)
		if err != nil {
			return nil, err
		}
		if err := checkPosition(req.Position); err != nil {
			return nil, err
		}
		at := crdt.Position{}
		m.mu.Lock()
		if req.Position != nil {
			at = *req.Position
		} else if m.st.pos != nil {
			at = *m.st.pos
		}
		m.mu.Unlock()
		claim, err := m.n.Claim(ctx, id, at)
		if err != nil {
			return nil, err
		}
		m.mu.Lock()
		m.st.claims[id] = claim
		m.mu.Unlock()
		m.acted(id, "claim")
		// The outcome may have been decided before the claim was recorded
		// above: let the watcher look again.
		select {
		case m.recheck <- id:
		default:
		}
		s, err := m.n.Order(ctx, id)
		if err != nil {
			return nil, err
		}
		res, _ := claimOutcome(s, claim)
		return res, nil
	})
}

type awaitRequest struct {
	Order     string `json:"order"`
	Claim     string `json:"claim"`
	TimeoutMs int    `json:"timeout_ms"`
}

// AwaitClaim blocks until the claim is decided or timeout_ms (default
// 30000, at most 120000) passes, and returns the outcome; on time-out it
// returns a "timeout" error. Call it off the UI thread. Request:
// {"order":"...","claim":"...","timeout_ms":30000}.
func (m *Node) AwaitClaim(requestJSON string) (out string, err error) {
	defer recoverTo(&err)
	if m == nil || m.ctx == nil || m.ctx.Err() != nil {
		return "", errorf(node.ErrClosed, "the node was stopped")
	}
	var req awaitRequest
	if err := decode(requestJSON, &req); err != nil {
		return "", err
	}
	order, err := parseOrderID("order", req.Order)
	if err != nil {
		return "", err
	}
	claim, err := parseOrderID("claim", req.Claim)
	if err != nil {
		return "", err
	}
	if req.TimeoutMs <= 0 {
		req.TimeoutMs = 30_000
	}
	req.TimeoutMs = min(req.TimeoutMs, 120_000)
	ctx, cancel := context.WithTimeout(m.ctx, time.Duration(req.TimeoutMs)*time.Millisecond)
	defer cancel()
	var res claimResult
	_, err = m.n.WaitOrder(ctx, order, func(s *crdt.OrderState) bool {
		r, found := claimOutcome(s, claim)
		res = r
		return found && r.Final
	})
	if err != nil {
		return "", wrap(err)
	}
	return encode(res)
}

type taskRequest struct {
	Order string `json:"order"`
	Task  string `json:"task"` // "pickup" or "dropoff"
}

func taskNumber(s string) (uint8, error) {
	switch s {
	case "pickup":
		return crdt.TaskPickupN, nil
	case "dropoff":
		return crdt.TaskDropoffN, nil
	}
	return 0, errorf(node.ErrBadArgument, "task %q: want pickup or dropoff", s)
}

// StartTask says the courier is on the way to the restaurant ("pickup")
// or to the customer ("dropoff"). Request: {"order":"...","task":"pickup"}.
func (m *Node) StartTask(requestJSON string) (string, error) {
	return m.call(func(ctx context.Context) (any, error) {
		var req taskRequest
		if err := decode(requestJSON, &req); err != nil {
			return nil, err
		}
		id, err := parseOrderID("order", req.Order)
		if err != nil {
			return nil, err
		}
		task, err := taskNumber(req.Task)
		if err != nil {
			return nil, err
		}
		if err := m.n.StartTask(ctx, id, task); err != nil {
			return nil, err
		}
		return m.afterAction(ctx, id, "start_"+req.Task)
	})
}

// Pickup marks the order collected. Request: {"order":"..."}.
func (m *Node) Pickup(requestJSON string) (string, error) {
	return m.call(func(ctx context.Context) (any, error) {
		var req orderRequest
		if err := decode(requestJSON, &req); err != nil {
			return nil, err
		}
		id, err := parseOrderID("order", req.Order)
		if err != nil {
			return nil, err
		}
		if err := m.n.Pickup(ctx, id); err != nil {
			return nil, err
		}
		return m.afterAction(ctx, id, "pickup")
	})
}

type proofRequest struct {
	Recipient       string `json:"recipient"`
	Note            string `json:"note"`
	PIN             string `json:"pin"`
	PhotoSHA256     string `json:"photo_sha256"`     // the photo stays on the phone; only its hash travels
	SignatureSHA256 string `json:"signature_sha256"` // likewise for a signature image
}

type deliverRequest struct {
	Order string       `json:"order"`
	Proof proofRequest `json:"proof"`
}

func parseHash(field, s string) ([]byte, error) {
	if s == "" {
		return nil, nil
	}
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		return nil, errorf(node.ErrBadArgument, "%s: want 64 hex characters (SHA-256)", field)
	}
	return b, nil
}

// Deliver marks the order handed over, with proof. Offline, the delivery
// is recorded on the phone ("published": false) and handed to the
// network by the first sync once back online. Request:
// {"order":"...","proof":{"recipient":"Léa","pin":"4821","photo_sha256":"<64 hex>"}}.
func (m *Node) Deliver(requestJSON string) (string, error) {
	return m.call(func(ctx context.Context) (any, error) {
		var req deliverRequest
		if err := decode(requestJSON, &req); err != nil {
			return nil, err
		}
		id, err := parseOrderID("order", req.Order)
		if err != nil {
			return nil, err
		}
		photo, err := parseHash("photo_sha256", req.Proof.PhotoSHA256)
		if err != nil {
			return nil, err
		}
		sig, err := parseHash("signature_sha256", req.Proof.SignatureSHA256)
		if err != nil {
			return nil, err
		}
		proof := crdt.Proof{PhotoHash: photo, SignatureHash: sig, Recipient: req.Proof.Recipient,
			Note: req.Proof.Note, PIN: req.Proof.PIN}
		if err := m.n.Deliver(ctx, id, proof); err != nil {
			return nil, err
		}
		return m.afterAction(ctx, id, "deliver")
	})
}

type failRequest struct {
	Order  string `json:"order"`
	Task   string `json:"task"`   // "pickup" or "dropoff"
	Reason string `json:"reason"` // required, e.g. "closed", "no_answer"
	Note   string `json:"note"`
}

// Fail records a failed pickup or drop-off. Request:
// {"order":"...","task":"dropoff","reason":"no_answer","note":"rang twice"}.
func (m *Node) Fail(requestJSON string) (string, error) {
	return m.call(func(ctx context.Context) (any, error) {
		var req failRequest
		if err := decode(requestJSON, &req); err != nil {
			return nil, err
		}
		id, err := parseOrderID("order", req.Order)
		if err != nil {
			return nil, err
		}
		task, err := taskNumber(req.Task)
		if err != nil {
			return nil, err
		}
		if req.Reason == "" {
			return nil, errorf(node.ErrBadArgument, "reason is required")
		}
		if err := m.n.Fail(ctx, id, task, req.Reason, req.Note); err != nil {
			return nil, err
		}
		return m.afterAction(ctx, id, "fail_"+req.Task)
	})
}

type releaseRequest struct {
	Order  string `json:"order"`
	Reason string `json:"reason"`
}

// Unassign gives an order back so another courier can claim it. Request:
// {"order":"...","reason":"flat tyre"}.
func (m *Node) Unassign(requestJSON string) (string, error) {
	return m.call(func(ctx context.Context) (any, error) {
		var req releaseRequest
		if err := decode(requestJSON, &req); err != nil {
			return nil, err
		}
		id, err := parseOrderID("order", req.Order)
		if err != nil {
			return nil, err
		}
		if err := m.n.Unassign(ctx, id, req.Reason); err != nil {
			return nil, err
		}
		return m.afterAction(ctx, id, "release")
	})
}

type positionResult struct {
	Position position `json:"position"`
	// Shared: the position left the phone, sealed to the customer and the
	// restaurant of OrdersTold orders this courier holds (SPEC.md §16.11).
	// False with no order held, offline, or within 4 s of the last share
	// for every held order (protocol.TrackEvery: the network drops faster
	// updates, so the node does not send them).
	Shared     bool `json:"shared"`
	OrdersTold int  `json:"orders_told"`
}

// UpdatePosition records the courier's position for job distances and
// announcements and, for a courier, shares it with the parties of every
// order it holds (node.UpdatePosition: ephemeral, sealed, never stored).
// Request: {"lat_e6":47218000,"lon_e6":-1553000}.
func (m *Node) UpdatePosition(requestJSON string) (string, error) {
	return m.call(func(ctx context.Context) (any, error) {
		var p position
		if err := decode(requestJSON, &p); err != nil {
			return nil, err
		}
		if err := checkPosition(&p); err != nil {
			return nil, err
		}
		m.mu.Lock()
		m.st.pos = &p
		m.mu.Unlock()
		res := positionResult{Position: p}
		// Positions are ephemeral: offline there is nobody to tell and
		// nothing to keep for later.
		if nodeRole(m.cfg.Role) != node.RoleCourier || p.IsZero() || m.gate.isOffline() || len(m.h.Network().Peers()) == 0 {
			return res, nil
		}
		told, err := m.n.UpdatePosition(ctx, p)
		if err != nil {
			return nil, err
		}
		res.Shared, res.OrdersTold = told > 0, told
		return res, nil
	})
}

type personalDataView struct {
	Order        string   `json:"order"`
	Name         string   `json:"name,omitempty"`
	Phone        string   `json:"phone,omitempty"`
	Address      string   `json:"address,omitempty"`
	Instructions string   `json:"instructions,omitempty"`
	Dropoff      position `json:"dropoff"` // the exact position
}

// PersonalData returns the customer's name, phone, exact address and
// instructions for an order this courier holds, once the restaurant has
// re-sealed them for this device after confirming the claim (SPEC.md
// §15.4; the order's "personal_data_shared" turns true, with an
// OnOrderUpdate), until the order is finished. Otherwise it fails with
// "not_shared". Request: {"order":"..."}.
func (m *Node) PersonalData(requestJSON string) (string, error) {
	return m.call(func(ctx context.Context) (any, error) {
		if err := m.requireRole(node.RoleCourier); err != nil {
			return nil, err
		}
		var req orderRequest
		if err := decode(requestJSON, &req); err != nil {
			return nil, err
		}
		id, err := parseOrderID("order", req.Order)
		if err != nil {
			return nil, err
		}
		s, err := m.n.Order(ctx, id)
		if err != nil {
			return nil, err
		}
		// The device keeps its copy once the order is finished or given
		// back; the façade shows it only while the order is this courier's
		// to deliver.
		if !m.viewCtx(ctx).isMe(s.Holder) || s.Status.Terminal() {
			return nil, errorf(node.ErrNotShared, "order %s is not one this courier holds and has still to deliver (%s)", id.Short(), s.Status)
		}
		pd, err := m.n.PersonalDataOf(ctx, id)
		if errors.Is(err, node.ErrNotShared) {
			return nil, errorf(node.ErrNotShared, "the restaurant has not shared this order's personal data with this device "+
				"(it does once it confirms this courier's claim): %v", err)
		}
		if err != nil {
			return nil, err
		}
		return personalDataView{Order: id.String(), Name: pd.Name, Phone: pd.Phone, Address: pd.Address,
			Instructions: pd.Instructions, Dropoff: pd.Dropoff}, nil
	})
}

type myOrdersRequest struct {
	OpenOnly bool `json:"open_only"`
}

type ordersResult struct {
	Orders []orderView `json:"orders"`
}

// MyOrders lists the orders this device is a party to (placed here,
// carried, claimed), newest first. Request: {"open_only":true}.
func (m *Node) MyOrders(requestJSON string) (string, error) {
	return m.call(func(ctx context.Context) (any, error) {
		var req myOrdersRequest
		if err := decode(requestJSON, &req); err != nil {
			return nil, err
		}
		vc := m.viewCtx(ctx)
		orders, err := m.n.Orders(ctx, node.OrderFilter{Open: req.OpenOnly})
		if err != nil {
			return nil, err
		}
		out := ordersResult{Orders: []orderView{}}
		for _, s := range orders {
			if vc.involved(s) {
				out.Orders = append(out.Orders, vc.order(s))
			}
		}
		slices.Reverse(out.Orders)
		return out, nil
	})
}
