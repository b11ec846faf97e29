package federation

import "testing"

// The parsers of remote documents take bytes from any server: none of them may panic.

func FuzzParseActor(f *testing.F) {
	f.Add([]byte(`{"id":"https://a.example/u","type":"Person","inbox":"https://a.example/u/inbox","endpoints":{"sharedInbox":"https://a.example/inbox"},"publicKey":{"id":"https://a.example/u#main-key","owner":"https://a.example/u","publicKeyPem":"x"}}`))
	f.Add([]byte(`{"id":"https://a.example/u","type":["Service"],"inbox":"https://a.example/i","publicKey":[{"id":"k","publicKeyPem":"p"}]}`))
	f.Add([]byte(`{"type":7,"endpoints":[],"publicKey":"x"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		a, err := ParseActor(body)
		if err == nil && (a.ID == "" || a.Inbox == "") {
			t.Fatalf("accepted an actor without id or inbox: %+v", a)
		}
	})
}

func FuzzFindKey(f *testing.F) {
	f.Add([]byte(`{"id":"https://a.example/u/main-key","owner":"https://a.example/u","publicKeyPem":"x"}`), "https://a.example/u/main-key")
	f.Add([]byte(`{"id":"https://a.example/u","publicKey":[{"id":"https://a.example/u#k","publicKeyPem":"p"}]}`), "https://a.example/u#k")
	f.Fuzz(func(t *testing.T, body []byte, keyID string) {
		k, err := findKey(body, keyID)
		if err == nil && (k.KeyID != keyID || k.PEM == "") {
			t.Fatalf("found the wrong key: %+v for %q", k, keyID)
		}
	})
}

func FuzzParseNote(f *testing.F) {
	f.Add([]byte(`{"id":"https://a.example/notices/1","content":"<p>x</p>","noticeKind":"hiatus","published":"2024-01-01T00:00:00Z","proof":{"verificationMethod":"k","created":"c"}}`))
	f.Add([]byte(`{"proof":[{"verificationMethod":"k"},7]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ParseNote(body)
	})
}

func FuzzParseStatement(f *testing.F) {
	f.Add([]byte(`{"id":"urn:uuid:00000000-0000-4000-8000-000000000000","type":"Statement","project":"https://a.example/users/xz","noticeKind":"handover","author":"https://a.example/users/l","outgoing":["x"],"keysAdded":[{"fingerprint":"f","keyType":"ssh"}],"moves":[{"right":"website","after":"b"}],"effectiveAt":"2022-12-30T00:00:00Z"}`))
	f.Add([]byte(`{"type":"Statement","keysAdded":7,"effectiveEnd":"yesterday"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		st, err := ParseStatement(body)
		if err == nil && (st.ID == "" || st.Project == "") {
			t.Fatalf("accepted a statement without id or project: %+v", st)
		}
	})
}
