package federation

import (
	"strings"
	"testing"
	"time"
)

func TestOfferStatement(t *testing.T) {
	good := OfferStatement{ID: "urn:uuid:00000000-0000-4000-8000-000000000001", Call: "https://a.example/notices/7",
		Project: "https://a.example/users/xz", Author: "https://b.example/users/jia", Text: "I can help.", Until: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)}
	doc, err := OfferStatementDocument(good)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseOfferStatement(doc)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != good.ID || got.Call != good.Call || got.Project != good.Project || got.Author != good.Author || got.Text != good.Text || !got.Until.Equal(good.Until) {
		t.Errorf("read back %+v, want %+v", got, good)
	}
	for _, tt := range []struct {
		change func(*OfferStatement)
		says   string
	}{
		{func(o *OfferStatement) { o.ID = "x" }, `id "x" is not a urn:uuid`},
		{func(o *OfferStatement) { o.Call = "ftp://a.example/7" }, "call"},
		{func(o *OfferStatement) { o.Author = "" }, "author"},
		{func(o *OfferStatement) { o.Text = "  " }, "text is empty"},
		{func(o *OfferStatement) { o.Text = strings.Repeat("a", MaxOfferText+1) }, "at most 2000"},
	} {
		o := good
		tt.change(&o)
		doc, _ := OfferStatementDocument(o)
		if _, err := ParseOfferStatement(doc); err == nil || !strings.Contains(err.Error(), tt.says) {
			t.Errorf("%+v: %v, want it to say %q", o, err, tt.says)
		}
	}
	if _, err := ParseOfferStatement([]byte(`{"type":"Statement"}`)); err == nil || !strings.Contains(err.Error(), `want "StewardOffer"`) {
		t.Errorf("a Statement read as an offer: %v", err)
	}
}
