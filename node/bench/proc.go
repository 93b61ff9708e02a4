package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/multiformats/go-multiaddr"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/node"
)

// A node in its own process. One process holds every simulated node, so
// the CPU time or memory of one of them cannot be told apart there (Go
// accounts neither per goroutine); a node that runs as its own `coopnode
// run` process, on loopback TCP, is accounted by the kernel alone. The
// harness starts it from the coopnode executable (Config.ProcExe) with a
// fresh data folder (`coopnode init`), an invite and no mDNS, with run's
// defaults otherwise (a relay then runs its circuit relay service and
// connection budget, a courier asks it for a reservation), reads its addresses from what `run` prints, and reads its
// CPU time and memory from /proc/PID/stat and /proc/PID/status.

// procNode is a coopnode process the harness started.
type procNode struct {
	role  node.Role
	dir   string
	pub   crdt.PubKey
	addrs []multiaddr.Multiaddr
	cmd   *exec.Cmd
	done  chan struct{} // closed when it exited
	werr  error
	mu    sync.Mutex
	out   bytes.Buffer // its stdout and stderr, for errors
}

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat:
// 100 on every Linux architecture Go supports.
const clockTicks = 100

// procStart is how long a node process may take to print its addresses.
const procStart = 60 * time.Second

// startProc initialises a data folder for role and runs a coopnode
// process on it with invite, on loopback TCP.
func startProc(ctx context.Context, exe string, role node.Role, invite string) (*procNode, error) {
	dir, err := os.MkdirTemp("", "coopnode-bench-"+string(role)+"-*")
	if err != nil {
		return nil, err
	}
	p := &procNode{role: role, dir: dir, done: make(chan struct{})}
	out, err := exec.CommandContext(ctx, exe, "init", "-data", dir, "-role", string(role), "-listen", "/ip4/127.0.0.1/tcp/0", "-mdns=false").CombinedOutput()
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("bench: coopnode init (%s): %w: %s", role, err, out)
	}
	for _, l := range strings.Split(string(out), "\n") {
		if k, ok := strings.CutPrefix(strings.TrimSpace(l), "key:"); ok {
			b, err := hex.DecodeString(strings.TrimSpace(k))
			if err == nil && len(b) == len(p.pub) {
				copy(p.pub[:], b)
			}
		}
	}
	if p.pub.IsZero() {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("bench: coopnode init (%s) printed no key: %s", role, out)
	}
	p.cmd = exec.Command(exe, "run", "-data", dir, "-invite", invite, "-log-level", "error")
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	p.cmd.Stderr = &lockedWriter{mu: &p.mu, w: &p.out}
	if err := p.cmd.Start(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("bench: start coopnode run (%s): %w", role, err)
	}
	addrs := make(chan []multiaddr.Multiaddr, 1)
	go func() {
		var got []multiaddr.Multiaddr
		sent := false
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			l := strings.TrimSpace(sc.Text())
			p.mu.Lock()
			p.out.WriteString(l + "\n")
			p.mu.Unlock()
			if a, ok := strings.CutPrefix(l, "addr:"); ok {
				if ma, err := multiaddr.NewMultiaddr(strings.TrimSpace(a)); err == nil {
					got = append(got, ma)
				}
			} else if len(got) > 0 && !sent {
				addrs <- got
				sent = true
			}
		}
		if !sent {
			addrs <- got
		}
		_, _ = io.Copy(io.Discard, stdout)
		p.werr = p.cmd.Wait()
		close(p.done)
	}()
	t := time.NewTimer(procStart)
	defer t.Stop()
	select {
	case p.addrs = <-addrs:
	case <-t.C:
	case <-ctx.Done():
	}
	if len(p.addrs) == 0 {
		p.stop()
		return nil, fmt.Errorf("bench: coopnode run (%s) printed no address: %s", role, p.output())
	}
	return p, nil
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

func (p *procNode) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// stop asks the process to shut down (SIGTERM), kills it if it has not
// within 10 s, and removes its data folder.
func (p *procNode) stop() {
	if p.cmd.Process != nil {
		_ = p.cmd.Process.Signal(os.Interrupt)
		t := time.NewTimer(10 * time.Second)
		select {
		case <-p.done:
		case <-t.C:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		t.Stop()
	}
	_ = os.RemoveAll(p.dir)
}

// procUsage is what the kernel accounts to a process.
type procUsage struct {
	cpu       time.Duration // user + system
	rss, peak int64         // VmRSS and VmHWM, bytes
	anon      int64         // RssAnon: the resident memory that is the process's own (not the mapped executable)
}

var errProcGone = errors.New("bench: node process is gone")

// usage reads the process's CPU time and memory now.
func (p *procNode) usage() (procUsage, error) {
	select {
	case <-p.done:
		return procUsage{}, fmt.Errorf("%w (%v): %s", errProcGone, p.werr, p.output())
	default:
	}
	dir := filepath.Join("/proc", strconv.Itoa(p.cmd.Process.Pid))
	st, err := os.ReadFile(filepath.Join(dir, "stat"))
	if err != nil {
		return procUsage{}, err
	}
	status, err := os.ReadFile(filepath.Join(dir, "status"))
	if err != nil {
		return procUsage{}, err
	}
	return parseProc(st, status)
}

// parseProc reads utime and stime (fields 14 and 15 of /proc/PID/stat,
// after the command name in parentheses, which may hold spaces) and
// VmRSS and VmHWM of /proc/PID/status.
func parseProc(stat, status []byte) (procUsage, error) {
	var u procUsage
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return u, fmt.Errorf("bench: /proc stat without a command name: %q", s)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return u, fmt.Errorf("bench: /proc stat with %d fields", len(f)+2)
	}
	// f[0] is field 3 (state): utime is field 14, stime 15
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	stt, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return u, fmt.Errorf("bench: /proc stat: %w", err)
	}
	u.cpu = time.Duration(ut+stt) * time.Second / clockTicks
	for _, l := range strings.Split(string(status), "\n") {
		k, v, ok := strings.Cut(l, ":")
		if !ok || k != "VmRSS" && k != "VmHWM" && k != "RssAnon" {
			continue
		}
		fs := strings.Fields(v)
		if len(fs) != 2 || fs[1] != "kB" {
			return u, fmt.Errorf("bench: /proc status: %q", l)
		}
		n, err := strconv.ParseInt(fs[0], 10, 64)
		if err != nil {
			return u, fmt.Errorf("bench: /proc status: %w", err)
		}
		switch k {
		case "VmRSS":
			u.rss = n << 10
		case "VmHWM":
			u.peak = n << 10
		default:
			u.anon = n << 10
		}
	}
	if u.rss == 0 || u.peak == 0 {
		return u, fmt.Errorf("bench: /proc status without VmRSS and VmHWM")
	}
	return u, nil
}
