// Package bench is coopnode's city-scale simulation (issue 7): a whole
// cooperative — a relay, restaurants, couriers and customers, each a real
// node.Node — in one process, on libp2p's mocknet with configurable link
// latency and bandwidth (or on real loopback TCP), driven through the whole
// order lifecycle at a given order rate while a share of the phones drops
// off the network and comes back. The same run then replays the same
// publication schedule (same N, graph, link latency, key type, message
// sizes, authors, times and outages) over plain gossipsub with default
// parameters, so the two are measured side by side, and against the
// physical floor: with L the link latency and H the smallest h with
// 6·Σ_{i<h} 5^i ≥ N−1, no gossip of fan-out 6 reaches N nodes before H·L
// (the run's own graph gives a second floor: its eccentricities × L).
//
// Why a separate package: the harness needs everything at once — many
// nodes, a fake network, byte counters, clocks and plots — and none of it
// may leak into the node itself. It drives nodes only through their public
// API; the only hooks it needs are the benchmark options of package node
// (node/bench_options.go: an extra gossipsub RawTracer to count bytes, and
// a few gossip knobs), so a measured node is a production node.
//
// The connections are the nodes' own by default (SPEC.md §10.7): every
// node starts with the relay's address (what an invite gives), any node
// may dial any other (mocknet links every pair), and each keeps the role
// links its role asks for, found by peer exchange. RandomGraph first
// connects one random graph of average degree Degree over all nodes and
// gives no bootstrap address; the nodes add the role links they lack.
// DrawnGraph connects the role graph of buildRoleGraph instead (the
// relay and the couriers keep Degree links to each other, every customer
// and restaurant LeafLinks to them) with the nodes' own links off. A
// churned node loses every link and may dial no one; when it comes back it
// redials its bootstrap peer (node.Reconnect) or its drawn neighbours. On
// loopback nothing stops an offline node's redials: churn there only
// closes connections. The figures of the graph (degree, floors) are of
// the connections when the measured phase began. The baseline runs on the
// same graph; the as-deployed baseline on a random graph of degree 8.
//
// Latency is a delay line (latency.go): mocknet's own LinkOptions.Latency
// is stop-and-wait per stream, which caps a stream at about one gossip
// RPC per L and makes gossipsub's outbound queues overflow; that would
// measure the simulator. Bandwidth is mocknet's.
//
// What is measured, and how (the definitions the report relies on):
//
//   - Propagation of an event: from the moment its author applied it (the
//     author's Change with Local set, just before it is handed to gossip)
//     until the last node that needs it applied it (its Change). One
//     process shares one clock, so the times are exact. Nodes that were
//     offline at any moment between publication and arrival are left out
//     of the latency (their copy came by the repair path); they still
//     count for the delivery ratio. An event waiting for a parent counts
//     until it is applied.
//   - Who needs an event: everyone for coop-log and catalogue events; for
//     an order's events its customer, its restaurant, the relay (it keeps
//     everything), every courier that claimed or holds it, and every other
//     courier that was online at some moment between the event (plus
//     250 ms, boardGrace, capped at the order's end) and the order's end
//     (the job board: a courier that dropped off at once and came back
//     after the order closed never needed it). Customers and restaurants
//     that are not party to an order do not need it.
//   - Delivery ratio: needed (event, node) pairs that the node applied by
//     the end of the run (after a drain period), over all needed pairs. A
//     catalogue document superseded by a newer version counts as delivered
//     when the newer one arrived.
//   - Bytes: every pubsub RPC a node receives is measured at the protobuf
//     level (its size plus its length prefix: "pubsub-level bytes",
//     control traffic included, transport framing and encryption
//     excluded). Each message copy and each IHAVE/IWANT/IDONTWANT entry is
//     attributed to its event; the rest (subscriptions, GRAFT/PRUNE,
//     framing) is overhead. bytes_per_event_ratio is (bytes attributed to
//     nodes that need the event or wrote it, plus all overhead) / (needed
//     deliveries · S). Party-push frames (SPEC.md §10.4) count as
//     message copies, each with its length prefix.
//     uninterested_bytes_per_event is what the other nodes received
//     because of an event, summed over them, per event.
//     Sync sessions are counted separately (repair_sync_bytes). For the
//     baseline every node needs every message; its uninterested figure
//     uses coopnode's needs (what one topic for everything costs).
//   - The sync figure: one courier is cut off for a while, then reconnects
//     to one peer and runs node.Sync; its SyncReport is the figure, d the
//     events that session fetched.
//   - apply_events_per_sec_per_core: decode, signature check, validation
//     and fold of every event of the run into a fresh replica, on one
//     goroutine, in chunks of 256 events as a sync frame brings them: each
//     chunk's signatures are checked as one batch (protocol.DecodeBatch),
//     then each event is validated and folded in turn.
//   - rss_mb_per_node: the process's peak resident set during the coopnode
//     phase divided by the number of nodes: an in-process average that
//     shares libraries and runtime, not what one phone would use.
//   - first_menu_ms / first_menu_bytes (firstmenu.go): after the run, a
//     new customer's node starts with the relay's invite; the time until
//     every restaurant's profile and current menu is displayable on it,
//     and the bytes its streams read meanwhile (gossip, sync, push; not
//     libp2p's identify nor transport framing), against the signed
//     profile and menu events it displays.
//   - claim outcomes are also split by whether the courier's node was
//     connected to the restaurant's when it claimed (the two targets).
//   - relay_cpu_share, relay_rss_mb and the courier's (day.go, proc.go,
//     a -day run only): Go accounts neither CPU time nor memory per
//     goroutine, so in one process one node's cost cannot be told apart.
//     With Config.ProcExe the relay and one more courier run as their own
//     `coopnode run` processes on loopback TCP (the founder is then an
//     admin's node in the harness), and the kernel's account of each
//     (/proc/PID/stat utime+stime, /proc/PID/status VmRSS, VmHWM,
//     RssAnon) is read over an idle window and over the orders. The day
//     figure scales it: idle rate all day plus CPU per order above idle
//     times the orders of a day, over 86,400 s.
//   - a city (-coops K, coops.go): K coops of N nodes at once on one
//     mocknet, each with its own relay and schedule; the relays are
//     connected to each other and every node follows the city directory
//     (SPEC.md §22). Each coop's figures, how far and how fast the coop
//     cards spread, and the process's CPU and peak RSS per node show
//     whether one node's cost stays flat as the city grows; all nodes
//     share the machine's CPUs, so cpu_busy_share near 1 means the
//     machine, not the protocol, sets the latencies.
//   - targets: every target of issues 7 and 18 with the measured value,
//     met, missed or not measured in this run (targets.go).
//   - cpu_busy_share: how busy the process's CPUs were during a phase. All
//     nodes share them; near 1, the simulator queues and latencies measure
//     the machine.
//
// Run is the entry point; `coopnode bench` prints its Result as a table and
// JSON, and writes an SVG picture (propagation CDF and bytes per node).
package bench
