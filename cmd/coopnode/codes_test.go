package main

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/coopnode/coopnode/node"
	"github.com/coopnode/coopnode/node/httpapi"
)

// TestEveryCodeOnTheCLI (issue 11.2): every code of node's table reaches
// the shell as "coopnode COMMAND: CODE: message" with a non-zero exit,
// whether the node answered it (the node's HTTP error writer, as the API
// answers) or the CLI refused something itself (a node sentinel's code).
func TestEveryCodeOnTheCLI(t *testing.T) {
	var mu sync.Mutex
	var current error
	dir := fakeData(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		err := current
		mu.Unlock()
		httpapi.WriteError(w, err)
	}))
	for _, row := range node.Codes() {
		var err error
		if len(row.Errs) > 0 {
			err = fmt.Errorf("somewhere: %w: sample", row.Errs[0])
			if got := errCode(cliErrorf(row.Errs[0], "sample")); got != row.Code {
				t.Errorf("the CLI's own %s error prints code %q", row.Code, got)
			}
		} else {
			err = &node.RefusedError{Kind: "task.deliver", Reason: row.Code}
		}
		mu.Lock()
		current = err
		mu.Unlock()
		var out, errb bytes.Buffer
		code := realMain([]string{"status", "-data", dir}, &out, &errb)
		want := "coopnode status: " + row.Code + ": "
		if code == 0 || !strings.HasPrefix(errb.String(), want) || strings.Count(errb.String(), "\n") != 1 {
			t.Errorf("%s: exit %d, stderr %q, want %q...", row.Code, code, errb.String(), want)
		}
	}
}

// TestActionsOnTheCLI (issue 11.2): every action of node's vocabulary with
// a command is a command of that name.
func TestActionsOnTheCLI(t *testing.T) {
	cmds := allCommands()
	n := 0
	for _, a := range node.Actions {
		if a.CLI == "" {
			continue
		}
		n++
		if _, ok := cmds[a.CLI]; !ok {
			t.Errorf("action %s: no command %q", a.Name, a.CLI)
		}
	}
	if n < 30 {
		t.Fatalf("only %d CLI actions in the vocabulary", n)
	}
}
