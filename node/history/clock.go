package history

import (
	"time"

	"github.com/coopnode/coopnode/node"
)

// Clock is a node.Clock whose Now runs from at (the end of a generated
// history) at the wall clock's pace, so a node started on a generated
// store sees its history as recent as it was generated, and archives what
// is past the horizon then (SPEC.md §4.5). Its timers are the wall
// clock's.
func Clock(at time.Time) node.Clock { return shifted{off: time.Until(at)} }

type shifted struct{ off time.Duration }

func (c shifted) Now() time.Time { return time.Now().Add(c.off) }

func (shifted) NewTimer(d time.Duration) node.Timer   { return timer{time.NewTimer(d)} }
func (shifted) NewTicker(d time.Duration) node.Ticker { return ticker{time.NewTicker(d)} }
func (shifted) AfterFunc(d time.Duration, f func()) node.Timer {
	return timer{time.AfterFunc(d, f)}
}

type timer struct{ t *time.Timer }

func (t timer) C() <-chan time.Time        { return t.t.C }
func (t timer) Stop() bool                 { return t.t.Stop() }
func (t timer) Reset(d time.Duration) bool { return t.t.Reset(d) }

type ticker struct{ t *time.Ticker }

func (t ticker) C() <-chan time.Time { return t.t.C }
func (t ticker) Stop()               { t.t.Stop() }
