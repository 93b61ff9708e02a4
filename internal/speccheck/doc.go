// Package speccheck holds tests that keep the specification navigable.
// SPEC.md at the repository root is an index; the text lives in spec/
// (normative: the core and its extensions) and docs/ (informative) with
// global section numbers, and code and documents cite them as
// "SPEC.md §x.y". The tests check that every such citation still names a
// heading, so that moving or renumbering a section cannot silently break
// the references to it, and that the core stays within its size limit
// with the index stating every normative file's size (TestSpecSizes).
package speccheck
