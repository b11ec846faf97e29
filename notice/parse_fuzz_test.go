package notice

import (
	"strings"
	"testing"
	"time"
)

// Dates reach the server in statements, ?at= and flags: any string parses or is refused, never
// panics, and what parses is never the zero time (which means "not given") nor before 1970.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"", "2024-02-24", "0001-01-01", "1969-12-31", "2024-02-30", "2024-02-24T12:00:00Z",
		"2024-02-24T12:00:00+14:00", " 2024-02-24 ", "9999-12-31", "2024-2-4", "\x00", "1970-01-01T00:00:00-01:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		if err != nil {
			return
		}
		if d.IsZero() && strings.TrimSpace(s) != "" {
			t.Fatalf("%q parsed to the zero time", s)
		}
		if !d.IsZero() && d.Year() < firstYear-1 {
			t.Fatalf("%q parsed to %s, before %d", s, d, firstYear)
		}
		if d.Location() != time.UTC {
			t.Fatalf("%q parsed to a time not in UTC", s)
		}
	})
}

// A notice built from anything is valid or says why, and never panics; folding a valid one with a
// genesis never panics either.
func FuzzValidateFull(f *testing.F) {
	f.Add("xz", "handover", "Jia joins.", "ann", "dan", "co-maintainer", "commit", "3690C240CE51B4670D30AD1C38EE757D69184620", "security-contact", "", int64(0), int64(0))
	f.Add("xz", "signer-change", "Keys.", "ann", "", "", "", "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s", "", "", int64(1700000000), int64(0))
	f.Add("xz", "revocation", "No.", "ann", "", "", "", "", "", "h1", int64(0), int64(0))
	f.Add("XZ Utils", "nope", "", "", "", "", "", "0x12", "", "", int64(-1), int64(1))
	f.Fuzz(func(t *testing.T, project, kind, text, author, to, mode, scope, fp, field, revokes string, since, until int64) {
		n := Notice{Project: project, Kind: Kind(kind), Text: text, Author: author, Mode: Mode(mode), Reason: text}
		if to != "" {
			n.From, n.To = []string{author}, []string{to}
		}
		if scope != "" {
			n.Scope = []Right{Right(scope)}
		}
		if fp != "" {
			n.KeysAdded = []SigningKey{{Fingerprint: fp, Type: OpenPGP, Holder: to}}
		}
		if field != "" {
			n.Infra = []InfraMove{{Field: Right(field), To: text}}
		}
		if revokes != "" {
			n.Revokes = []string{revokes}
		}
		if since != 0 {
			n.Since = time.Unix(since%(1<<40), 0).UTC()
		}
		if until != 0 {
			n.Until = time.Unix(until%(1<<40), 0).UTC()
		}
		if err := n.ValidateFull(); err != nil {
			return
		}
		g := Genesis{Project: n.Project, Maintainers: []string{author}, Since: time.Unix(0, 0).UTC()}
		sn := Signed{ID: "https://x.example/notices/1", Published: time.Unix(1700000000, 0).UTC(), Notice: n, Proofs: []Proof{{Person: author}}}
		Fold(g, []Signed{sn}, nil, DefaultPolicy(), sn.Published.Add(time.Hour))
		FoldHindsight(g, []Signed{sn}, nil, DefaultPolicy(), sn.Published, sn.Published.Add(time.Hour))
	})
}
