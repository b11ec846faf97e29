package notice

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// goodNotice is a valid notice of each kind, with every field it carries set where that is valid.
func goodNotice(k Kind) Notice {
	n := Notice{Project: "xz", Kind: k, Text: "Something changes.", Author: ann}
	switch k {
	case ReliefRequest:
		n.Help, n.Until = []Help{HelpReview, HelpSecurity}, day("2024-09-01")
	case CallForStewards:
		n.Role, n.Requirements, n.Public, n.Until = "co-maintainer", "Five years of C.", true, day("2024-09-01")
		n.Scope, n.Term = []Right{RightCommit, RightReleaseSigning}, Term{Months: 6}
	case Hiatus:
		n.From, n.Until = people(ann), day("2024-09-01")
	case Handover:
		n.From, n.To, n.Mode, n.Scope, n.Until = people(ann), people(dan), Interim, []Right{RightCommit, RightReleaseSigning}, day("2024-09-01")
	case SignerChange:
		n.KeysAdded, n.KeysRemoved = []SigningKey{pgp(pgpKey2, dan), ssh(sshKey, ann)}, []SigningKey{pgp(pgpKey, "")}
	case InfraChange:
		n.Infra = []InfraMove{{Field: RightSecurityContact, From: "ann@example.org", To: "security@example.org"}, {Field: RightCI, To: "ci.example.org"}}
	case Scrutiny:
		n.Until, n.Reason = day("2024-09-01"), "A new maintainer."
	case Return:
		n.From = people(ann)
	case Retirement:
		n.From, n.Orphaned = people(ann), true
	case Revocation:
		n.Revokes, n.Reason = people("https://n.example/notices/7"), "Signed under pressure."
	}
	return n
}

// fieldSetters set each kind field to a valid-looking value, so a test can put it on a kind that lacks it.
var fieldSetters = map[string]func(*Notice){
	"until":        func(n *Notice) { n.Until = day("2099-01-01") },
	"help":         func(n *Notice) { n.Help = []Help{HelpReview} },
	"role":         func(n *Notice) { n.Role = "r" },
	"requirements": func(n *Notice) { n.Requirements = "r" },
	"public":       func(n *Notice) { n.Public = true },
	"term":         func(n *Notice) { n.Term = Term{Days: 90} },
	"from":         func(n *Notice) { n.From = people(ann) },
	"to":           func(n *Notice) { n.To = people(dan) },
	"mode":         func(n *Notice) { n.Mode = CoMaintainer },
	"scope":        func(n *Notice) { n.Scope = []Right{RightCommit} },
	"keys-added":   func(n *Notice) { n.KeysAdded = []SigningKey{pgp(pgpKey, ann)} },
	"keys-removed": func(n *Notice) { n.KeysRemoved = []SigningKey{pgp(pgpKey2, ann)} },
	"infra":        func(n *Notice) { n.Infra = []InfraMove{{Field: RightDNS, To: "ns.example.org"}} },
	"revokes":      func(n *Notice) { n.Revokes = people("7") },
	"reason":       func(n *Notice) { n.Reason = "r" },
	"orphaned":     func(n *Notice) { n.Orphaned = true },
}

func TestValidateFullGoodNotices(t *testing.T) {
	for _, k := range Kinds {
		if err := goodNotice(k).ValidateFull(); err != nil {
			t.Errorf("%s: ValidateFull() = %v", k, err)
		}
	}
}

// Every field a notice can carry has a setter, and setFields sees each: a field added to Notice
// without a line in setFields would escape the check for fields a kind does not carry.
func TestSetFieldsSeesEveryField(t *testing.T) {
	for name, set := range fieldSetters {
		var n Notice
		set(&n)
		if got := n.setFields(); !slices.Equal(got, []string{name}) {
			t.Errorf("setting %s: setFields() = %v", name, got)
		}
	}
	if len(fieldSetters) != len(Notice{Until: day("2099-01-01"), Help: []Help{"x"}, Role: "x", Requirements: "x", Public: true,
		Term: Term{Days: 1}, From: people(ann), To: people(ann), Mode: "x", Scope: []Right{"x"}, KeysAdded: []SigningKey{{}}, KeysRemoved: []SigningKey{{}},
		Infra: []InfraMove{{}}, Revokes: people(ann), Reason: "x", Orphaned: true}.setFields()) {
		t.Errorf("fieldSetters and setFields disagree on the number of fields")
	}
}

