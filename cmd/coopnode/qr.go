package main

import (
	"fmt"
	"io"
	"os"

	qrcode "github.com/skip2/go-qrcode"
)

// Invites as QR codes (issue 13 item 3): a member shows the invite on a
// screen or prints it, and a new device scans it. skip2/go-qrcode uses
// the standard library only. Medium error correction (15%) keeps an
// invite with a relay and two of the node's own addresses (about 300
// characters) at a size a phone scans from a terminal.

// qrPNGSize is the PNG's width and height in pixels.
const qrPNGSize = 512

// fmtInviteQR prints GET /v1/invite: the string, then with qr the QR
// code in the terminal (two modules a character, dark on light), and with
// png a PNG file.
func fmtInviteQR(w io.Writer, b []byte, qr bool, png string) error {
	if err := fmtInvite(w, b); err != nil || !qr && png == "" {
		return err
	}
	m, err := asObj(b)
	if err != nil {
		return err
	}
	code, err := qrcode.New(str(m, "invite"), qrcode.Medium)
	if err != nil {
		return fmt.Errorf("invite as a QR code: %w", err)
	}
	if qr {
		if _, err := io.WriteString(w, code.ToSmallString(false)); err != nil {
			return err
		}
	}
	if png != "" {
		img, err := code.PNG(qrPNGSize)
		if err != nil {
			return fmt.Errorf("invite as a QR code: %w", err)
		}
		if err := os.WriteFile(png, img, 0o644); err != nil {
			return usagef("-png: %v", err)
		}
		fmt.Fprintf(w, "QR code written to %s\n", png)
	}
	return nil
}
