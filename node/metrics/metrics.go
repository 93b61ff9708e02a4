// Package metrics exposes a node's figures in the Prometheus text format on
// an opt-in address (issue 13 item 2: a coop relay's operator watches its
// peers, the events it stores for offline phones, its sync sessions and
// what it refuses).
//
// Why a collector that reads Node.Stats at scrape time rather than
// counters updated on the hot path: the node's loop already keeps these
// figures (one goroutine owns them), so a scrape costs one request to the
// loop and the ingest path stays free of metrics code.
package metrics

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/coopnode/coopnode/node"
)

// Source is what the collector reads; *node.Node is one.
type Source interface {
	Stats(ctx context.Context) node.Stats
	NATStats() node.NATStats
	Host() host.Host
}

// scrapeTimeout bounds the wait for the node's loop during a scrape.
const scrapeTimeout = 5 * time.Second

var (
	descPeers = prometheus.NewDesc("coopnode_peers",
		"Peers connected now.", nil, nil)
	descStored = prometheus.NewDesc("coopnode_events_stored",
		"Events in the node's replica (a relay: everything it forwards to phones that were offline).", nil, nil)
	descPending = prometheus.NewDesc("coopnode_events_pending",
		"Events waiting for their parents.", nil, nil)
	descSessions = prometheus.NewDesc("coopnode_sync_sessions_total",
		"Catch-up sync sessions completed (SPEC.md §8.6).", nil, nil)
	descSyncCut = prometheus.NewDesc("coopnode_sync_cut_total",
		"Sync sessions stopped at their bound, continued by the next (SPEC.md §8.6.4).", nil, nil)
	descCaughtUp = prometheus.NewDesc("coopnode_sync_caught_up",
		"1 if the last sync session this node started ended within its bound, 0 while a catch-up goes on.", nil, nil)
	descCatchUp = prometheus.NewDesc("coopnode_sync_catch_up_events",
		"Events received by the current (or last) catch-up, over its sessions.", nil, nil)
	descSyncEvents = prometheus.NewDesc("coopnode_sync_events_total",
		"Events carried by sync sessions, by direction.", []string{"direction"}, nil)
	descSyncBytes = prometheus.NewDesc("coopnode_sync_bytes_total",
		"Bytes carried by sync sessions, by direction.", []string{"direction"}, nil)
	descAccepted = prometheus.NewDesc("coopnode_events_accepted_total",
		"Events accepted, by the way they came.", []string{"source"}, nil)
	descRejects = prometheus.NewDesc("coopnode_rejects_total",
		"Events and peers refused, by reason.", []string{"reason"}, nil)
	descWakeups = prometheus.NewDesc("coopnode_wakeups_total",
		"Wake-ups sent to sleeping phones' push endpoints, by result.", []string{"result"}, nil)
	descPublished = prometheus.NewDesc("coopnode_published_total",
		"Events this node authored and published.", nil, nil)
	// NAT traversal (SPEC.md §10.6): a relay's service, a client's reservations and hole punches
	descLinks = prometheus.NewDesc("coopnode_peer_links",
		"Connected peers by link: direct, or relayed through a circuit relay.", []string{"link"}, nil)
	descRelayReservations = prometheus.NewDesc("coopnode_relay_reservations",
		"Reservations this relay holds for NATed peers now.", nil, nil)
	descRelayCircuits = prometheus.NewDesc("coopnode_relay_circuits",
		"Relayed connections open through this relay now.", nil, nil)
	descRelayCircuitsTotal = prometheus.NewDesc("coopnode_relay_circuits_total",
		"Relayed connections opened through this relay.", nil, nil)
	descRelayRefused = prometheus.NewDesc("coopnode_relay_refused_total",
		"Requests this relay refused, by kind (reservation or circuit).", []string{"kind"}, nil)
	descRelayBytes = prometheus.NewDesc("coopnode_relay_bytes_total",
		"Bytes relayed through this relay's circuits, both ways.", nil, nil)
	descReservationsHeld = prometheus.NewDesc("coopnode_relay_reservations_held",
		"Relays holding a reservation for this node now.", nil, nil)
	descHolePunch = prometheus.NewDesc("coopnode_hole_punch_total",
		"Hole punches (DCUtR) ended, by result; direct means a direct dial made one unnecessary.", []string{"result"}, nil)
)

// Collector is a prometheus.Collector over a Source.
type Collector struct{ src Source }

