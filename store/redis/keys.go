package redis

import (
	"strconv"
	"strings"

	goredis "github.com/redis/go-redis/v9"
)

// keys names every key, in Go; luaKeys names the same keys in the scripts (TestLuaKeysMatchGo keeps
// the two in step). The package comment has the layout.
type keys struct{ p string }

var escaper = strings.NewReplacer("%", "%25", ":", "%3A")

// esc escapes a value that is not the last part of a key, so the key splits one way only.
func esc(s string) string { return escaper.Replace(s) }

func (k keys) setting(key string) string { return k.p + "setting:" + key }
func (k keys) actor(name string) string  { return k.p + "actor:" + name }
func (k keys) actors() string            { return k.p + "actors" }

func (k keys) personKey(person, fpr string) string {
	return k.p + "personkey:" + esc(person) + ":" + fpr
}
func (k keys) personKeys(person string) string { return k.p + "personkeys:" + person }
func (k keys) roles(project string) string     { return k.p + "roles:" + project }
func (k keys) roleSince(project string) string { return k.p + "role-since:" + project }

func (k keys) follower(local, actor string) string {
	return k.p + "follower:" + esc(local) + ":" + actor
}
func (k keys) followers(local string) string { return k.p + "followers:" + local }
func (k keys) inboxes(local string) string   { return k.p + "inboxes:" + local }
func (k keys) followsBy(actor string) string { return k.p + "follows-by:" + actor }

func (k keys) notice(id int64) string            { return k.p + "notice:" + strconv.FormatInt(id, 10) }
func (k keys) notices(actor string) string       { return k.p + "notices:" + actor }
func (k keys) publicNotices(actor string) string { return k.p + "public-notices:" + actor }
func (k keys) statements() string                { return k.p + "statements" }
func (k keys) count(what string) string          { return k.p + "count:" + what }
func (k keys) seq(what string) string            { return k.p + "seq:" + what }
func (k keys) activity(seq string) string        { return k.p + "activity:" + seq }
func (k keys) delivery(id string) string         { return k.p + "delivery:" + id }
func (k keys) queue(set string) string           { return k.p + "queue:" + set }
func (k keys) seen() string                      { return k.p + "seen" }
func (k keys) remoteKey(keyID string) string     { return k.p + "remote-key:" + keyID }
func (k keys) upstream(actor string) string      { return k.p + "upstream:" + actor }
func (k keys) upstreams() string                 { return k.p + "upstreams" }
func (k keys) watch(pkg string) string           { return k.p + "watch:" + pkg }
func (k keys) watches() string                   { return k.p + "watches" }
func (k keys) watchesOf(upstream string) string  { return k.p + "watches-of:" + upstream }
func (k keys) mirrored(id string) string         { return k.p + "mirrored:" + id }
func (k keys) mirroredOf(upstream string) string { return k.p + "mirrored-of:" + upstream }
func (k keys) rejectedOf(upstream string) string { return k.p + "rejected-of:" + upstream }
func (k keys) reliefCase(id string) string       { return k.p + "case:" + id }
func (k keys) reliefCases() string               { return k.p + "cases" }
func (k keys) holds(kind string) string          { return k.p + "holds:" + kind }

// offer, offersOf and offerSlot keep the answers to calls for stewards; a slot holds the id of one
// person's answer of one kind ("1" signed, "0" a reply) to one call.
func (k keys) offer(id string) string         { return k.p + "offer:" + id }
func (k keys) offersOf(project string) string { return k.p + "offers-of:" + project }
func (k keys) offerSlot(call, signed, person string) string {
	return k.p + "offer-slot:" + call + ":" + signed + ":" + person
}

// deliveriesOf, activityIDs and delivered index deliveries by their activity's id, for DeliveryStatus.
func (k keys) deliveriesOf(activityID string) string { return k.p + "deliveries-of:" + activityID }
func (k keys) activityIDs() string                   { return k.p + "activity-ids" }
func (k keys) delivered() string                     { return k.p + "delivered" }

// fanOut, fanOutInboxes and fanOuts keep the fan-out jobs waiting to be expanded, by activity seq.
func (k keys) fanOut(seq string) string        { return k.p + "fanout:" + seq }
func (k keys) fanOutInboxes(seq string) string { return k.p + "fanout-inboxes:" + seq }

