package crashtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// buildCoopnode compiles ./cmd/coopnode into dir and returns its path.
func buildCoopnode(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "coopnode")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/coopnode/coopnode/cmd/coopnode")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build coopnode: %v\n%s", err, out)
	}
	return bin
}

// freePort returns a loopback TCP port that was free a moment ago and
// that no other call handed out: below the kernel's ephemeral range, so
// that no outgoing connection takes it while its node is down between a
// kill and a restart (two nodes were once given the same ephemeral port).
func freePort(t *testing.T) int {
	t.Helper()
	portsMu.Lock()
	defer portsMu.Unlock()
	start := rand.IntN(portHi - portLo)
	for i := range portHi - portLo {
		p := portLo + (start+i)%(portHi-portLo)
		if portsGiven[p] {
			continue
		}
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			continue
		}
		l.Close()
		portsGiven[p] = true
		return p
	}
	t.Fatalf("no free loopback port in [%d, %d)", portLo, portHi)
	return 0
}

const portLo, portHi = 20000, 32768 // below Linux's default ephemeral range

var (
	portsMu    sync.Mutex
	portsGiven = map[int]bool{}
)

// proc is one node: its data folder, fixed ports, and the process running
// it now (nil while it is down). Only the test goroutine starts and kills.
type proc struct {
	name, role string
	bin, dir   string
	p2pPort    int
	apiPort    int
	token      string
	peerID     string // learnt from the first start
	key        string // its member key, hex

	mu     sync.Mutex
	cmd    *exec.Cmd
	exit   chan struct{} // closed when cmd has been waited for
	logs   *bytes.Buffer // this start's output, written under logsMu
	logsMu *sync.Mutex
	runs   int
	kills  int
}

// initNode runs `coopnode init` for a node with fixed loopback ports.
func initNode(t *testing.T, bin, base, name, role string) *proc {
	t.Helper()
	p := &proc{name: name, role: role, bin: bin, dir: filepath.Join(base, name), p2pPort: freePort(t), apiPort: freePort(t)}
	out, err := exec.Command(bin, "init", "-data", p.dir, "-role", role, "-mdns=false",
		"-listen", p.listenAddr(), "-api", fmt.Sprintf("127.0.0.1:%d", p.apiPort)).CombinedOutput()
	if err != nil {
		t.Fatalf("init %s: %v\n%s", name, err, out)
	}
	b, err := os.ReadFile(filepath.Join(p.dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal(b, &cfg); err != nil || cfg.Token == "" {
		t.Fatalf("%s: config.json without a token: %v", name, err)
	}
	p.token = cfg.Token
	return p
}

func (p *proc) listenAddr() string { return fmt.Sprintf("/ip4/127.0.0.1/tcp/%d", p.p2pPort) }

// addr is p's multiaddr with its peer ID, for -bootstrap.
func (p *proc) addr() string { return p.listenAddr() + "/p2p/" + p.peerID }

// start runs `coopnode run` for p with extra arguments. It does not wait
// for the API: calls retry until it answers.
func (p *proc) start(t *testing.T, extra ...string) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		t.Fatalf("%s is already running", p.name)
	}
	args := append([]string{"run", "-data", p.dir, "-log-level", "warn"}, extra...)
	cmd := exec.Command(p.bin, args...)
	logs, logsMu := &bytes.Buffer{}, &sync.Mutex{}
	lw := &lockedWriter{mu: logsMu, w: logs}
	cmd.Stdout, cmd.Stderr = lw, lw
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", p.name, err)
	}
	exit := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exit) }()
	p.cmd, p.exit, p.logs, p.logsMu = cmd, exit, logs, logsMu
	p.runs++
}

// kill sends SIGKILL to the process p started, by its PID, and waits for
// it to be gone.
func (p *proc) kill(t *testing.T) {
	t.Helper()
	p.mu.Lock()
	cmd, exit := p.cmd, p.exit
	p.cmd = nil
	p.kills++
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	if err := cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Fatalf("kill %s (pid %d): %v", p.name, cmd.Process.Pid, err)
	}
	select {
	case <-exit:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s (pid %d) did not die on SIGKILL", p.name, cmd.Process.Pid)
	}
}

// exited reports whether the running process ended on its own, with its
// output.
func (p *proc) exited() (bool, string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return false, ""
	}
	select {
	case <-p.exit:
		p.logsMu.Lock()
		defer p.logsMu.Unlock()
		return true, p.logs.String()
	default:
		return false, ""
	}
}

// output is what the last start of p printed.
func (p *proc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.logs == nil {
		return ""
	}
	p.logsMu.Lock()
	defer p.logsMu.Unlock()
	return p.logs.String()
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

// apiError is an HTTP API refusal.
type apiError struct {
	status int
	body   string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("HTTP %d: %s", e.status, strings.TrimSpace(e.body))
}

var client = &http.Client{Timeout: 30 * time.Second}

// call makes one API request to p and decodes the JSON answer into out
// (if not nil). A node that is not listening (down or starting) gives a
// transport error; an answer other than 2xx gives an *apiError.
func (p *proc) call(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, fmt.Sprintf("http://127.0.0.1:%d%s", p.apiPort, path), rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+p.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return &apiError{status: resp.StatusCode, body: string(b)}
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// until retries fn every 50 ms until it returns nil, for at most d; it
// returns fn's last error when d passes.
func until(ctx context.Context, d time.Duration, fn func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		err := fn(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("after %v: %w", d, err)
		case <-t.C:
		}
	}
}
