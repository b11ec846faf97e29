//go:build unix

package federation

import "syscall"

// maxIdleConns is how many kept-alive connections the client holds in all: one for each host a
// notice goes to, up to maxKeptConns, so that the next notice reuses them rather than opening (and, in
// a deployment, TLS-negotiating) a connection per host again; but never more than a quarter of the
// process's open-file limit, which the inbox's connections and the store share.
func maxIdleConns() int {
	var limit syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &limit); err != nil {
		return maxKeptConns
	}
	return int(max(minKeptConns, min(maxKeptConns, limit.Cur/4))) // an unlimited Cur is the largest uint64
}
