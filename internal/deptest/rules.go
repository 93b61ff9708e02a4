package deptest

// The rule tables of the guide's layout, shared by the tests of crdt,
// market and protocol.

// noIO bans, transitively, what belongs to node, mobile and cmd/coopnode:
// the network, processes, logging, storage and the layers above.
var noIO = map[string]string{
	"net":                           "network I/O belongs to node",
	"net/":                          "network I/O belongs to node",
	"os/exec":                       "processes belong to cmd/coopnode",
	"os/signal":                     "signals belong to cmd/coopnode",
	"log":                           "logging is node's, through an injected *slog.Logger",
	"log/":                          "logging is node's, through an injected *slog.Logger",
	"database/sql":                  "storage belongs to node",
	"github.com/libp2p/":            "libp2p hosts, streams and pubsub belong to node",
	"github.com/multiformats/":      "peer addresses belong to node",
	"github.com/ipfs/":              "the datastore belongs to node",
	"github.com/cockroachdb/":       "the event store belongs to node",
	Module + "/node":                "the pure core must not depend on the I/O layer above it",
	Module + "/node/":               "the pure core must not depend on the I/O layer above it",
	Module + "/mobile":              "the pure core must not depend on the app façade",
	Module + "/cmd/":                "the pure core must not depend on the command",
	Module + "/internal/leaktest":   "a test helper: it reads goroutine stacks and sleeps",
	Module + "/internal/deptest":    "a test helper: it runs the go tool",
	Module + "/internal/stripemock": "a test helper: it runs stripe-mock",
	"github.com/stripe/":            "payment providers belong to node",
	"golang.org/x/mobile/":          "gomobile belongs to mobile",
	"google.golang.org/protobuf/":   "libp2p's wire format belongs to node",
	"github.com/prometheus/":        "metrics belong to node",
	"github.com/quic-go/":           "transports belong to node",
	"github.com/hashicorp/":         "caches with their own goroutines belong to node",
	"go.uber.org/":                  "dependency injection and logging belong to node",
	"github.com/benbjohnson/clock":  "clocks are injected by node",
	"github.com/filecoin-project/":  "clocks are injected by node",
}

// pureDirect are the standard packages a pure package's own files must not
// import: files, buffers, concurrency, the runtime and unsafe memory.
var pureDirect = map[string]string{
	"os":          "no files or environment: the node passes data in",
	"os/":         "no files or environment: the node passes data in",
	"io/fs":       "no file systems: the node passes data in",
	"bufio":       "no buffered I/O: the node does I/O",
	"sync":        "no locks: one goroutine, the node's loop, owns the state",
	"sync/atomic": "no atomics: one goroutine, the node's loop, owns the state",
	"syscall":     "no system calls",
	"runtime":     "no scheduler or runtime tricks",
	"unsafe":      "decoding hostile input must stay memory-safe",
	"embed":       "no embedded files: data comes from the caller",
}

// random bans randomness: a fold, a price or a validation verdict is a
// function of its inputs, so every node computes the same one.
var random = map[string]string{
	"math/rand":    "deterministic: randomness is injected (node's rng)",
	"math/rand/v2": "deterministic: randomness is injected (node's rng)",
	"crypto/rand":  "deterministic: randomness is injected as an io.Reader",
}

func merge(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// Crdt is the rule of crdt: the standard library only; no goroutines,
// clocks, I/O, randomness or logging (GUIDE.md, SPEC.md §2.1).
var Crdt = Rules{
	Banned: merge(noIO, random, map[string]string{
		Module + "/protocol":  "protocol builds on crdt: the fold must not know the wire",
		Module + "/protocol/": "protocol builds on crdt: the fold must not know the wire",
		Module + "/market":    "market builds on crdt, not the reverse",
	}),
	BannedDirect: merge(pureDirect, map[string]string{
		"io":   "no I/O: the fold works on values",
		"time": "no clocks: walls are fields of events",
	}),
	NoGoroutines: true,
	NoClock:      true,
}

// Market is the rule of market: the standard library and crdt; no
// goroutines, clocks, I/O beyond an io.Writer it is handed, randomness or
// logging. time is allowed for time zones and calendar arithmetic.
var Market = Rules{
	Banned: merge(noIO, random, map[string]string{
		Module + "/protocol":  "market is pure: it prices and checks values; the wire is protocol's",
		Module + "/protocol/": "market is pure: it prices and checks values; the wire is protocol's",
	}),
	BannedDirect: pureDirect,
	Allowed: map[string]string{
		Module + "/crdt": "market works on crdt's payloads and state",
	},
	NoGoroutines: true,
	NoClock:      true,
}

// Protocol is the rule of protocol and its packages: wire messages,
// encoding, signatures, framing and pure validation. Crypto and encoding
// are its business; I/O only through io.Reader and io.Writer values it is
// handed; no libp2p host or network; no logging; no clock (the time is an
// argument).
var Protocol = Rules{
	Banned: noIO,
	BannedDirect: merge(random, map[string]string{
		"os":      "no files or environment: the node passes bytes in",
		"os/":     "no files or environment: the node passes bytes in",
		"io/fs":   "no file systems: the node passes bytes in",
		"syscall": "no system calls",
		"unsafe":  "decoding hostile input must stay memory-safe",
	}),
	Allowed: map[string]string{
		Module + "/crdt":                         "events carry crdt's payloads; Validate asks crdt's Precheck",
		Module + "/market":                       "the gate checks documents with market's rules (SPEC.md §16)",
		"github.com/fxamacker/cbor/v2":           "the deterministic CBOR codec (SPEC.md §3.1)",
		"github.com/x448/float16":                "a dependency of the CBOR codec",
		"github.com/hdevalence/ed25519consensus": "ZIP-215 signature verification (SPEC.md §3.3)",
		"filippo.io/edwards25519":                "the curve arithmetic under ed25519consensus",
		"filippo.io/edwards25519/":               "the curve arithmetic under ed25519consensus",
	},
	Except: map[string]map[string]string{
		Module + "/protocol/recon": {"crypto/rand": "the default of Options.Rand when the caller injects none"},
	},
	NoGoroutines: true,
	NoClock:      true,
}
