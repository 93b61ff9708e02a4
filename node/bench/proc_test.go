package bench

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

func TestParseProc(t *testing.T) {
	stat := []byte("4242 (coop node) S 1 4242 4242 0 -1 4194560 2016 0 0 0 250 37 0 0 20 0 9 0 123 1 2 3\n")
	status := []byte("Name:\tcoopnode\nVmHWM:\t   51200 kB\nVmRSS:\t   40960 kB\nRssAnon:\t   30720 kB\nThreads:\t9\n")
	u, err := parseProc(stat, status)
	if err != nil {
		t.Fatal(err)
	}
	if u.cpu != 2870*time.Millisecond || u.rss != 40<<20 || u.peak != 50<<20 || u.anon != 30<<20 {
		t.Fatalf("got %+v, want 2.87 s CPU, 40 MiB RSS, 50 MiB peak", u)
	}
	for _, bad := range [][2]string{{"4242 coopnode S 1", string(status)}, {string(stat), "VmRSS: 12 MB\n"}, {string(stat), "Name: x\n"}, {"1 (x) S 1 2", string(status)}} {
		if _, err := parseProc([]byte(bad[0]), []byte(bad[1])); err == nil {
			t.Errorf("parseProc(%q, %q) took it", bad[0], bad[1])
		}
	}
	// this very process, as the kernel accounts it
	st, err1 := os.ReadFile("/proc/self/stat")
	ss, err2 := os.ReadFile("/proc/self/status")
	if err1 != nil || err2 != nil {
		t.Fatalf("no /proc: %v %v", err1, err2)
	}
	if u, err := parseProc(st, ss); err != nil || u.rss <= 0 || u.peak < u.rss {
		t.Fatalf("own process: %+v, %v", u, err)
	}
}

// TestDaySmoke runs a tiny compressed day with the relay and a courier as
// coopnode processes built from this tree, and checks that the kernel's
// figures for them come back and are scaled.
func TestDaySmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("a whole simulated coop and two processes: skipped with -short")
	}
	defer leakCheck(t)()
	exe := filepath.Join(t.TempDir(), "coopnode")
	if out, err := exec.Command("go", "build", "-o", exe, "github.com/coopnode/coopnode/cmd/coopnode").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	res, err := Run(ctx, Config{Nodes: 12, Duration: 6 * time.Second, OrdersPerMin: 60, Idle: 2 * time.Second, ProcExe: exe, Seed: 5, Log: testLog{t}})
	if err != nil {
		t.Fatal(err)
	}
	d := res.Day
	if d == nil || res.Transport != "loopback TCP" {
		t.Fatalf("no day figures (transport %s)", res.Transport)
	}
	t.Logf("%+v", *d)
	for _, p := range []ProcFigure{d.Relay, d.Courier} {
		if p.CPUShare <= 0 || p.PeakRSSMB < p.RSSMB || p.RSSMB <= 1 || p.DayCPUShare < p.IdleCPUShare {
			t.Errorf("%s process: %+v", p.Role, p)
		}
	}
	if d.Orders != res.OrdersPlaced || d.Orders == 0 || res.RelayRSSMB != d.Relay.PeakRSSMB || res.DeliveryRatio != 1 {
		t.Errorf("%d orders in the day, %d placed; relay RSS %v; delivery %v", d.Orders, res.OrdersPlaced, res.RelayRSSMB, res.DeliveryRatio)
	}
}
