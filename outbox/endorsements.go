package outbox

// Endorsing a notice published on another instance: the signer's proof is checked here, then their
// own actor delivers it to the project's inbox as an Add (docs/federation.md), and the project's
// instance judges it as it judges endorsements made there.

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"baton/federation"
	"baton/ledger"
)

// Sent is how an endorsement of a notice on another instance went.
type Sent struct {
	Person string // who endorsed, as their actor id
	Inbox  string // where it was delivered
}

// SendEndorsement delivers statement, a notice's statement with a proof by one of this instance's
// people added, to the inbox of the project it is about, on another instance, as an Add from that
// person. It waits for the answer: the project's instance says there whether it admits the proof.
func (o *Outbox) SendEndorsement(ctx context.Context, noticeURL string, statement []byte) (Sent, error) {
	if o.resolver == nil {
		return Sent{}, ledger.Refuse(http.StatusNotImplemented, "this instance does not reach other instances")
	}
	st, err := federation.ParseStatement(statement)
	if err != nil {
		return Sent{}, ledger.Refuse(400, "%v", err)
	}
	if o.urls.LocalActorName(st.Project) != "" {
		return Sent{}, ledger.Refuse(422, "%s is a project on this instance: endorse the notice by its id", st.Project)
	}
	if !federation.SameOrigin(noticeURL, st.Project) {
		return Sent{}, ledger.Refuse(422, "the notice %s is not on the instance of %s, the project its statement is about", noticeURL, st.Project)
	}
	published, err := o.publishedStatement(ctx, noticeURL, st)
	if err != nil {
		return Sent{}, err
	}
	person, err := o.ledger.OwnEndorser(ctx, published, statement)
	if err != nil {
		return Sent{}, err
	}
	name := o.urls.LocalActorName(person)
	actor, err := o.store.Actor(ctx, name)
	if err != nil {
		return Sent{}, err
	}
	project, err := o.resolver.Actor(ctx, st.Project)
	if err != nil {
		return Sent{}, ledger.Refuse(http.StatusBadGateway, "the project %s could not be fetched: %v", st.Project, err)
	}
	id := fmt.Sprintf("%s#endorsements/%d", person, o.now().UnixNano())
	body, err := o.urls.EndorsementDocument(name, id, noticeURL, st.Project, statement)
	if err != nil {
		return Sent{}, err
	}
	key, err := o.ActorKey(ctx, actor)
	if err != nil {
		return Sent{}, err
	}
	err = o.client.Post(ctx, project.Inbox, body, federation.Signer{KeyID: o.urls.MainKey(name), Key: key})
	if status, ok := errors.AsType[*federation.StatusError](err); ok {
		why := status.Reason
		if why == "" {
			why = fmt.Sprintf("answered %d", status.Status)
		}
		code := status.Status
		if code >= 500 {
			code = http.StatusBadGateway
		}
		return Sent{}, ledger.Refuse(code, "the instance of %s refused the endorsement: %s", st.Project, why)
	}
	if err != nil {
		return Sent{}, ledger.Refuse(http.StatusBadGateway, "the endorsement could not be delivered to %s: %v", project.Inbox, err)
	}
	o.log.Info("endorsement delivered", "person", person, "notice", noticeURL, "inbox", project.Inbox)
	return Sent{Person: person, Inbox: project.Inbox}, nil
}

// publishedStatement fetches the notice at noticeURL from its origin and returns the statement it
// carries, which must be st's.
func (o *Outbox) publishedStatement(ctx context.Context, noticeURL string, st federation.Statement) ([]byte, error) {
	doc, err := o.resolver.Fetch(ctx, noticeURL)
	if err != nil {
		return nil, ledger.Refuse(http.StatusBadGateway, "the notice %s could not be fetched: %v", noticeURL, err)
	}
	note, err := federation.ParseNote(doc)
	if err != nil || note.Statement == nil {
		return nil, ledger.Refuse(422, "%s is not a notice carrying a signed statement", noticeURL)
	}
	published, err := federation.ParseStatement(note.Statement)
	if err != nil || published.ID != st.ID {
		return nil, ledger.Refuse(422, "the statement is not the one the notice %s carries", noticeURL)
	}
	return note.Statement, nil
}
