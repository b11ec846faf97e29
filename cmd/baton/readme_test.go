//go:build unix

package main

// The README's walk-throughs, run as a reader runs them: each section's ```sh walkthrough blocks, in
// order, in bash, from an empty folder standing for the root of a clone, against instances of the
// binary TestMain built. A command that fails, or ends with another status than the `# exit N`
// comment after it says, fails the test with the section and the README line.

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const readmePath = "../../README.md"

// buildLine is how the README builds the binary; the test puts the one TestMain built in its place.
const buildLine = "go build -o baton ./cmd/baton"

// readmeCommand is one command of a walk-through: a line, with its continuation lines and here-document.
type readmeCommand struct {
	line int    // README line it starts on
	text string // as written
	want int    // the exit status its `# exit N` comment gives; 0 without one
}

// readmeBlock is a fenced block whose info string is `sh walkthrough` (`sh walkthrough setup` for the
// block that builds Baton and starts an instance: every later section assumes it ran).
type readmeBlock struct {
	section  string
	setup    bool
	commands []readmeCommand
}

var (
	exitComment = regexp.MustCompile(`(?:^|\s)#\s*exit (\d+)\b`)
	hereDoc     = regexp.MustCompile(`<<-?\s*['"]?([A-Za-z_]+)['"]?`)
	loopback    = regexp.MustCompile(`127\.0\.0\.1:(\d{4,5})\b`)
	agentPid    = regexp.MustCompile(`(?m)^Agent pid (\d+)$`)
	bareBaton   = regexp.MustCompile(`(?m)(?:^\s*|[;|&(]\s*)baton\s`) // in a command's place
)

// readmeBlocks reads the walk-through blocks of a Markdown file, in order.
func readmeBlocks(path string) ([]readmeBlock, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	lines := strings.Split(string(data), "\n")
	var blocks []readmeBlock
	section := ""
	for i := 0; i < len(lines); i++ {
		if title, ok := strings.CutPrefix(lines[i], "## "); ok {
			section = title
			continue
		}
		info, ok := strings.CutPrefix(lines[i], "```")
		if !ok {
			continue
		}
		start := i + 1
		for i++; i < len(lines) && lines[i] != "```"; i++ {
		}
		if i == len(lines) {
			return nil, fmt.Errorf("README.md line %d: the fenced block is never closed", start)
		}
		fields := strings.Fields(info)
		if len(fields) < 2 || fields[0] != "sh" || fields[1] != "walkthrough" {
			continue
		}
		commands, err := blockCommands(lines[start:i], start+1)
		if err != nil {
			return nil, err
		}
		blocks = append(blocks, readmeBlock{section: section, setup: len(fields) > 2 && fields[2] == "setup", commands: commands})
	}
	return blocks, nil
}

