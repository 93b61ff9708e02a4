package demo

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// timeline writes the human story: one line per step, with the time since
// the start and the actor, aligned in columns whatever the names' accents.
type timeline struct {
	mu    sync.Mutex
	w     io.Writer
	t0    time.Time
	width int // of the actor column, in runes
}

func newTimeline(w io.Writer, t0 time.Time, width int) *timeline {
	return &timeline{w: w, t0: t0, width: width}
}

// padRunes left-aligns s in a column of width runes.
func padRunes(s string, width int) string {
	if n := utf8.RuneCountInString(s); n < width {
		return s + strings.Repeat(" ", width-n)
	}
	return s
}

// say prints one step by actor.
func (t *timeline) say(actor, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	el := time.Since(t.t0).Seconds()
	t.mu.Lock()
	defer t.mu.Unlock()
	fmt.Fprintf(t.w, " %+7.3fs  %s %s\n", el, padRunes(actor, t.width), msg)
}

// raw prints text as is (the summary block).
func (t *timeline) raw(format string, args ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	fmt.Fprintf(t.w, format, args...)
}