// rejected is the key of a refused version of an upstream's notice; rejectedMember is how the upstream's
// list names it (the key's last two parts), and rejectedAt the key of a member of that list.
func (k keys) rejected(upstream, digest, id string) string {
	return k.rejectedAt(upstream, rejectedMember(digest, id))
}
func (k keys) rejectedAt(upstream, member string) string {
	return k.p + "rejected:" + esc(upstream) + ":" + member
}
func rejectedMember(digest, id string) string { return esc(digest) + ":" + id }

// luaKeys begins every script: the prefix (ARGV[1]), num (an integer as its decimal digits: Lua's own
// tostring writes 1e+14), and K, the key names of the layout.
const luaKeys = `
local P = ARGV[1]
local function num(n) return string.format('%d', n) end
local function esc(s) return (string.gsub(string.gsub(s, '%%', '%%25'), ':', '%%3A')) end
local K = {
  actors = P .. 'actors',
  statements = P .. 'statements',
  due = P .. 'queue:due', leased = P .. 'queue:leased', failed = P .. 'queue:failed',
  seen = P .. 'seen', upstreams = P .. 'upstreams', watches = P .. 'watches',
  activityIDs = P .. 'activity-ids', delivered = P .. 'delivered', cases = P .. 'cases',
  fanOuts = P .. 'queue:fanouts',
}
K.case = function(id) return P .. 'case:' .. id end
K.actor = function(name) return P .. 'actor:' .. name end
K.personKey = function(person, fpr) return P .. 'personkey:' .. esc(person) .. ':' .. fpr end
K.personKeys = function(person) return P .. 'personkeys:' .. person end
K.roles = function(project) return P .. 'roles:' .. project end
K.roleSince = function(project) return P .. 'role-since:' .. project end
K.follower = function(owner, actor) return P .. 'follower:' .. esc(owner) .. ':' .. actor end
K.followers = function(owner) return P .. 'followers:' .. owner end
K.inboxes = function(owner) return P .. 'inboxes:' .. owner end
K.followsBy = function(actor) return P .. 'follows-by:' .. actor end
K.notice = function(id) return P .. 'notice:' .. id end
K.notices = function(actor) return P .. 'notices:' .. actor end
K.publicNotices = function(actor) return P .. 'public-notices:' .. actor end
K.count = function(what) return P .. 'count:' .. what end
K.seq = function(what) return P .. 'seq:' .. what end
K.activity = function(seq) return P .. 'activity:' .. seq end
K.delivery = function(id) return P .. 'delivery:' .. id end
K.deliveriesOf = function(activityID) return P .. 'deliveries-of:' .. activityID end
K.fanOut = function(seq) return P .. 'fanout:' .. seq end
K.fanOutInboxes = function(seq) return P .. 'fanout-inboxes:' .. seq end
K.upstream = function(actor) return P .. 'upstream:' .. actor end
K.watch = function(pkg) return P .. 'watch:' .. pkg end
K.watchesOf = function(upstream) return P .. 'watches-of:' .. upstream end
K.mirrored = function(id) return P .. 'mirrored:' .. id end
K.mirroredOf = function(upstream) return P .. 'mirrored-of:' .. upstream end
K.rejectedOf = function(upstream) return P .. 'rejected-of:' .. upstream end
K.holds = function(kind) return P .. 'holds:' .. kind end
K.rejectedMember = function(digest, id) return esc(digest) .. ':' .. id end
K.rejectedAt = function(upstream, member) return P .. 'rejected:' .. esc(upstream) .. ':' .. member end
K.rejected = function(upstream, digest, id) return K.rejectedAt(upstream, K.rejectedMember(digest, id)) end
K.offer = function(id) return P .. 'offer:' .. id end
K.offersOf = function(project) return P .. 'offers-of:' .. project end
K.offerSlot = function(call, signed, person) return P .. 'offer-slot:' .. call .. ':' .. signed .. ':' .. person end
`

// newScript makes a script of the shared Lua helpers and a body.
func newScript(parts ...string) *goredis.Script {
	return goredis.NewScript(strings.Join(parts, "\n"))
}
