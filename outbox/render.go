package outbox

import (
	"fmt"
	"html"
	"regexp"
	"slices"
	"strings"

	"baton/federation"
	"baton/notice"
	"baton/store"
)

// The Note's HTML is composed here, so every piece is escaped as it is put in, and people appear by
// the name people read, linked to their page. Functions ending in HTML return markup; the rest text.

// people names the people a notice concerns, as links.
type people map[string]string // person id -> the name people read

// link is a person as a link to their page; the id itself when the name is not known.
func (p people) link(id string) string {
	name, ok := p[id]
	if !ok || name == "" {
		name = id
	}
	return `<a href="` + html.EscapeString(id) + `">` + html.EscapeString(name) + `</a>`
}

// listHTML joins people as links: "A", "A and B", "A, B and C".
func (p people) listHTML(ids []string) string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = p.link(id)
	}
	switch len(out) {
	case 0:
		return ""
	case 1:
		return out[0]
	}
	return strings.Join(out[:len(out)-1], ", ") + " and " + out[len(out)-1]
}

var esc = html.EscapeString

// summaryHTML says in one sentence what a notice does, with people's names.
func summaryHTML(n notice.Notice, p people) string {
	subject := p.listHTML(n.From)
	if subject == "" {
		subject = p.link(n.Author)
	}
	switch n.Kind {
	case notice.Handover:
		return fmt.Sprintf("%s hands %s to %s (%s).", p.listHTML(n.From), esc(rightList(n.Scope)), p.listHTML(n.To), esc(string(n.Mode)))
	case notice.SignerChange:
		var parts []string
		if len(n.KeysAdded) > 0 {
			parts = append(parts, "release-signing keys added: "+keyListHTML(n.KeysAdded, p))
		}
		if len(n.KeysRemoved) > 0 {
			parts = append(parts, "removed: "+keyListHTML(n.KeysRemoved, p))
		}
		return upperFirst(strings.Join(parts, "; ")) + "."
	case notice.InfraChange:
		var moves []string
		for _, m := range n.Infra {
			if m.From != "" {
				moves = append(moves, fmt.Sprintf("%s moves from %s to %s", esc(string(m.Field)), linkify(m.From), linkify(m.To)))
			} else {
				moves = append(moves, fmt.Sprintf("%s moves to %s", esc(string(m.Field)), linkify(m.To)))
			}
		}
		return upperFirst(strings.Join(moves, "; ")) + "."
	case notice.Hiatus:
		return subject + " steps back."
	case notice.Return:
		return subject + " is back."
	case notice.Retirement:
		if n.Orphaned {
			return subject + " retires, and the project is left without a maintainer."
		}
		return subject + " retires."
	case notice.Scrutiny:
		if n.Reason != "" {
			return "A scrutiny window is open: " + esc(n.Reason)
		}
		return "A scrutiny window is open."
	case notice.Revocation:
		var revoked []string
		for _, id := range n.Revokes {
			revoked = append(revoked, linkify(id))
		}
		return fmt.Sprintf("%s revokes %s: %s", subject, strings.Join(revoked, ", "), esc(n.Reason))
	case notice.CallForStewards:
		return callSummaryHTML(n)
	case notice.ReliefRequest:
		var help []string
		for _, h := range n.Help {
			help = append(help, string(h))
		}
		return fmt.Sprintf("%s asks for help with %s.", subject, esc(strings.Join(help, ", ")))
	}
	return ""
}

// endorsementHTML says whether the trust policy is met: loudly when it is not, since hiding an
// unendorsed handover would help no one.
func endorsementHTML(e notice.Endorsement, p people) string {
	if e.Endorsed {
		return "Endorsed by " + p.listHTML(e.Stewards.Have) + "."
	}
	if len(e.Stewards.Have) == 0 {
		return "⚠ Not endorsed by any steward. Missing: " + esc(strings.Join(e.Missing, "; ")) + "."
	}
	return "⚠ Not fully endorsed. Missing: " + esc(strings.Join(e.Missing, "; ")) + "."
}

