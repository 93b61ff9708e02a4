package mobile

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/coopnode/coopnode/node"
	"github.com/coopnode/coopnode/node/httpapi"
)

// config is Start's configJSON (API.md, "Start"). Zero values pick the
// defaults below.
type config struct {
	Role      string   `json:"role"`      // "courier" or "customer" (default)
	Invite    string   `json:"invite"`    // the coop's invite; remembered in the data folder
	Bootstrap []string `json:"bootstrap"` // more peers to keep connected (multiaddrs with /p2p/)
	// Listen: absent means TCP and QUIC on every interface; [] makes a
	// dial-only node (a phone on a carrier's NAT cannot be reached anyway).
	Listen     []string `json:"listen"`
	MDNS       bool     `json:"mdns"`        // LAN discovery (needs a multicast lock on Android)
	MeshRouter bool     `json:"mesh_router"` // relay gossip like a full node (default: leaf)
	// NoNAT turns NAT traversal off: no reservations on the coop's
	// relays, no hole punching, no AutoNAT (node.WithNAT; default on).
	NoNAT bool `json:"no_nat"`

	MaxPeers                   int `json:"max_peers"`                       // default 8
	LowPowerMaxPeers           int `json:"low_power_max_peers"`             // default 2
	SyncSeconds                int `json:"sync_seconds"`                    // default 300
	LowPowerSyncSeconds        int `json:"low_power_sync_seconds"`          // default 900
	OnShiftLowPowerSyncSeconds int `json:"on_shift_low_power_sync_seconds"` // default 120
	CallTimeoutMs              int `json:"call_timeout_ms"`                 // default 15000

	JobRadiusM   int     `json:"job_radius_m"`   // default 5000
	BikeSpeedKmh float64 `json:"bike_speed_kmh"` // default 15: ETA estimates without a courier position

	// The state the app is in when it starts the node.
	AppState     string        `json:"app_state"` // "foreground" (default) or "background"
	LowPower     bool          `json:"low_power"`
	Connectivity *connectivity `json:"connectivity"`

	LogLevel string `json:"log_level"` // "", "debug", "info", "warn" or "error"; "" logs nothing

	// Tiles is the web app's map tile server (WebURL), an
	// OpenStreetMap-compatible template as for coopnode run -tiles; ""
	// draws the plain map and fetches nothing.
	Tiles            string `json:"tiles"`
	TilesAttribution string `json:"tiles_attribution"`
}

// connectivity is what the app knows about the device's network
// (SetConnectivity). Android 11+ forbids listing interfaces, so the app
// passes its own addresses (ConnectivityManager's LinkProperties), as
// Berty's native driver does.
type connectivity struct {
	Network string   `json:"network"` // "wifi", "cellular", "ethernet", "offline" or "unknown"
	Metered bool     `json:"metered"` // cellular counts as metered whatever this says
	Addrs   []string `json:"addrs"`   // the device's IP addresses, without ports
}

const (
	netWifi     = "wifi"
	netCellular = "cellular"
	netEthernet = "ethernet"
	netOffline  = "offline"
	netUnknown  = "unknown"

	appForeground = "foreground"
	appBackground = "background"
)

func (c connectivity) offline() bool { return c.Network == netOffline }
func (c connectivity) metered() bool { return c.Metered || c.Network == netCellular }

// check validates a connectivity report and parses its addresses.
func (c *connectivity) check() ([]net.IP, error) {
	if c.Network == "" {
		c.Network = netUnknown
	}
	switch c.Network {
	case netWifi, netCellular, netEthernet, netOffline, netUnknown:
	default:
		return nil, errorf(node.ErrBadArgument, "network %q: want wifi, cellular, ethernet, offline or unknown", c.Network)
	}
	if len(c.Addrs) > 32 {
		return nil, errorf(node.ErrBadArgument, "%d addrs, at most 32", len(c.Addrs))
	}
	var ips []net.IP
	for _, a := range c.Addrs {
		ip := net.ParseIP(strings.TrimSpace(a))
		if ip == nil {
			return nil, errorf(node.ErrBadArgument, "addr %q is not an IP address", a)
		}
		ips = append(ips, ip)
	}
	return ips, nil
}

