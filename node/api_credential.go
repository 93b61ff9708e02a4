package node

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/credential"
	"github.com/coopnode/coopnode/market"
)

// Portable reputation (issue 16; SPEC.md §21.5): the node whose key the
// constitution designates issues a courier's work record credential
// (package credential, SPEC.md §18) from the coop's logs; any node, of
// this coop or another, verifies one offline, and checks that it is about
// the member it is admitting.

// DefaultCredentialValidity is how long an exported credential is valid:
// a year (short windows stand in for revocation, SPEC.md §21.5).
const DefaultCredentialValidity = 365 * 24 * time.Hour

// WorkRecordRequest says whose record to export, over which period.
type WorkRecordRequest struct {
	Courier crdt.PubKey `json:"courier"`
	// From and To bound the orders counted by the wall time they finished,
	// [From, To); zero From: from the start, zero To: now.
	From time.Time `json:"from,omitzero"`
	To   time.Time `json:"to,omitzero"`
	// Validity is how long the credential is valid from now; zero: a year.
	Validity time.Duration `json:"validity,omitempty"`
}

// ExportWorkRecord issues courier's work record credential, signed with
// this node's key, which the constitution must designate as the coop's
// credential issuer (else ErrNotIssuer).
func (n *Node) ExportWorkRecord(ctx context.Context, req WorkRecordRequest) ([]byte, error) {
	if req.Validity < 0 || req.Validity > 5*DefaultCredentialValidity {
		return nil, fmt.Errorf("%w: validity %s is not in [0, 5 years]", ErrBadArgument, req.Validity)
	}
	var out []byte
	err := n.do(ctx, func() error {
		coop := n.replica.CoopView(n.cfg.coop)
		if coop == nil {
			return ErrNoCoop
		}
		now := n.cfg.clock.Now()
		if iss := coop.Constitution.CredentialIssuer; iss.IsZero() || iss != n.self {
			return fmt.Errorf("%w: the constitution designates %s, this node is %s", ErrNotIssuer, keyOrNone(iss), n.self.Short())
		}
		if m, ok := coop.Members[req.Courier]; !ok || !m.RolesAt(now.UnixMilli()).Has(crdt.RoleCourier) && !everCourier(m) {
			return fmt.Errorf("%w: %s is not a courier of the coop", ErrBadArgument, req.Courier.Short())
		}
		to := req.To
		if to.IsZero() {
			to = now
		}
		from := req.From
		if from.IsZero() {
			if m := coop.Members[req.Courier]; m != nil {
				from = time.UnixMilli(m.AdmittedAt)
			}
		}
		if !from.Before(to) {
			return fmt.Errorf("%w: the period %s to %s is empty", ErrBadArgument, from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339))
		}
		rep, err := market.ReputationOf(coop, n.replica.Orders(n.cfg.coop, nil), req.Courier, crdt.PartyCourier, from.UnixMilli(), to.UnixMilli())
		if err != nil {
			return err
		}
		rec := WorkRecordOf(rep, from, to)
		validity := req.Validity
		if validity == 0 {
			validity = DefaultCredentialValidity
		}
		c := credential.WorkCredential{IssuerName: coop.Name, Subject: credential.DIDKey(ed25519.PublicKey(req.Courier[:])),
			ValidFrom: now, ValidUntil: now.Add(validity), Record: rec}
		out, err = credential.Issue(c, n.key, now)
		return err
	})
	return out, err
}

// WorkRecordOf turns a courier's reputation into a credential's record
// (SPEC.md §21.5): deliveries, the on-time share, the ratings that count
// with their one-voice-per-rater mean (none below market.MinRaters
// raters), shifts worked.
func WorkRecordOf(rep market.Reputation, from, to time.Time) credential.WorkRecord {
	r := credential.WorkRecord{PeriodStart: from, PeriodEnd: to, Deliveries: rep.Delivered, ShiftsWorked: rep.ShiftsWorked}
	if rep.Delivered > 0 {
		r.OnTimeShare = float64((int64(rep.OnTime)*1000+int64(rep.Delivered)/2)/int64(rep.Delivered)) / 1000
	}
	if rep.Shown {
		r.Ratings, r.MeanRating = rep.Ratings, float64(rep.MeanCentiStars)/100
	}
	return r
}

func everCourier(m *crdt.Member) bool {
	for _, h := range m.History {
		if h.Roles.Has(crdt.RoleCourier) {
			return true
		}
	}
	return false
}

func keyOrNone(k crdt.PubKey) string {
	if k.IsZero() {
		return "no issuer"
	}
	return k.Short()
}

// VerifyWorkRecord checks a work record credential offline at this node's
// clock (SPEC.md §18.4) and, when subject is not zero, that it is about
// that key (else ErrWrongSubject): the check a coop makes before admitting
// a courier on the strength of another coop's record. Whether the issuer
// is a coop to trust is the caller's judgement; the result names it.
func (n *Node) VerifyWorkRecord(raw []byte, subject crdt.PubKey) (*credential.Verified, error) {
	v, err := credential.Verify(raw, n.cfg.clock.Now())
	if err != nil {
		return nil, err
	}
	if !subject.IsZero() {
		pub, err := credential.ParseDIDKey(v.Subject)
		if err != nil || !bytes.Equal(pub, subject[:]) {
			return nil, fmt.Errorf("%w: the credential is about %.60s, not %s", ErrWrongSubject, v.Subject, subject.Short())
		}
	}
	return v, nil
}

// Sentinels of the credential export (codes.go).
var (
	// ErrNotIssuer: this node's key is not the coop's designated
	// credential issuer (SPEC.md §21.5).
	ErrNotIssuer = errors.New("this node is not the coop's credential issuer")
	// ErrWrongSubject: a credential about another key than the member
	// being admitted.
	ErrWrongSubject = errors.New("the credential is about someone else")
)
