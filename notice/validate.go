package notice

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits on a kind's fields: notices arrive from the network, and every list and string in them is
// bounded before anything else reads it.
const (
	maxListLen   = 32   // people, keys, moves or notice ids in one notice
	maxIDLen     = 2048 // a person or notice id (in practice a URL)
	maxLineRunes = 200  // a role, an address
)

// ValidateFull reports every problem with n at once: the envelope's, as Validate does, and its kind's
// own fields: required ones missing, values out of range, and fields the kind does not carry. Each
// message names the kind and the field: "handover: to: at least one incoming maintainer".
func (n Notice) ValidateFull() error {
	errs := n.envelopeErrors()
	if check, ok := kindChecks[n.Kind]; ok {
		p := &problems{kind: n.Kind}
		p.id("author", n.Author, "say who wrote the notice (a person id)")
		check(p, n)
		p.unused(n)
		errs = append(errs, p.errs...)
	}
	return errors.Join(errs...)
}

// kindChecks holds each kind's own rules; every kind has an entry, even if it only lists nothing.
var kindChecks = map[Kind]func(*problems, Notice){
	ReliefRequest:   checkRelief,
	CallForStewards: checkCall,
	Hiatus:          checkConcerned,
	Handover:        checkHandover,
	SignerChange:    checkSignerChange,
	InfraChange:     checkInfraChange,
	Scrutiny:        checkScrutiny,
	Return:          checkConcerned,
	Retirement:      checkConcerned,
	Revocation:      checkRevocation,
}

func checkRelief(p *problems, n Notice) {
	if len(n.Help) == 0 {
		p.add("help", "say what help is needed (%s)", list(Helps))
	}
	checkWords(p, "help", n.Help, Helps)
}

func checkCall(p *problems, n Notice) {
	if strings.TrimSpace(n.Role) == "" {
		p.add("role", "name the role to fill")
	}
	p.line("role", n.Role)
	p.text("requirements", n.Requirements)
	checkWords(p, "scope", n.Scope, Rights)
	if err := n.Term.check(n.Since); err != nil {
		p.add("term", "%v", err)
	}
}

// ValidateNew reports every problem with n as a notice to publish now: ValidateFull's, and the fields
// a new notice of its kind must give that notices published before they were asked for lack. Those
// older notices still fold as what they were (Fold asks ValidateFull of them): a rule made later does
// not rewrite what packagers were told.
func (n Notice) ValidateNew() error {
	return errors.Join(n.ValidateFull(), n.newProblems())
}

// newProblems reports what n lacks as a new notice that ValidateFull does not ask of it.
func (n Notice) newProblems() error {
	p := &problems{kind: n.Kind}
	if check, ok := newKindChecks[n.Kind]; ok {
		check(p, n)
	}
	return errors.Join(p.errs...)
}

// newKindChecks holds what each kind asks of a new notice beyond kindChecks.
var newKindChecks = map[Kind]func(*problems, Notice){
	CallForStewards: checkNewCall,
}

// checkNewCall asks a call for the rights it wants and for how long: what an offer answers and an
// accepted one's interim handover is drafted from. Calls made before these were asked name neither.
func checkNewCall(p *problems, n Notice) {
	if len(n.Scope) == 0 {
		p.add("scope", "name the rights wanted (%s)", list(Rights))
	}
	if n.Term.IsZero() {
		p.add("term", "say for how long the rights are wanted: an end date, or a length such as 6m")
	}
}

// checkConcerned checks the "from" of a hiatus, return or retirement: one maintainer, or none for the author.
func checkConcerned(p *problems, n Notice) {
	if len(n.From) > 1 {
		p.add("from", "name one maintainer, not %d (each publishes their own)", len(n.From))
	}
	p.ids("from", n.From)
}

