package web

import (
	"context"
	"image"
	"image/color"
	"image/png"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"baton/notice"
)

// The project page as a browser draws it, at a phone's width: Debian's chromium, headless, takes a
// screenshot and dumps the DOM. Skipped where chromium is not installed, except in CI, which installs it.
func TestTimelineInABrowser(t *testing.T) {
	browser, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium is not installed: .ci/run installs it (apt-get install chromium)")
		}
		t.Skip("chromium is not installed (apt-get install chromium); skipping the browser check")
	}
	f := newFixture(t)
	f.createProject(`{"name":"xz","display_name":"XZ Utils"}`)
	lasse, jia, s1 := f.person("lasse", "xz"), f.person("jia"), f.person("s1", "")
	hiatus := notice.Notice{Kind: notice.Hiatus, Author: lasse.id, Text: "My capacity is limited."}
	f.do("POST", "/api/v1/projects/xz/statements", string(f.newStatement(hiatus, lasse)))
	f.clock.Advance(30 * 24 * time.Hour)
	handover := notice.Notice{Kind: notice.Handover, Author: lasse.id, Text: "Jia joins.", From: []string{lasse.id},
		To: []string{jia.id}, Mode: notice.CoMaintainer, Scope: []notice.Right{notice.RightCommit}}
	f.do("POST", "/api/v1/projects/xz/statements", string(f.newStatement(handover, lasse, jia, s1)))
	f.clock.Advance(60 * 24 * time.Hour)

	srv := httptest.NewServer(f.handler)
	defer srv.Close()
	dir := t.TempDir()
	shot := filepath.Join(dir, "page.png")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	args := []string{"--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--user-data-dir=" + dir, "--window-size=390,1200"}
	if out, err := exec.CommandContext(ctx, browser, append(args, "--screenshot="+shot, srv.URL+"/users/xz")...).CombinedOutput(); err != nil {
		t.Fatalf("chromium --screenshot: %v\n%s", err, out)
	}
	img := decodePNG(t, shot)
	if os.Getenv("BATON_KEEP_SCREENSHOT") != "" {
		data, _ := os.ReadFile(shot)
		os.WriteFile(os.Getenv("BATON_KEEP_SCREENSHOT"), data, 0o644)
	}
	if b := img.Bounds(); b.Dx() != 390 || b.Dy() != 1200 {
		t.Errorf("the screenshot is %dx%d, want 390x1200", b.Dx(), b.Dy())
	}
	// The scrutiny window's yellow and the bars' blue are on the page, as drawn.
	for name, c := range map[string]color.RGBA{"scrutiny band": {0xfe, 0xf0, 0xb9, 0xff} /* #fde68a at 60% over white */, "a right's bar": {0xbf, 0xdb, 0xfe, 0xff}} {
		if !hasColour(img, c) {
			t.Errorf("no %s (%v) in the screenshot", name, c)
		}
	}
	dom, err := exec.CommandContext(ctx, browser, append(args, "--dump-dom", srv.URL+"/users/xz")...).Output()
	if err != nil {
		t.Fatalf("chromium --dump-dom: %v", err)
	}
	for _, want := range []string{`<svg xmlns="http://www.w3.org/2000/svg"`, `class="right"`, `class="hiatus"`, `class="today"`, `Maintainership of XZ Utils`} {
		if !strings.Contains(string(dom), want) {
			t.Errorf("the page as the browser read it lacks %s", want)
		}
	}
	if n := strings.Count(string(dom), `class="right"`); n != 2 {
		t.Errorf("%d bars of rights, want 2 (lasse's every right, jia's commit)", n)
	}
}

func decodePNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// hasColour reports whether some pixel is (nearly) c.
func hasColour(img image.Image, c color.RGBA) bool {
	near := func(a, b uint32) bool { d := int(a>>8) - int(b); return d > -6 && d < 6 }
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			if near(r, uint32(c.R)) && near(g, uint32(c.G)) && near(bl, uint32(c.B)) {
				return true
			}
		}
	}
	return false
}
