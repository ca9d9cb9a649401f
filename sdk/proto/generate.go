// Package proto holds the wire schema of the detector contract and its
// generated Go code (detector/v1). Detector authors never use it: the sdk
// packages convert to and from the sdk types.
//
// Regenerate with `go generate ./proto` from the sdk directory (needs
// protoc from Debian's protobuf-compiler; the Go plugins are pinned as tool
// dependencies in sdk/go.mod).
package proto

//go:generate sh gen.sh
