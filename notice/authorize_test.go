package notice

import (
	"testing"
)

func TestAuthorize(t *testing.T) {
	p, at := DefaultPolicy(), day("2024-06-01")
	fold := func(g Genesis, notices ...Signed) State { return Fold(g, notices, stewards, p, at) }

	solo := fold(genesis(ann))
	duo := fold(Genesis{Project: "xz", Maintainers: people(ann, ben), Since: day("2020-01-01"),
		Keys: []SigningKey{ssh(sshKey, ann), pgp(pgpKey, ann)}})
	// ann handed everything to dan as successor: she is no longer a maintainer.
	handedOn := fold(genesis(ann), pub("h1", "2023-01-01", handover(Successor, people(ann), people(dan), Rights...), ann, dan))
	// ann added an SSH key, and a steward revoked that signer-change; ann's genesis key was removed.
	withKeys := Genesis{Project: "xz", Maintainers: people(ann, ben), Since: day("2020-01-01"), Keys: []SigningKey{ssh(sshKey, ann)}}
	keys := fold(withKeys,
		pub("k1", "2023-01-01", signerChange(ann, []SigningKey{ssh(sshKey2, ann)}, nil), ann),
		pub("r1", "2023-02-01", revocation(steward, "k1"), steward),
		pub("k2", "2023-03-01", signerChange(ann, nil, []SigningKey{ssh(sshKey, "")}), ann),
	)
	if len(keys.Rejected) != 0 || len(handedOn.Rejected) != 0 {
		t.Fatalf("fixtures rejected: %v %v", keys.Rejected, handedOn.Rejected)
	}

	signedBy := func(n Notice, signers ...string) Signed { return pub("n", "2024-06-01", n, signers...) }
	withProof := func(n Notice, proof Proof) Signed {
		return Signed{ID: "n", Published: at, Notice: n, Proofs: []Proof{proof}}
	}
	relief := goodNotice(ReliefRequest)
	call := goodNotice(CallForStewards)
	retire := func(author string, from []string, orphaned bool) Notice {
		return Notice{Project: "xz", Kind: Retirement, Text: "Leaving.", Author: author, From: from, Orphaned: orphaned}
	}
	tests := []struct {
		name  string
		state State
		sn    Signed
		want  []string // parts the error must mention; none: authorized
	}{
		// Who may author what.
		{"maintainer's hiatus", solo, signedBy(hiatusBy(ann), ann), nil},
		{"non-maintainer's hiatus", solo, signedBy(hiatusBy(dan), dan), []string{"hiatus: dan is not a maintainer of xz"}},
		{"hiatus for a co-maintainer", duo, signedBy(Notice{Project: "xz", Kind: Hiatus, Text: "x", Author: ann, From: people(ben)}, ann), nil},
		{"hiatus for a stranger", duo, signedBy(Notice{Project: "xz", Kind: Hiatus, Text: "x", Author: ann, From: people(dan)}, ann), []string{"hiatus: from: dan is not a maintainer of xz"}},
		{"return by a non-maintainer", solo, signedBy(returnOf(steward), steward), []string{"return: steward is not a maintainer of xz"}},
		{"maintainer's relief request", solo, signedBy(relief, ann), nil},
		{"steward's relief request", solo, signedBy(with(relief, func(n *Notice) { n.Author = steward }), steward), []string{"relief-request: steward is not a maintainer of xz"}},
		{"public relief request", solo, signedBy(with(relief, func(n *Notice) { n.Public = true }), ann), []string{"relief-request: public: a relief request is never public"}},
		{"maintainer's call for stewards", solo, signedBy(call, ann), nil},
		{"steward's call for stewards", solo, signedBy(with(call, func(n *Notice) { n.Author = steward }), steward), nil},
		{"stranger's call for stewards", solo, signedBy(with(call, func(n *Notice) { n.Author = dan }), dan), []string{"call-for-stewards: dan is neither a maintainer of xz nor a steward"}},
		{"steward's scrutiny window", solo, signedBy(scrutinyUntil(steward, "2024-12-01"), steward), nil},
		{"stranger's scrutiny window", solo, signedBy(scrutinyUntil(dan, "2024-12-01"), dan), []string{"scrutiny: dan is neither a maintainer of xz nor a steward"}},
		{"infra-change by a maintainer", solo, signedBy(infraChange(ann, RightWebsite, "https://xz.example"), ann), nil},
		{"infra-change by a steward", solo, signedBy(infraChange(steward, RightWebsite, "https://xz.example"), steward), []string{"infra-change: steward is not a maintainer of xz"}},

		// Handovers.
		{"handover by the sole maintainer", solo, signedBy(handover(CoMaintainer, people(ann), people(dan), RightCommit), ann), nil},
		{"handover by a non-maintainer", solo, signedBy(handover(CoMaintainer, people(dan), people(eve), RightCommit), dan),
			[]string{"handover: dan is not a maintainer of xz"}},
		{"handover by another project's maintainer", solo, signedBy(handover(Successor, people(bob), people(bob+"2"), RightCommit), bob),
			[]string{"handover: bob is not a maintainer of xz"}},
		{"handover whose author is not outgoing", duo, signedBy(with(handover(Successor, people(ben), people(dan), RightCommit), func(n *Notice) { n.Author = ann }), ann, ben),
			[]string{"handover: from: the author ann is not among the outgoing maintainers"}},
		{"handover of a right nobody outgoing holds", handedOn, signedBy(handover(CoMaintainer, people(ann), people(eve), RightCommit), ann),
			[]string{"handover: ann is not a maintainer of xz"}},
		{"handover for another project", solo, signedBy(with(handover(CoMaintainer, people(ann), people(dan), RightCommit), func(n *Notice) { n.Project = "zlib" }), ann),
			[]string{`project: the notice is for "zlib", the state for "xz"`}},
		{"invalid handover", solo, signedBy(handover(CoMaintainer, people(ann), nil, RightCommit), ann),
			[]string{"handover: to: at least one incoming maintainer"}},

		// The author's proof.
		{"author has not signed", solo, signedBy(hiatusBy(ann), steward), []string{"hiatus: the author ann has not signed it"}},
		{"author signed with a revoked key", keys, withProof(hiatusBy(ann), Proof{Person: ann, Key: sshKey2, Created: at}),
			[]string{"hiatus: the author's proof does not count: ann signed with key " + sshKey2 + ", which r1 revoked"}},
		{"author signed with a removed key", keys, withProof(hiatusBy(ann), Proof{Person: ann, Key: sshKey, Created: at}),
			[]string{"ann signed with key " + sshKey + ", removed by k2 on 2023-03-01"}},
		{"author signed before the key was removed", keys, withProof(hiatusBy(ann), Proof{Person: ann, Key: sshKey, Created: day("2023-02-01")}), nil},
		{"author signed with another maintainer's key", duo, withProof(hiatusBy(ben), Proof{Person: ben, Key: pgpKey, Created: at}),
			[]string{"ben signed with key " + pgpKey + ", which belongs to ann"}},
		{"author signed with a key the project never named", duo, withProof(hiatusBy(ben), Proof{Person: ben, Key: sshKey2, Created: at}), nil},

		// Retirement.
		{"retiring oneself", duo, signedBy(retire(ann, nil, false), ann), nil},
		{"retiring someone else", duo, signedBy(retire(ann, people(ben), false), ann), []string{"retirement: from: ann cannot retire ben"}},
		{"orphaned while others remain", duo, signedBy(retire(ann, nil, true), ann), []string{"retirement: orphaned: 1 other maintainers remain"}},
		{"the last maintainer orphans the project", solo, signedBy(retire(ann, nil, true), ann), nil},

		// Signer changes.
		{"adding a key", duo, signedBy(signerChange(ben, []SigningKey{pgp(pgpKey2, ben)}, nil), ben), nil},
		{"adding a key for a stranger", duo, signedBy(signerChange(ben, []SigningKey{pgp(pgpKey2, dan)}, nil), ben), []string{"signer-change: keys-added: holder dan is not a maintainer of xz"}},
		{"adding a key twice", duo, signedBy(signerChange(ben, []SigningKey{pgp(pgpKey, ann)}, nil), ben), []string{"signer-change: keys-added: " + pgpKey + " is already a signing key (since 2020-01-01)"}},
		{"bringing back a revoked key", keys, signedBy(signerChange(ann, []SigningKey{ssh(sshKey2, ann)}, nil), ann), []string{"signer-change: keys-added: " + sshKey2 + " was revoked by r1 and cannot come back"}},
		{"bringing back a removed key", keys, signedBy(signerChange(ann, []SigningKey{ssh(sshKey, ann)}, nil), ann), nil},
		{"removing an unknown key", duo, signedBy(signerChange(ben, nil, []SigningKey{pgp(pgpKey2, "")}), ben), []string{"signer-change: keys-removed: " + pgpKey2 + " is not a valid signing key of xz"}},
		{"removing a key, lower-case", duo, signedBy(signerChange(ben, nil, []SigningKey{pgp("3690c240ce51b4670d30ad1c38ee757d69184620", "")}), ben), nil},

		// Revocations.
		{"steward revokes", handedOn, signedBy(revocation(steward, "h1"), steward), nil},
		{"the outgoing maintainer revokes their handover", handedOn, signedBy(revocation(ann, "h1"), ann), nil},
		{"the incoming maintainer revokes", handedOn, signedBy(revocation(dan, "h1"), dan), nil},
		{"a stranger revokes", handedOn, signedBy(revocation(eve, "h1"), eve), []string{"revocation: eve is not a maintainer of xz, a steward, or an outgoing maintainer of a handover it revokes"}},
		{"revoking an unknown notice", solo, signedBy(revocation(ann, "h9"), ann), []string{"revocation: revokes: h9 is not a notice of xz in effect"}},
		{"revoking twice", keys, signedBy(revocation(ann, "k1"), ann), []string{"revocation: revokes: k1 was already revoked by r1"}},
		{"revoking a revocation", keys, signedBy(revocation(ann, "r1"), ann), []string{"revocation: revokes: r1 is a revocation; publish the notice again instead"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantContains(t, Authorize(tt.state, tt.sn, stewards), tt.want...)
		})
	}
}

// Only the people a notice concerns, and the stewards, may sign it.
func TestMaySign(t *testing.T) {
	st := Fold(genesis(ann, ben), nil, stewards, DefaultPolicy(), day("2024-06-01"))
	h := pub("h", "2024-06-01", handover(Successor, people(ann), people(dan), RightCommit), ann)
	k := pub("k", "2024-06-01", signerChange(ann, []SigningKey{pgp(pgpKey2, eve)}, nil), ann)
	for _, tt := range []struct {
		sn     Signed
		person string
		ok     bool
	}{
		{h, ann, true}, {h, ben, true}, {h, dan, true}, {h, steward, true},
		{h, eve, false}, {h, bob, false},
		{k, eve, true}, {k, dan, false},
	} {
		err := MaySign(st, tt.sn, tt.person, stewards)
		if (err == nil) != tt.ok {
			t.Errorf("%s signing %s: %v, want allowed %v", tt.person, tt.sn.Notice.Kind, err, tt.ok)
		}
	}
	wantContains(t, MaySign(st, h, bob, stewards), "bob may not sign this handover", "only its author")
}
