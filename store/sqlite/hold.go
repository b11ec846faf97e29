package sqlite

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"baton/store"
)

// LockFileName is the lock file in the data folder: whoever holds the store holds a lock on it (flock,
// which ends with the process, however it ends) and writes who they are into it.
const LockFileName = "baton.lock"

// Hold implements store.Holds: one holder at a time, serving or not, since one process serves from a
// SQLite database.
func (s *Store) Hold(ctx context.Context, h store.Holder) (store.Hold, error) {
	return HoldFolder(s.dir, h)
}

// HoldFolder claims the data folder dir for h, as Hold does, before its database is opened: so that a
// process refused never touches the database (nor brings its schema up to date under the one
// serving from it).
func HoldFolder(dir string, h store.Holder) (store.Hold, error) {
	f, err := os.OpenFile(filepath.Join(dir, LockFileName), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock file: %w", err)
	}
	locked, err := tryLock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock file %s: %w", f.Name(), err)
	}
	if !locked {
		defer f.Close()
		var by store.Holder
		b, _ := io.ReadAll(f)
		json.Unmarshal(b, &by) // a holder that has not written yet reads as unknown
		return nil, &store.HeldError{By: by}
	}
	b, err := json.Marshal(h)
	if err == nil {
		err = f.Truncate(0)
	}
	if err == nil {
		_, err = f.WriteAt(b, 0)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock file %s: %w", f.Name(), err)
	}
	return &fileHold{f: f}, nil
}

// fileHold is a claim on a SQLite store: the lock on its lock file.
type fileHold struct{ f *os.File }

// Keep waits: the lock lasts as long as the file is open, and the process.
func (h *fileHold) Keep(ctx context.Context) error {
	<-ctx.Done()
	return nil
}

// Release empties the lock file and closes it, which lets the lock go.
func (h *fileHold) Release(context.Context) error {
	return errors.Join(h.f.Truncate(0), h.f.Close())
}
