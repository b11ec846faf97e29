package main

// People and notices on other instances: a handover to a person whose actor lives elsewhere, and an
// endorsement of a notice published elsewhere, made on this machine and delivered by the signer's own
// instance.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"baton/federation"
	"baton/web"
)

// remoteActor reads name as a person on another instance: an actor URL, or a handle @who@host found
// with WebFinger at host (over https, or over http when the client's own server is reached over http:
// a local setup). False for a plain name, a person on the client's own instance.
func (c *apiClient) remoteActor(name string) (string, bool, error) {
	if strings.HasPrefix(name, "https://") || strings.HasPrefix(name, "http://") {
		if !federation.IsHTTPURL(name) {
			return "", true, fmt.Errorf("%q is not an actor URL", name)
		}
		return name, true, nil
	}
	handle := strings.TrimPrefix(name, "@")
	who, host, ok := strings.Cut(handle, "@")
	if !ok {
		return "", false, nil
	}
	if _, _, err := federation.ParseAcct("acct:" + handle); err != nil || who == "" {
		return "", true, fmt.Errorf("%q is neither a name on this instance, a handle @who@host, nor an actor URL", name)
	}
	scheme := "https"
	if strings.HasPrefix(c.server, "http://") {
		scheme = "http"
	}
	wf := url.URL{Scheme: scheme, Host: host, Path: "/.well-known/webfinger", RawQuery: url.Values{"resource": {"acct:" + handle}}.Encode()}
	body, err := c.getDocument(wf.String(), federation.JRDContentType)
	if err != nil {
		return "", true, fmt.Errorf("%s: %w", name, err)
	}
	var jrd federation.WebFinger
	if err := json.Unmarshal(body, &jrd); err != nil {
		return "", true, fmt.Errorf("%s: WebFinger answered something other than a JRD document", name)
	}
	for _, l := range jrd.Links {
		if l.Rel == "self" && federation.IsActivityMediaType(l.Type) && federation.IsHTTPURL(l.Href) && federation.SameOrigin(l.Href, wf.String()) {
			return l.Href, true, nil
		}
	}
	return "", true, fmt.Errorf("%s: WebFinger names no ActivityPub actor on %s", name, host)
}

// elsewhere reports whether ref, a notice's URL, names a notice on another instance than the client's:
// the client's instance has no notice by its number (err, the answer to asking for it), or one with
// another URL (own).
func elsewhere(ref, own string, err error) bool {
	if !federation.IsHTTPURL(ref) {
		return false
	}
	if api, ok := errors.AsType[*apiError](err); ok && api.status == http.StatusNotFound {
		return true
	}
	return err == nil && own != ref
}

// getDocument GETs a public document.
func (c *apiClient) getDocument(rawURL, accept string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return getPublic(ctx, c.http, rawURL, accept)
}

// endorseElsewhere signs the statement of the notice at noticeURL, published on another instance, and
// has the client's own instance deliver the proof to the project's inbox there.
func endorseElsewhere(c *apiClient, s signer, noticeURL string, stdout, stderr io.Writer) error {
	doc, err := c.getDocument(noticeURL, federation.Accept)
	if err != nil {
		return err
	}
	note, err := federation.ParseNote(doc)
	if err != nil {
		return fmt.Errorf("%s: %w", noticeURL, err)
	}
	if note.Statement == nil {
		return fmt.Errorf("notice %s carries no signed statement to endorse", noticeURL)
	}
	st, err := federation.ParseStatement(note.Statement)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "endorsing %s: %s by %s\n%s\n", st.ID, st.Notice.Kind, st.Notice.Author, st.Notice.Text)
	signed, err := s.signDocument(note.Statement)
	if err != nil {
		return err
	}
	var view web.RemoteEndorsementView
	if err := c.call(http.MethodPost, "/api/v1/endorsements", web.RemoteEndorsement{Notice: noticeURL, Statement: signed}, &view); err != nil {
		return err
	}
	fmt.Fprintln(stdout, noticeURL)
	fmt.Fprintf(stderr, "delivered to %s, which admitted the proof of %s\n", view.Inbox, view.Person)
	return nil
}
