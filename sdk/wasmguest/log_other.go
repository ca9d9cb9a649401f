//go:build !wasip1

package wasmguest

func hostLog(level int, msg string) {}
