#!/usr/bin/env bash
# Checks that package mobile binds for Android and iOS: gomobile's gobind
# generates Go, Java and Objective-C bindings with no member skipped, and
# the generated Java compiles with javac against a one-class stub of
# android.content.Context (so no Android SDK is needed).
#
# Needs only Go (with the module proxy) and a JDK. gobind is installed at
# the golang.org/x/mobile version pinned in go.mod (mobile/tools.go keeps
# it there) into a temporary GOBIN; nothing outside a temporary folder is
# written. Usage: mobile/check-bindings.sh   (from anywhere)
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in go javac; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "check-bindings: $tool not found" >&2
		exit 1
	fi
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

version="$(go list -m -f '{{.Version}}' golang.org/x/mobile)"
echo "== installing gobind $version"
GOBIN="$work/bin" go install "golang.org/x/mobile/cmd/gobind@$version"

echo "== gobind -lang=go,java,objc ./mobile"
if ! PATH="$work/bin:$PATH" gobind -lang=go,java,objc -outdir "$work/out" ./mobile >"$work/gobind.log" 2>&1; then
	cat "$work/gobind.log" >&2
	echo "check-bindings: gobind failed" >&2
	exit 1
fi
cat "$work/gobind.log"

# gobind reports what it cannot bind as comments in the files it writes
# ("// skipped method Node.X with unsupported parameter or return types"),
# and sometimes on its output.
pattern='skipped (method|function|field|const|constructor|variable|unsupported)'
skipped="$( { grep -E "$pattern" "$work/gobind.log" || true; grep -rhE "$pattern" "$work/out" || true; } | sort -u)"
if [ -n "$skipped" ]; then
	echo "$skipped" >&2
	echo "check-bindings: gobind skipped members of package mobile (see above)" >&2
	exit 1
fi
echo "no member skipped"

echo "== javac on the generated Java"
mkdir -p "$work/stub/android/content" "$work/classes"
cat >"$work/stub/android/content/Context.java" <<'EOF'
package android.content;

/** Stub of Android's Context: go.Seq.setContext takes one. */
public class Context {}
EOF
find "$work/out/java" "$work/stub" -name '*.java' | sort >"$work/sources.txt"
if ! grep -q '/mobile/Node.java$' "$work/sources.txt"; then
	echo "check-bindings: no mobile/Node.java generated" >&2
	exit 1
fi
javac -nowarn -encoding UTF-8 -d "$work/classes" @"$work/sources.txt"
echo "compiled $(wc -l <"$work/sources.txt") Java files into $(find "$work/classes" -name '*.class' | wc -l) classes"
echo "check-bindings: OK"
