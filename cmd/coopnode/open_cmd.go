package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"github.com/coopnode/coopnode/node/httpapi"
)

// coopnode open: the web app of a running node in the browser, through
// its login link (docs/webapp.md). $BROWSER, when set, is the command
// that opens it; else xdg-open, open (macOS) or the Windows URL handler.
// When none works the link is printed to open by hand.

func init() {
	addClient("open", "open the node's web app in the browser (prints the login link if it cannot)", "[-print]", 0, func(fs *flagSet) clientAction {
		only := fs.Bool("print", false, "only print the login link")
		return func(iv *invocation) error {
			c, err := iv.client()
			if err != nil {
				return err
			}
			if _, err := c.do(iv.ctx, "GET", "/v1/status", nil); err != nil { // the node answers, with this token
				return err
			}
			link := httpapi.LoginURL(strings.TrimPrefix(c.base, "http://"), c.token)
			if *only {
				fmt.Fprintln(iv.out, link)
				return nil
			}
			if err := openBrowser(iv.ctx, link); err != nil {
				fmt.Fprintf(iv.out, "could not open a browser (%v; set $BROWSER to the command that opens one); open this link:\n%s\n", err, link)
				return nil
			}
			fmt.Fprintf(iv.out, "opened the web app in the browser; the link is:\n%s\n", link)
			return nil
		}
	})
}

func openBrowser(ctx context.Context, link string) error {
	var name string
	var args []string
	switch b := os.Getenv("BROWSER"); {
	case b != "":
		name = b
	case runtime.GOOS == "darwin":
		name = "open"
	case runtime.GOOS == "windows":
		name, args = "rundll32", []string{"url.dll,FileProtocolHandler"}
	default:
		name = "xdg-open"
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, append(args, link)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		// the opener's last line says why (xdg-open lists every browser it
		// tried before it); the link is printed apart
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if s := strings.TrimSpace(strings.ReplaceAll(lines[len(lines)-1], link, "the link")); s != "" {
			return fmt.Errorf("%s: %v: %s", name, err, s)
		}
		return fmt.Errorf("%s: %v", name, err)
	}
	return nil
}
