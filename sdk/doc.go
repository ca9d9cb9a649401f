// Package sdk is what a picket detector author imports: the event and finding
// types, the Detector interface, and small helpers for safe output
// (redaction and fingerprints).
//
// A detector is the same Go value whichever runtime loads it: compiled into
// the host (builtin), served as a hashicorp/go-plugin process (package
// sdk/plugin), or compiled to a WebAssembly reactor (package sdk/wasmguest).
// The conformance kit in sdk/detectortest checks the contract.
package sdk
