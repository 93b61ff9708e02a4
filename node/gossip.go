package node

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
)

// Sentinel errors of the gossip layer.
var (
	// ErrGossipClosed is returned by gossip methods after close. It wraps
	// ErrClosed: the node was stopped.
	ErrGossipClosed = fmt.Errorf("node: gossip: %w", ErrClosed)
	// ErrBadTopic is returned for an empty topic name.
	ErrBadTopic = errors.New("node: bad topic name")
)

// gossipMsg is one message received from the network that passed the
// validator. From is the peer that forwarded it to us (not necessarily its
// author: events carry their own signatures).
type gossipMsg struct {
	Topic string
	From  peer.ID
	Data  []byte
}

// gossipConfig tunes the gossipsub router. Zero values mean coopnode's
// defaults (defaults.go: D=4, Dlo=3, Dhi=6, gossipsub's 1 s heartbeat),
// which suit a coop of a few hundred devices; benchmarks and tests
// override them.
type gossipConfig struct {
	D, Dlo, Dhi int
	Heartbeat   time.Duration
	// Dlazy and HistoryGossip override how many non-mesh peers get IHAVE
	// each heartbeat at least and for how many heartbeats a message is
	// announced (zero: coopnode's 3 and 1).
	Dlazy, HistoryGossip int
	// GossipFactor overrides the share of non-mesh peers sent IHAVE
	// (at least Dlazy of them); zero keeps coopnode's 1.
	GossipFactor float64
	// Leaf makes the node a non-relaying leaf (D=Dlo=Dhi=Dout=0): it keeps
	// no mesh (a GRAFT it accepts is pruned at the next heartbeat, and the
	// PRUNE backoff keeps that peer away for a minute), so it forwards
	// next to nothing and costs little battery. It still
	// receives messages that their publishers flood to it (flood publishing
	// sends a node's own messages to every subscribed peer) and, with up to
	// a heartbeat of extra latency, through IHAVE/IWANT gossip from mesh
	// nodes; the sync protocol covers anything missed. Meant for phones on
	// battery; leave it off on nodes that are plugged in.
	Leaf bool
	// ScoreInspectPeriod is how often peer scores are snapshotted for
	// peerScore; zero means defaultScoreInspect.
	ScoreInspectPeriod time.Duration
	// MaxMessageSize caps a pubsub message; zero keeps pubsub's 1 MiB.
	MaxMessageSize int
	// SubBuffer is each subscription's queue length; zero means
	// defaultSubBuffer.
	SubBuffer int
	// AppScore, if set, adds an application score (weight 1) per peer, for
	// example a bonus for devices of known members.
	AppScore func(peer.ID) float64
	Logger   *slog.Logger
	// OnGraft, if set, is called (without blocking) with every peer that
	// joins one of our meshes.
	OnGraft func(peer.ID)
	// Tracer, if set, is an extra pubsub RawTracer installed next to the
	// mesh tracer: benchmarks count pubsub-level bytes with it (see
	// WithGossipTracer). It runs on pubsub's event loop and must not block.
	Tracer pubsub.RawTracer
	// NoFloodPublish turns off flood publishing of our own messages
	// (SPEC.md §10.1 asks for it on); benchmarks measure its cost.
	NoFloodPublish bool
	// IDontWantThreshold, if positive, replaces gossipsub's size threshold
	// (1 KiB) above which a node tells its mesh peers IDONTWANT for a
	// message it already has; benchmarks measure lower values.
	IDontWantThreshold int
}

// Peer-score thresholds (gossipsub v1.1). Together with topicScoreParams
// they make invalid messages cheap to tolerate once and expensive after:
//
//   - one rejected message from a fresh peer: score -10, which is not below
//     gossipThreshold, so nothing changes (an honest bug or version skew);
//   - two: -40, below gossipThreshold: we stop exchanging IHAVE/IWANT
//     gossip with it, and heartbeats prune it from meshes (negative score);
//   - three: -90, below graylistThreshold: all its RPCs are ignored.
//
// Positive score is capped at topicScoreCap (25), so a long good history
// postpones the graylist by one message at most.
const (
	gossipThreshold   = -10
	publishThreshold  = -50
	graylistThreshold = -80
	// acceptPXThreshold: follow no gossipsub peer-exchange suggestion.
	// The node's role links (SPEC.md §10.7, topology.go) choose its
	// connections; PX, which connects a pruned peer to up to 16 others
	// whatever their role, tripled the connections of a 100-node coop
	// (mean degree 8.3 → 27) and raised bytes per delivery from 4.8 to
	// 6.1 × S in the bench. Nodes still send PX (SPEC.md §10.1).
	acceptPXThreshold = math.MaxFloat64
	// opportunisticGraftThreshold: when our mesh's median score is below
	// this, graft better peers.
	opportunisticGraftThreshold = 1
	topicScoreCap               = 25
	// invalidMessageWeight is P4's weight; P4 is the square of the decaying
	// count of rejected messages the peer forwarded.
	invalidMessageWeight = -10
)

