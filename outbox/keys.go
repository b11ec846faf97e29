package outbox

import (
	"context"
	"crypto"

	"baton/federation"
	"baton/store"
)

// ActorKey returns the RSA key a local actor signs its requests with. A package actor gets its key when
// first needed: a distro watching thousands of upstreams should not wait for thousands of key
// generations, most of them for packages nobody follows yet. A key is parsed once: its actor document
// is served to every server that looks the actor up, and parsing a PEM costs about what a signature
// does.
func (o *Outbox) ActorKey(ctx context.Context, a store.Actor) (crypto.Signer, error) {
	pemText := a.RSAKeyPEM
	if pemText == "" {
		_, fresh, err := federation.NewRSAKey()
		if err != nil {
			return nil, err
		}
		// Another replica may have made one first; the stored key is the one to use.
		if pemText, err = o.store.InitActorKey(ctx, a.Name, fresh); err != nil {
			return nil, err
		}
	}
	if k, ok := o.keys.Load(pemText); ok {
		return k.(crypto.Signer), nil
	}
	k, err := federation.ParsePrivateKeyPEM(pemText)
	if err != nil {
		return nil, err
	}
	o.keys.Store(pemText, k)
	return k, nil
}