// NewCollector makes a collector reading src at each scrape.
func NewCollector(src Source) *Collector { return &Collector{src: src} }

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descPeers, descStored, descPending, descSessions, descSyncCut, descCaughtUp, descCatchUp,
		descSyncEvents, descSyncBytes, descAccepted, descRejects, descWakeups, descPublished,
		descLinks, descRelayReservations, descRelayCircuits, descRelayCircuitsTotal, descRelayRefused,
		descRelayBytes, descReservationsHeld, descHolePunch} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	s := c.src.Stats(ctx)
	gauge := func(d *prometheus.Desc, v int, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v), labels...)
	}
	counter := func(d *prometheus.Desc, v int, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge(descPeers, len(c.src.Host().Network().Peers()))
	gauge(descStored, s.EventsStored)
	gauge(descPending, s.EventsPending)
	counter(descSessions, s.SyncSessions)
	counter(descSyncCut, s.SyncCut)
	caught := 0
	if s.SyncCaughtUp {
		caught = 1
	}
	gauge(descCaughtUp, caught)
	gauge(descCatchUp, s.SyncCatchUpEvents)
	counter(descSyncEvents, s.SyncEventsIn, "in")
	counter(descSyncEvents, s.SyncEventsOut, "out")
	counter(descSyncBytes, s.SyncBytesIn, "in")
	counter(descSyncBytes, s.SyncBytesOut, "out")
	counter(descAccepted, s.GossipAccepted, "gossip")
	counter(descAccepted, s.PushAccepted, "push")
	counter(descRejects, s.GossipRejected, "gossip_invalid")
	counter(descRejects, s.GossipIgnored, "gossip_ignored")
	counter(descRejects, s.PushRejected, "push_invalid")
	counter(descRejects, s.RateLimited, "rate_limited")
	counter(descRejects, s.PeersBlocked, "peer_blocked")
	counter(descRejects, s.PushDropped, "push_queue_full")
	counter(descWakeups, s.WakeupsSent, "sent")
	counter(descWakeups, s.WakeupsFailed, "failed")
	counter(descPublished, s.Published)

	direct, relayed := 0, 0
	nw := c.src.Host().Network()
	for _, p := range nw.Peers() {
		if nw.Connectedness(p) == network.Limited {
			relayed++
		} else {
			direct++
		}
	}
	gauge(descLinks, direct, "direct")
	gauge(descLinks, relayed, "relayed")
	ns := c.src.NATStats()
	gauge(descRelayReservations, ns.RelayReservations)
	gauge(descRelayCircuits, ns.RelayCircuits)
	counter(descRelayCircuitsTotal, ns.RelayCircuitsTotal)
	counter(descRelayRefused, ns.RelayReservationsRefused, "reservation")
	counter(descRelayRefused, ns.RelayCircuitsRefused, "circuit")
	ch <- prometheus.MustNewConstMetric(descRelayBytes, prometheus.CounterValue, float64(ns.RelayBytes))
	gauge(descReservationsHeld, ns.ReservationsHeld)
	counter(descHolePunch, ns.HolePunchSuccess, "success")
	counter(descHolePunch, ns.HolePunchFailure, "failure")
	counter(descHolePunch, ns.DirectDialSuccess, "direct")
}

// Server serves /metrics on its own address.
type Server struct {
	srv  *http.Server
	addr net.Addr
	done chan error
}

// ErrAddr: the metrics address cannot be listened on.
var ErrAddr = errors.New("metrics: cannot listen")

// Serve listens on addr (host:port; "127.0.0.1:0" picks a port) and serves
// src's metrics at /metrics in the Prometheus text format, with the Go
// runtime's and the process's own. It is opt-in: a node serves no metrics
// unless asked, and the address should be loopback or a private network,
// since the figures tell an observer how busy the coop is.
func Serve(addr string, src Source) (*Server, error) {
	reg := prometheus.NewRegistry()
	if err := reg.Register(NewCollector(src)); err != nil {
		return nil, err
	}
	reg.MustRegister(prometheus.NewGoCollector())
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%w on %q: %v", ErrAddr, addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	s := &Server{srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}, addr: ln.Addr(), done: make(chan error, 1)}
	go func() { s.done <- s.srv.Serve(ln) }()
	return s, nil
}

// Addr is the address it listens on.
func (s *Server) Addr() net.Addr { return s.addr }

// Close stops serving and waits for the server goroutine.
func (s *Server) Close() error {
	err := s.srv.Close()
	<-s.done
	return err
}