// peerScoreThresholds returns the thresholds described above.
func peerScoreThresholds() *pubsub.PeerScoreThresholds {
	return &pubsub.PeerScoreThresholds{
		GossipThreshold:             gossipThreshold,
		PublishThreshold:            publishThreshold,
		GraylistThreshold:           graylistThreshold,
		AcceptPXThreshold:           acceptPXThreshold,
		OpportunisticGraftThreshold: opportunisticGraftThreshold,
	}
}

// peerScoreParams returns the router-wide score parameters. Topic params
// are not listed here: every topic gets topicScoreParams(topic) when it is
// joined (gossip.topicLocked), so new per-order topics are scored too.
//
// IP colocation (P6) is disabled: couriers on mobile data sit behind
// carrier-grade NAT and restaurants share a Wi-Fi, so many honest devices
// share one IP; coops are permissioned and events are signed, which
// limits what a Sybil flood could achieve anyway.
func peerScoreParams(app func(peer.ID) float64) *pubsub.PeerScoreParams {
	if app == nil {
		app = func(peer.ID) float64 { return 0 }
	}
	return &pubsub.PeerScoreParams{
		Topics:            map[string]*pubsub.TopicScoreParams{},
		TopicScoreCap:     topicScoreCap,
		AppSpecificScore:  app,
		AppSpecificWeight: 1,
		// P7 punishes broken IHAVE promises and re-grafting during backoff;
		// a few are normal on flaky mobile links.
		BehaviourPenaltyWeight:    -1,
		BehaviourPenaltyThreshold: 6,
		BehaviourPenaltyDecay:     pubsub.ScoreParameterDecay(10 * time.Minute),
		DecayInterval:             pubsub.DefaultDecayInterval,
		DecayToZero:               pubsub.DefaultDecayToZero,
		// Keep a disconnected peer's score for an hour so that reconnecting
		// does not launder a bad record.
		RetainScore: time.Hour,
	}
}

// topicScoreParams returns the score parameters for a topic. All coopnode
// topics carry signed events, so they are scored alike; the topic name is
// the argument so that per-kind tuning can come later without plumbing.
//
// P3/P3b (mesh delivery rate) stay off: order topics are quiet for minutes
// at a time, and delivery-rate penalties punish honest peers on quiet
// topics. P4 is what matters: a message our validator rejects (bad
// signature, malformed) is one an honest node would never forward,
// because honest nodes validate before forwarding.
func topicScoreParams(topic string) *pubsub.TopicScoreParams {
	_ = topic
	return &pubsub.TopicScoreParams{
		TopicWeight: 1,
		// P1: up to +3 for five minutes in our mesh.
		TimeInMeshWeight:  0.01,
		TimeInMeshQuantum: time.Second,
		TimeInMeshCap:     300,
		// P2: +1 per message first delivered by this peer, up to +20,
		// forgotten over an hour.
		FirstMessageDeliveriesWeight: 1,
		FirstMessageDeliveriesDecay:  pubsub.ScoreParameterDecay(time.Hour),
		FirstMessageDeliveriesCap:    20,
		// P4: see peerScoreThresholds; forgiven over an hour.
		InvalidMessageDeliveriesWeight: invalidMessageWeight,
		InvalidMessageDeliveriesDecay:  pubsub.ScoreParameterDecay(time.Hour),
	}
}

// msgID names a pubsub message by its content: the first 20 bytes of the
// SHA-256 of the data. Messages carry no author or sequence number
// (StrictNoSign), and the same event reaching us through two peers must be
// recognised as one message.
func msgID(m *pb.Message) string {
	sum := sha256.Sum256(m.GetData())
	return string(sum[:20])
}

