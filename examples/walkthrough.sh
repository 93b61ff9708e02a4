#!/bin/sh
# Three nodes by hand: a restaurant, a courier and a customer, each a
# "coopnode run" process on this machine, take an order from placed to
# delivered. Run it from the repository's root: sh examples/walkthrough.sh
# It needs Go and a POSIX shell, nothing else. TestWalkthrough
# (cmd/coopnode) runs this very file, and checks that README.md shows it.
set -eu
W=$(mktemp -d)          # the binary, three data folders and three logs
go build -o "$W/coopnode" ./cmd/coopnode
PATH="$W:$PATH"
PIDS=""                 # the nodes this script starts, stopped by PID on exit
# on exit: if a step failed, show the nodes' last log lines; stop the nodes
trap 'st=$?; [ $st -eq 0 ] || tail -n 20 "$W"/*.log 2>/dev/null; kill $PIDS 2>/dev/null || true; wait; rm -rf "$W"' EXIT

# 1. each participant gets a data folder: identity key, access token, config
coopnode init -data "$W/resto"    -role restaurant -listen /ip4/127.0.0.1/tcp/0 -mdns=false
coopnode init -data "$W/courier"  -role courier    -listen /ip4/127.0.0.1/tcp/0 -mdns=false
coopnode init -data "$W/customer" -role customer   -listen /ip4/127.0.0.1/tcp/0 -mdns=false

# 2. the restaurant's node starts (in the background, logging to a file)
#    and founds the cooperative; the restaurant is its first admin
coopnode run -data "$W/resto" >"$W/resto.log" 2>&1 &
PIDS="$PIDS $!"
coopnode wait -data "$W/resto"
coopnode found -data "$W/resto" -name "Vélo Coop" -city Nantes
RESTO=$(coopnode status -data "$W/resto" -field key)
coopnode admit -data "$W/resto" -member "$RESTO" -roles admin,restaurant -name "Chez Mia"
INVITE=$(coopnode invite -data "$W/resto")

# 3. the courier's and the customer's nodes join with the invite
coopnode run -data "$W/courier" -invite "$INVITE" >"$W/courier.log" 2>&1 &
PIDS="$PIDS $!"
coopnode run -data "$W/customer" -invite "$INVITE" >"$W/customer.log" 2>&1 &
PIDS="$PIDS $!"
coopnode wait -data "$W/courier"
coopnode wait -data "$W/customer"
COURIER=$(coopnode status -data "$W/courier" -field key)
coopnode admit -data "$W/resto" -member "$COURIER" -roles courier -name Zoé

# 4. the coop's pricing rules, the restaurant's profile and menu
coopnode rules   -data "$W/resto" -file examples/rules.json   # delivery fee: find-first rules, zones, pay
coopnode profile -data "$W/resto" -file examples/profile.json
coopnode menu    -data "$W/resto" -file examples/menu.json    # sections, options, allergens, tax categories

# 5. once its node has them, the customer prices a cart (2 wraps with
#    harissa, a lemonade, a 2.00 tip), then places it
coopnode wait -data "$W/customer" -restaurant "$RESTO" -rules 1
coopnode quote -data "$W/customer" -file examples/checkout.json -restaurant "$RESTO"
ORDER=$(coopnode checkout -data "$W/customer" -file examples/checkout.json -restaurant "$RESTO" -field id)

# 6. the order, from placed to delivered; "wait" lets each node catch up
coopnode wait -data "$W/resto" -order "$ORDER"
coopnode accept -data "$W/resto" -prep 12 "$ORDER"
coopnode wait -data "$W/courier" -member "$COURIER" -order "$ORDER" -status accepted
coopnode jobs -data "$W/courier" -lat 47.2184 -lon -1.5536 -radius 3000
coopnode claim -data "$W/courier" "$ORDER"        # waits for the outcome: won, confirmed
coopnode wait -data "$W/courier" -order "$ORDER" -personal
coopnode personal -data "$W/courier" "$ORDER"     # the address: the confirmed courier may read it
coopnode ready -data "$W/resto" "$ORDER"
coopnode wait -data "$W/courier" -order "$ORDER" -status ready
coopnode pickup -data "$W/courier" "$ORDER"
coopnode deliver -data "$W/courier" -recipient Léa -pin 4821 "$ORDER"   # the customer's handover code
coopnode wait -data "$W/customer" -order "$ORDER" -status delivered
coopnode order -data "$W/customer" "$ORDER"
coopnode rate -data "$W/customer" -restaurant 5 -courier 5 "$ORDER"
coopnode price -data "$W/resto" "$ORDER"          # how the price was derived, recomputed
coopnode export -data "$W/resto" -kind pay        # CSV for the coop's books
echo "walkthrough done: order $ORDER delivered"
