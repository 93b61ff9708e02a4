//go:build tools

package mobile

// This file pins golang.org/x/mobile in go.mod, so that gobind (installed
// at that version by check-bindings.sh) and the generated bindings' Go side
// (which imports golang.org/x/mobile/bind/seq) use one known version.
import _ "golang.org/x/mobile/bind"
