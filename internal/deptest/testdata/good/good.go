// Package good keeps every rule deptest checks, for deptest's own test.
package good

import (
	"strings"
	"time"
)

// Day formats a wall time given by the caller: time's types are fine.
func Day(wall int64) string { return strings.ToUpper(time.UnixMilli(wall).UTC().Weekday().String()) }