// blockCommands splits a block's lines (the first being README line first) into commands, skipping
// blank lines and comments.
func blockCommands(lines []string, first int) ([]readmeCommand, error) {
	var out []readmeCommand
	for i := 0; i < len(lines); i++ {
		trimmed := strings.TrimSpace(lines[i])
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		c := readmeCommand{line: first + i, text: lines[i]}
		for strings.HasSuffix(c.text, `\`) && i+1 < len(lines) {
			i++
			c.text += "\n" + lines[i]
		}
		if m := exitComment.FindStringSubmatch(c.text); m != nil {
			c.want, _ = strconv.Atoi(m[1])
		}
		if m := hereDoc.FindStringSubmatch(c.text); m != nil {
			for i++; i < len(lines) && strings.TrimSpace(lines[i]) != m[1]; i++ {
				c.text += "\n" + lines[i]
			}
			if i == len(lines) {
				return nil, fmt.Errorf("README.md line %d: the here-document never ends with %s", c.line, m[1])
			}
			c.text += "\n" + lines[i]
		}
		if err := runnable(c); err != nil {
			return nil, fmt.Errorf("README.md line %d: %w", c.line, err)
		}
		out = append(out, c)
	}
	return out, nil
}

// runnable refuses what would make a walk-through pass when it should not, or run another binary.
func runnable(c readmeCommand) error {
	switch {
	case strings.Contains(c.text, "&&") || strings.Contains(c.text, "||"):
		// Under `set -e`, a failure left of && or || goes unnoticed.
		return errors.New("a command with && or || hides a failure; write one command a line")
	case bareBaton.MatchString(c.text):
		return errors.New("runs `baton` from PATH; the walk-throughs run the ./baton they build")
	}
	return nil
}

// TestREADMEWalkthroughs runs each section's walk-through on its own, after the setup block, and then
// all of them in order, as one shell would, each time on fresh folders and free loopback ports (each 127.0.0.1:PORT in the text, and that port wherever else it
// appears, becomes a free one). The processes the walk-through starts in the background, and its
// ssh-agent, are ended with it.
func TestREADMEWalkthroughs(t *testing.T) {
	t.Parallel()
	requireTool(t, "bash", "bash")
	for _, tool := range []string{"ssh-agent", "ssh-add", "ssh-keygen"} {
		requireTool(t, tool, "openssh-client")
	}
	blocks, err := readmeBlocks(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	var sections []string
	for _, b := range blocks {
		if len(sections) == 0 || sections[len(sections)-1] != b.section {
			sections = append(sections, b.section)
		}
	}
	if len(sections) == 0 || !blocks[0].setup {
		t.Fatalf("%s: want walk-through blocks (```sh walkthrough), the first one marked setup", readmePath)
	}
	for _, section := range sections {
		t.Run(section, func(t *testing.T) {
			t.Parallel()
			var commands []readmeCommand
			for _, b := range blocks {
				if b.section == section || (b.setup && slices.Index(sections, b.section) < slices.Index(sections, section)) {
					commands = append(commands, b.commands...)
				}
			}
			runWalkthrough(t, section, commands)
		})
	}
	// A reader may also go from top to bottom in one shell.
	t.Run("every section, in order", func(t *testing.T) {
		t.Parallel()
		var commands []readmeCommand
		for _, b := range blocks {
			commands = append(commands, b.commands...)
		}
		runWalkthrough(t, "every section, in order", commands)
	})
}

// runWalkthrough runs commands as one bash script in a fresh folder and fails t, naming the section
// and README line, at the first that does not end as the README says.
func runWalkthrough(t *testing.T, section string, commands []readmeCommand) {
	script := walkthroughScript(commands)
	if !strings.Contains(script, buildLine) {
		t.Fatalf("the walk-throughs no longer build ./baton with %q; the test puts its binary in that line's place", buildLine)
	}
	for _, tool := range []string{"redis-server", "redis-cli"} {
		if _, err := exec.LookPath(tool); err != nil && strings.Contains(script, tool) {
			t.Skipf("this walk-through runs %s: %v", tool, err)
		}
	}
	script = strings.ReplaceAll(script, buildLine, "cp "+shellQuote(batonBin)+" baton")
	script = freePorts(t, script)

	work, aside := t.TempDir(), t.TempDir() // the clone's root; the script and what it reports
	progress, failure := filepath.Join(aside, "line"), filepath.Join(aside, "failure")
	file := filepath.Join(aside, "walkthrough.sh")
	if err := os.WriteFile(file, []byte(preamble(progress, failure)+script), 0o600); err != nil {
		t.Fatal(err)
	}
	output, err := runBash(file, work)
	if raceEnabled {
		for _, log := range logsOf(work) {
			if strings.Contains(log, "WARNING: DATA RACE") {
				t.Errorf("%s: a baton process reported a data race:\n%s", section, tail(log))
			}
		}
	}
	if err == nil {
		t.Logf("output of the walk-through:\n%s", tail(output))
		return
	}
	line, _ := os.ReadFile(progress)
	n, _ := strconv.Atoi(strings.TrimSpace(string(line)))
	why, _ := os.ReadFile(failure)
	reason := cmp.Or(strings.TrimSpace(string(why)), err.Error())
	text := ""
	for _, c := range commands {
		if c.line == n {
			text = c.text
		}
	}
	msg := fmt.Sprintf("README.md, %q, line %d: %s\n\n%s\n\noutput of the walk-through:\n%s", section, n, reason, text, tail(output))
	for name, log := range logsOf(work) {
		msg += fmt.Sprintf("\n\n%s:\n%s", name, tail(log))
	}
	t.Fatal(msg)
}

// walkthroughTimeout bounds a walk-through that hangs (a notice status waiting for ever, say).
const walkthroughTimeout = 5 * time.Minute

