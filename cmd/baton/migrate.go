package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"baton/store"
	"baton/store/redis"
	"baton/store/sqlite"
)

// migrate moves an instance from one store into another, empty one: `baton migrate --from sqlite:DIR
// --to redis://HOST:6379/0`, or back. The instance must be stopped (every replica).
func migrate(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	from := fs.String("from", "", "the store to move from: sqlite:DIR or redis://HOST:PORT/DB[?prefix=P]")
	to := fs.String("to", "", "the store to move into, which must be empty: sqlite:DIR or redis://HOST:PORT/DB[?prefix=P]")
	fs.SetOutput(stderr)
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 || *from == "" || *to == "" {
		return errors.New("migrate: want --from STORE --to STORE, each sqlite:DIR or redis://HOST:PORT/DB")
	}
	if *from == *to {
		return errors.New("migrate: --from and --to name the same store")
	}
	ctx := context.Background()
	src, err := openMovable(ctx, *from, true)
	if err != nil {
		return fmt.Errorf("migrate: --from: %w", err)
	}
	defer src.Close()
	dst, err := openMovable(ctx, *to, false)
	if err != nil {
		return fmt.Errorf("migrate: --to: %w", err)
	}
	defer dst.Close()
	moved, err := store.Move(ctx, src, dst)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	printMoved(stdout, moved, describeStore(*from), describeStore(*to))
	return nil
}

// openMovable opens a store named sqlite:DIR or by a redis:// or rediss:// URL. A SQLite store to move
// from must exist: opening a folder without one would make an empty database and move nothing.
func openMovable(ctx context.Context, name string, mustExist bool) (store.Movable, error) {
	if dir, ok := strings.CutPrefix(name, "sqlite:"); ok {
		if dir == "" {
			return nil, errors.New("sqlite: wants a folder, e.g. sqlite:/var/lib/baton")
		}
		db := filepath.Join(dir, sqlite.FileName)
		if _, err := os.Stat(db); mustExist && err != nil {
			return nil, fmt.Errorf("no Baton database at %s: %w", db, err)
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
		return sqlite.Open(dir)
	}
	if strings.HasPrefix(name, "redis://") || strings.HasPrefix(name, "rediss://") {
		return redis.Open(ctx, name)
	}
	return nil, fmt.Errorf("%q is not a store: want sqlite:DIR or redis://HOST:PORT/DB", describeStore(name))
}

// describeStore names a store without the password a Redis URL may hold; a URL that does not parse
// is not shown at all, since where its password ends is unknown.
func describeStore(name string) string {
	u, err := url.Parse(name)
	if err != nil {
		return "(a store name that is not a URL)"
	}
	return u.Redacted()
}

func printMoved(w io.Writer, m store.Moved, from, to string) {
	fmt.Fprintf(w, "moved from %s to %s:\n", from, to)
	for _, c := range []struct {
		n    int
		what string
	}{
		{m.Settings, "settings (instance key, admin token)"}, {m.Actors, "actors"}, {m.Keys, "people's keys"},
		{m.Roles, "roles"}, {m.Notices, "notices"}, {m.Followers, "follows"}, {m.Upstreams, "upstreams"},
		{m.Watches, "watches"}, {m.Mirrored, "mirrored notices"}, {m.Rejected, "upstream notices refused"}, {m.Offers, "answers to calls"},
		{m.Deliveries, "deliveries queued or given up"}, {m.Seen, "activity ids seen"},
	} {
		fmt.Fprintf(w, "  %8d %s\n", c.n, c.what)
	}
	fmt.Fprintln(w, "Remote keys are a cache and were not moved. Start the instance on the new store.")
}
