package outbox

import (
	"fmt"
	"html"
	"slices"
	"strings"

	"baton/federation"
	"baton/notice"
	"baton/store"
)

// summarize says in one sentence what a notice does, with people's names.
func summarize(n notice.Notice, names map[string]string) string {
	who := func(ids []string) string { return nameList(ids, names) }
	subject := who(n.From)
	if subject == "" {
		subject = who([]string{n.Author})
	}
	switch n.Kind {
	case notice.Handover:
		return fmt.Sprintf("%s hands %s to %s (%s).", who(n.From), rightList(n.Scope), who(n.To), n.Mode)
	case notice.SignerChange:
		var parts []string
		if len(n.KeysAdded) > 0 {
			parts = append(parts, "release-signing keys added: "+keyList(n.KeysAdded, names))
		}
		if len(n.KeysRemoved) > 0 {
			parts = append(parts, "removed: "+keyList(n.KeysRemoved, names))
		}
		return upperFirst(strings.Join(parts, "; ")) + "."
	case notice.InfraChange:
		var moves []string
		for _, m := range n.Infra {
			if m.From != "" {
				moves = append(moves, fmt.Sprintf("%s moves from %s to %s", m.Field, m.From, m.To))
			} else {
				moves = append(moves, fmt.Sprintf("%s moves to %s", m.Field, m.To))
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
		return "A scrutiny window is open."
	case notice.Revocation:
		return fmt.Sprintf("%s revokes %s: %s", subject, strings.Join(n.Revokes, ", "), n.Reason)
	case notice.CallForStewards:
		return fmt.Sprintf("Wanted: %s. %s", n.Role, n.Requirements)
	case notice.ReliefRequest:
		var help []string
		for _, h := range n.Help {
			help = append(help, string(h))
		}
		return fmt.Sprintf("%s asks for help with %s.", subject, strings.Join(help, ", "))
	}
	return ""
}

// endorsementLine says whether the trust policy is met: loudly when it is not, since hiding an
// unendorsed handover would help no one.
func endorsementLine(e notice.Endorsement, names map[string]string) string {
	if e.Endorsed {
		return "Endorsed by " + nameList(e.Stewards.Have, names) + "."
	}
	if len(e.Stewards.Have) == 0 {
		return "⚠ Not endorsed by any steward. Missing: " + strings.Join(e.Missing, "; ") + "."
	}
	return "⚠ Not fully endorsed. Missing: " + strings.Join(e.Missing, "; ") + "."
}

func signers(sn notice.Signed, names map[string]string) string {
	var ids []string
	for _, p := range sn.Proofs {
		if !slices.Contains(ids, p.Person) {
			ids = append(ids, p.Person)
		}
	}
	return nameList(ids, names)
}

func nameList(ids []string, names map[string]string) string {
	var out []string
	for _, id := range ids {
		if n, ok := names[id]; ok {
			out = append(out, n)
		} else {
			out = append(out, id)
		}
	}
	switch len(out) {
	case 0:
		return ""
	case 1:
		return out[0]
	}
	return strings.Join(out[:len(out)-1], ", ") + " and " + out[len(out)-1]
}

func rightList(rights []notice.Right) string {
	var out []string
	for _, r := range rights {
		out = append(out, string(r))
	}
	return strings.Join(out, ", ")
}

func keyList(keys []notice.SigningKey, names map[string]string) string {
	var out []string
	for _, k := range keys {
		s := k.Fingerprint
		if k.Holder != "" {
			s += " (" + nameList([]string{k.Holder}, names) + ")"
		}
		out = append(out, s)
	}
	return strings.Join(out, ", ")
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// RenderHTML writes a notice as a packager scrolling a timeline reads it: kind and project first, then
// the maintainer's words, the dates, what to do, who signed and where the details are, then hashtags.
// It uses only the tags Mastodon keeps (p, br, a, strong).
func RenderHTML(urls federation.URLs, actor store.Actor, n notice.Notice, id int64) string {
	var b strings.Builder
	writeHeadline(&b, actor, n.Kind)
	writeWords(&b, n)
	para(&b, n.Kind.Advice())
	writeFooter(&b, urls, actor, n.Kind, id, "the "+actor.ShownName()+" project key")
	return b.String()
}

// RenderStatementHTML writes a maintainer-signed notice: what it says, in a sentence with the people's
// names; whether it was revoked, loudly; the maintainer's words; whether it was dated back, waits for
// someone's signature, or lacks endorsements the trust policy asks for, loudly too; what to do; who
// signed. revokedBy is the revocation that withdrew it (zero while it stands).
func RenderStatementHTML(urls federation.URLs, actor store.Actor, sn notice.Signed, e notice.Endorsement, names map[string]string, id int64, revokedBy notice.Signed) string {
	var b strings.Builder
	n := sn.Notice
	title := n.Kind.Title()
	if revokedBy.ID != "" {
		title += " (REVOKED)"
	}
	fmt.Fprintf(&b, "<p><strong>%s — %s</strong></p>", html.EscapeString(title), html.EscapeString(actor.ShownName()))
	if revokedBy.ID != "" {
		para(&b, fmt.Sprintf("⚠ REVOKED by %s on %s: %s Do not rely on this notice; review what was done under it. %s",
			nameList([]string{revokedBy.Notice.Author}, names), revokedBy.Effective().Format(notice.Date), revokedBy.Notice.Reason, revokedBy.ID))
	}
	para(&b, summarize(n, names))
	writeWords(&b, n)
	if sn.Backdated() {
		para(&b, fmt.Sprintf("⚠ Backdated: published %s, more than a day after the date it gives (%s). Scrutiny windows run from its publication.",
			sn.Published.Format(notice.Date), sn.Effective().Format(notice.Date)))
	}
	para(&b, pendingLine(n, e, names))
	if e.Required {
		para(&b, endorsementLine(e, names))
	}
	para(&b, n.Kind.Advice())
	writeFooter(&b, urls, actor, n.Kind, id, signers(sn, names))
	return b.String()
}

// pendingLine says what the notice waits for before it takes effect: the incoming's acceptance, the
// consent of a holder of the rights it touches.
func pendingLine(n notice.Notice, e notice.Endorsement, names map[string]string) string {
	var parts []string
	if n.Kind == notice.Handover && len(e.Acceptance.Missing) > 0 {
		parts = append(parts, fmt.Sprintf("pending acceptance by %s: nothing passes to them until they accept", nameList(e.Acceptance.Missing, names)))
	}
	if len(e.Unconsented) > 0 {
		parts = append(parts, "it takes no effect until a holder of "+rightList(e.Unconsented)+" consents")
	}
	if len(parts) == 0 {
		return ""
	}
	return "⏳ Pending: " + strings.Join(parts, "; ") + "."
}

func writeHeadline(b *strings.Builder, actor store.Actor, kind notice.Kind) {
	fmt.Fprintf(b, "<p><strong>%s — %s</strong></p>", html.EscapeString(kind.Title()), html.EscapeString(actor.ShownName()))
}

// writeWords writes the author's own words and the dates.
func writeWords(b *strings.Builder, n notice.Notice) {
	for _, p := range paragraphs(n.Text) {
		fmt.Fprintf(b, "<p>%s</p>", strings.ReplaceAll(html.EscapeString(p), "\n", "<br>"))
	}
	para(b, period(n))
}

func para(b *strings.Builder, text string) {
	if text != "" {
		fmt.Fprintf(b, "<p>%s</p>", html.EscapeString(text))
	}
}

func writeFooter(b *strings.Builder, urls federation.URLs, actor store.Actor, kind notice.Kind, id int64, signedBy string) {
	link := urls.Notice(id)
	fmt.Fprintf(b, `<p>Signed by %s · <a href="%s">%s</a></p>`, html.EscapeString(signedBy), html.EscapeString(link), html.EscapeString(link))
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