func checkHandover(p *problems, n Notice) {
	if len(n.From) == 0 {
		p.add("from", "at least one outgoing maintainer")
	}
	if len(n.To) == 0 {
		p.add("to", "at least one incoming maintainer")
	}
	p.ids("from", n.From)
	p.ids("to", n.To)
	for _, id := range n.To {
		if slices.Contains(n.From, id) {
			p.add("to", "%s is also in from: a maintainer cannot hand over to themself", id)
		}
	}
	switch {
	case n.Mode == "":
		p.add("mode", "say how rights are shared (%s)", list(Modes))
	case !isOneOf(n.Mode, Modes):
		p.add("mode", "%q is not one of %s", n.Mode, list(Modes))
	}
	if len(n.Scope) == 0 {
		p.add("scope", "name the rights that pass (%s)", list(Rights))
	}
	checkWords(p, "scope", n.Scope, Rights)
	switch {
	case n.Mode == Interim && n.Until.IsZero():
		p.add("until", "an interim handover needs the date it ends")
	case n.Mode != Interim && isOneOf(n.Mode, Modes) && !n.Until.IsZero():
		p.add("until", "only an interim handover ends; this one is %s", n.Mode)
	}
}

func checkSignerChange(p *problems, n Notice) {
	if len(n.KeysAdded) == 0 && len(n.KeysRemoved) == 0 {
		p.add("keys-added", "add or remove at least one release-signing key")
	}
	p.keys("keys-added", n.KeysAdded, true)
	p.keys("keys-removed", n.KeysRemoved, false)
	for _, r := range n.KeysRemoved {
		if slices.ContainsFunc(n.KeysAdded, func(a SigningKey) bool { return sameFingerprint(a.Fingerprint, r.Fingerprint) }) {
			p.add("keys-removed", "%s is also in keys-added", r.Fingerprint)
		}
	}
}

func checkInfraChange(p *problems, n Notice) {
	if len(n.Infra) == 0 {
		p.add("infra", "say what moved (field, from, to)")
	}
	if len(n.Infra) > maxListLen {
		p.add("infra", "%d moves; at most %d", len(n.Infra), maxListLen)
		return
	}
	seen := map[Right]bool{}
	for i, m := range n.Infra {
		field := fmt.Sprintf("infra[%d]", i)
		switch {
		case !isOneOf(m.Field, InfraFields):
			p.add(field, "field %q is not one of %s", m.Field, list(InfraFields))
		case seen[m.Field]:
			p.add(field, "%s moves twice in one notice", m.Field)
		}
		seen[m.Field] = true
		if strings.TrimSpace(m.To) == "" {
			p.add(field, "to: the new address or owner")
		}
		if m.From != "" && m.From == m.To {
			p.add(field, "from and to are the same (%s)", m.To)
		}
		p.line(field+": from", m.From)
		p.line(field+": to", m.To)
	}
}

func checkScrutiny(p *problems, n Notice) {
	if n.Until.IsZero() {
		p.add("until", "a scrutiny window needs the date it ends")
	}
	p.text("reason", n.Reason)
}

func checkRevocation(p *problems, n Notice) {
	if len(n.Revokes) == 0 {
		p.add("revokes", "name the notices revoked (their ids)")
	}
	p.ids("revokes", n.Revokes)
	if strings.TrimSpace(n.Reason) == "" {
		p.add("reason", "say why: whoever took something on the revoked notice's strength needs to know")
	}
	p.text("reason", n.Reason)
}

// problems collects the errors of one notice's kind fields, each as "kind: field: what is wrong".
type problems struct {
	kind Kind
	errs []error
}

func (p *problems) add(field, format string, args ...any) {
	p.errs = append(p.errs, fmt.Errorf("%s: %s: %s", p.kind, field, fmt.Sprintf(format, args...)))
}

