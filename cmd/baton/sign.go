package main

import (
	"crypto/ed25519"

	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"baton/federation"
	"baton/federation/proof"
	"baton/ledger"
	"baton/web"
)

// A maintainer's private key never leaves their machine: these sign with a key file or the running
// ssh-agent, after checking the key is one the instance lists for them.

// personKeys is what the client reads of a person from the API.
type personKeys struct {
	Name  string `json:"name"`
	Actor string `json:"actor"`
	Keys  []struct {
		Fingerprint string `json:"fingerprint"`
		Multikey    string `json:"multikey"`
		Revoked     string `json:"revoked"`
	} `json:"keys"`
}

func (c *apiClient) person(name string) (personKeys, error) {
	var p personKeys
	err := c.call(http.MethodGet, "/api/v1/people/"+url.PathEscape(name), nil, &p)
	return p, err
}

// inUse reports whether pub is one of the person's keys and not revoked.
func (p personKeys) inUse(pub ed25519.PublicKey) bool {
	mk := proof.EncodeMultikey(pub)
	for _, k := range p.Keys {
		if k.Multikey == mk && k.Revoked == "" {
			return true
		}
	}
	return false
}

// signer signs statements as one person with one key.
type signer struct {
	person personKeys
	pub    ed25519.PublicKey
	sign   func(data []byte) ([]byte, error)
}

// signerFlags are the flags that choose the key: --key FILE or --agent.
type signerFlags struct {
	as       string
	keyFile  string
	useAgent bool
}

func (f signerFlags) load(c *apiClient) (signer, error) {
	if f.as == "" {
		return signer{}, errors.New("--as NAME is required: who signs (a person on the instance)")
	}
	if (f.keyFile == "") == !f.useAgent {
		return signer{}, errors.New("sign with --key FILE (a private key file) or --agent (the running ssh-agent), one of them")
	}
	var key ed25519.PrivateKey
	if !f.useAgent {
		var err error
		if key, err = readPrivateKey(f.keyFile, f.as); err != nil { // before asking the instance anything
			return signer{}, err
		}
	}
	p, err := c.person(f.as)
	if err != nil {
		return signer{}, fmt.Errorf("--as %s: %w", f.as, err)
	}
	if f.useAgent {
		return agentSigner(p)
	}
	pub := key.Public().(ed25519.PublicKey)
	if !p.inUse(pub) {
		return signer{}, fmt.Errorf("--key %s is not one of %s's keys in use on the instance (baton person show %s lists them; baton key add %s --key FILE.pub adds one)",
			f.keyFile, p.Name, p.Name, p.Name)
	}
	return signer{person: p, pub: pub, sign: func(data []byte) ([]byte, error) { return ed25519.Sign(key, data), nil }}, nil
}

// readPrivateKey reads the OpenSSH Ed25519 private key that --key names, saying what to do instead
// when it is a public key, another algorithm's, or protected by a passphrase not given.
func readPrivateKey(path, name string) (ed25519.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--key: %w", err)
	}
	if _, _, _, _, err := ssh.ParseAuthorizedKey(data); err == nil {
		return nil, fmt.Errorf("--key %s is a public key: pass the private key file (%s), or load it into ssh-agent and use --agent",
			path, strings.TrimSuffix(path, ".pub"))
	}
	key, err := proof.ParseOpenSSHPrivateKey(data, []byte(os.Getenv("BATON_KEY_PASSPHRASE")))
	switch {
	case errors.Is(err, proof.ErrPassphraseNeeded):
		return nil, fmt.Errorf("--key %s is protected by a passphrase: load it into ssh-agent (ssh-add) and use --agent, or set BATON_KEY_PASSPHRASE", path)
	case errors.Is(err, proof.ErrNotEd25519):
		return nil, fmt.Errorf("--key %s: %v; notices are signed with Ed25519 keys: make one (ssh-keygen -t ed25519), add its .pub (baton key add %s --key FILE.pub) and sign with it",
			path, err, name)
	case err != nil:
		return nil, fmt.Errorf("--key %s: %w", path, err)
	}
	return key, nil
}

