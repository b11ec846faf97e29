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
	v := verifier{client: &http.Client{Timeout: 20 * time.Second}, keys: map[string]ed25519.PublicKey{}}
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
}

func (v verifier) fetch(ctx context.Context, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", federation.Accept)
	resp, err := v.client.Do(req)
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
			if err == nil {
				v.keys[vm] = k
			}
			return k, err
		}
	}
	return nil, fmt.Errorf("%s does not list the key %s", actorID, vm)
}

func (v verifier) report(ctx context.Context, w io.Writer, url string, note []byte) error {
	var n struct {
		ID        string          `json:"id"`
		Kind      string          `json:"noticeKind"`
		Statement json.RawMessage `json:"statement"`
		Endorsed  *bool           `json:"endorsed"`
		Missing   []string        `json:"endorsementMissing"`
	}
	if err := json.Unmarshal(note, &n); err != nil || n.ID != url {
		return fmt.Errorf("%s is not a notice with that id", url)
	}
	fmt.Fprintf(w, "notice %s (%s)\n", n.ID, n.Kind)
	proofs, err := proof.Verify(note, func(vm string) (ed25519.PublicKey, error) { return v.key(ctx, vm) })
	if err != nil {
		return fmt.Errorf("the Note's proof does not verify: %w", err)
	}
	for _, p := range proofs {
		fmt.Fprintf(w, "  Note signed by %s on %s: verified\n", p.VerificationMethod, p.Created.Format(time.RFC3339))
	}
	if n.Statement == nil {
		fmt.Fprintln(w, "  no maintainer-signed statement: published by the instance for the project")
		return nil
	}
	proofs, err = proof.Verify(n.Statement, func(vm string) (ed25519.PublicKey, error) { return v.key(ctx, vm) })
	if err != nil {
		return fmt.Errorf("the statement's proofs do not verify: %w", err)
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
