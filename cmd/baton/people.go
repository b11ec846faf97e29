package main

// The admin's commands for people: register a person with their public keys, grant the first
// maintainers of a project and the stewards of the instance, add and revoke keys.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"

	"baton/federation/proof"
	"baton/web"
)

// keyFileFlag collects a repeatable --key FILE.pub.
type keyFileFlag []string

func (k *keyFileFlag) String() string { return strings.Join(*k, " ") }
func (k *keyFileFlag) Set(v string) error {
	if v = strings.TrimSpace(v); v == "" {
		return errors.New("empty file name")
	}
	*k = append(*k, v)
	return nil
}

// publicKey is a public key read from a file, checked on this machine before it is sent.
type publicKey struct {
	file        string
	line        string
	fingerprint string
}

// maxKeyFile bounds a public key file: one line of a few hundred bytes.
const maxKeyFile = 64 << 10

// readPublicKeyFile reads an OpenSSH public key file (~/.ssh/id_ed25519.pub): its first non-empty line.
func readPublicKeyFile(path string) (publicKey, error) {
	f, err := os.Open(path)
	if err != nil {
		return publicKey{}, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFile))
	if err != nil {
		return publicKey{}, fmt.Errorf("%s: %w", path, err)
	}
	if bytes.Contains(data, []byte("PRIVATE KEY")) {
		return publicKey{}, fmt.Errorf("%s is a private key, which stays on its owner's machine: give its public half, %s.pub", path, path)
	}
	var line string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), maxKeyFile)
	for sc.Scan() {
		if line = strings.TrimSpace(sc.Text()); line != "" {
			break
		}
	}
	if line == "" {
		return publicKey{}, fmt.Errorf("%s is empty: want an OpenSSH public key line, \"ssh-ed25519 AAAA… comment\"", path)
	}
	pub, err := proof.ParseOpenSSHPublicKey([]byte(line))
	if err != nil {
		return publicKey{}, fmt.Errorf("%s: %w", path, err)
	}
	fp, err := proof.Fingerprint(pub)
	if err != nil {
		return publicKey{}, fmt.Errorf("%s: %w", path, err)
	}
	return publicKey{file: path, line: line, fingerprint: fp}, nil
}

// keyFlags registers --key on fs. Read the files with keys.read after parsing.
type keyFlags struct {
	fs    *flag.FlagSet
	files keyFileFlag
}

func newKeyFlags(fs *flag.FlagSet, usage string) *keyFlags {
	k := &keyFlags{fs: fs}
	fs.Var(&k.files, "key", usage)
	return k
}

// read reads the files given with --key on the command line. BATON_KEY and config files are not
// used here: they name the private key notice post signs with, not a public key to register.
func (k *keyFlags) read() ([]publicKey, error) {
	onCommandLine := false
	k.fs.Visit(func(f *flag.Flag) {
		if f.Name == "key" {
			onCommandLine = true
		}
	})
	if !onCommandLine {
		return nil, nil
	}
	var keys []publicKey
	for _, path := range k.files {
		pk, err := readPublicKeyFile(path)
		if err != nil {
			return nil, err
		}
		keys = append(keys, pk)
	}
	return keys, nil
}

func keyLines(keys []publicKey) []string {
	lines := make([]string, len(keys))
	for i, k := range keys {
		lines[i] = k.line
	}
	return lines
}

// oneName parses a command's flags and wants exactly one NAME.
func oneName(fs *flag.FlagSet, args []string) (string, error) {
	rest, err := parseFlags(fs, args)
	if err != nil {
		return "", err
	}
	if len(rest) != 1 {
		return "", fmt.Errorf("%s: want exactly one NAME, got %d", fs.Name(), len(rest))
	}
	return rest[0], nil
}

func personAdd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("person add", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := clientFlags(fs)
	kf := newKeyFlags(fs, "the person's OpenSSH Ed25519 public key file (FILE.pub); repeatable")
	displayName := fs.String("display-name", "", "the name people read, e.g. \"Lasse Collin\"")
	name, err := oneName(fs, args)
	if err != nil {
		return err
	}
	keys, err := kf.read()
	if err != nil {
		return err
	}
	if len(keys) == 0 {
		return errors.New("person add: --key FILE.pub is required, at least once (ssh-keygen -t ed25519 makes a key)")
	}
	v, err := registerPerson(c, name, *displayName, keys)
	if err != nil {
		return err
	}
	printPerson(stdout, v)
	return nil
}

