package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
)

// maxGroup is the most writes one transaction gathers: enough to make one fsync serve every request
// in flight, few enough that the first of them does not wait long for the last.
const maxGroup = 128

// errClosed answers a write that comes after Close.
var errClosed = errors.New("sqlite store: closed")

// committer is the store's one writer. With synchronous=FULL every commit waits for an fsync, and
// one commit per write would make the disk's fsyncs per second the store's writes per second. So the
// writes that arrive while a transaction commits are gathered into the next one: one commit, one fsync
// for all of them ("group commit"). Each write runs inside a savepoint of its own, so one that fails
// is undone alone, and each caller gets its own answer once the transaction holding its write is on
// disk: a write that returned nil survives a crash, as before.
type committer struct {
	db      *sql.DB
	mu      sync.Mutex
	pending []*write
	closed  bool
	wake    chan struct{} // a signal that pending has writes, or that the committer is closed
	stopped chan struct{} // closed when run has returned
}

// write is one caller's transaction function and where its answer goes.
type write struct {
	ctx  context.Context
	fn   func(*sql.Tx) error
	done chan error
}

func newCommitter(db *sql.DB) *committer {
	c := &committer{db: db, wake: make(chan struct{}, 1), stopped: make(chan struct{})}
	go c.run()
	return c
}

// do runs fn in a transaction, perhaps with other callers' writes, and returns once that transaction
// has committed: fn's error, or the commit's, or nil. When fn fails, its writes are undone and no one
// else's. fn may run a second time if the transaction failed as a whole (see commit), so it must set,
// not accumulate, what it hands back to its caller.
func (c *committer) do(ctx context.Context, fn func(*sql.Tx) error) error {
	w := &write{ctx: ctx, fn: fn, done: make(chan error, 1)}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return errClosed
	}
	c.pending = append(c.pending, w)
	c.mu.Unlock()
	c.signal()
	// No giving up on ctx here: fn may be running, and its caller must not read its results before it
	// is done. A cancelled ctx still stops fn's statements.
	err := <-w.done
	if p, ok := err.(panicked); ok {
		panic(p.value) // in the caller, as it was before writes were gathered
	}
	return err
}

func (c *committer) signal() {
	select {
	case c.wake <- struct{}{}:
	default: // a signal is waiting already
	}
}

// close commits what is pending, then stops the committer; later writes get errClosed.
func (c *committer) close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.signal()
	<-c.stopped
}

func (c *committer) run() {
	defer close(c.stopped)
	for range c.wake {
		for {
			group, closed := c.take()
			if len(group) == 0 {
				if closed {
					return
				}
				break
			}
			c.commit(group)
		}
	}
}

// take removes up to maxGroup writes from the front of pending.
func (c *committer) take() ([]*write, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := min(len(c.pending), maxGroup)
	group := c.pending[:n:n]
	c.pending = c.pending[n:]
	if len(c.pending) == 0 {
		c.pending = nil // let the array go rather than growing it forever
	}
	return group, c.closed
}

// isClosed says whether close has begun.
func (c *committer) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// waiting is how many writes wait for the committer to take them.
func (c *committer) waiting() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pending)
}

// commit answers every write of group. A write whose caller has given up does not run. If the
// transaction fails as a whole (it could not begin or commit, or a write broke it, as an interrupted
// statement does), nothing of it is on disk, and each write runs again in a transaction of its own,
// so that each caller gets its own answer.
func (c *committer) commit(group []*write) {
	live := group[:0]
	for _, w := range group {
		if err := w.ctx.Err(); err != nil {
			w.done <- err
			continue
		}
		live = append(live, w)
	}
	switch len(live) {
	case 0:
		return
	case 1:
		live[0].done <- c.alone(live[0])
		return
	}
	errs, err := c.together(live)
	for i, w := range live {
		if err != nil {
			w.done <- c.alone(w)
		} else {
			w.done <- errs[i]
		}
	}
}

// alone runs one write in a transaction of its own.
func (c *committer) alone(w *write) error {
	tx, err := c.db.BeginTx(w.ctx, nil)
	if err != nil {
		return err
	}
	if err := call(w, tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// together runs writes in one transaction, each in a savepoint, and returns each one's error, or the
// error that failed the whole transaction. The transaction is no caller's: one caller's cancelled
// context must not roll back the others' writes.
func (c *committer) together(writes []*write) ([]error, error) {
	tx, err := c.db.BeginTx(context.Background(), nil)
	if err != nil {
		return nil, err
	}
	errs := make([]error, len(writes))
	for i, w := range writes {
		if errs[i], err = inSavepoint(tx, w); err != nil {
			tx.Rollback()
			return nil, err
		}
	}
	return errs, tx.Commit()
}

// inSavepoint runs w inside a savepoint, undoing it alone if it fails. The second error is the
// transaction's: a savepoint that cannot be rolled back to or released means that the transaction
// itself is gone.
func inSavepoint(tx *sql.Tx, w *write) (error, error) {
	if _, err := tx.Exec(`SAVEPOINT write`); err != nil {
		return nil, err
	}
	err := call(w, tx)
	if err != nil {
		if _, rollbackErr := tx.Exec(`ROLLBACK TO write`); rollbackErr != nil {
			return nil, rollbackErr
		}
	}
	if _, releaseErr := tx.Exec(`RELEASE write`); releaseErr != nil {
		return nil, releaseErr
	}
	return err, nil
}

// panicked carries a write's panic to its caller, whose goroutine panics with it.
type panicked struct{ value any }

func (p panicked) Error() string { return fmt.Sprintf("panic in a write: %v", p.value) }

// call runs w's function, turning a panic into an error so that the committer lives on.
func call(w *write, tx *sql.Tx) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = panicked{v}
		}
	}()
	return w.fn(tx)
}