// agentSigner signs with the first Ed25519 key in the agent that the instance lists for the person.
// For ssh-ed25519 keys, the agent's signature is a plain Ed25519 signature of the data.
func agentSigner(p personKeys) (signer, error) {
	sock := os.Getenv("SSH_AUTH_SOCK")
	if sock == "" {
		return signer{}, errors.New("--agent: SSH_AUTH_SOCK is not set; is ssh-agent running?")
	}
	conn, err := net.Dial("unix", sock)
	if err != nil {
		return signer{}, fmt.Errorf("--agent: %w", err)
	}
	a := agent.NewClient(conn)
	keys, err := a.List()
	if err != nil {
		conn.Close()
		return signer{}, fmt.Errorf("--agent: %w", err)
	}
	for _, k := range keys {
		pub, err := proof.ParseOpenSSHPublicKey(ssh.MarshalAuthorizedKey(k))
		if err != nil || !p.inUse(pub) {
			continue
		}
		return signer{person: p, pub: pub, sign: func(data []byte) ([]byte, error) {
			sig, err := a.Sign(k, data)
			if err != nil {
				return nil, err
			}
			if sig.Format != ssh.KeyAlgoED25519 {
				return nil, fmt.Errorf("the agent made a %s signature", sig.Format)
			}
			return sig.Blob, nil
		}}, nil
	}
	conn.Close()
	return signer{}, fmt.Errorf("--agent: none of the agent's %d keys is one of %s's keys in use on the instance", len(keys), p.Name)
}

// signDocument adds this signer's proof to a document.
func (s signer) signDocument(doc []byte) ([]byte, error) {
	vm := s.person.Actor + "#" + proof.EncodeMultikey(s.pub)
	return proof.SignWith(doc, s.sign, vm, time.Now().UTC())
}

// signedQuery is a steward's query (a StewardQuery with a fresh id, and extra), signed by s.
func signedQuery(s signer, extra map[string]string) ([]byte, error) {
	q := map[string]string{}
	for k, v := range extra {
		q[k] = v
	}
	q["type"], q["id"] = ledger.StewardQueryType, federation.NewStatementID()
	query, err := json.Marshal(q)
	if err != nil {
		return nil, err
	}
	return s.signDocument(query)
}

// stewardNotices reads the notices meant for stewards alone (relief requests, calls for stewards that
// are not public), authenticated by a query signed with the steward's key.
func stewardNotices(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("steward notices", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := clientFlags(fs)
	var sf signerFlags
	fs.StringVar(&sf.as, "as", "", "the steward's name")
	fs.StringVar(&sf.keyFile, "key", "", "the steward's OpenSSH Ed25519 private key file")
	fs.BoolVar(&sf.useAgent, "agent", false, "sign with the running ssh-agent")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	s, err := sf.load(c)
	if err != nil {
		return err
	}
	signed, err := signedQuery(s, nil)
	if err != nil {
		return err
	}
	var notices []web.StewardNotice
	if err := c.call(http.MethodPost, "/api/v1/stewards/notices", json.RawMessage(signed), &notices); err != nil {
		return err
	}
	for _, n := range notices {
		kind := n.Kind
		if n.Instance != "" {
			kind += " from " + n.Instance // another instance's call, addressed to this one's stewards
		}
		fmt.Fprintf(stdout, "%s\t%s\t%s\tby %s\t%s\n", n.URL, n.Project, kind, n.Author, n.Published)
		fmt.Fprintf(stdout, "\t%s\n", strings.ReplaceAll(n.Text, "\n", "\n\t"))
	}
	if len(notices) == 0 {
		fmt.Fprintln(stderr, "no notices for stewards")
	}
	return nil
}
