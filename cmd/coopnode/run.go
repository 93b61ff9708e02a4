package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/multiformats/go-multiaddr"

	"github.com/coopnode/coopnode/node"
	"github.com/coopnode/coopnode/node/httpapi"
	"github.com/coopnode/coopnode/node/metrics"
)

// config is a data folder's config.json.
type config struct {
	Role      string   `json:"role"`
	Listen    []string `json:"listen"`
	Announce  []string `json:"announce,omitempty"`
	API       string   `json:"api"`
	Token     string   `json:"token"`
	Bootstrap []string `json:"bootstrap,omitempty"`
	Invite    string   `json:"invite,omitempty"`
	MDNS      bool     `json:"mdns"`
	// Tiles is the web app's map tile server (run -tiles); empty: the
	// plain map, nothing fetched.
	Tiles            string `json:"tiles,omitempty"`
	TilesAttribution string `json:"tiles_attribution,omitempty"`
}

const (
	keyFile    = "identity.key"
	configFile = "config.json"
	apiFile    = "api.addr" // the API address a running node actually bound
)

func cmdInit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("init", stderr)
	dir := fs.String("data", "", "data folder to create (required)")
	role := fs.String("role", "customer", "customer, restaurant, courier, admin or relay")
	api := fs.String("api", "127.0.0.1:0", "HTTP API address (loopback only; port 0 picks one)")
	listen := fs.String("listen", "/ip4/0.0.0.0/tcp/0,/ip4/0.0.0.0/udp/0/quic-v1", "comma-separated libp2p listen multiaddrs (port 0: pick a free port now and keep it)")
	invite := fs.String("invite", "", "a cooperative's invite string to join")
	mdns := fs.Bool("mdns", true, "discover peers on the local network")
	var announce listFlag
	fs.Var(&announce, "announce", announceHelp)
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	if *dir == "" {
		return fmt.Errorf("%w: -data is required", errUsage)
	}
	if _, err := node.ParseRole(*role); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if err := checkListen(*listen); err != nil {
		return err
	}
	if err := checkAnnounce(announce); err != nil {
		return err
	}
	if err := httpapi.CheckLoopback(*api); err != nil {
		return fmt.Errorf("%w: -api: %v", errUsage, err)
	}
	if *invite != "" {
		if _, err := node.ParseInvite(*invite); err != nil {
			return fmt.Errorf("%w: -invite: %v", errUsage, err)
		}
	}
	if _, err := os.Stat(filepath.Join(*dir, keyFile)); err == nil {
		return cliErrorf(node.ErrBadArgument, "%s already holds an identity; refusing to overwrite it", *dir)
	}
	if err := os.MkdirAll(*dir, 0o700); err != nil {
		return err
	}
	seed := make([]byte, ed25519.SeedSize)
	tok := make([]byte, 24)
	if _, err := rand.Read(seed); err != nil {
		return err
	}
	if _, err := rand.Read(tok); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(*dir, keyFile), []byte(hex.EncodeToString(seed)+"\n"), 0o600); err != nil {
		return err
	}
	// the same port at every start, so invites to this node stay valid
	pinned, err := node.PinListenPorts(splitList(*listen), nil)
	if err != nil {
		return fmt.Errorf("%w: -listen: %v", errUsage, err)
	}
	cfg := config{Role: *role, Listen: pinned, API: *api, Token: hex.EncodeToString(tok), Invite: *invite, MDNS: *mdns, Announce: announce}
	if err := saveConfig(*dir, cfg); err != nil {
		return err
	}
	pub := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
	fmt.Fprintf(stdout, "initialised %s\n  role: %s\n  key:  %s\n", *dir, *role, hex.EncodeToString(pub))
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func saveConfig(dir string, cfg config) error {
	b, _ := json.MarshalIndent(cfg, "", "  ")
	return os.WriteFile(filepath.Join(dir, configFile), append(b, '\n'), 0o600)
}

// pinOldConfig gives a data folder made before init kept its port (port 0
// in config.json) a port now, and keeps it.
func pinOldConfig(dir string, cfg *config) error {
	pinned, err := node.PinListenPorts(cfg.Listen, nil)
	if err != nil || slices.Equal(pinned, cfg.Listen) {
		return err
	}
	cfg.Listen = pinned
	return saveConfig(dir, *cfg)
}