// A field a kind does not carry is an error naming the field and what the kind has.
func TestValidateFullUnusedFields(t *testing.T) {
	for _, k := range Kinds {
		for name, set := range fieldSetters {
			if k.uses(name) {
				continue
			}
			n := goodNotice(k)
			set(&n)
			want := string(k) + ": " + name + ": not a field of " + string(k) + " (it has: " + fieldNames(k) + ")"
			if k == ReliefRequest && name == "public" {
				want = "relief-request: public: a relief request is never public: a public list of exhausted maintainers is a target list"
			}
			wantErrors(t, n.ValidateFull(), want)
		}
	}
}

// Taking away a required field from a new notice is an error naming the kind and the field.
func TestValidateNewRequiredFields(t *testing.T) {
	clear := map[string]func(*Notice){
		"help": func(n *Notice) { n.Help = nil }, "role": func(n *Notice) { n.Role = "" },
		"from": func(n *Notice) { n.From = nil }, "to": func(n *Notice) { n.To = nil },
		"mode": func(n *Notice) { n.Mode = "" }, "scope": func(n *Notice) { n.Scope = nil },
		"infra": func(n *Notice) { n.Infra = nil }, "until": func(n *Notice) { n.Until = time.Time{} },
		"revokes": func(n *Notice) { n.Revokes = nil }, "reason": func(n *Notice) { n.Reason = "" },
		"term": func(n *Notice) { n.Term = Term{} },
	}
	for _, k := range Kinds {
		for _, f := range append(k.Fields(), Field{Name: "author", Required: true}) {
			if !f.Required {
				continue
			}
			n := goodNotice(k)
			if f.Name == "author" {
				n.Author = ""
			} else {
				clear[f.Name](&n)
			}
			err := n.ValidateNew()
			wantContains(t, err, string(k)+": "+f.Name+": ")
		}
	}
}

