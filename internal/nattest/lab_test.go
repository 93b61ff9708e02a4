package nattest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// requireTools skips (or, under CI=true, fails) when the test cannot
// build namespaces: not Linux, not root, or ip or iptables missing.
func requireTools(t *testing.T) {
	t.Helper()
	var missing []string
	if runtime.GOOS != "linux" {
		missing = append(missing, "Linux")
	}
	if os.Geteuid() != 0 {
		missing = append(missing, "root")
	}
	for _, tool := range []string{"ip", "iptables"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool+" (apt-get install iproute2 iptables)")
		}
	}
	if len(missing) == 0 {
		return
	}
	msg := "the NAT namespace test needs " + strings.Join(missing, ", ")
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// lab is a set of network namespaces and the processes started in them;
// cleanup removes exactly those, by name and PID.
type lab struct {
	t      *testing.T
	prefix string
	bin    string // the coopnode binary
	dir    string
	mu     sync.Mutex
	ns     []string
	procs  map[string]*proc
}

// proc is a coopnode run process inside a namespace.
type proc struct {
	name, ns, data string
	cmd            *exec.Cmd
	log            *syncBuf
	done           chan struct{}
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newLab(t *testing.T, bin, variant string) *lab {
	// short, unique names: interface and namespace names stay small
	l := &lab{t: t, prefix: fmt.Sprintf("cn%d%s", os.Getpid()%100000, variant[:1]), bin: bin, dir: t.TempDir(), procs: map[string]*proc{}}
	t.Cleanup(l.cleanup)
	return l
}

// sh runs a command in the root namespace and fails the test on error.
func (l *lab) sh(args ...string) {
	l.t.Helper()
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		l.t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func (l *lab) name(n string) string { return l.prefix + "-" + n }

func (l *lab) addNS(names ...string) {
	l.t.Helper()
	for _, n := range names {
		full := l.name(n)
		l.sh("ip", "netns", "add", full)
		l.mu.Lock()
		l.ns = append(l.ns, full)
		l.mu.Unlock()
		l.sh("ip", "-n", full, "link", "set", "lo", "up")
	}
}

// link joins namespaces a and b with a veth pair (interface ia in a with
// address ipa, ib in b with ipb; an empty address leaves it unaddressed).
func (l *lab) link(a, ia, ipa, b, ib, ipb string) {
	l.t.Helper()
	l.sh("ip", "link", "add", ia, "netns", l.name(a), "type", "veth", "peer", "name", ib, "netns", l.name(b))
	for _, s := range [][3]string{{a, ia, ipa}, {b, ib, ipb}} {
		if s[2] != "" {
			l.sh("ip", "-n", l.name(s[0]), "addr", "add", s[2], "dev", s[1])
		}
		l.sh("ip", "-n", l.name(s[0]), "link", "set", s[1], "up")
	}
}

func (l *lab) in(ns string, args ...string) {
	l.t.Helper()
	l.sh(append([]string{"ip", "netns", "exec", l.name(ns)}, args...)...)
}

// natRouter makes ns a home router: forwarding on, default route to the
// public side, MASQUERADE out of wan (with --random-fully when symmetric:
// a new random port for every mapping), and no new connections in from
// the public side (no port forwards).
func (l *lab) natRouter(ns, wan, gw string, symmetric bool) {
	l.t.Helper()
	l.in(ns, "sysctl", "-qw", "net.ipv4.ip_forward=1")
	l.sh("ip", "-n", l.name(ns), "route", "add", "default", "via", gw)
	masq := []string{"iptables", "-t", "nat", "-A", "POSTROUTING", "-o", wan, "-j", "MASQUERADE"}
	if symmetric {
		masq = append(masq, "--random-fully")
	}
	l.in(ns, masq...)
	// A home router's firewall: nothing unsolicited in from the internet,
	// to the LAN or to the router itself. Dropping (not refusing) at INPUT
	// also matters for hole punching: a refused packet leaves a conntrack
	// entry on the very tuple the LAN host's own outgoing packet then
	// needs, and NAT moves that host to another port.
	for _, chain := range []string{"FORWARD", "INPUT"} {
		l.in(ns, "iptables", "-A", chain, "-i", wan, "-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "ACCEPT")
		l.in(ns, "iptables", "-A", chain, "-i", wan, "-j", "DROP")
	}
}

// cli runs a coopnode client command in ns against data folder data and
// returns its trimmed output.
func (l *lab) cli(ctx context.Context, p *proc, args ...string) string {
	l.t.Helper()
	out, err := l.cliErr(ctx, p, args...)
	if err != nil {
		l.t.Fatalf("%s: coopnode %s: %v\n%s\n--- %s's log:\n%s", p.name, strings.Join(args, " "), err, out, p.name, p.log)
	}
	return out
}

func (l *lab) cliErr(ctx context.Context, p *proc, args ...string) (string, error) {
	full := append([]string{"netns", "exec", l.name(p.ns), l.bin, args[0], "-data", p.data}, args[1:]...)
	cmd := exec.CommandContext(ctx, "ip", full...)
	cmd.Dir = "../.." // examples/ paths
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// start inits a data folder in ns and starts `coopnode run` there.
func (l *lab) start(ctx context.Context, name, ns, role string, port int, args ...string) *proc {
	l.t.Helper()
	data := filepath.Join(l.dir, name)
	listen := fmt.Sprintf("/ip4/0.0.0.0/tcp/%d,/ip4/0.0.0.0/udp/%d/quic-v1", port, port)
	l.in(ns, l.bin, "init", "-data", data, "-role", role, "-listen", listen, "-mdns=false")
	p := &proc{name: name, ns: ns, data: data, log: &syncBuf{}, done: make(chan struct{})}
	p.cmd = exec.Command("ip", append([]string{"netns", "exec", l.name(ns), l.bin, "run", "-data", data}, args...)...)
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		l.t.Fatalf("start %s: %v", name, err)
	}
	l.mu.Lock()
	l.procs[name] = p
	l.mu.Unlock()
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	l.cli(ctx, p, "wait")
	return p
}

// stop ends a process the lab started, by its PID (ip netns exec execs
// coopnode in place, so the PID is coopnode's).
func (l *lab) stop(p *proc, sig syscall.Signal) {
	if p.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(p.cmd.Process.Pid, sig)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

func (l *lab) cleanup() {
	l.mu.Lock()
	procs, ns := l.procs, l.ns
	l.mu.Unlock()
	for _, p := range procs {
		l.stop(p, syscall.SIGTERM)
		if l.t.Failed() {
			l.t.Logf("--- %s's log:\n%s", p.name, p.log)
		}
	}
	for i := len(ns) - 1; i >= 0; i-- {
		if out, err := exec.Command("ip", "netns", "del", ns[i]).CombinedOutput(); err != nil {
			l.t.Errorf("ip netns del %s: %v %s", ns[i], err, out)
		}
	}
}

// eventWatch streams a node's changes (coopnode events -json) and stamps
// when each order first arrives, for order-to-restaurant latency.
type eventWatch struct {
	mu      sync.Mutex
	arrived map[string]time.Time // order ID -> when the stream showed it
	placed  map[string]int64     // order ID -> placed_at (ms, the customer's clock: same kernel)
	any     int                  // changes seen, of any scope
	changed chan struct{}
}

func (l *lab) watchEvents(ctx context.Context, p *proc) *eventWatch {
	l.t.Helper()
	w := &eventWatch{arrived: map[string]time.Time{}, placed: map[string]int64{}, changed: make(chan struct{}, 1)}
	cmd := exec.CommandContext(ctx, "ip", "netns", "exec", l.name(p.ns), l.bin, "events", "-json", "-data", p.data)
	out, err := cmd.StdoutPipe()
	if err != nil {
		l.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		l.t.Fatal(err)
	}
	l.t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	go func() {
		// -json prints each change as indented JSON: decode value by value
		dec := json.NewDecoder(out)
		for {
			var ch struct {
				Scope string
				ID    string
				Order *struct {
					PlacedAt int64 `json:"placed_at"`
				}
			}
			if err := dec.Decode(&ch); err != nil {
				return
			}
			now := time.Now()
			w.mu.Lock()
			w.any++
			w.mu.Unlock()
			select {
			case w.changed <- struct{}{}:
			default:
			}
			if ch.Scope != "order" || ch.Order == nil {
				continue
			}
			w.mu.Lock()
			if _, ok := w.arrived[ch.ID]; !ok {
				w.arrived[ch.ID], w.placed[ch.ID] = now, ch.Order.PlacedAt
			}
			w.mu.Unlock()
			select {
			case w.changed <- struct{}{}:
			default:
			}
		}
	}()
	return w
}

// liveWithin reports whether the stream shows a change within d: then the
// subscription is up, and no order placed afterwards can slip by.
func (w *eventWatch) liveWithin(d time.Duration) bool {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for {
		w.mu.Lock()
		n := w.any
		w.mu.Unlock()
		if n > 0 {
			return true
		}
		select {
		case <-deadline.C:
			return false
		case <-w.changed:
		}
	}
}

// latency waits until order id arrived and returns arrival - placed_at.
func (w *eventWatch) latency(ctx context.Context, t *testing.T, id string) time.Duration {
	t.Helper()
	for {
		w.mu.Lock()
		at, ok := w.arrived[id]
		placed := w.placed[id]
		w.mu.Unlock()
		if ok {
			return at.Sub(time.UnixMilli(placed))
		}
		select {
		case <-ctx.Done():
			t.Fatalf("order %s never reached the restaurant's event stream", id)
		case <-w.changed:
		}
	}
}

// until polls cond (each call runs client commands, so it paces itself)
// until it holds or ctx ends.
func until(ctx context.Context, t *testing.T, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("gave up waiting: %s", what)
		case <-tick.C:
		}
	}
}

// usage returns a process's resident memory (VmRSS, MiB) and CPU time so
// far, for the figures a relay operator sizes a machine with.
func usage(p *proc) (rssMiB float64, cpu time.Duration) {
	pid := p.cmd.Process.Pid
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
				var kb float64
				fmt.Sscanf(strings.TrimSpace(v), "%f", &kb)
				rssMiB = kb / 1024
			}
		}
	}
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		// fields after the command name (which may hold spaces): utime is the 12th, stime the 13th
		if i := strings.LastIndexByte(string(b), ')'); i > 0 {
			f := strings.Fields(string(b)[i+1:])
			if len(f) > 12 {
				var ut, st float64
				fmt.Sscanf(f[11], "%f", &ut)
				fmt.Sscanf(f[12], "%f", &st)
				cpu = time.Duration((ut + st) * float64(time.Second) / 100) // USER_HZ = 100 on Linux
			}
		}
	}
	return rssMiB, cpu
}
