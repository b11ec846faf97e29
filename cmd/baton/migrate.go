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
	"time"

	"baton/store"
	"baton/store/redis"
	"baton/store/sqlite"
)

// migrate moves an instance from one store into another, empty one: `baton migrate --from sqlite:DIR
// --to redis://HOST:6379/0`, or back. The instance must be stopped (every replica): a store held by a
// serving instance is refused, and both stay held while the move runs, so none starts on them.
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
	src, srcHold, err := openHeld(ctx, *from, true, holder("migrate", ""))
	if err != nil {
		return fmt.Errorf("migrate: --from: %w", err)
	}
	defer src.Close()
	defer srcHold.Release(context.Background())
	dst, dstHold, err := openHeld(ctx, *to, false, holder("migrate", ""))
	if err != nil {
		return fmt.Errorf("migrate: --to: %w", err)
	}
	defer dst.Close()
	defer dstHold.Release(context.Background())
	moved, err := store.Move(ctx, src, dst)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	printMoved(stdout, moved, describeStore(*from), describeStore(*to))
	return nil
}

// openHeld opens the store name (sqlite:DIR, or a redis:// or rediss:// URL) and claims it for h, or
// says who holds it. A SQLite folder is claimed before its database is opened, and made private (the
// database holds the instance's private keys); with mustExist, it must hold a database already:
// opening a folder without one would make an empty database, and move or rotate nothing.
func openHeld(ctx context.Context, name string, mustExist bool, h store.Holder) (store.Movable, store.Hold, error) {
	dir, isSQLite := strings.CutPrefix(name, "sqlite:")
	switch {
	case isSQLite && dir == "":
		return nil, nil, errors.New("sqlite: wants a folder, e.g. sqlite:/var/lib/baton")
	case isSQLite:
		return openSQLite(dir, mustExist, h)
	case strings.HasPrefix(name, "redis://") || strings.HasPrefix(name, "rediss://"):
		openCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		st, err := redis.Open(openCtx, name)
		if err != nil {
			return nil, nil, err
		}
		hold, err := st.Hold(ctx, h)
		if err != nil {
			st.Close()
			return nil, nil, heldBy(name, h, err)
		}
		return st, hold, nil
	}
	return nil, nil, fmt.Errorf("%q is not a store: want sqlite:DIR or redis://HOST:PORT/DB", describeStore(name))
}

func openSQLite(dir string, mustExist bool, h store.Holder) (store.Movable, store.Hold, error) {
	db := filepath.Join(dir, sqlite.FileName)
	if _, err := os.Stat(db); mustExist && err != nil {
		return nil, nil, fmt.Errorf("no Baton database at %s: %w", db, err)
	}
	if err := privateDataDir(dir); err != nil {
		return nil, nil, err
	}
	hold, err := sqlite.HoldFolder(dir, h)
	if err != nil {
		return nil, nil, heldBy("sqlite:"+dir, h, err)
	}
	st, err := sqlite.Open(dir)
	if err == nil {
		err = privateFiles(dir)
	}
	if err != nil {
		if st != nil {
			st.Close()
		}
		hold.Release(context.Background())
		return nil, nil, err
	}
	return st, hold, nil
}

// holder is this process, running command (serve, migrate, token rotate).
func holder(command, listen string) store.Holder {
	host, _ := os.Hostname()
	return store.Holder{Command: command, Serving: command == "serve", Host: host, PID: os.Getpid(), Listen: listen, Since: time.Now()}
}

// heldBy says why the store name could not be claimed for h, and what to do.
func heldBy(name string, h store.Holder, err error) error {
	var held *store.HeldError
	switch {
	case errors.As(err, &held) && !held.By.Serving:
		return fmt.Errorf("%s is %w: try again once it is done", describeStore(name), err)
	case errors.As(err, &held) && h.Serving:
		return fmt.Errorf("%s is %w: one instance serves from a SQLite database (stop that one, or run replicas on Redis, --redis)", describeStore(name), err)
	case errors.As(err, &held):
		return fmt.Errorf("%s is %w: stop it first (every replica)", describeStore(name), err)
	}
	return fmt.Errorf("%s: %w", describeStore(name), err)
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
		{len(m.Settings), settingsMoved(m.Settings)}, {m.Actors, "actors"}, {m.Keys, "people's keys"},
		{m.Roles, "roles"}, {m.Notices, "notices"}, {m.Followers, "follows"}, {m.Upstreams, "upstreams"},
		{m.Watches, "watches"}, {m.Mirrored, "mirrored notices"}, {m.Rejected, "upstream notices refused"}, {m.Offers, "answers to calls"},
		{m.Deliveries, "deliveries queued or given up"}, {m.Seen, "activity ids seen"},
	} {
		fmt.Fprintf(w, "  %8d %s\n", c.n, c.what)
	}
	fmt.Fprintln(w, "Remote keys are a cache and were not moved. Start the instance on the new store.")
}

// settingsMoved says which settings moved: "settings (instance key, admin token hash)".
func settingsMoved(keys []string) string {
	if len(keys) == 0 {
		return "settings"
	}
	names := make([]string, len(keys))
	for i, k := range keys {
		if names[i] = settingNames[k]; names[i] == "" {
			names[i] = k
		}
	}
	return "settings (" + strings.Join(names, ", ") + ")"
}
