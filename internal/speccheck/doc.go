// Package speccheck holds a test that keeps the specification's section
// citations valid. SPEC.md at the repository root is an index; the text
// lives in spec/ (normative) and docs/ (informative) with global section
// numbers, and code and documents cite them as "SPEC.md §x.y". The test
// checks that every such citation still names a heading, so that moving or
// renumbering a section cannot silently break the references to it.
package speccheck
