package recon

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// fuzzSets are fixed sets for the fuzz target: the initiator lacks recent
// and scattered items of the responder and has a few of its own.
func fuzzSets(tb testing.TB) (a, b *SortedSet) {
	rng := rand.New(rand.NewSource(99))
	u := history(rng, 700, 1_000, 50)
	var ai, bi []Item
	for i, it := range u {
		switch {
		case i >= 650 && i%2 == 0, i%97 == 0:
			bi = append(bi, it)
		case i%101 == 0:
			ai = append(ai, it)
		default:
			ai, bi = append(ai, it), append(bi, it)
		}
	}
	return mustSet(tb, ai), mustSet(tb, bi)
}

// transcript returns every message of a session between a and b.
func transcript(tb testing.TB, a, b *SortedSet, oa Options) [][]byte {
	return transcriptWith(tb, a, b, oa, Options{})
}

// transcriptWith is transcript with responder options; items a pushing
// responder reports are handed to the initiator as a session delivers them.
func transcriptWith(tb testing.TB, a, b *SortedSet, oa, ob Options) [][]byte {
	in := NewInitiator(a, oa)
	rs := NewResponder(b, ob)
	msg, err := in.Initiate()
	if err != nil {
		tb.Fatal(err)
	}
	var out [][]byte
	for {
		out = append(out, msg)
		reply, done, err := rs.Respond(msg)
		if err != nil {
			tb.Fatal(err)
		}
		if done {
			return out
		}
		out = append(out, reply)
		for _, id := range rs.TakePushed() {
			if err := in.AddPushed(b.At(indexOf(b, id))); err != nil {
				tb.Fatal(err)
			}
		}
		if msg, _, err = in.Next(reply); err != nil {
			tb.Fatal(err)
		}
	}
}

func indexOf(s *SortedSet, id ID) int {
	for i, it := range s.Items() {
		if it.ID == id {
			return i
		}
	}
	return -1
}

func pushAll(ID) bool { return true }

func isSentinel(err error) bool {
	for _, s := range []error{ErrMalformed, ErrTooLarge, ErrVersion, ErrProtocol, ErrState} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// checkOutput: an error wraps a sentinel; an output message decodes.
func checkOutput(t *testing.T, who string, out []byte, err error) {
	if err != nil {
		if !isSentinel(err) {
			t.Fatalf("%s: error without sentinel: %v", who, err)
		}
		return
	}
	if out != nil {
		if _, err := DecodeMessage(out); err != nil {
			t.Fatalf("%s: produced undecodable message: %v", who, err)
		}
	}
}

// FuzzDecodeMessage: decoding never panics, fails only with the documented
// sentinels, and accepts only canonical encodings (re-encoding gives the
// input back). Every input is also fed to a fresh responder, to a responder
// in its second round, and to initiators waiting for their first and
// second replies: none may panic, errors wrap sentinels, and every message
// they produce decodes.
func FuzzDecodeMessage(f *testing.F) {
	a, b := fuzzSets(f)
	oa := Options{Salt: &testSalt, Since: a.At(a.Len() - 40).Time}
	tr := transcript(f, a, b, oa)
	for _, m := range tr {
		f.Add(m)
	}
	trp := transcriptWith(f, a, b, oa, Options{Push: pushAll})
	for _, m := range trp {
		f.Add(m)
	}
	if sm, err := sampleMessage().Encode(); err == nil {
		f.Add(sm)
	}
	// Sessions advanced to their second round, cloned for every input.
	rs2 := NewResponder(b, Options{FrameLimit: MinFrameLimit})
	if _, _, err := rs2.Respond(tr[0]); err != nil {
		f.Fatal(err)
	}
	in1 := NewInitiator(a, oa)
	if _, err := in1.Initiate(); err != nil {
		f.Fatal(err)
	}
	in2 := in1.clone()
	if _, _, err := in2.Next(tr[1]); err != nil {
		f.Fatal(err)
	}
	// An initiator that received pushed events (every item it lacks), and
	// a pushing responder in its second round.
	in1p := in1.clone()
	for _, it := range b.Items() {
		if !a.Has(it) {
			if err := in1p.AddPushed(it); err != nil {
				f.Fatal(err)
			}
		}
	}
	rs2p := NewResponder(b, Options{FrameLimit: MinFrameLimit, Push: pushAll})
	if _, _, err := rs2p.Respond(trp[0]); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := DecodeMessage(data)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrVersion) {
				t.Fatalf("decode: unexpected error %v", err)
			}
		} else {
			enc, err := m.Encode()
			if err != nil || !bytes.Equal(enc, data) {
				t.Fatalf("decode/encode not canonical: %x -> %x (%v)", data, enc, err)
			}
		}

		rs := NewResponder(b, Options{})
		out, _, err := rs.Respond(data)
		checkOutput(t, "fresh responder", out, err)

		out, _, err = rs2.clone().Respond(data)
		checkOutput(t, "responder round 2", out, err)

		out, _, err = in1.clone().Next(data)
		checkOutput(t, "initiator round 1", out, err)

		out, _, err = in2.clone().Next(data)
		checkOutput(t, "initiator round 2", out, err)

		out, _, err = in1p.clone().Next(data)
		checkOutput(t, "initiator with pushed items", out, err)

		out, _, err = rs2p.clone().Respond(data)
		checkOutput(t, "pushing responder round 2", out, err)
	})
}

func (e engine) clone() engine {
	e.have, e.need = slices.Clone(e.have), slices.Clone(e.need)
	e.haveSet, e.needSet = maps.Clone(e.haveSet), maps.Clone(e.needSet)
	e.pushed, e.pushOut = maps.Clone(e.pushed), slices.Clone(e.pushOut)
	return e
}

func (in *Initiator) clone() *Initiator {
	c := *in
	c.engine = in.engine.clone()
	c.lists = slices.Clone(in.lists)
	c.got = slices.Clone(in.got)
	return &c
}

func (rs *Responder) clone() *Responder {
	c := *rs
	c.engine = rs.engine.clone()
	return &c
}

// TestWriteFuzzSeeds regenerates testdata/fuzz/FuzzDecodeMessage when
// RECON_WRITE_SEEDS=1.
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("RECON_WRITE_SEEDS") != "1" {
		t.Skip("set RECON_WRITE_SEEDS=1 to regenerate the seed corpus")
	}
	a, b := fuzzSets(t)
	tr := transcript(t, a, b, Options{Salt: &testSalt, Since: a.At(a.Len() - 40).Time})
	sm, err := sampleMessage().Encode()
	if err != nil {
		t.Fatal(err)
	}
	ex1, ex2 := exampleSets(t)
	ex := transcript(t, ex1, ex2, exampleOptions)
	seeds := map[string][]byte{"sample-all-modes": sm, "example-init": ex[0], "example-reply": ex[1]}
	for i, m := range tr {
		seeds[fmt.Sprintf("session-%d", i)] = m
	}
	for i, m := range transcriptWith(t, a, b, Options{Salt: &testSalt, Since: a.At(a.Len() - 40).Time}, Options{Push: pushAll}) {
		seeds[fmt.Sprintf("session-push-%d", i)] = m
	}
	exp := transcriptWith(t, ex1, ex2, exampleOptions, Options{Push: pushAll})
	seeds["example-push-reply"] = exp[1]
	dir := filepath.Join("testdata", "fuzz", "FuzzDecodeMessage")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, m := range seeds {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", m)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
