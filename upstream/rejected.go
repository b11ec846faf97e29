package upstream

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"sync"
)

// rejectedNotes remembers the notices that failed verification, by a hash of their document, so that
// every catch-up does not fetch keys and verify them again, nor log them again. It is bounded,
// forgotten on restart (each is then judged once more, which is harmless), and when an upstream is
// followed anew (its new key may make them verify).
type rejectedNotes struct {
	mu     sync.Mutex
	hashes map[[32]byte]bool
}

// maxRejected bounds what is remembered; past it, the memory starts afresh.
const maxRejected = 10_000

func documentHash(doc []byte) [32]byte {
	var compact bytes.Buffer
	if json.Compact(&compact, doc) != nil {
		return sha256.Sum256(doc)
	}
	return sha256.Sum256(compact.Bytes())
}

func (r *rejectedNotes) add(doc []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.hashes == nil || len(r.hashes) >= maxRejected {
		r.hashes = map[[32]byte]bool{}
	}
	r.hashes[documentHash(doc)] = true
}

func (r *rejectedNotes) has(doc []byte) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.hashes[documentHash(doc)]
}

// rejectedBefore reports whether an outbox item's embedded Note was rejected before.
func (w *Watcher) rejectedBefore(object json.RawMessage) bool {
	return !isReference(object) && w.rejected.has(object)
}

func (r *rejectedNotes) forget() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.hashes = nil
}
