package protocol

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coopnode/coopnode/crdt"
)

const govVectorsPath = "testdata/gov_vectors.md"

// govVectors builds the SPEC.md §19.9 vectors in the coop of §11.1: the
// courier proposes a pay rise, which couriers decide by majority, and
// votes for it. They are encoding vectors: the courier is not admitted.
func govVectors(t testing.TB) ([]vector, map[string]vectorKey) {
	vs, keys := testVectors(t)
	genesis := vs[0].event
	courier := keys["courier"].priv
	const wall = 1_767_261_600_000 + 2*3_600_000 // 2026-01-01T12:00:00Z
	rise := crdt.RulesSet{Version: 2, Strategy: crdt.StrategyFind,
		Rules: []crdt.PriceRule{{Name: "base", FixedCents: 450}},
		Pay:   crdt.PayRule{BaseCents: 450, PerKmCents: 50}}
	p, pw := mustSeal(t, courier, Draft{Kind: crdt.KindProposalOpen, Coop: genesis.ID, Scope: genesis.ID,
		Parents: []crdt.ID{genesis.ID}, Lamport: 2, Wall: wall,
		Body: &crdt.ProposalOpen{Title: "Base pay 4.50", Text: "Raise the base pay per delivery to 4.50 EUR.",
			Decision: crdt.Decision{Kind: crdt.KindRulesSet, Rules: rise},
			Closes:   wall + 7*24*3_600_000, Rule: crdt.RuleMajority, Role: crdt.RoleCourier}})
	v, vw := mustSeal(t, courier, Draft{Kind: crdt.KindVoteCast, Coop: genesis.ID, Scope: genesis.ID,
		Parents: []crdt.ID{p.ID}, Lamport: 3, Wall: wall + 600_000,
		Body: &crdt.VoteCast{Proposal: p.ID, Choice: crdt.ChoiceAgree, Reason: "fair pay"}})
	return []vector{
		{"proposal.open", "courier", "A proposal enacting a rules.set (version 2) that couriers decide by simple majority, closing a week later.", p, pw},
		{"vote.cast", "courier", "The courier's vote for it (choice 1, agree), child of the proposal.", v, vw},
	}, keys
}

func renderGovVectors(vs []vector, keys map[string]vectorKey, genesis crdt.ID) string {
	var b strings.Builder
	names := map[crdt.PubKey]string{}
	for role, k := range keys {
		names[PubKeyOf(k.priv)] = role + " key"
	}
	ids := map[crdt.ID]string{genesis: "the coop.genesis ID (§11.1)"}
	for i, v := range vs {
		writeVector(&b, fmt.Sprintf("#### 19.9.%d", i+1), v, names, ids)
	}
	return b.String()
}

// TestGovernanceVectors recomputes the SPEC.md §19.9 vectors, compares
// them with testdata/gov_vectors.md (rewritten with -update) and checks
// that spec/governance.md quotes that file verbatim.
func TestGovernanceVectors(t *testing.T) {
	vs, keys := govVectors(t)
	checkDecodeAccept(t, vs)
	all, _ := testVectors(t)
	want := golden(t, govVectorsPath, renderGovVectors(vs, keys, all[0].event.ID), "TestGovernanceVectors")
	spec, err := os.ReadFile(filepath.Join("..", "spec", "governance.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(spec, want) {
		t.Errorf("spec/governance.md §19.9 does not quote %s: paste the file at the end of the section", govVectorsPath)
	}
	for _, v := range vs {
		_, sig, _ := splitEnvelope(v.wire)
		if !bytes.Contains(spec, []byte(hex.EncodeToString(sig))) {
			t.Errorf("spec/governance.md lacks the %s signature", v.title)
		}
	}
}
