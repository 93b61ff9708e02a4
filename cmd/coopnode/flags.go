package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/coopnode/coopnode/node"
	"github.com/multiformats/go-multiaddr"
)

// flagSet is a command's flags. Its errors come back as one-line usage
// errors; -h prints the command's synopsis (with its positional
// arguments), summary and flags.
type flagSet struct {
	*flag.FlagSet
	name   string
	stderr io.Writer
}

func newFlags(name string, stderr io.Writer) *flagSet {
	fs := flag.NewFlagSet("coopnode "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // parse reports errors itself, on one line
	fs.Usage = func() {}
	return &flagSet{FlagSet: fs, name: name, stderr: stderr}
}

// help prints the command's usage to stderr.
func (fs *flagSet) help() {
	c := allCommands()[fs.name]
	fmt.Fprintf(fs.stderr, "usage: coopnode %s %s\n", fs.name, c.synopsis)
	if c.summary != "" {
		fmt.Fprintf(fs.stderr, "\n%s\n", c.summary)
	}
	fmt.Fprintln(fs.stderr, "\nflags:")
	fs.SetOutput(fs.stderr)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

// isSet reports whether the flag called name was given.
func (fs *flagSet) isSet(name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// parse parses flags placed before, between or after the positional
// arguments ("--" ends the flags) and checks that there are exactly want
// positional arguments.
func parse(fs *flagSet, args []string, want int) ([]string, error) {
	var pos []string
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.help()
				return nil, err
			}
			return nil, usagef("%v", err)
		}
		rest := fs.Args()
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		if len(rest) == 0 {
			break
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
	if len(pos) != want {
		syn := allCommands()[fs.name].synopsis
		switch {
		case want == 0:
			return nil, usagef("unexpected argument %q: this command takes only flags", pos[0])
		case len(pos) < want:
			return nil, usagef("missing argument: coopnode %s %s", fs.name, syn)
		default:
			return nil, usagef("too many arguments (%s): coopnode %s %s", strings.Join(pos, " "), fs.name, syn)
		}
	}
	return pos, nil
}

// checkListen checks a -listen flag: comma-separated multiaddrs.
func checkListen(list string) error {
	addrs := splitList(list)
	if len(addrs) == 0 {
		return usagef("-listen is empty: give multiaddrs such as /ip4/0.0.0.0/tcp/4001")
	}
	for _, a := range addrs {
		if _, err := multiaddr.NewMultiaddr(a); err != nil {
			return usagef("-listen %q is not a multiaddr (such as /ip4/0.0.0.0/tcp/4001): %v", a, err)
		}
	}
	return nil
}

// listFlag is a flag that may repeat and holds comma-separated values.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(s string) error {
	v := splitList(s)
	if len(v) == 0 {
		return errors.New("empty: give multiaddrs such as /ip4/203.0.113.7/tcp/4001")
	}
	*l = append(*l, v...)
	return nil
}

// announceHelp is the help of the -announce flag of init and run.
const announceHelp = "external multiaddr to announce in invites and to peers, such as /ip4/203.0.113.7/tcp/4001 (repeatable or comma-separated)"

// checkAnnounce checks -announce values.
func checkAnnounce(list []string) error {
	if _, err := node.ParseAnnounce(list); err != nil {
		return usagef("-announce: %s", strings.TrimPrefix(err.Error(), node.ErrBadArgument.Error()+": "))
	}
	return nil
}
