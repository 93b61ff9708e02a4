package node

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/coopnode/coopnode/crdt"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/multiformats/go-multiaddr"
)

// Invite format. An invite is what a coop member shares (QR code, chat
// message) so a new device can find the coop: the coop's ID and a few
// multiaddrs of nodes to bootstrap from. It is not a secret and grants
// nothing: membership is decided by signed events, so the format only has
// to be compact, copy-paste safe and strictly parsed.
//
//	"coopnode1:" base64url-nopad(
//	    version  byte = 1
//	    coop     [32]byte
//	    count    byte (0..16)
//	    count × { length uvarint (minimal); multiaddr [length]byte }
//	)
//
// Every multiaddr must have a transport part and end in /p2p/<peer ID>,
// so the dialer can authenticate whom it reached. Parsing accepts exactly
// one encoding per invite (canonical base64 and varints, no trailing bytes,
// no duplicates), so String(ParseInvite(s)) == s.
const (
	invitePrefix     = "coopnode1:"
	inviteVersion    = 1
	maxInviteLen     = 4 << 10
	maxInviteAddrs   = 16
	maxInviteAddrLen = 1 << 10
)

// ErrBadInvite is returned by ParseInvite and Invite.Validate for anything
// that is not a well-formed invite.
var ErrBadInvite = errors.New("node: bad invite")

var inviteEncoding = base64.RawURLEncoding.Strict()

// Invite carries a cooperative's ID and bootstrap addresses.
type Invite struct {
	Coop      crdt.ID
	Bootstrap []multiaddr.Multiaddr
}

// String encodes the invite. An invite that fails Validate still encodes,
// but ParseInvite will reject the result.
func (inv Invite) String() string {
	b := make([]byte, 0, 64+64*len(inv.Bootstrap))
	b = append(b, inviteVersion)
	b = append(b, inv.Coop[:]...)
	b = append(b, byte(min(len(inv.Bootstrap), 255)))
	for i, m := range inv.Bootstrap {
		if i == 255 {
			break
		}
		mb := m.Bytes()
		b = binary.AppendUvarint(b, uint64(len(mb)))
		b = append(b, mb...)
	}
	return invitePrefix + inviteEncoding.EncodeToString(b)
}

// Validate checks the rules ParseInvite enforces: a non-zero coop ID, at
// most 16 distinct addresses, each with a transport and a /p2p/ peer ID,
// and an encoding within 4 KiB.
func (inv Invite) Validate() error {
	if inv.Coop.IsZero() {
		return fmt.Errorf("%w: zero coop ID", ErrBadInvite)
	}
	if len(inv.Bootstrap) > maxInviteAddrs {
		return fmt.Errorf("%w: %d addresses, at most %d", ErrBadInvite, len(inv.Bootstrap), maxInviteAddrs)
	}
	seen := make(map[string]bool, len(inv.Bootstrap))
	for _, m := range inv.Bootstrap {
		if err := checkBootstrapAddr(m); err != nil {
			return err
		}
		if len(m.Bytes()) > maxInviteAddrLen {
			return fmt.Errorf("%w: address longer than %d bytes", ErrBadInvite, maxInviteAddrLen)
		}
		k := string(m.Bytes())
		if seen[k] {
			return fmt.Errorf("%w: duplicate address %s", ErrBadInvite, m)
		}
		seen[k] = true
	}
	if n := len(inv.String()); n > maxInviteLen {
		return fmt.Errorf("%w: %d characters, at most %d", ErrBadInvite, n, maxInviteLen)
	}
	return nil
}

// checkBootstrapAddr requires a transport part followed by a valid
// /p2p/<peer ID> as the last component.
func checkBootstrapAddr(m multiaddr.Multiaddr) error {
	if len(m) == 0 {
		return fmt.Errorf("%w: empty address", ErrBadInvite)
	}
	transport, id := peer.SplitAddr(m)
	if id == "" {
		return fmt.Errorf("%w: address %s does not end in /p2p/<peer ID>", ErrBadInvite, m)
	}
	if len(transport) == 0 {
		return fmt.Errorf("%w: address %s has no transport", ErrBadInvite, m)
	}
	if err := id.Validate(); err != nil {
		return fmt.Errorf("%w: address %s: %w", ErrBadInvite, m, err)
	}
	return nil
}

// AddrInfos groups the bootstrap addresses by peer, for dialing.
func (inv Invite) AddrInfos() ([]peer.AddrInfo, error) {
	ais, err := peer.AddrInfosFromP2pAddrs(inv.Bootstrap...)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadInvite, err)
	}
	return ais, nil
}

// ParseInvite decodes and validates an invite string. Surrounding
// whitespace is trimmed (invites get pasted); nothing else is forgiven.
func ParseInvite(s string) (Invite, error) {
	var inv Invite
	s = strings.TrimSpace(s)
	if len(s) > maxInviteLen {
		return inv, fmt.Errorf("%w: %d characters, at most %d", ErrBadInvite, len(s), maxInviteLen)
	}
	body, ok := strings.CutPrefix(s, invitePrefix)
	if !ok {
		return inv, fmt.Errorf("%w: missing %q prefix", ErrBadInvite, invitePrefix)
	}
	b, err := inviteEncoding.DecodeString(body)
	if err != nil {
		return inv, fmt.Errorf("%w: %w", ErrBadInvite, err)
	}
	if len(b) < 1+len(inv.Coop)+1 {
		return inv, fmt.Errorf("%w: truncated", ErrBadInvite)
	}
	if b[0] != inviteVersion {
		return inv, fmt.Errorf("%w: version %d", ErrBadInvite, b[0])
	}
	copy(inv.Coop[:], b[1:])
	b = b[1+len(inv.Coop):]
	count := int(b[0])
	b = b[1:]
	if count > maxInviteAddrs {
		return Invite{}, fmt.Errorf("%w: %d addresses, at most %d", ErrBadInvite, count, maxInviteAddrs)
	}
	if count > 0 {
		inv.Bootstrap = make([]multiaddr.Multiaddr, 0, count)
	}
	for i := range count {
		n, w := binary.Uvarint(b)
		if w <= 0 {
			return Invite{}, fmt.Errorf("%w: address %d: bad length", ErrBadInvite, i)
		}
		var canon [binary.MaxVarintLen64]byte
		if binary.PutUvarint(canon[:], n) != w {
			return Invite{}, fmt.Errorf("%w: address %d: non-minimal length", ErrBadInvite, i)
		}
		b = b[w:]
		if n == 0 || n > maxInviteAddrLen || n > uint64(len(b)) {
			return Invite{}, fmt.Errorf("%w: address %d: length %d", ErrBadInvite, i, n)
		}
		raw := b[:n]
		b = b[n:]
		m, err := multiaddr.NewMultiaddrBytes(raw)
		if err != nil {
			return Invite{}, fmt.Errorf("%w: address %d: %w", ErrBadInvite, i, err)
		}
		if !bytes.Equal(m.Bytes(), raw) {
			return Invite{}, fmt.Errorf("%w: address %d: non-canonical", ErrBadInvite, i)
		}
		inv.Bootstrap = append(inv.Bootstrap, m)
	}
	if len(b) != 0 {
		return Invite{}, fmt.Errorf("%w: %d trailing bytes", ErrBadInvite, len(b))
	}
	if err := inv.Validate(); err != nil {
		return Invite{}, err
	}
	return inv, nil
}
