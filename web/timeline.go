package web

import (
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"time"

	"baton/notice"
	"baton/store"
)

// A project's maintainership timeline, drawn as SVG on the server (no script needed): a lane per
// person with a bar per right they held, from when to when; hiatus and scrutiny windows shaded; the
// notices marked, unendorsed ones in the warning colour and revoked ones struck through; today at the
// right edge. It scales to the width it is given, and says the same in words for screen readers.

const (
	tlWidth    = 640.0 // the viewBox width; the picture scales to its container
	tlMargin   = 12.0
	tlRowH     = 22.0 // a bar
	tlLaneHead = 26.0 // a person's name above their bars
	tlAxisH    = 50.0 // years and notice marks
	tlFont     = 16.0
)

// timelineSVG serves GET /users/{name}/timeline.svg, for embedding in a README or a tracker.
func (s *Server) timelineSVG(w http.ResponseWriter, r *http.Request) {
	a, err := store.Project(r.Context(), s.store, r.PathValue("name"))
	if err != nil {
		s.storeError(w, err, "project "+r.PathValue("name"))
		return
	}
	svg, err := s.timeline(r, a)
	if err != nil {
		s.storeError(w, err, "timeline")
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + string(svg)))
}

// timeline draws a project's timeline as it stands now.
func (s *Server) timeline(r *http.Request, a store.Actor) (template.HTML, error) {
	h, err := s.ledger.History(r.Context(), a.Name)
	if err != nil {
		return "", err
	}
	tl := notice.Drawn(h.Genesis, h.Notices, h.StewardsAt, s.ledger.Policy(), s.now().UTC())
	names := map[string]string{}
	for _, l := range tl.People {
		names[l.Person] = s.outbox.PersonName(r.Context(), l.Person)
	}
	return drawTimeline(a.ShownName(), tl, names), nil
}

