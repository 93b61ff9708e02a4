package sim

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coopnode/coopnode/node"
)

func TestPollHoldsTimesOutAndSaysWhy(t *testing.T) {
	ctx := context.Background()
	var calls atomic.Int32
	if err := Poll(ctx, time.Second, time.Millisecond, "three calls", func() bool { return calls.Add(1) >= 3 }); err != nil {
		t.Fatalf("poll: %v", err)
	}
	err := Poll(ctx, 20*time.Millisecond, time.Millisecond, "never", func() bool { return false })
	if !errors.Is(err, ErrTimedOut) || !strings.Contains(err.Error(), "waiting for never") {
		t.Fatalf("timeout: %v", err)
	}
	cause := errors.New("the run failed")
	cctx, cancel := context.WithCancelCause(ctx)
	cancel(cause)
	if err := Poll(cctx, time.Second, time.Millisecond, "x", func() bool { return false }); !errors.Is(err, cause) {
		t.Fatalf("cancelled: %v, want the run's cause", err)
	}
	if err := Pause(cctx, time.Hour); !errors.Is(err, cause) {
		t.Fatalf("pause cancelled: %v", err)
	}
	if err := Pause(ctx, time.Millisecond); err != nil {
		t.Fatal(err)
	}
}

func TestParallelJoinsErrors(t *testing.T) {
	var ran atomic.Int32
	bad := errors.New("bad 3")
	err := Parallel(5, func(i int) error {
		ran.Add(1)
		if i == 3 {
			return bad
		}
		return nil
	})
	if ran.Load() != 5 || !errors.Is(err, bad) {
		t.Fatalf("ran %d, err %v", ran.Load(), err)
	}
	if err := Parallel(0, nil); err != nil {
		t.Fatal(err)
	}
}

func TestPercentileMs(t *testing.T) {
	var s []time.Duration
	for i := 1; i <= 100; i++ {
		s = append(s, time.Duration(i)*time.Millisecond)
	}
	for _, c := range []struct {
		in   []time.Duration
		p    float64
		want float64
	}{{s, 50, 50}, {s, 99, 99}, {s, 100, 100}, {s, 0, 1}, {nil, 50, 0}, {s[:1], 99, 1},
		{[]time.Duration{1234567 * time.Nanosecond}, 50, 1.23}} {
		if got := PercentileMs(c.in, c.p); got != c.want {
			t.Errorf("PercentileMs(%d samples, %v) = %v, want %v", len(c.in), c.p, got, c.want)
		}
	}
}

// TestNeeds: order events are needed by the roles that follow the orders
// topic and by the order's parties, not by every node (SPEC.md §10.4).
func TestNeeds(t *testing.T) {
	for _, c := range []struct {
		role  node.Role
		scope string
		party bool
		want  bool
	}{
		{node.RoleCustomer, "coop", false, true},
		{node.RoleRestaurant, "catalog", false, true},
		{node.RoleCustomer, "order", false, false},
		{node.RoleRestaurant, "order", false, false},
		{node.RoleCustomer, "order", true, true},
		{node.RoleRestaurant, "order", true, true},
		{node.RoleCourier, "order", false, true},
		{node.RoleRelay, "order", false, true},
		{node.RoleAdmin, "order", false, true},
	} {
		if got := Needs(c.role, c.scope, c.party); got != c.want {
			t.Errorf("Needs(%s, %s, party %v) = %v, want %v", c.role, c.scope, c.party, got, c.want)
		}
	}
}
