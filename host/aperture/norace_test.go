//go:build !race

package aperture

const raceEnabled = false
