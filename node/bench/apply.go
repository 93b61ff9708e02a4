package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"runtime/metrics"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/protocol"
)

// applyChunk is how many events applyRate decodes and verifies at once: a
// sync Events frame's worth (the node's replay uses the same size).
const applyChunk = 256

// applyRate measures the node's receive path — decode, signature check,
// validation and fold — on the wire events of the run, into a fresh
// replica, on one goroutine, repeating until at least minDur has passed.
// As a node receiving a sync frame does, it takes the events in chunks of
// applyChunk, decodes a chunk and checks its signatures in one batch
// (protocol.DecodeBatch), then checks each event against the replica and
// folds it (protocol.ValidateDecoded, Apply). It returns events per second
// (on one core) and how many events one pass took.
func applyRate(raws [][]byte, minDur time.Duration, now func() time.Time) (float64, int, error) {
	type ev struct {
		raw  []byte
		rank int
		seq  int
	}
	var evs []ev
	var wall int64
	for i, raw := range raws {
		e, err := protocol.Decode(raw)
		if err != nil {
			return 0, 0, fmt.Errorf("bench: apply: event %d: %w", i, err)
		}
		rank := 2
		switch e.Kind.Class() {
		case crdt.ScopeCoop:
			rank = 0
		case crdt.ScopeCatalog:
			rank = 1
		}
		evs = append(evs, ev{raw, rank, i})
		wall = max(wall, e.Wall)
	}
	if len(evs) == 0 {
		return 0, 0, nil
	}
	// what grants authority first, then in the order the network saw them
	slices.SortStableFunc(evs, func(a, b ev) int { return a.rank - b.rank })
	sorted := make([][]byte, len(evs))
	for i, e := range evs {
		sorted[i] = e.raw
	}
	at := wall + 60_000
	start := now()
	n := 0
	for n == 0 || now().Sub(start) < minDur {
		applyPass(sorted, at)
		n += len(sorted)
	}
	el := now().Sub(start).Seconds()
	if el <= 0 {
		return 0, len(evs), nil
	}
	return float64(n) / el, len(evs), nil
}

// applyPass is one pass of applyRate: it decodes, verifies, validates (at
// now, in sync mode) and folds raws into a fresh replica, applyChunk events
// at a time, and returns the replica and how many events it accepted.
func applyPass(raws [][]byte, now int64) (*crdt.Replica, int) {
	r := crdt.NewReplica(crdt.Limits{})
	accepted := 0
	for chunk := range slices.Chunk(raws, applyChunk) {
		events, errs := protocol.DecodeBatch(chunk)
		for i, e := range events {
			res := protocol.ValidateDecoded(e, errs[i], now, protocol.ModeSync, r)
			if res.Verdict == protocol.Accept {
				r.Apply(res.Event)
				accepted++
			}
		}
	}
	return r, accepted
}

// rssBytes reads the process's resident set from /proc/self/status
// (Linux); 0 elsewhere.
func rssBytes() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := bytes.Fields(sc.Bytes())
		if len(f) >= 2 && string(f[0]) == "VmRSS:" {
			kb, err := strconv.ParseInt(string(f[1]), 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}

// rssSampler tracks the peak resident set while it runs.
type rssSampler struct {
	stop chan struct{}
	done chan struct{}
	mu   sync.Mutex
	peak int64
}

func startRSS(every time.Duration) *rssSampler {
	s := &rssSampler{stop: make(chan struct{}), done: make(chan struct{}), peak: rssBytes()}
	go func() {
		defer close(s.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-t.C:
				v := rssBytes()
				s.mu.Lock()
				s.peak = max(s.peak, v)
				s.mu.Unlock()
			}
		}
	}()
	return s
}

// end stops the sampler and returns the peak.
func (s *rssSampler) end() int64 {
	close(s.stop)
	<-s.done
	v := rssBytes()
	s.mu.Lock()
	defer s.mu.Unlock()
	return max(s.peak, v)
}

// cpuBusy returns the Go runtime's estimate of CPU seconds spent busy so
// far (all classes but idle) and the total available (GOMAXPROCS × wall).
func cpuBusy() (busy, total float64) {
	s := []metrics.Sample{{Name: "/cpu/classes/total:cpu-seconds"}, {Name: "/cpu/classes/idle:cpu-seconds"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindFloat64 || s[1].Value.Kind() != metrics.KindFloat64 {
		return 0, 0
	}
	return s[0].Value.Float64() - s[1].Value.Float64(), s[0].Value.Float64()
}

// hostCPU reads the machine's busy and total CPU time (jiffies, all
// CPUs) from /proc/stat, and this process's from /proc/self/stat (Linux).
func hostCPU() (busy, total, self uint64, ok bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, 0, false
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	f := bytes.Fields(line)
	if len(f) < 5 || string(f[0]) != "cpu" {
		return 0, 0, 0, false
	}
	for i, v := range f[1:] {
		n, err := strconv.ParseUint(string(v), 10, 64)
		if err != nil {
			return 0, 0, 0, false
		}
		total += n
		if i != 3 && i != 4 { // idle, iowait
			busy += n
		}
	}
	st, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0, 0, 0, false
	}
	// the fields after the command name, which is in parentheses
	i := bytes.LastIndexByte(st, ')')
	if i < 0 {
		return 0, 0, 0, false
	}
	sf := bytes.Fields(st[i+1:])
	if len(sf) < 13 {
		return 0, 0, 0, false
	}
	ut, err1 := strconv.ParseUint(string(sf[11]), 10, 64)
	stime, err2 := strconv.ParseUint(string(sf[12]), 10, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, 0, false
	}
	return busy, total, ut + stime, true
}

// cpuMeter measures, over an interval, the share of the machine's CPUs
// this process kept busy and the share other processes did.
type cpuMeter struct {
	busy, total     float64 // Go runtime estimate (fallback)
	hBusy, hTot, me uint64
	host            bool
}

func startCPU() cpuMeter {
	b, t := cpuBusy()
	m := cpuMeter{busy: b, total: t}
	m.hBusy, m.hTot, m.me, m.host = hostCPU()
	return m
}

// shares returns this process's and the other processes' share of the
// CPUs since start, in [0, 1]; other is -1 when unknown.
func (m cpuMeter) shares() (self, other float64) {
	if hb, ht, me, ok := hostCPU(); ok && m.host && ht > m.hTot {
		d := float64(ht - m.hTot)
		self = float64(me-m.me) / d
		other = (float64(hb-m.hBusy) - float64(me-m.me)) / d
		return min(1, max(0, self)), min(1, max(0, other))
	}
	b, t := cpuBusy()
	if t-m.total <= 0 {
		return 0, -1
	}
	return min(1, max(0, (b-m.busy)/(t-m.total))), -1
}
