package main

// What `baton COMMAND -h` prints: how to call the command, what it does, its flags (grouped where a
// command has many), and examples. Help goes to standard output and exits 0; a mistake on the
// command line prints the same to standard error and exits 1.

import (
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
)

// commandHelp documents one command: its name is its flag set's.
type commandHelp struct {
	usage    string      // the command line, one form a line
	about    string      // what it does
	groups   []flagGroup // the flags by topic; nil: all of them, in one list
	examples string
}

// flagGroup is flags that belong together, e.g. those of one kind of notice.
type flagGroup struct {
	title string
	names []string
}

// clientNote ends the help of each command that talks to an instance.
const clientNote = "--server URL (env BATON_SERVER) is the instance; --token TOKEN (env BATON_TOKEN) the admin token."

var helps = map[string]commandHelp{
	"serve": {
		usage: "baton serve [flags]",
		about: "Runs an instance. Each flag can also be set by its environment variable (BATON_ and the flag's name,\n" +
			"e.g. BATON_BASE_URL) or by a line `name = value` in --config FILE; flags win over the environment,\nwhich wins over the file.",
		examples: "  BATON_ADMIN_TOKEN=$(openssl rand -hex 24) baton serve --listen 127.0.0.1:8080 --data ./data\n" +
			"  baton serve --base-url https://notices.example.org --redis redis://127.0.0.1:6379/0",
	},
	"migrate": {
		usage:    "baton migrate --from STORE --to STORE",
		about:    "Moves a stopped instance (every replica stopped) into an empty store. A STORE is sqlite:DIR or\nredis://HOST:PORT/DB[?prefix=P].",
		examples: "  baton migrate --from sqlite:./data --to redis://127.0.0.1:6379/0",
	},
	"project add": {
		usage: "baton project add NAME [--display-name T] [--summary T] [--homepage URL] [--repo URL] [--since DATE] [--signing-key TYPE:FPR[:HOLDER]]...",
		about: "Creates a project actor @NAME@HOST that anyone can follow. --since starts its record earlier (a project\n" +
			"taken on with its history); --signing-key declares a release-signing key already in use. " + clientNote,
		examples: "  baton project add xz --display-name \"XZ Utils\" --homepage https://tukaani.org/xz/\n" +
			"  baton project add xz-utils --since 2021-10-01 --signing-key openpgp:3690C240CE51B4670D30AD1C38EE757D69184620:lasse",
	},
	"project list": {
		usage:    "baton project list",
		about:    "Lists the projects with their followers, notices and status. " + clientNote,
		examples: "  baton project list --server https://notices.example.org",
	},
	"person add": {
		usage:    "baton person add NAME --key FILE.pub [--key FILE.pub] [--display-name T]",
		about:    "Registers a person @NAME@HOST (a maintainer or steward) with their OpenSSH Ed25519 public keys. " + clientNote,
		examples: "  baton person add lasse --key ~lasse/.ssh/id_ed25519.pub --display-name \"Lasse Collin\"",
	},
	"person show": {
		usage:    "baton person show NAME",
		about:    "Prints a person's keys (added, revoked), roles, and the rights they hold in each project and since when.",
		examples: "  baton person show lasse",
	},
	"maintainer add": {
		usage: "baton maintainer add NAME --project P [--key FILE.pub] [--display-name T] [--signing-key TYPE:FPR]...",
		about: "Makes NAME a first maintainer of P, registering them with --key if needed. Once P has notices, its\n" +
			"maintainers change by handover: if P has none (its instance spoke for it), this publishes an adoption,\n" +
			"a handover from the instance to NAME that gives them nothing until they accept it, and that asks the\n" +
			"stewards' endorsements like any change of rights. " + clientNote,
		examples: "  baton maintainer add lasse --project xz --key lasse.pub\n" +
			"  baton maintainer add lasse --project xz --signing-key openpgp:3690C240CE51B4670D30AD1C38EE757D69184620\n" +
			"  # after an adoption, lasse accepts it:\n  baton notice endorse http://127.0.0.1:8080/notices/3 --as lasse --key ~/.ssh/id_ed25519",
	},
	"steward add": {
		usage:    "baton steward add NAME [--key FILE.pub] [--display-name T]",
		about:    "Makes NAME a steward of the instance, registering them with --key if needed. " + clientNote,
		examples: "  baton steward add steward1 --key steward1.pub",
	},
	"steward notices": {
		usage:    "baton steward notices --as NAME (--key FILE | --agent)",
		about:    "A steward reads the relief requests and other notices meant for stewards alone, with a query signed\nby their key.",
		examples: "  baton steward notices --as steward1 --agent",
	},
	"person record": {
		usage: "baton person record @NAME@HOST|ACTOR-URL [--json]",
		about: "Prints a person's track record on any Baton instance, gathered from their instance and checked at\n" +
			"each origin, with what this instance knows: projects maintained and since when, handovers (endorsed\n" +
			"or not), steward roles, revocations, the actor's age. Warnings (no track record, a revocation against\n" +
			"them) come first. " + clientNote,
		examples: "  baton person record @jia@notices.zlib.example\n  baton person record https://notices.zlib.example/users/jia --json",
	},
	"relief open": {
		usage: "baton relief open --project P --as NAME (--key FILE | --agent) (--text T | --text-file FILE)",
		about: "A maintainer of P opens a confidential case with the instance's stewards, and prints its id: keep it,\n" +
			"it is how you come back to the case. The message is encrypted here to your keys and the stewards',\n" +
			"and signed; nothing of it is published, and the instance cannot read it. See docs/relief.md.",
		examples: "  baton relief open --project xz --as lasse --key ~/.ssh/id_ed25519 \\\n" +
			"      --text \"I cannot keep up any more. I need a break.\"\n" +
			"  baton relief open --project xz --as lasse --agent --text-file -    # type or paste it, end with Ctrl-D",
	},
	"relief reply": {
		usage:    "baton relief reply CASE --as NAME (--key FILE | --agent) (--text T | --text-file FILE)",
		about:    "Writes in a case you take part in, encrypted here to everyone in it, and signed.",
		examples: "  baton relief reply 4f1c… --as steward1 --key steward1 --text \"Thank you for telling us. Take the time you need.\"",
	},
	"relief show": {
		usage: "baton relief show CASE --as NAME --key FILE",
		about: "Decrypts a case you take part in, on this machine, and prints it: who takes part, and every message\n" +
			"with its writer, each signature checked. It needs the key file: ssh-agent signs, it cannot decrypt\n" +
			"(BATON_KEY_PASSPHRASE for a key with a passphrase).",
		examples: "  baton relief show 4f1c… --as lasse --key ~/.ssh/id_ed25519",
	},
	"relief list": {
		usage: "baton relief list [--as NAME (--key FILE | --agent)]",
		about: "Lists the cases you take part in. With the admin token and no --as: every case's project, participants\n" +
			"and dates, never a word of it.",
		examples: "  baton relief list --as steward1 --key steward1\n  baton relief list --token $BATON_ADMIN_TOKEN",
	},
	"relief share": {
		usage: "baton relief share CASE --with NAME --as STEWARD --key FILE",
		about: "A steward in a case brings in a steward who joined later: every message is decrypted here, encrypted\n" +
			"again to everyone in the case and the newcomer, and sent; the case shows who joined and when.",
		examples: "  baton relief share 4f1c… --with steward3 --as steward1 --key steward1",
	},
	"relief close": {
		usage: "baton relief close CASE --as NAME (--key FILE | --agent) [--led-to NOTICE-URL]",
		about: "Closes a case, naming the notice it led to (a hiatus, a call for stewards, an interim handover). Only\n" +
			"the people in the case see that the notice came from it.",
		examples: "  baton relief close 4f1c… --as lasse --key ~/.ssh/id_ed25519 --led-to https://notices.example.org/notices/42",
	},
	"call answer": {
		usage: "baton call answer NOTICE-URL --as NAME (--key FILE | --agent) --text T [--until D]",
		about: "Offers to answer a public call for stewards, on any Baton instance: the offer is signed with your key\n" +
			"and sent through your own instance (--server), which delivers it to the calling project's. " + clientNote,
		examples: "  BATON_SERVER=https://notices.zlib.example baton call answer https://notices.example.org/notices/12 \\\n" +
			"      --as jia --agent --text \"I maintain zlib and know compression code.\" --until 2027-06-01",
	},
	"call offers": {
		usage: "baton call offers NOTICE [--as STEWARD (--key FILE | --agent)] [--json]",
		about: "Lists a call's signed offers, each with the person's track record, warnings first; replies from the\n" +
			"fediverse apart, as interest. A steward asks with a signed query, the admin with the token.",
		examples: "  baton call offers https://notices.example.org/notices/12 --as steward1 --key steward1\n  baton call offers 12 --json",
	},
	"call accept": {
		usage: "baton call accept OFFER [--as STEWARD (--key FILE | --agent)]",
		about: "Accepts an offer (its id, as call offers prints it) and prints the interim handover the outgoing\n" +
			"maintainer is to post: the call's rights, until the end of its term. Accepting hands nothing over.",
		examples: "  baton call accept urn:uuid:0b7c… --as steward1 --key steward1",
	},
	"token rotate": {
		usage: "baton token rotate [--data DIR | --redis URL]",
		about: "Replaces the admin token of a stopped instance (every replica stopped), in its store: prints the new\n" +
			"one once, and the old one no longer works; serve refuses to start with it.",
		examples: "  baton token rotate --data /var/lib/baton\n  baton token rotate --redis redis://127.0.0.1:6379/0",
	},
	"key add": {
		usage:    "baton key add NAME --key FILE.pub",
		about:    "Adds a key to a person. To rotate a key, add the new one, then revoke the old one. " + clientNote,
		examples: "  baton key add lasse --key ~/.ssh/id_ed25519_new.pub",
	},
	"key revoke": {
		usage:    "baton key revoke NAME FINGERPRINT",
		about:    "Revokes a person's key (SHA256:…, as ssh-keygen -l prints it). It stays listed with its date. " + clientNote,
		examples: "  baton key revoke lasse SHA256:6dZ8aWCB2bEcR3UeqP+cOHWSLbtg5ICSEmk7fVq3bXY",
	},
	"notice post": {
		usage: "baton notice post --project P --kind K --as NAME (--key FILE | --agent) --text T [fields]\n" +
			"baton notice post --project P --kind K --text T [fields]",
		about: "Builds a notice on this machine, signs it with your SSH key, publishes it and prints its id. Without\n" +
			"--as, the admin (--token) speaks for a project that has no maintainers, or a distro for its packaging\n" +
			"of a watched package: the instance may say hiatus, scrutiny, return, call-for-stewards, and hand the\n" +
			"project over (an adoption, like baton maintainer add). A maintainer asks for relief in confidence\n" +
			"with baton relief open, not with a notice. Kinds:\n  " + strings.Join(kindNames(), ", ") + ".\n" +
			"A key file with a passphrase is read with BATON_KEY_PASSPHRASE; better, ssh-add it and use --agent.",
		groups: []flagGroup{
			{"common", []string{"project", "kind", "text", "since", "until", "as", "key", "agent", "server", "token", "config"}},
			{"handover", []string{"from", "to", "mode", "scope", "until"}},
			{"signer-change", []string{"add-key", "remove-key"}},
			{"infra-change", []string{"move"}},
			{"call-for-stewards", []string{"role", "scope", "term", "requirements", "public", "until"}},
			{"scrutiny", []string{"until", "reason"}},
			{"revocation", []string{"revokes", "reason"}},
			{"hiatus, return, retirement", []string{"from", "orphaned"}},
		},
		examples: "  baton notice post --project xz --kind hiatus --as lasse --key ~/.ssh/id_ed25519 \\\n" +
			"      --text \"I am stepping back for a few months.\" --until 2027-03-01\n" +
			"  baton notice post --project xz --kind handover --as lasse --agent --from lasse --to jia \\\n" +
			"      --mode co-maintainer --scope commit,merge --text \"Jia Tan joins as co-maintainer.\"\n" +
			"  baton notice post --project xz --kind signer-change --as lasse --agent \\\n" +
			"      --add-key openpgp:22D465F2B4C173803B20C6DE59FCF207FEA7F445:jia --text \"Jia signs releases too.\"\n" +
			"  baton notice post --project xz --kind revocation --as lasse --agent \\\n" +
			"      --revokes http://127.0.0.1:8080/notices/2 --reason \"signed under pressure\" --text \"Withdrawn.\"\n" +
			"  baton notice post --project xz --kind call-for-stewards --as lasse --agent --role co-maintainer \\\n" +
			"      --scope commit,release-signing --term 6m --public --text \"We look for someone to keep xz steady.\"\n" +
			"  baton notice post --project xz --kind scrutiny --until 2027-06-01 --reason \"handover under review\" \\\n" +
			"      --text \"Review releases with care.\"                                   # the admin, by token\n" +
			"  baton notice post --project xz --kind hiatus --since 2026-01-10 --until 2026-02-01 \\\n" +
			"      --text \"Nobody looked after xz in January.\"    # a past window on record: shown as backdated",
	},
	"notice endorse": {
		usage: "baton notice endorse ID|URL --as NAME (--key FILE | --agent)",
		about: "Adds your proof to a published notice of the instance --server names: a steward's endorsement, an\n" +
			"outgoing maintainer's consent, an incoming one's acceptance. A URL must be on that instance.",
		examples: "  baton notice endorse 2 --as steward1 --key steward1\n  baton notice endorse http://127.0.0.1:8080/notices/2 --as jia --agent",
	},
	"notice status": {
		usage: "baton notice status ID|URL [--once] [--json] [--interval D]",
		about: "How far a notice's delivery got: inboxes queued, delivered, retrying (with the last error per host),\n" +
			"given up. Follows it to the end with a progress bar unless --once. " + clientNote,
		examples: "  baton notice status 5 --once --json",
	},
	"notice verify": {
		usage:    "baton notice verify URL",
		about:    "Fetches a notice from any instance and checks every proof on it against the keys its signers' actors\npublish, printing who signed and whether the publishing instance reads the policy as met.",
		examples: "  baton notice verify https://notices.example.org/notices/2",
	},
	"watch add": {
		usage:    "baton watch add PACKAGE HANDLE-OR-ACTOR-URL [--purl PURL]",
		about:    "A distro's instance watches an upstream project's actor for PACKAGE; packagers follow @PACKAGE@HOST. " + clientNote,
		examples: "  baton watch add xz-utils @xz@notices.tukaani.example --purl pkg:deb/debian/xz-utils\n  baton watch add zlib https://notices.zlib.example/users/zlib",
	},
	"watch list": {
		usage:    "baton watch list [--json]",
		about:    "Lists the watched packages: upstream, follow state, notices mirrored, purl. " + clientNote,
		examples: "  baton watch list --json",
	},
	"watch remove": {
		usage:    "baton watch remove PACKAGE",
		about:    "Stops watching a package's upstream, and unfollows it when no package comes from it any more. " + clientNote,
		examples: "  baton watch remove zlib",
	},
	"watch import": {
		usage: "baton watch import FILE [--concurrency N]",
		about: "Adds the watches of PACKAGE UPSTREAM [PURL] lines (spaces or commas; a header, blank lines and #\n" +
			"comments are skipped); - reads standard input. Exits 1 if any line failed. " + clientNote,
		examples: "  baton watch import watch-list.csv",
	},
}

