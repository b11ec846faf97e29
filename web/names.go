package web

import (
	"context"
	"html/template"
	"regexp"
	"slices"
	"strings"

	"baton/notice"
	"baton/store"
)

// check's reasons and its state name people by their actor ids. Wherever people read them, the name
// they know a person by goes in front: in text, "Jia Tan (https://…/users/jia)", the id kept after it
// for tools and for telling two Jia Tans apart; on pages, the name linked to the id. A person of this
// instance is named by their display name; a person of an upstream (a maintainer, a steward of the
// upstream's instance) by the name their actor gives, fetched and kept by the upstream watcher.

// personID matches the ids of people in a reason: this instance's, and, for a distro's package, those of
// the Baton instance its upstream lives on, which keeps its people at /users/NAME as it keeps the
// project (and its notices at /notices/N: a notice is never taken for a person); and, wherever they
// live, the people the state names (a person handed rights from another instance).
func (s *Server) personID(upstreamActor string, people []string) *regexp.Regexp {
	prefixes := []string{regexp.QuoteMeta(s.urls.Actor(""))}
	if i := strings.LastIndex(upstreamActor, "/users/"); i > 0 {
		prefixes = append(prefixes, regexp.QuoteMeta(upstreamActor[:i+len("/users/")]))
	}
	alternatives := []string{`(?:` + strings.Join(prefixes, "|") + `)[a-z0-9][a-z0-9_-]*\b`}
	// The longest first: of two ids where one starts the other, the whole one is named.
	people = slices.Clone(people)
	slices.SortFunc(people, func(a, b string) int { return len(b) - len(a) })
	for _, id := range people {
		alternatives = append(alternatives, regexp.QuoteMeta(id)+`\b`)
	}
	return regexp.MustCompile(strings.Join(alternatives, "|"))
}

// statePeople are the ids of the people a state names: who holds rights, who is away, whom a change
// waits for, whose interim rights ended, who retired.
func statePeople(st notice.State) []string {
	var ids []string
	for _, m := range st.Maintainers {
		ids = append(ids, m.Person)
	}
	for _, a := range st.Hiatus {
		ids = append(ids, a.Person)
	}
	for _, p := range st.Pending {
		ids = append(ids, p.People...)
	}
	for _, e := range st.InterimEnded {
		ids = append(ids, e.Person)
	}
	for _, r := range st.Review {
		ids = append(ids, r.Person)
	}
	ids = append(ids, st.Retired...)
	slices.Sort(ids)
	return slices.DeleteFunc(slices.Compact(ids), func(id string) bool { return id == "" })
}

// namer names people for one answer, looking each one up once.
type namer struct {
	s     *Server
	ctx   context.Context
	re    *regexp.Regexp
	names map[string]string
}

// namer names the people of a local project, or (upstreamActor set) of a package's upstream, and the
// people its state st names.
func (s *Server) namer(ctx context.Context, upstreamActor string, st notice.State) *namer {
	return &namer{s: s, ctx: ctx, re: s.personID(upstreamActor, statePeople(st)), names: map[string]string{}}
}

// name is the name people read for an actor id, or "" when there is none better than the id.
func (n *namer) name(id string) string {
	name, ok := n.names[id]
	if !ok {
		name = n.s.shownName(n.ctx, id)
		n.names[id] = name
	}
	return name
}

// text is a reason, or a line, with each person's name in front of their id.
func (n *namer) text(line string) string {
	return n.re.ReplaceAllStringFunc(line, func(id string) string { return nameAndID(n.name(id), id) })
}

// html is a reason as a page shows it: escaped, each person's id a link with their name as its text.
func (n *namer) html(line string) template.HTML {
	var b strings.Builder
	last := 0
	for _, m := range n.re.FindAllStringIndex(line, -1) {
		id := line[m[0]:m[1]]
		name := n.name(id)
		if name == "" {
			name = id
		}
		b.WriteString(template.HTMLEscapeString(line[last:m[0]]))
		b.WriteString(`<a href="` + template.HTMLEscapeString(id) + `" rel="nofollow noopener">` + template.HTMLEscapeString(name) + `</a>`)
		last = m[1]
	}
	b.WriteString(template.HTMLEscapeString(line[last:]))
	return template.HTML(b.String())
}

// people are the names of the people a state names, by id, for check's lines about them; people
// without a name better than their id are left out.
func (n *namer) people(st notice.State) map[string]string {
	names := map[string]string{}
	for _, id := range statePeople(st) {
		if name := n.name(id); name != "" {
			names[id] = name
		}
	}
	return names
}

// linkedReasons are reasons as pages show them, people named and linked: those of a local project, or
// of a package whose upstream is upstreamActor, and those its state st names.
func (s *Server) linkedReasons(ctx context.Context, reasons []string, upstreamActor string, st notice.State) []template.HTML {
	n, out := s.namer(ctx, upstreamActor, st), make([]template.HTML, len(reasons))
	for i, r := range reasons {
		out[i] = n.html(r)
	}
	return out
}

// nameView names the people of v's reasons and state, as the state API answers them: those of a local
// project, or of a package whose upstream is upstreamActor.
func (s *Server) nameView(ctx context.Context, v *StateView, upstreamActor string) {
	n := s.namer(ctx, upstreamActor, v.State)
	for i, r := range v.Reasons {
		v.Reasons[i] = n.text(r)
	}
	v.Names = n.people(v.State)
}

// Person is a person of the view as check prints them: their name, then their id; the id alone when
// the answer gives no name.
func (v StateView) Person(id string) string { return nameAndID(v.Names[id], id) }

// People are people of the view as check prints them.
func (v StateView) People(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = v.Person(id)
	}
	return out
}

func nameAndID(name, id string) string {
	if name == "" {
		return id
	}
	return name + " (" + id + ")"
}

// shownName is the name people read for an actor id, or "": a person of this instance by their display
// name; anyone else by the name their actor gives (else their handle), through the upstream watcher's
// bounded cache, on an instance that has one.
func (s *Server) shownName(ctx context.Context, id string) string {
	if local := s.urls.LocalActorName(id); local != "" {
		return s.personName(ctx, local)
	}
	if s.upstreams == nil {
		return ""
	}
	return s.upstreams.PersonName(ctx, id)
}

// personName is a local person's shown name, or "" for anyone else.
func (s *Server) personName(ctx context.Context, name string) string {
	a, err := s.store.Actor(ctx, name)
	if err != nil || a.Kind != store.KindPerson || a.DisplayName == "" {
		return ""
	}
	return a.DisplayName
}