func loadData(dir string) (ed25519.PrivateKey, config, error) {
	var cfg config
	if dir == "" {
		return nil, cfg, fmt.Errorf("%w: -data is required", errUsage)
	}
	kb, err := os.ReadFile(filepath.Join(dir, keyFile))
	if err != nil {
		return nil, cfg, cliErrorf(node.ErrBadArgument, "read identity (did you run 'coopnode init -data %s'?): %v", dir, err)
	}
	seed, err := hex.DecodeString(strings.TrimSpace(string(kb)))
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, cfg, cliErrorf(node.ErrBadArgument, "%s: not a 32-byte hex seed", filepath.Join(dir, keyFile))
	}
	cb, err := os.ReadFile(filepath.Join(dir, configFile))
	if err != nil {
		return nil, cfg, err
	}
	if err := json.Unmarshal(cb, &cfg); err != nil {
		return nil, cfg, cliErrorf(node.ErrBadJSON, "%s: %v", filepath.Join(dir, configFile), err)
	}
	return ed25519.NewKeyFromSeed(seed), cfg, nil
}

const tilesHelp = "map tiles for the web app: an OpenStreetMap-compatible URL template, https://HOST/{z}/{x}/{y}.png " +
	"(opt-in: the browser then fetches tiles from it; without it the app draws its plain map and fetches nothing). " +
	"Or set config.json's \"tiles\""

