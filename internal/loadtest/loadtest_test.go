package loadtest

import (
	"os"
	"os/exec"
	"testing"
	"time"
)

// CPU times come from /proc: this process's, another's by its id, and the machine's all grow as CPU
// is used, and a process that is gone has none.
func TestCPUTimes(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	self0, ok := ProcessCPU(0)
	machine0, ok2 := MachineCPU()
	if !ok || !ok2 {
		t.Fatal("CPU times not readable from /proc")
	}
	for start := time.Now(); time.Since(start) < 100*time.Millisecond; {
	}
	self1, _ := ProcessCPU(os.Getpid())
	machine1, _ := MachineCPU()
	if self1 <= self0 || machine1 <= machine0 {
		t.Errorf("after 100 ms of work: process %s → %s, machine %s → %s; want both to grow", self0, self1, machine0, machine1)
	}
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip(err)
	}
	if _, ok := ProcessCPU(cmd.Process.Pid); ok {
		t.Errorf("a process that ended still has CPU time")
	}
}

// Peak memory grows with what the process touched, and a process that is gone has none.
func TestPeakMemory(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc")
	}
	before, ok := PeakMemory(os.Getpid())
	if !ok || before <= 0 {
		t.Fatalf("peak memory of this process: %d, %v; want some", before, ok)
	}
	big := make([]byte, 64<<20)
	for i := range big {
		big[i] = 1
	}
	after, _ := PeakMemory(os.Getpid())
	if after < before+32<<20 {
		t.Errorf("peak memory %d MB after touching 64 MB more, was %d MB", after>>20, before>>20)
	}
	big[len(big)-1] = 0
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip(err)
	}
	if _, ok := PeakMemory(cmd.Process.Pid); ok {
		t.Errorf("a process that ended still has a peak memory")
	}
}
