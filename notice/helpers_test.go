package notice

import (
	"strings"
	"testing"
)

// People in the tests. Ids are opaque to the package; short ones keep the tables readable.
const (
	ann     = "ann"     // a maintainer
	ben     = "ben"     // a maintainer
	cat     = "cat"     // a maintainer
	dan     = "dan"     // a newcomer
	eve     = "eve"     // a newcomer
	bob     = "bob"     // zlib's maintainer, nobody to xz
	steward = "steward" // a steward
	sarah   = "sarah"   // another steward
)

var (
	stewards = []string{steward, sarah}
	// Release-signing keys in both formats.
	pgpKey  = "3690C240CE51B4670D30AD1C38EE757D69184620"
	pgpKey2 = "22D465F2B4C173803B20C6DE59FCF207FEA7F445"
	sshKey  = "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s"
	sshKey2 = "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU"
)

// genesis is xz with the given first maintainers, since 2020-01-01.
func genesis(maintainers ...string) Genesis {
	return Genesis{Project: "xz", Maintainers: maintainers, Since: day("2020-01-01")}
}

// pub is a notice published on date, signed by signers at publication.
func pub(id, date string, n Notice, signers ...string) Signed {
	s := Signed{ID: id, Published: day(date), Notice: n}
	for _, p := range signers {
		s.Proofs = append(s.Proofs, Proof{Person: p, Created: day(date)})
	}
	return s
}

// endorsedOn adds a proof by person made on date.
func (s Signed) endorsedOn(person, date string) Signed {
	s.Proofs = append(append([]Proof(nil), s.Proofs...), Proof{Person: person, Created: day(date)})
	return s
}

// Notices of each kind, with the fields they need, for the tables.
func hiatusBy(author string) Notice {
	return Notice{Project: "xz", Kind: Hiatus, Text: "Stepping back.", Author: author}
}

func returnOf(author string) Notice {
	return Notice{Project: "xz", Kind: Return, Text: "Back.", Author: author}
}

func handover(mode Mode, from, to []string, scope ...Right) Notice {
	return Notice{Project: "xz", Kind: Handover, Text: "Passing rights on.", Author: from[0], From: from, To: to, Mode: mode, Scope: scope}
}

func signerChange(author string, added, removed []SigningKey) Notice {
	return Notice{Project: "xz", Kind: SignerChange, Text: "Keys change.", Author: author, KeysAdded: added, KeysRemoved: removed}
}

func infraChange(author string, field Right, to string) Notice {
	return Notice{Project: "xz", Kind: InfraChange, Text: "Moved.", Author: author, Infra: []InfraMove{{Field: field, To: to}}}
}

func revocation(author string, ids ...string) Notice {
	return Notice{Project: "xz", Kind: Revocation, Text: "Withdrawn.", Author: author, Revokes: ids, Reason: "disputed"}
}

func scrutinyUntil(author, until string) Notice {
	return Notice{Project: "xz", Kind: Scrutiny, Text: "Review with care.", Author: author, Until: day(until)}
}

func people(ids ...string) []string { return ids }

// with is n after edit.
func with(n Notice, edit func(*Notice)) Notice {
	edit(&n)
	return n
}

func pgp(fp, holder string) SigningKey {
	return SigningKey{Fingerprint: fp, Type: OpenPGP, Holder: holder}
}

func ssh(fp, holder string) SigningKey { return SigningKey{Fingerprint: fp, Type: SSH, Holder: holder} }

// wantErrors checks that err says exactly the lines want, or nothing if want is empty.
func wantErrors(t *testing.T, err error, want ...string) {
	t.Helper()
	if len(want) == 0 {
		if err != nil {
			t.Fatalf("error = %v, want nil", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("error = nil, want:\n%s", strings.Join(want, "\n"))
	}
	if got := err.Error(); got != strings.Join(want, "\n") {
		t.Errorf("error:\n got %s\nwant %s", got, strings.Join(want, "\n"))
	}
}

// wantContains checks that err mentions every part, or is nil if there are none.
func wantContains(t *testing.T, err error, parts ...string) {
	t.Helper()
	if len(parts) == 0 {
		if err != nil {
			t.Fatalf("error = %v, want nil", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("error = nil, want one mentioning %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not mention %q", err, p)
		}
	}
}

func ids(notices []Signed) []string {
	out := []string{}
	for _, s := range notices {
		out = append(out, s.ID)
	}
	return out
}
