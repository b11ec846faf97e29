package federation

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"time"

	vocab "github.com/go-ap/activitypub"

	"baton/federation/proof"
	"baton/notice"
)

// document writes a JSON object: go-ap writes item's ActivityStreams vocabulary, then the @context and
// extra are set with encoding/json. extra carries all that go-ap would drop or mangle: Mastodon's and
// Baton's own terms, embedded documents that must stay byte-for-byte as signed, and every text field
// (go-ap writes backslashes unescaped). A value in extra replaces go-ap's.
func document(item vocab.Item, context any, extra map[string]any) ([]byte, error) {
	raw, err := vocab.MarshalJSON(item)
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", item.GetType(), err)
	}
	fields := map[string]json.RawMessage{}
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil, fmt.Errorf("write %s: go-ap wrote invalid JSON: %w", item.GetType(), err)
	}
	extra["@context"] = context
	for k, v := range extra {
		if v == nil {
			delete(fields, k)
			continue
		}
		b, err := marshal(v)
		if err != nil {
			return nil, fmt.Errorf("write %s.%s: %w", item.GetType(), k, err)
		}
		fields[k] = b
	}
	return marshal(fields)
}

// marshal is json.Marshal without HTML escaping: notes carry HTML, and \u003cp\u003e helps no one.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// actorContext is the @context of actor documents: ActivityStreams, the security vocabulary for
// publicKey, Multikey for assertionMethod, and the Mastodon terms its profile rendering reads.
var actorContext = []any{
	ActivityStreamsContext,
	SecurityContext,
	MultikeyContext,
	map[string]any{
		"manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
		"toot":                      "http://joinmastodon.org/ns#",
		"discoverable":              "toot:discoverable",
		"indexable":                 "toot:indexable",
		"featured":                  map[string]string{"@id": "toot:featured", "@type": "@id"},
		"featuredTags":              map[string]string{"@id": "toot:featuredTags", "@type": "@id"},
		"Hashtag":                   "as:Hashtag",
		"schema":                    "http://schema.org#",
		"PropertyValue":             "schema:PropertyValue",
		"value":                     "schema:value",
		"baton":                     BatonNamespace,
		"genesis":                   "baton:genesis",
		"stewards":                  "baton:stewards",
		"stewardSince":              map[string]string{"@id": "baton:stewardSince", "@type": "xsd:dateTime"},
		"maintainers":               map[string]string{"@id": "baton:maintainers", "@type": "@id"},
		"since":                     map[string]string{"@id": "baton:since", "@type": "xsd:dateTime"},
		"keys":                      "baton:keys",
		"fingerprint":               "baton:fingerprint",
		"keyType":                   "baton:keyType",
		"holder":                    map[string]string{"@id": "baton:holder", "@type": "@id"},
		"xsd":                       "http://www.w3.org/2001/XMLSchema#",
	},
}

// Field is one profile field (a PropertyValue): Mastodon shows them as a table under the bio.
type Field struct {
	Name      string
	ValueHTML string
}

// ActorProfile is what an actor document says. Instance actors have no proof key.
type ActorProfile struct {
	Name         string // local name; "" for the instance actor
	Username     string // preferredUsername
	Type         vocab.ActivityVocabularyType
	DisplayName  string
	SummaryHTML  string
	Fields       []Field
	RSAPublicPEM string
	ProofKey     ed25519.PublicKey // a project's own key, id ProofKey(name)
	SigningKeys  []SigningKey      // a person's keys, revoked ones included
	Published    time.Time
	// A project's genesis (its first maintainers and signing keys) and its instance's stewards: what
	// another instance needs to judge the project's notices itself. Nil for other actors, except
	// Stewards on the instance actor: the instance's own stewards, so that instances that trust them
	// can address a call for stewards to them.
	Genesis  *notice.Genesis
	Stewards []StewardRef
	// StewardSince, on a person's actor, says they have been a steward of this instance since then:
	// other instances that trust this one's stewards read it from here, at the person's origin.
	StewardSince time.Time
}

// SigningKey is an Ed25519 key a person signs statements with, listed on their actor.
type SigningKey struct {
	Key     ed25519.PublicKey
	Revoked time.Time // zero while in use
}

