package outbox

import (
	"fmt"
	"html"
	"strings"

	"baton/federation"
	"baton/notice"
	"baton/store"
)

// RenderHTML writes a notice as a packager scrolling a timeline reads it: kind and project first, then
// the maintainer's words, the dates, what to do, who signed and where the details are, then hashtags.
// It uses only the tags Mastodon keeps (p, br, a, strong).
func RenderHTML(urls federation.URLs, actor store.Actor, n notice.Notice, id int64) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<p><strong>%s — %s</strong></p>", html.EscapeString(n.Kind.Title()), html.EscapeString(actor.ShownName()))
	for _, para := range paragraphs(n.Text) {
		fmt.Fprintf(&b, "<p>%s</p>", strings.ReplaceAll(html.EscapeString(para), "\n", "<br>"))
	}
	if when := period(n); when != "" {
		fmt.Fprintf(&b, "<p>%s</p>", html.EscapeString(when))
	}
	fmt.Fprintf(&b, "<p>%s</p>", html.EscapeString(n.Kind.Advice()))
	link := urls.Notice(id)
	fmt.Fprintf(&b, `<p>Signed by the %s project key · <a href="%s">%s</a></p>`,
		html.EscapeString(actor.ShownName()), html.EscapeString(link), html.EscapeString(link))
	b.WriteString("<p>")
	for i, t := range Tags(urls, actor.Name, n.Kind) {
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, `<a href="%s" class="mention hashtag" rel="tag">#<span>%s</span></a>`,
			html.EscapeString(t.Href), html.EscapeString(t.Name))
	}
	b.WriteString("</p>")
	return b.String()
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
