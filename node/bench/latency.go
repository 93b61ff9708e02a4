package bench

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
)

// Link latency as a delay line.
//
// mocknet applies LinkOptions.Latency inside each stream's writer as
// stop-and-wait: once 256 bytes are buffered, a write waits until the
// previous one has "arrived". A stream then carries about one gossip RPC
// per latency period (25 a second at 40 ms), gossipsub's 32-RPC outbound
// queues overflow, and messages are dropped — a throughput cap of the
// simulator, not of any protocol. So by default the harness keeps
// mocknet's links at zero latency (bandwidth still applies) and delays
// every write on every stream of both runs by L in a delay line: the
// writer never waits, each write arrives L later, in order, and a
// connection's throughput is unlimited unless Bandwidth says otherwise.
// (-latency-model mocknet measures mocknet's own model instead.)

// delayHost wraps a host so that everything written on its streams, in
// both directions (it wraps the streams it opens and the ones it accepts),
// arrives delay later.
type delayHost struct {
	host.Host
	delay time.Duration

	mu      sync.Mutex
	closed  bool
	streams map[*delayStream]struct{}
}

func newDelayHost(h host.Host, delay time.Duration) *delayHost {
	return &delayHost{Host: h, delay: delay, streams: map[*delayStream]struct{}{}}
}

func (h *delayHost) wrap(s network.Stream) network.Stream {
	ds := &delayStream{Stream: s, h: h, delay: h.delay, done: make(chan struct{})}
	ds.cond = sync.NewCond(&ds.mu)
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		_ = s.Reset()
		return s
	}
	h.streams[ds] = struct{}{}
	h.mu.Unlock()
	go ds.run()
	return ds
}

func (h *delayHost) forget(ds *delayStream) {
	h.mu.Lock()
	delete(h.streams, ds)
	h.mu.Unlock()
}

func (h *delayHost) NewStream(ctx context.Context, p peer.ID, pids ...protocol.ID) (network.Stream, error) {
	s, err := h.Host.NewStream(ctx, p, pids...)
	if err != nil {
		return nil, err
	}
	return h.wrap(s), nil
}

func (h *delayHost) SetStreamHandler(pid protocol.ID, handler network.StreamHandler) {
	h.Host.SetStreamHandler(pid, func(s network.Stream) { handler(h.wrap(s)) })
}

func (h *delayHost) SetStreamHandlerMatch(pid protocol.ID, m func(protocol.ID) bool, handler network.StreamHandler) {
	h.Host.SetStreamHandlerMatch(pid, m, func(s network.Stream) { handler(h.wrap(s)) })
}

// Close stops every delay line, then closes the host.
func (h *delayHost) Close() error {
	h.mu.Lock()
	h.closed = true
	streams := h.streams
	h.streams = map[*delayStream]struct{}{}
	h.mu.Unlock()
	for ds := range streams {
		ds.stop(true)
	}
	return h.Host.Close()
}

var errStreamClosed = errors.New("bench: stream closed")

// delayStream queues writes and a goroutine writes each one to the real
// stream when its time has come.
type delayStream struct {
	network.Stream
	h     *delayHost
	delay time.Duration

	mu      sync.Mutex
	cond    *sync.Cond
	queue   []chunk
	closing bool  // no more writes; flush, then close
	stopped bool  // drop everything
	err     error // the first write error
	done    chan struct{}
}

type chunk struct {
	b  []byte
	at time.Time
}

func (s *delayStream) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.err != nil:
		return 0, s.err
	case s.closing || s.stopped:
		return 0, errStreamClosed
	}
	s.queue = append(s.queue, chunk{append([]byte(nil), p...), time.Now().Add(s.delay)})
	s.cond.Signal()
	return len(p), nil
}

// run delivers queued writes on time, until closed or stopped.
func (s *delayStream) run() {
	defer close(s.done)
	defer s.h.forget(s)
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		s.mu.Lock()
		for len(s.queue) == 0 && !s.closing && !s.stopped {
			s.cond.Wait()
		}
		if s.stopped || len(s.queue) == 0 {
			s.mu.Unlock()
			return
		}
		c := s.queue[0]
		s.queue = s.queue[1:]
		s.mu.Unlock()
		if d := time.Until(c.at); d > 0 {
			t.Reset(d)
			<-t.C // a delay line delivering on schedule, not a wait for a condition
		}
		if _, err := s.Stream.Write(c.b); err != nil {
			s.mu.Lock()
			s.err, s.queue = err, nil
			s.mu.Unlock()
			return
		}
	}
}

// stop ends the delay line; flush delivers what is queued first.
func (s *delayStream) stop(drop bool) {
	s.mu.Lock()
	if drop {
		s.stopped, s.queue = true, nil
	}
	s.closing = true
	s.cond.Broadcast()
	s.mu.Unlock()
	<-s.done
}

func (s *delayStream) CloseWrite() error {
	s.stop(false)
	return s.Stream.CloseWrite()
}

func (s *delayStream) Close() error {
	s.stop(false)
	return s.Stream.Close()
}

func (s *delayStream) Reset() error {
	s.stop(true)
	return s.Stream.Reset()
}

func (s *delayStream) ResetWithError(code network.StreamErrorCode) error {
	s.stop(true)
	return s.Stream.ResetWithError(code)
}
