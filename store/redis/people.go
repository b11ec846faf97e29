package redis

import (
	"context"
	"errors"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"baton/notice"
	"baton/store"
)

// createActor stores an actor and lists it, unless one has the name: 1 if stored, 0 if not.
var createActor = newScript(luaKeys, `
local name = ARGV[2]
if redis.call('EXISTS', K.actor(name)) == 1 then return 0 end
redis.call('HSET', K.actor(name), 'kind', ARGV[3], 'display_name', ARGV[4], 'summary', ARGV[5],
  'homepage', ARGV[6], 'repository', ARGV[7], 'rsa_key_pem', ARGV[8], 'ed25519_seed', ARGV[9], 'created', ARGV[10],
  'record_since', ARGV[11], 'signing_keys', ARGV[12])
redis.call('ZADD', K.actors, 0, name)
return 1
`)

// CreateActor implements store.Actors.
func (s *Store) CreateActor(ctx context.Context, a store.Actor) error {
	keys, err := store.EncodeSigningKeys(a.SigningKeys)
	if err != nil {
		return err
	}
	created, err := s.run(ctx, createActor, a.Name, a.Kind, a.DisplayName, a.Summary, a.Homepage, a.Repository,
		a.RSAKeyPEM, a.Ed25519Seed, encTime(a.Created), encTime(a.RecordSince), keys).Int()
	if err == nil && created == 0 {
		err = fmt.Errorf("actor %q: %w", a.Name, store.ErrExists)
	}
	return err
}

func readActor(name string, m map[string]string) (store.Actor, error) {
	r := &record{what: "actor " + name, m: m}
	a := store.Actor{
		Name: name, Kind: r.str("kind"), DisplayName: r.str("display_name"), Summary: r.str("summary"),
		Homepage: r.str("homepage"), Repository: r.str("repository"), RSAKeyPEM: r.str("rsa_key_pem"),
		Ed25519Seed: r.bytes("ed25519_seed"), Created: r.time("created"), RecordSince: r.time("record_since"),
	}
	if r.err != nil {
		return a, r.err
	}
	keys, err := store.DecodeSigningKeys(r.bytes("signing_keys"))
	if err != nil {
		return a, fmt.Errorf("actor %s: %w", name, err)
	}
	a.SigningKeys = keys
	return a, nil
}

// Actor implements store.Actors.
func (s *Store) Actor(ctx context.Context, name string) (store.Actor, error) {
	m, err := s.c.HGetAll(ctx, s.k.actor(name)).Result()
	if err != nil {
		return store.Actor{}, err
	}
	if len(m) == 0 {
		return store.Actor{}, fmt.Errorf("actor %q: %w", name, store.ErrNotFound)
	}
	return readActor(name, m)
}

