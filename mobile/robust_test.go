package mobile

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// jsonMethods lists the façade's methods that take one JSON string.
func jsonMethods(m *Node) map[string]func(string) (string, error) {
	out := map[string]func(string) (string, error){}
	v := reflect.ValueOf(m)
	t := v.Type()
	for i := 0; i < t.NumMethod(); i++ {
		meth := t.Method(i)
		if f, ok := v.Method(i).Interface().(func(string) (string, error)); ok {
			out[meth.Name] = f
		}
	}
	return out
}

var badInputs = []string{
	"{", "[]", "null", "42", `"x"`, `{"unknown_field":1}`, `{} {}`, `{"order":"zz"}`,
	`{"order":"` + strings.Repeat("0", 64) + `"}`, `{"order":12}`, `{"position":{"lat_e6":999999999,"lon_e6":0}}`,
	`{"lat_e6":"north"}`, `{"radius_m":-5}`, `{"items":[{"product":"x","quantity":-1}]}`,
	`{"restaurant":"` + strings.Repeat("f", 64) + `","items":[]}`, `{"proof":{"photo_sha256":"abc"}}`,
	`{"task":"lunch"}`, `{"timeout_ms":-1}`, "\x00\xff", strings.Repeat("[", 100000),
}

// TestBadJSONNeverPanics: every JSON method answers garbage with a coded
// error (or, for all-optional requests, a valid answer), never a panic,
// and a stopped node answers "stopped".
func TestBadJSONNeverPanics(t *testing.T) {
	f := newFixture(t)
	for _, role := range []string{"courier", "customer"} {
		m, _ := f.phone(t.TempDir(), role, nil)
		methods := jsonMethods(m)
		if len(methods) < 19 {
			t.Fatalf("found only %d JSON methods", len(methods))
		}
		for name, call := range methods {
			for _, in := range badInputs {
				if name == "AwaitClaim" && strings.Contains(in, `"order":"000`) {
					continue // a well-formed wait on an unknown order waits its full time-out
				}
				out, err := call(in)
				if err != nil {
					code, _, ok := strings.Cut(err.Error(), ":")
					if !ok || strings.Contains(code, " ") || code == codeInternal {
						t.Errorf("%s(%.40q): error without a proper code: %v", name, in, err)
					}
					continue
				}
				if !json.Valid([]byte(out)) {
					t.Errorf("%s(%.40q): answer is not JSON: %s", name, in, out)
				}
			}
		}
		for _, in := range []string{"{", `{"network":"wifi","addrs":[1]}`, `{"network":"wifi","extra":true}`} {
			if err := m.SetConnectivity(in); err == nil || !strings.HasPrefix(err.Error(), codeBadJSON+":") {
				t.Errorf("SetConnectivity(%q): %v", in, err)
			}
		}
		must(t, m.Stop())
		must(t, m.Stop()) // twice is fine
		for name, call := range methods {
			if _, err := call("{}"); err == nil || !strings.HasPrefix(err.Error(), codeStopped+":") {
				t.Errorf("%s after Stop: %v", name, err)
			}
		}
		if err := m.SetLowPower(true); err == nil || !strings.HasPrefix(err.Error(), codeStopped+":") {
			t.Errorf("SetLowPower after Stop: %v", err)
		}
	}
}

// TestStartErrors: bad configs fail with coded errors and leave nothing
// running.
func TestStartErrors(t *testing.T) {
	t.Cleanup(leakCheck(t))
	dir := t.TempDir()
	for _, tc := range []struct{ cfg, code string }{
		{`{`, codeBadJSON},
		{`{"role":"chef"}`, codeBadArgument},
		{`{"colour":"red"}`, codeBadJSON},
		{`{"invite":"coopnode1:nope"}`, codeBadArgument},
		{`{"bootstrap":["/ip4/127.0.0.1/tcp/1"]}`, codeBadArgument},
		{`{"connectivity":{"network":"5g"}}`, codeBadArgument},
		{`{"app_state":"asleep"}`, codeBadArgument},
		{`{"job_radius_m":100001}`, codeBadArgument}, // node.Jobs would refuse every search (issue 12.7)
		{`null`, codeBadJSON},
		{`{"listen":[]}`, codeNoCoop}, // no invite, nothing remembered
	} {
		m, err := Start(dir, tc.cfg, nil)
		if err == nil {
			_ = m.Stop()
			t.Fatalf("Start(%s) worked", tc.cfg)
		}
		if !strings.HasPrefix(err.Error(), tc.code+":") {
			t.Errorf("Start(%s): %v, want code %s", tc.cfg, err, tc.code)
		}
	}
	if _, err := Start("", "{}", nil); err == nil || !strings.HasPrefix(err.Error(), codeBadArgument+":") {
		t.Errorf("Start without a data folder: %v", err)
	}
}

// TestCallbackPanics: a callback that panics does not take the node down.
func TestCallbackPanics(t *testing.T) {
	f := newFixture(t)
	b, _ := json.Marshal(map[string]any{"role": "customer", "invite": f.admin.Invite().String(), "listen": []string{"/ip4/127.0.0.1/tcp/0"}})
	m, err := Start(t.TempDir(), string(b), panicky{})
	must(t, err)
	t.Cleanup(func() { _ = m.Stop() })
	f.eventually("online despite panicking callbacks", func() bool { return status(t, m).Connection.State == "online" })
}

type panicky struct{}

func (panicky) OnJobNearby([]byte)       { panic("app bug") }
func (panicky) OnClaimResult([]byte)     { panic("app bug") }
func (panicky) OnOrderUpdate([]byte)     { panic("app bug") }
func (panicky) OnConnectionState([]byte) { panic("app bug") }