// runBash runs a script in dir, in a process group of its own that is killed when it ends, and returns
// what it printed.
func runBash(script, dir string) (string, error) {
	out, err := os.CreateTemp("", "walkthrough-output")
	if err != nil {
		return "", err
	}
	defer os.Remove(out.Name())
	defer out.Close()
	ctx, cancel := context.WithTimeout(context.Background(), walkthroughTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", script)
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, out, out // a file: background jobs holding it do not hold up Wait
	cmd.Env = walkthroughEnv()
	dieWithParent(cmd)
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	err = cmd.Run()
	if cmd.Process != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	printed, _ := os.ReadFile(out.Name())
	if ctx.Err() != nil {
		// Killed, the script could not end its ssh-agent, which left the process group.
		for _, m := range agentPid.FindAllStringSubmatch(string(printed), -1) {
			if pid, err := strconv.Atoi(m[1]); err == nil {
				syscall.Kill(pid, syscall.SIGTERM)
			}
		}
		err = fmt.Errorf("did not end within %s", walkthroughTimeout)
	}
	return string(printed), err
}

// walkthroughScript is the commands as one script: each records its README line before it runs, and one
// with a `# exit N` comment must end with N.
func walkthroughScript(commands []readmeCommand) string {
	var b strings.Builder
	for _, c := range commands {
		fmt.Fprintf(&b, "echo %d >\"$__progress\"\n", c.line)
		if c.want == 0 {
			b.WriteString(c.text + "\n")
			continue
		}
		// The newline ends the command's comment; errexit does not apply left of && and ||.
		fmt.Fprintf(&b, "{ %s\n} && __rc=0 || __rc=$?\n", c.text)
		fmt.Fprintf(&b, "if [ \"$__rc\" -ne %d ]; then __why=\"exit $__rc, want %d\"; exit 1; fi\n", c.want, c.want)
	}
	return b.String()
}

// preamble makes the script stop at the first failure, say where and why, and end what it started:
// its background jobs, and the ssh-agent `eval "$(ssh-agent)"` started, which leaves the process group.
func preamble(progress, failure string) string {
	return fmt.Sprintf(`set -euo pipefail
__progress=%s
__why=
__ended() {
	local rc=$?
	trap - EXIT
	set +e
	if [ "$rc" -ne 0 ]; then echo "${__why:-exit $rc}" >%s; fi
	if [ -n "${SSH_AGENT_PID:-}" ]; then kill "$SSH_AGENT_PID" 2>/dev/null; fi
	kill $(jobs -p) 2>/dev/null
	wait
	exit "$rc"
}
trap __ended EXIT
`, shellQuote(progress), shellQuote(failure))
}

// freePorts gives each loopback port the script names a free one, wherever the number appears.
func freePorts(t *testing.T, script string) string {
	ports := map[string]string{}
	for _, m := range loopback.FindAllStringSubmatch(script, -1) {
		if ports[m[1]] == "" {
			_, port, _ := strings.Cut(freeAddr(t), ":")
			ports[m[1]] = port
		}
	}
	return regexp.MustCompile(`\b\d{4,5}\b`).ReplaceAllStringFunc(script, func(n string) string {
		if p, ok := ports[n]; ok {
			return p
		}
		return n
	})
}

// walkthroughEnv is a reader's environment: no BATON_* settings, and no ssh-agent of the test's.
func walkthroughEnv() []string {
	var out []string
	for _, kv := range env() {
		if !strings.HasPrefix(kv, "SSH_AUTH_SOCK=") && !strings.HasPrefix(kv, "SSH_AGENT_PID=") {
			out = append(out, kv)
		}
	}
	return out
}

// logsOf reads the *.log files a walk-through left in its folder.
func logsOf(dir string) map[string]string {
	logs := map[string]string{}
	names, _ := filepath.Glob(filepath.Join(dir, "*.log"))
	for _, name := range names {
		data, _ := os.ReadFile(name)
		logs[filepath.Base(name)] = string(data)
	}
	return logs
}

// tail is the end of a long text.
func tail(s string) string {
	const max = 16 << 10
	if len(s) > max {
		return "[…]" + s[len(s)-max:]
	}
	return s
}

// shellQuote quotes s for bash.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
