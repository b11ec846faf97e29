package outbox

import (
	"fmt"

	"baton/notice"
)

// callSummaryHTML says what a call for stewards asks for: the role, the rights and for how long.
func callSummaryHTML(n notice.Notice) string {
	s := fmt.Sprintf("Wanted: %s, with %s, %s.", esc(n.Role), esc(rightList(n.Scope)), esc(n.Term.String()))
	if n.Requirements != "" {
		s += " " + esc(n.Requirements)
	}
	return s
}

// answerHTML says how to answer a call: with an offer signed by the person's own key, sent from their
// own Baton instance; a reply from a fediverse account is read as interest, not as an offer.
func answerHTML(link string) string {
	return fmt.Sprintf("To offer to step in, answer from your own Baton instance with an offer signed by your key: "+
		"<code>baton call answer %s --as NAME --key FILE --text \"…\"</code>. "+
		"Only a signed offer counts; the stewards see your track record with it. A reply here is read as interest, not as an offer.",
		esc(link))
}