// signersHTML lists who signed a notice, each once.
func signersHTML(sn notice.Signed, p people) string {
	var ids []string
	if sn.ByInstance {
		ids = append(ids, sn.Notice.Author) // the project itself: its instance spoke for it
	}
	for _, pr := range sn.Proofs {
		if !slices.Contains(ids, pr.Person) {
			ids = append(ids, pr.Person)
		}
	}
	return p.listHTML(ids)
}

func rightList(rights []notice.Right) string {
	var out []string
	for _, r := range rights {
		out = append(out, string(r))
	}
	return strings.Join(out, ", ")
}

func keyListHTML(keys []notice.SigningKey, p people) string {
	var out []string
	for _, k := range keys {
		s := esc(k.Fingerprint)
		if k.Holder != "" {
			s += " (" + p.link(k.Holder) + ")"
		}
		out = append(out, s)
	}
	return strings.Join(out, ", ")
}

func upperFirst(s string) string {
	if s == "" || s[0] == '<' { // starts with markup: a link to a person already reads as a name
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// bareURL finds http(s) URLs in a maintainer's words, to make them links.
var bareURL = regexp.MustCompile(`https?://[^\s<>"']+[^\s<>"'.,;:!?)\]]`)

// linkify escapes text and makes its bare http(s) URLs links that pass no referrer and earn the linked
// site no ranking: maintainers' words are theirs, the links in them are not vouched for.
func linkify(text string) string {
	var b strings.Builder
	last := 0
	for _, m := range bareURL.FindAllStringIndex(text, -1) {
		b.WriteString(esc(text[last:m[0]]))
		u := esc(text[m[0]:m[1]])
		b.WriteString(`<a href="` + u + `" rel="nofollow noopener noreferrer" target="_blank">` + u + `</a>`)
		last = m[1]
	}
	b.WriteString(esc(text[last:]))
	return b.String()
}

// RenderHTML writes a notice as a packager scrolling a timeline reads it: kind and project first, then
// the maintainer's words, the dates, what to do, who signed and where the details are, then hashtags.
// It uses only the tags Mastodon keeps (p, br, a, strong, code).
func RenderHTML(urls federation.URLs, actor store.Actor, n notice.Notice, id int64) string {
	var b strings.Builder
	writeHeadline(&b, actor, n.Kind)
	if n.Kind == notice.Scrutiny || n.Kind == notice.CallForStewards {
		paraHTML(&b, summaryHTML(n, nil))
	}
	writeWords(&b, n)
	para(&b, n.Kind.Advice())
	writeFooter(&b, urls, actor, n.Kind, id, esc("the "+actor.ShownName()+" project key"))
	return b.String()
}

// RenderStatementHTML writes a maintainer-signed notice: what it says, in a sentence with the people's
// names; whether it was revoked, loudly; the maintainer's words; whether it was dated back, waits for
// someone's signature, or lacks endorsements the trust policy asks for, loudly too; what to do; who
// signed. names maps person ids to the names people read; revokedBy is the revocation that withdrew
// it (zero while it stands).
func RenderStatementHTML(urls federation.URLs, actor store.Actor, sn notice.Signed, e notice.Endorsement, names map[string]string, id int64, revokedBy notice.Signed) string {
	var b strings.Builder
	p, n := people(names), sn.Notice
	title := n.Kind.Title()
	if revokedBy.ID != "" {
		title += " (REVOKED)"
	}
	fmt.Fprintf(&b, "<p><strong>%s — %s</strong></p>", esc(title), esc(actor.ShownName()))
	if revokedBy.ID != "" {
		paraHTML(&b, fmt.Sprintf("⚠ REVOKED by %s on %s: %s Do not rely on this notice; review what was done under it. %s",
			p.link(revokedBy.Notice.Author), revokedBy.Effective().Format(notice.Date), esc(revokedBy.Notice.Reason), linkify(revokedBy.ID)))
	}
	paraHTML(&b, summaryHTML(n, p))
	writeWords(&b, n)
	if sn.Backdated() {
		para(&b, fmt.Sprintf("⚠ Backdated: published %s, more than a day after the date it gives (%s). Scrutiny windows run from its publication.",
			sn.Published.Format(notice.Date), sn.Effective().Format(notice.Date)))
	}
	paraHTML(&b, pendingHTML(n, e, p))
	if e.Required {
		paraHTML(&b, endorsementHTML(e, p))
	}
	para(&b, n.Kind.Advice())
	if n.Kind == notice.CallForStewards && revokedBy.ID == "" {
		paraHTML(&b, answerHTML(urls.Notice(id)))
	}
	writeFooter(&b, urls, actor, n.Kind, id, signersHTML(sn, p))
	return b.String()
}

// pendingHTML says what the notice waits for before it takes effect: the incoming's acceptance, the
// consent of a holder of the rights it touches.
func pendingHTML(n notice.Notice, e notice.Endorsement, p people) string {
	var parts []string
	if n.Kind == notice.Handover && len(e.Acceptance.Missing) > 0 {
		parts = append(parts, "pending acceptance by "+p.listHTML(e.Acceptance.Missing)+": nothing passes to them until they accept")
	}
	if len(e.Unconsented) > 0 {
		parts = append(parts, "it takes no effect until a holder of "+esc(rightList(e.Unconsented))+" consents")
	}
	if len(parts) == 0 {
		return ""
	}
	return "⏳ Pending: " + strings.Join(parts, "; ") + "."
}

func writeHeadline(b *strings.Builder, actor store.Actor, kind notice.Kind) {
	fmt.Fprintf(b, "<p><strong>%s — %s</strong></p>", html.EscapeString(kind.Title()), html.EscapeString(actor.ShownName()))
}

// writeWords writes the author's own words, their URLs made links, and the dates.
func writeWords(b *strings.Builder, n notice.Notice) {
	for _, p := range paragraphs(n.Text) {
		fmt.Fprintf(b, "<p>%s</p>", strings.ReplaceAll(linkify(p), "\n", "<br>"))
	}
	para(b, period(n))
}

// para writes text as a paragraph, escaped.
func para(b *strings.Builder, text string) { paraHTML(b, esc(text)) }

// paraHTML writes markup composed here as a paragraph.
func paraHTML(b *strings.Builder, markup string) {
	if markup != "" {
		fmt.Fprintf(b, "<p>%s</p>", markup)
	}
}

// writeFooter writes who signed (markup) and the notice's link, then the hashtags.
func writeFooter(b *strings.Builder, urls federation.URLs, actor store.Actor, kind notice.Kind, id int64, signedByHTML string) {
	link := urls.Notice(id)
	fmt.Fprintf(b, `<p>Signed by %s · <a href="%s">%s</a></p>`, signedByHTML, esc(link), esc(link))
	b.WriteString("<p>")
	for i, t := range Tags(urls, actor.Name, kind) {
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(b, `<a href="%s" class="mention hashtag" rel="tag">#<span>%s</span></a>`,
			html.EscapeString(t.Href), html.EscapeString(t.Name))
	}
	b.WriteString("</p>")
}

// Tags are a notice's hashtags: the project's and the kind's.
func Tags(urls federation.URLs, project string, kind notice.Kind) []federation.Tag {
	tags := []federation.Tag{{Name: notice.Hashtag(project)}, {Name: kind.Hashtag()}}
	for i := range tags {
		tags[i].Href = urls.Tag(tags[i].Name)
	}
	return tags
}

// paragraphs splits text at blank lines.
func paragraphs(text string) []string {
	var out []string
	for _, p := range strings.Split(strings.ReplaceAll(strings.TrimSpace(text), "\r\n", "\n"), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// period says when a notice applies, in words.
func period(n notice.Notice) string {
	switch {
	case !n.Since.IsZero() && !n.Until.IsZero():
		return fmt.Sprintf("From %s until %s.", n.Since.Format(notice.Date), n.Until.Format(notice.Date))
	case !n.Since.IsZero():
		return fmt.Sprintf("Since %s.", n.Since.Format(notice.Date))
	case !n.Until.IsZero():
		return fmt.Sprintf("Until %s.", n.Until.Format(notice.Date))
	}
	return ""
}
