// Command coopnode runs a coopnode peer and drives one from the shell.
//
//	coopnode demo [-json]                 a whole cooperative on this machine
//	coopnode init -data DIR -role ROLE    write an identity and config
//	coopnode run  -data DIR               run a node with its HTTP API
//	coopnode status|orders|place|accept|claim|pickup|deliver|... -data DIR
//
// This file only parses the command line; the work is in package node.
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
)

// errUsage marks command-line mistakes: exit status 2, with usage.
var errUsage = errors.New("usage")

type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

var commands map[string]command

func init() {
	commands = map[string]command{
		"demo": {"run a small cooperative on this machine and print its timeline", cmdDemo},
		"init": {"create a node's data folder: identity key, access token, config", cmdInit},
		"run":  {"run a node: libp2p, gossip, sync, and the HTTP API on 127.0.0.1", cmdRun},
		"version": {"print the protocol version", func(context.Context, []string, io.Writer, io.Writer) error {
			fmt.Println("coopnode protocol v1 (SPEC.md)")
			return nil
		}},
		"bench": {"simulate a city-scale coop on mocknet, side by side with plain gossipsub", cmdBench},
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
	fmt.Fprintln(w, "\nRun 'coopnode <command> -h' for a command's flags.")
}

func main() {
	os.Exit(realMain(os.Args[1:], os.Stdout, os.Stderr))
}

func realMain(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := allCommands()[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "coopnode: unknown command %q\n\n", args[0])
		usage(stderr)
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
		fmt.Fprintf(stderr, "coopnode %s: %v\n", args[0], err)
		return 2
	default:
		fmt.Fprintf(stderr, "coopnode %s: %v\n", args[0], err)
		return 1
	}
}

// newFlags returns a flag set that reports errors instead of exiting.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("coopnode "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parse parses flags and rejects stray arguments beyond want.
func parse(fs *flag.FlagSet, args []string, want int) ([]string, error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	rest := fs.Args()
	if len(rest) != want {
		return nil, fmt.Errorf("%w: want %d argument(s), got %d: %s", errUsage, want, len(rest), strings.Join(rest, " "))
	}
	return rest, nil
}

func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("%w: -log-level %q (want debug, info, warn or error)", errUsage, level)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}
