// Command baton is Baton's one binary: `baton serve` runs an instance, `baton migrate` moves a stopped
// one between stores, and the other commands are the clients admins and maintainers use against a
// running instance's API.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// version is set at build time with -ldflags "-X main.version=..."; "dev" otherwise.
var version = "dev"

const usage = `baton — signed notices about who looks after software projects

Usage:
  baton serve [flags]                       run an instance
  baton project add NAME [flags]            create a project actor (@NAME@HOST)
  baton project list                        list the projects
  baton person add NAME --key FILE.pub [--key FILE.pub] [--display-name T]
                                            register a person (a maintainer or steward) with
                                            their OpenSSH Ed25519 public keys
  baton person show NAME                    show a person's keys and roles
  baton person record @NAME@HOST [--json]   a person's track record, gathered from the federation and
                                            checked at each origin (warnings first)
  baton maintainer add NAME --project P [--key FILE.pub]
                                            make NAME a first maintainer of P (registering them
                                            with --key if needed); later ones come by handover, and
                                            a project its instance spoke for is adopted by one
  baton steward add NAME [--key FILE.pub]   make NAME a steward of the instance
  baton steward notices --as NAME (--key FILE | --agent)
                                            read relief requests and other notices for stewards
  baton relief open --project P --as NAME (--key FILE | --agent) (--text T | --text-file FILE)
                                            open a confidential case with the stewards, sealed
                                            on this machine (see docs/relief.md)
  baton relief reply CASE --as NAME (--key FILE | --agent) (--text T | --text-file FILE)
                                            write in a case you take part in
  baton relief show CASE --as NAME --key FILE
                                            decrypt and read a case here (needs the key file:
                                            ssh-agent cannot decrypt)
  baton relief list [--as NAME (--key FILE | --agent)]
                                            your cases; with the admin token alone, every case's
                                            metadata (never a word)
  baton relief share CASE --with NAME --as STEWARD --key FILE
                                            seal a case again for a steward who joined later
  baton relief close CASE --as NAME (--key FILE | --agent) [--led-to NOTICE-URL]
                                            close a case, with the notice it led to
  baton key add NAME --key FILE.pub         add a key to a person
  baton key revoke NAME FINGERPRINT         revoke a person's key (add the new one first)
  baton notice post --project P --kind K --text TEXT [fields]
                                            the admin speaks for a project without maintainers;
                                            prints the notice's id
  baton notice post --project P --kind K --as NAME (--key FILE | --agent) [fields]
                                            sign a notice on this machine and publish it
  baton notice endorse ID|URL --as NAME (--key FILE | --agent)
                                            add your proof to a published notice
  baton notice verify URL                   fetch a notice from any instance and check every proof on it
  baton notice status ID|URL [--once] [--json]
                                            how far a notice's delivery got; follows it until
                                            nothing is left to deliver, unless --once
  baton call answer NOTICE-URL --as NAME (--key FILE | --agent) --text T [--until D]
                                            offer to answer a call for stewards, signed with your key,
                                            through your own instance (--server)
  baton call offers NOTICE [--as STEWARD (--key FILE | --agent)] [--json]
                                            a call's offers with each person's track record
  baton call accept OFFER [--as STEWARD (--key FILE | --agent)]
                                            accept an offer; prints the interim handover to post
  baton watch add PACKAGE HANDLE-OR-ACTOR-URL [--purl PURL]
                                            watch an upstream project's actor for a package
                                            (a distro's instance); packagers follow @PACKAGE@HOST
  baton watch list [--json]                 list the watched packages
  baton watch remove PACKAGE                stop watching a package's upstream
  baton watch import FILE [--concurrency N] add the watches of PACKAGE UPSTREAM [PURL] lines
                                            (whitespace or CSV; - reads standard input)
  baton check NAME... [--at DATE [--hindsight]] [--signer FINGERPRINT] [--watched] [--json]
                                            how watched packages or projects stand; exit code
                                            2 scrutiny, 3 unendorsed change, 4 maintainer away,
                                            5 release-signing key not announced or not valid,
                                            6 no record of the project at that date
  baton migrate --from STORE --to STORE     move a stopped instance into an empty store; a store is
                                            sqlite:DIR or redis://HOST:PORT/DB[?prefix=P]
  baton token rotate [--data DIR | --redis URL]
                                            replace a stopped instance's admin token; prints the new one
  baton version                             print the version
  baton help [COMMAND [SUBCOMMAND]]         print a command's usage, flags and examples

Client commands take --server URL and --token TOKEN (or BATON_SERVER, BATON_TOKEN).
Run 'baton COMMAND --help' (or 'baton help COMMAND') for a command's flags and examples.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches a command line and returns the exit status: 0, or 1 after an error (check has exit
// codes of its own). Asked for help (-h, --help), a command prints it to stdout and exits 0.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 1
	}
	if wantsHelp(args) {
		stderr = stdout // the help a command prints on its flag set's output is the answer asked for
	}
	var err error
	switch cmd, rest := args[0], args[1:]; cmd {
	case "serve":
		err = serve(rest, stderr)
	case "project", "notice", "person", "key", "watch", "maintainer", "steward", "relief", "call", "token":
		err = groups[cmd].run(cmd, rest, stdout, stderr)
	case "check":
		return checkCommand(rest, stdout, stderr)
	case "migrate":
		err = migrate(rest, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "baton", version)
	case "help", "-h", "-help", "--help":
		if len(rest) > 0 && rest[0] != "-h" && rest[0] != "--help" {
			return run(append(slices.Clip(rest), "--help"), stdout, stderr) // baton help notice post
		}
		fmt.Fprint(stdout, usage)
	default:
		err = fmt.Errorf("unknown command %q: run 'baton --help' for the commands", cmd)
	}
	switch {
	case errors.Is(err, flag.ErrHelp): // -h or --help: the usage was printed, as asked
		return 0
	case err != nil:
		fmt.Fprintln(stderr, "baton:", err)
		return 1
	}
	return 0
}

// subcommand is one verb of a command with several (`baton watch add`).
type subcommand struct {
	name string
	run  func(args []string, stdout, stderr io.Writer) error
}

// group is a command made of subcommands, in the order its usage lists them.
type group struct {
	want  string // what the command wants, for the error when none is given
	about string // what the subcommands are for, when their names do not say it; printed atop the help
	subs  []subcommand
}

// groups are the commands with subcommands.
var groups = map[string]group{
	"project": {want: "'add NAME' or 'list'", subs: []subcommand{{"add", projectAdd}, {"list", projectList}}},
	"notice": {want: "'post', 'endorse', 'verify' or 'status'",
		subs: []subcommand{{"post", noticePost}, {"endorse", noticeEndorse}, {"verify", noticeVerify}, {"status", noticeStatus}}},
	"person": {want: "'add NAME --key FILE.pub', 'show NAME' or 'record @NAME@HOST'",
		subs: []subcommand{{"add", personAdd}, {"show", personShow}, {"record", personRecord}}},
	"key": {want: "'add NAME --key FILE.pub' or 'revoke NAME FINGERPRINT'", subs: []subcommand{{"add", keyAdd}, {"revoke", keyRevoke}}},
	"watch": {want: "'add PACKAGE HANDLE-OR-ACTOR-URL', 'list', 'remove PACKAGE' or 'import FILE'",
		subs: []subcommand{{"add", watchAdd}, {"list", watchList}, {"remove", watchRemove}, {"import", watchImport}}},
	"maintainer": {want: "'add NAME --project P [--key FILE.pub]'", subs: []subcommand{{"add", maintainerAdd}}},
	"steward": {want: "'add NAME [--key FILE.pub]' or 'notices --as NAME (--key FILE | --agent)'",
		subs: []subcommand{{"add", stewardAdd}, {"notices", stewardNotices}}},
	"relief": {want: "'open', 'reply CASE', 'show CASE', 'list', 'share CASE' or 'close CASE'",
		about: "A confidential case between a maintainer and the instance's stewards: every message is encrypted on\n" +
			"the writer's machine to the participants' SSH keys, and signed; the instance keeps ciphertext alone.\n" +
			"See docs/relief.md.",
		subs: []subcommand{{"open", reliefOpen}, {"reply", reliefReply}, {"show", reliefShow}, {"list", reliefList}, {"share", reliefShare}, {"close", reliefClose}}},
	"call": {want: "'answer NOTICE-URL', 'offers NOTICE' or 'accept OFFER'",
		about: "Calls for stewards: a person answers one with a signed offer; the stewards read the offers, each with\n" +
			"the person's track record, and accept one.",
		subs: []subcommand{{"answer", callAnswer}, {"offers", callOffers}, {"accept", callAccept}}},
	"token": {want: "'rotate [--data DIR | --redis URL]'", subs: []subcommand{{"rotate", tokenRotate}}},
}

// run runs the subcommand args[0] names.
func (g group) run(cmd string, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%s: want %s (baton %s --help lists them)", cmd, g.want, cmd)
	}
	if args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		g.help(cmd, stdout)
		return flag.ErrHelp
	}
	var names []string
	for _, s := range g.subs {
		if s.name == args[0] {
			return s.run(args[1:], stdout, stderr)
		}
		names = append(names, s.name)
	}
	return fmt.Errorf("%s: unknown subcommand %q (%s; baton %s --help lists them)", cmd, args[0], strings.Join(names, ", "), cmd)
}

// help lists a group's subcommands, each with its usage and what it does.
func (g group) help(cmd string, w io.Writer) {
	if g.about != "" {
		fmt.Fprintf(w, "%s\n\n", g.about)
	}
	fmt.Fprintln(w, "Usage:")
	for _, s := range g.subs {
		h := helps[cmd+" "+s.name]
		fmt.Fprintf(w, "  %s\n      %s\n", strings.ReplaceAll(h.usage, "\n", "\n  "), firstSentence(h.about))
	}
	fmt.Fprintf(w, "\nRun 'baton %s SUBCOMMAND --help' for a subcommand's flags and examples.\n", cmd)
}

// firstSentence is text up to its first full stop.
func firstSentence(text string) string {
	text = strings.ReplaceAll(text, "\n", " ")
	if i := strings.Index(text, ". "); i >= 0 {
		return text[:i+1]
	}
	return text
}
