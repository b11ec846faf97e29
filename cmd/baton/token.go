package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"baton/outbox"
	"baton/store"
	"baton/web"
)

// The admin token is kept as its hash only (web.HashToken), under adminTokenSetting. Tokens replaced by
// `baton token rotate` are remembered, by hash, under retiredTokensSetting, so that a token left in a
// service's environment does not come back at the next start.
const (
	adminTokenSetting    = "admin_token_sha256"
	retiredTokensSetting = "admin_token_retired_sha256" // the hashes, 32 bytes each, oldest first
	maxRetiredTokens     = 64
)

// minAdminToken is the shortest admin token an operator may choose: long enough that guessing it, even
// at the pace the web's limiter allows, is hopeless. The tokens Baton makes have 48 hex digits.
const minAdminToken = 24

// settingNames say what each setting is, for migrate's report.
var settingNames = map[string]string{outbox.InstanceKeySetting: "instance key", adminTokenSetting: "admin token hash",
	retiredTokensSetting: "rotated-out admin tokens' hashes"}

// adminTokenHash returns the hash of the admin token serve checks requests against. A token given
// (--admin-token, BATON_ADMIN_TOKEN) is stored, replacing a different one stored before; without one,
// the stored one stays, and the first start makes one and prints it once.
func adminTokenHash(ctx context.Context, st store.Settings, given string, log *slog.Logger, stderr io.Writer) ([]byte, error) {
	if given == "" {
		return storedAdminToken(ctx, st, stderr)
	}
	if n := len(given); n < minAdminToken {
		return nil, fmt.Errorf("the admin token (--admin-token or BATON_ADMIN_TOKEN) is %d characters long; it must have at least %d, e.g. $(openssl rand -hex 24)", n, minAdminToken)
	}
	hash := web.HashToken(given)
	retired, err := retiredTokens(ctx, st)
	if err != nil {
		return nil, err
	}
	if isRetired(retired, hash) {
		return nil, errors.New("the admin token given (--admin-token or BATON_ADMIN_TOKEN) was replaced by `baton token rotate`: set the new one there, or remove it to use the one stored")
	}
	stored, err := st.InitSetting(ctx, adminTokenSetting, hash)
	if err != nil {
		return nil, fmt.Errorf("admin token: %w", err)
	}
	if !bytes.Equal(stored, hash) {
		if err := st.PutSetting(ctx, adminTokenSetting, hash); err != nil {
			return nil, fmt.Errorf("admin token: %w", err)
		}
		log.Warn("admin token changed: the one given (--admin-token or BATON_ADMIN_TOKEN) replaces the one stored, which no longer works")
	}
	return hash, nil
}

// storedAdminToken returns the stored token's hash, or makes a token, stores its hash and prints it.
// Replicas starting at once on an empty store agree on one; only the one whose token was stored prints.
func storedAdminToken(ctx context.Context, st store.Settings, stderr io.Writer) ([]byte, error) {
	token := newAdminToken()
	stored, err := st.InitSetting(ctx, adminTokenSetting, web.HashToken(token))
	if err != nil {
		return nil, fmt.Errorf("admin token: %w", err)
	}
	if bytes.Equal(stored, web.HashToken(token)) {
		fmt.Fprintf(stderr, "\nAdmin token (shown once; only its hash is kept):\n\n    %s\n\nSet BATON_TOKEN=%s for the baton client commands.\n\n", token, token)
	}
	return stored, nil
}

func newAdminToken() string {
	b := make([]byte, 24)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func retiredTokens(ctx context.Context, st store.Settings) ([]byte, error) {
	b, err := st.Setting(ctx, retiredTokensSetting)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("admin token: %w", err)
	}
	return b, nil
}

func isRetired(retired, hash []byte) bool {
	found := 0
	for i := 0; i+len(hash) <= len(retired); i += len(hash) {
		found |= subtle.ConstantTimeCompare(retired[i:i+len(hash)], hash)
	}
	return found == 1
}

// tokenRotate replaces the admin token of a stopped instance, in its store: it prints the new token
// once, and the old one stops working, even if it is still set for serve.
func tokenRotate(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("token rotate", flag.ContinueOnError)
	data := fs.String("data", "data", "the instance's data folder `DIR`, as serve is given it (env BATON_DATA)")
	redisURL := fs.String("redis", "", "the instance's Redis `URL`, as serve is given it (env BATON_REDIS)")
	fs.SetOutput(stderr)
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("token rotate: unexpected %q", rest[0])
	}
	name := storeName(*data, *redisURL)
	ctx := context.Background()
	st, hold, err := openHeld(ctx, name, true, holder("token rotate", ""))
	if err != nil {
		return fmt.Errorf("token rotate: %w", err)
	}
	defer st.Close()
	defer hold.Release(context.Background())
	if _, err := st.Setting(ctx, outbox.InstanceKeySetting); errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("token rotate: no Baton instance in %s (it has no instance key): start it once first", describeStore(name))
	} else if err != nil {
		return fmt.Errorf("token rotate: %w", err)
	}
	token, err := rotateAdminToken(ctx, st)
	if err != nil {
		return fmt.Errorf("token rotate: %w", err)
	}
	fmt.Fprintln(stdout, token)
	fmt.Fprintf(stderr, "The new admin token is above, shown once; only its hash is kept. The old one no longer works:\n"+
		"if BATON_ADMIN_TOKEN or --admin-token gives it to baton serve, put the new one there (serve refuses the old one).\n")
	return nil
}

// rotateAdminToken stores a new token's hash in place of the old one, which joins the retired ones.
func rotateAdminToken(ctx context.Context, st store.Settings) (string, error) {
	token := newAdminToken()
	old, err := st.Setting(ctx, adminTokenSetting)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return "", err
	}
	if err := st.PutSetting(ctx, adminTokenSetting, web.HashToken(token)); err != nil {
		return "", err
	}
	if len(old) == 0 {
		return token, nil
	}
	retired, err := retiredTokens(ctx, st)
	if err != nil {
		return "", err
	}
	retired = append(retired, old...)
	if keep := maxRetiredTokens * len(old); len(retired) > keep {
		retired = retired[len(retired)-keep:]
	}
	return token, st.PutSetting(ctx, retiredTokensSetting, retired)
}
