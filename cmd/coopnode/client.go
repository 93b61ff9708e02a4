package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/coopnode/coopnode/node"
)

// Client subcommands drive a running node through its HTTP API
// (SPEC.md §13), using the token and address in the node's data folder.

// apiClient talks to the node whose data folder is dir.
type apiClient struct {
	dir, base, token string
	http             *http.Client
}

func newClient(dir string) (*apiClient, error) {
	_, cfg, err := loadData(dir)
	if err != nil {
		return nil, err
	}
	addr, err := os.ReadFile(filepath.Join(dir, apiFile))
	if err != nil {
		return nil, errNoNode(dir)
	}
	return &apiClient{dir: dir, base: "http://" + strings.TrimSpace(string(addr)), token: cfg.Token, http: &http.Client{Timeout: 40 * time.Second}}, nil
}

// errNoNode: nothing answers for dir, whether no node ever ran there or
// its api.addr outlived it (a crash, kill -9). Code "stopped".
func errNoNode(dir string) error {
	return cliErrorf(node.ErrClosed, "no running node for %s: start it with 'coopnode run -data %s'", dir, dir)
}

// apiError is an error answer of the node's API.
type apiError struct {
	Status int
	Msg    string `json:"error"`
	Code   string `json:"code"`
	Field  string `json:"field"`
	Detail string `json:"detail"`
}

// Error is the message, with the field at fault; realMain prints the code
// before it.
func (e *apiError) Error() string {
	msg := e.Msg
	if e.Field != "" && !strings.Contains(msg, e.Field) {
		msg = e.Field + ": " + msg
	}
	if e.Detail != "" && !strings.Contains(msg, e.Detail) {
		msg += ": " + e.Detail
	}
	return msg
}

// do sends a request and returns the answer's body, or the API's error.
func (c *apiClient) do(ctx context.Context, method, path string, body any) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		if errors.Is(err, syscall.ECONNREFUSED) {
			// api.addr outlived its node (a crash or kill -9)
			return nil, errNoNode(c.dir)
		}
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 300 {
		e := &apiError{Status: resp.StatusCode}
		if json.Unmarshal(b, e) == nil && e.Msg != "" {
			return nil, e
		}
		return nil, fmt.Errorf("HTTP %d: %s", resp.StatusCode, b)
	}
	return b, nil
}

// getJSON decodes a GET answer into v.
func (c *apiClient) getJSON(ctx context.Context, path string, v any) error {
	b, err := c.do(ctx, "GET", path, nil)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// resolveOrder turns an order ID or any unambiguous prefix of one (as the
// demo and the readable output print them) into the full ID.
func (c *apiClient) resolveOrder(ctx context.Context, s string) (string, error) {
	if err := checkHexPrefix("order ID", s); err != nil {
		return "", err
	}
	s = strings.ToLower(s)
	if len(s) == 64 {
		return s, nil
	}
	var orders []struct {
		ID string `json:"id"`
	}
	if err := c.getJSON(ctx, "/v1/orders", &orders); err != nil {
		return "", err
	}
	var ids []string
	for _, o := range orders {
		ids = append(ids, o.ID)
	}
	return pickPrefix("order", s, ids)
}

// resolveMember turns a member key or an unambiguous prefix of one into
// the full key, from the cooperative's member list.
func (c *apiClient) resolveMember(ctx context.Context, flagName, s string) (string, error) {
	if err := checkHexPrefix("-"+flagName, s); err != nil {
		return "", err
	}
	s = strings.ToLower(s)
	if len(s) == 64 {
		return s, nil
	}
	var coop struct {
		Members map[string]json.RawMessage `json:"members"`
	}
	if err := c.getJSON(ctx, "/v1/coop", &coop); err != nil {
		return "", fmt.Errorf("-%s %s: a short key needs the coop's member list: %w", flagName, s, err)
	}
	var keys []string
	for k := range coop.Members {
		keys = append(keys, k)
	}
	return pickPrefix("member", s, keys)
}

// minPrefix is the shortest ID prefix accepted.
const minPrefix = 4

func checkHexPrefix(what, s string) error {
	if _, err := hex.DecodeString(s + strings.Repeat("0", len(s)%2)); err != nil || len(s) > 64 {
		return usagef("%s %q: want hex, 64 characters or an unambiguous prefix of at least %d", what, s, minPrefix)
	}
	if len(s) < minPrefix {
		return usagef("%s %q is too short: give at least %d hex characters", what, s, minPrefix)
	}
	return nil
}

func pickPrefix(what, prefix string, all []string) (string, error) {
	var hits []string
	for _, id := range all {
		if strings.HasPrefix(id, prefix) {
			hits = append(hits, id)
		}
	}
	switch len(hits) {
	case 1:
		return hits[0], nil
	case 0:
		return "", cliErrorf(node.ErrUnknown, "no %s starting with %s on this node", what, prefix)
	}
	short := make([]string, 0, 3)
	for _, h := range hits[:min(3, len(hits))] {
		short = append(short, h[:min(len(h), len(prefix)+4)])
	}
	return "", cliErrorf(node.ErrBadArgument, "%s %s is ambiguous: %d %ss start with it (%s…); give more characters", what, prefix, len(hits), what, strings.Join(short, ", "))
}
