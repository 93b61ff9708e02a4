// Package crashtest holds the multi-process crash test (issue 12): a
// restaurant, couriers and a customer, each `coopnode run` in its own
// process with its own data folder on loopback, take orders while the test
// kills nodes with SIGKILL right after the HTTP API acknowledged a write,
// and restarts them from their folders. Afterwards every acknowledged write
// must be present, every order must have one holder, confirmed by the
// restaurant, who can read the customer's address. The test builds the
// coopnode binary itself; it has no code outside its _test.go files.
package crashtest
