package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The desktop node's start-at-boot files of docs/deploy.md.
const (
	userUnitFile = "../../examples/deploy/coopnode.service"
	plistFile    = "../../examples/deploy/coop.coopnode.node.plist"
)

// runFlags returns the flags `coopnode run` defines, from its usage text.
func runFlags(t *testing.T) map[string]bool {
	t.Helper()
	var usage bytes.Buffer
	cmdRun(context.Background(), []string{"-h"}, io.Discard, &usage)
	flags := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^  -([a-z-]+)`).FindAllStringSubmatch(usage.String(), -1) {
		flags[m[1]] = true
	}
	if !flags["data"] || !flags["portmap"] {
		t.Fatalf("run's usage lists no -data or -portmap:\n%s", usage.String())
	}
	return flags
}

// checkRunArgs checks that args are `coopnode run` and flags run defines,
// with -data given.
func checkRunArgs(t *testing.T, what string, args []string, flags map[string]bool) {
	t.Helper()
	if len(args) < 2 || filepath.Base(args[0]) != "coopnode" || args[1] != "run" {
		t.Fatalf("%s: %q is not coopnode run", what, args)
	}
	hasData := false
	for i := 2; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			t.Fatalf("%s: stray argument %q", what, a)
		}
		name, _, withValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !flags[name] {
			t.Fatalf("%s: coopnode run has no flag -%s", what, name)
		}
		hasData = hasData || name == "data"
		if !withValue && name != "portmap" && name != "nat" { // booleans take no value
			i++
			if i == len(args) || strings.HasPrefix(args[i], "-") {
				t.Fatalf("%s: -%s has no value", what, name)
			}
		}
	}
	if !hasData {
		t.Fatalf("%s: no -data", what)
	}
}

// TestDesktopPlist: the macOS launchd agent of docs/deploy.md is a well
// formed property list whose ProgramArguments run coopnode with flags
// `coopnode run` defines, at load and again when it fails.
func TestDesktopPlist(t *testing.T) {
	b, err := os.ReadFile(plistFile)
	if err != nil {
		t.Fatal(err)
	}
	// The top dict's keys and values, in order: a value is a <string>,
	// <integer>, <true/>, <false/>, <array> of strings or a nested <dict>.
	type value struct {
		XMLName xml.Name
		Text    string   `xml:",chardata"`
		Strings []string `xml:"string"`
		Inner   []byte   `xml:",innerxml"`
	}
	var doc struct {
		XMLName xml.Name `xml:"plist"`
		Dict    struct {
			Items []value `xml:",any"`
		} `xml:"dict"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v", plistFile, err)
	}
	items := doc.Dict.Items
	if len(items)%2 != 0 {
		t.Fatalf("the plist's dict has %d items, not key/value pairs", len(items))
	}
	got := map[string]value{}
	for i := 0; i < len(items); i += 2 {
		if items[i].XMLName.Local != "key" {
			t.Fatalf("item %d is <%s>, want <key>", i, items[i].XMLName.Local)
		}
		got[items[i].Text] = items[i+1]
	}
	if v := got["Label"]; v.XMLName.Local != "string" || v.Text != "coop.coopnode.node" || !strings.HasSuffix(plistFile, v.Text+".plist") {
		t.Errorf("Label %+v: want the file's name, coop.coopnode.node", v)
	}
	if v := got["RunAtLoad"]; v.XMLName.Local != "true" {
		t.Errorf("RunAtLoad is <%s>, want <true/>", v.XMLName.Local)
	}
	if v := got["KeepAlive"]; v.XMLName.Local != "dict" || !strings.Contains(string(v.Inner), "<key>SuccessfulExit</key>") {
		t.Errorf("KeepAlive %q: want a restart when the node fails", v.Inner)
	}
	v := got["ProgramArguments"]
	if v.XMLName.Local != "array" {
		t.Fatalf("ProgramArguments is <%s>, want <array>", v.XMLName.Local)
	}
	checkRunArgs(t, "ProgramArguments", v.Strings, runFlags(t))
	if !strings.HasPrefix(v.Strings[0], "/") {
		t.Errorf("launchd wants an absolute program path, not %q", v.Strings[0])
	}
}

// TestDesktopUserUnit: the systemd user unit of docs/deploy.md runs
// coopnode with flags `coopnode run` defines, and systemd accepts it
// (systemd-analyze verify --user, ExecStart pointing at an executable).
func TestDesktopUserUnit(t *testing.T) {
	unit, err := os.ReadFile(userUnitFile)
	if err != nil {
		t.Fatal(err)
	}
	exec0 := ""
	for _, l := range strings.Split(string(unit), "\n") {
		if s, ok := strings.CutPrefix(l, "ExecStart="); ok {
			exec0 = s
		}
	}
	args := strings.Fields(exec0)
	checkRunArgs(t, "ExecStart", args, runFlags(t))
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		msg := "systemd-analyze is missing (apt-get install systemd)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	// Any executable stands for coopnode: verify checks the path, and
	// the flags were checked above against run's own flag set.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "coopnode.service")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(string(unit), args[0], self)), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("systemd-analyze", "verify", "--user", path)
	// a user manager wants a runtime directory; a CI container has none
	cmd.Env = append(os.Environ(), "XDG_RUNTIME_DIR="+dir)
	if out, err := cmd.CombinedOutput(); err != nil || len(strings.TrimSpace(string(out))) != 0 {
		t.Errorf("systemd-analyze verify --user: %v\n%s", err, out)
	}
}
