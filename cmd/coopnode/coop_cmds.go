package main

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/node"
)

// The cooperative's commands: the node, the coop, its members and devices,
// and the restaurants' catalogues (SPEC.md §13).
func init() {
	getter := func(name, summary, path string, human func(io.Writer, []byte) error) {
		addClient(name, summary, "", 0, func(fs *flagSet) clientAction {
			return func(iv *invocation) error { return iv.call("GET", path, nil, human) }
		})
	}
	getter("status", "show the running node: peer, key, coop, counters", "/v1/status", fmtStatus)
	addClient("invite", "print the invite string of the node's cooperative (-qr: as a QR code in the terminal, -png FILE: as an image)", "[-qr] [-png FILE]", 0, func(fs *flagSet) clientAction {
		qr := fs.Bool("qr", false, "print the invite as a QR code too, in the terminal")
		png := fs.String("png", "", "write the invite as a QR code to this PNG file")
		return func(iv *invocation) error {
			return iv.call("GET", "/v1/invite", nil, func(w io.Writer, b []byte) error { return fmtInviteQR(w, b, *qr, *png) })
		}
	})
	getter("peers", "list connected peers: coop role, direct or relayed, transport, round trip", "/v1/peers", fmtPeers)
	getter("coop", "show the cooperative's members and roles", "/v1/coop", fmtCoop)
	getter("restaurants", "list restaurants with their profiles and menus", "/v1/restaurants", fmtRestaurants)

	addClient("found", "found a cooperative (this node becomes its first admin)", "-name NAME [flags]", 0, func(fs *flagSet) clientAction {
		name := fs.String("name", "", "cooperative name (required)")
		city := fs.String("city", "", "city")
		cur := fs.String("currency", "EUR", "currency")
		tz := fs.String("timezone", "Europe/Paris", "timezone")
		return func(iv *invocation) error {
			if *name == "" {
				return usagef("-name is required: the cooperative's name")
			}
			return iv.call("POST", "/v1/coop/found", map[string]any{"name": *name, "city": *city, "currency": *cur, "timezone": *tz}, fmtFound)
		}
	})
	addClient("connect", "connect to a peer by its ID, directly or through the coop's relay (hole punching may then make the link direct)", "-peer PEER_ID", 0, func(fs *flagSet) clientAction {
		id := fs.String("peer", "", "the peer's ID, as 'coopnode status' prints it (required)")
		return func(iv *invocation) error {
			if *id == "" {
				return usagef("-peer is required: the peer ID 'coopnode status' prints on the other node")
			}
			return iv.call("POST", "/v1/peers/connect", map[string]any{"peer": *id}, func(w io.Writer, b []byte) error {
				m, err := asObj(b)
				if err == nil {
					_, err = fmt.Fprintf(w, "connected to %s: %s over %s (%s)\n", str(m, "peer_id"), str(m, "link"), str(m, "transport"), str(m, "addr"))
				}
				return err
			})
		}
	})
	addClient("join", "join a cooperative with an invite string (one more coop when the node already follows one: the folder then follows several)", "-invite INVITE", 0, func(fs *flagSet) clientAction {
		inv := fs.String("invite", "", "invite string (required)")
		return func(iv *invocation) error {
			if *inv == "" {
				return usagef("-invite is required: the string 'coopnode invite' prints on a member's node")
			}
			return iv.call("POST", "/v1/coop/join", map[string]any{"invite": *inv}, func(w io.Writer, b []byte) error {
				m, err := asObj(b)
				if err == nil {
					_, err = fmt.Fprintf(w, "following cooperative %s\n", str(m, "coop"))
					if k := str(m, "key"); err == nil && k != "" {
						_, err = fmt.Fprintf(w, "this folder's key in it: %s\n", k)
					}
				}
				return err
			})
		}
	})
	addClient("admit", "admit a member or change its roles (admins)", "-member KEY -roles ROLE,... [-name NAME] [-credential FILE]", 0, func(fs *flagSet) clientAction {
		m := fs.String("member", "", "the member's key, hex or an unambiguous prefix of a known member (required)")
		roles := fs.String("roles", "", "comma-separated: courier, dispatcher, admin, restaurant, shop (required)")
		name := fs.String("name", "", "display name")
		cred := fs.String("credential", "", "a work record credential from another coop, checked before admitting (SPEC.md §21.5)")
		return func(iv *invocation) error {
			if *m == "" {
				return usagef("-member is required: the key 'coopnode status' prints on the new member's node")
			}
			rs, err := parseRoles(*roles)
			if err != nil {
				return err
			}
			key, err := memberOrNew(iv, "member", *m)
			if err != nil {
				return err
			}
			body := map[string]any{"member": key, "roles": rs, "name": *name}
			if *cred != "" {
				raw, err := readCredential(*cred)
				if err != nil {
					return err
				}
				body["credential"] = json.RawMessage(raw)
			}
			return iv.call("POST", "/v1/coop/members", body, fmtAdmitted)
		}
	})
	addClient("revoke", "revoke a member (admins): its keys stop acting for the coop", "-member KEY [-reason WHY]", 0, func(fs *flagSet) clientAction {
		m := fs.String("member", "", "the member's key, hex or unambiguous prefix (required)")
		reason := fs.String("reason", "", "why, recorded in the coop's log")
		return func(iv *invocation) error {
			if *m == "" {
				return usagef("-member is required: the key of the member to revoke")
			}
			key, err := iv.member("member", *m)
			if err != nil {
				return err
			}
			return iv.call("POST", "/v1/coop/members/revoke", map[string]any{"member": key, "reason": *reason}, fmtDone)
		}
	})
	addClient("link-device", "link a device key to a member, so the device acts for it", "-member KEY -device KEY [-label LABEL]", 0, func(fs *flagSet) clientAction {
		m := fs.String("member", "", "the member's key, hex or unambiguous prefix (required)")
		d := fs.String("device", "", "the device's key, 64 hex characters (required)")
		label := fs.String("label", "", "a name for the device, such as 'phone'")
		return func(iv *invocation) error {
			key, device, err := iv.memberDevice(*m, *d)
			if err != nil {
				return err
			}
			return iv.call("POST", "/v1/coop/devices", map[string]any{"member": key, "device": device, "label": *label}, fmtDone)
		}
	})
	addClient("revoke-device", "revoke a member's linked device key (a lost phone)", "-member KEY -device KEY", 0, func(fs *flagSet) clientAction {
		m := fs.String("member", "", "the member's key, hex or unambiguous prefix (required)")
		d := fs.String("device", "", "the device's key, 64 hex characters (required)")
		return func(iv *invocation) error {
			key, device, err := iv.memberDevice(*m, *d)
			if err != nil {
				return err
			}
			return iv.call("POST", "/v1/coop/devices/revoke", map[string]any{"member": key, "device": device}, fmtDone)
		}
	})
	fileCommand("profile", "publish this restaurant's profile from a JSON file", "PUT", "/v1/catalog/profile", published("profile"))
	fileCommand("menu", "publish this restaurant's menu from a JSON file", "PUT", "/v1/catalog/menu", published("menu"))
}

