package main

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the kernel kill a server subprocess if the test binary dies first (a panic or a
// -timeout), so no server outlives its test.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
