package sqlite

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// blockCommitter holds the committer inside a write until release is closed, and returns once the
// write holding it has begun: what callers send meanwhile waits, to be gathered into one transaction.
func blockCommitter(t *testing.T, s *Store) (release chan struct{}, blocked <-chan error) {
	t.Helper()
	release = make(chan struct{})
	started := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- s.inTx(t.Context(), func(tx *sql.Tx) error {
			close(started)
			<-release
			return nil
		})
	}()
	<-started
	return release, done
}

// waitForWaiting returns once n writes wait for the committer.
// writeTogether runs write(i) for i below n at once, all waiting behind a blocked commit so that they
// are gathered into one transaction, and answers each one's error.
func writeTogether(t *testing.T, s *Store, n int, write func(i int) error) []error {
	t.Helper()
	release, blocked := blockCommitter(t, s)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = write(i) })
	}
	waitForWaiting(s, n)
	close(release)
	wg.Wait()
	if err := <-blocked; err != nil {
		t.Fatalf("the blocking write: %v", err)
	}
	return errs
}

func waitForWaiting(s *Store, n int) {
	for s.writes.waiting() < n {
		time.Sleep(time.Millisecond)
	}
}

var errRefused = errors.New("refused on purpose")

// TestGroupedWritesAnswerEachCaller gathers writes into one transaction, some of which write and then
// fail: each caller gets its own answer, a failed write leaves nothing, and the others are all kept.
func TestGroupedWritesAnswerEachCaller(t *testing.T) {
	ctx := t.Context()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const writers = 60
	errs := writeTogether(t, s, writers, func(i int) error {
		id := fmt.Sprintf("https://social.example/activities/%d", i)
		if i%3 != 0 {
			return s.MarkSeen(ctx, id, time.Now())
		}
		return s.inTx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO seen(activity_id, at) VALUES (?, 1)`, id); err != nil {
				return err
			}
			return fmt.Errorf("write %d: %w", i, errRefused)
		})
	})

	for i := range writers {
		id := fmt.Sprintf("https://social.example/activities/%d", i)
		seen, err := s.Seen(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if i%3 == 0 {
			if !errors.Is(errs[i], errRefused) || !strings.Contains(errs[i].Error(), fmt.Sprintf("write %d:", i)) {
				t.Errorf("failing write %d answered %v, want its own error", i, errs[i])
			}
			if seen {
				t.Errorf("failing write %d left its row", i)
			}
			continue
		}
		if errs[i] != nil || !seen {
			t.Errorf("write %d: err %v, seen %v; want nil, true", i, errs[i], seen)
		}
	}
}

// TestBrokenGroupRunsEachWriteAlone has one write end the shared transaction under the others: the
// transaction is lost, and each write runs again on its own, so only the one that broke it fails.
func TestBrokenGroupRunsEachWriteAlone(t *testing.T) {
	ctx := t.Context()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const writers = 10
	errs := writeTogether(t, s, writers, func(i int) error {
		return s.inTx(ctx, func(tx *sql.Tx) error {
			if i == 4 {
				_, err := tx.ExecContext(ctx, `ROLLBACK`)
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO seen(activity_id, at) VALUES (?, 1)`, fmt.Sprint(i))
			return err
		})
	})

	for i := range writers {
		seen, err := s.Seen(ctx, fmt.Sprint(i))
		if err != nil {
			t.Fatal(err)
		}
		if i == 4 {
			if errs[i] == nil || seen {
				t.Errorf("the write ending the transaction answered %v (seen %v), want an error", errs[i], seen)
			}
			continue
		}
		if errs[i] != nil || !seen {
			t.Errorf("write %d: err %v, seen %v; want nil, true", i, errs[i], seen)
		}
	}
}

// TestWriteAfterClose is refused, and the writes pending at Close are committed first.
func TestWriteAfterClose(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	release, blocked := blockCommitter(t, s)
	pending := make(chan error, 1)
	go func() { pending <- s.MarkSeen(ctx, "pending", time.Now()) }()
	waitForWaiting(s, 1)
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	for !s.writes.isClosed() {
		time.Sleep(time.Millisecond)
	}
	close(release)
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := errors.Join(<-blocked, <-pending); err != nil {
		t.Fatalf("writes pending at Close: %v", err)
	}
	if err := s.MarkSeen(ctx, "late", time.Now()); !errors.Is(err, errClosed) {
		t.Errorf("MarkSeen after Close = %v, want %v", err, errClosed)
	}

	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if seen, err := s.Seen(ctx, "pending"); err != nil || !seen {
		t.Errorf("the write pending at Close: seen %v, %v; want true", seen, err)
	}
}

// crashDirEnv names the data folder of the writing process TestWritesSurviveKill starts.
const crashDirEnv = "BATON_SQLITE_CRASH_DIR"

// TestWritesSurviveKill starts a process writing from many goroutines at once and printing each id
// once its MarkSeen returned, kills it with SIGKILL while it writes, and finds every id it printed in
// the database.
func TestWritesSurviveKill(t *testing.T) {
	if dir := os.Getenv(crashDirEnv); dir != "" {
		writeUntilKilled(dir)
		return
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestWritesSurviveKill$")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	const before = 2000 // writes returned before the kill
	var returned []string
	lines := bufio.NewScanner(out)
	for len(returned) < before && lines.Scan() {
		returned = append(returned, lines.Text())
	}
	cmd.Process.Kill()
	for lines.Scan() { // what it printed before it died
		returned = append(returned, lines.Text())
	}
	cmd.Wait()
	if len(returned) < before {
		t.Fatalf("the writing process printed %d ids before it ended, want %d", len(returned), before)
	}

	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	missing := 0
	for _, id := range returned {
		if seen, err := s.Seen(ctx, id); err != nil {
			t.Fatal(err)
		} else if !seen {
			missing++
		}
	}
	if missing > 0 {
		t.Errorf("%d of the %d writes returned before the kill are not in the database", missing, len(returned))
	}
}

// writeUntilKilled writes from 16 goroutines until the process is killed, printing each id once its
// write returned.
func writeUntilKilled(dir string) {
	s, err := Open(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var printing sync.Mutex
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for i := 0; ; i++ {
				id := fmt.Sprintf("https://social.example/%d/activities/%d", g, i)
				if err := s.MarkSeen(context.Background(), id, time.Now()); err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(1)
				}
				printing.Lock()
				fmt.Println(id) // os.Stdout is not buffered: the line is out before the next write
				printing.Unlock()
			}
		})
	}
	wg.Wait()
}