// memberOrNew takes a full key as it is (admitting a new member, who is
// not in the member list yet) and resolves a prefix of a known one.
func memberOrNew(iv *invocation, flagName, v string) (string, error) {
	if len(v) == 64 {
		return v, checkKey("-"+flagName, v)
	}
	k, err := iv.member(flagName, v)
	if errors.Is(err, node.ErrUnknown) {
		return "", cliErrorf(node.ErrUnknown, "%v; a new member needs its full key, which 'coopnode status -field key' prints on its node", err)
	}
	return k, err
}

func checkKey(what, s string) error {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != ed25519.PublicKeySize {
		return usagef("%s %q: want 64 hex characters", what, s)
	}
	return nil
}

func parseRoles(s string) ([]string, error) {
	rs := splitList(s)
	if len(rs) == 0 {
		return nil, usagef("-roles is required: comma-separated courier, dispatcher, admin, restaurant, shop")
	}
	for _, r := range rs {
		if _, ok := crdt.ParseRole(r); !ok {
			return nil, usagef("-roles: unknown role %q (want courier, dispatcher, admin, restaurant or shop)", r)
		}
	}
	return rs, nil
}

// published is the text answer of a publication.
func published(what string) func(io.Writer, []byte) error {
	return func(w io.Writer, b []byte) error {
		m, err := asObj(b)
		if err != nil {
			return err
		}
		if v, ok := m["version"]; ok {
			what += fmt.Sprintf(" version %v", v)
		}
		_, err = fmt.Fprintf(w, "published the %s\n", what)
		return err
	}
}

// fileCommand sends a JSON object read from -file.
func fileCommand(name, summary, method, path string, human func(io.Writer, []byte) error) {
	fileCommandAs(name, summary, "FILE.json", "JSON file holding one object (required)", method, path, human)
}

// fileCommandAs is fileCommand with the synopsis's file name and the
// -file flag's help given.
func fileCommandAs(name, summary, fileName, fileHelp, method, path string, human func(io.Writer, []byte) error) {
	addClient(name, summary, "-file "+fileName, 0, func(fs *flagSet) clientAction {
		file := fs.String("file", "", fileHelp)
		return func(iv *invocation) error {
			body, err := readJSONObject(*file)
			if err != nil {
				return err
			}
			return iv.call(method, path, body, human)
		}
	})
}

// memberDevice checks the -member and -device flags of link-device and
// revoke-device: both given, the device a full key; it returns the
// member's resolved key and the device key in lower case.
func (iv *invocation) memberDevice(member, device string) (key, dev string, err error) {
	if member == "" || device == "" {
		return "", "", usagef("-member and -device are required")
	}
	if err := checkKey("-device", device); err != nil {
		return "", "", err
	}
	key, err = iv.member("member", member)
	if err != nil {
		return "", "", err
	}
	return key, strings.ToLower(device), nil
}
