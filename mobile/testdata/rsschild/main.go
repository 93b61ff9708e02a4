// Command rsschild is BenchmarkCourierTraffic's memory probe: a courier
// app reduced to its callbacks, built stripped (-ldflags="-s -w", as a
// release build of the app's Go library would be) and run in its own
// process, so that its RSS is the phone node's alone. It uses package
// mobile's exported API only.
//
// Protocol on stdin/stdout, one JSON object or word per line: it prints
// {"key":...}; waits for "admitted"; goes on shift and prints
// {"on_shift":true}; claims every job it is told of and picks up and
// delivers every order it wins once ready; on "report" it prints its
// memory figures and exits.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/coopnode/coopnode/mobile"
)

type bot struct {
	m         *mobile.Node
	jobs      atomic.Int64
	delivered atomic.Int64
}

func (b *bot) OnJobNearby(p []byte) {
	var j struct {
		Available bool `json:"available"`
		Order     struct {
			ID string `json:"id"`
		} `json:"order"`
	}
	if json.Unmarshal(p, &j) == nil && j.Available {
		b.jobs.Add(1)
		_, _ = b.m.Claim(`{"order":"` + j.Order.ID + `"}`)
	}
}

func (b *bot) OnClaimResult([]byte) {}

func (b *bot) OnOrderUpdate(p []byte) {
	var u struct {
		Order struct {
			ID     string `json:"id"`
			Status string `json:"status"`
			MyRole string `json:"my_role"`
		} `json:"order"`
	}
	if json.Unmarshal(p, &u) != nil || u.Order.MyRole != "courier" || u.Order.Status != "ready" {
		return
	}
	if _, err := b.m.Pickup(`{"order":"` + u.Order.ID + `"}`); err != nil {
		return
	}
	if _, err := b.m.Deliver(`{"order":"` + u.Order.ID + `","proof":{"recipient":"door"}}`); err == nil {
		b.delivered.Add(1)
	}
}

func (b *bot) OnConnectionState([]byte) {}

func procStatus(field string) float64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			v, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return v
		}
	}
	return -1
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "rsschild:", err)
	os.Exit(1)
}

func main() {
	if len(os.Args) != 3 {
		fail(fmt.Errorf("usage: rsschild DATADIR INVITE"))
	}
	b := &bot{}
	m, err := mobile.Start(os.Args[1], `{"role":"courier","invite":"`+os.Args[2]+`","listen":[]}`, b)
	if err != nil {
		fail(err)
	}
	b.m = m
	var st struct {
		Key    string `json:"key"`
		Member bool   `json:"member"`
	}
	status := func() {
		s, err := m.Status()
		if err != nil {
			fail(err)
		}
		if err := json.Unmarshal([]byte(s), &st); err != nil {
			fail(err)
		}
	}
	status()
	fmt.Printf("{\"key\":%q}\n", st.Key)
	in := bufio.NewScanner(os.Stdin)
	in.Scan() // "admitted"
	for deadline := time.Now().Add(30 * time.Second); !st.Member; status() {
		if time.Now().After(deadline) {
			fail(fmt.Errorf("never admitted"))
		}
		time.Sleep(20 * time.Millisecond) // polling interval of a condition wait
	}
	if _, err := m.GoOnShift(`{"position":{"lat_e6":47215000,"lon_e6":-1555000}}`); err != nil {
		fail(err)
	}
	fmt.Println(`{"on_shift":true}`)
	in.Scan() // "report"
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	out, _ := json.Marshal(map[string]any{
		"rss_kb": procStatus("VmRSS"), "hwm_kb": procStatus("VmHWM"),
		"anon_kb": procStatus("RssAnon"), "file_kb": procStatus("RssFile"),
		"heap_inuse": ms.HeapInuse, "sys": ms.Sys,
		"jobs": b.jobs.Load(), "delivered": b.delivered.Load(),
	})
	fmt.Println(string(out))
	if err := m.Stop(); err != nil {
		fail(err)
	}
}
