// Command coopnode runs a coopnode peer and drives one from the shell.
//
//	coopnode demo [-json]                 a whole cooperative on this machine
//	coopnode init -data DIR -role ROLE    write an identity and config
//	coopnode run  -data DIR               run a node with its HTTP API
//	coopnode status|orders|place|accept|claim|pickup|deliver|... -data DIR
//
// This package only parses the command line, talks to a node's HTTP API and
// formats the answers; the work is in package node.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"github.com/coopnode/coopnode/node"
)

// Errors print as "coopnode COMMAND: CODE: message" on one line, CODE
// from node's one table of codes (node.Code): the node API's own code for
// what the node refused, and the same table for what the CLI refuses
// itself (bad_argument, bad_json, ...), as the HTTP API and package mobile
// do.

// cliError is an error of the CLI itself: its message, and the sentinel of
// package node that gives its code.
type cliError struct {
	msg  string
	kind error
}

func (e cliError) Error() string { return e.msg }
func (e cliError) Unwrap() error { return e.kind }

// cliErrorf makes an error with kind's code.
func cliErrorf(kind error, format string, args ...any) error {
	return cliError{fmt.Sprintf(format, args...), kind}
}

// errUsage marks command-line mistakes: exit status 2, code bad_argument.
var errUsage error = usageError{"usage"}

// usageError is a command-line mistake whose message says what to fix.
type usageError struct{ msg string }

func (e usageError) Error() string        { return e.msg }
func (e usageError) Is(target error) bool { return target == errUsage }
func (e usageError) Unwrap() error        { return node.ErrBadArgument }

// usagef reports a command-line mistake (exit status 2).
func usagef(format string, args ...any) error {
	return usageError{fmt.Sprintf(format, args...)}
}

// errCode is the code an error prints with.
func errCode(err error) string {
	var ae *apiError
	if errors.As(err, &ae) && ae.Code != "" {
		return ae.Code
	}
	return node.Code(err)
}

type command struct {
	summary string
	// synopsis follows "coopnode NAME" in the command's -h: its required
	// flags and positional arguments.
	synopsis string
	run      func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

var commands map[string]command

func init() {
	commands = map[string]command{
		"demo": {"run a small cooperative on this machine and print its timeline", "[flags]", cmdDemo},
		"init": {"create a node's data folder: identity key, access token, config", "-data DIR [-role ROLE] [flags]", cmdInit},
		"run":  {"run a node: libp2p, gossip, sync, and the HTTP API on 127.0.0.1", "-data DIR [flags]", cmdRun},
		"version": {"print the protocol version", "", func(_ context.Context, args []string, stdout, stderr io.Writer) error {
			fs := newFlags("version", stderr)
			if _, err := parse(fs, args, 0); err != nil {
				return err
			}
			fmt.Fprintln(stdout, "coopnode protocol v1 (SPEC.md)")
			return nil
		}},
		"bench": {"simulate a city-scale coop on mocknet, side by side with plain gossipsub", "[flags]", cmdBench},
		"credential": {
			"verify a courier's work record credential offline, or export one (the coop's issuer)",
			"verify [-at TIME] [-json] FILE | export -data DIR -courier KEY [-from DAY] [-to DAY] [-valid-days N] [-o FILE]", cmdCredential},
	}
}

// allCommands merges the client commands (registered by several files'
// init functions, in file order) into commands.
func allCommands() map[string]command {
	for name, c := range clientCommands {
		if _, ok := commands[name]; !ok {
			commands[name] = c
		}
	}
	return commands
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: coopnode <command> [flags]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range allCommands() {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-16s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'coopnode <command> -h' for a command's flags. Client commands print")
	fmt.Fprintln(w, "readable text; -json prints the node's JSON answer, -field NAME one field of it.")
}

func main() {
	os.Exit(realMain(os.Args[1:], os.Stdout, os.Stderr))
}

func realMain(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	if args[0] == "help" && len(args) == 2 {
		if _, ok := allCommands()[args[1]]; ok {
			// help asked for is the answer: on stdout
			return realMain([]string{args[1], "-h"}, stdout, stdout)
		}
	}
	if args[0] == "-h" || args[0] == "--help" || (args[0] == "help" && len(args) == 1) {
		usage(stdout)
		return 0
	}
	if args[0] == "help" {
		fmt.Fprintf(stderr, "coopnode help: no command %q (run 'coopnode help' for the list)\n", strings.Join(args[1:], " "))
		return 2
	}
	c, ok := allCommands()[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "coopnode: unknown command %q (run 'coopnode help' for the list)\n", args[0])
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := c.run(ctx, args[1:], stdout, stderr)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		msg := strings.TrimPrefix(err.Error(), "usage: ")
		fmt.Fprintf(stderr, "coopnode %s: %s: %s (see 'coopnode %s -h')\n", args[0], errCode(err), oneLine(msg), args[0])
		return 2
	default:
		msg := oneLine(err.Error())
		if errCode(err) == "no_coop" && !strings.Contains(msg, "coopnode found") {
			msg += ": found one with 'coopnode found', or join one with 'coopnode join -invite INVITE' (or run with -invite)"
		}
		fmt.Fprintf(stderr, "coopnode %s: %s: %s\n", args[0], errCode(err), msg)
		return 1
	}
}

// oneLine keeps an error message on one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, usagef("-log-level %q: want debug, info, warn or error", level)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}