// drawTimeline writes the SVG. Every text in it is escaped by template.HTMLEscapeString.
func drawTimeline(project string, tl notice.Timeline, names map[string]string) template.HTML {
	d := &drawing{tl: tl, x0: tlMargin, x1: tlWidth - tlMargin}
	height := tlMargin + tlAxisH + tlMargin
	for _, l := range tl.People {
		height += tlLaneHead + tlRowH*float64(len(groupRights(l))) + 6
		if len(d.hiatusOf(l.Person)) > 0 {
			height += tlRowH
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %.0f %.0f" width="100%%" role="img" aria-labelledby="tl-title tl-desc" font-family="sans-serif" font-size="%.0f">`, tlWidth, height, tlFont)
	fmt.Fprintf(&b, `<title id="tl-title">Maintainership of %s, %s to %s</title>`, esc(project), tl.Since.Format(notice.Date), tl.Now.Format(notice.Date))
	fmt.Fprintf(&b, `<desc id="tl-desc">%s</desc>`, esc(describeTimeline(tl, names)))
	fmt.Fprintf(&b, `<rect width="%.0f" height="%.0f" fill="#fff"/>`, tlWidth, height)
	top := tlMargin
	for _, s := range tl.Scrutiny { // behind everything: the whole chart was under scrutiny then
		d.band(&b, s.From, s.To, top, height-tlMargin-tlAxisH+8, "#fde68a", "scrutiny window "+span(s))
	}
	y := top
	for _, l := range tl.People {
		y = d.lane(&b, l, names[l.Person], y)
	}
	d.axis(&b, height-tlMargin-tlAxisH+8)
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

type drawing struct {
	tl     notice.Timeline
	x0, x1 float64
}

// x places a date on the chart.
func (d *drawing) x(t time.Time) float64 {
	total := d.tl.Now.Sub(d.tl.Since)
	if total <= 0 {
		return d.x0
	}
	f := float64(t.Sub(d.tl.Since)) / float64(total)
	return d.x0 + min(max(f, 0), 1)*(d.x1-d.x0)
}

func (d *drawing) band(b *strings.Builder, from, to time.Time, y0, y1 float64, fill, title string) {
	fmt.Fprintf(b, `<rect class="band" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s" fill-opacity="0.6"><title>%s</title></rect>`,
		d.x(from), y0, max(d.x(to)-d.x(from), 1), y1-y0, fill, esc(title))
}

// lane draws a person's name and a bar for each set of rights they held over the same stretches (so
// a first maintainer's nine rights are one bar), then their hiatus; it returns where the next lane
// starts.
func (d *drawing) lane(b *strings.Builder, l notice.Lane, name string, y float64) float64 {
	fmt.Fprintf(b, `<text class="person" x="%.1f" y="%.1f" font-weight="bold">%s</text>`, d.x0, y+tlFont+2, esc(name))
	row := y + tlLaneHead
	for _, g := range groupRights(l) {
		for _, h := range g.stretches {
			fill, text := "#bfdbfe", "#1e3a8a"
			if !h.Endorsed {
				fill, text = "#fcd34d", "#78350f" // came by a change the policy did not see endorsed
			}
			x0, x1 := d.x(h.From), d.x(h.To)
			fmt.Fprintf(b, `<rect class="right" x="%.1f" y="%.1f" width="%.1f" height="%.1f" rx="3" fill="%s"><title>%s holds %s %s%s</title></rect>`,
				x0, row+2, max(x1-x0, 2), tlRowH-4, fill, esc(name), esc(g.label), span(notice.Span{From: h.From, To: h.To}), unendorsedNote(h)+interimNote(h))
			if h.Ended { // the interim's end, drawn where the rights went back
				fmt.Fprintf(b, `<line class="interim-end" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="2"><title>%s</title></line>`,
					x1, row, x1, row+tlRowH, text, esc(strings.TrimPrefix(interimNote(h), "; ")))
			}
			fmt.Fprintf(b, `<text class="right-label" x="%.1f" y="%.1f" font-size="%.0f" fill="%s">%s</text>`, x0+4, row+tlRowH-7, tlFont-3, text, esc(g.label))
		}
		row += tlRowH
	}
	if away := d.hiatusOf(l.Person); len(away) > 0 {
		for _, s := range away {
			x0, x1 := d.x(s.From), d.x(s.To)
			fmt.Fprintf(b, `<rect class="hiatus" x="%.1f" y="%.1f" width="%.1f" height="%.1f" rx="3" fill="#e2e8f0" stroke="#64748b" stroke-dasharray="4 3"><title>%s on hiatus %s</title></rect>`,
				x0, row+2, max(x1-x0, 2), tlRowH-4, esc(name), span(s))
			fmt.Fprintf(b, `<text class="hiatus-label" x="%.1f" y="%.1f" font-size="%.0f" fill="#334155">on hiatus</text>`, x0+4, row+tlRowH-7, tlFont-3)
		}
		row += tlRowH
	}
	return row + 6
}

func (d *drawing) hiatusOf(person string) []notice.Span {
	var out []notice.Span
	for _, s := range d.tl.Hiatus {
		if s.Person == person {
			out = append(out, s)
		}
	}
	return out
}

// rightsGroup is rights held over exactly the same stretches, drawn as one bar.
type rightsGroup struct {
	label     string
	stretches []notice.Held
}

// groupRights puts together the rights a person held over the same stretches, in the order of
// notice.Rights: "every right", or the rights named.
func groupRights(l notice.Lane) []rightsGroup {
	var groups []rightsGroup
	var members [][]notice.Right
	for _, r := range notice.Rights {
		var mine []notice.Held
		for _, h := range l.Rights {
			if h.Right == r {
				mine = append(mine, h)
			}
		}
		if len(mine) == 0 {
			continue
		}
		i := slices.IndexFunc(groups, func(g rightsGroup) bool { return sameStretches(g.stretches, mine) })
		if i < 0 {
			groups, members = append(groups, rightsGroup{stretches: mine}), append(members, nil)
			i = len(groups) - 1
		}
		members[i] = append(members[i], r)
	}
	for i := range groups {
		groups[i].label = notice.RightsText(members[i])
	}
	return groups
}

func sameStretches(a, b []notice.Held) bool {
	return slices.EqualFunc(a, b, func(x, y notice.Held) bool {
		return x.From.Equal(y.From) && x.To.Equal(y.To) && x.Notice == y.Notice && x.Endorsed == y.Endorsed
	})
}

// axis draws the years, the notices as marks and today.
func (d *drawing) axis(b *strings.Builder, y float64) {
	fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#334155"/>`, d.x0, y, d.x1, y)
	for year := d.tl.Since.Year() + 1; year <= d.tl.Now.Year(); year++ {
		x := d.x(time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC))
		fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#94a3b8"/><text x="%.1f" y="%.1f" text-anchor="middle" fill="#334155">%d</text>`,
			x, y, x, y+5, x, y+34, year)
	}
	for _, m := range d.tl.Marks {
		d.mark(b, m, y)
	}
	x := d.x(d.tl.Now)
	fmt.Fprintf(b, `<line class="today" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#dc2626" stroke-dasharray="3 2"><title>today, %s</title></line>`,
		x, tlMargin, x, y+8, d.tl.Now.Format(notice.Date))
}

// mark draws a notice as a diamond on the axis: the warning colour when unendorsed, struck through
// when revoked.
func (d *drawing) mark(b *strings.Builder, m notice.Mark, y float64) {
	x := d.x(m.At)
	fill := "#475569"
	if m.Unendorsed {
		fill = "#d97706"
	}
	class, what := "mark", fmt.Sprintf("%s %s (%s)", m.Kind.Title(), m.Notice, m.At.Format(notice.Date))
	if m.Unendorsed {
		what += ", not endorsed"
	}
	if m.RevokedBy != "" {
		class, what = "mark revoked", what+", revoked by "+m.RevokedBy
	}
	fmt.Fprintf(b, `<a href="%s"><path class="%s" d="M%.1f %.1f l6 8 l-6 8 l-6 -8 z" fill="%s"><title>%s</title></path>`, esc(m.Notice), class, x, y+6, fill, esc(what))
	if m.RevokedBy != "" {
		fmt.Fprintf(b, `<line class="strike" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#dc2626" stroke-width="2"/>`, x-8, y+22, x+8, y+6)
	}
	b.WriteString(`</a>`)
}

// describeTimeline says the picture in words.
func describeTimeline(tl notice.Timeline, names map[string]string) string {
	var parts []string
	for _, l := range tl.People {
		for _, h := range l.Rights {
			parts = append(parts, fmt.Sprintf("%s held %s %s%s.", names[l.Person], h.Right, span(notice.Span{From: h.From, To: h.To}), unendorsedNote(h)+interimNote(h)))
		}
	}
	for _, s := range tl.Hiatus {
		parts = append(parts, fmt.Sprintf("%s was on hiatus %s.", names[s.Person], span(s)))
	}
	for _, s := range tl.Scrutiny {
		parts = append(parts, fmt.Sprintf("Scrutiny window %s.", span(s)))
	}
	for _, m := range tl.Marks {
		p := fmt.Sprintf("%s on %s", m.Kind.Title(), m.At.Format(notice.Date))
		if m.Unendorsed {
			p += ", not endorsed"
		}
		if m.RevokedBy != "" {
			p += ", revoked"
		}
		parts = append(parts, p+".")
	}
	return strings.Join(parts, " ")
}

func span(s notice.Span) string {
	return "from " + s.From.Format(notice.Date) + " to " + s.To.Format(notice.Date)
}

func unendorsedNote(h notice.Held) string {
	if h.Endorsed {
		return ""
	}
	return " (by a change not endorsed as the policy asks)"
}

// interimNote says how an interim right ended, or that it is one.
func interimNote(h notice.Held) string {
	switch {
	case !h.Interim:
		return ""
	case h.EndedBy != "":
		return "; interim, ended early by the return " + h.EndedBy
	case h.Ended:
		return "; interim, ended at the date its handover gave"
	}
	return "; interim"
}

func esc(s string) string { return template.HTMLEscapeString(s) }