// gossip owns a gossipsub router and the node's topic subscriptions. Each
// subscribed topic has one pump goroutine moving validated messages to the
// single msgs channel; close stops them all.
type gossip struct {
	h        host.Host
	ps       *pubsub.PubSub
	log      *slog.Logger
	validate func(ctx context.Context, from peer.ID, data []byte) pubsub.ValidationResult
	subBuf   int

	ctx    context.Context // cancelled by close; parent of pubsub's context
	cancel context.CancelFunc
	// msgs carries validated messages of every subscribed topic to the
	// node's loop; see messages.
	msgs chan gossipMsg
	// topicVals are per-topic validators (see setTopicValidator); g.mu.
	topicVals map[string]func(context.Context, peer.ID, []byte) pubsub.ValidationResult

	mu     sync.Mutex
	closed bool
	topics map[string]*gossipTopic
	wg     sync.WaitGroup // pumps

	scoreMu sync.RWMutex
	scores  map[peer.ID]float64

	mesh *meshTracer
}

// gossipTopic is one joined topic: always a pubsub handle and a validator;
// sub and the pump only once the node subscribed (join), not when the
// topic was only published to (fanout).
type gossipTopic struct {
	t      *pubsub.Topic
	sub    *pubsub.Subscription
	cancel context.CancelFunc // stops the pump
	done   chan struct{}      // closed when the pump has exited
}

// newGossip starts gossipsub on h. validate is called for every message,
// including our own publishes (from == h.ID()); it must return
// ValidationReject only for messages no honest node would forward (bad
// signature, malformed), because a reject counts against the forwarding
// peer's score. For messages it cannot judge yet (unknown parents, newer
// kinds) it should return ValidationIgnore, which drops without penalty.
// The router lives until close or until ctx is cancelled.
func newGossip(ctx context.Context, h host.Host, cfg gossipConfig,
	validate func(ctx context.Context, from peer.ID, data []byte) pubsub.ValidationResult,
) (*gossip, error) {
	if validate == nil {
		return nil, errors.New("node: gossip: nil validator")
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	params, err := gossipSubParams(cfg)
	if err != nil {
		return nil, err
	}
	inspect := cfg.ScoreInspectPeriod
	if inspect <= 0 {
		inspect = defaultScoreInspect
	}
	subBuf := cfg.SubBuffer
	if subBuf <= 0 {
		subBuf = defaultSubBuffer
	}

	gctx, cancel := context.WithCancel(ctx)
	g := &gossip{
		h:        h,
		log:      log,
		validate: validate,
		subBuf:   subBuf,
		ctx:      gctx,
		cancel:   cancel,
		msgs:     make(chan gossipMsg, subBuf),
		topics:   make(map[string]*gossipTopic),
		scores:   make(map[peer.ID]float64),
		mesh:     newMeshTracer(),
	}
	g.mesh.onGraft = cfg.OnGraft
	opts := []pubsub.Option{
		pubsub.WithGossipSubParams(params),
		// Events are signed by their authors; pubsub-level signatures
		// would only bind them to the relaying device and cost bytes.
		pubsub.WithMessageSignaturePolicy(pubsub.StrictNoSign),
		pubsub.WithNoAuthor(),
		pubsub.WithMessageIdFn(msgID),
		pubsub.WithPeerScore(peerScoreParams(cfg.AppScore), peerScoreThresholds()),
		// Must follow WithPeerScore.
		pubsub.WithPeerScoreInspect(pubsub.PeerScoreInspectFn(g.setScores), inspect),
		pubsub.WithPeerExchange(true),
		pubsub.WithFloodPublish(!cfg.NoFloodPublish),
		pubsub.WithRawTracer(g.mesh),
		pubsub.WithLogger(log),
	}
	if cfg.Tracer != nil {
		opts = append(opts, pubsub.WithRawTracer(cfg.Tracer))
	}
	if cfg.MaxMessageSize > 0 {
		opts = append(opts, pubsub.WithMaxMessageSize(cfg.MaxMessageSize))
	}
	ps, err := pubsub.NewGossipSub(gctx, h, opts...)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("node: gossipsub: %w", err)
	}
	g.ps = ps
	return g, nil
}

