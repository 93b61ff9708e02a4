package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"

	"github.com/coopnode/coopnode/node"
)

// net/http answers a request it cannot even parse (a path like /v1/%zz, a
// relative or spaced request target, no Host header, a bad Content-Length,
// headers over the limit) itself, in plain text, before any handler runs.
// The API promises JSON errors with a code, so Listen's connections
// rewrite exactly those answers: the server writes each one in a single
// Write of the fixed form below, which no handler answer has (handlers'
// answers carry a Date header).

// serverErrorHeaders is what net/http puts between the status line and
// the body of its own error answers.
const serverErrorHeaders = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"

// JSONErrors wraps l so that net/http's own plain-text error answers on its
// connections become the API's JSON errors. Listen applies it.
func JSONErrors(l net.Listener) net.Listener { return jsonListener{l} }

type jsonListener struct{ net.Listener }

func (l jsonListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return jsonConn{c}, nil
}

type jsonConn struct{ net.Conn }

func (c jsonConn) Write(b []byte) (int, error) {
	if out, ok := rewriteServerError(b); ok {
		if _, err := c.Conn.Write(out); err != nil {
			return 0, err
		}
		return len(b), nil
	}
	return c.Conn.Write(b)
}

// rewriteServerError turns one of net/http's own error answers into the
// JSON error with its code; ok is false for anything else.
func rewriteServerError(b []byte) ([]byte, bool) {
	head, body, found := bytes.Cut(b, []byte(serverErrorHeaders))
	if !found || !bytes.HasPrefix(head, []byte("HTTP/1.1 ")) || bytes.Contains(head, []byte("\r\n")) || len(head) < len("HTTP/1.1 400") {
		return nil, false
	}
	status, err := strconv.Atoi(string(head[len("HTTP/1.1 "):len("HTTP/1.1 400")]))
	if err != nil || status < 400 || status > 599 {
		return nil, false
	}
	var e error
	switch status {
	case 431, 413, 414:
		e = fmt.Errorf("%w: %s", node.ErrTooLarge, body)
	case 400:
		e = fmt.Errorf("%w: malformed HTTP request (%s): check the path's %%-escapes, the Host and Content-Length headers", node.ErrBadArgument, body)
	default:
		e = fmt.Errorf("%w: %s", node.ErrBadArgument, body)
	}
	code := node.Code(e)
	st := node.HTTPStatus(code)
	j, _ := json.Marshal(errorBody{Error: e.Error(), Code: code})
	j = append(j, '\n')
	var out bytes.Buffer
	fmt.Fprintf(&out, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n", st, http.StatusText(st), len(j))
	out.Write(j)
	return out.Bytes(), true
}
