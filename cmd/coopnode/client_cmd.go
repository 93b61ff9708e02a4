package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/coopnode/coopnode/node"
)

// clientCommands are the commands that drive a running node. Files add
// theirs in init with addClient.
var clientCommands = map[string]command{}

// invocation is one run of a client command: its parsed flags and
// positional arguments, and a connection made on first use.
type invocation struct {
	ctx   context.Context
	name  string
	dir   string
	args  []string // positional arguments as given
	out   io.Writer
	json  bool
	field string
	c     *apiClient
}

// clientAction runs a client command once its flags are parsed.
type clientAction func(iv *invocation) error

// addClient registers a client command: setup declares its flags (beyond
// -data, -json and -field) and returns what it does; npos positional
// arguments (order IDs, named in synopsis) are required.
func addClient(name, summary, synopsis string, npos int, setup func(fs *flagSet) clientAction) {
	clientCommands[name] = command{summary, "-data DIR " + synopsis, func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		fs := newFlags(name, stderr)
		iv := &invocation{ctx: ctx, name: name, out: stdout}
		fs.StringVar(&iv.dir, "data", "", "data folder of the running node (required)")
		fs.BoolVar(&iv.json, "json", false, "print the node's JSON answer instead of text")
		fs.StringVar(&iv.field, "field", "", "print only this field of the JSON answer (dotted path, e.g. result.outcome)")
		act := setup(fs)
		rest, err := parse(fs, args, npos)
		if err != nil {
			return err
		}
		if iv.dir == "" {
			return usagef("-data is required: the data folder of the running node")
		}
		iv.args = rest
		return act(iv)
	}}
}

// client connects to the node in -data (once).
func (iv *invocation) client() (*apiClient, error) {
	if iv.c == nil {
		c, err := newClient(iv.dir)
		if err != nil {
			return nil, err
		}
		iv.c = c
	}
	return iv.c, nil
}

// order resolves positional argument i, an order ID or prefix.
func (iv *invocation) order(i int) (string, error) {
	if err := checkHexPrefix("order ID", iv.args[i]); err != nil {
		return "", err
	}
	c, err := iv.client()
	if err != nil {
		return "", err
	}
	return c.resolveOrder(iv.ctx, iv.args[i])
}

// member resolves a key flag's value, a member key or prefix; "" stays "".
func (iv *invocation) member(flagName, v string) (string, error) {
	if v == "" {
		return "", nil
	}
	if err := checkHexPrefix("-"+flagName, v); err != nil {
		return "", err
	}
	c, err := iv.client()
	if err != nil {
		return "", err
	}
	return c.resolveMember(iv.ctx, flagName, v)
}

// call sends a request and shows the answer with human, or as JSON.
func (iv *invocation) call(method, path string, body any, human func(w io.Writer, b []byte) error) error {
	c, err := iv.client()
	if err != nil {
		return err
	}
	b, err := c.do(iv.ctx, method, path, body)
	if err != nil {
		return err
	}
	return iv.show(b, human)
}

// show prints an answer: one field (-field), indented JSON (-json, or a
// command without a text form) or text.
func (iv *invocation) show(b []byte, human func(w io.Writer, b []byte) error) error {
	if iv.field != "" {
		return printField(iv.out, b, iv.field)
	}
	if iv.json || human == nil {
		return printJSON(iv.out, b)
	}
	return human(iv.out, b)
}

func printJSON(w io.Writer, b []byte) error {
	var v any
	if json.Unmarshal(b, &v) != nil {
		_, err := w.Write(b) // not JSON: a CSV export, say
		return err
	}
	pretty, _ := json.MarshalIndent(v, "", "  ")
	_, err := fmt.Fprintf(w, "%s\n", pretty)
	return err
}

// printField prints the field at a dotted path of a JSON answer: strings
// bare (for shell variables), anything else as JSON.
func printField(w io.Writer, b []byte, path string) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return usagef("-field %s: the answer is not JSON", path)
	}
	for _, part := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return usagef("-field %s: no field %q in the answer (try -json to see them)", path, part)
		}
		if v, ok = m[part]; !ok {
			return usagef("-field %s: no field %q in the answer (try -json to see them)", path, part)
		}
	}
	if s, ok := v.(string); ok {
		_, err := fmt.Fprintln(w, s)
		return err
	}
	out, _ := json.Marshal(v)
	_, err := fmt.Fprintf(w, "%s\n", out)
	return err
}

// readJSONObject reads a JSON file that must hold one object.
func readJSONObject(name string) (map[string]any, error) {
	if name == "" {
		return nil, usagef("-file is required: a JSON file")
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, cliErrorf(node.ErrBadArgument, "-file: %v", err)
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // keep integers exact
	if err := dec.Decode(&v); err != nil {
		return nil, cliErrorf(node.ErrBadJSON, "%s is not valid JSON: %v", name, err)
	}
	if dec.More() {
		return nil, cliErrorf(node.ErrBadJSON, "%s holds more than one JSON value", name)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, cliErrorf(node.ErrBadJSON, "%s must hold a JSON object {...}, not %s", name, jsonKind(v))
	}
	return m, nil
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case []any:
		return "an array"
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	}
	return "an object"
}