func (c *config) applyDefaults() error {
	if c.Role == "" {
		c.Role = string(node.RoleCustomer)
	}
	if c.Role != string(node.RoleCourier) && c.Role != string(node.RoleCustomer) {
		return errorf(node.ErrBadArgument, "role %q: want courier or customer", c.Role)
	}
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.MaxPeers, 8)
	def(&c.LowPowerMaxPeers, 2)
	def(&c.SyncSeconds, 300)
	def(&c.LowPowerSyncSeconds, 900)
	def(&c.OnShiftLowPowerSyncSeconds, 120)
	def(&c.CallTimeoutMs, 15000)
	def(&c.JobRadiusM, 5000)
	if c.JobRadiusM > node.MaxJobRadiusM {
		return errorf(node.ErrBadArgument, "job_radius_m %d: at most %d", c.JobRadiusM, node.MaxJobRadiusM)
	}
	if c.BikeSpeedKmh <= 0 || c.BikeSpeedKmh > 100 {
		c.BikeSpeedKmh = 15
	}
	if c.AppState == "" {
		c.AppState = appForeground
	}
	if c.AppState != appForeground && c.AppState != appBackground {
		return errorf(node.ErrBadArgument, "app_state %q: want foreground or background", c.AppState)
	}
	if c.Connectivity == nil {
		c.Connectivity = &connectivity{Network: netUnknown}
	}
	if _, err := c.Connectivity.check(); err != nil {
		return err
	}
	if c.Tiles != "" {
		if err := httpapi.CheckTileURL(c.Tiles); err != nil {
			return errorf(node.ErrBadArgument, "tiles: %v", err)
		}
	}
	if c.Listen == nil {
		c.Listen = []string{
			"/ip4/0.0.0.0/tcp/0", "/ip6/::/tcp/0",
			"/ip4/0.0.0.0/udp/0/quic-v1", "/ip6/::/udp/0/quic-v1",
		}
	}
	return nil
}

func (c *config) callTimeout() time.Duration {
	return time.Duration(c.CallTimeoutMs) * time.Millisecond
}

func (c *config) logger() *slog.Logger {
	var lv slog.Level
	switch c.LogLevel {
	case "":
		return slog.New(slog.DiscardHandler)
	case "debug":
		lv = slog.LevelDebug
	case "info":
		lv = slog.LevelInfo
	case "warn":
		lv = slog.LevelWarn
	default:
		lv = slog.LevelError
	}
	// gomobile sends stderr to logcat on Android and to the console on iOS.
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lv}))
}

// Files in the data folder. identity.key and store/ are laid out as
// "coopnode init" lays them out, so a data folder can move between the CLI
// and the app.
const (
	keyFile    = "identity.key" // 32-byte Ed25519 seed, hex
	storeDir   = "store"        // go-ds-pebble
	inviteFile = "invite"       // the last invite the app passed
	unsentFile = "unsent.json"  // actions taken offline, not yet synced
)

// loadOrCreateKey reads the device key, creating it on first start.
func loadOrCreateKey(dir string) (ed25519.PrivateKey, error) {
	path := filepath.Join(dir, keyFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		seed := make([]byte, ed25519.SeedSize)
		if _, err := rand.Read(seed); err != nil {
			return nil, errorf(errInternal, "random seed: %v", err)
		}
		if err := writeFileAtomic(path, []byte(hex.EncodeToString(seed)+"\n")); err != nil {
			return nil, err
		}
		return ed25519.NewKeyFromSeed(seed), nil
	}
	if err != nil {
		return nil, errorf(errInternal, "read %s: %v", path, err)
	}
	seed, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, errorf(errInternal, "%s is not a 32-byte hex seed", path)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// writeFileAtomic writes a private file through a temporary file and a
// rename, so a crash leaves the old or the new content, never half.
func writeFileAtomic(path string, b []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return errorf(errInternal, "write %s: %v", path, err)
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return errorf(errInternal, "write %s: %v", path, err)
	}
	return nil
}

// resolveInvite returns the invite to use: the config's (remembered for
// the next start), else the one remembered from an earlier start.
func resolveInvite(dir, fromConfig string) (*node.Invite, error) {
	path := filepath.Join(dir, inviteFile)
	s := strings.TrimSpace(fromConfig)
	if s == "" {
		b, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		if err != nil {
			return nil, errorf(errInternal, "read %s: %v", path, err)
		}
		s = strings.TrimSpace(string(b))
	}
	inv, err := node.ParseInvite(s)
	if err != nil {
		return nil, errorf(node.ErrBadArgument, "invite: %v", err)
	}
	if fromConfig != "" {
		if err := writeFileAtomic(path, []byte(s+"\n")); err != nil {
			return nil, err
		}
	}
	return &inv, nil
}

// nodeRole maps the config's role to the node's (validated by applyDefaults).
func nodeRole(r string) node.Role {
	if r == string(node.RoleCourier) {
		return node.RoleCourier
	}
	return node.RoleCustomer
}
