package web

import (
	"encoding/json"
	"encoding/xml"
	"net/http"
	"strings"
	"testing"
	"time"

	"baton/notice"
)

// svgNode is an element of the drawn SVG, for counting what is drawn.
type svgNode struct {
	XMLName  xml.Name
	Attrs    []xml.Attr `xml:",any,attr"`
	Text     string     `xml:",chardata"`
	Children []svgNode  `xml:",any"`
}

func (n svgNode) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func (n svgNode) walk(fn func(svgNode)) {
	fn(n)
	for _, c := range n.Children {
		c.walk(fn)
	}
}

// The timeline of a project whose handover was revoked: a lane each for the maintainer and the
// newcomer, a bar per right, the scrutiny window shaded, the revoked handover struck through and in the
// warning colour, today marked, and all of it said in words.
func TestTimelineSVG(t *testing.T) {
	f := newFixture(t)
	f.createProject(`{"name":"xz","display_name":"XZ Utils"}`)
	lasse, jia := f.person("lasse", "xz"), f.person("jia")
	handover := notice.Notice{Kind: notice.Handover, Author: lasse.id, Text: "Jia joins.", From: []string{lasse.id},
		To: []string{jia.id}, Mode: notice.CoMaintainer, Scope: []notice.Right{notice.RightCommit}}
	w := f.do("POST", "/api/v1/projects/xz/statements", string(f.newStatement(handover, lasse, jia)))
	var posted NoticeView
	json.Unmarshal(w.Body.Bytes(), &posted)
	f.clock.Advance(40 * 24 * time.Hour)
	revocation := notice.Notice{Kind: notice.Revocation, Author: lasse.id, Text: "Withdrawn.", Revokes: []string{posted.URL}, Reason: "A backdoor."}
	if w := f.do("POST", "/api/v1/projects/xz/statements", string(f.newStatement(revocation, lasse))); w.Code != http.StatusCreated {
		t.Fatalf("revocation: %d %s", w.Code, w.Body)
	}
	f.clock.Advance(10 * 24 * time.Hour)

	w = f.do("GET", "/users/xz/timeline.svg", "")
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "image/svg+xml") {
		t.Fatalf("GET timeline.svg: %d %s", w.Code, w.Header().Get("Content-Type"))
	}
	var root svgNode
	if err := xml.Unmarshal(w.Body.Bytes(), &root); err != nil {
		t.Fatalf("the timeline is not XML: %v\n%s", err, w.Body)
	}
	count := map[string]int{}
	var desc string
	root.walk(func(n svgNode) {
		count[n.XMLName.Local+"."+n.attr("class")]++
		if n.XMLName.Local == "desc" {
			desc = n.Text
		}
	})
	for what, want := range map[string]int{"rect.right": 2, "text.person": 2, "path.mark revoked": 1, "line.strike": 1, "line.today": 1, "rect.band": 1} {
		if count[what] != want {
			t.Errorf("%d %s drawn, want %d (all: %v)", count[what], what, want, count)
		}
	}
	for _, want := range []string{"jia held commit from 2024-06-15 to 2024-07-25 (by a change not endorsed as the policy asks).", "Handover on 2024-06-15, not endorsed, revoked.", "Scrutiny window from 2024-06-15"} {
		if !strings.Contains(desc, want) {
			t.Errorf("the description does not say %q:\n%s", want, desc)
		}
	}
	page := f.do("GET", "/users/xz", "", "Accept", "text/html").Body.String()
	if !strings.Contains(page, `<figure class="timeline"><svg`) || !strings.Contains(page, "/users/xz/timeline.svg") {
		t.Errorf("the project page does not show the timeline")
	}
	if w := f.do("GET", "/users/lasse/timeline.svg", ""); w.Code != http.StatusNotFound {
		t.Errorf("a person's timeline: %d, want 404", w.Code)
	}
}

// An interim handover's bar ends where the interim did, marked, and says how it ended: early, by the
// maintainer's return.
func TestTimelineSVGInterimEnds(t *testing.T) {
	f := newFixture(t)
	f.createProject(`{"name":"xz","display_name":"XZ Utils"}`)
	lasse, jia := f.person("lasse", "xz"), f.person("jia")
	until := f.clock.Now().UTC().AddDate(0, 2, 0)
	interim := notice.Notice{Kind: notice.Handover, Author: lasse.id, Text: "Jia stands in.", From: []string{lasse.id},
		To: []string{jia.id}, Mode: notice.Interim, Scope: []notice.Right{notice.RightCommit}, Until: until}
	if w := f.do("POST", "/api/v1/projects/xz/statements", string(f.newStatement(interim, lasse, jia))); w.Code != http.StatusCreated {
		t.Fatalf("interim handover: %d %s", w.Code, w.Body)
	}
	f.clock.Advance(20 * 24 * time.Hour)
	back := notice.Notice{Kind: notice.Return, Author: lasse.id, Text: "Back early."}
	w := f.do("POST", "/api/v1/projects/xz/statements", string(f.newStatement(back, lasse)))
	if w.Code != http.StatusCreated {
		t.Fatalf("return: %d %s", w.Code, w.Body)
	}
	var returned NoticeView
	json.Unmarshal(w.Body.Bytes(), &returned)
	f.clock.Advance(60 * 24 * time.Hour) // past the date the handover gave: nothing more ends there

	var root svgNode
	if err := xml.Unmarshal(f.do("GET", "/users/xz/timeline.svg", "").Body.Bytes(), &root); err != nil {
		t.Fatal(err)
	}
	var ends []string
	var desc string
	root.walk(func(n svgNode) {
		if n.XMLName.Local == "line" && n.attr("class") == "interim-end" {
			ends = append(ends, n.Children[0].Text)
		}
		if n.XMLName.Local == "desc" {
			desc = n.Text
		}
	})
	want := "interim, ended early by the return " + returned.URL
	if len(ends) != 1 || ends[0] != want {
		t.Errorf("interim ends drawn: %q, want one saying %q", ends, want)
	}
	held := "jia held commit from " + f.clock.Now().AddDate(0, 0, -80).UTC().Format(notice.Date) + " to " + f.clock.Now().AddDate(0, 0, -60).UTC().Format(notice.Date)
	if !strings.Contains(desc, held) || !strings.Contains(desc, "; "+want+".") {
		t.Errorf("the description does not say when and how the interim ended:\n%s", desc)
	}
}