func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("run", stderr)
	dir := fs.String("data", "", "data folder made by 'coopnode init' (required)")
	role := fs.String("role", "", "override the role in config.json")
	listen := fs.String("listen", "", "override the listen multiaddrs (comma-separated)")
	api := fs.String("api", "", "override the HTTP API address (loopback only)")
	boot := fs.String("bootstrap", "", "comma-separated multiaddrs with /p2p/ of peers to keep connected")
	invite := fs.String("invite", "", "join the cooperative of this invite string")
	level := fs.String("log-level", "info", "debug, info, warn or error")
	var announce listFlag
	fs.Var(&announce, "announce", announceHelp+"; replaces config.json's")
	nat := fs.Bool("nat", true, "NAT traversal: with -role relay a circuit relay service and AutoNAT service; otherwise reservations on the coop's relays, hole punching and AutoNAT")
	portMap := fs.Bool("portmap", false, "ask the home router for a port mapping (UPnP/NAT-PMP) so peers can dial this node directly: for a restaurant's desktop node")
	metricsAddr := fs.String("metrics", "", "serve Prometheus metrics at http://ADDR/metrics (opt-in; e.g. 127.0.0.1:9464)")
	webhookAddr := fs.String("payments-webhook", "", "restaurant reachable from the internet: take Stripe webhooks at http://ADDR/v1/payments/webhook (opt-in; signature-checked, nothing else served)")
	tiles := fs.String("tiles", "", tilesHelp)
	tilesAttr := fs.String("tiles-attribution", "", "the credit the map shows for -tiles (default \""+httpapi.DefaultTileAttribution+"\")")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	if *tiles != "" {
		if err := httpapi.CheckTileURL(*tiles); err != nil {
			return fmt.Errorf("%w: -tiles: %v", errUsage, err)
		}
	}
	log, err := newLogger(stderr, *level)
	if err != nil {
		return err
	}
	key, cfg, err := loadData(*dir)
	if err != nil {
		return err
	}
	unlock, err := lockData(*dir)
	if err != nil {
		return err
	}
	defer unlock()
	if err := pinOldConfig(*dir, &cfg); err != nil {
		return err
	}
	if *role != "" {
		cfg.Role = *role
	}
	if *listen != "" {
		if err := checkListen(*listen); err != nil {
			return err
		}
		cfg.Listen = splitList(*listen)
	}
	if *api != "" {
		cfg.API = *api
	}
	if len(announce) > 0 {
		cfg.Announce = announce
	}
	if *invite != "" {
		cfg.Invite = *invite
	}
	if *tiles != "" {
		cfg.Tiles, cfg.TilesAttribution = *tiles, *tilesAttr
	}
	cfg.Bootstrap = append(cfg.Bootstrap, splitList(*boot)...)
	r, err := node.ParseRole(cfg.Role)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	opts := []node.Option{node.WithKey(key), node.WithRole(r), node.WithDataDir(filepath.Join(*dir, "store")),
		node.WithListen(cfg.Listen...), node.WithMDNS(cfg.MDNS), node.WithLogger(log), node.WithNAT(*nat), node.WithPortMap(*portMap)}
	ann, err := node.ParseAnnounce(cfg.Announce)
	if err != nil {
		return checkAnnounce(cfg.Announce)
	}
	opts = append(opts, node.WithAnnounce(ann...))
	for _, b := range cfg.Bootstrap {
		ma, err := multiaddr.NewMultiaddr(b)
		if err != nil {
			return fmt.Errorf("%w: bootstrap %q: %v", errUsage, b, err)
		}
		opts = append(opts, node.WithBootstrap(ma))
	}
	if cfg.Invite != "" {
		inv, err := node.ParseInvite(cfg.Invite)
		if err != nil {
			return fmt.Errorf("%w: invite: %v", errUsage, err)
		}
		opts = append(opts, node.WithInvite(inv))
	}
	ln, err := httpapi.Listen(cfg.API)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	defer ln.Close()
	n, err := node.New(ctx, opts...)
	if err != nil {
		return err
	}
	defer n.Close()
	// the further coops this folder follows (node.OpenCity), each on
	// ports of its own
	city, err := node.OpenCity(ctx, n, *dir, key, node.WithRole(r), node.WithListen(zeroPorts(cfg.Listen)...),
		node.WithMDNS(cfg.MDNS), node.WithLogger(log), node.WithNAT(*nat))
	if err != nil {
		return err
	}
	defer city.Close()
	metricsURL := ""
	if *metricsAddr != "" {
		ms, err := metrics.Serve(*metricsAddr, n)
		if err != nil {
			return fmt.Errorf("%w: -metrics: %v", errUsage, err)
		}
		defer ms.Close()
		metricsURL = "http://" + ms.Addr().String() + "/metrics"
	}
	if *webhookAddr != "" {
		wl, err := net.Listen("tcp", *webhookAddr)
		if err != nil {
			return fmt.Errorf("%w: -payments-webhook: %v", errUsage, err)
		}
		ws := &http.Server{Handler: httpapi.WebhookHandler(n), ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = ws.Serve(wl) }()
		defer ws.Close()
		fmt.Fprintf(stdout, "  payments webhook: http://%s%s\n", wl.Addr(), httpapi.WebhookPath)
	}
	var apiOpts []httpapi.Option
	if cfg.Tiles != "" {
		apiOpts = append(apiOpts, httpapi.WithTiles(cfg.Tiles, cfg.TilesAttribution))
	}
	srv, err := httpapi.NewCity(city, cfg.Token, log, apiOpts...)
	if err != nil {
		if errors.Is(err, httpapi.ErrBadTiles) {
			return fmt.Errorf("%w: -tiles, -tiles-attribution (or config.json's tiles): %v", errUsage, err)
		}
		return err
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	apiAddr := ln.Addr().String()
	// written aside and renamed, so a client never reads it half written
	tmp := filepath.Join(*dir, apiFile+".tmp")
	if err := os.WriteFile(tmp, []byte(apiAddr+"\n"), 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(*dir, apiFile)); err != nil {
		return err
	}
	defer os.Remove(filepath.Join(*dir, apiFile))
	fmt.Fprintf(stdout, "coopnode %s running\n  peer: %s\n  key:  %s\n  api:  http://%s (token in %s)\n",
		r, n.ID(), n.Key(), apiAddr, filepath.Join(*dir, configFile))
	fmt.Fprintf(stdout, "  web:  %s\n", httpapi.LoginURL(apiAddr, cfg.Token))
	if cfg.Tiles != "" {
		fmt.Fprintf(stdout, "  map tiles: %s\n", cfg.Tiles)
	}
	for _, a := range n.Addrs() {
		fmt.Fprintf(stdout, "  addr: %s\n", a)
	}
	if metricsURL != "" {
		fmt.Fprintf(stdout, "  metrics: %s\n", metricsURL)
	}
	if !n.Coop().IsZero() {
		fmt.Fprintf(stdout, "  coop: %s\n  invite: %s\n", n.Coop(), n.Invite())
	}
	for _, f := range city.Nodes()[1:] {
		fmt.Fprintf(stdout, "  also coop: %s (key %s)\n", f.Coop(), f.Key())
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case err := <-errc:
		return err
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = hs.Shutdown(sctx)
	<-errc
	if err := city.Close(); err != nil {
		return err
	}
	return n.Close()
}

// portRE finds a multiaddr's TCP or UDP port.
var portRE = regexp.MustCompile(`/(tcp|udp)/[0-9]+`)

// zeroPorts gives listen multiaddrs port 0: a further coop's node listens
// where the home node does, on ports of its own.
func zeroPorts(addrs []string) []string {
	out := make([]string, len(addrs))
	for i, a := range addrs {
		out[i] = portRE.ReplaceAllString(a, "/$1/0")
	}
	return out
}
