package protocol

import (
	"fmt"
	"reflect"

	"github.com/coopnode/coopnode/crdt"
)

// Size and count limits (SPEC.md §9). They bound what one event can cost a
// node to receive, decode, store and show. An event that breaks one is
// refused with ErrOversized (reason "oversized"); Seal refuses to make one.
const (
	// MaxEventSize bounds the whole wire event (envelope, body and
	// signature) of every kind except the catalogue documents (SPEC.md §9).
	MaxEventSize = 16 << 10

	// MaxDocSize bounds the wire event of a catalogue document
	// (catalog.profile, catalog.menu), which replaces a whole menu at once
	// (SPEC.md §9). It is also the bound checked before any decoding.
	MaxDocSize = 256 << 10

	// MaxParents bounds an event's parents (SPEC.md §9).
	MaxParents = 8

	// MaxTextLen bounds any text string in a payload, in bytes of UTF-8
	// (SPEC.md §9).
	MaxTextLen = 4 << 10

	// MaxBlobLen bounds any byte string in a payload, such as
	// OrderPlace.Sealed (SPEC.md §9).
	MaxBlobLen = 4 << 10

	// MaxListLen bounds any array in an event, such as the products of a
	// menu section (SPEC.md §9).
	MaxListLen = 1024

	// MaxLineItems bounds the line items of an order.place (SPEC.md §9).
	MaxLineItems = 64

	// MaxItemOptions bounds the chosen option values of one line item
	// (SPEC.md §9).
	MaxItemOptions = 32

	// MaxAdmins bounds the founding admins of a coop.genesis (SPEC.md §9).
	MaxAdmins = 16

	// maxMapPairs bounds any map: no v1 map defines more keys than this, so
	// a longer one is malformed before it is decoded.
	maxMapPairs = 32

	// maxNesting bounds how deep arrays and maps nest. The deepest v1 item
	// is an option value of a menu: body, payload, sections, section,
	// products, product, options, option, values, value = 10 levels.
	maxNesting = 12
)

// SizeLimit returns the largest wire event allowed for kind k: MaxDocSize
// for catalogue documents, rules.set (whose zone polygons can be large,
// SPEC.md §16.9) and proposal.open (which may carry a rules.set, SPEC.md
// §19.2.1), MaxEventSize otherwise (SPEC.md §9).
func SizeLimit(k crdt.Kind) int {
	if k.Class() == crdt.ScopeCatalog || k == crdt.KindRulesSet || k == crdt.KindProposalOpen {
		return MaxDocSize
	}
	return MaxEventSize
}

// checkLimits enforces the per-field limits on a decoded or to-be-encoded
// payload. p must be a non-nil pointer to a payload struct.
func checkLimits(p crdt.Payload) error {
	switch b := p.(type) {
	case *crdt.CoopGenesis:
		if len(b.Admins) > MaxAdmins {
			return fmt.Errorf("%w: %d admins, limit %d", ErrOversized, len(b.Admins), MaxAdmins)
		}
	case *crdt.OrderPlace:
		if len(b.Items) > MaxLineItems {
			return fmt.Errorf("%w: %d line items, limit %d", ErrOversized, len(b.Items), MaxLineItems)
		}
		if len(b.Dropoffs) > crdt.MaxDropoffs {
			return fmt.Errorf("%w: %d dropoffs, limit %d", ErrOversized, len(b.Dropoffs), crdt.MaxDropoffs)
		}
		for i := range b.Items {
			if n := len(b.Items[i].Options); n > MaxItemOptions {
				return fmt.Errorf("%w: line item %d has %d options, limit %d", ErrOversized, i, n, MaxItemOptions)
			}
		}
	case *crdt.RulesSet:
		if len(b.Zones) > crdt.MaxZones {
			return fmt.Errorf("%w: %d zones, limit %d", ErrOversized, len(b.Zones), crdt.MaxZones)
		}
		if len(b.Rules) > crdt.MaxRules {
			return fmt.Errorf("%w: %d rules, limit %d", ErrOversized, len(b.Rules), crdt.MaxRules)
		}
		for i := range b.Rules {
			if n := len(b.Rules[i].Steps); n > crdt.MaxPriceSteps {
				return fmt.Errorf("%w: rule %d has %d steps, limit %d", ErrOversized, i, n, crdt.MaxPriceSteps)
			}
		}
	}
	v := reflect.ValueOf(p)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return fmt.Errorf("%w: nil payload", ErrWrongBody)
	}
	if over := walkLimits(v.Elem(), 0); over != nil {
		path := v.Elem().Type().Name()
		for i := len(over.path) - 1; i >= 0; i-- {
			path += "." + over.path[i]
		}
		return fmt.Errorf("%w: %s has %d %s, limit %d", ErrOversized, path, over.n, over.unit, over.limit)
	}
	return nil
}

// overLimit describes the first limit walkLimits found broken. path holds
// field names innermost first; it is only built on the way out of a
// failure, so a passing walk allocates nothing.
type overLimit struct {
	path     []string
	unit     string
	n, limit int
}

// walkLimits checks every string, byte string and list reachable from v.
// Payload types are finite trees of structs; depth only guards against a
// future recursive type.
func walkLimits(v reflect.Value, depth int) *overLimit {
	if depth > maxNesting {
		return &overLimit{unit: "levels", n: depth, limit: maxNesting}
	}
	switch v.Kind() {
	case reflect.String:
		if v.Len() > MaxTextLen {
			return &overLimit{unit: "bytes", n: v.Len(), limit: MaxTextLen}
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			if v.Len() > MaxBlobLen {
				return &overLimit{unit: "bytes", n: v.Len(), limit: MaxBlobLen}
			}
			return nil
		}
		if v.Len() > MaxListLen {
			return &overLimit{unit: "elements", n: v.Len(), limit: MaxListLen}
		}
		for i := 0; i < v.Len(); i++ {
			if over := walkLimits(v.Index(i), depth+1); over != nil {
				return over
			}
		}
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < v.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			if over := walkLimits(v.Field(i), depth+1); over != nil {
				over.path = append(over.path, f.Name)
				return over
			}
		}
	}
	return nil
}
