package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/pprof"
	"time"

	"github.com/coopnode/coopnode/node/bench"
)

func cmdBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench", stderr)
	var cfg bench.Config
	fs.IntVar(&cfg.Nodes, "nodes", bench.DefaultNodes, "nodes: 1 relay, 20% restaurants, 30% couriers, the rest customers")
	fs.IntVar(&cfg.Restaurants, "restaurants", 0, "restaurants (with -couriers and -customers, instead of -nodes)")
	fs.IntVar(&cfg.Couriers, "couriers", 0, "couriers (at least 3)")
	fs.IntVar(&cfg.Customers, "customers", 0, "customers")
	fs.DurationVar(&cfg.Latency, "latency", 40*time.Millisecond, "one-way link latency (mocknet)")
	fs.Float64Var(&cfg.Bandwidth, "bandwidth", 0, "link bandwidth in bytes/s (mocknet); 0 = unlimited")
	fs.IntVar(&cfg.Degree, "degree", 8, "with -random-graph: every node's average degree; with -drawn-graph: connections each courier and relay keeps to other couriers and relays")
	fs.IntVar(&cfg.LeafLinks, "leaf-links", 2, "with -drawn-graph: connections each customer and restaurant keeps, to couriers or relays")
	fs.BoolVar(&cfg.RandomGraph, "random-graph", false, "start from one random graph of average degree -degree over all nodes, ignoring roles, with no bootstrap address; the nodes add the role links they lack (default: every node starts from the relay's address and builds its role links itself)")
	fs.BoolVar(&cfg.DrawnGraph, "drawn-graph", false, "connect the role graph the harness draws (-degree, -leaf-links) and turn the nodes' own role links off")
	fs.BoolVar(&cfg.MocknetLatency, "mocknet-latency", false, "use mocknet's own latency model (stop-and-wait per stream) instead of a delay line")
	fs.Float64Var(&cfg.OrdersPerMin, "orders-per-min", 60, "order rate (about 11 signed events per order)")
	fs.DurationVar(&cfg.Duration, "duration", 30*time.Second, "length of the measured phase")
	fs.Float64Var(&cfg.MenuUpdatesPerMin, "menu-updates-per-min", 2, "catalogue updates during the run (0: none)")
	fs.Float64Var(&cfg.Churn, "churn", 0.1, "share of phones that go offline once and come back (0: none)")
	fs.DurationVar(&cfg.ChurnOff, "churn-off", 4*time.Second, "how long a churned phone stays away (0.5-1.5x)")
	fs.DurationVar(&cfg.Drain, "drain", 20*time.Second, "longest wait after the last order for every needed event")
	fs.DurationVar(&cfg.SyncInterval, "sync-interval", 0, "anti-entropy period of the nodes (0: node default 30s; negative: off)")
	fs.IntVar(&cfg.D, "D", 0, "gossipsub mesh degree for coopnode nodes (0: the node's default 4, with D_lo 3 and D_hi 6; needs -Dlo and -Dhi)")
	fs.IntVar(&cfg.Dlo, "Dlo", 0, "gossipsub D_lo")
	fs.IntVar(&cfg.Dhi, "Dhi", 0, "gossipsub D_hi")
	fs.IntVar(&cfg.Dlazy, "Dlazy", 0, "gossipsub D_lazy for coopnode nodes: non-mesh peers sent IHAVE per heartbeat (0: the node's default 3)")
	fs.IntVar(&cfg.HistoryGossip, "history-gossip", 0, "gossipsub history_gossip for coopnode nodes: heartbeats a message is announced (0: the node's default 1)")
	fs.Float64Var(&cfg.GossipFactor, "gossip-factor", 0, "gossipsub gossip factor for coopnode nodes: share of non-mesh peers sent IHAVE (0: the node's default 1.0)")
	fs.DurationVar(&cfg.Heartbeat, "heartbeat", 0, "gossipsub heartbeat for coopnode nodes (0: default 1s)")
	fs.IntVar(&cfg.IDontWant, "idontwant", 0, "IDONTWANT size threshold in bytes for coopnode nodes (0: gossipsub's 1 KiB; experiment)")
	noFlood := fs.Bool("no-flood-publish", false, "turn off flood publishing of own events (experiment)")
	partyLinks := fs.Bool("party-links", true, "the nodes keep links to their open orders' parties and customers quote their cart before checkout (SPEC.md §10.8); false measures without")
	fs.BoolVar(&cfg.Baseline, "baseline", true, "also run plain gossipsub on the same schedule and graph")
	fs.BoolVar(&cfg.BaselineDeployed, "baseline-deployed", true, "also run plain gossipsub as deployed (random graph of degree 8, every node subscribed, default parameters) on the same schedule")
	fs.BoolVar(&cfg.Loopback, "loopback", false, "real TCP on 127.0.0.1 instead of mocknet")
	fs.Int64Var(&cfg.Seed, "seed", 1, "randomness seed")
	fs.IntVar(&cfg.Coops, "coops", 0, "a city: this many coops of -nodes nodes each at once, their relays connected and following the city directory (SPEC.md §22); no baselines")
	day := fs.Bool("day", false, "a compressed day: the relay and one more courier run as their own coopnode processes (loopback TCP), measured by the kernel (/proc) over an idle window and -day-orders orders, and scaled to -orders-per-day; baselines off unless asked for")
	dayOrders := fs.Int("day-orders", 200, "with -day: orders in the compressed day (sets -duration from -orders-per-min)")
	fs.IntVar(&cfg.OrdersPerDay, "orders-per-day", 200, "with -day: the day the process figures are scaled to")
	fs.DurationVar(&cfg.Idle, "idle", 30*time.Second, "with -day: the idle window measured before the orders")
	asJSON := fs.Bool("json", false, "end with one JSON object on its own line")
	svg := fs.String("svg", "", "write the picture here (default: a new file in the temp folder; \"off\": none)")
	md := fs.Bool("markdown", false, "also print a README table row")
	quiet := fs.Bool("quiet", false, "no progress lines on stderr")
	logLevel := fs.String("log-level", "error", "the nodes' log level on stderr")
	timeout := fs.Duration("timeout", 15*time.Minute, "give up after this long")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run here")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	cfg.NoFloodPublish = *noFlood
	cfg.NoPartyLinks = !*partyLinks
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *day {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("bench: -day needs this executable's path: %w", err)
		}
		cfg.ProcExe = exe
		if !set["orders-per-min"] {
			cfg.OrdersPerMin = 120
		}
		if *dayOrders < 1 {
			return fmt.Errorf("%w: -day-orders = %d, want ≥ 1", errUsage, *dayOrders)
		}
		if !set["duration"] {
			cfg.Duration = time.Duration(float64(*dayOrders) / cfg.OrdersPerMin * float64(time.Minute))
		}
		cfg.Baseline = cfg.Baseline && set["baseline"]
		cfg.BaselineDeployed = cfg.BaselineDeployed && set["baseline-deployed"]
	}
	if set["restaurants"] || set["couriers"] || set["customers"] {
		if !set["restaurants"] || !set["couriers"] || !set["customers"] {
			return fmt.Errorf("%w: give -restaurants, -couriers and -customers together (or -nodes)", errUsage)
		}
		if set["nodes"] {
			return fmt.Errorf("%w: -nodes and -restaurants/-couriers/-customers exclude each other", errUsage)
		}
		cfg.Nodes = 0
	}
	// a zero flag means none, not the package's default
	if cfg.Latency == 0 {
		cfg.Latency = -1
	}
	if cfg.Churn == 0 {
		cfg.Churn = -1
	}
	if cfg.MenuUpdatesPerMin == 0 {
		cfg.MenuUpdatesPerMin = -1
	}
	if cfg.SyncInterval < 0 {
		cfg.SyncInterval = -1
	}
	logger, err := newLogger(stderr, *logLevel)
	if err != nil {
		return err
	}
	cfg.Logger = logger.With("bench", true)
	if *logLevel == "error" {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if !*quiet {
		cfg.Log = stderr
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	res, err := bench.Run(ctx, cfg)
	if err != nil {
		if errors.Is(err, bench.ErrConfig) {
			return fmt.Errorf("%w: %v", errUsage, err)
		}
		return err
	}
	if *svg != "off" {
		path, err := writeSVG(res, *svg)
		if err != nil {
			return err
		}
		res.SVG = path
	}
	if err := res.WriteTable(stdout); err != nil {
		return err
	}
	if *md {
		fmt.Fprintln(stdout, bench.MarkdownHeader())
		fmt.Fprintln(stdout, res.MarkdownRow())
	}
	if *asJSON {
		b, err := json.Marshal(res)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, string(b))
	}
	return nil
}

func writeSVG(res *bench.Result, path string) (string, error) {
	var f *os.File
	var err error
	if path == "" {
		f, err = os.CreateTemp("", "coopnode-bench-*.svg")
	} else {
		f, err = os.Create(path)
	}
	if err != nil {
		return "", fmt.Errorf("bench: svg: %w", err)
	}
	if err := res.WriteSVG(f); err != nil {
		_ = f.Close()
		return "", fmt.Errorf("bench: svg: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("bench: svg: %w", err)
	}
	return f.Name(), nil
}
