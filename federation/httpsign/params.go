package httpsign

import (
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Pseudo-headers of draft-cavage.
const (
	requestTarget = "(request-target)"
	createdHeader = "(created)"
	expiresHeader = "(expires)"
)

// params are the parameters of a Signature header.
type params struct {
	keyID      string
	algorithm  string   // lower case; "" when absent
	headers    []string // lower case, in signing order
	signature  string   // base64
	created    int64    // Unix seconds; 0 when absent
	expires    int64    // Unix seconds; 0 when absent
	hasCreated bool
	hasExpires bool
}

// signs reports whether name (lower case) is among the signed headers.
func (p params) signs(name string) bool {
	return slices.Contains(p.headers, name)
}

// parseParams reads a Signature header: comma-separated name=value or name="value" pairs. It is
// more forgiving than go-fed's parser (spaces after commas, commas inside quoted values) and
// stricter about what it cannot read (a repeated parameter, an unterminated quote).
func parseParams(s string) (params, error) {
	var p params
	seen := map[string]bool{}
	rest := strings.TrimSpace(s)
	for rest != "" {
		name, value, tail, err := nextParam(rest)
		if err != nil {
			return p, err
		}
		if seen[name] {
			return p, fmt.Errorf("parameter %s appears twice", name)
		}
		seen[name] = true
		if err := p.set(name, value); err != nil {
			return p, err
		}
		rest = tail
	}
	return p, p.complete()
}

// nextParam reads one `name=value` and the comma after it.
func nextParam(s string) (name, value, rest string, err error) {
	eq := strings.IndexByte(s, '=')
	if eq < 0 {
		return "", "", "", fmt.Errorf("expected name=value at %q", clip(s))
	}
	name = strings.TrimSpace(s[:eq])
	if !isToken(name) {
		return "", "", "", fmt.Errorf("bad parameter name %q", clip(name))
	}
	s = strings.TrimLeft(s[eq+1:], " \t")
	if strings.HasPrefix(s, `"`) {
		value, s, err = unquote(s[1:])
		if err != nil {
			return "", "", "", fmt.Errorf("parameter %s: %w", name, err)
		}
	} else {
		end := strings.IndexAny(s, ", \t")
		if end < 0 {
			end = len(s)
		}
		value, s = s[:end], s[end:]
	}
	s = strings.TrimLeft(s, " \t")
	if s != "" && s[0] != ',' {
		return "", "", "", fmt.Errorf("expected a comma after parameter %s", name)
	}
	return name, value, strings.TrimLeft(strings.TrimPrefix(s, ","), " \t"), nil
}

// unquote reads a quoted string up to its closing quote; s starts after the opening one.
func unquote(s string) (value, rest string, err error) {
	if end := strings.IndexAny(s, `"\\`); end >= 0 && s[end] == '"' {
		return s[:end], s[end+1:], nil // no escapes, as in every header seen in practice
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			return b.String(), s[i+1:], nil
		case '\\':
			if i+1 == len(s) {
				return "", "", errors.New("unterminated quoted string")
			}
			i++
			b.WriteByte(s[i])
		default:
			b.WriteByte(c)
		}
	}
	return "", "", errors.New("unterminated quoted string")
}

func (p *params) set(name, value string) error {
	var err error
	switch name {
	case "keyId":
		p.keyID = value
	case "algorithm":
		p.algorithm = strings.ToLower(value)
	case "headers":
		p.headers = strings.Fields(strings.ToLower(value))
	case "signature":
		p.signature = value
	case "created":
		p.created, err = strconv.ParseInt(value, 10, 64)
		p.hasCreated = true
	case "expires":
		p.expires, err = strconv.ParseInt(value, 10, 64)
		p.hasExpires = true
	}
	// Unknown parameters are ignored, as the draft asks.
	if err != nil {
		return fmt.Errorf("parameter %s is not a Unix time: %q", name, clip(value))
	}
	return nil
}

// complete checks the required parameters and fills in the default header list.
func (p *params) complete() error {
	if p.keyID == "" {
		return errors.New("no keyId")
	}
	if p.signature == "" {
		return errors.New("no signature")
	}
	// The decoder skips CR and LF, which the canonical copy handed to go-fed would write escaped.
	if _, err := base64.StdEncoding.DecodeString(p.signature); err != nil || strings.ContainsAny(p.signature, "\r\n") {
		return errors.New("signature is not base64")
	}
	if len(p.headers) == 0 {
		p.headers = []string{"date"} // the draft's default
	}
	for _, h := range p.headers {
		if !isHeaderName(h) {
			return fmt.Errorf("bad header name %q in headers", clip(h))
		}
	}
	if p.signs(createdHeader) && !p.hasCreated {
		return errors.New("(created) is signed but there is no created parameter")
	}
	if p.signs(expiresHeader) && !p.hasExpires {
		return errors.New("(expires) is signed but there is no expires parameter")
	}
	return nil
}

// String writes the header the way Mastodon does: keyId, algorithm, headers, signature.
// created and expires are written only when signed: go-fed checks them against the wall clock
// whenever they are present, and unsigned ones mean nothing.
func (p params) String() string {
	var b strings.Builder
	b.WriteString("keyId=")
	writeQuoted(&b, p.keyID)
	if p.algorithm != "" {
		b.WriteString(",algorithm=")
		writeQuoted(&b, p.algorithm)
	}
	if p.signs(createdHeader) {
		b.WriteString(",created=")
		b.WriteString(strconv.FormatInt(p.created, 10))
	}
	if p.signs(expiresHeader) {
		b.WriteString(",expires=")
		b.WriteString(strconv.FormatInt(p.expires, 10))
	}
	b.WriteString(",headers=")
	writeQuoted(&b, strings.Join(p.headers, " "))
	b.WriteString(",signature=")
	writeQuoted(&b, p.signature)
	return b.String()
}

// writeQuoted writes s as strconv.Quote does. What is written here is nearly always plain printable
// ASCII (base64, header names, URLs), which needs only the quotes: quoting rune by rune cost more than
// the rest of writing the header.
func writeQuoted(b *strings.Builder, s string) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c > '~' || c == '"' || c == '\\' {
			b.WriteString(strconv.Quote(s))
			return
		}
	}
	b.WriteByte('"')
	b.WriteString(s)
	b.WriteByte('"')
}

// forGoFed is the canonical header handed to go-fed's verifier. go-fed splits the header on every
// comma, and it reads the key id only to return it, so a placeholder keeps commas in real key ids
// from breaking its parse.
func (p params) forGoFed() string {
	p.keyID = "-"
	p.algorithm = ""
	return p.String()
}

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.ContainsRune("!#$%&'*+-.^_`|~", c)) {
			return false
		}
	}
	return true
}

// isHeaderName accepts a header field name or a pseudo-header like (request-target). Anything else
// is refused so that go-fed, reading the canonical copy, sees exactly the list checked here.
func isHeaderName(s string) bool {
	if strings.HasPrefix(s, "(") && strings.HasSuffix(s, ")") {
		return isToken(s[1 : len(s)-1])
	}
	return isToken(s)
}

// clip keeps quoted input short in error messages.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
