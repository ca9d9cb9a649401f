package sdk

import "context"

// Detector finds problems in the items of an event.
//
// Its lifecycle is, in order:
//
//  1. Info: called once after construction; the host checks the ID, the API
//     version and the declared kinds.
//  2. Configure: called once before the first Detect with the detector's
//     config as a JSON object ("{}" when the operator gave none). A bad
//     config returns an error that names the field; the host then refuses
//     to load the detector.
//  3. Detect: called for every event, concurrently from several goroutines.
//     The event holds only the items of the kinds the detector declared;
//     Finding.Item refers to Item.Index. Detect must return promptly when
//     ctx is done.
//  4. Close (optional, see Closer): called once when the host unloads it.
//
// An error from Detect means the detector failed (crash, timeout, bad input
// it cannot handle). What a failure means for the verdict is the operator's
// policy, not the detector's.
type Detector interface {
	Info() Info
	Configure(ctx context.Context, config []byte) error
	Detect(ctx context.Context, ev *Event) ([]Finding, error)
}

// Closer is implemented by detectors that hold resources.
type Closer interface {
	Close() error
}

// Factory makes a new, unconfigured detector.
type Factory func() Detector