// gossipSubParams applies coopnode's defaults and cfg's overrides to
// gossipsub's defaults, keeping the derived degrees (Dout, Dscore)
// consistent with the router's validation rules: Dout < Dlo, Dout < D/2,
// Dscore <= Dhi.
func gossipSubParams(cfg gossipConfig) (pubsub.GossipSubParams, error) {
	p := pubsub.DefaultGossipSubParams()
	p.D, p.Dlo, p.Dhi = defaultD, defaultDlo, defaultDhi
	p.Dlazy, p.HistoryGossip, p.GossipFactor = defaultDlazy, defaultHistoryGossip, defaultGossipFactor
	if cfg.Heartbeat > 0 {
		p.HeartbeatInterval = cfg.Heartbeat
	}
	if cfg.IDontWantThreshold > 0 {
		p.IDontWantMessageThreshold = cfg.IDontWantThreshold
	}
	if cfg.Dlazy > 0 {
		p.Dlazy = cfg.Dlazy
	}
	if cfg.HistoryGossip > 0 {
		p.HistoryGossip = min(cfg.HistoryGossip, p.HistoryLength)
	}
	if cfg.GossipFactor > 0 {
		p.GossipFactor = min(cfg.GossipFactor, 1)
	}
	if cfg.Leaf {
		p.D, p.Dlo, p.Dhi, p.Dout, p.Dscore = 0, 0, 0, 0, 0
		return p, nil
	}
	if cfg.D > 0 {
		p.D = cfg.D
	}
	if cfg.Dlo > 0 {
		p.Dlo = cfg.Dlo
	}
	if cfg.Dhi > 0 {
		p.Dhi = cfg.Dhi
	}
	p.Dout = max(0, min(p.Dout, p.Dlo-1, p.D/2-1))
	p.Dscore = min(p.Dscore, p.Dhi)
	if p.D < 2 || p.Dlo > p.D || p.D > p.Dhi {
		return p, fmt.Errorf("node: gossipsub degrees D=%d Dlo=%d Dhi=%d: want 2 <= D and Dlo <= D <= Dhi",
			p.D, p.Dlo, p.Dhi)
	}
	return p, nil
}

// setScores is the score-inspect callback. pubsub calls it from a fresh
// goroutine every inspect period (and once more after the router stops),
// so it only swaps a map under a lock.
func (g *gossip) setScores(scores map[peer.ID]float64) {
	g.scoreMu.Lock()
	g.scores = scores
	g.scoreMu.Unlock()
}

// peerScore returns p's gossipsub score as of the last inspection (at most
// ScoreInspectPeriod old); 0 for peers the router does not know.
func (g *gossip) peerScore(p peer.ID) float64 {
	g.scoreMu.RLock()
	defer g.scoreMu.RUnlock()
	return g.scores[p]
}

// peerScores returns a copy of the last score snapshot, for diagnostics.
func (g *gossip) peerScores() map[peer.ID]float64 {
	g.scoreMu.RLock()
	defer g.scoreMu.RUnlock()
	out := make(map[peer.ID]float64, len(g.scores))
	for p, s := range g.scores {
		out[p] = s
	}
	return out
}

// messages returns the channel of validated messages from all subscribed
// topics (the same as g.msgs). It is never closed, so a reader selecting on
// it alongside its own shutdown signal cannot mistake a close for a
// message; after close nothing is sent on it. Our own publishes are not
// echoed on it.
func (g *gossip) messages() <-chan gossipMsg { return g.msgs }

// setTopicValidator makes topic use its own validator instead of the event
// validator. It must be called before the topic is joined or published to.
func (g *gossip) setTopicValidator(topic string, v func(ctx context.Context, from peer.ID, data []byte) pubsub.ValidationResult) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.topicVals == nil {
		g.topicVals = map[string]func(context.Context, peer.ID, []byte) pubsub.ValidationResult{}
	}
	g.topicVals[topic] = v
}

// join subscribes to topic: registers the validator, sets the topic's
// score parameters, subscribes and starts its pump. Joining a topic twice
// is a no-op.
func (g *gossip) join(topic string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	gt, err := g.topicLocked(topic)
	if err != nil {
		return err
	}
	if gt.sub != nil {
		return nil
	}
	sub, err := gt.t.Subscribe(pubsub.WithBufferSize(g.subBuf))
	if err != nil {
		return fmt.Errorf("node: subscribe %q: %w", topic, err)
	}
	ctx, cancel := context.WithCancel(g.ctx)
	gt.sub, gt.cancel, gt.done = sub, cancel, make(chan struct{})
	g.wg.Add(1)
	go g.pump(ctx, topic, sub, gt.done)
	return nil
}

