// Package nattest runs coopnode across real NATs (issue 13 item 4): its
// test builds network namespaces with NAT routers (iptables MASQUERADE)
// and a public relay, starts `coopnode run` processes inside them, and
// takes orders from placed to delivered, reporting whether hole punching
// made the NATed nodes' links direct, how long that took, and how long an
// order took to reach the restaurant relayed and direct.
//
// It needs Linux, root, ip (iproute2) and iptables. Outside CI it skips
// without them; under CI=true it fails, as every test needing a tool does
// (GUIDE.md).
package nattest
