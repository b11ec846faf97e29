// Package loadtest measures what fan-out figures are compared with: the RSA-2048 signing ceiling of
// this machine (every delivery needs one signature, so deliveries per second cannot exceed it), and the
// CPU time of a process and of the whole machine, from /proc. The fan-out benchmarks and the load tool
// (cmd/batonload) share it.
package loadtest

import (
	"bytes"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"baton/federation"
	"baton/federation/httpsign"
)

// SigningCeiling signs deliveries as the client does (a POST of an activity-sized body with
// Content-Type and Accept, so Digest and five headers are signed) for d, on every P at once. It returns
// the signatures per second, and this process's CPU time per signature meanwhile (0 without /proc):
// both measured after the key is made, which takes 0.1–0.2 s of CPU.
func SigningCeiling(d time.Duration) (perSecond float64, perSignature time.Duration, err error) {
	key, _, err := federation.NewRSAKey()
	if err != nil {
		return 0, 0, err
	}
	body := bytes.Repeat([]byte(`{"type":"Create","object":{"content":"0123456789abcdef"}}`), 48) // about 2.6 kB, as a Create
	const keyID = "https://notices.example.org/users/xz#main-key"
	var count atomic.Int64
	var firstErr error
	var errOnce sync.Once
	var wg sync.WaitGroup
	cpu0, cpuOK := ProcessCPU(0)
	start := time.Now()
	deadline := start.Add(d)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for n := 0; ; n++ {
				if n%8 == 0 && time.Now().After(deadline) {
					return
				}
				req, err := http.NewRequest(http.MethodPost, "http://127.0.0.1:8080/users/f1/inbox", bytes.NewReader(body))
				if err == nil {
					req.Header.Set("Content-Type", federation.ContentType)
					req.Header.Set("Accept", federation.Accept)
					err = httpsign.Sign(req, body, keyID, key, time.Now())
				}
				if err != nil {
					errOnce.Do(func() { firstErr = err })
					return
				}
				count.Add(1)
			}
		})
	}
	wg.Wait()
	perSecond = float64(count.Load()) / time.Since(start).Seconds()
	cpu1, _ := ProcessCPU(0)
	if cpuOK && count.Load() > 0 {
		perSignature = (cpu1 - cpu0) / time.Duration(count.Load())
	}
	return perSecond, perSignature, firstErr
}

// clockTick is USER_HZ, the unit of /proc's CPU times: 100 per second on Linux.
const clockTick = 10 * time.Millisecond

// ProcessCPU is the CPU time (user and system, every thread) process pid has used, read from
// /proc/PID/stat; pid 0 is this process. False where there is no such file.
func ProcessCPU(pid int) (time.Duration, bool) {
	path := "/proc/self/stat"
	if pid != 0 {
		path = "/proc/" + strconv.Itoa(pid) + "/stat"
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	// Fields after the command (which may hold spaces) start at the last ')'; utime and stime are the
	// 14th and 15th fields, in clock ticks.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, false
	}
	fields := strings.Fields(string(data[i+1:]))
	if len(fields) < 13 {
		return 0, false
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(utime+stime) * clockTick, true
}

// MachineCPU is the CPU time every CPU of the machine spent not idle (user, nice, system, interrupts,
// and steal: time the hypervisor gave another guest), from the first line of /proc/stat; false where
// there is no such file.
func MachineCPU() (time.Duration, bool) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, false
	}
	line, _, _ := strings.Cut(string(data), "\n")
	fields := strings.Fields(line)
	if len(fields) < 9 || fields[0] != "cpu" {
		return 0, false
	}
	var ticks int64
	for i, f := range fields[1:9] { // user nice system idle iowait irq softirq steal
		if i == 3 || i == 4 {
			continue // idle, iowait
		}
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, false
		}
		ticks += n
	}
	return time.Duration(ticks) * clockTick, true
}

// PeakMemory is the most resident memory process pid has held (VmHWM in /proc/PID/status); false
// where there is no such file.
func PeakMemory(pid int) (bytes int64, ok bool) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, found := strings.CutPrefix(line, "VmHWM:"); found {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10, err == nil
		}
	}
	return 0, false
}
