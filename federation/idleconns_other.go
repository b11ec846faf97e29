//go:build !unix

package federation

// maxIdleConns has no open-file limit to read where there is no getrlimit.
func maxIdleConns() int { return maxKeptConns }
