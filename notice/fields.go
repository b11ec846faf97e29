package notice

import "slices"

// Field describes one of a kind's own fields, so validation can name it and a command line can offer it.
type Field struct {
	Name     string // as messages and flags name it: "to", "keys-added"
	Required bool   // a new notice of the kind is invalid without it (ValidateNew)
	About    string // one line for help texts
}

// kindFields lists, per kind, the fields it carries besides the envelope (project, kind, text, since)
// and the author, which every kind has. Any other field set on a notice is an error: a field the kind
// ignores would mislead whoever reads the notice.
var kindFields = map[Kind][]Field{
	ReliefRequest: {
		{"help", true, "what help is needed: " + list(Helps)},
		{"until", false, "until when help is needed"},
	},
	CallForStewards: {
		{"role", true, "the role to fill"},
		{"requirements", false, "what the role asks of a person"},
		{"scope", true, "the rights wanted: " + list(Rights)},
		{"term", true, "for how long: an end date, or a length (6m, 90d)"},
		{"public", false, "show the call to everyone, not only stewards"},
		{"until", false, "until when the call is open"},
	},
	Hiatus: {
		{"from", false, "the maintainer stepping back (default: the author)"},
		{"until", false, "the planned end (default: open-ended)"},
	},
	Handover: {
		{"from", true, "the outgoing maintainers"},
		{"to", true, "the incoming maintainers"},
		{"mode", true, "how rights are shared: " + list(Modes)},
		{"scope", true, "the rights that pass: " + list(Rights)},
		{"until", false, "when an interim handover ends (required for interim, only for interim)"},
	},
	SignerChange: {
		{"keys-added", false, "release-signing keys that become valid (at least one added or removed)"},
		{"keys-removed", false, "release-signing keys that stop being valid"},
	},
	InfraChange: {
		{"infra", true, "what moved: field (" + list(InfraFields) + "), from, to"},
	},
	Scrutiny: {
		{"until", true, "when the window ends"},
		{"reason", false, "why releases deserve extra review"},
	},
	Return: {
		{"from", false, "the maintainer who is back (default: the author)"},
	},
	Retirement: {
		{"from", false, "the maintainer who leaves (default: the author)"},
		{"orphaned", false, "nobody is left to maintain the project"},
	},
	Revocation: {
		{"revokes", true, "the ids of the notices revoked"},
		{"reason", true, "why they are revoked"},
	},
}

// Fields lists the fields a notice of kind k carries besides the envelope (project, kind, text, since)
// and the author, which every kind requires. An unknown kind has none.
func (k Kind) Fields() []Field { return slices.Clone(kindFields[k]) }

// uses reports whether notices of kind k carry the field named name.
func (k Kind) uses(name string) bool {
	return slices.ContainsFunc(kindFields[k], func(f Field) bool { return f.Name == name })
}

// setFields names the kind-specific fields n carries, in the order Notice declares them.
func (n Notice) setFields() []string {
	set := []struct {
		name string
		set  bool
	}{
		{"until", !n.Until.IsZero()},
		{"help", len(n.Help) > 0},
		{"role", n.Role != ""},
		{"requirements", n.Requirements != ""},
		{"public", n.Public},
		{"term", !n.Term.IsZero()},
		{"from", len(n.From) > 0},
		{"to", len(n.To) > 0},
		{"mode", n.Mode != ""},
		{"scope", len(n.Scope) > 0},
		{"keys-added", len(n.KeysAdded) > 0},
		{"keys-removed", len(n.KeysRemoved) > 0},
		{"infra", len(n.Infra) > 0},
		{"revokes", len(n.Revokes) > 0},
		{"reason", n.Reason != ""},
		{"orphaned", n.Orphaned},
	}
	var names []string
	for _, f := range set {
		if f.set {
			names = append(names, f.name)
		}
	}
	return names
}
