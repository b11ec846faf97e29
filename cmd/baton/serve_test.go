package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"baton/store/sqlite"
)

// An operator-chosen admin token shorter than 24 characters is refused with a message saying what to
// do; one long enough is taken.
func TestAdminTokenLength(t *testing.T) {
	st, err := sqlite.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	log := slog.New(slog.DiscardHandler)
	_, err = adminTokenHash(context.Background(), st, "mychosen123", log, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "at least 24") || !strings.Contains(err.Error(), "BATON_ADMIN_TOKEN") {
		t.Errorf("an 11-character token: %v", err)
	}
	if _, err := st.Setting(context.Background(), adminTokenSetting); err == nil {
		t.Error("a token too short was stored")
	}
	if _, err := adminTokenHash(context.Background(), st, strings.Repeat("x", 24), log, io.Discard); err != nil {
		t.Errorf("a 24-character token: %v", err)
	}
}

// The data folder and the database files are this user's alone, even when the folder existed before
// with a looser mode and the umask is the usual 022.
func TestDataFolderIsPrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	st, hold, err := openHeld(context.Background(), "sqlite:"+dir, false, holder("serve", ""))
	if err != nil {
		t.Fatal(err)
	}
	hold.Release(context.Background())
	st.Close()
	if info, _ := os.Stat(dir); info.Mode().Perm() != 0o700 {
		t.Errorf("data folder mode %o, want 700", info.Mode().Perm())
	}
	info, err := os.Stat(filepath.Join(dir, sqlite.FileName))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("database file: %v, mode %o, want 600", err, info.Mode().Perm())
	}
}

// Asking for help is not an error: every command and command group answers -h and --help with its
// usage and exits 0.
func TestHelpExitsZero(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"notice", "--help"}, {"notice", "post", "--help"}, {"check", "-h"},
		{"watch", "help"}, {"project", "add", "-h"}, {"serve", "-h"}, {"maintainer", "add", "-h"}, {"token", "--help"}, {"token", "rotate", "-h"}} {
		var out, errOut strings.Builder
		if code := run(args, &out, &errOut); code != 0 || out.Len()+errOut.Len() == 0 {
			t.Errorf("baton %s: exit %d, printed %q", strings.Join(args, " "), code, out.String()+errOut.String())
		}
	}
	if code := run([]string{"notice", "nope"}, io.Discard, io.Discard); code != 1 {
		t.Errorf("an unknown subcommand exits %d, want 1", code)
	}
}
