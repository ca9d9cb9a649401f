//go:build !unix

package server

func cpuTime() int64 { return 0 }
