package trust

import (
	"errors"
	"fmt"
	"time"
)

// WireRecord is one record that crossed the link in PairOverPipe.
type WireRecord struct {
	From  string // "a" or "b"
	Bytes []byte
}

// Exchange is what PairOverPipe observed on the link.
type Exchange struct {
	Records   []WireRecord
	WireBytes int // total record bytes, both directions
}

// maxPipeSteps bounds PairOverPipe's loop; an honest run needs 4 records.
const maxPipeSteps = 16

// PairOverPipe drives two devices' pairings through an in-memory link at
// time now: a demonstration and test helper, and what `strata trust pair`
// runs. In mutual mode each device scans the other's payload (unless it
// already has); in one-way mode a scans b. Records are then shuttled until
// both outboxes are empty.
//
// On success both devices have derived the same keys; in one-way mode the
// caller must still show both SASs and call ConfirmSAS on each before
// Result reports ok. On failure the error is the first one a device
// returned (the ABORT it produced is delivered to the other device too).
func PairOverPipe(a, b *Pairing, now time.Time) (*Exchange, error) {
	if a.cfg.Mode != b.cfg.Mode {
		return nil, fmt.Errorf("%w: devices run %s and %s modes", ErrConfig, a.cfg.Mode, b.cfg.Mode)
	}
	var first error
	note := func(err error) {
		if err != nil && first == nil {
			first = err
		}
	}
	if a.st == stateStart && !a.scan {
		note(a.ScanPeer(b.Payload(), now))
	}
	if a.cfg.Mode == ModeMutual && b.st == stateStart && !b.scan {
		note(b.ScanPeer(a.Payload(), now))
	}
	ex := &Exchange{}
	qa, qb := a.Outbox(), b.Outbox()
	for step := 0; len(qa)+len(qb) > 0; step++ {
		if step >= maxPipeSteps {
			return ex, errors.New("trust: PairOverPipe did not converge")
		}
		var na, nb [][]byte
		for _, r := range qa {
			ex.Records = append(ex.Records, WireRecord{From: "a", Bytes: r})
			ex.WireBytes += len(r)
			out, err := b.Receive(r, now)
			note(err)
			nb = append(nb, out...)
		}
		for _, r := range qb {
			ex.Records = append(ex.Records, WireRecord{From: "b", Bytes: r})
			ex.WireBytes += len(r)
			out, err := a.Receive(r, now)
			note(err)
			na = append(na, out...)
		}
		qa, qb = na, nb
	}
	return ex, first
}
