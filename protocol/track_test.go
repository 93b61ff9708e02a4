package protocol

import (
	"errors"
	"testing"

	"github.com/coopnode/coopnode/crdt"
)

func TestTrackRoundTrip(t *testing.T) {
	k := testKey("courier")
	raw, err := SealTrack(k, Track{Order: testID("o"), Seq: 3, Wall: testWall, Boxes: [][]byte{{1, 2}, {3}}})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := OpenTrack(raw)
	if err != nil || tr.Courier != PubKeyOf(k) || tr.Seq != 3 || len(tr.Boxes) != 2 {
		t.Fatalf("%+v %v", tr, err)
	}
	bad := append([]byte(nil), raw...)
	bad[len(bad)-1] ^= 1
	if _, err := OpenTrack(bad); !errors.Is(err, ErrBadTrack) {
		t.Fatalf("forged: %v", err)
	}
	if _, err := SealTrack(k, Track{Order: testID("o")}); !errors.Is(err, ErrBadTrack) {
		t.Fatalf("no boxes: %v", err)
	}
	if _, err := OpenTrack(make([]byte, MaxTrackSize+1)); !errors.Is(err, ErrBadTrack) {
		t.Fatalf("oversized: %v", err)
	}
	_ = crdt.ID{}
}

// FuzzOpenTrack: no input panics; what opens was signed.
func FuzzOpenTrack(f *testing.F) {
	raw, _ := SealTrack(testKey("courier"), Track{Order: testID("o"), Seq: 1, Wall: testWall, Boxes: [][]byte{{1}}})
	f.Add(raw)
	f.Add([]byte{0x82, 0x40, 0x40})
	f.Fuzz(func(t *testing.T, b []byte) {
		if tr, err := OpenTrack(b); err == nil && tr.Courier != PubKeyOf(testKey("courier")) {
			t.Fatalf("opened a track signed by nobody we know")
		}
	})
}
