package main

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"baton/federation"
	"baton/federation/proof"
)

// noticeVerify fetches a notice from any instance and checks every proof on it with the keys its
// signers' actors publish: the project's proof on the Note, and each person's on the statement inside.
func noticeVerify(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("notice verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return errors.New("notice verify: want the notice's URL")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	v := verifier{client: &http.Client{Timeout: 20 * time.Second}, keys: map[string]ed25519.PublicKey{}, revoked: map[string]time.Time{}}
	note, err := v.fetch(ctx, rest[0])
	if err != nil {
		return err
	}
	return v.report(ctx, stdout, rest[0], note)
}

// verifier fetches documents as a fediverse server would and checks proofs with the keys it finds.
type verifier struct {
	client *http.Client
	keys   map[string]ed25519.PublicKey // verification method -> key, once fetched
	// revoked holds when keys were revoked, by verification method
	revoked map[string]time.Time
}

func (v verifier) fetch(ctx context.Context, url string) ([]byte, error) {
	return getPublic(ctx, v.client, url, federation.Accept)
}

// getPublic GETs a public document (an actor, a Note, a WebFinger answer), as much of it as a
// federation fetch reads.
func getPublic(ctx context.Context, client *http.Client, url, accept string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", accept)
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, federation.MaxResponseBytes))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return body, nil
}

// key finds a verification method among its controller's assertionMethod keys.
func (v verifier) key(ctx context.Context, vm string) (ed25519.PublicKey, error) {
	if k, ok := v.keys[vm]; ok {
		return k, nil
	}
	actorID, _, _ := strings.Cut(vm, "#")
	doc, err := v.fetch(ctx, actorID)
	if err != nil {
		return nil, err
	}
	var actor struct {
		ID              string `json:"id"`
		AssertionMethod []struct {
			ID                 string `json:"id"`
			Controller         string `json:"controller"`
			PublicKeyMultibase string `json:"publicKeyMultibase"`
			Revoked            string `json:"revoked"`
		} `json:"assertionMethod"`
	}
	if err := json.Unmarshal(doc, &actor); err != nil || actor.ID != actorID {
		return nil, fmt.Errorf("%s is not the actor document it should be", actorID)
	}
	for _, m := range actor.AssertionMethod {
		if m.ID == vm && m.Controller == actorID {
			k, err := proof.DecodeMultikey(m.PublicKeyMultibase)
			if err != nil {
				return nil, err
			}
			v.keys[vm] = k
			if m.Revoked != "" {
				revoked, err := time.Parse(time.RFC3339, m.Revoked)
				if err != nil {
					return nil, fmt.Errorf("key %s: revoked %q is not a time", vm, m.Revoked)
				}
				v.revoked[vm] = revoked
			}
			return k, nil
		}
	}
	return nil, fmt.Errorf("%s does not list the key %s", actorID, vm)
}

func (v verifier) report(ctx context.Context, w io.Writer, url string, note []byte) error {
	var n struct {
		ID           string          `json:"id"`
		AttributedTo string          `json:"attributedTo"`
		Kind         string          `json:"noticeKind"`
		Statement    json.RawMessage `json:"statement"`
		Endorsed     *bool           `json:"endorsed"`
		Missing      []string        `json:"endorsementMissing"`
	}
	if err := json.Unmarshal(note, &n); err != nil || n.ID != url {
		return fmt.Errorf("%s is not a notice with that id", url)
	}
	fmt.Fprintf(w, "notice %s (%s)\n", n.ID, n.Kind)
	proofs, err := v.verify(ctx, note)
	if err != nil {
		return fmt.Errorf("the Note's proof: %w", err)
	}
	if !signedBy(proofs, n.AttributedTo) {
		return fmt.Errorf("the Note is not signed by its project, %s", n.AttributedTo)
	}
	for _, p := range proofs {
		fmt.Fprintf(w, "  Note signed by %s on %s: verified\n", p.VerificationMethod, p.Created.Format(time.RFC3339))
	}
	if n.Statement == nil {
		fmt.Fprintln(w, "  no maintainer-signed statement: published by the instance for the project")
		return nil
	}
	var statement struct {
		Author  string `json:"author"`
		Project string `json:"project"`
	}
	json.Unmarshal(n.Statement, &statement)
	byProject := statement.Author != "" && statement.Author == statement.Project && statement.Author == n.AttributedTo
	proofs = nil
	if !byProject || !proof.Unsigned(n.Statement) {
		if proofs, err = v.verify(ctx, n.Statement); err != nil {
			return fmt.Errorf("the statement's proofs: %w", err)
		}
	}
	switch {
	case byProject:
		fmt.Fprintln(w, "  statement by the project itself: its instance spoke for it while it had no maintainers")
	case !signedBy(proofs, statement.Author):
		return fmt.Errorf("the statement's author %s has not signed it", statement.Author)
	}
	for _, p := range proofs {
		fmt.Fprintf(w, "  statement signed by %s on %s: verified\n", p.VerificationMethod, p.Created.Format(time.RFC3339))
	}
	switch {
	case n.Endorsed == nil:
		fmt.Fprintln(w, "policy: the author's proof is all this kind needs")
	case *n.Endorsed:
		fmt.Fprintln(w, "policy: met, as the publishing instance reads it")
	default:
		fmt.Fprintf(w, "policy: NOT met, as the publishing instance reads it; missing: %s\n", strings.Join(n.Missing, "; "))
	}
	return nil
}

// verify checks every proof on doc, and that none was made with a key after it was revoked.
func (v verifier) verify(ctx context.Context, doc []byte) ([]proof.Proof, error) {
	proofs, err := proof.Verify(doc, func(vm string) (ed25519.PublicKey, error) { return v.key(ctx, vm) })
	if err != nil {
		return nil, err
	}
	for _, p := range proofs {
		if revoked, ok := v.revoked[p.VerificationMethod]; ok && !p.Created.Before(revoked) {
			return nil, fmt.Errorf("%s was made on %s with a key revoked on %s", p.VerificationMethod,
				p.Created.Format(time.RFC3339), revoked.Format(time.RFC3339))
		}
	}
	return proofs, nil
}

// signedBy reports whether one of proofs was made with a key of actor.
func signedBy(proofs []proof.Proof, actor string) bool {
	for _, p := range proofs {
		if id, _, _ := strings.Cut(p.VerificationMethod, "#"); id == actor && actor != "" {
			return true
		}
	}
	return false
}