// printHelp writes a command's help: usage, what it does, its flags, examples.
func (h commandHelp) print(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Usage:\n  %s\n\n%s\n", strings.ReplaceAll(h.usage, "\n", "\n  "), h.about)
	groups := h.groups
	if groups == nil {
		var all []string
		fs.VisitAll(func(f *flag.Flag) { all = append(all, f.Name) })
		groups = []flagGroup{{"", all}}
	}
	for _, g := range groups {
		if g.title == "" {
			fmt.Fprintln(w, "\nFlags:")
		} else {
			fmt.Fprintf(w, "\nFlags (%s):\n", g.title)
		}
		for _, name := range g.names {
			if f := fs.Lookup(name); f != nil {
				printFlag(w, f)
			}
		}
	}
	if h.examples != "" {
		fmt.Fprintf(w, "\nExamples:\n%s\n", h.examples)
	}
}

// printFlag writes one flag as Go's flag package does, with two dashes: `--name VALUE`, then its usage.
func printFlag(w io.Writer, f *flag.Flag) {
	value, usage := flag.UnquoteUsage(f)
	line := "  --" + f.Name
	if value != "" {
		line += " " + value
	}
	if def := f.DefValue; def != "" && def != "false" && def != "0" {
		usage += fmt.Sprintf(" (default %q)", def)
	}
	fmt.Fprintf(w, "%s\n      %s\n", line, strings.ReplaceAll(usage, "\n", "\n      "))
}

// wantsHelp reports whether args ask for help (-h, -help or --help before any "--").
func wantsHelp(args []string) bool {
	end := slices.Index(args, "--")
	if end < 0 {
		end = len(args)
	}
	return slices.ContainsFunc(args[:end], func(a string) bool { return a == "-h" || a == "-help" || a == "--help" })
}

// useHelp makes fs print its command's help, if it has one, when asked or on a mistake.
func useHelp(fs *flag.FlagSet) {
	if h, ok := helps[fs.Name()]; ok {
		fs.Usage = func() { h.print(fs.Output(), fs) }
	}
}