// topicLocked returns the topic's handle, joining it in pubsub (validator
// and score parameters included) if needed. g.mu must be held.
func (g *gossip) topicLocked(topic string) (*gossipTopic, error) {
	if g.closed {
		return nil, ErrGossipClosed
	}
	if topic == "" {
		return nil, ErrBadTopic
	}
	if gt, ok := g.topics[topic]; ok {
		return gt, nil
	}
	validate := g.validate
	if v, ok := g.topicVals[topic]; ok { // a topic that carries something else than events
		validate = v
	}
	val := func(ctx context.Context, from peer.ID, m *pubsub.Message) pubsub.ValidationResult {
		return validate(ctx, from, m.GetData())
	}
	if err := g.ps.RegisterTopicValidator(topic, pubsub.ValidatorEx(val)); err != nil {
		return nil, fmt.Errorf("node: validator for %q: %w", topic, err)
	}
	t, err := g.ps.Join(topic)
	if err != nil {
		_ = g.ps.UnregisterTopicValidator(topic)
		return nil, fmt.Errorf("node: join %q: %w", topic, err)
	}
	if err := t.SetScoreParams(topicScoreParams(topic)); err != nil {
		_ = t.Close()
		_ = g.ps.UnregisterTopicValidator(topic)
		return nil, fmt.Errorf("node: score params for %q: %w", topic, err)
	}
	gt := &gossipTopic{t: t}
	g.topics[topic] = gt
	return gt, nil
}

// pump moves messages from one subscription to g.msgs until its context
// is cancelled (leave, close) or the subscription ends.
func (g *gossip) pump(ctx context.Context, topic string, sub *pubsub.Subscription, done chan<- struct{}) {
	defer g.wg.Done()
	defer close(done)
	self := g.h.ID()
	for {
		m, err := sub.Next(ctx)
		if err != nil {
			return
		}
		if m.ReceivedFrom == self {
			continue
		}
		select {
		case g.msgs <- gossipMsg{Topic: topic, From: m.ReceivedFrom, Data: m.GetData()}:
		case <-ctx.Done():
			return
		}
	}
}

// leave unsubscribes from topic and forgets it: the pump stops, the
// validator is removed and pubsub announces the unsubscription. Leaving a
// topic we are not in is a no-op.
func (g *gossip) leave(topic string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return ErrGossipClosed
	}
	gt, ok := g.topics[topic]
	if !ok {
		return nil
	}
	delete(g.topics, topic)
	return g.dropLocked(topic, gt)
}

// dropLocked stops a topic's pump and releases its pubsub resources.
func (g *gossip) dropLocked(topic string, gt *gossipTopic) error {
	var errs []error
	if gt.sub != nil {
		gt.cancel()
		// Cancel is synchronous with pubsub's event loop, so Close below
		// sees no subscription.
		gt.sub.Cancel()
		<-gt.done
	}
	if err := g.ps.UnregisterTopicValidator(topic); err != nil {
		errs = append(errs, err)
	}
	if err := gt.t.Close(); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("node: leave %q: %w", topic, err)
	}
	return nil
}

// publish sends data on topic. A topic we have not joined is joined
// without subscribing, so the message goes out through fanout peers. With
// flood publishing, the message goes to every peer known to subscribe to
// the topic whose score is above publishThreshold; right after start-up
// that may be nobody (see waitForPeers), which is why sync exists.
func (g *gossip) publish(ctx context.Context, topic string, data []byte) error {
	g.mu.Lock()
	gt, err := g.topicLocked(topic)
	g.mu.Unlock()
	if err != nil {
		return err
	}
	if err := gt.t.Publish(ctx, data); err != nil {
		return fmt.Errorf("node: publish on %q: %w", topic, err)
	}
	return nil
}

// peerJoins returns a handler of the peers that join topic (already
// joined), starting with those subscribed now; the caller cancels it.
func (g *gossip) peerJoins(topic string) (*pubsub.TopicEventHandler, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	gt, err := g.topicLocked(topic)
	if err != nil {
		return nil, err
	}
	return gt.t.EventHandler()
}

// topicPeers lists the connected peers known to subscribe to topic.
func (g *gossip) topicPeers(topic string) []peer.ID { return g.ps.ListPeers(topic) }

