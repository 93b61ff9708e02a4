package recon

import (
	"crypto/rand"
	"io"
)

// Defaults and limits of Options (SPEC.md §8.7).
const (
	DefaultShortIDLen = 8
	DefaultBranch     = 16
	DefaultSmallSet   = 256
	DefaultTail       = 32
	DefaultMaxTail    = 8192

	// MinFrameLimit is the smallest allowed Options.FrameLimit.
	MinFrameLimit = 16 << 10

	// leafList: the initiator answers a differing fingerprint with an ID
	// list, rather than splitting, when it holds at most this many items.
	leafList = 64
	// leafRequest: the responder answers a differing fingerprint with a
	// Request, rather than splitting, when the initiator holds at most this
	// many items in the range.
	leafRequest = 48
	// denseBytes: a list (or request) is also preferred when the short-ID
	// bytes it costs are at most denseBytes per difference that the two
	// counts prove (|own-peer|, at least 2). Splitting costs about
	// Branch*22 bytes per differing range plus a round trip.
	denseBytes = 256
	// reserve is kept free in every message for a coalesced skip range and
	// the closing overflow fingerprint.
	reserve = 96
)

// Options tune a session. The zero value is valid; each zero field takes
// its default. Only the initiator's Since, ShortIDLen, SmallSet, Tail,
// MaxTail and Salt matter, and only the responder's Push; FrameLimit and
// Branch apply to both sides.
type Options struct {
	// Since is the initiator's "last seen" hint: the time up to which it
	// believes it was in sync (in coopnode: the wall-clock ms when it went
	// offline, minus a margin). Items at or after Since are exchanged as an
	// ID list in the first message, so differences there cost one round
	// trip. 0 means no hint.
	Since uint64

	// ShortIDLen is the length in bytes (1..32, default 8) of the salted
	// short IDs the initiator sends in ID lists. Collisions are detected
	// and repaired with a full-ID list, so shorter IDs only cost repairs.
	ShortIDLen int

	// FrameLimit is the soft limit on the size of messages this side
	// builds (default and maximum MaxMessageSize, minimum MinFrameLimit).
	// Work that does not fit is deferred to later rounds.
	FrameLimit int

	// Branch is the number of sub-ranges a differing range is split into
	// (2..256, default 16).
	Branch int

	// SmallSet: an initiator holding at most this many items (default 256)
	// sends them all as one ID list in its first message.
	SmallSet int

	// Tail: without a usable Since, the initiator's newest Tail items
	// (default 32) are sent as an ID list in the first message; the
	// fingerprint buckets before them start at Tail items and double.
	Tail int

	// MaxTail caps the ID list that Since selects (default 8192 items). A
	// larger tail means a stale hint, and Tail is used instead.
	MaxTail int

	// Salt, if set, is used instead of a random session salt (tests).
	Salt *[SaltSize]byte

	// Rand is the source of the session salt (default crypto/rand).
	Rand io.Reader

	// Push (responder only), if set, lets the responder deliver items the
	// initiator lacks itself instead of naming them by ID (SPEC.md §8.4,
	// mode DiffPush). It is called once per item the reply is about to
	// report, in order, and returns whether the caller will deliver that
	// item's event to the initiator before the reply; Responder.TakePushed
	// then lists the items the reply counts as pushed. It may refuse (an
	// event no longer stored, a budget spent): the item is then named by
	// ID. nil: never push (plain Diffs only).
	Push func(ID) bool
}

func (o Options) normalized() Options {
	if o.ShortIDLen <= 0 {
		o.ShortIDLen = DefaultShortIDLen
	}
	o.ShortIDLen = min(o.ShortIDLen, MaxShortIDLen)
	if o.FrameLimit <= 0 || o.FrameLimit > MaxMessageSize {
		o.FrameLimit = MaxMessageSize
	}
	o.FrameLimit = max(o.FrameLimit, MinFrameLimit)
	if o.Branch <= 0 {
		o.Branch = DefaultBranch
	}
	o.Branch = min(max(o.Branch, 2), 256)
	if o.Tail <= 0 {
		o.Tail = DefaultTail
	}
	if o.SmallSet <= 0 {
		o.SmallSet = DefaultSmallSet
	}
	o.SmallSet = max(o.SmallSet, o.Tail)
	if o.MaxTail <= 0 {
		o.MaxTail = DefaultMaxTail
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	return o
}