// ListActors implements store.Actors.
func (s *Store) ListActors(ctx context.Context) ([]store.Actor, error) {
	names, err := s.c.ZRange(ctx, s.k.actors(), 0, -1).Result()
	if err != nil {
		return nil, err
	}
	ms, err := s.hashes(ctx, mapStrings(names, s.k.actor))
	if err != nil {
		return nil, err
	}
	var out []store.Actor
	for i, name := range names {
		a, err := readActor(name, ms[i])
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// initActorKey sets an actor's RSA key if it has none, and answers with the key it has afterwards
// (nil if there is no such actor): a compare-and-set, so replicas making a key at once agree on one.
var initActorKey = newScript(luaKeys, `
local actor = K.actor(ARGV[2])
if redis.call('EXISTS', actor) == 0 then return false end
local pem = redis.call('HGET', actor, 'rsa_key_pem')
if pem and pem ~= '' then return pem end
redis.call('HSET', actor, 'rsa_key_pem', ARGV[3])
return ARGV[3]
`)

// InitActorKey implements store.Actors.
func (s *Store) InitActorKey(ctx context.Context, name, pem string) (string, error) {
	stored, err := s.run(ctx, initActorKey, name, pem).Text()
	if errors.Is(err, goredis.Nil) {
		return "", fmt.Errorf("actor %q: %w", name, store.ErrNotFound)
	}
	return stored, err
}

// addGenesisKeys replaces a project's genesis keys (ARGV[3] as read, ARGV[4] to store) unless it
// published already: 1 if replaced, 0 if they are not what was read any more, -1 if there is no such
// project, -3 once it has a notice.
var addGenesisKeys = newScript(luaKeys, luaRevision, `
local project = ARGV[2]
local actor = K.actor(project)
if redis.call('HGET', actor, 'kind') ~= 'project' then return -1 end
if revisionOf(project) > 0 or redis.call('ZCARD', K.notices(project)) > 0 then return -3 end
if (redis.call('HGET', actor, 'signing_keys') or '') ~= ARGV[3] then return 0 end
redis.call('HSET', actor, 'signing_keys', ARGV[4])
return 1
`)

// genesisAttempts bounds how many times AddGenesisKeys reads the keys again after another writer
// changed them between its read and its write.
const genesisAttempts = 100

// AddGenesisKeys implements store.Actors. The keys are merged here, as every backend merges them, and
// written with a compare-and-set on the keys as read: the script checks that the project has no notice
// and that nobody changed the keys since, and writes, in one step.
func (s *Store) AddGenesisKeys(ctx context.Context, project string, keys []notice.SigningKey) error {
	for range genesisAttempts {
		read, err := s.c.HGet(ctx, s.k.actor(project), "signing_keys").Result()
		if err != nil && !errors.Is(err, goredis.Nil) {
			return err
		}
		have, err := store.DecodeSigningKeys([]byte(read))
		if err != nil {
			return fmt.Errorf("actor %s: %w", project, err)
		}
		merged, err := store.EncodeSigningKeys(store.AppendSigningKeys(have, keys...))
		if err != nil {
			return err
		}
		n, err := s.run(ctx, addGenesisKeys, project, read, merged).Int()
		switch {
		case err != nil:
			return err
		case n == -1:
			return fmt.Errorf("project %q: %w", project, store.ErrNotFound)
		case n == conflict:
			return fmt.Errorf("genesis keys of %q, which has published: %w", project, store.ErrConflict)
		case n == 1:
			return nil
		}
	}
	return fmt.Errorf("genesis keys of %q changed %d times while being added to", project, genesisAttempts)
}

// addKey records a person's key and its place in the order added, unless the person has it: 1 if
// recorded, 0 if there already, -1 if there is no such person (actor).
var addKey = newScript(luaKeys, `
local person, fpr = ARGV[2], ARGV[3]
if redis.call('EXISTS', K.actor(person)) == 0 then return -1 end
local key = K.personKey(person, fpr)
if redis.call('EXISTS', key) == 1 then return 0 end
redis.call('HSET', key, 'public_key', ARGV[4], 'added', ARGV[5], 'revoked', ARGV[6])
redis.call('ZADD', K.personKeys(person), redis.call('INCR', K.seq('keys')), fpr)
return 1
`)

// AddKey implements store.Keys. The person must be a local actor, as in the reference backend.
func (s *Store) AddKey(ctx context.Context, k store.PersonKey) error {
	n, err := s.run(ctx, addKey, k.Person, k.Fingerprint, k.PublicKey, encTime(k.Added), encTime(k.Revoked)).Int()
	switch {
	case err != nil:
		return err
	case n == 0:
		return fmt.Errorf("key %s of %s: %w", k.Fingerprint, k.Person, store.ErrExists)
	case n < 0:
		return fmt.Errorf("key %s of %s: no such actor: %w", k.Fingerprint, k.Person, store.ErrNotFound)
	}
	return nil
}

// revokeKey marks a key revoked if it is in use: 1 if it was, 0 if not (revoked already, or unknown).
var revokeKey = newScript(luaKeys, `
local key = K.personKey(ARGV[2], ARGV[3])
if redis.call('HGET', key, 'revoked') ~= '' then return 0 end
redis.call('HSET', key, 'revoked', ARGV[4])
return 1
`)

// RevokeKey implements store.Keys.
func (s *Store) RevokeKey(ctx context.Context, person, fingerprint string, at time.Time) error {
	n, err := s.run(ctx, revokeKey, person, fingerprint, encTime(at)).Int()
	if err == nil && n == 0 {
		err = fmt.Errorf("key %s of %s in use: %w", fingerprint, person, store.ErrNotFound)
	}
	return err
}

// PersonKeys implements store.Keys.
func (s *Store) PersonKeys(ctx context.Context, person string) ([]store.PersonKey, error) {
	fprs, err := s.c.ZRange(ctx, s.k.personKeys(person), 0, -1).Result()
	if err != nil {
		return nil, err
	}
	ms, err := s.hashes(ctx, mapStrings(fprs, func(fpr string) string { return s.k.personKey(person, fpr) }))
	if err != nil {
		return nil, err
	}
	var out []store.PersonKey
	for i, fpr := range fprs {
		r := &record{what: "key " + fpr + " of " + person, m: ms[i]}
		k := store.PersonKey{Person: person, Fingerprint: fpr, PublicKey: r.bytes("public_key"),
			Added: r.time("added"), Revoked: r.time("revoked")}
		if r.err != nil {
			return nil, r.err
		}
		out = append(out, k)
	}
	return out, nil
}

// addRole grants a role and gives it its place in the order granted, unless the person holds it: 1 if
// granted, 0 if held already, -1 if there is no such person (actor).
var addRole = newScript(luaKeys, `
local person, project = ARGV[2], ARGV[3]
if redis.call('EXISTS', K.actor(person)) == 0 then return -1 end
if redis.call('ZSCORE', K.roles(project), person) then return 0 end
redis.call('ZADD', K.roles(project), redis.call('INCR', K.seq('roles')), person)
redis.call('HSET', K.roleSince(project), person, ARGV[4])
return 1
`)

// AddRole implements store.Roles. The person must be a local actor, as in the reference backend.
func (s *Store) AddRole(ctx context.Context, r store.Role) error {
	n, err := s.run(ctx, addRole, r.Person, r.Project, encTime(r.Since)).Int()
	switch {
	case err != nil:
		return err
	case n == 0:
		return fmt.Errorf("%s as %s: %w", r.Person, roleName(r.Project), store.ErrExists)
	case n < 0:
		return fmt.Errorf("%s as %s: no such actor: %w", r.Person, roleName(r.Project), store.ErrNotFound)
	}
	return nil
}

func roleName(project string) string {
	if project == "" {
		return "steward"
	}
	return "maintainer of " + project
}

// RoleHolders implements store.Roles.
func (s *Store) RoleHolders(ctx context.Context, project string) ([]store.Role, error) {
	var people *goredis.StringSliceCmd
	var since *goredis.MapStringStringCmd
	_, err := s.c.TxPipelined(ctx, func(p goredis.Pipeliner) error {
		people = p.ZRange(ctx, s.k.roles(project), 0, -1)
		since = p.HGetAll(ctx, s.k.roleSince(project))
		return nil
	})
	if err != nil {
		return nil, err
	}
	r := &record{what: "roles of " + roleName(project), m: since.Val()}
	var out []store.Role
	for _, person := range people.Val() {
		out = append(out, store.Role{Person: person, Project: project, Since: r.time(person)})
	}
	return out, r.err
}
