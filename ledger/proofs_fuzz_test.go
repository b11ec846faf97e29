package ledger

import "testing"

// The proofs of a statement sent to the endorsement path are read before anything verifies them: any
// bytes give proofs or an error, never a panic.
func FuzzProofEntries(f *testing.F) {
	f.Add([]byte(`{"proof":{"verificationMethod":"https://x/users/a#z6Mk","proofValue":"z1","created":"2024-01-01T00:00:00Z"}}`))
	f.Add([]byte(`{"proof":[{"proofValue":"z1"},{"proofValue":"z2"}]}`))
	f.Add([]byte(`{"proof":null}`))
	f.Add([]byte(`{"proof":[1,2]}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		values, err := proofValues(doc)
		if err == nil && values == nil {
			t.Fatalf("no error and no map for %q", doc)
		}
	})
}
