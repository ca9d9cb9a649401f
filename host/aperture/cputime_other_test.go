//go:build !unix

package aperture

func cpuTime() int64 { return 0 }
