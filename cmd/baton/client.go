package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"baton/web"
)

// apiClient talks to a running instance's API.
type apiClient struct {
	server string
	token  string
	http   *http.Client
}

func clientFlags(fs *flag.FlagSet) *apiClient {
	c := &apiClient{http: &http.Client{Timeout: 60 * time.Second}}
	fs.StringVar(&c.server, "server", "http://127.0.0.1:8080", "the instance's `URL` (env BATON_SERVER)")
	fs.StringVar(&c.token, "token", "", "the admin `TOKEN` (env BATON_TOKEN)")
	return c
}

// maxAnswer bounds an answer: a distro's list of watches runs to thousands of packages.
const maxAnswer = 64 << 20

// apiError is an error answer from the instance. It keeps the status, which some commands take as an
// answer: 409 to an import is a package already watched, and 404 to a package's state sends check on
// to the projects.
type apiError struct {
	status int
	text   string
}

func (e *apiError) Error() string { return e.text }

// statusOf is the HTTP status of an error answer; 0 for nil and for errors that are not answers.
func statusOf(err error) int {
	var e *apiError
	if errors.As(err, &e) {
		return e.status
	}
	return 0
}

// do sends a request, saying which instance could not be reached, and how to name another.
func (c *apiClient) do(req *http.Request) (*http.Response, error) {
	resp, err := c.http.Do(req)
	if err == nil {
		return resp, nil
	}
	cause := err
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		cause = op.Err
		var sys *os.SyscallError
		if errors.As(op.Err, &sys) {
			cause = sys.Err
		}
	}
	env := "BATON_SERVER is not set"
	if v := os.Getenv("BATON_SERVER"); v != "" {
		env = "BATON_SERVER=" + v
	}
	return nil, fmt.Errorf("cannot reach %s: %v (is `baton serve` running there? --server URL or BATON_SERVER names the instance; %s)", c.server, cause, env)
}

// call sends a JSON request and decodes a JSON answer into out; an error answer becomes an *apiError
// carrying the server's message and status.
func (c *apiClient) call(method, path string, body, out any) error {
	var reader io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		reader = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, strings.TrimRight(c.server, "/")+path, reader)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		var e struct {
			Error string `json:"error"`
		}
		text := fmt.Sprintf("%s %s: %s", method, path, resp.Status)
		switch {
		case resp.StatusCode == http.StatusUnauthorized && c.token == "":
			text = "this needs the admin token, and none was given: pass --token TOKEN or set BATON_TOKEN (401)"
		case json.Unmarshal(data, &e) == nil && e.Error != "":
			text = fmt.Sprintf("%s (%d)", e.Error, resp.StatusCode)
		}
		if resp.StatusCode == http.StatusForbidden && c.token != "" {
			text += ": check --token or BATON_TOKEN"
		}
		return &apiError{resp.StatusCode, text}
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

func projectAdd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("project add", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := clientFlags(fs)
	var req web.ProjectRequest
	fs.StringVar(&req.DisplayName, "display-name", "", "the name people read, e.g. \"XZ Utils\"")
	fs.StringVar(&req.Summary, "summary", "", "one or two sentences about the project")
	fs.StringVar(&req.Homepage, "homepage", "", "the project's homepage URL")
	fs.StringVar(&req.Repository, "repo", "", "the project's source repository URL")
	fs.StringVar(&req.Since, "since", "", "when the project's record starts (YYYY-MM-DD), for a project taken on with its history; notices may be dated back to it")
	var keys listFlag
	fs.Var(&keys, "signing-key", "a release-signing key already in use, TYPE:FINGERPRINT[:HOLDER] (TYPE openpgp or ssh; HOLDER becomes a first maintainer); repeatable")
	names, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(names) != 1 {
		return fmt.Errorf("project add: want exactly one NAME, got %d", len(names))
	}
	req.Name = names[0]
	if req.SigningKeys, err = keySpecs(keys); err != nil {
		return fmt.Errorf("project add: --signing-key %w", err)
	}
	var view web.ProjectView
	if err := c.call(http.MethodPost, "/api/v1/projects", req, &view); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s\t%s\n", view.Handle, view.Actor)
	return nil
}

func projectList(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("project list", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := clientFlags(fs)
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	var views []web.ProjectView
	if err := c.call(http.MethodGet, "/api/v1/projects", nil, &views); err != nil {
		return err
	}
	for _, v := range views {
		fmt.Fprintf(stdout, "%s\t%s\tfollowers=%d\tnotices=%d\tstatus=%s\n", v.Handle, v.DisplayName, v.Followers, v.Notices, v.Status)
	}
	return nil
}

// keySpecs reads --signing-key flags.
func keySpecs(specs []string) ([]web.SigningKeyRequest, error) {
	var out []web.SigningKeyRequest
	for _, spec := range specs {
		k, err := parseKeySpec(spec)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, nil
}
