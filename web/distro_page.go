package web

import (
	"context"
	"fmt"
	"html"
	"strings"
	"time"

	"baton/notice"
	"baton/upstream"
)

// upstreamItem is a mirrored upstream notice as a package's page and feed show it: what its
// maintainer-signed statement says, field by field, with people by the names people read; who signed
// it; how this instance's own policy judges its endorsement; and whether it was revoked. Everything
// is the statement's structured fields as plain text: the upstream's HTML is not this instance's to
// vouch for.
type upstreamItem struct {
	URL       string
	KindTitle string
	Published time.Time
	Updated   time.Time
	Since     time.Time // when it takes effect, if it says
	Until     time.Time
	Text      string
	Statement bool // false: published by the upstream's admin, with no maintainer's signature
	Fields    []upstreamField
	Signers   []personLink
	Required  bool // whether the policy asks endorsements of its kind
	Endorsed  bool
	Missing   []string
	Backdated bool
	Revoked   bool
	Revocation
}

// Revocation is what withdrew an upstream notice: by whom, when and why, as far as this instance
// mirrored it (only its id when the upstream's Note alone says so).
type Revocation struct {
	RevokedBy     string
	RevokedByName personLink
	RevokedOn     time.Time
	RevokedReason string
}

// upstreamField is one field of a notice: plain values, links, or both.
type upstreamField struct {
	Name   string
	Values []fieldValue
}

type fieldValue struct {
	Text string
	Href string // a link, when the value is a person or a notice
}

type personLink struct{ Name, URL string }

// upstreamItems reads a package's mirrored notices, newest first.
func (s *Server) upstreamItems(ctx context.Context, pkg string) ([]upstreamItem, error) {
	views, err := s.upstreams.Mirrored(ctx, pkg)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	name := func(id string) string {
		if n, ok := names[id]; ok {
			return n
		}
		names[id] = s.upstreams.PersonName(ctx, id)
		return names[id]
	}
	items := make([]upstreamItem, 0, len(views))
	for i := len(views) - 1; i >= 0; i-- {
		items = append(items, upstreamItemOf(views[i], name))
	}
	return items, nil
}

func upstreamItemOf(v upstream.MirroredView, name func(string) string) upstreamItem {
	item := upstreamItem{URL: v.ID, KindTitle: v.Kind.Title(), Published: v.Published, Updated: v.Updated,
		Statement: v.Statement, Backdated: v.Backdated}
	if item.KindTitle == "" {
		item.KindTitle = string(v.Kind)
	}
	person := func(id string) fieldValue { return fieldValue{Text: name(id), Href: id} }
	people := func(ids []string) []fieldValue {
		out := make([]fieldValue, 0, len(ids))
		for _, id := range ids {
			out = append(out, person(id))
		}
		return out
	}
	if v.Statement {
		n := v.Signed.Notice
		item.Text, item.Since, item.Until = n.Text, n.Since, n.Until
		item.Fields = noticeFields(n, person, people)
		seen := map[string]bool{}
		for _, p := range v.Signed.Proofs {
			if !seen[p.Person] {
				seen[p.Person] = true
				item.Signers = append(item.Signers, personLink{Name: name(p.Person), URL: p.Person})
			}
		}
		e := v.Endorsement
		item.Required, item.Endorsed = e.Required, e.Endorsed
		for _, m := range e.Missing {
			item.Missing = append(item.Missing, withNames(m, seen, n, name))
		}
	}
	if v.RevokedBy != "" {
		item.Revoked = true
		item.RevokedBy = v.RevokedBy
		if r := v.Revocation; r.ID != "" {
			item.RevokedByName = personLink{Name: name(r.Notice.Author), URL: r.Notice.Author}
			item.RevokedOn, item.RevokedReason = r.Effective(), r.Notice.Reason
		}
	}
	return item
}

// noticeFields are the structured fields a notice of its kind carries, in the order a reader needs.
func noticeFields(n notice.Notice, person func(string) fieldValue, people func([]string) []fieldValue) []upstreamField {
	var out []upstreamField
	add := func(name string, values ...fieldValue) {
		if len(values) > 0 {
			out = append(out, upstreamField{Name: name, Values: values})
		}
	}
	text := func(s string) []fieldValue {
		if strings.TrimSpace(s) == "" {
			return nil
		}
		return []fieldValue{{Text: s}}
	}
	if n.Author != "" {
		add("Author", person(n.Author))
	}
	switch n.Kind {
	case notice.Handover:
		add("From", people(n.From)...)
		add("To", people(n.To)...)
		add("Mode", text(string(n.Mode))...)
		var rights []fieldValue
		for _, r := range n.Scope {
			rights = append(rights, fieldValue{Text: string(r)})
		}
		add("Scope", rights...)
	case notice.Hiatus, notice.Return, notice.Retirement:
		add("Who", people(n.From)...)
		if n.Orphaned {
			add("Orphaned", fieldValue{Text: "nobody is left to maintain the project"})
		}
	case notice.SignerChange:
		add("Keys added", keyValues(n.KeysAdded, person)...)
		add("Keys removed", keyValues(n.KeysRemoved, person)...)
	case notice.InfraChange:
		var moves []fieldValue
		for _, m := range n.Infra {
			if m.From != "" {
				moves = append(moves, fieldValue{Text: fmt.Sprintf("%s: %s → %s", m.Field, m.From, m.To)})
			} else {
				moves = append(moves, fieldValue{Text: fmt.Sprintf("%s: → %s", m.Field, m.To)})
			}
		}
		add("Moves", moves...)
	case notice.Revocation:
		var revokes []fieldValue
		for _, id := range n.Revokes {
			revokes = append(revokes, fieldValue{Text: id, Href: id})
		}
		add("Revokes", revokes...)
	case notice.CallForStewards:
		add("Role", text(n.Role)...)
		add("Rights wanted", text(notice.RightsText(n.Scope))...)
		add("Term", text(n.Term.String())...)
		add("Requirements", text(n.Requirements)...)
	}
	add("Reason", text(n.Reason)...)
	return out
}

