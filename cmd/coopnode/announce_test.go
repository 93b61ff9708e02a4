package main

import (
	"bytes"
	"slices"
	"testing"
)

// init keeps -announce (repeated and comma-separated) in config.json, for
// run to pass on to the node (issue 13 item 3).
func TestInitKeepsAnnounce(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	args := []string{"init", "-data", dir, "-listen", "/ip4/127.0.0.1/tcp/0",
		"-announce", "/ip4/203.0.113.7/tcp/4001,/ip4/203.0.113.7/udp/4001/quic-v1", "-announce", "/dns4/coop.example/tcp/4001"}
	if code := realMain(args, &out, &errb); code != 0 {
		t.Fatalf("init: exit %d: %s", code, errb.String())
	}
	_, cfg, err := loadData(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/ip4/203.0.113.7/tcp/4001", "/ip4/203.0.113.7/udp/4001/quic-v1", "/dns4/coop.example/tcp/4001"}
	if !slices.Equal(cfg.Announce, want) {
		t.Fatalf("config announce %v, want %v", cfg.Announce, want)
	}
}