// unused reports the fields n sets that its kind does not carry.
func (p *problems) unused(n Notice) {
	for _, name := range n.setFields() {
		switch {
		case n.Kind.uses(name):
		case n.Kind == ReliefRequest && name == "public":
			p.add(name, "a relief request is never public: a public list of exhausted maintainers is a target list")
		default:
			p.add(name, "not a field of %s (it has: %s)", n.Kind, fieldNames(n.Kind))
		}
	}
}

func fieldNames(k Kind) string {
	names := []string{"author"}
	for _, f := range kindFields[k] {
		names = append(names, f.Name)
	}
	return strings.Join(names, ", ")
}

// id checks a required person or notice id.
func (p *problems) id(field, id, missing string) {
	if id == "" {
		p.add(field, "%s", missing)
		return
	}
	if err := checkID(id); err != nil {
		p.add(field, "%v", err)
	}
}

// ids checks a list of person or notice ids: each well formed, none twice, not too many.
func (p *problems) ids(field string, ids []string) {
	if len(ids) > maxListLen {
		p.add(field, "%d ids; at most %d", len(ids), maxListLen)
		return
	}
	for i, id := range ids {
		if err := checkID(id); err != nil {
			p.add(field, "%v", err)
		} else if slices.Contains(ids[:i], id) {
			p.add(field, "%s is named twice", id)
		}
	}
}

// checkID says why id cannot be a person or notice id. Ids are opaque, but they end up in messages and
// logs, so they carry no spaces or control characters.
func checkID(id string) error {
	switch {
	case id == "":
		return errors.New("an id is empty")
	case len(id) > maxIDLen:
		return fmt.Errorf("an id is longer than %d bytes", maxIDLen)
	case !utf8.ValidString(id) || strings.ContainsFunc(id, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }):
		return fmt.Errorf("%q is not an id: no spaces or control characters", id)
	}
	return nil
}

func (p *problems) keys(field string, keys []SigningKey, needHolder bool) {
	if len(keys) > maxListLen {
		p.add(field, "%d keys; at most %d", len(keys), maxListLen)
		return
	}
	for i, k := range keys {
		at := fmt.Sprintf("%s[%d]", field, i)
		switch {
		case !isOneOf(k.Type, KeyTypes):
			p.add(at, "type %q is not one of %s", k.Type, list(KeyTypes))
		default:
			if err := checkFingerprint(k.Type, k.Fingerprint); err != nil {
				p.add(at, "%v", err)
			}
		}
		if slices.ContainsFunc(keys[:i], func(o SigningKey) bool { return sameFingerprint(o.Fingerprint, k.Fingerprint) }) {
			p.add(at, "%s is named twice", k.Fingerprint)
		}
		switch {
		case k.Holder == "" && needHolder:
			p.add(at, "holder: say who holds the key (a person id)")
		case k.Holder != "":
			if err := checkID(k.Holder); err != nil {
				p.add(at, "holder: %v", err)
			}
		}
	}
}

// checkWords checks that every value is one of all, and none is named twice.
func checkWords[T ~string](p *problems, field string, vals, all []T) {
	if len(vals) > len(all) {
		p.add(field, "%d values; there are only %d (%s)", len(vals), len(all), list(all))
		return
	}
	for i, v := range vals {
		switch {
		case !isOneOf(v, all):
			p.add(field, "%q is not one of %s", v, list(all))
		case slices.Contains(vals[:i], v):
			p.add(field, "%s is named twice", v)
		}
	}
}

// line checks a one-line string: a role, an address.
func (p *problems) line(field, s string) {
	switch {
	case utf8.RuneCountInString(s) > maxLineRunes:
		p.add(field, "%d characters long; at most %d", utf8.RuneCountInString(s), maxLineRunes)
	case strings.ContainsFunc(s, unicode.IsControl):
		p.add(field, "one line, without control characters")
	}
}

// text checks a free-text field, bounded like the notice's text.
func (p *problems) text(field, s string) {
	if n := utf8.RuneCountInString(s); n > maxTextRunes {
		p.add(field, "%d characters long; at most %d", n, maxTextRunes)
	}
}