func keyValues(keys []notice.SigningKey, person func(string) fieldValue) []fieldValue {
	out := make([]fieldValue, 0, len(keys))
	for _, k := range keys {
		v := fieldValue{Text: fmt.Sprintf("%s (%s)", k.Fingerprint, k.Type)}
		if k.Holder != "" {
			holder := person(k.Holder)
			v.Text += ", held by " + holder.Text
		}
		out = append(out, v)
	}
	return out
}

// withNames writes the people a policy's reason names by their names.
func withNames(reason string, signers map[string]bool, n notice.Notice, name func(string) string) string {
	ids := []string{n.Author}
	ids = append(append(ids, n.From...), n.To...)
	for id := range signers {
		ids = append(ids, id)
	}
	for _, k := range append(append([]notice.SigningKey{}, n.KeysAdded...), n.KeysRemoved...) {
		ids = append(ids, k.Holder)
	}
	for _, id := range ids {
		if id != "" && strings.Contains(reason, id) {
			reason = strings.ReplaceAll(reason, id, name(id))
		}
	}
	return reason
}

// contentHTML is an upstream notice as a feed entry's HTML: every piece escaped here.
func (it upstreamItem) contentHTML(upstreamName string) string {
	var b strings.Builder
	esc := html.EscapeString
	title := it.KindTitle
	if it.Revoked {
		title += " (REVOKED)"
	}
	fmt.Fprintf(&b, "<p><strong>%s — %s</strong></p>", esc(title), esc(upstreamName))
	if it.Revoked {
		b.WriteString("<p>⚠ REVOKED")
		if it.RevokedByName.URL != "" {
			fmt.Fprintf(&b, " by %s on %s: %s", esc(it.RevokedByName.Name), it.RevokedOn.Format(notice.Date), esc(it.RevokedReason))
		}
		fmt.Fprintf(&b, ` <a href="%s">%s</a></p>`, esc(it.RevokedBy), esc(it.RevokedBy))
	}
	if it.Text != "" {
		fmt.Fprintf(&b, "<p>%s</p>", esc(it.Text))
	}
	if len(it.Fields) > 0 {
		b.WriteString("<ul>")
		for _, f := range it.Fields {
			vals := make([]string, len(f.Values))
			for i, v := range f.Values {
				vals[i] = esc(v.Text)
			}
			fmt.Fprintf(&b, "<li>%s: %s</li>", esc(f.Name), strings.Join(vals, ", "))
		}
		b.WriteString("</ul>")
	}
	if p := it.period(); p != "" {
		fmt.Fprintf(&b, "<p>%s</p>", esc(p))
	}
	if it.Required {
		if it.Endorsed {
			b.WriteString("<p>Endorsed, by this instance's policy.</p>")
		} else {
			fmt.Fprintf(&b, "<p>⚠ UNENDORSED, by this instance's policy: %s</p>", esc(strings.Join(it.Missing, "; ")))
		}
	}
	if len(it.Signers) > 0 {
		names := make([]string, len(it.Signers))
		for i, s := range it.Signers {
			names[i] = esc(s.Name)
		}
		fmt.Fprintf(&b, "<p>Signed by %s, verified here.</p>", strings.Join(names, ", "))
	}
	fmt.Fprintf(&b, `<p><a href="%s">%s</a></p>`, esc(it.URL), esc(it.URL))
	return b.String()
}

// period says when a notice applies, in words.
func (it upstreamItem) period() string {
	switch {
	case !it.Since.IsZero() && !it.Until.IsZero():
		return fmt.Sprintf("From %s until %s.", it.Since.Format(notice.Date), it.Until.Format(notice.Date))
	case !it.Since.IsZero():
		return fmt.Sprintf("Since %s.", it.Since.Format(notice.Date))
	case !it.Until.IsZero():
		return fmt.Sprintf("Until %s.", it.Until.Format(notice.Date))
	}
	return ""
}

// Period is period, for templates.
func (it upstreamItem) Period() string { return it.period() }

// packageSummary is a watched package as the home page lists it.
type packageSummary struct {
	Name, URL, Upstream, UpstreamURL, Status string
}

// packageSummaries lists the watched packages and how their upstreams stand; none where this instance
// watches no upstreams.
func (s *Server) packageSummaries(ctx context.Context) ([]packageSummary, error) {
	if s.upstreams == nil {
		return nil, nil
	}
	watches, err := s.store.ListWatches(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]packageSummary, 0, len(watches))
	for _, wt := range watches {
		ps, err := s.upstreams.State(ctx, wt.Package, notice.View{At: s.now()})
		if err != nil {
			return nil, err
		}
		out = append(out, packageSummary{Name: wt.Package, URL: s.urls.Actor(wt.Package), Upstream: ps.Upstream.Name + "@" + hostOf(ps.Upstream.Actor),
			UpstreamURL: ps.Upstream.Actor, Status: ps.Status()})
	}
	return out, nil
}

// Changed reports whether the notice changed since it was published, as far as this instance knows.
func (it upstreamItem) Changed() bool { return it.Updated.After(it.Published) }
