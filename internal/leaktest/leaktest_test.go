package leaktest

import (
	"fmt"
	"testing"
	"time"
)

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	failed string
}

func (r *recorder) Helper()                        {}
func (r *recorder) Logf(string, ...any)            {}
func (r *recorder) Errorf(format string, a ...any) { r.failed = fmt.Sprintf(format, a...) }

func TestCheckReportsALeak(t *testing.T) {
	old := Deadline
	Deadline = 200 * time.Millisecond
	defer func() { Deadline = old }()
	rec := &recorder{TB: t}
	check := Check(rec)
	stop := make(chan struct{})
	go func() { <-stop }() // a goroutine nobody stops in time
	check()
	close(stop)
	if rec.failed == "" {
		t.Fatal("a leaked goroutine was not reported")
	}
	rec2 := &recorder{TB: t}
	Check(rec2)() // nothing started: no failure
	if rec2.failed != "" {
		t.Fatalf("reported a leak where there was none: %s", rec2.failed)
	}
}