// ActorDocument writes the actor document Mastodon and GoToSocial read (INTEROP.md).
func (u URLs) ActorDocument(p ActorProfile) ([]byte, error) {
	id := u.actorOrInstance(p.Name)
	a := vocab.ActorNew(vocab.IRI(id), p.Type)
	a.Inbox = vocab.IRI(u.Inbox(p.Name))
	a.Outbox = vocab.IRI(u.Outbox(p.Name))
	a.Followers = vocab.IRI(u.Followers(p.Name))
	a.Following = vocab.IRI(u.Following(p.Name))
	a.URL = vocab.IRI(id)
	a.Endpoints = &vocab.Endpoints{SharedInbox: vocab.IRI(u.SharedInbox())}
	a.PublicKey = vocab.PublicKey{ID: vocab.ID(u.MainKey(p.Name)), Owner: vocab.IRI(id), PublicKeyPem: p.RSAPublicPEM}
	if !p.Published.IsZero() {
		a.Published = p.Published.UTC().Truncate(time.Second)
	}
	extra := map[string]any{
		"preferredUsername":         p.Username,
		"name":                      p.DisplayName,
		"summary":                   p.SummaryHTML,
		"manuallyApprovesFollowers": false,
		"discoverable":              true,
		"indexable":                 true,
		"attachment":                propertyValues(p.Fields),
		"featured":                  u.Featured(p.Name),
		"featuredTags":              u.FeaturedTags(p.Name),
	}
	if p.Name != "" {
		extra["icon"] = map[string]string{"type": "Image", "mediaType": "image/png", "url": u.Avatar(p.Name)}
		extra["image"] = map[string]string{"type": "Image", "mediaType": "image/png", "url": u.Header(p.Name)}
	}
	if methods := u.assertionMethods(p); len(methods) > 0 {
		extra["assertionMethod"] = methods
	}
	if !p.StewardSince.IsZero() {
		extra["stewardSince"] = p.StewardSince.UTC().Format(time.RFC3339)
	}
	if p.Genesis != nil {
		extra["genesis"] = genesisOnWire(*p.Genesis)
	}
	if p.Genesis != nil || p.Stewards != nil {
		extra["stewards"] = append([]StewardRef{}, p.Stewards...)
	}
	return document(a, actorContext, extra)
}

// assertionMethods lists an actor's Ed25519 keys as Multikeys (FEP-521a). A revoked key stays listed
// with the time it was revoked, so proofs made before then can still be checked.
func (u URLs) assertionMethods(p ActorProfile) []map[string]string {
	id := u.actorOrInstance(p.Name)
	var out []map[string]string
	if p.ProofKey != nil {
		out = append(out, multikey(u.ProofKey(p.Name), id, p.ProofKey))
	}
	for _, k := range p.SigningKeys {
		m := multikey(u.PersonKey(p.Name, k.Key), id, k.Key)
		if !k.Revoked.IsZero() {
			m["revoked"] = k.Revoked.UTC().Format(time.RFC3339)
		}
		out = append(out, m)
	}
	return out
}

func multikey(keyID, controller string, key ed25519.PublicKey) map[string]string {
	return map[string]string{"id": keyID, "type": "Multikey", "controller": controller,
		"publicKeyMultibase": proof.EncodeMultikey(key)}
}

func propertyValues(fields []Field) []map[string]string {
	out := make([]map[string]string, 0, len(fields))
	for _, f := range fields {
		out = append(out, map[string]string{"type": "PropertyValue", "name": f.Name, "value": f.ValueHTML})
	}
	return out
}

// FeaturedCollection is an actor's featured (pinned) collection: Baton pins nothing, and says so, since
// Mastodon and GoToSocial fetch it for every account they look at.
func FeaturedCollection(id string) ([]byte, error) {
	c := vocab.OrderedCollectionNew(vocab.ID(id))
	return document(c, ActivityStreamsContext, map[string]any{"totalItems": 0, "orderedItems": []any{}})
}

// FeaturedTagsCollection lists the hashtags an actor features: a project's own.
func FeaturedTagsCollection(id string, tags []Tag) ([]byte, error) {
	c := vocab.CollectionNew(vocab.ID(id))
	return document(c, actorContext, map[string]any{"totalItems": len(tags), "items": hashtags(tags)})
}