// meshPeers lists the peers in our mesh for topic (those we forward full
// messages to), as last reported by the router's graft/prune trace.
func (g *gossip) meshPeers(topic string) []peer.ID { return g.mesh.peers(topic) }

// waitForPeers polls until at least n peers subscribe to topic, or ctx
// ends. A publish right after subscribing reaches nobody until
// subscriptions have been exchanged, and the mesh only forms on
// heartbeats; tests and the CLI's "wait until online" use this.
func (g *gossip) waitForPeers(ctx context.Context, topic string, n int) error {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if len(g.ps.ListPeers(topic)) >= n {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("node: waiting for %d peers on %q: %w", n, topic, ctx.Err())
		case <-tick.C:
		}
	}
}

// waitForMesh is waitForPeers for the mesh: it polls until at least n
// peers are grafted for topic.
func (g *gossip) waitForMesh(ctx context.Context, topic string, n int) error {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if len(g.mesh.peers(topic)) >= n {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("node: waiting for mesh of %d on %q: %w", n, topic, ctx.Err())
		case <-tick.C:
		}
	}
}

// gossipProtocols are the stream protocols pubsub registers on the host.
var gossipProtocols = []protocol.ID{
	pubsub.GossipSubID_v13, pubsub.GossipSubID_v12, pubsub.GossipSubID_v11,
	pubsub.GossipSubID_v10, pubsub.FloodSubID,
}

// close stops every pump, cancels subscriptions and stops the router. It
// leaves msgs open (see messages). It is idempotent.
func (g *gossip) close() {
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return
	}
	g.closed = true
	topics := g.topics
	g.topics = nil
	for topic, gt := range topics {
		if err := g.dropLocked(topic, gt); err != nil {
			g.log.Debug("gossip close", "topic", topic, "err", err)
		}
	}
	g.mu.Unlock()
	g.cancel()
	g.wg.Wait()
	// The router's goroutines stop with its context, but its stream
	// handlers stay registered on the host, which may outlive us.
	for _, p := range gossipProtocols {
		g.h.RemoveStreamHandler(p)
	}
}

// meshTracer follows the router's GRAFT/PRUNE trace to know our meshes,
// which pubsub does not expose. Its methods run on pubsub's event loop, so
// they only touch a map under a lock.
type meshTracer struct {
	mu   sync.Mutex
	mesh map[string]map[peer.ID]struct{}
	// onGraft, if set, is told of every peer grafted into a mesh. It runs
	// on pubsub's event loop and MUST NOT block.
	onGraft func(peer.ID)
}

func newMeshTracer() *meshTracer {
	return &meshTracer{mesh: make(map[string]map[peer.ID]struct{})}
}

func (m *meshTracer) peers(topic string) []peer.ID {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]peer.ID, 0, len(m.mesh[topic]))
	for p := range m.mesh[topic] {
		out = append(out, p)
	}
	return out
}

func (m *meshTracer) Graft(p peer.ID, topic string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.mesh[topic]
	if s == nil {
		s = make(map[peer.ID]struct{})
		m.mesh[topic] = s
	}
	s[p] = struct{}{}
	if m.onGraft != nil {
		m.onGraft(p)
	}
}

func (m *meshTracer) Prune(p peer.ID, topic string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.mesh[topic], p)
}

func (m *meshTracer) Leave(topic string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.mesh, topic)
}

func (m *meshTracer) OnClosedOutboundStream(p peer.ID) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, s := range m.mesh {
		delete(s, p)
	}
}

func (m *meshTracer) OnNewOutboundStream(peer.ID, protocol.ID) {}
func (m *meshTracer) Join(string)                              {}
func (m *meshTracer) ValidateMessage(*pubsub.Message)          {}
func (m *meshTracer) DeliverMessage(*pubsub.Message)           {}
func (m *meshTracer) RejectMessage(*pubsub.Message, string)    {}
func (m *meshTracer) DuplicateMessage(*pubsub.Message)         {}
func (m *meshTracer) ThrottlePeer(peer.ID)                     {}
func (m *meshTracer) RecvRPC(*pubsub.RPC)                      {}
func (m *meshTracer) SendRPC(*pubsub.RPC, peer.ID)             {}
func (m *meshTracer) DropRPC(*pubsub.RPC, peer.ID)             {}
func (m *meshTracer) UndeliverableMessage(*pubsub.Message)     {}

var _ pubsub.RawTracer = (*meshTracer)(nil)