func TestValidateFull(t *testing.T) {
	tests := []struct {
		name string
		kind Kind
		edit func(*Notice)
		want []string
	}{
		// Every kind.
		{"no author", Hiatus, func(n *Notice) { n.Author = "" }, []string{"hiatus: author: say who wrote the notice (a person id)"}},
		{"author with a space", Return, func(n *Notice) { n.Author = "ann b" }, []string{`return: author: "ann b" is not an id: no spaces or control characters`}},
		{"author too long", Return, func(n *Notice) { n.Author = strings.Repeat("a", 2049) }, []string{"return: author: an id is longer than 2048 bytes"}},
		{"envelope and kind problems together", Handover, func(n *Notice) { n.Text, n.To = "", nil }, []string{
			"text is empty: say in a sentence what changes for the project",
			"handover: to: at least one incoming maintainer"}},
		{"unknown kind: only the envelope speaks", "holiday", func(n *Notice) { n.Author = "" }, []string{
			`unknown notice kind "holiday" (one of: ` + allKinds + `)`}},

		// relief-request
		{"relief: no help", ReliefRequest, func(n *Notice) { n.Help = nil }, []string{"relief-request: help: say what help is needed (review, triage, releases, security)"}},
		{"relief: unknown help", ReliefRequest, func(n *Notice) { n.Help = []Help{"money"} }, []string{`relief-request: help: "money" is not one of review, triage, releases, security`}},
		{"relief: help twice", ReliefRequest, func(n *Notice) { n.Help = []Help{HelpReview, HelpReview} }, []string{"relief-request: help: review is named twice"}},
		{"relief: public", ReliefRequest, func(n *Notice) { n.Public = true }, []string{"relief-request: public: a relief request is never public: a public list of exhausted maintainers is a target list"}},
		{"relief: no until is fine", ReliefRequest, func(n *Notice) { n.Until = time.Time{} }, nil},

		// call-for-stewards
		{"call: no role", CallForStewards, func(n *Notice) { n.Role = " " }, []string{"call-for-stewards: role: name the role to fill"}},
		{"call: role on two lines", CallForStewards, func(n *Notice) { n.Role = "a\nb" }, []string{"call-for-stewards: role: one line, without control characters"}},
		{"call: role too long", CallForStewards, func(n *Notice) { n.Role = strings.Repeat("r", 201) }, []string{"call-for-stewards: role: 201 characters long; at most 200"}},
		{"call: requirements too long", CallForStewards, func(n *Notice) { n.Requirements = strings.Repeat("r", 5001) }, []string{"call-for-stewards: requirements: 5001 characters long; at most 5000"}},
		{"call: private is fine", CallForStewards, func(n *Notice) { n.Public, n.Requirements = false, "" }, nil},

		// hiatus, return, retirement
		{"hiatus: two people", Hiatus, func(n *Notice) { n.From = people(ann, ben) }, []string{"hiatus: from: name one maintainer, not 2 (each publishes their own)"}},
		{"hiatus: open-ended, for the author", Hiatus, func(n *Notice) { n.From, n.Until = nil, time.Time{} }, nil},
		{"return: bad id", Return, func(n *Notice) { n.From = people("a\tb") }, []string{`return: from: "a\tb" is not an id: no spaces or control characters`}},
		{"retirement: two people", Retirement, func(n *Notice) { n.From = people(ann, ben) }, []string{"retirement: from: name one maintainer, not 2 (each publishes their own)"}},

		// handover
		{"handover: no from", Handover, func(n *Notice) { n.From = nil }, []string{"handover: from: at least one outgoing maintainer"}},
		{"handover: no to", Handover, func(n *Notice) { n.To = nil }, []string{"handover: to: at least one incoming maintainer"}},
		{"handover: to self", Handover, func(n *Notice) { n.To = people(dan, ann) }, []string{"handover: to: ann is also in from: a maintainer cannot hand over to themself"}},
		{"handover: to twice", Handover, func(n *Notice) { n.To = people(dan, dan) }, []string{"handover: to: dan is named twice"}},
		{"handover: no mode", Handover, func(n *Notice) { n.Mode = "" }, []string{"handover: mode: say how rights are shared (co-maintainer, interim, successor)"}},
		{"handover: unknown mode", Handover, func(n *Notice) { n.Mode = "forever" }, []string{`handover: mode: "forever" is not one of co-maintainer, interim, successor`}},
		{"handover: no scope", Handover, func(n *Notice) { n.Scope = nil }, []string{"handover: scope: name the rights that pass (" + list(Rights) + ")"}},
		{"handover: unknown right", Handover, func(n *Notice) { n.Scope = []Right{"root"} }, []string{`handover: scope: "root" is not one of ` + list(Rights)}},
		{"handover: right twice", Handover, func(n *Notice) { n.Scope = []Right{RightDNS, RightDNS} }, []string{"handover: scope: dns is named twice"}},
		{"handover: interim without until", Handover, func(n *Notice) { n.Until = time.Time{} }, []string{"handover: until: an interim handover needs the date it ends"}},
		{"handover: successor with until", Handover, func(n *Notice) { n.Mode = Successor }, []string{"handover: until: only an interim handover ends; this one is successor"}},
		{"handover: co-maintainer, open-ended", Handover, func(n *Notice) { n.Mode, n.Until = CoMaintainer, time.Time{} }, nil},
		{"handover: every right", Handover, func(n *Notice) { n.Scope = Rights }, nil},
		{"handover: too many people", Handover, func(n *Notice) { n.To = make([]string, 33) }, []string{"handover: to: 33 ids; at most 32"}},

		// signer-change
		{"signer: no keys", SignerChange, func(n *Notice) { n.KeysAdded, n.KeysRemoved = nil, nil }, []string{"signer-change: keys-added: add or remove at least one release-signing key"}},
		{"signer: only a removal", SignerChange, func(n *Notice) { n.KeysAdded = nil }, nil},
		{"signer: OpenPGP v5", SignerChange, func(n *Notice) { n.KeysAdded[0].Fingerprint = strings.Repeat("ab", 32) }, nil},
		{"signer: lower-case hex", SignerChange, func(n *Notice) { n.KeysAdded[0].Fingerprint = strings.ToLower(pgpKey2) }, nil},
		{"signer: OpenPGP with spaces", SignerChange, func(n *Notice) { n.KeysAdded[0].Fingerprint = "22D4 65F2 B4C1 7380 3B20  C6DE 59FC F207 FEA7 F445" },
			[]string{`signer-change: keys-added[0]: fingerprint "22D4 65F2 B4C1 7380 3B20  C6DE 59FC F207 FEA7 F445": an OpenPGP fingerprint is 40 (v4) or 64 (v5) hex digits, without spaces`}},
		{"signer: OpenPGP v3 length", SignerChange, func(n *Notice) { n.KeysAdded[0].Fingerprint = strings.Repeat("A", 32) },
			[]string{`signer-change: keys-added[0]: fingerprint "` + strings.Repeat("A", 32) + `": an OpenPGP fingerprint is 40 (v4) or 64 (v5) hex digits, without spaces`}},
		{"signer: OpenPGP not hex", SignerChange, func(n *Notice) { n.KeysAdded[0].Fingerprint = strings.Repeat("G", 40) },
			[]string{`signer-change: keys-added[0]: fingerprint "` + strings.Repeat("G", 40) + `": an OpenPGP fingerprint is 40 (v4) or 64 (v5) hex digits, without spaces`}},
		{"signer: SSH without prefix", SignerChange, func(n *Notice) { n.KeysAdded[1].Fingerprint = strings.TrimPrefix(sshKey, "SHA256:") },
			[]string{`signer-change: keys-added[1]: fingerprint "uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s": an SSH fingerprint is "SHA256:" and 43 base64 characters, as ssh-keygen -l prints it`}},
		{"signer: SSH MD5", SignerChange, func(n *Notice) { n.KeysAdded[1].Fingerprint = "MD5:16:27:ac:a5:76:28:2d:36:63:1b:56:4d:eb:df:a6:48" },
			[]string{`signer-change: keys-added[1]: fingerprint "MD5:16:27:ac:a5:76:28:2d:36:63:1b:56:4d:eb:df:a6:48": an SSH fingerprint is "SHA256:" and 43 base64 characters, as ssh-keygen -l prints it`}},
		{"signer: SSH with stray bits", SignerChange, func(n *Notice) { n.KeysAdded[1].Fingerprint = sshKey[:len(sshKey)-1] + "t" },
			[]string{`signer-change: keys-added[1]: fingerprint "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2t": an SSH fingerprint is "SHA256:" and 43 base64 characters, as ssh-keygen -l prints it`}},
		{"signer: SSH padded", SignerChange, func(n *Notice) { n.KeysAdded[1].Fingerprint = sshKey + "=" },
			[]string{`signer-change: keys-added[1]: fingerprint "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s=": an SSH fingerprint is "SHA256:" and 43 base64 characters, as ssh-keygen -l prints it`}},
		{"signer: OpenPGP fingerprint typed ssh", SignerChange, func(n *Notice) { n.KeysAdded[0].Type = SSH },
			[]string{`signer-change: keys-added[0]: fingerprint "22D465F2B4C173803B20C6DE59FCF207FEA7F445": an SSH fingerprint is "SHA256:" and 43 base64 characters, as ssh-keygen -l prints it`}},
		{"signer: no type", SignerChange, func(n *Notice) { n.KeysAdded[0].Type = "" }, []string{`signer-change: keys-added[0]: type "" is not one of openpgp, ssh`}},
		{"signer: added without holder", SignerChange, func(n *Notice) { n.KeysAdded[0].Holder = "" }, []string{"signer-change: keys-added[0]: holder: say who holds the key (a person id)"}},
		{"signer: bad holder", SignerChange, func(n *Notice) { n.KeysRemoved[0].Holder = "a b" }, []string{`signer-change: keys-removed[0]: holder: "a b" is not an id: no spaces or control characters`}},
		{"signer: added twice", SignerChange, func(n *Notice) { n.KeysAdded[1] = pgp(strings.ToLower(pgpKey2), dan) }, []string{"signer-change: keys-added[1]: " + strings.ToLower(pgpKey2) + " is named twice"}},
		{"signer: added and removed", SignerChange, func(n *Notice) { n.KeysRemoved[0].Fingerprint = pgpKey2 }, []string{"signer-change: keys-removed: " + pgpKey2 + " is also in keys-added"}},

		// infra-change
		{"infra: nothing moved", InfraChange, func(n *Notice) { n.Infra = nil }, []string{"infra-change: infra: say what moved (field, from, to)"}},
		{"infra: not infrastructure", InfraChange, func(n *Notice) { n.Infra[0].Field = RightCommit }, []string{`infra-change: infra[0]: field "commit" is not one of security-contact, website, dns, ci, fuzzing-contact`}},
		{"infra: twice", InfraChange, func(n *Notice) { n.Infra[1].Field = RightSecurityContact }, []string{"infra-change: infra[1]: security-contact moves twice in one notice"}},
		{"infra: nowhere", InfraChange, func(n *Notice) { n.Infra[0].To = " " }, []string{"infra-change: infra[0]: to: the new address or owner"}},
		{"infra: nothing changes", InfraChange, func(n *Notice) { n.Infra[0].From = n.Infra[0].To }, []string{"infra-change: infra[0]: from and to are the same (security@example.org)"}},
		{"infra: address on two lines", InfraChange, func(n *Notice) { n.Infra[0].To = "a\nb" }, []string{"infra-change: infra[0]: to: one line, without control characters"}},

		// scrutiny
		{"scrutiny: open-ended", Scrutiny, func(n *Notice) { n.Until = time.Time{} }, []string{"scrutiny: until: a scrutiny window needs the date it ends"}},
		{"scrutiny: no reason is fine", Scrutiny, func(n *Notice) { n.Reason = "" }, nil},

		// revocation
		{"revocation: nothing revoked", Revocation, func(n *Notice) { n.Revokes = nil }, []string{"revocation: revokes: name the notices revoked (their ids)"}},
		{"revocation: no reason", Revocation, func(n *Notice) { n.Reason = "" }, []string{"revocation: reason: say why: whoever took something on the revoked notice's strength needs to know"}},
		{"revocation: id twice", Revocation, func(n *Notice) { n.Revokes = people("7", "7") }, []string{"revocation: revokes: 7 is named twice"}},

		// everything at once
		{"every problem at once", Handover, func(n *Notice) { n.Author, n.From, n.To, n.Mode, n.Scope, n.Orphaned = "", nil, nil, "", nil, true }, []string{
			"handover: author: say who wrote the notice (a person id)",
			"handover: from: at least one outgoing maintainer",
			"handover: to: at least one incoming maintainer",
			"handover: mode: say how rights are shared (co-maintainer, interim, successor)",
			"handover: scope: name the rights that pass (" + list(Rights) + ")",
			"handover: orphaned: not a field of handover (it has: author, from, to, mode, scope, until)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := Notice{Project: "xz", Kind: tt.kind, Text: "x", Author: ann}
			if _, ok := kinds[tt.kind]; ok {
				n = goodNotice(tt.kind)
			}
			n.KeysAdded = slices.Clone(n.KeysAdded)
			tt.edit(&n)
			wantErrors(t, n.ValidateFull(), tt.want...)
		})
	}
}

// Validate keeps its meaning: the envelope only, so callers that do not carry kind fields yet keep working.
func TestValidateIsTheEnvelope(t *testing.T) {
	bare := Notice{Project: "xz", Kind: Handover, Text: "New maintainers."}
	if err := bare.Validate(); err != nil {
		t.Errorf("Validate() = %v, want nil", err)
	}
	if err := bare.ValidateFull(); err == nil {
		t.Errorf("ValidateFull() = nil for a handover with no author, from, to, mode or scope")
	}
}

func TestKindFields(t *testing.T) {
	for _, k := range Kinds {
		if len(k.Fields()) == 0 && k != "" {
			t.Errorf("%s has no fields", k)
		}
		for _, f := range k.Fields() {
			if _, ok := fieldSetters[f.Name]; !ok || f.About == "" {
				t.Errorf("%s: field %q is not a Notice field or has no description", k, f.Name)
			}
		}
	}
	k := Handover.Fields()
	k[0].Name = "changed"
	if Handover.Fields()[0].Name != "from" {
		t.Errorf("Fields() returned the table itself, not a copy")
	}
	if Kind("holiday").Fields() != nil {
		t.Errorf("an unknown kind has fields")
	}
}