func registerPerson(c *apiClient, name, displayName string, keys []publicKey) (web.PersonView, error) {
	var v web.PersonView
	err := c.call(http.MethodPost, "/api/v1/people", web.PersonRequest{Name: name, DisplayName: displayName, Keys: keyLines(keys)}, &v)
	return v, err
}

func personShow(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("person show", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := clientFlags(fs)
	name, err := oneName(fs, args)
	if err != nil {
		return err
	}
	var v web.PersonView
	if err := c.call(http.MethodGet, "/api/v1/people/"+url.PathEscape(name), nil, &v); err != nil {
		return err
	}
	printPerson(stdout, v)
	return nil
}

// printPerson writes a person as `baton person show` does: one fact a line.
func printPerson(w io.Writer, v web.PersonView) {
	fmt.Fprintf(w, "%s\t%s\n", v.Handle, v.Actor)
	fmt.Fprintf(w, "name: %s\n", v.DisplayName)
	for _, k := range v.Keys {
		if k.Revoked != "" {
			fmt.Fprintf(w, "key: %s\tadded %s\trevoked %s\n", k.Fingerprint, k.Added, k.Revoked)
		} else {
			fmt.Fprintf(w, "key: %s\tadded %s\tin use\n", k.Fingerprint, k.Added)
		}
	}
	for _, r := range v.Roles {
		fmt.Fprintf(w, "role: %s\tsince %s\n", roleText(r), r.Since)
	}
	printRights(w, v.Rights)
}

// printRights prints the rights a person holds, a line for each project and the notice they came by.
func printRights(w io.Writer, rights []web.RightView) {
	type source struct{ project, notice, since, until string }
	var order []source
	held := map[source][]string{}
	pending := map[source]bool{}
	for _, r := range rights {
		k := source{r.Project, r.Notice, r.Since, r.Until}
		if _, ok := held[k]; !ok {
			order = append(order, k)
		}
		held[k] = append(held[k], r.Right)
		pending[k] = r.Pending
	}
	for _, k := range order {
		list := strings.Join(held[k], ", ")
		switch {
		case pending[k]:
			fmt.Fprintf(w, "rights in %s: %s\tpending: offered by %s, not accepted yet\n", k.project, list, k.notice)
		case k.notice != "":
			fmt.Fprintf(w, "rights in %s: %s\tsince %s, by %s%s\n", k.project, list, k.since, k.notice, untilWords(k.until))
		default:
			fmt.Fprintf(w, "rights in %s: %s\tsince %s, as a first maintainer\n", k.project, list, k.since)
		}
	}
}

func untilWords(until string) string {
	if until == "" {
		return ""
	}
	return ", until " + until
}

func roleText(r web.RoleView) string {
	if r.Role == "maintainer" {
		return "maintainer of " + r.Project
	}
	return r.Role
}

// findPerson looks a person up; found is false when the instance has no person of that name.
func (c *apiClient) findPerson(name string) (v web.PersonView, found bool, err error) {
	path := "/api/v1/people/" + url.PathEscape(name)
	req, err := http.NewRequest(http.MethodGet, strings.TrimRight(c.server, "/")+path, nil)
	if err != nil {
		return v, false, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.do(req)
	if err != nil {
		return v, false, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return v, false, err
	}
	switch resp.StatusCode {
	case http.StatusOK:
		return v, true, json.Unmarshal(data, &v)
	case http.StatusNotFound:
		return v, false, nil
	}
	return v, false, fmt.Errorf("GET %s: %s", path, resp.Status)
}

// ensurePerson makes sure name is a person on the instance before a role is granted: with keys, a
// person who does not exist yet is registered with them, and one who does must hold them already.
func ensurePerson(c *apiClient, name, displayName string, keys []publicKey, stderr io.Writer) error {
	if len(keys) == 0 {
		return nil // the instance says if there is no such person
	}
	p, found, err := c.findPerson(name)
	if err != nil {
		return err
	}
	if !found {
		v, err := registerPerson(c, name, displayName, keys)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "registered %s (%s) with %d key(s)\n", v.Handle, v.Actor, len(v.Keys))
		return nil
	}
	for _, k := range keys {
		held := false
		for _, pk := range p.Keys {
			held = held || (pk.Fingerprint == k.fingerprint && pk.Revoked == "")
		}
		if !held {
			return fmt.Errorf("%s exists already, and the key in %s (%s) is not one of their keys in use: add it first, baton key add %s --key %s",
				name, k.file, k.fingerprint, name, k.file)
		}
	}
	return nil
}

func maintainerAdd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("maintainer add", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := clientFlags(fs)
	projectName := fs.String("project", "", "the project NAME becomes a first maintainer of")
	kf := newKeyFlags(fs, "NAME's OpenSSH Ed25519 public key file (FILE.pub): registers NAME first if needed; repeatable")
	displayName := fs.String("display-name", "", "the name people read, when NAME is registered now")
	var signing listFlag
	fs.Var(&signing, "signing-key", "a release-signing key NAME already signs the project's releases with, TYPE:FINGERPRINT (TYPE openpgp or ssh); repeatable, before the project's first notice")
	name, err := oneName(fs, args)
	if err != nil {
		return err
	}
	if *projectName == "" {
		return errors.New("maintainer add: --project is required")
	}
	signingKeys, err := keySpecs(signing)
	if err != nil {
		return fmt.Errorf("maintainer add: --signing-key %w", err)
	}
	keys, err := kf.read()
	if err != nil {
		return err
	}
	// The project must exist before anyone is registered for it.
	path := "/api/v1/projects/" + url.PathEscape(*projectName) + "/maintainers"
	if err := c.call(http.MethodGet, path, nil, &[]web.RoleView{}); err != nil {
		return err
	}
	if err := ensurePerson(c, name, *displayName, keys, stderr); err != nil {
		return err
	}
	var role web.RoleView
	if err := c.call(http.MethodPost, path, web.RoleRequest{Person: name, SigningKeys: signingKeys}, &role); err != nil {
		return err
	}
	if role.Notice == "" {
		fmt.Fprintf(stdout, "%s is a maintainer of %s since %s\n", role.Person, role.Project, role.Since)
		return nil
	}
	// The project has notices: the instance offered it to NAME by a handover, which waits for them.
	fmt.Fprintln(stdout, role.Notice)
	fmt.Fprintf(stderr, "%s has notices, so %s adopts it by a handover from the instance: %s\n", role.Project, role.Person, role.Notice)
	fmt.Fprintf(stderr, "%s holds nothing until they accept it: baton notice endorse %s --as %s (--key FILE | --agent)\n", role.Person, role.Notice, role.Person)
	if len(role.Missing) > 0 {
		fmt.Fprintf(stderr, "still missing: %s\n", strings.Join(role.Missing, "; "))
	}
	return nil
}

func stewardAdd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("steward add", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := clientFlags(fs)
	kf := newKeyFlags(fs, "NAME's OpenSSH Ed25519 public key file (FILE.pub): registers NAME first if needed; repeatable")
	displayName := fs.String("display-name", "", "the name people read, when NAME is registered now")
	name, err := oneName(fs, args)
	if err != nil {
		return err
	}
	keys, err := kf.read()
	if err != nil {
		return err
	}
	if err := ensurePerson(c, name, *displayName, keys, stderr); err != nil {
		return err
	}
	var role web.RoleView
	if err := c.call(http.MethodPost, "/api/v1/stewards", web.RoleRequest{Person: name}, &role); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s is a steward since %s\n", role.Person, role.Since)
	return nil
}

func keyAdd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("key add", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := clientFlags(fs)
	kf := newKeyFlags(fs, "the new OpenSSH Ed25519 public key file (FILE.pub)")
	name, err := oneName(fs, args)
	if err != nil {
		return err
	}
	keys, err := kf.read()
	if err != nil {
		return err
	}
	if len(keys) != 1 {
		return fmt.Errorf("key add: want one --key FILE.pub, got %d", len(keys))
	}
	var v web.PersonView
	if err := c.call(http.MethodPost, "/api/v1/people/"+url.PathEscape(name)+"/keys", web.KeyRequest{Key: keys[0].line}, &v); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "added %s to %s\n", keys[0].fingerprint, v.Name)
	return nil
}

func keyRevoke(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("key revoke", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := clientFlags(fs)
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 2 {
		return fmt.Errorf("key revoke: want NAME FINGERPRINT (as ssh-keygen -l prints it, SHA256:…), got %d argument(s)", len(rest))
	}
	var v web.PersonView
	path := "/api/v1/people/" + url.PathEscape(rest[0]) + "/keys/revoke"
	if err := c.call(http.MethodPost, path, web.RevokeKeyRequest{Fingerprint: rest[1]}, &v); err != nil {
		return err
	}
	for _, k := range v.Keys {
		if k.Fingerprint == rest[1] || k.Fingerprint == "SHA256:"+rest[1] {
			fmt.Fprintf(stdout, "revoked %s of %s at %s\n", k.Fingerprint, v.Name, k.Revoked)
			return nil
		}
	}
	fmt.Fprintf(stdout, "revoked %s of %s\n", rest[1], v.Name)
	return nil
}
