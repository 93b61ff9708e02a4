package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

const (
	walkthroughFile  = "../../examples/walkthrough.sh"
	walkthroughBegin = "<!-- walkthrough.sh begins"
	walkthroughEnd   = "<!-- walkthrough.sh ends -->"
)

// TestReadmeShowsWalkthrough: README.md's walkthrough is
// examples/walkthrough.sh, word for word, and README.md still starts with
// the two commands that work on a fresh machine (issue 12.9).
func TestReadmeShowsWalkthrough(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	must(t, err)
	script, err := os.ReadFile(walkthroughFile)
	must(t, err)
	_, block, ok := strings.Cut(string(readme), walkthroughBegin)
	block, _, ok2 := strings.Cut(block, walkthroughEnd)
	if !ok || !ok2 {
		t.Fatalf("README.md has no block between %q and %q", walkthroughBegin, walkthroughEnd)
	}
	_, block, _ = strings.Cut(block, "\n```sh\n")
	block = strings.TrimSuffix(block, "```\n")
	if block != string(script) {
		t.Errorf("README.md's walkthrough differs from %s: copy the file into the block", walkthroughFile)
	}
	start := "# coopnode\n\n```sh\ngo run ./cmd/coopnode demo "
	if !strings.HasPrefix(string(readme), start) || !strings.Contains(strings.SplitN(string(readme), "```\n", 2)[0], "\ngo test ./...") {
		t.Errorf("README.md must start with `go run ./cmd/coopnode demo` and `go test ./...`")
	}
}

// TestWalkthrough runs examples/walkthrough.sh, the README's three nodes
// by hand, as a user would: sh from the repository's root. The script
// builds coopnode, starts three nodes on loopback in the background and
// stops them by PID. Afterwards no process of the script is left and its
// folder is gone (issue 12.9).
func TestWalkthrough(t *testing.T) {
	if testing.Short() {
		t.Skip("builds coopnode and spawns processes")
	}
	tmp := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "examples/walkthrough.sh")
	cmd.Dir = "../.."
	// go for the script's build, even when the test binary runs alone
	path := filepath.Join(runtime.GOROOT(), "bin") + string(os.PathListSeparator) + os.Getenv("PATH")
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp, "PATH="+path)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // its own group, which Cancel ends
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	t.Logf("walkthrough took %.1fs", time.Since(start).Seconds())
	if err != nil {
		t.Fatalf("sh examples/walkthrough.sh: %v\n%s", err, out.String())
	}
	for _, want := range []string{
		"published the pricing rules version 1", "published the menu",
		"2 × Falafel wrap (Harissa)  14.00", "items  17.00", "tip   2.00",
		"won: you hold the order, confirmed", "address: 3 rue Kervégan",
		"status     delivered", "proof      recipient Léa", "rating     restaurant 5★, courier 5★",
		"day,order,kind,status,courier", "walkthrough done: order ",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	// the nodes were stopped: no process runs from the script's folder
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		if b, err := os.ReadFile(p); err == nil && bytes.Contains(b, []byte(tmp)) {
			t.Errorf("left running: %s", bytes.ReplaceAll(b, []byte{0}, []byte{' '}))
		}
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("the script left %d entries in its temporary folder", len(left))
	}
}
